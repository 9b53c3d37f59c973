#!/usr/bin/env bash
# The firmware's failure paths under QEMU: each case must end with the
# expected exit status *and* say why on the console (a hang, a crash or a
# silent wrong answer fails the test).
#
#   negative.sh CASE --host-bin DIR --build DIR [--board virt|raspi2b|mps2-an500|mps3-an547] [--cpu CPU]
#
#   corrupt-model    one byte of the model in the flash file flipped: the
#                    model reader's CRC check reports it, exit 2; then a
#                    defect every CRC agrees with (decoder.max_chars = 0 with
#                    the model's CRC, the header's copy of it and the header
#                    CRC rewritten, as a buggy packer would write it): the
#                    device's own schema check names the key, exit 2
#   wav-44k          a 44.1 kHz WAV: the WAV reader names the rate, exit 1
#   wav-truncated    a WAV cut short: the reader says how many bytes remain
#                    (a %zu in lib/audio/wav.cpp: app/format.cpp prints it), exit 1
#   arena-too-small  arena=4096 limits the arena: reported at start-up with
#                    the size the model needs (the first line out, before any
#                    audio is read or decoded), exit 2
#   no-flash-header  flash without a header (virt: 64 MiB of zeros;
#                    raspi2b: kernel7.img without a model), exit 2
#   corrupt-firmware one byte of the flash file's firmware part flipped
#                    (in the golden vectors, which nothing runs), exit 2
#   stale-flash      (virt) a flash file made from another earshot-fw.bin (one
#                    byte differs): the firmware notices that the copy in
#                    flash is not the firmware running, exit 2
#   pack-errors      earshot-pack flash refuses bad inputs with a message and
#                    writes nothing: missing file, empty or ELF firmware,
#                    truncated model, too big for the board's layout
# Phrase lists (phrases=FILE; the beam-search build, EARSHOT_BEAM_SEARCH=ON):
#   phrases-out-of-alphabet  a phrase with a digit: the grammar compiler names
#                    line, column and character, exit 2, before any audio
#   phrases-empty    a list of only comments and blank lines: "no phrases",
#                    exit 2; a list that does not exist: "cannot read", exit 2
#   phrases-beam-too-wide  beam=8 on a target-size model: its arena (about
#                    97 KB) is refused at start-up with arena_needed, exit 2
#   phrases-greedy-build  the greedy firmware refuses phrases=FILE and beam=N,
#                    naming the build option, exit 2
# Exit: 0 as expected, 1 not, 77 host tools missing (skip).
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
case=${1:?usage: negative.sh CASE --host-bin DIR --build DIR [--board B] [--cpu C]}
shift
bin='' build='' board=virt cpu=''
while (($#)); do
  case $1 in
    --host-bin) bin=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    --board) board=$2; shift 2 ;;
    --cpu) cpu=$2; shift 2 ;;
    *) echo "negative.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
for t in earshot-pack earshot-random-image; do
  if [[ ! -x $bin/$t ]]; then
    echo "negative.sh: $bin/$t missing: build the host preset first"
    exit 77
  fi
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bin/earshot-random-image" --config tiny -o "$work/tiny.esm" >/dev/null
wav=$src/models/samples/kal-timer.wav
runfw=("$src/tools/run-firmware" --board "$board" --build "$build" --pack "$bin/earshot-pack" --timeout 120)
[[ -n $cpu ]] && runfw+=(--cpu "$cpu")

flip_byte() {  # FILE OFFSET
  python3 -c 'import sys; f=open(sys.argv[1],"r+b"); o=int(sys.argv[2]); f.seek(o); b=f.read(1)[0]; f.seek(o); f.write(bytes([b^0x10]))' "$1" "$2"
}
# A header field of a flash file (firmware/flash_layout.h): 24 firmware_offset,
# 28 firmware_bytes, 36 model_offset. The header is at 0 (virt) or at the
# 4 KiB boundary after the firmware (raspi2b; the firmware itself holds the
# magic too, so searching for it would find the wrong one).
if [[ $board != raspi2b ]]; then  # virt, mps2-an500, mps3-an547
  header_at=0
else
  header_at=$((($(stat -c %s "$build/earshot-fw.bin") + 4095) / 4096 * 4096))
fi
header_field() {  # FILE BYTE_OFFSET
  python3 -c 'import sys,struct; f=open(sys.argv[1],"rb"); f.seek(int(sys.argv[2])); h=f.read(64); assert h[:8]==b"ESFLASH\x1a", "no header"; print(struct.unpack_from("<I", h, int(sys.argv[3]))[0])' "$1" "$header_at" "$2"
}

