#!/usr/bin/python3
"""Drascula: The Vampire Strikes Back (Debian's `drascula`): voice clips and their English lines.

    /usr/bin/python3 tools/train/real_drascula.py --out .cache/real [--src /usr/share/scummvm/drascula/en]

Voices: `<prefix><N>.ALS`, raw unsigned 8-bit mono at 11 025 Hz. Text: ScummVM's engine data
`drascula.dat` (version 6, big-endian): the magic, a version byte, 13 tables the engine needs
(each a u16 count of fixed-size records), a u16 language count, then 15 text tables. A text
table is a u16 entry count and, per language, a u16 byte length and a block in which entry i > 0
starts where entry i-1 started plus the u16 just before entry i-1 (entry 1: 4 plus the u16 at 2);
entries are NUL-terminated latin-1 (language 0 is English).

Who speaks (ScummVM's talk.cpp): the prefix picks the table and the character; a bare number
is the player, John Hacker. `D` lines from index 68 on belong to the blind man (TEXTD_START).
`S*` and `F*` files are sound effects and carry no text.
"""
from __future__ import annotations

import os
import re
import struct
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import realspeech  # noqa: E402
from realspeech import ArchiveError, Clip  # noqa: E402

SRC = "/usr/share/scummvm/drascula/en"
RATE = 11025
MAGIC = b"DRASCULA"
VERSION = 6
# Record sizes of the engine tables before the texts, in file order: charmap, item locations,
# polygon x/y, verb bar x, menu x/y, frame x, candles, pianist, drunk, room pre-updates, room
# updates, room actions, talk sequences.
RECORD_SIZES = (4, 4, 4, 2, 4, 2, 4, 2, 2, 20, 20, 10, 8)
TABLES = ("text", "textd", "textb", "textbj", "texte", "texti", "textl", "textp", "textt", "textvb",
          "textsys", "texthis", "textverbs", "textmisc", "textd1")
# File prefix -> (table, character).
PREFIXES = {"": ("text", "hacker"), "D": ("textd", "drascula"), "I": ("texti", "igor"), "T": ("textt", "bartender"),
            "BJ": ("textbj", "bj"), "P": ("textp", "pianist"), "B": ("textb", "drunk"), "VB": ("textvb", "vonbraun"),
            "L": ("textl", "wolf"), "E": ("texte", "mus")}
TEXTD_START = 68


def read_texts(path: str, lang: int = 0) -> dict[str, list[str]]:
    with open(path, "rb") as f:
        d = f.read()
    p = 0

    def u16(what: str) -> int:
        nonlocal p
        if p + 2 > len(d):
            raise ArchiveError(path, p, f"truncated: {what} runs past the end ({len(d)} bytes)")
        v = struct.unpack_from(">H", d, p)[0]
        p += 2
        return v

    if d[:8] != MAGIC:
        raise ArchiveError(path, 0, f"not a drascula.dat: magic {d[:8]!r}, expected {MAGIC!r}")
    if len(d) < 9 or d[8] != VERSION:
        raise ArchiveError(path, 8, f"version {d[8] if len(d) > 8 else 'missing'}, expected {VERSION}")
    p = 9
    for size in RECORD_SIZES:
        n = u16("a table count")
        p += n * size
    langs = u16("the language count")
    if lang >= langs:
        raise ArchiveError(path, p - 2, f"{langs} languages, asked for number {lang}")
    out = {}
    for name in TABLES:
        start = p
        n = u16(f"table {name}'s count")
        for k in range(langs):
            blen = u16(f"table {name}'s length")
            if p + blen > len(d):
                raise ArchiveError(path, p, f"table {name} (at {start}) language {k}: {blen} bytes run past the end")
            if k == lang:
                out[name] = _entries(path, d[p:p + blen], p, n, name)
            p += blen
    return out


def _entries(path: str, blk: bytes, base: int, n: int, name: str) -> list[str]:
    starts, q = [0], 4
    for i in range(1, n):
        if q < 2 or q > len(blk):
            raise ArchiveError(path, base + max(q - 2, 0), f"table {name}: entry {i} starts outside its block")
        q += struct.unpack_from(">H", blk, q - 2)[0]
        starts.append(q)
    texts = []
    for i, s in enumerate(starts):
        end = blk.find(b"\0", s)
        if s > len(blk) or end < 0:
            raise ArchiveError(path, base + min(s, len(blk)), f"table {name}: entry {i} has no terminating NUL")
        texts.append(blk[s:end].decode("latin-1"))
    return texts


def speaker_of(name: str) -> tuple[str, str, int] | None:
    """ALS file name -> (table, character, index), or None for sound effects."""
    m = re.fullmatch(r"([A-Z]*)(\d+)\.ALS", name, re.IGNORECASE)
    if not m or m.group(1).upper() not in PREFIXES:
        return None
    prefix, idx = m.group(1).upper(), int(m.group(2))
    table, who = PREFIXES[prefix]
    if prefix == "D" and idx >= TEXTD_START:
        who = "blind"
    return table, who, idx


def clips(a) -> "list[Clip]":
    texts = read_texts(os.path.join(a.src, "drascula.dat"))
    for name in sorted(os.listdir(a.src)):
        sp = speaker_of(name)
        if sp is None:
            continue
        table, who, idx = sp
        if idx >= len(texts[table]):
            print(f"drascula: {name}: no line {idx} in {table} ({len(texts[table])} lines); skipped", file=sys.stderr)
            continue
        with open(os.path.join(a.src, name), "rb") as f:
            pcm = np.frombuffer(f.read(), dtype=np.uint8)
        yield Clip(id=os.path.splitext(name)[0].upper(), raw=texts[table][idx], speaker=who, pcm=pcm, rate=RATE)


if __name__ == "__main__":
    realspeech.main("drascula", __doc__, clips,
                    lambda ap: ap.add_argument("--src", default=SRC, help="the game's English folder"))
