"""End-to-end oracle for `dicomkit ecg-infer`: the NumPy preprocessing (preprocess_oracle.py),
onnxruntime-python, then ECG-FM's per-record aggregation, written independently of dicomkit.

usage: infer_oracle.py IN.json CLINICAL.onnx FEATURES.onnx OUT.json [RATE SEGMENT]
IN.json as for preprocess_oracle.py; ORACLE_MAX_INDEX=i,j,... overrides which labels take the max. OUT.json: {"segments": n, "probabilities": [17],
"embedding": [width]}: sigmoid of the logits, max over segments for poor data quality, PVC, VT,
SVT with aberrancy and electronic pacemaker, mean for the other labels; embedding = mean.
"""
import json
import os
import sys

import numpy as np
import onnxruntime as ort

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from preprocess_oracle import preprocess  # noqa: E402

MAX_INDEX = {0, 2, 4, 5, 16}
if os.environ.get("ORACLE_MAX_INDEX"):
    # a sidecar that changes aggregations: the indices that take the max
    MAX_INDEX = {int(i) for i in os.environ["ORACLE_MAX_INDEX"].split(",")}


def session(path):
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])


def main():
    inp, clinical, features, out = sys.argv[1:5]
    rate = float(sys.argv[5]) if len(sys.argv) > 5 else 500
    segment = int(sys.argv[6]) if len(sys.argv) > 6 else 2500
    with open(inp) as f:
        rec = json.load(f)
    x = preprocess(rec, rate, segment)
    logits = session(clinical).run(["logits"], {"signal": x})[0].astype(np.float64)
    probs = 1.0 / (1.0 + np.exp(-logits))
    agg = [float(probs[:, i].max() if i in MAX_INDEX else probs[:, i].mean()) for i in range(probs.shape[1])]
    emb = session(features).run(["features"], {"signal": x})[0].astype(np.float64).mean(axis=0)
    with open(out, "w") as f:
        json.dump({"segments": int(x.shape[0]), "probabilities": agg, "embedding": emb.tolist()}, f)


if __name__ == "__main__":
    main()
