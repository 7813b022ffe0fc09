#!/usr/bin/env python3
"""Converter test: random-weight checkpoints with the published layout -> ONNX -> onnxruntime,
compared with the independent NumPy reference (reference.py). Prints the numbers; exit 1 on failure.

  test_converter.py            small models, then the full 768 x 12 models
  test_converter.py --quick    small models only
  FAIRSEQ_SIGNALS=/path/to/fairseq-signals test_converter.py   also compare with the original modules
"""
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
import onnxruntime as ort

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import reference  # noqa: E402

TOL = 1e-4
# Optional: a source checkout of Jwoo5/fairseq-signals; then the original modules are a second oracle.
FS = os.environ.get("FAIRSEQ_SIGNALS")
PY = sys.executable
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def run(*args):
    return subprocess.run([PY, *args], capture_output=True, text=True)


def case(tmp, kind, small, wn, seed):
    name = f"{kind}-{'small' if small else 'full'}-wn{wn}"
    ckpt = os.path.join(tmp, name + ".pt")
    out = os.path.join(tmp, name + ".onnx")
    t0 = time.time()
    r = run(os.path.join(HERE, "make_random_checkpoint.py"), kind, ckpt, "--weight-norm", wn, "--seed", str(seed),
            *(["--small"] if small else []))
    check(r.returncode == 0, f"{name}: make checkpoint ({r.stdout.strip()})")
    t1 = time.time()
    r = run(os.path.join(HERE, "ecgfm_to_onnx.py"), ckpt, out)
    t2 = time.time()
    check(r.returncode == 0, f"{name}: convert in {t2 - t1:.1f} s: {r.stdout.strip()} {r.stderr.strip()[-300:]}")
    if r.returncode:
        return
    side = json.load(open(os.path.splitext(out)[0] + ".json"))
    sd, cfg = reference.load(ckpt)
    d = cfg["encoder_embed_dim"]
    if kind == "finetuned":
        check(side["model_kind"] == "clinical" and side["output_name"] == "logits" and len(side["labels"]) == 17
              and side["labels"][0] == "Poor data quality" and side["labels"][16] == "Electronic pacemaker"
              and [k for k, v in side["aggregation"].items() if v == "max"] ==
              ["Poor data quality", "Premature ventricular contraction", "Ventricular tachycardia",
               "Supraventricular tachycardia with aberrancy", "Electronic pacemaker"]
              and side["output_shape"] == ["batch", 17], f"{name}: sidecar labels/aggregation/output")
    else:
        check(side["model_kind"] == "features" and side["output_name"] == "features"
              and side["output_shape"] == ["batch", d] and side["labels"] == [], f"{name}: sidecar features (B,{d})")
    check(side["sampling_rate"] == 500 and side["segment_length"] == 2500 and side["input_name"] == "signal"
          and side["encoder"]["weight_norm"] == wn, f"{name}: sidecar rate/segment/input/weight_norm")
    m = onnx.load(out, load_external_data=False)
    opset = max(o.version for o in m.opset_import if o.domain in ("", "ai.onnx"))
    inp, outp = m.graph.input[0], m.graph.output[0]
    idims = [x.dim_param or x.dim_value for x in inp.type.tensor_type.shape.dim]
    odims = [x.dim_param or x.dim_value for x in outp.type.tensor_type.shape.dim]
    check(opset >= 17 and inp.name == "signal" and idims == ["batch", 12, 2500]
          and outp.name == side["output_name"] and odims[0] == "batch" and odims[1] == side["output_shape"][1],
          f"{name}: graph opset {opset}, {inp.name}{idims} -> {outp.name}{odims}")
    sess = ort.InferenceSession(out, providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(seed + 100)
    for b in (1, 3):
        x = rng.standard_normal((b, 12, 2500)).astype(np.float32)
        x[0, 3] = 0.0  # a zeroed (constant) lead, as preprocessing produces
        t3 = time.time()
        got = sess.run(None, {"signal": x})[0]
        t4 = time.time()
        want = reference.forward(sd, cfg, x)
        t5 = time.time()
        diff = float(np.abs(got.astype(np.float64) - want).max())
        check(got.shape == want.shape and np.isfinite(got).all() and diff <= TOL,
              f"{name}: batch {b}: onnxruntime {got.shape} vs NumPy reference: max abs diff {diff:.3e} "
              f"(max |ref| {np.abs(want).max():.3f}; ort {t4 - t3:.2f} s, ref {t5 - t4:.1f} s)")
        if FS and b == 3:
            np.save(os.path.join(tmp, "x.npy"), x)
            r = run(os.path.join(HERE, "fs_oracle.py"), FS, ckpt, os.path.join(tmp, "x.npy"),
                    os.path.join(tmp, "fs.npy"))
            ok = r.returncode == 0
            fs_diff = float(np.abs(got - np.load(os.path.join(tmp, "fs.npy"))).max()) if ok else float("nan")
            check(ok and fs_diff <= TOL, f"{name}: batch {b}: onnxruntime vs original fairseq-signals modules "
                  f"(strict load): max abs diff {fs_diff:.3e} {r.stderr.strip()[-300:]}")
    size = os.path.getsize(out) + sum(os.path.getsize(os.path.join(tmp, f)) for f in os.listdir(tmp)
                                     if f.startswith(name + ".onnx.") or f.endswith(".data"))
    print(f"     {name}: checkpoint {os.path.getsize(ckpt) / 1e6:.1f} MB, ONNX {size / 1e6:.1f} MB, "
          f"make {t1 - t0:.1f} s")
    for f in os.listdir(tmp):
        os.remove(os.path.join(tmp, f))


def negative(tmp):
    import torch
    ckpt = os.path.join(tmp, "bad.pt")
    r = run(os.path.join(HERE, "make_random_checkpoint.py"), "finetuned", ckpt, "--small")
    ck = torch.load(ckpt, weights_only=True)
    del ck["model"]["encoder.encoder.layers.1.fc2.bias"]
    torch.save(ck, ckpt)
    r = run(os.path.join(HERE, "ecgfm_to_onnx.py"), ckpt, os.path.join(tmp, "bad.onnx"))
    check(r.returncode == 6 and "missing" in r.stderr and not os.path.exists(os.path.join(tmp, "bad.onnx")),
          f"missing key refused (exit {r.returncode}): {r.stderr.strip()}")
    ck["model"]["encoder.encoder.layers.1.fc2.bias"] = torch.zeros(64)
    ck["model"]["encoder.extra.weight"] = torch.zeros(3)
    torch.save(ck, ckpt)
    r = run(os.path.join(HERE, "ecgfm_to_onnx.py"), ckpt, os.path.join(tmp, "bad.onnx"))
    check(r.returncode == 6 and "unexpected" in r.stderr, f"unexpected key refused (exit {r.returncode})")
    os.remove(ckpt)


def main():
    quick = "--quick" in sys.argv[1:]
    print(f"fairseq-signals oracle: {FS if FS else 'not run (set FAIRSEQ_SIGNALS=/path/to/checkout)'}")
    start = time.time()
    with tempfile.TemporaryDirectory(prefix="ecgfm-test-") as tmp:
        case(tmp, "pretrained", True, "old", 1)
        case(tmp, "finetuned", True, "old", 2)
        case(tmp, "finetuned", True, "new", 3)
        case(tmp, "pretrained", True, "new", 4)
        negative(tmp)
        if not quick:
            case(tmp, "pretrained", False, "old", 5)
            case(tmp, "finetuned", False, "old", 6)
    print(f"{'FAILED: ' + str(len(failures)) if failures else 'all passed'} in {time.time() - start:.0f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
