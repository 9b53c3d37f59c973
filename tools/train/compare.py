#!/usr/bin/python3
"""Pick a checkpoint on what the product measures: each one exported, packed (without the LM,
so the network alone is compared) and run by the C++ runtime over the calibration set's commands.

    /usr/bin/python3 tools/train/compare.py tools/train/checkpoints/en-small.pt runs/x/step-*.pt
    ... --manifest my_commands.jsonl --manifest my_noise.jsonl   # other sets (earshot eval manifests)
    ... --real-dev .cache/real/split/dev.jsonl   # real held-out characters (real_split.py): phrase lists too

The calibration set (`make_dataset.py --calib --out .cache/data/calib --seed 8`) is training voices
reading dev-split text, never ked/kal. Where the unseen-speaker set exists (`make_dataset.py --xdev
--out .cache/data/xdev --seed 9`: two festival-x voices never trained on), its commands clean and at
10 dB are added: the calibration set cannot show whether a model generalises to new speakers. Per checkpoint and manifest: WER at beam 8 (no LM) and
greedy (`--beam 1`, what the firmware runs); a manifest whose references are all empty (silence
and noise) reports the share of clips that gave text instead. The training's dev CER is no
substitute: in session 13 it improved while these WERs got worse in every condition
(tools/train/checkpoints/README.md).

--real-dev adds what decides since session 16: real speakers never trained on (real_split.py's
dev characters), open WER at beam 8 without the LM and greedy, and eval_split.py's phrase lists
(<= 200 phrases): sentence error of the best path without rejection and with the default one.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
from types import SimpleNamespace

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import eval_heldout  # noqa: E402  (its earshot eval runner)
import eval_split  # noqa: E402  (the real dev set's phrase lists)
import realspeech  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HERE = os.path.dirname(os.path.abspath(__file__))
CALIB = ("calib_commands_clean", "calib_commands_late", "calib_commands_abrupt", "calib_commands_snr10", "empty")


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"compare: {' '.join(cmd[:3])} ... failed:\n{r.stderr.strip()}")
    return r.stdout


def evaluate(args, image, manifest, beam):
    """earshot eval over one manifest -> (WER %, or the % of clips with text when no reference has words)."""
    o = eval_heldout.ev(SimpleNamespace(earshot=args.earshot, model=image, lm_weight=0 if beam > 1 else None,
                                        show_commands=False, beam=beam), manifest)
    # Where every reference is empty, a sentence is wrong exactly when it gave text.
    return (100.0 * o["ser"], "with text %") if o["words"] == 0 else (100.0 * o["wer"], "WER %")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoints", nargs="+", help="training or slim checkpoints (train.py, slim.py)")
    ap.add_argument("--calib", default=os.path.join(ROOT, ".cache/data/calib"),
                    help="calibration set folder (make_dataset.py --calib); its command sets and empty clips")
    ap.add_argument("--xdev", default=os.path.join(ROOT, ".cache/data/xdev"),
                    help="unseen-speaker set folder (make_dataset.py --xdev); used where it exists")
    ap.add_argument("--manifest", action="append",
                    help="earshot eval manifest(s) to use instead of --calib's and --xdev's ('--manifest none': "
                         "only --real-dev)")
    ap.add_argument("--calib-data", default=os.path.join(ROOT, ".cache/data/dev"),
                    help="shard folder for export.py's activation calibration, as for shipping")
    ap.add_argument("--calib-utts", type=int, default=200)
    ap.add_argument("--beam", type=int, default=8, help="beam width compared beside greedy")
    ap.add_argument("--earshot", default=os.path.join(ROOT, "build/host/bin/earshot"))
    ap.add_argument("--pack", default=None, help="earshot-pack binary (default: beside --earshot)")
    ap.add_argument("--real-dev", help="real dev manifest (real_split.py): adds its open WER and phrase-list "
                    "sentence error (eval_split.py)")
    ap.add_argument("--json", help="also write the figures here")
    a = ap.parse_args()
    a.pack = a.pack or os.path.join(os.path.dirname(a.earshot), "earshot-pack")
    if a.manifest == ["none"]:
        manifests = []
    elif a.manifest:
        manifests = list(a.manifest)
    else:
        manifests = [os.path.join(a.calib, n + ".jsonl") for n in CALIB]
        if os.path.isdir(a.xdev):
            manifests += [os.path.join(a.xdev, n) for n in sorted(os.listdir(a.xdev))
                          if n.endswith(("_commands_clean.jsonl", "_commands_snr10.jsonl"))]
    if a.real_dev:
        manifests.append(a.real_dev)
        real_rows = list(realspeech.iter_jsonl(a.real_dev))
    if not manifests:
        sys.exit("compare: nothing to compare on ('--manifest none' wants --real-dev)")
    for p in [a.earshot, a.pack] + manifests + a.checkpoints:
        if not os.path.exists(p):
            sys.exit(f"compare: {p} does not exist" + (" (make_dataset.py --calib makes the calibration set)"
                                                      if p in manifests else ""))
    if not os.path.isdir(a.calib_data):
        sys.exit(f"compare: --calib-data {a.calib_data} does not exist (make_dataset.py --split dev)")
    names = [os.path.splitext(os.path.basename(m))[0].replace("calib_commands_", "").replace("_commands_", " ")
             for m in manifests]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, ck in enumerate(a.checkpoints):
            print(f"[{i + 1}/{len(a.checkpoints)}] {ck}", file=sys.stderr, flush=True)
            st = os.path.join(tmp, f"{i}.safetensors")
            image = os.path.join(tmp, f"{i}.esm")
            run([sys.executable, os.path.join(HERE, "export.py"), ck, "-o", st,
                 "--calib-data", a.calib_data, "--calib-utts", str(a.calib_utts)])
            run([a.pack, "pack", st, "-o", image])
            row = {"checkpoint": ck}
            for name, m in zip(names, manifests):
                for beam in (a.beam, 1):
                    v, unit = evaluate(a, image, m, beam)
                    row[f"{name} {'greedy' if beam == 1 else f'b{beam}'}{'' if unit == 'WER %' else ' text'}"] = round(v, 2)
            if a.real_dev:
                sa = SimpleNamespace(earshot=a.earshot, model=image, manifest=a.real_dev, list_size=200, peer=False,
                                     calibrate=False, jobs=1, noise=None, beam_args=[])
                sp = eval_split.run(sa, real_rows)
                i = sp["in_list"]
                row["real dev list err"] = round(100.0 * (1 - i["best_right"] / max(1, i["n"])), 2)
                row["real dev list err (reject)"] = round(100.0 * (1 - i["right"] / max(1, i["n"])), 2)
            rows.append(row)
    cols = [k for k in rows[0] if k != "checkpoint"]
    print(f"WER % (b{a.beam}: beam {a.beam} without the LM; greedy: --beam 1); 'text': % of silence/noise clips that gave text")
    print("| checkpoint | " + " | ".join(cols) + " |")
    print("|---" * (len(cols) + 1) + "|")
    for r in rows:
        print(f"| {r['checkpoint']} | " + " | ".join(f"{r[c]:.2f}" for c in cols) + " |")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
