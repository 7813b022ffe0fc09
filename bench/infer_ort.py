#!/usr/bin/env python3
"""The onnxruntime-python side of bench/infer.sh (issue 6).

  infer_ort.py prepare OUT.npy ECG...
      Not timed. Reads each ECG file (in the order given) with ecgdatakit 2.0.3 (an independent
      reader), applies the NumPy oracle of ECG-FM's preprocessing (tests/models/preprocess_oracle.py:
      reorder leads, resample to 500 Hz, zero constant leads, z-score per lead, 5 s segments)
      and writes all segments, in order, as one float32 array (S, 12, 2500). These are "the same
      preprocessed tensors" dicomkit makes itself (tests/infer.rs checks dicomkit's preprocessing
      against this oracle to <= 1e-5).

  infer_ort.py run MODEL.onnx TENSORS.npy --records N --threads T --batch-size B [--logits OUT.npy]
      Timed, after the imports (python, numpy, onnxruntime): t0 is taken after `import
      onnxruntime`. Then (1) session creation (graph optimisation ALL, intra_op_num_threads=T,
      CPU provider, every other option at onnxruntime's default), (2) np.load of the tensors,
      (3) the run loop: session.run on consecutive slices of B segments (the last one shorter),
      the logits kept. Prints one JSON line: create_s, load_s, loop_s, run_s (sum of the
      session.run calls alone), timed_s (1+2+3), records, segments, runs, ru_maxrss_kib.
      Not timed and not done: reading ECG files, preprocessing, sigmoid/aggregation, output.
"""
import json
import os
import resource
import sys
import time


def prepare(out, files):
    import warnings

    import numpy as np

    warnings.simplefilter("ignore")
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "models"))
    from ecgdatakit import FileParser
    from preprocess_oracle import preprocess

    parser = FileParser()
    segs = []
    for f in files:
        rec = parser.parse(f)
        leads = {}
        rate = None
        for lead in rec.leads:
            leads[lead.label] = lead.to_physical().convert_units("uV").samples
            rate = lead.sampling_rate
        segs.append(preprocess({"fs": rate, "leads": leads}))
    x = np.ascontiguousarray(np.concatenate(segs), dtype=np.float32)
    np.save(out, x)
    print(f"prepared {len(files)} records, {x.shape[0]} segments {x.shape[1:]} -> {out}", file=sys.stderr)


def run(argv):
    import argparse

    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("tensors")
    ap.add_argument("--records", type=int, required=True)
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--batch-size", type=int, required=True)
    ap.add_argument("--logits")
    a = ap.parse_args(argv)

    import numpy as np
    import onnxruntime as ort

    t0 = time.perf_counter()
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.intra_op_num_threads = a.threads
    sess = ort.InferenceSession(a.model, opts, providers=["CPUExecutionProvider"])
    inp = sess.get_inputs()[0].name
    out = sess.get_outputs()[0].name
    t1 = time.perf_counter()
    x = np.load(a.tensors)
    t2 = time.perf_counter()
    parts = []
    run_s = 0.0
    runs = 0
    for i in range(0, x.shape[0], a.batch_size):
        batch = x[i : i + a.batch_size]
        r0 = time.perf_counter()
        parts.append(sess.run([out], {inp: batch})[0])
        run_s += time.perf_counter() - r0
        runs += 1
    t3 = time.perf_counter()
    if a.logits:
        np.save(a.logits, np.concatenate(parts))
    print(json.dumps({
        "create_s": t1 - t0,
        "load_s": t2 - t1,
        "loop_s": t3 - t2,
        "run_s": run_s,
        "timed_s": t3 - t0,
        "records": a.records,
        "segments": int(x.shape[0]),
        "runs": runs,
        "ru_maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }))


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "prepare":
        prepare(sys.argv[2], sys.argv[3:])
    elif len(sys.argv) >= 2 and sys.argv[1] == "run":
        run(sys.argv[2:])
    else:
        sys.exit(__doc__)
