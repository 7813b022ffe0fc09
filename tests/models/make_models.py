"""Write small ONNX models with ECG-FM's signature, for the dicomkit inference tests.

usage: make_models.py OUTDIR  -> OUTDIR/clinical.onnx, OUTDIR/features.onnx

Both take input "signal" (B, 12, 2500) float32. The per-lead mean and mean square over time
(B, 24) go through a fixed random linear layer (seed 20241): clinical.onnx gives "logits"
(B, 17), features.onnx gives "features" (B, 768). Deterministic: same bytes every run.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def model(out_name, width, seed):
    rng = np.random.default_rng(seed)
    w = rng.standard_normal((24, width)).astype(np.float32)
    b = rng.standard_normal(width).astype(np.float32)
    nodes = [
        helper.make_node("ReduceMean", ["signal"], ["mean"], axes=[2], keepdims=0),
        helper.make_node("Mul", ["signal", "signal"], ["sq"]),
        helper.make_node("ReduceMean", ["sq"], ["meansq"], axes=[2], keepdims=0),
        helper.make_node("Concat", ["mean", "meansq"], ["stats"], axis=1),
        helper.make_node("MatMul", ["stats", "w"], ["mm"]),
        helper.make_node("Add", ["mm", "b"], [out_name]),
    ]
    graph = helper.make_graph(
        nodes,
        f"ecgfm_like_{out_name}",
        [helper.make_tensor_value_info("signal", TensorProto.FLOAT, ["B", 12, 2500])],
        [helper.make_tensor_value_info(out_name, TensorProto.FLOAT, ["B", width])],
        initializer=[numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b")],
    )
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    onnx.checker.check_model(m)
    return m


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    onnx.save(model("logits", 17, 20241), os.path.join(out, "clinical.onnx"))
    onnx.save(model("features", 768, 20242), os.path.join(out, "features.onnx"))


if __name__ == "__main__":
    main()
