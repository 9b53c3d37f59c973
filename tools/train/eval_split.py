#!/usr/bin/python3
"""The real-speech table: earshot and PocketSphinx on held-out game characters (real_split.py).

    /usr/bin/python3 tools/train/eval_split.py .cache/real/split/dev.jsonl [--model M] [--peer]
                                               [--calibrate] [--json out.json]

`dev.jsonl` chooses checkpoints and calibrates the rejection threshold; `test.jsonl` is only
read for the model card. Per set:

  * open vocabulary: `earshot eval` (beam 8 with the LM, the CLI's defaults) over every clip:
    WER and sentence error; with --peer, PocketSphinx with its own trigram LM beside it.
  * phrase lists, the way a device is used: the clips whose text CMUdict covers (so PocketSphinx
    can take the same list) are grouped by source, and each source's distinct texts cut into
    lists of at most --list-size phrases (200; the issue's largest list). Each clip is decoded
    with its own list (in-list: right / wrong / no match, with the default rejection and with
    none) and with the next list of its source, which does not hold its text (out-of-list: a
    false accept is any phrase given). With --peer, PocketSphinx decodes both with the same lists
    as JSGF (it has no rejection: every out-of-list result it gives is a false accept).
  * --noise M: silence and noise clips decoded with the first list and open (none should give text).
  * --calibrate: the lowest threshold on the match score whose out-of-list false accepts stay
    at or under --max-fa (5 %), with the in-list sentence error it gives; and the same for the
    ratio of the match score to the unconstrained decoding's confidence, to show which score
    separates better. Run on dev only.
"""
import argparse
import hashlib
import json
import os
import sys
import tempfile
from types import SimpleNamespace

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import eval_heldout  # noqa: E402
import pocketsphinx as ps  # noqa: E402
import realspeech  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def phrase_lists(rows, size):
    """[(source, phrases, in-list row indices)], each source's texts cut into lists of <= size."""
    by_src = {}
    for i, r in enumerate(rows):
        if ps.in_dict(r["text"]):
            by_src.setdefault(r["source"], {}).setdefault(r["text"], []).append(i)
    lists = []
    for src in sorted(by_src):
        texts = sorted(by_src[src], key=lambda t: hashlib.blake2b(t.encode(), digest_size=8).digest())
        n = -(-len(texts) // size)
        for k in range(n):
            part = texts[k::n]  # n even lists
            lists.append((src, sorted(part), [i for t in part for i in by_src[src][t]]))
    return lists


def outside_of(lists, k):
    """The list that clips of list k are decoded with as out-of-list: the next one of the same
    source, else the next one of any source."""
    same = [j for j, l in enumerate(lists) if l[0] == lists[k][0] and j != k]
    if same:
        return min(same, key=lambda j: (j - k) % len(lists))
    return (k + 1) % len(lists) if len(lists) > 1 else None


def run(a, rows):
    base = os.path.dirname(os.path.abspath(a.manifest))
    wav = [os.path.join(base, r["audio"]) for r in rows]
    lists = phrase_lists(rows, a.list_size)
    out = {"clips": len(rows), "words": sum(len(r["text"].split()) for r in rows), "lists": len(lists),
           "list_phrases": [len(l[1]) for l in lists]}
    ev = eval_heldout.ev(SimpleNamespace(earshot=a.earshot, model=a.model, beam=8, lm_weight=None,
                                         show_commands=False), a.manifest)
    out["open"] = {"wer": ev["wer"], "sentence_error": ev.get("ser", ev.get("sentence_error"))}
    if a.peer:
        hyp = ps.decode(wav, None, a.jobs)
        e = [ps.wer_counts(r["text"], h) for r, h in zip(rows, hyp)]
        out["peer_open"] = {"wer": sum(x for x, _ in e) / max(1, sum(n for _, n in e)),
                            "sentence_error": sum(h != r["text"] for r, h in zip(rows, hyp)) / len(rows)}
    inl = {"n": 0, "right": 0, "wrong": 0, "no_match": 0, "best_right": 0}
    outl = {"n": 0, "accepted": 0}
    peer_in = {"n": 0, "right": 0}
    peer_out = {"n": 0, "accepted": 0}
    scores_in, scores_out = [], []  # (match, right) / match, for calibration
    ratio_in, ratio_out = [], []  # the same with match / open-vocabulary confidence
    conf = {}
    if a.calibrate:  # the unconstrained decoding's confidence per clip, for the ratio score
        conf = {w: o.get("confidence") or 0.0 for w, o in zip(wav, eval_heldout.transcribe(a.earshot, a.model, wav))}
    with tempfile.TemporaryDirectory(prefix="earshot-split-") as tmp:
        for k, (src, phrases, idx) in enumerate(lists):
            g = os.path.join(tmp, f"list{k}.txt")
            with open(g, "w") as f:
                f.write("\n".join(phrases) + "\n")
            files = [wav[i] for i in idx]
            dflt = eval_heldout.transcribe(a.earshot, a.model, files, ["--grammar", g, *a.beam_args])
            best = eval_heldout.transcribe(a.earshot, a.model, files, ["--grammar", g, "--reject", "0", *a.beam_args])
            for i, d, b in zip(idx, dflt, best):
                ref = rows[i]["text"]
                inl["n"] += 1
                if d.get("no_match"):
                    inl["no_match"] += 1
                elif d["text"] == ref:
                    inl["right"] += 1
                else:
                    inl["wrong"] += 1
                inl["best_right"] += b["text"] == ref
                scores_in.append((b.get("match") or 0.0, b["text"] == ref))
                if conf:
                    ratio_in.append((ratio(b.get("match"), conf[wav[i]]), b["text"] == ref))
            j = outside_of(lists, k)
            if j is not None:
                listed = set(phrases)
                oidx = [i for i in lists[j][2] if rows[i]["text"] not in listed]
                ofiles = [wav[i] for i in oidx]
                od = eval_heldout.transcribe(a.earshot, a.model, ofiles, ["--grammar", g, *a.beam_args])
                ob = eval_heldout.transcribe(a.earshot, a.model, ofiles, ["--grammar", g, "--reject", "0", *a.beam_args])
                outl["n"] += len(oidx)
                outl["accepted"] += sum(not d.get("no_match") and d["text"] != "" for d in od)
                scores_out += [(b.get("match") or 0.0) if b["text"] else 0.0 for b in ob]
                if conf:
                    ratio_out += [ratio(b.get("match"), conf[w]) if b["text"] else 0.0 for w, b in zip(ofiles, ob)]
            if a.peer:
                hyp = ps.decode(files, phrases, a.jobs)
                peer_in["n"] += len(files)
                peer_in["right"] += sum(h == rows[i]["text"] for i, h in zip(idx, hyp))
                if j is not None and ofiles:
                    ohyp = ps.decode(ofiles, phrases, a.jobs)
                    peer_out["n"] += len(ofiles)
                    peer_out["accepted"] += sum(h != "" for h in ohyp)
            print(f"eval_split: list {k + 1}/{len(lists)} ({src}, {len(phrases)} phrases, {len(idx)} clips)",
                  file=sys.stderr, flush=True)
            if a.noise and k == 0:  # silence and noise against the first list, and open vocabulary
                nrows = list(realspeech.iter_jsonl(a.noise))
                nbase = os.path.dirname(os.path.abspath(a.noise))
                nfiles = [os.path.join(nbase, r["audio"]) for r in nrows]
                nd = eval_heldout.transcribe(a.earshot, a.model, nfiles, ["--grammar", g, *a.beam_args])
                no = eval_heldout.transcribe(a.earshot, a.model, nfiles)
                out["noise"] = {"n": len(nfiles), "list_accepted": sum(not d.get("no_match") and d["text"] != ""
                                                                        for d in nd),
                                "open_with_text": sum(o["text"] != "" for o in no)}
    out["in_list"], out["out_of_list"] = inl, outl
    if a.peer:
        out["peer_in_list"], out["peer_out_of_list"] = peer_in, peer_out
    if a.calibrate:
        out["calibration"] = calibrate(scores_in, scores_out, a.max_fa)
        out["calibration_ratio"] = calibrate(ratio_in, ratio_out, a.max_fa)
    return out


def ratio(match, open_conf):
    """The list's match score over the unconstrained decoding's confidence (capped at 1): does the
    list explain the audio as well as free decoding does?"""
    return min(1.0, (match or 0.0) / max(open_conf, 1e-3))


def calibrate(scores_in, scores_out, max_fa):
    """Lowest threshold with out-of-list accepts <= max_fa; its in-list sentence error."""
    cands = sorted({s for s, _ in scores_in} | set(scores_out) | {0.0, 1.0})
    for t in cands:
        fa = sum(s >= t and s > 0 for s in scores_out) / max(1, len(scores_out))
        if fa <= max_fa:
            right = sum(ok and s >= t for s, ok in scores_in)
            return {"threshold": t, "reject_q15": round(t * 32768), "false_accepts": fa,
                    "in_list_sentence_error": 1 - right / max(1, len(scores_in))}
    return None


def pct(x, n):
    return f"{100 * x / max(1, n):.1f} %"


def report(name, s):
    i, o = s["in_list"], s["out_of_list"]
    print(f"{name}: {s['clips']} clips, {s['words']} words; {s['lists']} phrase lists "
          f"({min(s['list_phrases'], default=0)}-{max(s['list_phrases'], default=0)} phrases), {i['n']} in-list clips")
    print("| | earshot | PocketSphinx |\n|---|---|---|")
    po = s.get("peer_open")
    peer_wer = f"{100 * po['wer']:.1f} %" if po else "-"
    print(f"| open vocabulary WER | {100 * s['open']['wer']:.1f} % | {peer_wer} |")
    pi, pout = s.get("peer_in_list"), s.get("peer_out_of_list")
    print(f"| phrase list, sentence error (default rejection) | {pct(i['n'] - i['right'], i['n'])} "
          f"(wrong {pct(i['wrong'], i['n'])}, no match {pct(i['no_match'], i['n'])}) | "
          f"{pct(pi['n'] - pi['right'], pi['n']) if pi else '-'} |")
    print(f"| phrase list, sentence error (no rejection) | {pct(i['n'] - i['best_right'], i['n'])} | - |")
    print(f"| out-of-list false accepts | {pct(o['accepted'], o['n'])} of {o['n']} | "
          f"{pct(pout['accepted'], pout['n']) if pout else '-'} |")
    if s.get("noise"):
        z = s["noise"]
        print(f"| silence and noise clips with text: phrase list / open vocabulary | {pct(z['list_accepted'], z['n'])} / "
              f"{pct(z['open_with_text'], z['n'])} of {z['n']} | - |")
    for key, what in (("calibration", "calibration: match score"), ("calibration_ratio", "  the ratio match / open confidence")):
        c = s.get(key)
        if c:
            print(f"{what}: threshold {c['threshold']:.3f} (reject_q15 {c['reject_q15']}): false accepts "
                  f"{100 * c['false_accepts']:.1f} %, in-list sentence error {100 * c['in_list_sentence_error']:.1f} %")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("manifest")
    ap.add_argument("--model", default=os.path.join(ROOT, "models/en-small.esm"))
    ap.add_argument("--earshot", default=os.path.join(ROOT, "build/host/bin/earshot"))
    ap.add_argument("--list-size", type=int, default=200)
    ap.add_argument("--beam", type=int, help="beam width for the phrase lists (default: the CLI's, 16 with a "
                    "grammar; 1 = greedy, as the firmware decodes, whose threshold is kDefaultRejectQ15)")
    ap.add_argument("--ctc-weight", type=int, help="CTC weight in percent for the phrase lists' beam search "
                    "(default: the CLI's, 70 with a grammar)")
    ap.add_argument("--ctc", action="store_true", help="phrase lists with the CTC search (earshot --ctc; --beam is "
                    "then its width)")
    ap.add_argument("--peer", action="store_true", help="PocketSphinx on the same clips and lists")
    ap.add_argument("--calibrate", action="store_true", help="threshold for --max-fa out-of-list accepts (dev only)")
    ap.add_argument("--max-fa", type=float, default=0.05)
    ap.add_argument("--jobs", type=int, default=1, help="PocketSphinx processes")
    ap.add_argument("--noise", help="manifest of silence/noise-only clips (e.g. make_dataset.py --heldout's "
                    "empty.jsonl): the share that gives text, with the first phrase list and open")
    ap.add_argument("--json")
    a = ap.parse_args()
    if not os.access(a.earshot, os.X_OK):
        sys.exit(f"eval_split: {a.earshot} is not an executable (cmake --build --preset host, or --earshot)")
    a.beam_args = (["--beam", str(a.beam)] if a.beam else []) + \
        (["--ctc-weight", str(a.ctc_weight)] if a.ctc_weight is not None else []) + (["--ctc"] if a.ctc else [])
    rows = list(realspeech.iter_jsonl(a.manifest))
    if not rows:
        sys.exit(f"eval_split: {a.manifest} is empty")
    s = run(a, rows)
    report(os.path.basename(a.manifest), s)
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"model": a.model, "manifest": a.manifest, **s}, f, indent=1)


if __name__ == "__main__":
    main()
