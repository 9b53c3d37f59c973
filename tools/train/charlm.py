#!/usr/bin/python3
"""Build the character n-gram language model that beam search fuses with the
acoustic scores (lib/model/MODEL.md "Character LM"), from the training text only:
template commands (text.py, split 'train'), the 'train' split of Debian's `fortunes`
sentences and, with --manifest, the transcripts of real training speakers
(.cache/real/split/train.jsonl). Never from held-out text: a dev manifest is only for
--dev-manifest's report.

    /usr/bin/python3 tools/train/charlm.py -o lm.safetensors [--order 7] [--contexts 16384]
                     [--manifest train.jsonl --manifest-copies K] [--dev-manifest dev.jsonl]
    build/host/bin/earshot-pack pack model.safetensors --lm lm.safetensors -o model.esm

The model is interpolated Witten-Bell over tokens of the model's VOCAB (token 0,
<eos>, also marks the sentence start in a context). It is stored pruned to the
`--contexts` most frequent contexts, each with its full next-token distribution
(so a lookup is one binary search per context length, longest first, and every
stored row is a proper distribution), as
  lm.keys  I32 [K]     context keys, ascending: the context's tokens, oldest
                       first, as base-32 digits (token + 1), the newest least
                       significant, so the key of a suffix of length L is the
                       key mod 32^L; the empty context is key 0
  lm.logp  U8  [K, V]  -ln P(token | context) in 1/16 nat, capped at 255
metadata lm.order (the n of the n-gram), vocab, and lm.info.
It prints the bits per character of the full and of the pruned model on the
dev split of both text sources.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import random
import struct
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import text as textmod  # noqa: E402
from model import CHAR_TO_ID, VOCAB  # noqa: E402

V = len(VOCAB)
DIGIT = 32  # a key digit: token + 1 <= V <= 31
Q_PER_NAT = 16


def tokens_of(sentence: str) -> list[int]:
    return [CHAR_TO_ID[c] for c in sentence]


def corpus(split: str, n_commands: int, seed: int, general_copies: int = 1) -> list[list[int]]:
    r = random.Random(seed)
    out = [tokens_of(textmod.command_sentence(r, split)) for _ in range(n_commands)]
    out += [tokens_of(s) for s in textmod.general_for_split(split)] * general_copies
    return out


def manifest_texts(path: str) -> list[list[int]]:
    """The "text" of every line of a JSONL manifest (make_dataset.py --manifest's format), already
    normalised by the converters; a character outside the model's vocabulary is an error naming
    the line, since the LM must not learn text the network can never write."""
    out = []
    with open(path, encoding="utf-8") as f:
        for i, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                t = json.loads(line)["text"]
            except (ValueError, KeyError, TypeError) as e:
                raise SystemExit(f"charlm: {path}:{i}: not a manifest line with a \"text\" ({e})")
            bad = sorted({c for c in t if c not in CHAR_TO_ID})
            if bad:
                raise SystemExit(f"charlm: {path}:{i}: characters outside the vocabulary: {bad!r}")
            if t:
                out.append(tokens_of(t))
    if not out:
        raise SystemExit(f"charlm: {path}: no texts")
    return out


def count(sents: list[list[int]], order: int) -> dict[int, np.ndarray]:
    """counts[key] = next-token counts after that context (all lengths 0..order-1)."""
    counts: dict[int, np.ndarray] = {}
    for toks in sents:
        hist = [0] + toks
        for i, nxt in enumerate(toks + [0]):
            pos = i + 1  # predicting hist-position pos from hist[:pos]
            key = 0
            for L in range(0, min(order - 1, pos) + 1):
                if L > 0:
                    key += (hist[pos - L] + 1) * DIGIT ** (L - 1)
                row = counts.get(key)
                if row is None:
                    row = counts[key] = np.zeros(V, np.int64)
                row[nxt] += 1
    return counts


def suffix(key: int, L: int) -> int:
    return key % DIGIT ** L


def length_of(key: int) -> int:
    n = 0
    while key:
        key //= DIGIT
        n += 1
    return n


def witten_bell(counts: dict[int, np.ndarray]) -> dict[int, np.ndarray]:
    """Interpolated Witten-Bell distribution of every counted context."""
    probs: dict[int, np.ndarray] = {}
    for key in sorted(counts, key=lambda k: (length_of(k), k)):  # shorter contexts first
        c = counts[key].astype(np.float64)
        L = length_of(key)
        lower = probs[suffix(key, L - 1)] if L > 0 else np.full(V, 1.0 / V)
        n, t = c.sum(), float((c > 0).sum())
        probs[key] = (c + t * lower) / (n + t)
    return probs


def lookup(table: dict[int, np.ndarray], hist: list[int], order: int) -> np.ndarray:
    """The longest stored suffix context's row (hist: [0] + tokens so far)."""
    L = min(order - 1, len(hist))
    key = 0
    for j in range(L):
        key += (hist[len(hist) - 1 - j] + 1) * DIGIT ** j
    for l in range(L, -1, -1):
        row = table.get(suffix(key, l))
        if row is not None:
            return row
    raise AssertionError("the empty context is always stored")


def bits_per_char(sents: list[list[int]], table: dict[int, np.ndarray], order: int, neglog: bool) -> float:
    tot, n = 0.0, 0
    for toks in sents:
        hist = [0]
        for nxt in toks + [0]:
            row = lookup(table, hist, order)
            tot += row[nxt] / Q_PER_NAT if neglog else -math.log(row[nxt])
            n += 1
            hist.append(nxt)
    return tot / n / math.log(2)


def write_safetensors(path: str, tensors: dict[str, tuple[str, np.ndarray]], meta: dict[str, str]) -> None:
    header, blobs, off = {"__metadata__": meta}, [], 0
    for name, (dtype, arr) in tensors.items():
        b = np.ascontiguousarray(arr).tobytes()
        header[name] = {"dtype": dtype, "shape": list(arr.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    tmp = path + f".tmp.{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))
    os.replace(tmp, path)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-o", "--out", required=True, help="LM file to write (.safetensors)")
    p.add_argument("--order", type=int, default=7, help="n of the n-gram, 1..7")
    p.add_argument("--contexts", type=int, default=16384, help="contexts kept (most frequent first)")
    p.add_argument("--commands", type=int, default=200000, help="template command sentences")
    p.add_argument("--general-copies", type=int, default=1,
                   help="count each general sentence this many times (balances the two sources)")
    p.add_argument("--manifest", action="append", default=[],
                   help="also count the texts of this JSONL manifest (training speakers' transcripts only; "
                        "repeatable)")
    p.add_argument("--manifest-copies", type=int, default=1, help="count each manifest text this many times")
    p.add_argument("--dev-manifest", action="append", default=[],
                   help="report bits per character on this manifest's texts too (e.g. the real dev characters)")
    p.add_argument("--seed", type=int, default=5)
    a = p.parse_args()
    if not 1 <= a.order <= 7:
        p.error("--order must be 1..7 (a key holds at most 6 tokens of context)")
    if a.contexts < 1:
        p.error("--contexts must be at least 1")

    t0 = time.time()
    train = corpus("train", a.commands, a.seed, a.general_copies)
    n_manifest = 0
    for path in a.manifest:
        texts = manifest_texts(path)
        n_manifest += len(texts)
        train += texts * a.manifest_copies
    print(f"charlm: {len(train)} training sentences ({a.commands} commands, general x{a.general_copies}, "
          f"{n_manifest} manifest texts x{a.manifest_copies}), {sum(len(s) + 1 for s in train)} characters",
          flush=True)
    counts = count(train, a.order)
    probs = witten_bell(counts)
    print(f"charlm: {len(counts)} contexts up to length {a.order - 1} ({time.time() - t0:.0f} s)", flush=True)
    kept = sorted(counts, key=lambda k: (-int(counts[k].sum()), k))[: a.contexts]
    kept.sort()
    assert kept[0] == 0
    keys = np.array(kept, np.int64)
    assert keys.max() < 2**31
    logp = np.array([np.minimum(255, np.round(-np.log(probs[k]) * Q_PER_NAT)) for k in kept], np.uint8)
    pruned = {int(k): row.astype(np.float64) for k, row in zip(kept, logp)}

    r = random.Random(a.seed + 1)
    dev_cmd = [tokens_of(textmod.command_sentence(r, "dev")) for _ in range(2000)]
    dev_gen = [tokens_of(s) for s in textmod.general_for_split("dev")[:2000]]
    report = []
    dev_sets = [("commands", dev_cmd), ("general", dev_gen)]
    dev_sets += [(os.path.basename(path), manifest_texts(path)) for path in a.dev_manifest]
    for name, sents in dev_sets:
        full = bits_per_char(sents, probs, a.order, False)
        small = bits_per_char(sents, pruned, a.order, True)
        report.append(f"{name} {full:.3f} -> {small:.3f}")
    info = (f"char {a.order}-gram, interpolated Witten-Bell, {len(kept)} of {len(counts)} contexts; "
            f"dev bits/char full -> stored: " + ", ".join(report))
    print(f"charlm: {info}", flush=True)
    write_safetensors(a.out, {"lm.keys": ("I32", keys.astype(np.int32)), "lm.logp": ("U8", logp)},
                      {"lm.order": str(a.order), "vocab": json.dumps(VOCAB), "lm.info": info})
    print(f"charlm: wrote {a.out} ({os.path.getsize(a.out)} bytes, {time.time() - t0:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
