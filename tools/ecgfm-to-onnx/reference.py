#!/usr/bin/env python3
"""Independent NumPy (float64) forward pass of ECG-FM from a fairseq-signals checkpoint.

Shares no code with ecgfm_to_onnx.py: it reads the state dict itself (torch is used
only to unpickle the .pt file; all arithmetic is NumPy) and follows the
fairseq-signals modules step by step:

  conv blocks (k=2, s=2, no bias; block 0 + GroupNorm(C, C); exact GELU)
  -> LayerNorm(C) -> post_extract_proj -> + GELU(SamePad(weight-norm grouped pos conv))
  -> encoder.layer_norm -> N post-LN transformer layers -> encoder_out (B, T', D)
  -> sum over time / count of non-zero values -> (B, D) [-> proj -> (B, labels)]

Usage: reference.py CHECKPOINT INPUT.npy OUTPUT.npy
"""
import ast
import math
import re
import sys

import numpy as np

_erf = np.frompyfunc(math.erf, 1, 1)


def gelu(x):
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)).astype(np.float64))


def layer_norm(x, w, b, eps=1e-5):
    mu = x.mean(axis=-1, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


def load(path):
    import torch
    ck = torch.load(path, map_location="cpu", weights_only=True)
    sd = {k: v.double().numpy() for k, v in ck["model"].items()}
    return sd, ck.get("cfg", {}).get("model", {})


def strided_conv(x, w, stride):
    """Conv1d, no padding. x (B, Cin, T), w (Cout, Cin, K)."""
    k = w.shape[2]
    n = (x.shape[2] - k) // stride + 1
    out = np.zeros((x.shape[0], w.shape[0], n))
    for j in range(k):
        out += np.einsum("oc,bct->bot", w[:, :, j], x[:, :, j: j + stride * (n - 1) + 1: stride])
    return out


def forward(sd, cfg, signal):
    pre = "encoder." if "proj.weight" in sd else ""
    W = lambda k: sd[pre + k]  # noqa: E731
    heads = int(cfg["encoder_attention_heads"])
    # "[(dim, k, s)] * n" -> list of layers, evaluated without eval()
    m = re.fullmatch(r"\s*\[\s*\((\d+),\s*(\d+),\s*(\d+)\)\s*\]\s*\*\s*(\d+)\s*", str(cfg["conv_feature_layers"]))
    if m:
        strides = [int(m.group(3))] * int(m.group(4))
    else:
        strides = [int(t[2]) for t in ast.literal_eval(str(cfg["conv_feature_layers"]))]
    x = signal.astype(np.float64)
    for i, s in enumerate(strides):
        x = strided_conv(x, W(f"feature_extractor.conv_layers.{i}.0.weight"), s)
        if i == 0:
            mu = x.mean(axis=2, keepdims=True)
            var = x.var(axis=2, keepdims=True)
            x = (x - mu) / np.sqrt(var + 1e-5)
            x = x * W("feature_extractor.conv_layers.0.2.weight")[None, :, None] \
                + W("feature_extractor.conv_layers.0.2.bias")[None, :, None]
        x = gelu(x)
    x = x.transpose(0, 2, 1)
    x = layer_norm(x, W("layer_norm.weight"), W("layer_norm.bias"))
    x = x @ W("post_extract_proj.weight").T + W("post_extract_proj.bias")
    B, T, D = x.shape
    if pre + "conv_pos.pos_conv.0.weight_g" in sd:
        g, v = W("conv_pos.pos_conv.0.weight_g"), W("conv_pos.pos_conv.0.weight_v")
    else:
        g = W("conv_pos.pos_conv.0.parametrizations.weight.original0")
        v = W("conv_pos.pos_conv.0.parametrizations.weight.original1")
    w = g * v / np.sqrt((v ** 2).sum(axis=(0, 1), keepdims=True))      # (D, D/G, K)
    K, cg = w.shape[2], w.shape[1]
    G = D // cg
    xp = np.pad(x.transpose(0, 2, 1), ((0, 0), (0, 0), (K // 2, K // 2)))  # (B, D, T+K)
    win = np.lib.stride_tricks.sliding_window_view(xp, K, axis=2)       # (B, D, T+1, K)
    win = win.reshape(B, G, cg, win.shape[2], K)
    conv = np.einsum("bgctk,gock->bgot", win, w.reshape(G, cg, cg, K), optimize=True).reshape(B, D, -1)
    conv = conv + W("conv_pos.pos_conv.0.bias")[None, :, None]
    if K % 2 == 0:
        conv = conv[:, :, :-1]
    x = x + gelu(conv).transpose(0, 2, 1)
    x = layer_norm(x, W("encoder.layer_norm.weight"), W("encoder.layer_norm.bias"))
    hd = D // heads
    n_layers = len({int(mm.group(1)) for k in sd for mm in [re.match(re.escape(pre) + r"encoder\.layers\.(\d+)\.", k)] if mm})
    for i in range(n_layers):
        p = f"encoder.layers.{i}."
        lin = lambda y, n: y @ W(p + n + ".weight").T + W(p + n + ".bias")  # noqa: E731
        q = lin(x, "self_attn.q_proj").reshape(B, T, heads, hd) * hd ** -0.5
        k = lin(x, "self_attn.k_proj").reshape(B, T, heads, hd)
        vv = lin(x, "self_attn.v_proj").reshape(B, T, heads, hd)
        sc = np.einsum("bthd,bshd->bhts", q, k)
        sc = np.exp(sc - sc.max(axis=-1, keepdims=True))
        sc /= sc.sum(axis=-1, keepdims=True)
        att = np.einsum("bhts,bshd->bthd", sc, vv).reshape(B, T, D)
        x = layer_norm(x + lin(att, "self_attn.out_proj"),
                       W(p + "self_attn_layer_norm.weight"), W(p + "self_attn_layer_norm.bias"))
        y = lin(gelu(lin(x, "fc1")), "fc2")
        x = layer_norm(x + y, W(p + "final_layer_norm.weight"), W(p + "final_layer_norm.bias"))
    emb = x.sum(axis=1) / (x != 0).sum(axis=1)
    if pre:
        return emb @ sd["proj.weight"].T + sd["proj.bias"]
    return emb


def main():
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    sd, cfg = load(sys.argv[1])
    out = forward(sd, cfg, np.load(sys.argv[2]))
    np.save(sys.argv[3], out)
    print(f"reference output {out.shape} written to {sys.argv[3]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
