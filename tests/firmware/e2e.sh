#!/usr/bin/env bash
# Cross-target identity: the firmware under QEMU must print the same
# transcript as the host for every bundled sample and random-weight model.
# (Random weights give junk text, but deterministic junk, which is all an
# identity test needs; with models/en-small.esm present it is checked too.)
#
#   e2e.sh --host-bin DIR --build DIR [--board virt|raspi2b] [--cpu CPU] [--config tiny|target]...
#
# References, on the same model and WAV files:
#   1. `earshot transcribe --json` (host CLI, C API, x86 kernels): text,
#      tokens, encoder_frames and token_times must be equal
#   2. `earshot features` + `earshot-run` (the front-end's features pushed
#      into the C++ runtime directly, one utterance): the firmware's first
#      utterance's text and length, and the encoder frames
# Exit: 0 all equal, 1 a difference (printed), 77 host tools missing (skip).
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
bin='' build='' board=virt cpu='' configs=()
while (($#)); do
  case $1 in
    --host-bin) bin=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    --board) board=$2; shift 2 ;;
    --cpu) cpu=$2; shift 2 ;;
    --config) configs+=("$2"); shift 2 ;;
    *) echo "e2e.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
((${#configs[@]})) || configs=(tiny target)
for t in earshot earshot-pack earshot-random-image earshot-run; do
  if [[ ! -x $bin/$t ]]; then
    echo "e2e.sh: $bin/$t missing: build the host preset first (cmake --preset host && cmake --build --preset host)"
    exit 77
  fi
done
py=python3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

wavs=("$src"/models/samples/*.wav "$src/tests/golden/speech.wav")
images=()
seed=11
for cfg in "${configs[@]}"; do
  "$bin/earshot-random-image" --config "$cfg" --seed $seed -o "$work/random-$cfg.esm" >/dev/null
  images+=("$work/random-$cfg.esm")
  seed=$((seed + 1))
done
[[ -f $src/models/en-small.esm ]] && images+=("$src/models/en-small.esm")

runfw=("$src/tools/run-firmware" --board "$board" --build "$build" --pack "$bin/earshot-pack")
[[ -n $cpu ]] && runfw+=(--cpu "$cpu")

# Features once per WAV (reference 2).
for w in "${wavs[@]}"; do
  "$bin/earshot" features "$w" -o "$work/$(basename "$w" .wav).npy" >/dev/null
done

fail=0
for img in "${images[@]}"; do
  name=$(basename "$img")
  "${runfw[@]}" --model "$img" "${wavs[@]}" >"$work/fw.jsonl"
  "$bin/earshot" transcribe --json --beam 1 --model "$img" "${wavs[@]}" >"$work/host.jsonl"  # greedy, as the firmware
  : >"$work/run.jsonl"
  for w in "${wavs[@]}"; do
    "$bin/earshot-run" "$img" "$work/$(basename "$w" .wav).npy" --dump "$work/dump.json" >/dev/null
    $py -c 'import json,sys; d=json.load(open(sys.argv[1])); print(json.dumps({"file":sys.argv[2],"text":d["text"],"tokens":len(d["tokens"]),"encoder_frames":len(d["ctc_tokens"])}))' \
      "$work/dump.json" "$w" >>"$work/run.jsonl"
  done
  $py - "$work/fw.jsonl" "$work/host.jsonl" "$work/run.jsonl" "$name" "$board${cpu:+/$cpu}" <<'PY' || fail=1
import json, sys
fw, host, run = ([json.loads(l) for l in open(p) if l.strip()] for p in sys.argv[1:4])
model, target = sys.argv[4], sys.argv[5]
ok = len(fw) == len(host) == len(run)
if not ok:
    print(f"{model}: {len(fw)} firmware lines, {len(host)} host lines, {len(run)} earshot-run lines")
for f, h, r in zip(fw, host, run):
    # earshot-run decodes one utterance (push_features + finish): it must be the firmware's first
    # utterance (when it says anything); the firmware, like transcribe, goes on utterance after utterance.
    first = dict(f)
    if r.get("text"):
        utts = f.get("utterances") or [{"text": ""}]
        first["text"] = utts[0]["text"]
        first["tokens"] = len(first["text"])
    else:
        first["text"], first["tokens"] = r.get("text"), r.get("tokens")
    for got, ref, keys, what in ((f, h, ("file", "text", "tokens", "encoder_frames", "token_times"), "earshot transcribe"),
                                 (first, r, ("file", "text", "tokens", "encoder_frames"), "earshot-run")):
        for k in keys:
            if got.get(k) != ref.get(k):
                ok = False
                print(f"{model} {f.get('file')}: firmware ({target}) and {what} differ in {k}:\n"
                      f"  firmware: {json.dumps(got.get(k))}\n  {what}: {json.dumps(ref.get(k))}")
    if ok:
        print(f"{model} {f['file'].split('/')[-1]}: same on {target} and host: {f['tokens']} tokens, "
              f"{f['encoder_frames']} encoder frames, {f['cycles']} cycles, arena {f['arena_bytes']} B, "
              f"stack {f['stack_bytes']} B: {f['text'][:40]!r}")
sys.exit(0 if ok else 1)
PY
done
((fail == 0)) && echo "e2e: firmware ($board${cpu:+/$cpu}) = host on ${#wavs[@]} files x ${#images[@]} models"
exit $fail
