"""Unit test for real_bass.py on a tiny synthetic sky.dnr / sky.dsk / sky.cpt (the game is not needed).

    /usr/bin/python3 -m unittest tools/train/test_real_bass.py
"""
from __future__ import annotations

import argparse
import os
import shutil
import struct
import sys
import tempfile
import unittest

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import real_bass as rb  # noqa: E402
import realspeech  # noqa: E402


# ------------------------------------------------------------------------------------ encoders

def huff_encode_section(texts: list[str]) -> bytes:
    """A text section file as the game stores it, Huffman-coded with the v0.0372 tree."""
    codes = rb.huffman_codes()
    bits, lengths = [], []
    for t in texts:
        b = "".join(codes[c] for c in t + "\x00")
        units = -(-len(b) // 2)              # texts start on 2-bit boundaries
        if units >= 128:
            units = -(-units // 8) * 8
        b += "0" * (2 * units - len(b))
        bits.append(b)
        lengths.append(units)
    skips = bytearray()
    for u in lengths:
        skips.append(u if u < 128 else 0x80 | (u // 8))
    nblocks = -(-len(texts) // 32)
    blocks = [sum(lengths[32 * k:32 * k + 32]) for k in range(nblocks - 1)]
    stream = "".join(bits)
    stream += "0" * (-len(stream) % 8)
    data = bytes(int(stream[i:i + 8], 2) for i in range(0, len(stream), 8))
    skip_at = 4 + 2 * len(blocks)
    bits_at = skip_at + len(skips)
    return struct.pack(f"<HH{len(blocks)}H", skip_at, bits_at, *blocks) + bytes(skips) + data


class _BitWriter:
    """RNC's stream: bits LSB first in 16-bit LE words, allocated when the first bit is needed;
    literal bytes go after the last allocated word."""

    def __init__(self):
        self.out = bytearray()
        self.word_at, self.free = -1, 0

    def bits(self, value: int, n: int) -> None:
        for i in range(n):
            if not self.free:
                self.word_at, self.free = len(self.out), 16
                self.out += b"\0\0"
            if (value >> i) & 1:
                pos = 16 - self.free
                self.out[self.word_at + pos // 8] |= 1 << (pos % 8)
            self.free -= 1

    def code(self, sym: int) -> None:        # all 16 codes are 4 bits long: canonical code = sym, MSB first
        for i in (3, 2, 1, 0):
            self.bits((sym >> i) & 1, 1)

    def value(self, v: int) -> None:
        sym = v if v < 2 else v.bit_length()
        self.code(sym)
        if sym >= 2:
            self.bits(v - (1 << (sym - 1)), sym - 1)


def rnc_pack(data: bytes, matches: bool = True) -> bytes:
    """A valid RNC method-1 stream (one chunk, flat 4-bit Huffman tables, greedy LZ77)."""
    tokens, lit, i = [], bytearray(), 0
    while i < len(data):
        best = (0, 0)
        if matches:
            for j in range(max(0, i - 64), i):
                n = 0
                while i + n < len(data) and data[j + n] == data[i + n] and n < 200:
                    n += 1
                if n > best[1]:
                    best = (i - j, n)
        if best[1] >= 3:
            tokens.append((bytes(lit), best))
            lit = bytearray()
            i += best[1]
        else:
            lit.append(data[i])
            i += 1
    tokens.append((bytes(lit), None))
    w = _BitWriter()
    w.bits(0, 2)
    for _ in range(3):
        w.bits(16, 5)
        for _ in range(16):
            w.bits(4, 4)
    w.bits(len(tokens), 16)
    for lits, match in tokens:
        w.value(len(lits))
        w.out += lits
        if match:
            w.value(match[0] - 1)
            w.value(match[1] - 2)
    packed = bytes(w.out)
    return (b"RNC\x01" + struct.pack(">IIHH", len(data), len(packed), rb._crc16(data), rb._crc16(packed))
            + bytes([0, 1]) + packed)


def sky_file(body: bytes, pack: bool) -> bytes:
    """The 22-byte header + body, RNC-packed behind the header when `pack`."""
    size = rb.HEADER + len(body)
    flag = ((size >> 16) << 8) | (0x80 if pack else 0)
    header = struct.pack("<11H", flag, 0, 0, 0, 0, 0, size & 0xFFFF, 0, 0, 0, 0)
    return header + (rnc_pack(body) if pack else body)


def make_game(folder: str, files: dict[int, tuple[bytes, int]], names: dict[int, str]) -> None:
    """sky.dnr + sky.dsk from {number: (stored bytes, dnr flag bits)}, and a sky.cpt naming compacts."""
    dsk, table = bytearray(), bytearray()
    for k, (num, (data, flags)) in enumerate(files.items()):
        dsk += b"\0" * (-len(dsk) % 16)
        off = len(dsk)
        field = (off >> 4) | 0x800000 if k % 2 else off     # both offset forms
        table += struct.pack("<H", num) + field.to_bytes(3, "little") + (len(data) | flags).to_bytes(3, "little")
        dsk += data
    with open(os.path.join(folder, "sky.dnr"), "wb") as f:
        f.write(struct.pack("<I", len(files)) + table)
    with open(os.path.join(folder, "sky.dsk"), "wb") as f:
        f.write(dsk)
    n = max(names) + 1
    src, ascii_ = [], b""
    for e in range(n):
        if e in names:
            src += [60, 1] + [0] * 60
            ascii_ += names[e].encode() + b"\0"
        else:
            src.append(0)
    cpt = struct.pack("<HHH", 0, 1, n) + struct.pack("<II", 0, len(src)) + struct.pack(f"<{len(src)}H", *src)
    with open(os.path.join(folder, "sky.cpt"), "wb") as f:
        f.write(cpt + struct.pack("<I", len(ascii_)) + ascii_)


def script_module(scripts: list[list[int]]) -> bytes:
    words = []
    table = []
    for s in scripts:
        table.append(len(scripts) + len(words))
        words += s
    return struct.pack(f"<{len(table) + len(words)}H", *table, *words)


PUSH, PUSH_VAR, CALL, EXIT, EQ, SKIP_ZERO = 2, 0, 11, 19, 17, 5
SECTION2 = ["?", "What YOU want?", "Hello there, Foster.", "I don't know.", "Ouch!"] + \
           [f"Line number {w} of the test." for w in ("one", "two", "three", "four", "five", "six", "seven",
                                                        "eight", "nine", "ten")] * 3
SECTION2[33] = "This is a long line " * 10 + "that ends here."   # > 127 units: the 0x80 skip form


def tone(n: int, seed: int) -> np.ndarray:
    r = np.random.default_rng(seed)
    return (128 + 60 * np.sin(np.arange(n) * 0.05 * (1 + seed)) + r.integers(-3, 4, n)).astype(np.uint8)


def build(folder: str) -> dict:
    """A tiny game: section 2 text (RNC-packed), speech for texts 1, 2, 33 of section 2 and one
    without a text, scripts saying who speaks."""
    text2 = huff_encode_section(SECTION2)
    speech = {1: tone(3000, 1), 2: tone(5000, 2), 33: tone(4000, 3)}
    files = {}
    for sec in range(8):
        body = text2 if sec == 2 else huff_encode_section(["?", "Exit"])
        files[rb.TEXT_BASE + sec] = (body, 0x800000)
    # packed, with dnr flag bit 22: the loaded file is the unpacked stream alone
    files[rb.TEXT_BASE + 2] = (struct.pack("<11H", 0x80 | ((len(text2) >> 16) << 8), 0, 0, 0, 0, 0,
                                           len(text2) & 0xFFFF, 0, 0, 0, 0) + rnc_pack(text2), 0x400000)
    for idx, pcm in speech.items():
        files[rb.SPEECH_BASE + rb.CONVERT[2] + idx] = (sky_file(pcm.tobytes(), pack=idx != 2),
                                                        0x800000 if idx == 2 else 0)
    files[rb.SPEECH_BASE + rb.CONVERT[2] + 100] = (sky_file(tone(100, 4).tobytes(), pack=False), 0x800000)
    t = lambda i: 2 << 12 | i  # noqa: E731
    module = script_module([
        [EXIT],
        # joey (compact 1) says text 1; the player picks text 2 from the chooser
        [PUSH, 1, PUSH, t(1), PUSH, 7, CALL, 3, 37 * 4, PUSH, t(2), PUSH, 7, CALL, 2, rb._ASK_THIS * 4, EXIT],
        # the mega talked to says text 33 when it is the clerk (compact 2)
        [PUSH_VAR, rb.PARTNER * 4, PUSH, 2, EQ, SKIP_ZERO, 18,
         PUSH_VAR, rb.PARTNER * 4, PUSH, t(33), PUSH, 1, CALL, 3, 35 * 4, EXIT],
    ])
    files[rb.MODULE_BASE] = (module, 0x800000)
    make_game(folder, files, {1: "joey", 2: "sc42_clerk", 3: "foster"})
    return {"speech": speech}


class RealBassTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="test_real_bass_")
        self.game = os.path.join(self.dir, "game")
        os.makedirs(self.game)
        self.info = build(self.game)
        with self.disk() as d:
            self.count = d.count
        rb.KNOWN_VERSIONS[self.count] = 372   # the synthetic directory passes as v0.0372

    def tearDown(self):
        rb.KNOWN_VERSIONS.pop(self.count, None)
        shutil.rmtree(self.dir, ignore_errors=True)

    def disk(self) -> rb.Disk:
        return rb.Disk(os.path.join(self.game, "sky.dnr"), os.path.join(self.game, "sky.dsk"))

    def test_rnc_roundtrip(self):
        data = b"abcabcabcabcXYZ" * 40 + bytes(range(256)) + b"\0" * 300
        self.assertEqual(rb.rnc_unpack(rnc_pack(data)), data)
        self.assertEqual(rb.rnc_unpack(rnc_pack(data, matches=False)), data)

    def test_huffman_tree_and_text(self):
        codes = rb.huffman_codes()
        self.assertEqual(len(rb._leaf_codes()), 123)
        self.assertEqual(codes[" "], "000")
        self.assertEqual(codes["e"], "0010")
        texts = rb.section_texts(huff_encode_section(SECTION2), "x", 0)
        self.assertEqual(texts, SECTION2)

    def test_disk_and_pairing(self):
        with self.disk() as d:
            self.assertEqual(d.count, len(d.entries))
            self.assertEqual(rb.section_texts(d.load(rb.TEXT_BASE + 2), "x", 0), SECTION2)
            pcm = rb.speech_pcm(d.load(rb.SPEECH_BASE + rb.CONVERT[2] + 33))
            np.testing.assert_array_equal(pcm, self.info["speech"][33])
        self.assertEqual(rb.speech_text_number(rb.SPEECH_BASE + rb.CONVERT[2] + 33), 2 << 12 | 33)
        self.assertEqual(rb.speech_text_number(rb.SPEECH_BASE + 5), 5)
        lines = list(rb.iter_lines(self.game))
        got = {num - rb.SPEECH_BASE - rb.CONVERT[2]: (text, who) for num, _, text, who, _ in lines}
        self.assertEqual(got[1], ("What YOU want?", "joey"))
        self.assertEqual(got[2], ("Hello there, Foster.", "foster"))
        self.assertEqual(got[33], (SECTION2[33], "clerk"))
        self.assertIsNone(got[100][0])
        self.assertEqual(rb.fold_emphasis("What YOU want? LINC ID"), "What you want? LINC ID")

    def test_unknown_version_is_an_error(self):
        del rb.KNOWN_VERSIONS[self.count]
        with self.assertRaises(realspeech.ArchiveError) as cm:
            list(rb.iter_lines(self.game))
        self.assertIn("sky.dnr", str(cm.exception))

    def _run(self):
        a = argparse.Namespace(out=os.path.join(self.dir, "out"), limit=0, game_dir=self.game)
        return a, realspeech.run(rb.SOURCE, rb.clips, a)

    def test_truncated_disk(self):
        path = os.path.join(self.game, "sky.dsk")
        size = os.path.getsize(path)
        with open(path, "r+b") as f:
            f.truncate(size - 50)
        with self.assertRaises(realspeech.ArchiveError) as cm:
            self._run()
        e = cm.exception
        self.assertEqual(e.path, os.path.join(self.game, "sky.dnr"))
        self.assertIsNotNone(e.offset)
        self.assertIn("past the end", str(e))
        self.assertFalse(os.path.exists(os.path.join(self.dir, "out", "bass.jsonl")))

    def test_truncated_directory(self):
        path = os.path.join(self.game, "sky.dnr")
        with open(path, "r+b") as f:
            f.truncate(os.path.getsize(path) - 3)
        with self.assertRaises(realspeech.ArchiveError) as cm:
            self._run()
        self.assertEqual((cm.exception.path, cm.exception.offset), (path, 4))

    def test_corrupt_packed_text(self):
        with self.disk() as d:
            _, off, flags = d.entries[rb.TEXT_BASE + 2]
        path = os.path.join(self.game, "sky.dsk")
        with open(path, "r+b") as f:
            f.seek(off + rb.HEADER + 18 + 5)
            b = f.read(1)
            f.seek(off + rb.HEADER + 18 + 5)
            f.write(bytes([b[0] ^ 0x55]))
        with self.assertRaises(realspeech.ArchiveError) as cm:
            self._run()
        self.assertEqual((cm.exception.path, cm.exception.offset), (path, off + rb.HEADER + 18))
        self.assertIn("CRC", str(cm.exception))
        self.assertFalse(os.path.exists(os.path.join(self.dir, "out", "bass.jsonl")))

    @unittest.skipUnless(shutil.which("sox"), "sox not installed")
    def test_run_writes_manifest(self):
        a, stats = self._run()
        rows = list(realspeech.iter_jsonl(os.path.join(a.out, "bass.jsonl")))
        self.assertEqual([r["id"] for r in rows], [str(rb.SPEECH_BASE + rb.CONVERT[2] + i) for i in (1, 2, 33)])
        self.assertEqual(rows[0]["text"], "what you want")
        self.assertEqual(rows[0]["speaker"], "bass:joey")
        self.assertAlmostEqual(rows[2]["seconds"], 4000 / rb.RATE, places=2)
        self.assertTrue(os.path.exists(os.path.join(a.out, rows[0]["audio"])))

    @unittest.skipUnless(shutil.which("sox"), "sox not installed")
    def test_corrupt_speech_leaves_no_manifest(self):
        num = rb.SPEECH_BASE + rb.CONVERT[2] + 33   # packed, converted after two good clips
        with self.disk() as d:
            _, off, flags = d.entries[num]
        path = os.path.join(self.game, "sky.dsk")
        with open(path, "r+b") as f:
            f.seek(off + rb.HEADER + 4)
            f.write(b"\x7f\xff\xff\xff")         # announced unpacked size far too large
            f.seek(off + rb.HEADER + 8)
            f.write(b"\x7f\xff\xff\xff")         # and packed size past the file
        with self.assertRaises(realspeech.ArchiveError) as cm:
            self._run()
        self.assertEqual((cm.exception.path, cm.exception.offset), (path, off + (flags & 0x3FFFFF)))
        self.assertIn("truncated", str(cm.exception))
        self.assertTrue(os.path.exists(os.path.join(self.dir, "out", "bass", f"{num - 31}.wav")))  # an earlier clip was written
        self.assertFalse(os.path.exists(os.path.join(self.dir, "out", "bass.jsonl")))


if __name__ == "__main__":
    unittest.main()