expect() {  # STATUS REGEX -- COMMAND...
  local want=$1 regex=$2 rc=0
  shift 3
  "$@" >"$work/out" 2>&1 || rc=$?
  cat "$work/out"
  if [[ $rc != "$want" ]]; then
    echo "negative.sh $case: exit status $rc, expected $want"
    exit 1
  fi
  if ! grep -Eq -- "$regex" "$work/out"; then
    echo "negative.sh $case: output does not match: $regex"
    exit 1
  fi
  echo "negative.sh $case: ok (exit $rc, message as expected)"
}

case $case in
  corrupt-model)
    "$bin/earshot-pack" flash --board "$board" --firmware "$build/earshot-fw.bin" --model "$work/tiny.esm" -o "$work/flash.img" >/dev/null
    off=$(header_field "$work/flash.img" 36)
    flip_byte "$work/flash.img" $((off + 20000))  # inside the tensor data
    expect 2 '"error":"the model in flash is not usable","detail":"model image: CRC mismatch' -- \
      "${runfw[@]}" --flash "$work/flash.img" "$wav"
    "$bin/earshot-pack" flash --board "$board" --firmware "$build/earshot-fw.bin" --model "$work/tiny.esm" -o "$work/flash.img" >/dev/null
    python3 - "$work/flash.img" "$header_at" <<'PY'
import struct, sys, zlib
path, at = sys.argv[1], int(sys.argv[2])
f = bytearray(open(path, "rb").read())
model_off, model_bytes = struct.unpack_from("<II", f, at + 36)
m = f[model_off:model_off + model_bytes]
key = b"decoder.max_chars"  # metadata entry: u8 type (1 = u32), u8 key_len, u16, u32 value_bytes, key, value
i = m.find(key)
assert i >= 8 and m[i - 8] == 1 and m[i - 7] == len(key), "decoder.max_chars entry not found"
struct.pack_into("<I", m, i + len(key), 0)
crc = zlib.crc32(bytes(m[:-4])) & 0xFFFFFFFF
struct.pack_into("<I", m, len(m) - 4, crc)
f[model_off:model_off + model_bytes] = m
struct.pack_into("<I", f, at + 44, crc)  # model_crc32: the header's copy
struct.pack_into("<I", f, at + 60, zlib.crc32(bytes(f[at:at + 60])) & 0xFFFFFFFF)  # header_crc32
open(path, "wb").write(f)
PY
    expect 2 '"error":"the model in flash is not usable","detail":"model: metadata .decoder.max_chars. = 0 is outside' -- \
      "${runfw[@]}" --flash "$work/flash.img" "$wav"
    ;;
  wav-44k)
    python3 - "$wav" "$work/44k.wav" <<'PY'
import sys, wave
with wave.open(sys.argv[1]) as r:
    frames = r.readframes(r.getnframes())
with wave.open(sys.argv[2], "wb") as w:  # same samples, labelled 44.1 kHz
    w.setnchannels(1); w.setsampwidth(2); w.setframerate(44100); w.writeframes(frames)
