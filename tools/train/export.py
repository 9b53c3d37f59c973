#!/usr/bin/python3
"""Export a training checkpoint to safetensors for `earshot-pack pack`.

    /usr/bin/python3 tools/train/export.py runs/en-small/best.pt -o en-small.safetensors

The file holds the float weights (float32, PyTorch names), the per-band feature
normalisation, and in `__metadata__` (all values strings, as safetensors requires):
format, hyperparameters (JSON), vocabulary, front-end config (JSON), parameter count and
training step. Quantisation happens in earshot-pack, following lib/kernels/NUMERICS.md.
"""
import argparse
import json
import os
import struct
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import VOCAB, EarshotModel  # noqa: E402

# Must equal lib/frontend/config.h defaults: the features the model was trained on.
FRONTEND = dict(sample_rate_hz=16000, window_samples=400, hop_samples=160, fft_size=512,
                num_mels=40, mel_low_hz=20, mel_high_hz=7600, floor_db_q8=-40 * 256)


def write_safetensors(path, tensors, metadata):
    header, blobs, off = {}, [], 0
    for name, arr in tensors.items():
        arr = np.ascontiguousarray(arr)
        dt = {np.dtype(np.float32): "F32", np.dtype(np.int8): "I8", np.dtype(np.int16): "I16",
              np.dtype(np.int32): "I32"}[arr.dtype]
        b = arr.tobytes()
        header[name] = {"dtype": dt, "shape": list(arr.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    header["__metadata__"] = {k: str(v) for k, v in metadata.items()}
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def export(ckpt_path, out_path):
    state = torch.load(ckpt_path, map_location="cpu")
    model = EarshotModel(**state["config"])
    model.load_state_dict(state["model"])
    tensors = {}
    for name, t in model.state_dict().items():
        a = t.detach().float().numpy()
        if not np.isfinite(a).all():
            raise SystemExit(f"export: {name} has NaN/Inf values; refusing to export")
        tensors[name] = a.astype(np.float32)
    meta = {
        "format": "earshot-checkpoint-v1",
        "config": json.dumps(model.cfg),
        "vocab": json.dumps(VOCAB),
        "frontend": json.dumps(FRONTEND),
        "parameters": model.num_parameters(),
        "step": state.get("step", 0),
    }
    write_safetensors(out_path, tensors, meta)
    return model.num_parameters()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoint")
    ap.add_argument("-o", "--output", required=True)
    a = ap.parse_args()
    n = export(a.checkpoint, a.output)
    print(f"export: {a.output} ({n} parameters)")


if __name__ == "__main__":
    main()
