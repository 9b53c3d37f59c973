#!/usr/bin/python3
"""Do the subtitles say what the clip says? PocketSphinx picks, for every clip, the closest of
the texts around it in its own source, and the clip is marked:

    confirmed     the pick is the clip's own text, or within 1/3 word edits of it (the same
                  line with a contraction or a word changed);
    contradicted  the pick is another line (more than 1/3 of the words differ): the subtitle is
                  a paraphrase, or the clip is paired with the wrong line;
    unverified    the text has a word missing from CMUdict, is shorter than three words (there
                  PocketSphinx's own confusions, thirty/thirteen, outnumber wrong labels: on
                  Asterisk's prompts all 15 one- and two-word "contradictions" were such), or
                  PocketSphinx found no complete path through the grammar.

    /usr/bin/python3 tools/train/label_check.py .cache/real/drascula.jsonl ... [--block 200] [--jobs 2]

Writes MANIFEST.check.jsonl beside each manifest ({"id", "check", "pick"} per clip) and prints the
shares. The rule that real_split.py applies: contradicted clips are left out of every set;
confirmed and unverified ones are kept. The grammar for a clip is the texts of its block (--block
clips in manifest order, i.e. of the same scene or text table), so a mispairing that moves a
line a few places is caught, at a tenth of the cost of the whole game's lines as one grammar.
PocketSphinx is the checker here, never training data.
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pocketsphinx as ps  # noqa: E402
import realspeech  # noqa: E402


def check(manifest: str, block: int, jobs: int, limit: int = 0, speakers: set | None = None) -> dict:
    rows = list(realspeech.iter_jsonl(manifest))
    want = [r for r in rows if not speakers or r["speaker"] in speakers]
    if limit:
        want = want[:: max(1, len(want) // limit)][:limit]
    want_ids = {r["id"] for r in want}
    base = os.path.dirname(os.path.abspath(manifest))
    out, t0 = [], time.time()
    for b in range(0, len(rows), block):
        blk = rows[b:b + block]
        todo = [r for r in blk if r["id"] in want_ids]
        if not todo:
            continue
        phrases = sorted({r["text"] for r in blk if ps.in_dict(r["text"])})  # the whole block's lines
        dec = [r for r in todo if ps.in_dict(r["text"])]
        picks = ps.decode([os.path.join(base, r["audio"]) for r in dec], phrases, jobs) if dec else []
        got = dict(zip((r["id"] for r in dec), picks))
        for r in todo:
            pick = got.get(r["id"])
            if pick is None or pick == "" or len(r["text"].split()) < 3:
                c = "unverified"
            else:
                e, n = ps.wer_counts(r["text"], pick)
                c = "confirmed" if e * 3 <= n else "contradicted"
            out.append({"id": r["id"], "check": c, "pick": pick})
        print(f"label_check: {os.path.basename(manifest)} {len(out)}/{len(want)} clips, {time.time() - t0:.0f} s",
              file=sys.stderr, flush=True)
    path = manifest[:-len(".jsonl")] + ".check.jsonl"
    merged = {o["id"]: o for o in realspeech.iter_jsonl(path)} if os.path.exists(path) else {}
    merged.update({o["id"]: o for o in out})  # checks of other clips (other --speakers runs) stay
    with open(path + ".part", "w") as f:
        for o in merged.values():
            f.write(json.dumps(o) + "\n")
    os.replace(path + ".part", path)
    counts = {k: sum(o["check"] == k for o in out) for k in ("confirmed", "contradicted", "unverified")}
    checked = counts["confirmed"] + counts["contradicted"]
    print(f"{os.path.basename(manifest)}: {len(out)} clips: {counts}; contradicted "
          f"{100 * counts['contradicted'] / max(1, checked):.1f} % of the checked -> {path}")
    return counts


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("manifests", nargs="+")
    ap.add_argument("--block", type=int, default=200, help="clips whose texts make one grammar")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--limit", type=int, default=0, help="check an even sample of this many clips (0: all)")
    ap.add_argument("--speakers", nargs="+", help="only these speakers' clips (source:character); the "
                    "grammar is still every line of their blocks, and earlier checks of other clips stay")
    a = ap.parse_args()
    for m in a.manifests:
        check(m, a.block, a.jobs, a.limit, set(a.speakers or ()))


if __name__ == "__main__":
    main()
