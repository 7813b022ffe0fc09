#!/usr/bin/env python3
"""Convert a fairseq-signals ECG-FM checkpoint to ONNX, without fairseq installed.

  mimic_iv_ecg_physionet_pretrained.pt -> features model: signal (B,12,2500) -> features (B,D)
  mimic_iv_ecg_finetuned.pt            -> clinical model: signal (B,12,2500) -> logits (B,17)

The encoder is rebuilt in plain torch from the state dict (widths, depth, kernels
read from tensor shapes; heads and conv strides from cfg.model) and exported with
torch.onnx.export. A sidecar FILE.json is written next to FILE.onnx.
"""
import argparse
import collections
import hashlib
import json
import os
import re
import sys
import warnings

import torch
import torch.nn.functional as F

LABELS = [
    "Poor data quality", "Sinus rhythm", "Premature ventricular contraction", "Tachycardia",
    "Ventricular tachycardia", "Supraventricular tachycardia with aberrancy", "Atrial fibrillation",
    "Atrial flutter", "Bradycardia", "Accessory pathway conduction", "Atrioventricular block",
    "1st degree atrioventricular block", "Bifascicular block", "Right bundle branch block",
    "Left bundle branch block", "Infarction", "Electronic pacemaker",
]
MAX_LABELS = {"Poor data quality", "Premature ventricular contraction", "Ventricular tachycardia",
              "Supraventricular tachycardia with aberrancy", "Electronic pacemaker"}
LEADS = ["I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"]
# Training-only tensors of the pretrained (wav2vec2_cmsc) model; not used at inference.
IGNORED = re.compile(r"^(mask_emb|quantizer\..*|project_q\..*|final_proj\..*|target_glu\..*)$")


class ConvertError(Exception):
    pass


def load_checkpoint(path):
    """Return (state_dict, cfg_model_dict). Accepts a fairseq checkpoint dict or a bare state dict."""
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # pickle holds classes outside the safe list (e.g. omegaconf)
        print(f"note: weights_only load refused ({str(e).splitlines()[0][:120]}); "
              "retrying with weights_only=False (only do this with files you trust)", file=sys.stderr)
        ckpt = torch.load(path, map_location="cpu", weights_only=False)
    if isinstance(ckpt, dict) and "model" in ckpt and isinstance(ckpt["model"], dict):
        sd = ckpt["model"]
        cfg = ckpt.get("cfg")
        if cfg is not None and not isinstance(cfg, dict):
            # omegaconf DictConfig or similar: convert via its mapping interface
            try:
                from omegaconf import OmegaConf  # noqa: only if present
                cfg = OmegaConf.to_container(cfg, resolve=True)
            except Exception:
                cfg = {k: cfg[k] for k in cfg}
        cfg_model = (cfg or {}).get("model") or {}
        if not isinstance(cfg_model, dict):
            cfg_model = {k: cfg_model[k] for k in cfg_model}
    elif isinstance(ckpt, dict) and all(torch.is_tensor(v) for v in ckpt.values()):
        sd, cfg_model = ckpt, {}
    else:
        raise ConvertError("not a fairseq-signals checkpoint: expected a dict with 'model' or a state dict")
    return collections.OrderedDict((k, v.float()) for k, v in sd.items()), dict(cfg_model)


