#!/usr/bin/env bash
# A phrase list on the board: the beam-search firmware (EARSHOT_BEAM_SEARCH=ON,
# presets firmware-*-beam) under QEMU must print what the host CLI prints for
# the same phrase list, search and width,
#   earshot transcribe --json --ctc --beam W --grammar tests/firmware/phrases.txt
# (--ctc W: the firmware's default, the CTC search of EARSHOT_FW_CTC_WIDTH) or
#   earshot transcribe --json --beam N --grammar ... (--beam N: beam=N),
# for every bundled sample and tests/golden/speech.wav (which matches no
# phrase: a rejected utterance), on models/en-small.esm when it exists and on
# a target-size (3x192) random-weight model (junk, but deterministic junk held
# to the list). Every field the host prints is compared (tests/identity/
# compare.py: text, confidence, no_match, match, words, utterances, tokens,
# encoder_frames, token_times) but rtf and the n-best list, which the
# firmware does not print.
#
#   phrases.sh --host-bin DIR --build DIR (--ctc W | --beam N) [--board B] [--cpu CPU]
# Exit: 0 all equal, 1 a difference (printed), 77 host tools missing (skip).
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
bin='' build='' board=virt cpu='' beam='' ctc=''
while (($#)); do
  case $1 in
    --host-bin) bin=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    --board) board=$2; shift 2 ;;
    --cpu) cpu=$2; shift 2 ;;
    --beam) beam=$2; shift 2 ;;
    --ctc) ctc=$2; shift 2 ;;
    *) echo "phrases.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ -n $beam || -n $ctc ]] || { echo "phrases.sh: --ctc W (the firmware's EARSHOT_FW_CTC_WIDTH) or --beam N is required" >&2; exit 2; }
if [[ -n $ctc ]]; then
  key=ctc width=$ctc host_search=(--ctc --beam "$ctc") fw_search=()
else
  key=beam width=$beam host_search=(--beam "$beam") fw_search=(--fw-arg "beam=$beam")
fi
for t in earshot earshot-pack earshot-random-image; do
  if [[ ! -x $bin/$t ]]; then
    echo "phrases.sh: $bin/$t missing: build the host preset first (cmake --preset host && cmake --build --preset host)"
    exit 77
  fi
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

phrases=$src/tests/firmware/phrases.txt
wavs=("$src"/models/samples/*.wav "$src/tests/golden/speech.wav")
"$bin/earshot-random-image" --config target --seed 12 -o "$work/random-target.esm" >/dev/null
images=("$work/random-target.esm")
[[ -f $src/models/en-small.esm ]] && images+=("$src/models/en-small.esm")

runfw=("$src/tools/run-firmware" --board "$board" --build "$build" --pack "$bin/earshot-pack" --fw-arg "phrases=$phrases"
       "${fw_search[@]}")
[[ -n $cpu ]] && runfw+=(--cpu "$cpu")

fail=0
for img in "${images[@]}"; do
  name=$(basename "$img" .esm)
  # --ctc: the firmware decodes at its default (no beam=N): that default is what is tested.
  "${runfw[@]}" --model "$img" "${wavs[@]}" >"$work/fw-$name.jsonl" || { cat "$work/fw-$name.jsonl"; fail=1; continue; }
  "$bin/earshot" transcribe --json "${host_search[@]}" --grammar "$phrases" --model "$img" "${wavs[@]}" |
    python3 -c 'import json, sys
for line in sys.stdin:
    d = json.loads(line); d.pop("nbest", None); print(json.dumps(d))' >"$work/host-$name.jsonl"
  python3 - "$work/fw-$name.jsonl" "$key" "$width" <<'PY' || fail=1
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
bad = [l for l in lines if l.get(sys.argv[2]) != int(sys.argv[3]) or "grammar_bytes" not in l]
for l in bad:
    print(f"phrases: the firmware did not decode with the phrase list at {sys.argv[2]} {sys.argv[3]}: {json.dumps(l)[:300]}")
sys.exit(1 if bad or not lines else 0)
PY
  python3 "$src/tests/identity/compare.py" --require text,confidence,no_match,match \
    "host=$work/host-$name.jsonl" "firmware-$board${cpu:+/$cpu}=$work/fw-$name.jsonl" || fail=1
  python3 - "$work/fw-$name.jsonl" "$name" <<'PY'
import json, sys
for l in (json.loads(x) for x in open(sys.argv[1]) if x.strip()):
    print(f"{sys.argv[2]} {l['file'].split('/')[-1]}: {l['text'] or '<no match>'!r}, match {l['match']}, "
          f"arena {l['arena_bytes']} B + phrase list {l['grammar_bytes']} B, stack {l['stack_bytes']} B")
PY
done
((fail == 0)) && echo "phrases: firmware ($board${cpu:+/$cpu}, $key $width) = host on ${#wavs[@]} files x ${#images[@]} models"
exit $fail