PY
    # The good file after the bad one still runs: one failure, not the run.
    expect 1 '"file":"[^"]*44k.wav","error":"WAV: 44100 Hz, need 16000 Hz"' -- \
      "${runfw[@]}" --model "$work/tiny.esm" "$work/44k.wav" "$wav"
    grep -q '"file":"[^"]*kal-timer.wav","text"' "$work/out" || { echo "negative.sh $case: the good file did not run"; exit 1; }
    ;;
  wav-truncated)
    head -c 20000 "$wav" >"$work/cut.wav"
    expect 1 '"file":"[^"]*cut.wav","error":"WAV: truncated, data chunk says [0-9]+ bytes but 19956 remain"' -- \
      "${runfw[@]}" --model "$work/tiny.esm" "$work/cut.wav"
    ;;
  arena-too-small)
    expect 2 '"error":"arena too small for the model.*"arena_needed":[0-9]+,"arena_bytes":4096' -- \
      "${runfw[@]}" --model "$work/tiny.esm" --fw-arg arena=4096 "$wav"
    # At start-up: the first thing the firmware says, and no file was read or decoded.
    head -n 1 "$work/out" | grep -q '"error":"arena too small' || { echo "negative.sh $case: not the first line out"; exit 1; }
    ! grep -q '"file":' "$work/out" || { echo "negative.sh $case: audio was processed before the arena check"; exit 1; }
    ;;
  no-flash-header)
    if [[ $board == virt ]]; then
      truncate -s 64M "$work/flash.img"
    elif [[ $board == mps* ]]; then
      truncate -s 1M "$work/flash.img"
    else
      cp "$build/earshot-fw.bin" "$work/flash.img"
    fi
    expect 2 '"error":"flash: no earshot flash header at offset' -- "${runfw[@]}" --flash "$work/flash.img" "$wav"
    ;;
  corrupt-firmware)
    "$bin/earshot-pack" flash --board "$board" --firmware "$build/earshot-fw.bin" --model "$work/tiny.esm" -o "$work/flash.img" >/dev/null
    fw_off=$(header_field "$work/flash.img" 24) fw_bytes=$(header_field "$work/flash.img" 28)
    # Half-way into the image: the golden vectors (.golden), never executed,
    # so on raspi2b, which runs this very copy, the check itself still runs.
    flip_byte "$work/flash.img" $((fw_off + fw_bytes / 2))
    expect 2 '"error":"flash: firmware part CRC-32 mismatch \(header [0-9a-f]{8}, computed [0-9a-f]{8}\): the file is corrupt' -- \
      "${runfw[@]}" --flash "$work/flash.img" "$wav"
    ;;
  stale-flash)  # not raspi2b, which runs the file's firmware part itself
    cp "$build/earshot-fw.bin" "$work/other-fw.bin"
    flip_byte "$work/other-fw.bin" $(($(stat -c %s "$work/other-fw.bin") / 2))
    "$bin/earshot-pack" flash --board "$board" --firmware "$work/other-fw.bin" --model "$work/tiny.esm" -o "$work/flash.img" >/dev/null
    expect 2 '"error":"flash: the running firmware.s CRC-32 is [0-9a-f]{8}, the flash file.s firmware part says [0-9a-f]{8}: the flash file was made from another earshot-fw.bin' -- \
      "${runfw[@]}" --flash "$work/flash.img" "$wav"
    ;;
  pack-errors)
    pack() { "$bin/earshot-pack" flash --board "$board" -o "$work/out.img" "$@"; }
    head -c 1000 "$work/tiny.esm" >"$work/truncated.esm"
    : >"$work/empty.bin"
    truncate -s 64M "$work/huge.bin"
    expect 1 'nothere.bin: cannot open' -- pack --firmware "$work/nothere.bin" --model "$work/tiny.esm"
    expect 1 'nothere.esm: cannot open' -- pack --firmware "$build/earshot-fw.bin" --model "$work/nothere.esm"
    expect 1 'firmware file is empty' -- pack --firmware "$work/empty.bin" --model "$work/tiny.esm"
    expect 1 'is an ELF file; give the raw image earshot-fw.bin' -- pack --firmware "$build/earshot-fw.elf" --model "$work/tiny.esm"
    expect 1 'truncated.esm: model image: truncated' -- pack --firmware "$build/earshot-fw.bin" --model "$work/truncated.esm"
    expect 1 "do not fit the $board layout" -- pack --firmware "$work/huge.bin" --model "$work/tiny.esm"
    [[ ! -e $work/out.img && ! -e $work/out.img.tmp ]] || { echo "negative.sh $case: a flash file was written"; exit 1; }
    ;;
  phrases-out-of-alphabet)
    printf 'turn on the kitchen lights\nset the volume to 5\n' >"$work/digits.txt"
    expect 2 '"error":"the phrase list is not usable","phrases":"[^"]*digits.txt","detail":"grammar: line 2 column 19: .5. in \\"5\\" is not in the model.s alphabet' -- \
      "${runfw[@]}" --model "$work/tiny.esm" --fw-arg "phrases=$work/digits.txt" "$wav"
    ! grep -q '"file":' "$work/out" || { echo "negative.sh $case: audio was decoded after a bad phrase list"; exit 1; }
    ;;
  phrases-empty)
    printf '# nothing to say\n\n   \n' >"$work/empty.txt"
    expect 2 '"error":"the phrase list is not usable","phrases":"[^"]*empty.txt","detail":"grammar: no phrases' -- \
      "${runfw[@]}" --model "$work/tiny.esm" --fw-arg "phrases=$work/empty.txt" "$wav"
    expect 2 '"error":"cannot read the phrase list","phrases":"[^"]*nothere.txt","detail":"cannot open' -- \
      "${runfw[@]}" --model "$work/tiny.esm" --fw-arg "phrases=$work/nothere.txt" "$wav"
    ;;
  phrases-beam-too-wide)
    "$bin/earshot-random-image" --config target -o "$work/target.esm" >/dev/null
    expect 2 '"error":"arena too small for the model.*"arena_needed":[0-9]+,"arena_bytes":[0-9]+,"grammar_bytes":[0-9]+' -- \
      "${runfw[@]}" --model "$work/target.esm" --fw-arg "phrases=$src/tests/firmware/phrases.txt" --fw-arg beam=8 "$wav"
    ;;
  phrases-greedy-build)
    for arg in "phrases=$src/tests/firmware/phrases.txt" beam=4; do
      expect 2 '"error":"this firmware decodes greedily only: phrase lists and beam search need the beam-search build \(build option EARSHOT_BEAM_SEARCH=ON' -- \
        "${runfw[@]}" --model "$work/tiny.esm" --fw-arg "$arg" "$wav"
    done
    ;;
  *) echo "negative.sh: unknown case $case" >&2; exit 2 ;;
esac