def inspect(sd, cfg, heads_override=None, strides_override=None):
    """Work out kind, prefix and all sizes from the state dict; cross-check cfg. Returns a spec dict."""
    if "proj.weight" in sd:
        kind, pre = "clinical", "encoder."
    else:
        kind, pre = "features", ""
    def get(k):
        if pre + k not in sd:
            raise ConvertError(f"missing key {pre + k}")
        return sd[pre + k]
    n_conv = 0
    while pre + f"feature_extractor.conv_layers.{n_conv}.0.weight" in sd:
        n_conv += 1
    if n_conv == 0:
        raise ConvertError("no feature_extractor.conv_layers.N.0.weight keys")
    convs = [tuple(get(f"feature_extractor.conv_layers.{i}.0.weight").shape) for i in range(n_conv)]
    in_d = convs[0][1]
    d = get("post_extract_proj.weight").shape[0]
    layer_ids = sorted({int(m.group(1)) for k in sd
                        for m in [re.match(re.escape(pre) + r"encoder\.layers\.(\d+)\.", k)] if m})
    n_layers = len(layer_ids)
    if layer_ids != list(range(n_layers)) or n_layers == 0:
        raise ConvertError(f"encoder layer indices not 0..N-1: {layer_ids[:5]}...")
    ffn = get("encoder.layers.0.fc1.weight").shape[0]
    wn = "old" if pre + "conv_pos.pos_conv.0.weight_v" in sd else "new"
    v = get("conv_pos.pos_conv.0.weight_v" if wn == "old" else "conv_pos.pos_conv.0.parametrizations.weight.original1")
    pos_k, pos_groups = v.shape[2], d // v.shape[1]
    heads = heads_override or cfg.get("encoder_attention_heads")
    if not heads:
        raise ConvertError("number of attention heads is not in cfg.model.encoder_attention_heads; pass --heads")
    if d % heads:
        raise ConvertError(f"embedding width {d} not divisible by {heads} heads")
    if strides_override:
        strides = list(strides_override)
    elif cfg.get("conv_feature_layers"):
        layers = eval(str(cfg["conv_feature_layers"]), {"__builtins__": {}}, {})  # e.g. "[(256, 2, 2)] * 4"
        strides = [int(t[2]) for t in layers]
        for (dim, k, _), shp in zip(layers, convs):
            if (dim, k) != (shp[0], shp[2]):
                raise ConvertError(f"cfg conv_feature_layers {layers} disagrees with weights {convs}")
    else:
        raise ConvertError("conv strides unknown: cfg.model.conv_feature_layers missing; pass --conv-strides")
    if len(strides) != n_conv:
        raise ConvertError(f"{len(strides)} strides for {n_conv} conv layers")
    if cfg.get("layer_norm_first"):
        raise ConvertError("cfg.model.layer_norm_first is true; only the post-LN layout of ECG-FM is supported")
    if cfg.get("extractor_mode", "default") != "default":
        raise ConvertError(f"extractor_mode {cfg.get('extractor_mode')!r} not supported (ECG-FM uses 'default')")
    for key, val in (("encoder_embed_dim", d), ("encoder_layers", n_layers), ("encoder_ffn_embed_dim", ffn)):
        if key in cfg and int(cfg[key]) != val:
            print(f"note: cfg.model.{key}={cfg[key]} but the weights say {val}; using the weights",
                  file=sys.stderr)
    spec = dict(kind=kind, prefix=pre, n_conv=n_conv, convs=convs, strides=strides, in_d=in_d, dim=d,
                layers=n_layers, ffn=ffn, heads=int(heads), pos_k=pos_k, pos_groups=pos_groups,
                weight_norm=wn, conv_bias=pre + "feature_extractor.conv_layers.0.0.bias" in sd)
    if kind == "clinical":
        spec["num_labels"] = sd["proj.weight"].shape[0]
    check_keys(sd, spec)
    return spec


def expected_keys(spec):
    pre, keys = spec["prefix"], []
    for i in range(spec["n_conv"]):
        keys.append(f"feature_extractor.conv_layers.{i}.0.weight")
        if spec["conv_bias"]:
            keys.append(f"feature_extractor.conv_layers.{i}.0.bias")
    keys += ["feature_extractor.conv_layers.0.2.weight", "feature_extractor.conv_layers.0.2.bias",
             "layer_norm.weight", "layer_norm.bias", "post_extract_proj.weight", "post_extract_proj.bias",
             "conv_pos.pos_conv.0.bias", "encoder.layer_norm.weight", "encoder.layer_norm.bias"]
    keys += (["conv_pos.pos_conv.0.weight_g", "conv_pos.pos_conv.0.weight_v"] if spec["weight_norm"] == "old" else
             ["conv_pos.pos_conv.0.parametrizations.weight.original0",
              "conv_pos.pos_conv.0.parametrizations.weight.original1"])
    for i in range(spec["layers"]):
        p = f"encoder.layers.{i}."
        for n in ("k_proj", "v_proj", "q_proj", "out_proj", "fc1", "fc2"):
            pn = p + ("self_attn." if n.endswith("proj") else "") + n
            keys += [pn + ".weight", pn + ".bias"]
        for n in ("self_attn_layer_norm", "final_layer_norm"):
            keys += [p + n + ".weight", p + n + ".bias"]
    keys = [pre + k for k in keys]
    if spec["kind"] == "clinical":
        keys += ["proj.weight", "proj.bias"]
    return keys


