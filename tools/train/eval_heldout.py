#!/usr/bin/python3
"""The model card's accuracy table: `earshot eval` on every held-out set.

    /usr/bin/python3 tools/train/make_dataset.py --heldout --out .cache/data/heldout --seed 7
    /usr/bin/python3 tools/train/eval_heldout.py .cache/data/heldout [--model M] [--beam N] [--grammar-beam N]
                                                 [--json out.json]

For each voice (ked, kal) x set (commands, general) x condition (clean, 10 dB, 0 dB; for commands also
"late": clean after 0.5-3 s more silence, where the recognizer's idle resets fall; "abrupt": clean with
no silence before the speech): open-vocabulary
WER / CER / sentence error at --beam; for the command sets also grammar-constrained sentence error at
--grammar-beam (default 16, the CLI's default with a grammar; the grammar is every command sentence of
the set, as calibrate_reject.py uses) with the default rejection and with none, and the share rejected
as no match.
The silence/noise-only clips: the share with empty output. Every figure is one `earshot eval --json`
run, so anyone can reproduce a cell with the command printed by --show-commands.

--parity also checks every held-out utterance through `earshot-pack verify --reference`: the C++
runtime must give the Python integer reference's (intref.py) tokens and logits byte for byte.
"""
import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def ev(a, manifest, extra=(), beam=None):
    cmd = [a.earshot, "eval", "--json", "--no-progress", "--beam", str(beam or a.beam), *extra]
    if a.lm_weight is not None:
        cmd += ["--lm-weight", str(a.lm_weight)]
    if a.model:
        cmd += ["--model", a.model]
    cmd.append(manifest)
    if a.show_commands:
        print("  $ " + " ".join(os.path.relpath(c, ROOT) if os.path.isabs(c) else c for c in cmd), file=sys.stderr)
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"eval_heldout: {' '.join(cmd)} failed: {r.stderr.strip()}")
    return json.loads(r.stdout)


def transcribe(earshot, model, files, extra=()):
    """`earshot transcribe --json` over files (200 per run): one result dict per file, in order."""
    out = []
    for i in range(0, len(files), 200):
        cmd = [earshot, "transcribe", "--json", *extra] + (["--model", model] if model else [])
        r = subprocess.run(cmd + files[i:i + 200], capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"{' '.join(cmd)} ... failed: {r.stderr.strip()}")
        out += [json.loads(line) for line in r.stdout.splitlines()]
    if len(out) != len(files):
        sys.exit(f"{earshot} transcribe: {len(files)} files but {len(out)} results")
    return out


def no_match_share(a, manifest, grammar):
    """Share of utterances the grammar rejects (earshot transcribe --json no_match)."""
    base = os.path.dirname(manifest)
    with open(manifest) as f:
        files = [os.path.join(base, json.loads(l)["audio"]) for l in f if l.strip()]
    res = transcribe(a.earshot, a.model, files, ["--grammar", grammar, "--beam", str(a.grammar_beam)])
    return sum(r["no_match"] for r in res) / max(1, len(res))


def parity(a, manifests):
    """(identical, total): every utterance's features through earshot-pack verify --reference."""
    pack = os.path.join(os.path.dirname(a.earshot), "earshot-pack")
    model = a.model or os.path.join(ROOT, "models/en-small.esm")
    same = total = 0
    with tempfile.TemporaryDirectory(prefix="earshot-parity-") as tmp:
        for m in manifests:
            base = os.path.dirname(m)
            with open(m) as f:
                files = [os.path.join(base, json.loads(l)["audio"]) for l in f if l.strip()]
            files = files[:a.parity_per_set or None]
            out = os.path.join(tmp, os.path.basename(m)[:-6])
            os.makedirs(out)
            subprocess.run([a.earshot, "features", "-o", out, *files], check=True, capture_output=True)
            feats = sorted(glob.glob(os.path.join(out, "*.npy")))
            for i in range(0, len(feats), 100):
                chunk = feats[i:i + 100]
                cmd = [pack, "verify", model] + [x for fp in chunk for x in ("--reference", fp)]
                r = subprocess.run(cmd, capture_output=True, text=True)
                ok = r.stdout.count("identical to the Python integer reference")
                same += ok
                total += len(chunk)
                if ok != len(chunk):
                    print(f"eval_heldout: parity: {m}: {r.stderr.strip()[:2000]}", file=sys.stderr)
            print(f"  parity {os.path.basename(m)}: {same} of {total} so far", file=sys.stderr)
    return same, total


