"""Training data in memory: shard loading, feature statistics, length-bucketed batches.

Shards are written by make_dataset.py (format: shards.py). Features stay as stored (int8
by default, a quarter of the int16 size in RAM) and become Q8 dB int16 per batch (as_q8).
"""
import random

import numpy as np

import shards


def as_q8(f):
    """Shard features (int8 0.5 dB steps or int16 Q8) -> int16 Q8 dB, as the device computes."""
    return shards.int8_to_q8(f) if f.dtype == np.int8 else f.astype(np.int16)


def load_split(folder):
    items = []
    paths = shards.shard_paths(folder)
    if not paths:
        raise SystemExit(f"no shards (shard-*.npz) in {folder}")
    for path in paths:
        feats, texts = shards.read_shard(path)
        for f, t in zip(feats, texts):
            if len(f) >= 6:  # shorter than two encoder frames: nothing to learn
                items.append((f, t))
    return items


def feature_stats(items, max_items=5000):
    """Per-band mean and standard deviation in dB over (a sample of) the training set."""
    sample = items if len(items) <= max_items else random.Random(0).sample(items, max_items)
    x = np.concatenate([as_q8(f) for f, _ in sample]).astype(np.float64) / 256.0
    return x.mean(0).astype(np.float32), np.maximum(x.std(0), 1.0).astype(np.float32)


def length_batches(items, batch_frames, rng, rank=0, world=1):
    """Endless batches of similar-length utterances, about batch_frames frames each (padding
    included); each rank sees a disjoint share."""
    order = sorted(range(len(items)), key=lambda i: len(items[i][0]))
    while True:
        batches, cur, cur_max = [], [], 0
        for i in order:
            n = len(items[i][0])
            if cur and max(cur_max, n) * (len(cur) + 1) > batch_frames:
                batches.append(cur)
                cur, cur_max = [], 0
            cur.append(i)
            cur_max = max(cur_max, n)
        if cur:
            batches.append(cur)
        rng.shuffle(batches)
        batches = batches[: len(batches) // world * world] or batches
        for b in batches[rank::world]:
            yield [items[i] for i in b]