def check_keys(sd, spec):
    """Strict key match: every expected key present, nothing unexpected except training-only tensors."""
    exp = expected_keys(spec)
    missing = [k for k in exp if k not in sd]
    pre = spec["prefix"]
    extra = [k for k in sd if k not in set(exp) and not IGNORED.match(k[len(pre):] if k.startswith(pre) else k)]
    if missing or extra:
        raise ConvertError(f"state dict does not match the ECG-FM layout: missing {missing[:5]}, "
                           f"unexpected {extra[:5]}")
    d, ffn, c = spec["dim"], spec["ffn"], spec["convs"][-1][0]
    shapes = {"post_extract_proj.weight": (d, c), "layer_norm.weight": (c,), "encoder.layer_norm.weight": (d,),
              "encoder.layers.0.fc1.weight": (ffn, d), "encoder.layers.0.fc2.weight": (d, ffn),
              "encoder.layers.0.self_attn.q_proj.weight": (d, d)}
    for k, shp in shapes.items():
        if tuple(sd[pre + k].shape) != shp:
            raise ConvertError(f"{pre + k} has shape {tuple(sd[pre + k].shape)}, expected {shp}")


class ECGFM(torch.nn.Module):
    """Inference-only ECG-FM encoder (+ optional linear head), plain torch ops, weight norm folded."""

    def __init__(self, sd, spec):
        super().__init__()
        self.spec = spec
        pre = spec["prefix"]
        P = lambda k: torch.nn.Parameter(sd[pre + k].clone(), requires_grad=False)  # noqa: E731
        self.conv_w = torch.nn.ParameterList(
            [P(f"feature_extractor.conv_layers.{i}.0.weight") for i in range(spec["n_conv"])])
        self.conv_b = (torch.nn.ParameterList(
            [P(f"feature_extractor.conv_layers.{i}.0.bias") for i in range(spec["n_conv"])])
            if spec["conv_bias"] else None)
        self.gn_w, self.gn_b = P("feature_extractor.conv_layers.0.2.weight"), P("feature_extractor.conv_layers.0.2.bias")
        self.ln_w, self.ln_b = P("layer_norm.weight"), P("layer_norm.bias")
        self.pe_w, self.pe_b = P("post_extract_proj.weight"), P("post_extract_proj.bias")
        if spec["weight_norm"] == "old":
            g, v = sd[pre + "conv_pos.pos_conv.0.weight_g"], sd[pre + "conv_pos.pos_conv.0.weight_v"]
        else:
            g = sd[pre + "conv_pos.pos_conv.0.parametrizations.weight.original0"]
            v = sd[pre + "conv_pos.pos_conv.0.parametrizations.weight.original1"]
        # weight_norm(dim=2): w = g * v / ||v||, norm over dims (0, 1) for each kernel tap
        w = g * v / v.double().pow(2).sum(dim=(0, 1), keepdim=True).sqrt().float()
        self.pos_w = torch.nn.Parameter(w, requires_grad=False)
        self.pos_b = P("conv_pos.pos_conv.0.bias")
        self.enc_ln_w, self.enc_ln_b = P("encoder.layer_norm.weight"), P("encoder.layer_norm.bias")
        self.layers = torch.nn.ModuleList()
        for i in range(spec["layers"]):
            m = torch.nn.Module()
            p = f"encoder.layers.{i}."
            for n in ("q_proj", "k_proj", "v_proj", "out_proj"):
                setattr(m, n + "_w", P(p + f"self_attn.{n}.weight"))
                setattr(m, n + "_b", P(p + f"self_attn.{n}.bias"))
            for n in ("fc1", "fc2", "self_attn_layer_norm", "final_layer_norm"):
                setattr(m, n + "_w", P(p + n + ".weight"))
                setattr(m, n + "_b", P(p + n + ".bias"))
            self.layers.append(m)
        if spec["kind"] == "clinical":
            self.proj_w = torch.nn.Parameter(sd["proj.weight"].clone(), requires_grad=False)
            self.proj_b = torch.nn.Parameter(sd["proj.bias"].clone(), requires_grad=False)

    def attention(self, m, x):
        h, d = self.spec["heads"], self.spec["dim"]
        hd = d // h  # python ints: static in the exported graph
        q = F.linear(x, m.q_proj_w, m.q_proj_b) * (hd ** -0.5)
        k = F.linear(x, m.k_proj_w, m.k_proj_b)
        v = F.linear(x, m.v_proj_w, m.v_proj_b)
        q = q.reshape(x.shape[0], -1, h, hd).transpose(1, 2)
        k = k.reshape(x.shape[0], -1, h, hd).transpose(1, 2)
        v = v.reshape(x.shape[0], -1, h, hd).transpose(1, 2)
        a = torch.softmax(q @ k.transpose(-1, -2), dim=-1)
        o = (a @ v).transpose(1, 2).reshape(x.shape[0], -1, d)
        return F.linear(o, m.out_proj_w, m.out_proj_b)

    def forward(self, signal):
        x = signal
        for i, w in enumerate(self.conv_w):
            x = F.conv1d(x, w, self.conv_b[i] if self.conv_b is not None else None, stride=self.spec["strides"][i])
            if i == 0:  # Fp32GroupNorm(C, C): per-sample per-channel normalisation over time
                x = F.instance_norm(x, weight=self.gn_w, bias=self.gn_b, eps=1e-5)
            x = F.gelu(x)
        x = x.transpose(1, 2)                                    # (B, T, C)
        x = F.layer_norm(x, self.ln_w.shape, self.ln_w, self.ln_b, eps=1e-5)
        x = F.linear(x, self.pe_w, self.pe_b)                    # (B, T, D)
        k = self.spec["pos_k"]
        xc = F.conv1d(x.transpose(1, 2), self.pos_w, self.pos_b, padding=k // 2, groups=self.spec["pos_groups"])
        if k % 2 == 0:
            xc = xc[:, :, :-1]                                   # SamePad: drop the last step
        x = x + F.gelu(xc).transpose(1, 2)
        x = F.layer_norm(x, self.enc_ln_w.shape, self.enc_ln_w, self.enc_ln_b, eps=1e-5)  # before layers (post-LN)
        for m in self.layers:
            x = F.layer_norm(x + self.attention(m, x), m.self_attn_layer_norm_w.shape, m.self_attn_layer_norm_w,
                             m.self_attn_layer_norm_b, eps=1e-5)
            y = F.linear(F.gelu(F.linear(x, m.fc1_w, m.fc1_b)), m.fc2_w, m.fc2_b)
            x = F.layer_norm(x + y, m.final_layer_norm_w.shape, m.final_layer_norm_w, m.final_layer_norm_b, eps=1e-5)
        # encoder_out (B, T', D) -> fairseq-signals pooling: sum over time / count of non-zero steps per channel
        emb = x.sum(dim=1) / (x != 0).sum(dim=1).to(x.dtype)
        if self.spec["kind"] == "clinical":
            return F.linear(emb, self.proj_w, self.proj_b)
        return emb


def conv_len(n, spec):
    for (_, _, k), s in zip(spec["convs"], spec["strides"]):  # (Cout, Cin, K)
        n = (n - k) // s + 1
    return n


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def sidecar(spec, ckpt_path, onnx_path, segment, rate, out_name):
    kind = spec["kind"]
    if kind == "clinical":
        labels = LABELS if spec["num_labels"] == 17 else [f"label_{i}" for i in range(spec["num_labels"])]
    else:
        labels = []
    return {
        "format": "dicomkit-ecgfm-sidecar",
        "version": 1,
        "model_kind": kind,
        "source_checkpoint": os.path.basename(ckpt_path),
        "source_checkpoint_sha256": sha256(ckpt_path),
        "onnx_sha256": sha256(onnx_path),
        "sampling_rate": rate,
        "segment_length": segment,
        "leads": LEADS,
        "input_name": "signal",
        "input_shape": ["batch", spec["in_d"], segment],
        "output_name": out_name,
        "output_shape": ["batch", spec["num_labels"] if kind == "clinical" else spec["dim"]],
        "output_activation": "sigmoid" if kind == "clinical" else "none",
        "labels": labels,
        "aggregation": {lab: ("max" if lab in MAX_LABELS else "mean") for lab in labels},
        "embedding_aggregation": "mean",
        "pooling": f"sum over all {conv_len(segment, spec)} encoder time steps divided by the count of non-zero "
                   "values per channel (fairseq-signals; equals the plain mean unless exact zeros occur)",
        "encoder": {k: spec[k] for k in ("in_d", "dim", "layers", "ffn", "heads", "pos_k", "pos_groups",
                                         "strides", "weight_norm")},
    }


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoint", help="fairseq-signals .pt (pretrained or finetuned)")
    ap.add_argument("output", help="output FILE.onnx (sidecar FILE.json is written beside it)")
    ap.add_argument("--opset", type=int, default=17)
    ap.add_argument("--segment-length", type=int, default=2500)
    ap.add_argument("--sampling-rate", type=int, default=500)
    ap.add_argument("--heads", type=int, help="attention heads, if cfg.model has none")
    ap.add_argument("--conv-strides", type=lambda s: [int(x) for x in s.split(",")],
                    help="comma-separated conv strides, if cfg.model has no conv_feature_layers")
    a = ap.parse_args(argv)
    if a.opset < 17:
        ap.error("--opset must be >= 17")
    try:
        sd, cfg = load_checkpoint(a.checkpoint)
        spec = inspect(sd, cfg, a.heads, a.conv_strides)
    except (ConvertError, OSError, RuntimeError) as e:
        print(f"error: {a.checkpoint}: {e}", file=sys.stderr)
        return 6
    model = ECGFM(sd, spec).eval()
    del sd
    out_name = "logits" if spec["kind"] == "clinical" else "features"
    dummy = torch.zeros(1, spec["in_d"], a.segment_length).normal_(generator=torch.Generator().manual_seed(0))
    if conv_len(a.segment_length, spec) < 1:
        print("error: segment too short for the conv stack", file=sys.stderr)
        return 2
    tmp = a.output + ".tmp"
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # legacy-exporter deprecation; instance_norm uses input stats (wanted)
        torch.onnx.export(model, (dummy,), tmp, input_names=["signal"], output_names=[out_name],
                          dynamic_axes={"signal": {0: "batch"}, out_name: {0: "batch"}},
                          opset_version=a.opset, dynamo=False, do_constant_folding=True)
    os.replace(tmp, a.output)
    meta = sidecar(spec, a.checkpoint, a.output, a.segment_length, a.sampling_rate, out_name)
    side = os.path.splitext(a.output)[0] + ".json"
    with open(side + ".tmp", "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    os.replace(side + ".tmp", side)
    print(f"wrote {a.output} ({spec['kind']}: {out_name} (B,{meta['output_shape'][1]}); "
          f"D={spec['dim']} L={spec['layers']} FFN={spec['ffn']} heads={spec['heads']} "
          f"weight_norm={spec['weight_norm']}) and {side}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