def pct(x):
    return "-" if x is None else f"{100 * x:.1f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data", help="folder made by make_dataset.py --heldout")
    ap.add_argument("--earshot", default=os.path.join(ROOT, "build/host/bin/earshot"))
    ap.add_argument("--model")
    ap.add_argument("--beam", type=int, default=1, help="open-vocabulary decoding (1 = greedy)")
    ap.add_argument("--grammar-beam", type=int, default=16, help="grammar-constrained decoding")
    ap.add_argument("--lm-weight", type=int, help="character LM weight in open-vocabulary beam search "
                    "(0 = none; default: the CLI's)")
    ap.add_argument("--json", help="write all figures here")
    ap.add_argument("--show-commands", action="store_true", help="print each earshot command on stderr")
    ap.add_argument("--parity", action="store_true", help="also check C++ = Python integer reference on every utterance")
    ap.add_argument("--parity-per-set", type=int, default=0, metavar="N",
                    help="with --parity: only the first N utterances of each set (the reference takes ~3 s each)")
    a = ap.parse_args()

    rows, out = [], {}
    for m in sorted(glob.glob(os.path.join(a.data, "*_*_*.jsonl"))):
        voice, set_name, cond = os.path.basename(m)[:-6].split("_")
        r = {"open": ev(a, m)}
        if set_name == "commands":
            with open(m) as f:
                phrases = sorted({json.loads(l)["text"] for l in f if l.strip()})
            g = os.path.join(a.data, f"{voice}_commands.grammar.txt")
            with open(g, "w") as f:
                f.write("\n".join(phrases) + "\n")
            r["grammar"] = ev(a, m, ["--grammar", g], a.grammar_beam)
            r["grammar_no_reject"] = ev(a, m, ["--grammar", g, "--reject", "0"], a.grammar_beam)
            r["grammar_no_match"] = no_match_share(a, m, g)
        out[f"{voice}_{set_name}_{cond}"] = r
        rows.append((voice, set_name, cond, r))
    empty = os.path.join(a.data, "empty.jsonl")
    if os.path.exists(empty):
        out["empty"] = ev(a, empty)

    order = {"clean": 0, "late": 1, "abrupt": 2, "snr10": 3, "snr0": 4}
    rows.sort(key=lambda x: (x[0], x[1], order.get(x[2], 9)))
    lm = "" if a.lm_weight is None else f", LM weight {a.lm_weight}"
    print(f"open vocabulary: beam {a.beam}{lm}; grammar: beam {a.grammar_beam}; model {a.model or 'default'}\n")
    print("| voice | sentences | condition | WER % | CER % | sentence err % | grammar sentence err % "
          "| grammar no-match % | grammar sentence err %, no rejection |")
    print("|---|---|---|---|---|---|---|---|---|")
    for voice, set_name, cond, r in rows:
        o, g, n = r["open"], r.get("grammar"), r.get("grammar_no_reject")
        print(f"| {voice} | {set_name} | {cond} | {pct(o['wer'])} | {pct(o['cer'])} | {pct(o['ser'])} | "
              f"{pct(g['ser']) if g else '-'} | {pct(r.get('grammar_no_match'))} | {pct(n['ser']) if n else '-'} |")
    if "empty" in out:
        e = out["empty"]
        print(f"\nsilence/noise-only clips: {e['utterances']}, empty output on {pct(1 - e['ser'])} % "
              f"({e['sentences_wrong']} with text)")
    if a.parity:
        manifests = sorted(glob.glob(os.path.join(a.data, "*.jsonl")))
        same, total = parity(a, manifests)
        out["parity"] = {"identical": same, "utterances": total}
        print(f"\nC++ runtime = Python integer reference (tokens and logits, byte for byte): {same} of {total} utterances")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
