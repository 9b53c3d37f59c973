#!/usr/bin/python3
"""Whole-process speed of earshot against PocketSphinx on one recording, in one run.

    /usr/bin/python3 tests/bench/vs_pocketsphinx.py [--seconds 60] [--runs 5] [--earshot BIN]

Makes one WAV of the bundled samples repeated (with 1.2 s pauses) to --seconds of audio, and a
phrase list of their texts plus the calibration-style distractors below. Then, alternating the
two recognizers so that a noisy machine slows both alike, times each mode --runs times and
prints the medians and the ratios (issue 28's table):

  * open vocabulary: earshot's defaults (beam 8 with the character LM) against PocketSphinx with
    its trigram LM (`pocketsphinx_batch -lm`, Debian's pocketsphinx-en-us);
  * phrase list: earshot `--grammar` (its default there: the CTC search of 1 024 prefixes) against
    PocketSphinx `-jsgf` with the same phrases;
  * greedy: earshot `--beam 1` (what the greedy firmware runs), and its RTF.

Whole process: start-up and model load included, as a user running the CLI sees it.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import wave

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools", "train"))
import pocketsphinx as ps  # noqa: E402  (tools/train/pocketsphinx.py)

DISTRACTORS = ["turn off the kitchen lights", "set a timer for five minutes", "go back one meter",
               "stop", "turn left", "turn right", "what time is it", "play some music"]


def samples():
    with open(os.path.join(ROOT, "models", "samples", "manifest.jsonl")) as f:
        rows = [json.loads(line) for line in f if line.strip()]
    return [(os.path.join(ROOT, "models", "samples", r["audio"]), r["text"]) for r in rows]


def make_wav(path, seconds):
    """The samples in turn, 1.2 s of silence after each, until `seconds` of 16 kHz mono audio."""
    clips = []
    for wav, _ in samples():
        with wave.open(wav) as w:
            if w.getframerate() != 16000 or w.getnchannels() != 1 or w.getsampwidth() != 2:
                raise SystemExit(f"{wav}: expected 16 kHz mono 16-bit")
            clips.append(w.readframes(w.getnframes()))
    gap = b"\0\0" * 19200
    out, n = bytearray(), int(seconds * 16000) * 2
    while len(out) < n:
        for c in clips:
            out += c + gap
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(bytes(out[:n]))


def timed(cmd):
    t = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True)
    dt = time.perf_counter() - t
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({r.returncode}): {r.stderr.strip()[-400:]}")
    return dt


def ps_cmd(tmp, wav, search):
    ctl = os.path.join(tmp, "ctl")
    with open(ctl, "w") as f:
        f.write("speech\n")
    link = os.path.join(tmp, "speech.wav")
    if not os.path.exists(link):
        os.symlink(os.path.abspath(wav), link)
    return [ps.BATCH, "-adcin", "yes", "-cepdir", tmp, "-cepext", ".wav", "-ctl", ctl,
            "-hyp", os.path.join(tmp, "hyp"), "-hmm", os.path.join(ps.MODEL, "en-us"), "-dict", ps.DICT,
            "-dither", "no", *search, "-logfn", os.path.join(tmp, "log")]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--earshot", default=os.path.join(ROOT, "build", "host", "bin", "earshot"))
    a = ap.parse_args()
    if not ps.available():
        raise SystemExit("PocketSphinx is missing (apt-get install pocketsphinx pocketsphinx-en-us)")
    if not os.path.exists(a.earshot):
        raise SystemExit(f"{a.earshot} does not exist: build the host preset first")
    with tempfile.TemporaryDirectory(prefix="earshot-vs-ps-") as tmp:
        wav = os.path.join(tmp, "long.wav")
        make_wav(wav, a.seconds)
        phrases = sorted({t for _, t in samples()} | set(DISTRACTORS))
        grammar = os.path.join(tmp, "phrases.txt")
        with open(grammar, "w") as f:
            f.write("\n".join(phrases) + "\n")
        jsgf = os.path.join(tmp, "phrases.jsgf")
        with open(jsgf, "w") as f:
            f.write(ps.jsgf(phrases))
        modes = {
            "open vocabulary": ([a.earshot, "transcribe", wav], ps_cmd(tmp, wav, ["-lm", os.path.join(ps.MODEL, "en-us.lm.bin")])),
            "phrase list": ([a.earshot, "transcribe", "--grammar", grammar, wav], ps_cmd(tmp, wav, ["-jsgf", jsgf])),
            "greedy": ([a.earshot, "transcribe", "--beam", "1", wav], None),
        }
        print(f"{a.seconds:.0f} s of audio, {a.runs} runs each, medians (whole process)")
        print("| mode | earshot | PocketSphinx | ratio | earshot RTF |")
        print("|---|---|---|---|---|")
        for name, (ours, theirs) in modes.items():
            t_ours, t_theirs = [], []
            for _ in range(a.runs):  # alternate, so load on the machine hits both alike
                t_ours.append(timed(ours))
                if theirs:
                    t_theirs.append(timed(theirs))
            mo = statistics.median(t_ours)
            mt = statistics.median(t_theirs) if t_theirs else None
            print(f"| {name} | {mo:.3f} s | {f'{mt:.3f} s' if mt else '-'} | {f'{mt / mo:.1f}x' if mt else '-'} "
                  f"| {mo / a.seconds:.4f} |", flush=True)


if __name__ == "__main__":
    main()
