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
So --split copies units instead (Net2Net's wider operator): each new unit copies an old one's
incoming rows, and every weight that reads the old unit is shared between the two in unequal parts;
the function is exact again and every unit is heard from the first step. The attention divides its scores by
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


def split_plan(h_old: int, h_new: int, gen: torch.Generator):
    """Net2Net's wider operator for one layer: src[i] is the old unit that wide unit i copies (the
    old units first, then h_new - h_old copies of distinct old units while they last), share[i]
    the part of every weight that reads the old unit that unit i takes over (a group's shares sum
    to 1; unequal, drawn from [0.5, 1.5] before normalising, so the copies' gradients differ)."""
    extra = torch.cat([torch.randperm(h_old, generator=gen) for _ in range(-(-(h_new - h_old) // h_old))])
    src = torch.cat([torch.arange(h_old), extra[: h_new - h_old]])
    raw = 0.5 + torch.rand(h_new, generator=gen)
    total = torch.zeros(h_old).index_add_(0, src, raw)
    return src, raw / total[src]


def silent_plan(h_old: int, h_new: int):
    """The plan of units nobody reads: the old units keep all of their readers' weight (share 1),
    the new ones get none (share 0; their src is only a placeholder, since 0 x any column is 0)."""
    src = torch.cat([torch.arange(h_old), torch.zeros(h_new - h_old, dtype=torch.long)])
    return src, (torch.arange(h_new) < h_old).float()


def take_rows(w, src, h_old, h_new):
    """An LSTM's 4*h_old gate rows (i, f, g, o) -> 4*h_new, wide unit i's rows copying unit src[i]'s."""
    return torch.cat([w[g * h_old + src] for g in range(4)])


def split_cols(w, offset, h_old, src, share):
    """Columns [offset, offset + h_old) of w (readers of an old layer) -> one per wide unit, scaled
    by its share; the columns before and after the block are kept."""
    return torch.cat([w[:, :offset], w[:, offset + src] * share, w[:, offset + h_old:]], 1)


@torch.no_grad()
def widen(old: EarshotModel, h_new: int, seed: int, split: bool = False, new_scale: float = 0.5) -> EarshotModel:
    """The encoder widened to h_new units a layer, computing what the old one did. split: new units
    copy old ones (split_plan); else they are new (the fresh initialisation's incoming rows scaled
    by new_scale) and silent (silent_plan). Either way every weight that reads a layer's units is
    given out by the layer's plan."""
    c = old.cfg
    h = c["enc_hidden"]
    if h_new < h:
        raise SystemExit(f"widen: --enc-hidden {h_new} is below the checkpoint's {h}")
    if c.get("qat"):
        raise SystemExit("widen: a QAT checkpoint's calibrated scales do not carry over; widen the float model")
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    wide = EarshotModel(**{**c, "enc_hidden": h_new})
    wide.feat_mean.copy_(old.feat_mean)
    wide.feat_std.copy_(old.feat_std)
    new_rows = (torch.arange(4 * h_new) % h_new) >= h  # the new units' gate rows
    plans = []
    for k, (lo, lw) in enumerate(zip(old.encoder.lstms, wide.encoder.lstms)):
        src, share = split_plan(h, h_new, gen) if split else silent_plan(h, h_new)
        for name in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"):
            w_old = getattr(lo, name)
            w = take_rows(w_old if w_old.dim() == 2 else w_old[:, None], src, h, h_new)
            if not split:  # fresh incoming rows (their columns for the old units and the input)
                fresh = getattr(lw, name) * new_scale
                w[new_rows] = (fresh if fresh.dim() == 2 else fresh[:, None])[new_rows, : w.shape[1]]
            if name == "weight_hh_l0":
                w = split_cols(w, 0, h, src, share)
            elif name == "weight_ih_l0" and k > 0:  # reads the previous layer's units
                w = split_cols(w, 0, h, *plans[-1])
            getattr(lw, name).copy_(w if w_old.dim() == 2 else w[:, 0])
        plans.append((src, share))
    src, share = plans[-1]  # the encoder's output: read by the CTC head and the decoder
    wide.ctc_head.weight.copy_(split_cols(old.ctc_head.weight, 0, h, src, share))
    wide.ctc_head.bias.copy_(old.ctc_head.bias)
    od, wd = old.decoder, wide.decoder
    wd.load_state_dict({k: v for k, v in od.state_dict().items()
                        if k not in ("cell.weight_ih", "query.weight", "out.weight")}, strict=False)
    wd.cell.weight_ih.copy_(split_cols(od.cell.weight_ih, c["emb"], h, src, share))  # the context's part
    # The query's rows meet the keys' copies: q_i k_i + q_j k_j must stay q k, and the scores are
    # divided by sqrt(enc_hidden), which grew.
    wd.query.weight.copy_(od.query.weight[src] * share[:, None] * math.sqrt(h_new / h))
    wd.out.weight.copy_(split_cols(od.out.weight, c["dec_hidden"], h, src, share))
    if c["phone_layer"]:
        wide.phone_head.weight.copy_(split_cols(old.phone_head.weight, 0, h, *plans[c["phone_layer"] - 1]))
        wide.phone_head.bias.copy_(old.phone_head.bias)
    return wide


@torch.no_grad()
def max_difference(a: EarshotModel, b: EarshotModel, frames=300, seed=0) -> float:
    """Largest difference of CTC logits and of teacher-forced decoder logits on random features,
    relative to the largest logit."""
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
    # Relative to the outputs' own size: a tiny random network's logits are small, and a wrong
    # query scale there moves them by only 1e-4 absolute.
    return max(float((x - y).abs().max() / x.abs().max().clamp(min=1e-6)) for x, y in zip(out[0], out[1]))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoint")
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--enc-hidden", type=int, required=True, help="encoder LSTM width of the result")
    ap.add_argument("--new-scale", type=float, default=0.5,
                    help="scale of the new units' fresh incoming weights and biases (default 0.5)")
    ap.add_argument("--split", action="store_true",
                    help="copy existing units (Net2Net) instead of adding silent ones (--new-scale is then unused)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--check", action="store_true", help="fail unless the widened model computes what the old one does")
    a = ap.parse_args()
    s, old = load(a.checkpoint)
    wide = widen(old, a.enc_hidden, a.seed, split=a.split, new_scale=a.new_scale)
    if a.check:
        d = max_difference(old, wide)
        print(f"widen: largest output difference {d:.2e} of the largest output")
        if d > 1e-5:
            raise SystemExit(f"widen: the widened model differs from {a.checkpoint} by {d:.2e}")
    out = slim_state({"model": wide.state_dict(), "config": wide.cfg, "step": s["step"],
                      "best_cer": s.get("best_cer", float("inf")), "args": s.get("args", {})})
    os.makedirs(os.path.dirname(os.path.abspath(a.output)), exist_ok=True)
    torch.save(out, a.output + ".tmp")
    os.replace(a.output + ".tmp", a.output)
    print(f"widen: {a.output}: encoder {old.cfg['enc_hidden']} -> {a.enc_hidden} units"
          f"{' (split)' if a.split else ''}, "
          f"{old.num_parameters()} -> {wide.num_parameters()} parameters, step {s['step']}")


if __name__ == "__main__":
    main()
