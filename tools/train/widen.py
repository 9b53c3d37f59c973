#!/usr/bin/python3
"""Widen a checkpoint's encoder without changing what it computes (a Net2Net-style start for a
larger network, instead of many hours from scratch).

    /usr/bin/python3 tools/train/widen.py tools/train/checkpoints/en-small.pt --enc-hidden 256 -o wide.pt
    /usr/bin/python3 tools/train/train.py --init wide.pt ...

Every encoder LSTM gets enc_hidden' >= enc_hidden units. The old units keep their weights. The new
units get the fresh initialisation's incoming weights and biases, scaled by --new-scale, and
every weight that reads a new unit is zero: the next layer's input columns, the layer's own
recurrent columns, the CTC head's, the decoder's (its LSTM input, the attention query's rows and
the output layer's context columns). So the new units are computed but read by nobody and the
widened model's outputs equal the old one's; training can then grow those zero weights (their
gradient is not zero, since the new units' outputs are not), but measured in session 21
(checkpoints/README.md) it hardly does: after 2 000 steps at 2e-4 or 1 500 at 6e-4 their mean |w|
was 0.003-0.008 against 0.11-0.34 for the old units', and the loss equalled the narrow network's.
Splitting units (Net2Net's wider operator) is the next thing to try. The attention divides its scores by
sqrt(enc_hidden), so the old query rows are scaled by sqrt(new / old) to keep the scores.
The result is a slim checkpoint (slim.py's format) at the same step; --check runs both models on
random features and fails unless their outputs agree.
"""
import argparse
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import EarshotModel  # noqa: E402
from slim import slim_state  # noqa: E402


def load(path):
    s = torch.load(path, map_location="cpu")
    m = EarshotModel(**s["config"])
    missing, unexpected = m.load_state_dict({k: v.float() for k, v in s["model"].items()}, strict=False)
    if unexpected or [k for k in missing if not k.startswith("phone_head.")]:
        raise SystemExit(f"widen: {path}: state does not match its config (missing {missing}, unexpected {unexpected})")
    return s, m


def gate_rows(h_old, h_new):
    """Row indices, in the wide LSTM's 4*h_new rows (gates i, f, g, o), of the old units' rows."""
    return torch.cat([torch.arange(h_old) + g * h_new for g in range(4)])


@torch.no_grad()
def widen(old: EarshotModel, h_new: int, new_scale: float, seed: int) -> EarshotModel:
    c = old.cfg
    h = c["enc_hidden"]
    if h_new < h:
        raise SystemExit(f"widen: --enc-hidden {h_new} is below the checkpoint's {h}")
    if c.get("qat"):
        raise SystemExit("widen: a QAT checkpoint's calibrated scales do not carry over; widen the float model")
    torch.manual_seed(seed)
    wide = EarshotModel(**{**c, "enc_hidden": h_new})
    rows = gate_rows(h, h_new)
    wide.feat_mean.copy_(old.feat_mean)
    wide.feat_std.copy_(old.feat_std)
    for k, (lo, lw) in enumerate(zip(old.encoder.lstms, wide.encoder.lstms)):
        for name in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"):
            getattr(lw, name).mul_(new_scale)
        n_in = lo.weight_ih_l0.shape[1]
        lw.weight_ih_l0[:, n_in:] = 0  # inputs from the previous layer's new units
        lw.weight_ih_l0[rows, :n_in] = lo.weight_ih_l0
        lw.weight_hh_l0[:, h:] = 0  # the layer's own new units
        lw.weight_hh_l0[rows, :h] = lo.weight_hh_l0
        lw.bias_ih_l0[rows] = lo.bias_ih_l0
        lw.bias_hh_l0[rows] = lo.bias_hh_l0
    wide.ctc_head.weight.zero_()
    wide.ctc_head.weight[:, :h] = old.ctc_head.weight
    wide.ctc_head.bias.copy_(old.ctc_head.bias)
    od, wd = old.decoder, wide.decoder
    wd.load_state_dict({k: v for k, v in od.state_dict().items()
                        if k not in ("cell.weight_ih", "query.weight", "out.weight")}, strict=False)
    emb = c["emb"]
    wd.cell.weight_ih.zero_()
    wd.cell.weight_ih[:, : emb + h] = od.cell.weight_ih
    wd.query.weight.zero_()
    wd.query.weight[:h] = od.query.weight * math.sqrt(h_new / h)
    hd = c["dec_hidden"]
    wd.out.weight.zero_()
    wd.out.weight[:, : hd + h] = od.out.weight
    if c["phone_layer"]:
        wide.phone_head.weight.zero_()
        wide.phone_head.weight[:, :h] = old.phone_head.weight
        wide.phone_head.bias.copy_(old.phone_head.bias)
    return wide


@torch.no_grad()
def max_difference(a: EarshotModel, b: EarshotModel, frames=300, seed=0) -> float:
    """Largest difference of CTC logits and of teacher-forced decoder logits on random features."""
    g = torch.Generator().manual_seed(seed)
    feats = (torch.rand(2, frames, a.cfg["n_mels"], generator=g) * 60 * 256).short()
    lens = torch.tensor([frames, frames * 2 // 3])
    tgt = torch.randint(1, 29, (2, 12), generator=g)
    out = []
    for m in (a, b):
        m.eval()
        enc, enc_len, ctc = m.encode(feats, lens)
        dec, _ = m.decoder(enc, enc_len, tgt, start=torch.zeros(2))
        out.append((ctc, dec))
    return max(float((x - y).abs().max()) for x, y in zip(out[0], out[1]))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoint")
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--enc-hidden", type=int, required=True, help="encoder LSTM width of the result")
    ap.add_argument("--new-scale", type=float, default=0.5,
                    help="scale of the new units' fresh incoming weights and biases (default 0.5)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--check", action="store_true", help="fail unless the widened model computes what the old one does")
    a = ap.parse_args()
    s, old = load(a.checkpoint)
    wide = widen(old, a.enc_hidden, a.new_scale, a.seed)
    if a.check:
        d = max_difference(old, wide)
        print(f"widen: largest output difference {d:.2e}")
        if d > 1e-3:
            raise SystemExit(f"widen: the widened model differs from {a.checkpoint} by {d:.2e}")
    out = slim_state({"model": wide.state_dict(), "config": wide.cfg, "step": s["step"],
                      "best_cer": s.get("best_cer", float("inf")), "args": s.get("args", {})})
    os.makedirs(os.path.dirname(os.path.abspath(a.output)), exist_ok=True)
    torch.save(out, a.output + ".tmp")
    os.replace(a.output + ".tmp", a.output)
    print(f"widen: {a.output}: encoder {old.cfg['enc_hidden']} -> {a.enc_hidden} units, "
          f"{old.num_parameters()} -> {wide.num_parameters()} parameters, step {s['step']}")


if __name__ == "__main__":
    main()
