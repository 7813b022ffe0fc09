"""Independent NumPy implementation of ECG-FM's reference preprocessing (infer_quickstart notebook,
ecg-transform 0.1.3): ReorderLeads -> LinearResample(500) -> HandleConstantLeads('zero') ->
Standardize -> SegmentNonoverlapping(2500).

usage: preprocess_oracle.py IN.json OUT.npy
IN.json: {"fs": <Hz>, "leads": {"I": [...], "II": [...], ...}} (any order, any extra leads).
OUT.npy: (n_segments, 12, 2500) float32; shape (0, 12, 2500) when shorter than 5 s.
"""
import json
import sys

import numpy as np

ORDER = ["I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"]


def preprocess(rec, rate=500, segment=2500):
    fs = float(rec["fs"])
    # ReorderLeads
    sig = np.stack([np.asarray(rec["leads"][name], dtype=np.float64) for name in ORDER])
    # LinearResample: n_new = int(n * rate / fs); x = linspace(0, n_new - 1, n); interp at arange(n_new)
    if fs != rate:
        n = sig.shape[1]
        n_new = int(n * rate / fs)
        x = np.linspace(0, n_new - 1, n)
        sig = np.stack([np.interp(np.arange(n_new), x, lead) for lead in sig])
    # HandleConstantLeads(strategy='zero')
    sig[np.std(sig, axis=1) == 0] = 0
    # Standardize
    centered = sig - np.mean(sig, axis=1, keepdims=True)
    std = np.std(centered, axis=1, keepdims=True)
    sig = centered / (std + 1e-8)
    # SegmentNonoverlapping(segment)
    n_seg = sig.shape[1] // segment
    segs = [sig[:, i * segment : (i + 1) * segment] for i in range(n_seg)]
    out = np.stack(segs) if segs else np.zeros((0, 12, segment))
    return out.astype(np.float32)


if __name__ == "__main__":
    with open(sys.argv[1]) as f:
        record = json.load(f)
    np.save(sys.argv[2], preprocess(record))
