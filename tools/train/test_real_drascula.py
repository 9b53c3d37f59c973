"""real_drascula on a drascula.dat and voice files this test writes itself (CI has no game)."""
import argparse
import json
import os
import struct
import sys
import tempfile
import unittest

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import real_drascula as rd  # noqa: E402
import realspeech  # noqa: E402


def table(langs: list[list[str]]) -> bytes:
    """One text table as the engine reads it: entry i > 0 starts where entry i-1 did plus the u16
    just before entry i-1; entry 0 stands at offset 4 but is read from 0 (it is never used)."""
    out = struct.pack(">H", len(langs[0]))
    for entries in langs:
        blk = b"\0\0"
        for e in entries:
            raw = e.encode("latin-1") + b"\0"
            blk += struct.pack(">H", len(raw) + 2) + raw
        out += struct.pack(">H", len(blk)) + blk
    return out


def dat(texts: dict[str, list[str]]) -> bytes:
    d = rd.MAGIC + bytes([rd.VERSION])
    for size in rd.RECORD_SIZES:  # one record of each, so the skipping is exercised
        d += struct.pack(">H", 1) + bytes(size)
    d += struct.pack(">H", 2)  # English and one other language
    for name in rd.TABLES:
        en = texts.get(name, ["", "X"])
        d += table([en, ["", *("OTRO" for _ in en[1:])]])
    return d


class DrasculaTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.src = os.path.join(self.tmp.name, "en")
        os.makedirs(self.src)
        textd = [""] + [f"LINE {i}" for i in range(1, 70)]
        textd[2], textd[68] = "HEY IGOR, HOW IS EVERYTHING GOING?", "WHO IS THERE?"
        self.texts = {"text": ["", "THAT'S THE SECOND BIGGEST DOOR I'VE SEEN", "DONT DO THAT"],
                      "textd": textd, "textbj": ["", "ARE YOU ALL RIGHT?"]}
        with open(os.path.join(self.src, "drascula.dat"), "wb") as f:
            f.write(dat(self.texts))
        tone = (128 + 60 * np.sin(np.arange(11025) * 0.3)).astype(np.uint8)
        for name in ("1.ALS", "2.als", "D2.ALS", "D68.ALS", "BJ1.ALS", "S1.ALS", "F3.ALS", "1.ALG"):
            with open(os.path.join(self.src, name), "wb") as f:
                f.write(tone.tobytes())

    def tearDown(self):
        self.tmp.cleanup()

    def args(self):
        return argparse.Namespace(src=self.src, out=os.path.join(self.tmp.name, "out"), limit=0)

    def test_tables(self):
        t = rd.read_texts(os.path.join(self.src, "drascula.dat"))
        self.assertEqual(t["textd"][2], "HEY IGOR, HOW IS EVERYTHING GOING?")
        self.assertEqual(t["text"], self.texts["text"])
        self.assertEqual(len(t["textd"]), 70)
        self.assertEqual(t["textmisc"], ["", "X"])

    def test_convert(self):
        a = self.args()
        stats = realspeech.run("drascula", rd.clips, a)
        rows = {r["id"]: r for r in realspeech.iter_jsonl(os.path.join(a.out, "drascula.jsonl"))}
        self.assertEqual(sorted(rows), ["1", "2", "BJ1", "D2", "D68"])  # effects and graphics skipped
        self.assertEqual(rows["1"]["text"], "that's the second biggest door i've seen")
        self.assertEqual(rows["2"]["text"], "don't do that")  # subtitles drop apostrophes; the voice does not
        self.assertEqual(rows["D2"]["text"], "hey igor how is everything going")
        self.assertEqual({k: r["speaker"] for k, r in rows.items()},
                         {"1": "drascula:hacker", "2": "drascula:hacker", "BJ1": "drascula:bj",
                          "D2": "drascula:drascula", "D68": "drascula:blind"})
        self.assertAlmostEqual(rows["1"]["seconds"], 1.0, delta=0.01)  # 11 025 Hz -> 16 kHz keeps the length
        self.assertEqual(stats["kept"], 5)
        import wave
        with wave.open(os.path.join(a.out, rows["1"]["audio"])) as w:
            self.assertEqual((w.getframerate(), w.getnchannels(), w.getsampwidth()), (16000, 1, 2))

    def test_truncated(self):
        path = os.path.join(self.src, "drascula.dat")
        with open(path, "rb") as f:
            whole = f.read()
        for cut in (5, 60, len(whole) - 7):
            with open(path, "wb") as f:
                f.write(whole[:cut])
            a = self.args()
            with self.assertRaises(realspeech.ArchiveError) as e:
                realspeech.run("drascula", rd.clips, a)
            self.assertIn(path, str(e.exception))
            self.assertIn("offset", str(e.exception))
            self.assertFalse(os.path.exists(os.path.join(a.out, "drascula.jsonl")))
            self.assertFalse(os.path.exists(os.path.join(a.out, "drascula.jsonl.part")))

    def test_bad_magic(self):
        path = os.path.join(self.src, "drascula.dat")
        with open(path, "rb") as f:
            whole = bytearray(f.read())
        whole[8] = 5
        with open(path, "wb") as f:
            f.write(whole)
        with self.assertRaisesRegex(realspeech.ArchiveError, r"offset 8 .*version 5, expected 6"):
            rd.read_texts(path)

    def test_normalize(self):
        self.assertEqual(realspeech.normalize("IM HERE, DRINKING"), "i'm here drinking")
        self.assertEqual(realspeech.normalize("Well, we'll see [laughs]"), "well we'll see")
        self.assertIsNone(realspeech.normalize("CALL ME B.J."))  # letters alone cannot be read reliably


if __name__ == "__main__":
    unittest.main()
