"""Run an ONNX model with onnxruntime-python (the oracle for dicomkit's runtime).

usage: run_ort.py MODEL.onnx INPUT.npy OUTPUT_NAME OUT.npy
Feeds INPUT.npy to the input "signal", saves the named output as float32.
"""
import sys

import numpy as np
import onnxruntime as ort

model, inp, name, out = sys.argv[1:5]
opts = ort.SessionOptions()
opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
sess = ort.InferenceSession(model, opts, providers=["CPUExecutionProvider"])
x = np.load(inp)
np.save(out, sess.run([name], {"signal": x})[0].astype(np.float32))
