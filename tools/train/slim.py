#!/usr/bin/python3
"""Shrink a training checkpoint for git: float16 weights, config, step and best dev CER,
without optimiser state (train.py --init warms the learning rate up again).

    /usr/bin/python3 tools/train/slim.py .cache/runs/en-small/last.pt -o tools/train/checkpoints/en-small.pt
"""
import argparse
import os

import torch


def slim_state(s):
    """A training checkpoint's state without the optimiser, weights in float16 (features' stats kept)."""
    return {"model": {k: (v.half() if v.is_floating_point() and not k.startswith("feat_") else v)
                      for k, v in s["model"].items()},
            "config": s["config"], "step": s["step"], "best_cer": s.get("best_cer", float("inf")),
            "args": s.get("args", {})}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoint")
    ap.add_argument("-o", "--output", required=True)
    a = ap.parse_args()
    s = torch.load(a.checkpoint, map_location="cpu")
    slim = slim_state(s)
    os.makedirs(os.path.dirname(os.path.abspath(a.output)), exist_ok=True)
    torch.save(slim, a.output + ".tmp")
    os.replace(a.output + ".tmp", a.output)
    print(f"slim: {a.output} ({os.path.getsize(a.output) / 1e6:.1f} MB, step {s['step']})")


if __name__ == "__main__":
    main()
