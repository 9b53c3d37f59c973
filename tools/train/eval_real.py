#!/usr/bin/python3
"""Real human speech that Debian packages ship, run through the product: an independent check.

    /usr/bin/python3 tools/train/eval_real.py [--set alsa|asterisk ...] [--model M] [--earshot BIN]
                                              [--details] [--json out.json]

These recordings are people, on real microphones. ALSA's is never trained or tuned on (the
project's rule for recordings in packages that ../shared/notes/real-speech-in-debian.md does not
list): nothing may be chosen by it, not a checkpoint, not a threshold; it is reported beside the
real test characters (eval_split.py) in models/README.md, that is all. Asterisk's voice is in
training since session 16 (real_asterisk.py, the same prompts at 16 kHz): its set here is the fit
check on a training speaker, at the telephone band.

Sets (what is installed is used; tools/setup installs both with EARSHOT_SETUP_TRAIN=1):
  * alsa: alsa-utils' /usr/share/sounds/alsa/*.wav, ALSA's speaker-test voice saying each
    channel ("front left", ...), one man, 48 kHz; and Noise.wav (noise only, reference empty).
  * asterisk: asterisk-core-sounds-en-wav, the telephone prompts of Asterisk (Allison Smith, a
    professional voice, 8 kHz: telephone band), with asterisk-core-sounds-en's transcript list;
    the prompts themselves (at 16 kHz) are training data: a fit check, not a test.
    A transcript's [bracketed] notes are dropped; prompts that are only such notes (tones) and
    the silence/ files are non-speech with an empty reference; transcripts whose spoken form is unsure (symbols such as
    * # @, acronyms, mixed letters and digits) are left out; numbers are spelled as text.py does.

Per recording, with the CLI's defaults: open vocabulary (beam 8 with the LM), the grammar of
the set's phrases (beam 16, the calibrated rejection), and the same grammar's best path with
no rejection (`--reject 0`: is the right phrase the best one, whatever its score?). A long
prompt with pauses past the endpoint (900 ms) is several utterances, so its result is several
phrases joined, and right only when they make up its whole reference.
"""
import argparse
import json
import os
import sys
import tempfile
from types import SimpleNamespace

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import eval_heldout  # noqa: E402  (its earshot runners)
import real_asterisk  # noqa: E402  (the prompt list's reading)
import text  # noqa: E402  (the normaliser the training text went through)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

ALSA = "/usr/share/sounds/alsa"
ASTERISK = "/usr/share/asterisk/sounds/en_US_f_Allison"
ASTERISK_TEXT = "/usr/share/doc/asterisk-core-sounds-en/core-sounds-en.txt.gz"


def alsa_set():
    """(path, reference) pairs, or None when alsa-utils is not installed."""
    pairs = [(f"{ALSA}/{pos}_{side}.wav", f"{pos.lower()} {side.lower()}")
             for pos, side in (("Front", "Center"), ("Front", "Left"), ("Front", "Right"), ("Rear", "Center"),
                               ("Rear", "Left"), ("Rear", "Right"), ("Side", "Left"), ("Side", "Right"))]
    pairs.append((f"{ALSA}/Noise.wav", ""))
    return pairs if all(os.path.exists(p) for p, _ in pairs) else None


def asterisk_set():
    if not (os.path.isdir(ASTERISK) and os.path.exists(ASTERISK_TEXT)):
        return None
    pairs = []
    for name, said in real_asterisk.prompts(ASTERISK_TEXT):  # its filter: tones and silence "", unsure texts out
        path = os.path.join(ASTERISK, name + ".wav")
        if not os.path.exists(path):
            continue
        if not said:
            pairs.append((path, ""))  # non-speech: tones, silence
        elif ref := text.normalize(said):
            pairs.append((path, ref))
    return pairs


SETS = {"alsa": ("alsa-utils", alsa_set), "asterisk": ("asterisk-core-sounds-en-wav, asterisk-core-sounds-en", asterisk_set)}


def open_wer(a, pairs, tmp) -> float:
    """`earshot eval` over the speech recordings: the CLI's own text normalisation and WER."""
    man = os.path.join(tmp, "speech.jsonl")
    with open(man, "w") as f:
        for path, ref in pairs:
            if ref:
                f.write(json.dumps({"audio": path, "text": ref}) + "\n")
    return eval_heldout.ev(SimpleNamespace(earshot=a.earshot, model=a.model, beam=8, lm_weight=None,
                                           show_commands=False), man)["wer"]


