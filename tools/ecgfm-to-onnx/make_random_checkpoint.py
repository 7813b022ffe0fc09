#!/usr/bin/env python3
"""Write fairseq-signals-shaped ECG-FM checkpoints filled with random weights.

The layout follows the published files (see README.md): a top-level dict with
"args" (None), "cfg" (a plain dict, as fairseq-signals saves it) and "model"
(an OrderedDict of tensors with the published key names and shapes).

  pretrained  mimic_iv_ecg_physionet_pretrained.pt: keys without prefix, plus the
              training-only mask_emb / quantizer / project_q / final_proj tensors
  finetuned   mimic_iv_ecg_finetuned.pt: encoder keys prefixed "encoder.", plus
              proj.weight (17, D) / proj.bias (17,)

Default sizes are the released base model (768 wide, 12 layers, 3072 FFN, 12 heads,
4 x (256, 2, 2) convs, conv_pos 128 / 16 groups). --small writes a tiny model for
fast tests. --weight-norm new writes the torch parametrization key names
(parametrizations.weight.original0/1) instead of weight_g / weight_v.
"""
import argparse
import collections

import torch


def sizes(small):
    if small:
        return dict(conv_dim=32, n_conv=4, in_d=12, dim=64, layers=2, ffn=128, heads=4,
                    pos_k=16, pos_groups=4, final_dim=16, latent_vars=8, latent_groups=2)
    return dict(conv_dim=256, n_conv=4, in_d=12, dim=768, layers=12, ffn=3072, heads=12,
                pos_k=128, pos_groups=16, final_dim=256, latent_vars=320, latent_groups=2)


def encoder_tensors(s, gen, weight_norm):
    """Encoder state dict (no prefix), in fairseq-signals module order."""
    def r(*shape, scale=None):
        fan_in = shape[-1] if len(shape) > 1 else 1
        if scale is None:
            scale = 1.0 / max(fan_in, 1) ** 0.5
        return torch.randn(*shape, generator=gen) * scale

    d, c = s["dim"], s["conv_dim"]
    t = collections.OrderedDict()
    for i in range(s["n_conv"]):
        cin = s["in_d"] if i == 0 else c
        t[f"feature_extractor.conv_layers.{i}.0.weight"] = r(c, cin, 2, scale=(1.0 / (cin * 2)) ** 0.5)
        if i == 0:
            t["feature_extractor.conv_layers.0.2.weight"] = 1.0 + 0.1 * r(c, scale=1.0)
            t["feature_extractor.conv_layers.0.2.bias"] = 0.1 * r(c, scale=1.0)
    t["layer_norm.weight"] = 1.0 + 0.1 * r(c, scale=1.0)
    t["layer_norm.bias"] = 0.1 * r(c, scale=1.0)
    t["post_extract_proj.weight"] = r(d, c)
    t["post_extract_proj.bias"] = 0.02 * r(d, scale=1.0)
    t["mask_emb"] = torch.rand(d, generator=gen)
    cg = d // s["pos_groups"]
    g = (torch.rand(1, 1, s["pos_k"], generator=gen) + 0.5)
    v = r(d, cg, s["pos_k"], scale=1.0)
    if weight_norm == "old":
        t["conv_pos.pos_conv.0.bias"] = 0.02 * r(d, scale=1.0)
        t["conv_pos.pos_conv.0.weight_g"] = g
        t["conv_pos.pos_conv.0.weight_v"] = v
    else:
        t["conv_pos.pos_conv.0.bias"] = 0.02 * r(d, scale=1.0)
        t["conv_pos.pos_conv.0.parametrizations.weight.original0"] = g
        t["conv_pos.pos_conv.0.parametrizations.weight.original1"] = v
    for i in range(s["layers"]):
        p = f"encoder.layers.{i}."
        for n in ("k_proj", "v_proj", "q_proj", "out_proj"):
            t[p + f"self_attn.{n}.weight"] = r(d, d)
            t[p + f"self_attn.{n}.bias"] = 0.02 * r(d, scale=1.0)
        t[p + "self_attn_layer_norm.weight"] = 1.0 + 0.1 * r(d, scale=1.0)
        t[p + "self_attn_layer_norm.bias"] = 0.1 * r(d, scale=1.0)
        t[p + "fc1.weight"] = r(s["ffn"], d)
        t[p + "fc1.bias"] = 0.02 * r(s["ffn"], scale=1.0)
        t[p + "fc2.weight"] = r(d, s["ffn"])
        t[p + "fc2.bias"] = 0.02 * r(d, scale=1.0)
        t[p + "final_layer_norm.weight"] = 1.0 + 0.1 * r(d, scale=1.0)
        t[p + "final_layer_norm.bias"] = 0.1 * r(d, scale=1.0)
    t["encoder.layer_norm.weight"] = 1.0 + 0.1 * r(d, scale=1.0)
    t["encoder.layer_norm.bias"] = 0.1 * r(d, scale=1.0)
    return t


