#!/usr/bin/python3
"""The Python module (tools/python/earshot) against the CLI: the same options give what
`earshot transcribe --json` prints, key for key (rtf aside: it is a timing), on the bundled
samples with the shipped model; streams in any chunking give the transcribe() result; bad
input raises errors that say what was wrong.

    EARSHOT_LIBRARY_DIR=build/host/lib PYTHONPATH=tools/python test_module.py --earshot build/host/bin/earshot
"""
import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import unittest
import wave

import numpy as np

import earshot

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SAMPLES = [os.path.join(ROOT, "models/samples", f) for f in ("kal-timer.wav", "ked-forward-left.wav", "ked-kitchen-lights.wav")]
CLI = None
TMP = tempfile.mkdtemp(prefix="earshot-py-")
PHRASES = os.path.join(TMP, "phrases.txt")
WORDS = os.path.join(TMP, "words.txt")
TWO = os.path.join(TMP, "two.wav")  # two utterances with a second of silence between them


def setUpModule():
    with open(PHRASES, "w") as f:
        f.write("turn on the kitchen lights\nset a timer for ten minutes\nmove forward and turn left\nstop\n")
    with open(WORDS, "w") as f:
        f.write("turn on off the kitchen lights set a timer for ten minutes go forward two meters left\n")
    frames = []
    for p in SAMPLES[:2]:
        with wave.open(p, "rb") as w:
            frames.append(w.readframes(w.getnframes()))
    with wave.open(TWO, "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(16000)
        w.writeframes(frames[0] + b"\0\0" * 16000 + frames[1])


def cli_json(path, args):
    p = subprocess.run([CLI, "transcribe", "--json", *args, path], capture_output=True, text=True,
                       env={k: v for k, v in os.environ.items() if k != "EARSHOT_MODEL"})
    assert p.returncode == 0, p.stderr
    d = json.loads(p.stdout)
    d.pop("rtf")
    return d


def module_dict(rec, path):
    d = rec.transcribe(path).as_dict(path)
    d.pop("rtf")
    return d


class SameAsCli(unittest.TestCase):
    CASES = [({}, []), ({"beam": 1}, ["--beam", "1"]), ({"nbest": 3}, ["--nbest", "3"]),
             ({"beam": 4, "lm_weight": 0}, ["--beam", "4", "--lm-weight", "0"]),
             ({"grammar": PHRASES}, ["--grammar", PHRASES]), ({"grammar": PHRASES, "beam": 1}, ["--grammar", PHRASES, "--beam", "1"]),
             ({"grammar": PHRASES, "reject": 0.99}, ["--grammar", PHRASES, "--reject", "0.99"]),
             ({"grammar": PHRASES, "beam": 16}, ["--grammar", PHRASES, "--beam", "16"]),
             ({"grammar": PHRASES, "ctc": True, "beam": 64, "nbest": 3}, ["--grammar", PHRASES, "--ctc", "--beam", "64", "--nbest", "3"]),
             ({"words": WORDS}, ["--words", WORDS]), ({"endpoint_ms": 300, "ctc_weight": 0}, ["--endpoint-ms", "300", "--ctc-weight", "0"])]

    def test_options_and_samples(self):
        for kw, args in self.CASES:
            rec = earshot.Recognizer(**kw)
            for path in SAMPLES + [TWO]:
                with self.subTest(options=kw, file=os.path.basename(path)):
                    self.assertEqual(module_dict(rec, path), cli_json(path, args))

    def test_grammar_as_text(self):
        rec = earshot.Recognizer(grammar=open(PHRASES).read())
        self.assertEqual(module_dict(rec, SAMPLES[2]), cli_json(SAMPLES[2], ["--grammar", PHRASES]))
        self.assertEqual(rec.transcribe(SAMPLES[2]).text, "turn on the kitchen lights")


class Streams(unittest.TestCase):
    def test_any_chunking_gives_the_transcribe_result(self):
        rec = earshot.Recognizer(beam=1)
        pcm = earshot.read_audio(TWO)
        whole = rec.transcribe(pcm).as_dict()
        rng = random.Random(5)
        for trial in range(4):
            s = rec.stream()
            ended, off = [], 0
            while off < len(pcm):
                n = rng.choice([1, 37, 160, 4000, 12345])
                ended += s.push(pcm[off:off + n])
                off += n
            r = s.finish()
            d = r.as_dict()
            self.assertEqual({k: v for k, v in d.items() if k != "rtf"}, {k: v for k, v in whole.items() if k != "rtf"})
            # Utterances that ended inside the audio came out of push(), in order, before finish().
            self.assertGreaterEqual(len(r.utterances), 2)
            self.assertEqual([u.text for u in ended], [u.text for u in r.utterances[:len(ended)]])
            self.assertTrue(ended, "the first utterance ends at its end token, inside the audio")

    def test_arrays(self):
        rec = earshot.Recognizer()
        pcm = earshot.read_audio(SAMPLES[0])
        with wave.open(SAMPLES[0], "rb") as w:
            raw = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
        self.assertTrue(np.array_equal(pcm, raw), "a 16 kHz file reads as its own samples")
        ref = {k: v for k, v in rec.transcribe(SAMPLES[0]).as_dict().items() if k != "rtf"}
        for x in (pcm, pcm.astype(np.float32) / 32768, pcm.astype(np.float64) / 32768, pcm.tobytes(), list(pcm[:]) ):
            d = {k: v for k, v in rec.transcribe(x).as_dict().items() if k != "rtf"}
            self.assertEqual(d, ref)

    def test_partial(self):
        rec = earshot.Recognizer(beam=1)
        s = rec.stream()
        pcm = earshot.read_audio(SAMPLES[2])
        s.push(pcm[:len(pcm) * 2 // 3])
        partial = s.partial()
        self.assertTrue("turn on the kitchen lights".startswith(partial[:8]) and partial, partial)
        s.push(pcm[len(pcm) * 2 // 3:])
        self.assertEqual(s.finish().text, "turn on the kitchen lights")
        with self.assertRaises(earshot.EarshotError):
            s.push(pcm[:10])


class Errors(unittest.TestCase):
    def test_model(self):
        with self.assertRaises(FileNotFoundError):
            earshot.Recognizer(model=os.path.join(TMP, "missing.esm"))
        bad = os.path.join(TMP, "bad.esm")
        img = bytearray(open(earshot._DEFAULT_MODEL, "rb").read())
        img[len(img) // 2] ^= 0x55
        open(bad, "wb").write(img)
        with self.assertRaises(earshot.EarshotError) as e:
            earshot.Recognizer(model=bad)
        self.assertEqual(e.exception.status, 3)
        self.assertIn("model", str(e.exception))

    def test_grammar(self):
        with self.assertRaises(earshot.EarshotError) as e:
            earshot.Recognizer(grammar="turn on the lights\nsay 42 now\n")
        self.assertEqual(e.exception.status, 5)
        self.assertRegex(str(e.exception), r"line 2")
        with self.assertRaises(ValueError):
            earshot.Recognizer(grammar="a", words="b")

    def test_audio(self):
        rec = earshot.Recognizer(beam=1)
        with self.assertRaises(earshot.EarshotError) as e:
            rec.transcribe(os.path.join(TMP, "missing.wav"))
        self.assertEqual(e.exception.status, 6)
        self.assertIn("missing.wav", str(e.exception))
        junk = os.path.join(TMP, "junk.wav")
        open(junk, "w").write("this is not audio")
        with self.assertRaises(earshot.EarshotError) as e:
            rec.transcribe(junk)
        self.assertEqual(e.exception.status, 2)
        with self.assertRaises(ValueError):
            rec.transcribe(np.zeros((2, 100), dtype=np.int16))
        with self.assertRaises(ValueError):
            rec.transcribe(np.zeros(100, dtype=np.int32))


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--earshot", required=True)
    a, rest = ap.parse_known_args()
    CLI = os.path.abspath(a.earshot)
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
