#!/usr/bin/python3
"""Real human speech that Debian packages ship, run through the product: an independent check.

    /usr/bin/python3 tools/train/eval_real.py [--model M] [--earshot BIN] [--json out.json]

Every other accuracy figure here comes from synthetic voices. These recordings are people, on
real microphones, and are never trained or tuned on (the project's rule for recordings shipped
inside other software's packages): nothing may be chosen by them, not a checkpoint, not a
threshold. They are reported beside the held-out table (models/README.md), that is all.

Set (what is installed is used; the rest is listed as missing):
  * alsa-utils: /usr/share/sounds/alsa/*.wav, ALSA's speaker-test voice saying each channel
    ("front left", ...), one man, 48 kHz; and Noise.wav (noise only, reference empty).

Per recording, with the CLI's defaults: open vocabulary (beam 8 with the LM), the grammar of
the set's phrases (beam 16, the calibrated rejection), and the same grammar's best path with
no rejection (`--reject 0`: is the right phrase the best one, whatever its score?).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

ALSA = "/usr/share/sounds/alsa"
RECORDINGS = [  # (Debian package, path, reference)
    *[("alsa-utils", f"{ALSA}/{pos}_{side}.wav", f"{pos.lower()} {side.lower()}")
      for pos, side in (("Front", "Center"), ("Front", "Left"), ("Front", "Right"), ("Rear", "Center"),
                        ("Rear", "Left"), ("Rear", "Right"), ("Side", "Left"), ("Side", "Right"))],
    ("alsa-utils", f"{ALSA}/Noise.wav", ""),
]


def transcribe(a, files, extra=()):
    cmd = [a.earshot, "transcribe", "--json", *extra]
    cmd += ["--model", a.model]
    r = subprocess.run(cmd + files, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"eval_real: {' '.join(cmd)} ... failed: {r.stderr.strip()}")
    out = [json.loads(line) for line in r.stdout.splitlines()]
    if len(out) != len(files):
        sys.exit(f"eval_real: {len(files)} files but {len(out)} results from {a.earshot}")
    return out


def open_wer(a, have, tmp) -> float:
    """`earshot eval` over the speech recordings: the CLI's own text normalisation and WER."""
    man = os.path.join(tmp, "speech.jsonl")
    with open(man, "w") as f:
        for _, path, ref in have:
            if ref:
                f.write(json.dumps({"audio": path, "text": ref}) + "\n")
    r = subprocess.run([a.earshot, "eval", "--json", "--no-progress", "--model", a.model, man],
                       capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"eval_real: {a.earshot} eval failed: {r.stderr.strip()}")
    return json.loads(r.stdout)["wer"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=os.path.join(ROOT, "models/en-small.esm"), help="model image")
    ap.add_argument("--earshot", default=os.path.join(ROOT, "build/host/bin/earshot"))
    ap.add_argument("--json", help="also write the figures and per-recording results here")
    a = ap.parse_args()
    if not os.access(a.earshot, os.X_OK):
        sys.exit(f"eval_real: {a.earshot} is not an executable (cmake --build --preset host, or --earshot)")
    have = [r for r in RECORDINGS if os.path.exists(r[1])]
    missing = sorted({pkg for pkg, p, _ in RECORDINGS if not os.path.exists(p)})
    if missing:
        print(f"eval_real: not installed: {', '.join(missing)} (apt-get install them to include their recordings)",
              file=sys.stderr)
    if not have:
        sys.exit("eval_real: no recordings found")
    files = [p for _, p, _ in have]
    refs = [t for _, _, t in have]
    phrases = sorted({t for t in refs if t})
    with tempfile.TemporaryDirectory(prefix="earshot-real-") as tmp:
        gpath = os.path.join(tmp, "phrases.grammar")
        with open(gpath, "w") as f:
            f.write("\n".join(phrases) + "\n")
        open_ = transcribe(a, files)
        gram = transcribe(a, files, ["--grammar", gpath])
        best = transcribe(a, files, ["--grammar", gpath, "--reject", "0"])
        wer = open_wer(a, have, tmp)

    rows = []
    for (pkg, path, ref), o, g, b in zip(have, open_, gram, best):
        rows.append({"package": pkg, "file": os.path.basename(path), "reference": ref, "open": o["text"],
                     "grammar": "<no match>" if g.get("no_match") else g["text"], "best_path": b["text"],
                     "match": b.get("match")})
    speech = [r for r in rows if r["reference"]]
    words = sum(len(r["reference"].split()) for r in speech)
    summary = {
        "recordings": len(rows), "speech": len(speech), "words": words,
        "open_wer": round(100 * wer, 1),
        "grammar_correct": sum(r["grammar"] == r["reference"] for r in speech),
        "grammar_wrong": sum(r["grammar"] not in (r["reference"], "<no match>") for r in speech),
        "grammar_no_match": sum(r["grammar"] == "<no match>" for r in speech),
        "best_path_correct": sum(r["best_path"] == r["reference"] for r in speech),
        "noise_empty": sum(r["open"] == "" and r["grammar"] in ("", "<no match>") for r in rows if not r["reference"]),
        "noise": len(rows) - len(speech), "grammar_phrases": len(phrases), "model": os.path.relpath(a.model, ROOT),
    }
    print("| recording | said | open vocabulary | grammar | grammar, no rejection (match) |")
    print("|---|---|---|---|---|")
    for r in rows:
        m = "-" if r["match"] is None else f"{r['match']:.2f}"
        print(f"| {r['file']} | {r['reference'] or '(noise)'} | {r['open'] or '(empty)'} | {r['grammar'] or '(empty)'} "
              f"| {r['best_path'] or '(empty)'} ({m}) |")
    s = summary
    print(f"\n{s['speech']} speech recordings ({s['words']} words), grammar of {s['grammar_phrases']} phrases:")
    print(f"  open-vocabulary WER {s['open_wer']} %")
    print(f"  grammar: {s['grammar_correct']} right, {s['grammar_wrong']} wrong, {s['grammar_no_match']} no match; "
          f"best path without rejection right {s['best_path_correct']} of {s['speech']}")
    print(f"  noise only: {s['noise_empty']} of {s['noise']} empty")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"summary": summary, "recordings": rows}, f, indent=1)


if __name__ == "__main__":
    main()