def model_cfg(s, name):
    return {
        "_name": name,
        "extractor_mode": "default",
        "conv_feature_layers": f"[({s['conv_dim']}, 2, 2)] * {s['n_conv']}",
        "in_d": s["in_d"],
        "conv_bias": False,
        "conv_pos": s["pos_k"],
        "conv_pos_groups": s["pos_groups"],
        "encoder_layers": s["layers"],
        "encoder_embed_dim": s["dim"],
        "encoder_ffn_embed_dim": s["ffn"],
        "encoder_attention_heads": s["heads"],
        "layer_norm_first": False,
        "dropout": 0.0,
        "attention_dropout": 0.0,
        "activation_dropout": 0.0,
        "apply_mask": name != "ecg_transformer_classifier",
    }


def make(kind, small, weight_norm, seed):
    s = sizes(small)
    gen = torch.Generator().manual_seed(seed)
    enc = encoder_tensors(s, gen, weight_norm)
    if kind == "pretrained":
        sd = enc
        d, fd = s["dim"], s["final_dim"]
        nv = s["latent_vars"] * s["latent_groups"]
        sd["quantizer.vars"] = torch.randn(1, nv, fd // s["latent_groups"], generator=gen)
        sd["quantizer.weight_proj.weight"] = torch.randn(nv, s["conv_dim"], generator=gen) * 0.05
        sd["quantizer.weight_proj.bias"] = torch.zeros(nv)
        sd["project_q.weight"] = torch.randn(fd, fd, generator=gen) * 0.05
        sd["project_q.bias"] = torch.zeros(fd)
        sd["final_proj.weight"] = torch.randn(fd, d, generator=gen) * 0.05
        sd["final_proj.bias"] = torch.zeros(fd)
        cfg_model = model_cfg(s, "wav2vec2_cmsc")
        cfg_model.update({"quantize_targets": True, "final_dim": s["final_dim"],
                          "latent_vars": s["latent_vars"], "latent_groups": s["latent_groups"]})
    else:
        sd = collections.OrderedDict()
        for k, v in enc.items():
            if k == "mask_emb":
                continue  # absent unless the finetune cfg had apply_mask: true
            sd["encoder." + k] = v
        sd["proj.weight"] = torch.randn(17, s["dim"], generator=gen) / s["dim"] ** 0.5
        sd["proj.bias"] = 0.1 * torch.randn(17, generator=gen)
        cfg_model = model_cfg(s, "ecg_transformer_classifier")
        cfg_model.update({"num_labels": 17, "model_path": "mimic_iv_ecg_physionet_pretrained.pt",
                          "no_pretrained_weights": False, "final_dropout": 0.0})
    return {
        "args": None,
        "cfg": {
            "common": {"seed": seed},
            "task": {"_name": "ecg_pretraining" if kind == "pretrained" else "ecg_classification",
                     "normalize": False, "sample_rate": 500},
            "model": cfg_model,
        },
        "model": sd,
        "criterion": None,
        "optimizer_history": [],
        "task_state": {},
        "extra_state": {},
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("kind", choices=["pretrained", "finetuned"])
    ap.add_argument("output")
    ap.add_argument("--small", action="store_true", help="tiny width/depth for fast tests")
    ap.add_argument("--weight-norm", choices=["old", "new"], default="old",
                    help="pos-conv key names: weight_g/weight_v (old) or parametrizations (new)")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    ckpt = make(a.kind, a.small, a.weight_norm, a.seed)
    torch.save(ckpt, a.output)
    n = sum(v.numel() for v in ckpt["model"].values())
    print(f"wrote {a.output}: {a.kind}, {len(ckpt['model'])} tensors, {n} parameters")


if __name__ == "__main__":
    main()
