#!/usr/bin/python3
"""Out-of-grammar rejection: false accepts and false rejects against the threshold.

    # tune the defaults on the calibration set (training voices, dev-split text; never ked/kal):
    /usr/bin/python3 tools/train/calibrate_reject.py .cache/data/calib --beam 1    # kDefaultRejectQ15
    /usr/bin/python3 tools/train/calibrate_reject.py .cache/data/calib --beam 16   # kDefaultRejectJointQ15
    # report a default's figures on the held-out voices (no tuning there; --beam picks which):
    /usr/bin/python3 tools/train/calibrate_reject.py .cache/data/heldout --at default --beam 16

The grammar is the phrase list of every command sentence of the set (a product's command list).
In-grammar trials: the command recordings with that grammar; a false reject is a correctly
recognized command whose match score is below the threshold. Out-of-grammar trials: the general
sentences and the silence/noise-only clips with the same grammar; a false accept is one that
comes out as a phrase (match score at or above the threshold). Match scores come from
`earshot transcribe --json --reject 0` (nothing rejected), so one run serves every threshold.

Tuning picks the threshold with the fewest false accepts + false rejects over the clean and 10 dB
conditions. Prints a table; --json writes the figures.
"""
import argparse
import glob
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
Q15 = 32768


def load(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def transcribe(args, files, grammar):
    """{file: (text, confidence)} for files, with the grammar and rejection off."""
    out = {}
    for i in range(0, len(files), 200):
        chunk = files[i:i + 200]
        cmd = [args.earshot, "transcribe", "--json", "--grammar", grammar, "--reject", "0", "--beam", str(args.beam)]
        if args.model:
            cmd += ["--model", args.model]
        r = subprocess.run(cmd + chunk, capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"calibrate_reject: earshot failed: {r.stderr.strip()}")
        for line in r.stdout.splitlines():
            o = json.loads(line)
            # The file's utterances: the best one stands for the file (a command is one utterance).
            out[o["file"]] = (o["text"], o.get("match", o["confidence"]))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data", help="folder made by make_dataset.py --calib or --heldout")
    ap.add_argument("--earshot", default=os.path.join(ROOT, "build/host/bin/earshot"))
    ap.add_argument("--model", help="model image (default: earshot's)")
    ap.add_argument("--beam", type=int, default=1)
    ap.add_argument("--at", help="only report at this threshold (0..1, or 'default': the library's)")
    ap.add_argument("--conditions", default="clean,snr10", help="conditions the tuning counts")
    ap.add_argument("--json", help="write the figures here")
    a = ap.parse_args()

    sets = {}
    for m in sorted(glob.glob(os.path.join(a.data, "*_commands_*.jsonl"))):
        prefix, cond = os.path.basename(m)[:-6].split("_commands_")
        sets.setdefault(cond, {}).setdefault("in", []).extend((prefix, r) for r in load(m))
        g = m.replace("_commands_", "_general_")
        if os.path.exists(g):
            sets[cond].setdefault("out", []).extend((prefix, r) for r in load(g))
    if not sets:
        sys.exit(f"calibrate_reject: no *_commands_*.jsonl manifests in {a.data}")
    empty = os.path.join(a.data, "empty.jsonl")
    phrases = sorted({r["text"] for c in sets.values() for _, r in c["in"]})
    grammar = os.path.join(a.data, "commands.grammar.txt")
    with open(grammar, "w") as f:
        f.write("\n".join(phrases) + "\n")

    def path(rec):
        return os.path.join(a.data, rec["audio"])

    trials = {}  # cond -> list of (in_grammar, correct, accepted_text, confidence)
    for cond, c in sets.items():
        files = [path(r) for _, r in c["in"]] + [path(r) for _, r in c.get("out", [])]
        res = transcribe(a, files, grammar)
        t = []
        for _, r in c["in"]:
            text, conf = res[path(r)]
            t.append((True, text == r["text"], text, conf))
        for _, r in c.get("out", []):
            text, conf = res[path(r)]
            t.append((False, False, text, conf))
        trials[cond] = t
    if os.path.exists(empty):
        recs = load(empty)
        res = transcribe(a, [path(r) for r in recs], grammar)
        trials["empty"] = [(False, False, *res[path(r)]) for r in recs]

    def rates(t, thr):
        ins = [x for x in t if x[0]]
        outs = [x for x in t if not x[0]]
        fr = sum(1 for x in ins if x[1] and x[3] < thr)
        sub = sum(1 for x in ins if not x[1] and x[2] and x[3] >= thr)  # a wrong phrase accepted
        fa = sum(1 for x in outs if x[2] and x[3] >= thr)
        correct = sum(1 for x in ins if x[1])
        return {"in": len(ins), "correct": correct, "false_reject": fr, "wrong_accept": sub,
                "out": len(outs), "false_accept": fa}

    if a.at is None:
        tune = [x for cond in a.conditions.split(",") for x in trials.get(cond, [])] + trials.get("empty", [])
        best = None
        for k in range(0, 1001):
            thr = k / 1000
            r = rates(tune, thr)
            cost = r["false_reject"] / max(1, r["in"]) + (r["false_accept"] + r["wrong_accept"]) / max(1, r["out"] + r["in"])
            if best is None or cost < best[0] - 1e-12:
                best = (cost, thr)
        thr = best[1]
        print(f"tuned threshold: {thr:.3f} (reject_q15 {round(thr * Q15)}) on {a.conditions} + empty clips")
    elif a.at == "default":
        hdr = open(os.path.join(ROOT, "lib/model/recognizer.h")).read()
        # Beam search scores with CTC by default, and its match score has its own threshold.
        name = "kDefaultRejectJointQ15" if a.beam > 1 else "kDefaultRejectQ15"
        q = int(hdr.split(f"{name} = ")[1].split(";")[0])
        thr = q / Q15
        print(f"library default threshold ({name}): {thr:.4f} (reject_q15 {q})")
    else:
        thr = float(a.at)

    print(f"{'condition':<10} {'in-grammar':>10} {'correct':>8} {'false rej':>10} {'wrong acc':>10} "
          f"{'OOG':>6} {'false acc':>10}")
    table = {}
    for cond, t in trials.items():
        r = rates(t, thr)
        table[cond] = r
        pct = lambda n, d: f"{n} ({100 * n / d:.1f}%)" if d else "-"
        print(f"{cond:<10} {r['in']:>10} {r['correct']:>8} {pct(r['false_reject'], r['in']):>10} "
              f"{pct(r['wrong_accept'], r['in']):>10} {r['out']:>6} {pct(r['false_accept'], r['out']):>10}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"threshold": thr, "reject_q15": round(thr * Q15), "phrases": len(phrases), "by_condition": table},
                      f, indent=1)


if __name__ == "__main__":
    main()
