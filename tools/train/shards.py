"""Feature shards: the C++ front-end's features, compactly stored, and their reader.

Features come from ``build/host/bin/earshot features`` (the device front-end):
int16 Q8 dB, frames x 40 mels, 10 ms hop; value / 256 = dB, floor -40 dB.

int8 mapping (default, ``dtype=int8``; 0.5 dB steps covering -40 .. +87.5 dB):

    int8  = clamp(((q8 + 64) >> 7) - 48, -128, 127)     # round(q8 / 128) - 48
    dB    = (int8 + 48) / 2
    q8   ~= (int8 + 48) * 128                          # |error| <= 64 (0.25 dB)

so the floor -40 dB (q8 = -10240) maps to -128 exactly. Full-scale sine reaches
about +77 dB, white noise at full scale about +64 dB; values above 87.5 dB clamp.
``dtype=int16`` keeps the front-end's values bit for bit (about twice the size).

Shard ``shard-NNNNN.npz`` (``numpy.savez_compressed``):
    feats    int8 or int16 [total_frames, 40]   all utterances, concatenated
    offsets  int64 [n + 1]                      utterance i = feats[offsets[i]:offsets[i+1]]
    texts    unicode [n]                        labels ("" for silence / noise-only)
    format   str                                "earshot-feats-v1 int8" / "... int16"
Beside it ``shard-NNNNN.jsonl``: one JSON object per utterance (same order) with
text, kind, voice, tts and augmentation parameters, frames, seconds.
"""
from __future__ import annotations

import glob
import json
import os

import numpy as np

FORMAT = "earshot-feats-v1"
NUM_MELS = 40
INT8_OFFSET = 48     # int8 = round(q8 / 128) - 48
INT8_STEP_Q8 = 128   # one int8 step = 128 Q8 = 0.5 dB
FLOOR_Q8 = -40 * 256


def q8_to_int8(q8: np.ndarray) -> np.ndarray:
    q = (q8.astype(np.int32) + INT8_STEP_Q8 // 2) >> 7
    return np.clip(q - INT8_OFFSET, -128, 127).astype(np.int8)


def int8_to_q8(x: np.ndarray) -> np.ndarray:
    return ((x.astype(np.int32) + INT8_OFFSET) * INT8_STEP_Q8).astype(np.int16)


def to_db(feats: np.ndarray) -> np.ndarray:
    """float32 dB from an int8 or int16 (Q8) feature array."""
    if feats.dtype == np.int8:
        return (feats.astype(np.float32) + INT8_OFFSET) * 0.5
    return feats.astype(np.float32) / 256.0


def write_shard(path: str, feats: list, texts: list, records: list, dtype: str = "int8") -> int:
    """Write shard npz + jsonl atomically (npz last: its presence marks the shard done)."""
    assert len(feats) == len(texts) == len(records)
    conv = [q8_to_int8(f) if dtype == "int8" else f.astype(np.int16) for f in feats]
    for f in conv:
        assert f.ndim == 2 and f.shape[1] == NUM_MELS, f.shape
    offsets = np.zeros(len(conv) + 1, np.int64)
    offsets[1:] = np.cumsum([len(f) for f in conv])
    allf = np.concatenate(conv) if conv else np.zeros((0, NUM_MELS), np.int8 if dtype == "int8" else np.int16)
    base = path[:-4] if path.endswith(".npz") else path
    name = os.path.basename(base) + ".npz"
    with open(base + ".jsonl.tmp", "w") as fo:
        for i, r in enumerate(records):
            r = dict(r, shard=name, index=i, frames=int(len(conv[i])))
            fo.write(json.dumps(r, sort_keys=False) + "\n")
    os.replace(base + ".jsonl.tmp", base + ".jsonl")
    tmp = base + ".tmp.npz"
    np.savez_compressed(tmp, feats=allf, offsets=offsets, texts=np.array(texts, dtype=str),
                        format=np.array(f"{FORMAT} {dtype}"))
    os.replace(tmp, base + ".npz")
    return os.path.getsize(base + ".npz")


def read_shard(path: str):
    """-> (list of feature arrays (int8 or int16, frames x 40), list of texts)."""
    with np.load(path, allow_pickle=False) as z:
        fmt = str(z["format"])
        if not fmt.startswith(FORMAT):
            raise ValueError(f"{path}: unknown shard format {fmt!r}")
        feats, off, texts = z["feats"], z["offsets"], [str(t) for t in z["texts"]]
    return [feats[off[i]:off[i + 1]] for i in range(len(texts))], texts


def shard_paths(d: str) -> list:
    return sorted(p for p in glob.glob(os.path.join(d, "shard-*.npz")) if not p.endswith(".tmp.npz"))


def iter_dataset(d: str):
    """Yield (features, text) over every shard of a directory, in order."""
    for p in shard_paths(d):
        feats, texts = read_shard(p)
        yield from zip(feats, texts)


def merge_manifests(d: str) -> int:
    """Rebuild d/manifest.jsonl from the per-shard jsonl files; returns the line count."""
    n = 0
    with open(os.path.join(d, "manifest.jsonl.tmp"), "w") as fo:
        for p in shard_paths(d):
            with open(p[:-4] + ".jsonl") as fi:
                for line in fi:
                    fo.write(line)
                    n += 1
    os.replace(os.path.join(d, "manifest.jsonl.tmp"), os.path.join(d, "manifest.jsonl"))
    return n
