#!/usr/bin/env bash
# eval_real.py end to end on the shipped model: every recording of every set gets a result in
# every mode and the report adds up. Accuracy is printed, never asserted (eval_real.py says why).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
earshot=${1:-$root/build/host/bin/earshot}
for f in /usr/share/sounds/alsa/Front_Left.wav /usr/share/doc/asterisk-core-sounds-en/core-sounds-en.txt.gz \
         /usr/share/asterisk/sounds/en_US_f_Allison/digits/4.wav; do
  [[ -f $f ]] || { echo "smoke_eval_real: FAIL: $f missing (EARSHOT_SETUP_TRAIN=1 tools/setup)"; exit 1; }
done
out=$(mktemp)
trap 'rm -f "$out"' EXIT
/usr/bin/python3 "$root/tools/train/eval_real.py" --earshot "$earshot" --set alsa --set asterisk --json "$out"
/usr/bin/python3 - "$out" <<'PY'
import json, sys
sets = json.load(open(sys.argv[1]))["sets"]

def phrases_only(text, phrases):
    """A file can hold several utterances (pauses past the endpoint): a result is a sequence of phrases."""
    w, ph = text.split(), {tuple(p.split()) for p in phrases}
    ok = [True] + [False] * len(w)
    for i in range(1, len(w) + 1):
        ok[i] = any(ok[j] and tuple(w[j:i]) in ph for j in range(i))
    return ok[len(w)]
for name, least in (("alsa", 9), ("asterisk", 400)):
    s, rows = sets[name]["summary"], sets[name]["recordings"]
    phrases = {r["reference"] for r in rows if r["reference"]}
    assert s["recordings"] == len(rows) >= least and s["speech"] == sum(bool(r["reference"]) for r in rows), (name, s)
    assert s["grammar_phrases"] == len(phrases) and s["noise"] >= 1, (name, s)
    assert all(r["grammar"] == "<no match>" or phrases_only(r["grammar"], phrases) for r in rows), \
        f"{name}: grammar output outside the grammar"
    assert all(phrases_only(r["best_path"], phrases) for r in rows), f"{name}: --reject 0 gave text outside the grammar"
    assert s["grammar_correct"] + s["grammar_wrong"] + s["grammar_no_match"] == s["speech"], (name, s)
    assert s["grammar_correct"] <= s["best_path_correct"] <= s["speech"] and 0 <= s["open_wer"], (name, s)
    assert all(0 <= (r["match"] or 0) <= 1 for r in rows), name
assert sets["alsa"]["summary"]["words"] == 16
print("smoke_eval_real: passed")
PY
