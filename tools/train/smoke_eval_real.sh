#!/usr/bin/env bash
# eval_real.py end to end on the shipped model: every recording gets a result in every mode
# and the report adds up. Accuracy is printed, never asserted (eval_real.py says why).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
earshot=${1:-$root/build/host/bin/earshot}
[[ -f /usr/share/sounds/alsa/Front_Left.wav ]] || { echo "smoke_eval_real: FAIL: alsa-utils is not installed (tools/setup)"; exit 1; }
out=$(mktemp)
trap 'rm -f "$out"' EXIT
/usr/bin/python3 "$root/tools/train/eval_real.py" --earshot "$earshot" --json "$out"
/usr/bin/python3 - "$out" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
s, rows = d["summary"], d["recordings"]
assert s["recordings"] == len(rows) == 9 and s["speech"] == 8 and s["words"] == 16, s
assert all(r["grammar"] == "<no match>" or r["grammar"] == "" or r["grammar"] in {x["reference"] for x in rows}
           for r in rows), "grammar output outside the grammar"
assert s["grammar_correct"] + s["grammar_wrong"] + s["grammar_no_match"] == s["speech"], s
assert all(r["best_path"] in {x["reference"] for x in rows if x["reference"]} for r in rows if r["reference"]), \
    "--reject 0 must always give a phrase of the grammar"
assert 0 <= s["open_wer"] and all(0 <= (r["match"] or 0) <= 1 for r in rows), s
print("smoke_eval_real: passed")
PY
