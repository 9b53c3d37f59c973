#!/usr/bin/python3
"""Real speech split by speaker: training, a dev set that chooses, a test set that only reports.

    /usr/bin/python3 tools/train/real_split.py --real .cache/real --out .cache/real/split

Reads every converter's manifest in --real (real_<source>.py) and its label check
(label_check.py, where one was run), and writes train.jsonl, dev.jsonl and test.jsonl whose audio
paths point into --real, and fit.jsonl, an even sample of the training clips (the fit check:
does the network learn the real speakers it trains on?). A speaker is a character (games) or a voice; whole speakers go to dev or
test, so no speaker is in training and in either. Clips that label_check.py marked
"contradicted" (the subtitle does not say what the clip says) are left out of all three; clips
never checked, or unverified, are kept. Every other package's recordings (ALSA's speaker-test
voice among them) are not here at all: they are independent evaluation only (eval_real.py).

Held out (minutes are of the converted clips; the games' actors voice several characters each,
which no file records, so a held-out character may share an actor with a trained one):
  dev  (chooses checkpoints, calibrates the rejection threshold)
    fotaq: tammy, jimmy, chief, naomi, lou        drascula: wolf, igor
  test (the model card only)
    fotaq: witch, faye, frank, klunk, henry, mike  drascula: bj, vonbraun
Beneath a Steel Sky names its speaker for Foster and a few others only (the rest are labelled by
game section), so all of it trains; so do Asterisk's one voice and KLettres' two.
"""
import argparse
import collections
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import realspeech  # noqa: E402

HELD_OUT = {
    "dev": ["fotaq:tammy", "fotaq:jimmy", "fotaq:chief", "fotaq:naomi", "fotaq:lou", "drascula:wolf", "drascula:igor"],
    "test": ["fotaq:witch", "fotaq:faye", "fotaq:frank", "fotaq:klunk", "fotaq:henry", "fotaq:mike", "drascula:bj",
             "drascula:vonbraun"],
}
SOURCES = ("fotaq", "bass", "drascula", "asterisk", "klettres")


def set_of(speaker: str) -> str:
    for name, speakers in HELD_OUT.items():
        if speaker in speakers:
            return name
    return "train"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--real", default=".cache/real", help="folder of the converters' manifests")
    ap.add_argument("--out", default=".cache/real/split")
    ap.add_argument("--allow-missing", action="store_true", help="go on when a source was not converted")
    ap.add_argument("--fit-sample", type=int, default=400, help="training clips in fit.jsonl (the fit check)")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    sets = {k: [] for k in ("train", "dev", "test")}
    stats = collections.defaultdict(lambda: collections.Counter())
    for src in SOURCES:
        man = os.path.join(a.real, f"{src}.jsonl")
        if not os.path.exists(man):
            if not a.allow_missing:
                sys.exit(f"real_split: {man} missing (run tools/train/real_{src}.py --out {a.real}, or --allow-missing)")
            print(f"real_split: {src}: not converted, skipped", file=sys.stderr)
            continue
        chk_path = os.path.join(a.real, f"{src}.check.jsonl")
        checks = {c["id"]: c["check"] for c in realspeech.iter_jsonl(chk_path)} if os.path.exists(chk_path) else {}
        for r in realspeech.iter_jsonl(man):
            s = set_of(r["speaker"])
            c = checks.get(r["id"], "unchecked")
            stats[(src, s)][c] += 1
            if c == "contradicted":
                continue
            audio = os.path.relpath(os.path.join(a.real, r["audio"]), a.out)
            sets[s].append({**r, "audio": audio, "check": c})
    missing = [sp for sps in HELD_OUT.values() for sp in sps
               if sp.split(":")[0] in {r["source"] for v in sets.values() for r in v}
               and not any(r["speaker"] == sp for v in sets.values() for r in v)]
    if missing:
        sys.exit(f"real_split: held-out speakers with no clips: {missing} (a converter's naming changed?)")
    # The fit check: an even sample of the training clips themselves (clean), to see whether the
    # network can learn the real speakers it is given at all (issue 26: earlier runs could not).
    fit = sets["train"][:: max(1, len(sets["train"]) // a.fit_sample)][: a.fit_sample]
    for name, rows in {**sets, "fit": fit}.items():
        with open(os.path.join(a.out, f"{name}.jsonl"), "w") as f:
            for r in rows:
                f.write(json.dumps(r) + "\n")
        spk = {r["speaker"] for r in rows}
        print(f"{name}: {len(rows)} clips, {sum(r['seconds'] for r in rows) / 3600:.2f} h, {len(spk)} speakers")
    print("| source | set | kept | confirmed | unverified | unchecked | contradicted (left out) |")
    print("|---|---|---|---|---|---|---|")
    for (src, s), c in sorted(stats.items()):
        print(f"| {src} | {s} | {c.total() - c['contradicted']} | {c['confirmed']} | {c['unverified']} | "
              f"{c['unchecked']} | {c['contradicted']} |")


if __name__ == "__main__":
    main()
