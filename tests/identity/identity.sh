#!/usr/bin/env bash
# Cross-target identity: for every bundled sample (models/samples/*.wav), on the
# shipped model (models/en-small.esm) and on a random-weight model of the target
# size, these runs must print the same JSON fields as the host's scalar run
# (tests/identity/compare.py: every field but file, rtf and cycles):
#   host      build/host/bin/earshot transcribe --json --isa L, for every x86 level
#             L this CPU runs (scalar, avx2, avx512vnni; from /proc/cpuinfo)
#   aarch64   build/aarch64-linux/bin/earshot ... under qemu-aarch64 -cpu max,
#             --isa neon and --isa neondot
#   armv7     build/armv7-linux/bin/earshot ... under qemu-arm, --isa neon
#   firmware  tools/run-firmware --board B --cpu C (qemu-system-arm), each C given
#
#   identity.sh --board virt|raspi2b --firmware-build DIR [--cpu C]... [--host-bin DIR]
#               [--aarch64-bin DIR] [--armv7-bin DIR] [--require FIELD,...]
#
# Which builds must be there: all of them, unless EARSHOT_TEST_PRESETS (set by
# ./tools/test to the presets it builds in this run) leaves a preset out; then
# that target is skipped and says so (its binaries could be stale), and without
# the host preset the whole test is skipped. A build that should be there and
# is not is a failure, never a skip.
# Exit: 0 all equal, 1 a difference or a failed run, 2 usage, 77 skipped.
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
board='' fwbuild='' cpus=() require=text,confidence
hostbin=$src/build/host/bin a64bin=$src/build/aarch64-linux/bin a32bin=$src/build/armv7-linux/bin
while (($#)); do
  case $1 in
    --board) board=$2; shift 2 ;;
    --firmware-build) fwbuild=$2; shift 2 ;;
    --cpu) cpus+=("$2"); shift 2 ;;
    --host-bin) hostbin=$2; shift 2 ;;
    --aarch64-bin) a64bin=$2; shift 2 ;;
    --armv7-bin) a32bin=$2; shift 2 ;;
    --require) require=$2; shift 2 ;;
    *) echo "identity.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ -n $board && -n $fwbuild ]] || { echo "identity.sh: --board and --firmware-build are required" >&2; exit 2; }
((${#cpus[@]})) || cpus=(cortex-a7)

requested() { [[ -z ${EARSHOT_TEST_PRESETS+x} || " $EARSHOT_TEST_PRESETS " == *" $1 "* ]]; }
fail=0 skipped=()
need() {  # need PRESET FILE...: 0 use it, 1 skip it (not requested); missing -> failure
  local preset=$1 f; shift
  if ! requested "$preset"; then
    skipped+=("$preset (not built in this ./tools/test run)")
    return 1
  fi
  for f in "$@"; do
    if [[ ! -x $f ]]; then
      echo "identity: FAIL: $f missing: build it (cmake --preset $preset && cmake --build --preset $preset)"
      fail=1
      return 1
    fi
  done
}

if ! requested host; then
  echo "identity: skipped: the host preset is not built in this ./tools/test run (EARSHOT_TEST_PRESETS=$EARSHOT_TEST_PRESETS)"
  exit 77
fi
need host "$hostbin/earshot" "$hostbin/earshot-pack" "$hostbin/earshot-random-image" || exit 1
[[ -f $fwbuild/earshot-fw.elf ]] || { echo "identity: FAIL: no firmware in $fwbuild"; exit 1; }
[[ -f $src/models/en-small.esm ]] || { echo "identity: FAIL: models/en-small.esm missing"; exit 1; }

# x86 levels this CPU runs, as lib/kernels/isa.cpp decides them (Linux drops the
# AVX flags when the OS does not enable their register state).
flags=" $(grep -m1 '^flags' /proc/cpuinfo | cut -d: -f2) "
has() { local f; for f; do [[ $flags == *" $f "* ]] || return 1; done; }
isas=(scalar)
has avx2 && isas+=(avx2)
has avx2 avx512f avx512dq avx512bw avx512vl avx512_vnni && isas+=(avx512vnni)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$src"  # relative WAV paths: the firmware's semihosting opens them from here
wavs=(models/samples/*.wav)
"$hostbin/earshot-random-image" --config target --seed 7 -o "$work/random-target.esm" >/dev/null
models=(models/en-small.esm "$work/random-target.esm")
use_a64=0 use_a32=0
need aarch64-linux "$a64bin/earshot" && use_a64=1
need armv7-linux "$a32bin/earshot" && use_a32=1
mkdir -p "$work/host" "$work/aarch64" "$work/armv7" "$work/firmware-$board"

# run LABEL COMMAND...: its stdout into $work/LABEL.jsonl; a failed run fails the test.
run() {
  local label=$1; shift
  local t0=$SECONDS
  if ! "$@" >"$work/$label.jsonl" 2>"$work/$label.err"; then
    echo "identity: FAIL: $label exited non-zero: $*"
    sed 's/^/  /' "$work/$label.err" | tail -20
    fail=1
  fi
  labels+=("$label=$work/$label.jsonl")
  times+=("$label $((SECONDS - t0))s")
}

for model in "${models[@]}"; do
  labels=() times=()
  tr=(transcribe --json --beam 1 --model "$model")  # the firmware decodes greedily
  for isa in "${isas[@]}"; do
    run "host/$isa" "$hostbin/earshot" "${tr[@]}" --isa "$isa" "${wavs[@]}"
  done
  if ((use_a64)); then
    for isa in neon neondot; do
      run "aarch64/$isa" qemu-aarch64 -cpu max -L /usr/aarch64-linux-gnu -E LD_LIBRARY_PATH=/usr/aarch64-linux-gnu/lib "$a64bin/earshot" "${tr[@]}" --isa "$isa" "${wavs[@]}"
    done
  fi
  if ((use_a32)); then
    run "armv7/neon" qemu-arm -L /usr/arm-linux-gnueabihf -E LD_LIBRARY_PATH=/usr/arm-linux-gnueabihf/lib "$a32bin/earshot" "${tr[@]}" --isa neon "${wavs[@]}"
  fi
  for cpu in "${cpus[@]}"; do
    run "firmware-$board/$cpu" "$src/tools/run-firmware" --board "$board" --cpu "$cpu" --build "$fwbuild" \
      --pack "$hostbin/earshot-pack" --model "$model" "${wavs[@]}"
  done
  echo "identity: $(basename "$model"), ${#wavs[@]} samples (seconds per run: ${times[*]})"
  python3 "$src/tests/identity/compare.py" --require "$require" "${labels[@]}" || fail=1
done
for s in "${skipped[@]}"; do echo "identity: SKIPPED ${s}"; done
((fail == 0)) && echo "identity: all runs equal"
exit $fail
