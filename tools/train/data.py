"""Feature shards for training: loading, statistics and length-bucketed batches.

A split folder holds shards `*.npz`, each with
    feats   int16 [sum(frames) x 40]  Q8 dB features from the C++ front-end (value/256 = dB)
    offsets int64 [n + 1]             utterance i is feats[offsets[i]:offsets[i+1]]
    texts   str   [n]                 normalised transcript (a-z, space, apostrophe; "" = none)
"""
import glob
import os
import random

import numpy as np


def load_split(folder):
    items = []
    paths = sorted(glob.glob(os.path.join(folder, "*.npz")))
    if not paths:
        raise SystemExit(f"no shards (*.npz) in {folder}")
    for path in paths:
        with np.load(path, allow_pickle=False) as z:
            feats, offs, texts = z["feats"], z["offsets"], z["texts"]
            for i in range(len(texts)):
                f = feats[offs[i]:offs[i + 1]]
                if len(f) >= 6:  # shorter than one encoder frame pair: nothing to learn
                    items.append((f, str(texts[i])))
    return items


def feature_stats(items, max_items=5000):
    """Per-band mean and standard deviation in dB over (a sample of) the training set."""
    sample = items if len(items) <= max_items else random.Random(0).sample(items, max_items)
    x = np.concatenate([f for f, _ in sample]).astype(np.float64) / 256.0
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
