"""Compares the JSON lines of several runs of the recognizer on the same files.

    compare.py [--require FIELD,...] LABEL=FILE.jsonl...   (the first one is the reference)

The reference is a host `earshot transcribe --json` run. Every field it prints is
compared in every other run, value for value, except the file path (runs may be
given other paths; its basename must still match line by line) and timing
(`rtf`, `cycles`). So a field added to the CLI's output later (confidence,
words, ...) is compared without a change here, and a run that lacks one of the
reference's fields differs. Fields only some runs print (the firmware's
`samples`, `cycles`, `arena_bytes`, `stack_bytes`: device measurements) have no
reference and are only listed. --require names fields the reference must print
(default: text,confidence). Exit 0 all equal, 1 any difference or a bad run.
"""
import json
import os
import sys

IGNORED = {"file", "rtf", "cycles"}


def short(value, limit=160):
    text = json.dumps(value)
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} characters)"


def load(label, path):
    runs = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                runs.append(json.loads(line))
            except json.JSONDecodeError as e:
                raise SystemExit(f"identity: {label}: line {n} of its output is not JSON ({e}): {line.strip()[:200]}")
    return runs


def main(argv):
    required = ["text", "confidence"]
    if len(argv) >= 2 and argv[0] == "--require":
        required = [f for f in argv[1].split(",") if f]
        argv = argv[2:]
    if len(argv) < 2:
        raise SystemExit(__doc__)
    runs = []
    for arg in argv:
        label, _, path = arg.partition("=")
        runs.append((label, load(label, path)))
    ref_label, ref = runs[0]
    ok = True
    if not ref:
        print(f"identity: {ref_label} printed nothing")
        return 1
    for i, line in enumerate(ref):
        if "error" in line:
            print(f"identity: {ref_label}: {line.get('file')}: error: {line['error']}")
            ok = False
        for f in required:
            if f not in line:
                print(f"identity: {ref_label}: {line.get('file')}: no '{f}' field in its JSON")
                ok = False
    fields = sorted({k for line in ref for k in line} - IGNORED - {"error"})
    extra = set()
    for label, lines in runs[1:]:
        missing = {}  # field -> files lacking it: said once per run
        shown = 0  # differences printed for this run (the first few tell the story)
        if len(lines) != len(ref):
            print(f"identity: {label} printed {len(lines)} lines, {ref_label} {len(ref)}")
            ok = False
        for r, o in zip(ref, lines):
            name = os.path.basename(str(r.get("file")))
            if os.path.basename(str(o.get("file"))) != name:
                print(f"identity: line order differs: {ref_label} has {r.get('file')}, {label} {o.get('file')}")
                ok = False
                continue
            if "error" in o:
                print(f"identity: {label}: {name}: error: {o['error']}")
                ok = False
                continue
            for k in fields:
                if k not in o:
                    missing.setdefault(k, []).append(name)
                    ok = False
                elif o[k] != r.get(k):
                    ok = False
                    shown += 1
                    if shown <= 6:
                        print(f"identity: {name}: '{k}' differs\n  {ref_label}: {short(r.get(k))}\n"
                              f"  {label}: {short(o[k])}")
            extra |= set(o) - set(r) - IGNORED
        if shown > 6:
            print(f"identity: {label}: {shown - 6} more differences")
        for k, names in missing.items():
            print(f"identity: {label}: no '{k}' field ({ref_label} prints one) for {len(names)} of {len(ref)} files")
        if not missing and not shown and len(lines) == len(ref):
            print(f"identity: {label}: equal to {ref_label}")
    if not ok:
        return 1
    labels = ", ".join(label for label, _ in runs)
    for r in ref:
        conf = r.get("confidence")
        print(f"  {os.path.basename(str(r['file']))}: {r.get('text')!r} confidence {json.dumps(conf)}")
    print(f"  same {', '.join(fields)} on {len(runs)} runs: {labels}")
    if extra:
        print(f"  not compared (device measurements, no host reference): {', '.join(sorted(extra))}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
