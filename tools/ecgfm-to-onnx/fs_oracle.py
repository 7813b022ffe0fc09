#!/usr/bin/env python3
"""Optional second oracle: run the ORIGINAL fairseq-signals modules on a checkpoint.

Needs only a source checkout of https://github.com/Jwoo5/fairseq-signals (no install, no
hydra/omegaconf): the package root and fairseq_signals.distributed are stubbed, and only
fairseq_signals/modules/*.py are imported. The model is assembled the way
ECGTransformerModel / ECGTransformerClassificationModel do it (feature_extractor ->
layer_norm -> post_extract_proj -> x + conv_pos(x) -> encoder -> pooled [-> proj]) and the
state dict is loaded with strict=True.

Usage: fs_oracle.py FAIRSEQ_SIGNALS_CHECKOUT CHECKPOINT INPUT.npy OUTPUT.npy
"""
import os
import sys
import types

import numpy as np
import torch


def import_fs_modules(root):
    pkg = types.ModuleType("fairseq_signals")
    pkg.__path__ = [os.path.join(root, "fairseq_signals")]
    dist = types.ModuleType("fairseq_signals.distributed")
    dist.__path__ = []
    dist.utils = types.ModuleType("fairseq_signals.distributed.utils")
    sys.modules.update({"fairseq_signals": pkg, "fairseq_signals.distributed": dist,
                        "fairseq_signals.distributed.utils": dist.utils})
    import fairseq_signals.modules as m
    return m


class Model(torch.nn.Module):
    def __init__(self, m, cfg, num_labels):
        super().__init__()
        a = types.SimpleNamespace(**cfg)
        a.saliency = False
        a.encoder_layerdrop = 0.0
        a.dropout = a.attention_dropout = a.activation_dropout = 0.0
        layers = eval(cfg["conv_feature_layers"])
        self.feature_extractor = m.ConvFeatureExtraction(conv_layers=layers, in_d=cfg["in_d"], dropout=0.0,
                                                         mode=cfg.get("extractor_mode", "default"),
                                                         conv_bias=cfg.get("conv_bias", False))
        self.layer_norm = m.LayerNorm(layers[-1][0])
        self.post_extract_proj = torch.nn.Linear(layers[-1][0], cfg["encoder_embed_dim"])
        self.conv_pos = m.ConvPositionalEncoding(a)
        self.encoder = m.TransformerEncoder(a)
        self.proj = torch.nn.Linear(cfg["encoder_embed_dim"], num_labels) if num_labels else None

    def forward(self, source):
        f = self.layer_norm(self.feature_extractor(source).transpose(1, 2))
        x = self.post_extract_proj(f)
        x = x + self.conv_pos(x, channel_first=False)
        x = self.encoder(x)["x"]
        x = torch.div(x.sum(dim=1), (x != 0).sum(dim=1))
        return self.proj(x) if self.proj is not None else x


def main():
    if len(sys.argv) != 5:
        print(__doc__, file=sys.stderr)
        return 2
    m = import_fs_modules(sys.argv[1])
    ck = torch.load(sys.argv[2], map_location="cpu", weights_only=True)
    sd, cfg = ck["model"], ck["cfg"]["model"]
    finetuned = "proj.weight" in sd
    model = Model(m, cfg, sd["proj.weight"].shape[0] if finetuned else 0).eval()
    if finetuned:
        sd = {(k[len("encoder."):] if k.startswith("encoder.") else k): v for k, v in sd.items()}
    sd = {k: v for k, v in sd.items()
          if not k.startswith(("mask_emb", "quantizer.", "project_q.", "final_proj."))}
    # this checkout uses torch's parametrized weight norm; old weight_g/weight_v names map onto it
    ren = {"conv_pos.pos_conv.0.weight_g": "conv_pos.pos_conv.0.parametrizations.weight.original0",
           "conv_pos.pos_conv.0.weight_v": "conv_pos.pos_conv.0.parametrizations.weight.original1"}
    sd = {ren.get(k, k): v for k, v in sd.items()}
    model.load_state_dict(sd, strict=True)
    with torch.no_grad():
        out = model(torch.from_numpy(np.load(sys.argv[3]))).double().numpy()
    np.save(sys.argv[4], out)
    print(f"fairseq-signals output {out.shape} written to {sys.argv[4]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