def run_set(a, name, pairs):
    files = [p for p, _ in pairs]
    phrases = sorted({t for _, t in pairs if t})
    with tempfile.TemporaryDirectory(prefix="earshot-real-") as tmp:
        gpath = os.path.join(tmp, "phrases.grammar")
        with open(gpath, "w") as f:
            f.write("\n".join(phrases) + "\n")
        open_ = eval_heldout.transcribe(a.earshot, a.model, files)
        gram = eval_heldout.transcribe(a.earshot, a.model, files, ["--grammar", gpath])
        best = eval_heldout.transcribe(a.earshot, a.model, files, ["--grammar", gpath, "--reject", "0"])
        wer = open_wer(a, pairs, tmp)
    rows = []
    for (path, ref), o, g, b in zip(pairs, open_, gram, best):
        rows.append({"file": os.path.relpath(path, os.path.dirname(os.path.dirname(path))), "reference": ref,
                     "open": o["text"], "grammar": "<no match>" if g.get("no_match") else g["text"],
                     "best_path": b["text"], "match": b.get("match")})
    speech = [r for r in rows if r["reference"]]
    s = {
        "recordings": len(rows), "speech": len(speech), "words": sum(len(r["reference"].split()) for r in speech),
        "open_wer": round(100 * wer, 1),
        "open_sentences_right": sum(r["open"] == r["reference"] for r in speech),
        "grammar_correct": sum(r["grammar"] == r["reference"] for r in speech),
        "grammar_wrong": sum(r["grammar"] not in (r["reference"], "<no match>") for r in speech),
        "grammar_no_match": sum(r["grammar"] == "<no match>" for r in speech),
        "best_path_correct": sum(r["best_path"] == r["reference"] for r in speech),
        "noise_empty": sum(r["open"] == "" and r["grammar"] in ("", "<no match>") for r in rows if not r["reference"]),
        "noise": len(rows) - len(speech), "grammar_phrases": len(phrases),
    }
    if a.details or len(rows) <= 20:
        print("| recording | said | open vocabulary | grammar | grammar, no rejection (match) |")
        print("|---|---|---|---|---|")
        for r in rows:
            m = "-" if r["match"] is None else f"{r['match']:.2f}"
            print(f"| {r['file']} | {r['reference'] or '(noise)'} | {r['open'] or '(empty)'} | "
                  f"{r['grammar'] or '(empty)'} | {r['best_path'] or '(empty)'} ({m}) |")
    print(f"{name}: {s['speech']} speech recordings ({s['words']} words), grammar of {s['grammar_phrases']} phrases")
    print(f"  open vocabulary: WER {s['open_wer']} %, {s['open_sentences_right']} of {s['speech']} sentences right")
    print(f"  grammar: {s['grammar_correct']} right, {s['grammar_wrong']} wrong, {s['grammar_no_match']} no match; "
          f"best path without rejection right {s['best_path_correct']} of {s['speech']}")
    print(f"  non-speech (noise, tones): {s['noise_empty']} of {s['noise']} empty\n", flush=True)
    return s, rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--set", action="append", choices=sorted(SETS), help="only these sets (default: every one installed)")
    ap.add_argument("--model", default=os.path.join(ROOT, "models/en-small.esm"), help="model image")
    ap.add_argument("--earshot", default=os.path.join(ROOT, "build/host/bin/earshot"))
    ap.add_argument("--details", action="store_true", help="a row per recording for every set (always for small ones)")
    ap.add_argument("--json", help="also write the figures and per-recording results here")
    a = ap.parse_args()
    if not os.access(a.earshot, os.X_OK):
        sys.exit(f"eval_real: {a.earshot} is not an executable (cmake --build --preset host, or --earshot)")
    if not os.path.exists(a.model):
        sys.exit(f"eval_real: no model {a.model}")
    out = {"model": os.path.relpath(os.path.abspath(a.model), ROOT), "sets": {}}
    for name in dict.fromkeys(a.set or sorted(SETS)):
        pkgs, load = SETS[name]
        pairs = load()
        if pairs is None:
            msg = f"eval_real: set {name}: not installed (apt-get install {pkgs.replace(',', '')})"
            if a.set:
                sys.exit(msg)
            print(msg, file=sys.stderr)
            continue
        summary, rows = run_set(a, name, pairs)
        out["sets"][name] = {"summary": summary, "recordings": rows}
    if not out["sets"]:
        sys.exit("eval_real: no set installed")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
