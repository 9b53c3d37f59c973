#!/usr/bin/env bash
# Parity: the C++ runtime (earshot-run) and the Python integer reference
# (tools/train/intref.py) must write byte-identical dumps (CTC tokens, onset,
# decoder tokens and every decoder step's logits, encoder checksum) for the same
# image and features. Images: random-weight tiny and target-size ones, plus one
# packed by earshot-pack from a random float checkpoint (the training path).
#   parity.sh BIN_DIR SOURCE_DIR
set -euo pipefail
bin=$1 src=$2
py=/usr/bin/python3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
feats=("$src/tests/golden/speech.feat" "$src/tests/golden/chirp.feat")
images=()
for cfg in tiny target; do
  "$bin/earshot-random-image" --config "$cfg" -o "$work/$cfg.esm" >/dev/null
  images+=("$work/$cfg.esm")
done
for cfg in tiny default; do  # the training path: float checkpoint -> earshot-pack
  $py "$src/tools/train/random_model.py" --config $cfg --seed 3 -o "$work/$cfg.safetensors" >/dev/null
  "$bin/earshot-pack" pack "$work/$cfg.safetensors" -o "$work/packed-$cfg.esm" >/dev/null
  images+=("$work/packed-$cfg.esm")
done
n=0
for img in "${images[@]}"; do
  for f in "${feats[@]}"; do
    "$bin/earshot-run" "$img" "$f" --dump "$work/cpp.json"
    EARSHOT_TABLES= $py "$src/tools/train/intref.py" "$img" "$f" --dump "$work/py.json" --pack-bin "$bin/earshot-pack"
    if ! cmp -s "$work/cpp.json" "$work/py.json"; then
      echo "parity: $(basename "$img") on $(basename "$f"): C++ and Python dumps differ"
      diff <($py -m json.tool "$work/cpp.json") <($py -m json.tool "$work/py.json") | head -20
      exit 1
    fi
    n=$((n + 1))
  done
done
# The shipped model on speech, 2 s of silence, speech again: the endpoint ends the
# utterance inside the file while the encoder goes on (the reference once crashed there).
$py - "$src/tests/golden/speech.feat" "$work/endpoint.feat" <<'PY'
import sys, numpy as np
s = np.fromfile(sys.argv[1], dtype="<i2").reshape(-1, 40)
np.concatenate([s, np.full((200, 40), -10240, "<i2"), s]).tofile(sys.argv[2])
PY
"$bin/earshot-run" "$src/models/en-small.esm" "$work/endpoint.feat" --dump "$work/cpp.json" >/dev/null
EARSHOT_TABLES= $py "$src/tools/train/intref.py" "$src/models/en-small.esm" "$work/endpoint.feat" --dump "$work/py.json" --pack-bin "$bin/earshot-pack" >/dev/null
cmp -s "$work/cpp.json" "$work/py.json" || { echo "parity: en-small.esm with an endpoint inside the file: C++ and Python dumps differ"; exit 1; }
n=$((n + 1))
# Speech that begins just as an idle reset falls: 76-88 frames of silence put the
# 30th blank encoder frame, where the reset falls, in the first sounds, before CTC
# leaves blank. At 80 (27 silent encoder frames, the reset 3 frames into the speech)
# C++ = Python where the replay (MODEL.md step 2) runs. At every offset the replay
# must hear the first sounds: the transcript starts with the word the plain speech
# starts with ('set a timer five minutes'). A bare reset there gave '', '', 'five in
# eight', 'make', 'i for five minutes', 'timer five minus nine' and 'set a remind me in
# nine' (step-10 421 model). The text after the first word may vary with the length of
# the silence, reset or not.
"$bin/earshot-run" "$src/models/en-small.esm" "$src/tests/golden/speech.feat" --dump "$work/plain.json" >/dev/null
for k in 76 78 80 82 84 86 88; do
  $py - "$src/tests/golden/speech.feat" "$work/late$k.feat" $k <<'PY'
import sys, numpy as np
s = np.fromfile(sys.argv[1], dtype="<i2").reshape(-1, 40)
np.concatenate([np.full((int(sys.argv[3]), 40), -10240, "<i2"), s]).tofile(sys.argv[2])
PY
  "$bin/earshot-run" "$src/models/en-small.esm" "$work/late$k.feat" --dump "$work/late$k.json" >/dev/null
  if ((k == 80)); then
    EARSHOT_TABLES= $py "$src/tools/train/intref.py" "$src/models/en-small.esm" "$work/late$k.feat" --dump "$work/py.json" --pack-bin "$bin/earshot-pack" >/dev/null
    cmp -s "$work/late$k.json" "$work/py.json" || { echo "parity: en-small.esm with speech starting at an idle reset: C++ and Python dumps differ"; exit 1; }
  fi
  $py - "$work/plain.json" "$work/late$k.json" $k <<'PY'
import json, sys
a, b = (json.load(open(p))["text"].split() for p in sys.argv[1:3])
if not a or b[:1] != a[:1]:
    sys.exit(f"parity: speech after {sys.argv[3]} frames of silence (an idle reset in its first sounds) "
             f"decoded {' '.join(b)!r}; the plain speech starts with {a[:1]}")
PY
done
n=$((n + 1))
echo "parity: $n image x feature pairs identical (${#images[@]} images and the shipped model with an endpoint and a late start)"
