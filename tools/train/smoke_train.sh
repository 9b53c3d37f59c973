#!/usr/bin/env bash
# Seconds-long smoke test of training (never the real training): a tiny model on
# one tiny synthetic shard -> train -> resume -> 2-process data-parallel run ->
# export -> earshot-pack -> the C++ runtime, which must give the Python integer
# reference's dump byte for byte on real speech.
# Needs the training packages (EARSHOT_SETUP_TRAIN=1 tools/setup) and build/host/bin/earshot.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
py=/usr/bin/python3
export EARSHOT_BIN=${EARSHOT_BIN:-$root/build/host/bin/earshot}
if ! $py -c 'import torch' 2>/dev/null || ! command -v espeak-ng >/dev/null; then
  echo "smoke_train: SKIP (training packages missing: EARSHOT_SETUP_TRAIN=1 tools/setup)"
  [[ ${EARSHOT_REQUIRE_TRAIN:-0} == 1 ]] && exit 1
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$root"
$py tools/train/make_dataset.py --out "$work/data" --split train --hours 0.01 --shard-seconds 36 --seed 3 >/dev/null
common=(--train "$work/data" --dev "$work/data" --tiny --batch-frames 3000 --eval-every 20)
$py tools/train/train.py "${common[@]}" --out "$work/run" --steps 20 --keep-every 10 | tee "$work/a.log"
grep -q "dev CER ctc" "$work/a.log"
$py - "$work/run" <<'PY'
import sys, torch
for step in (10, 20):  # --keep-every: slim copies, as slim.py writes them
    s = torch.load(f"{sys.argv[1]}/step-{step}.pt", map_location="cpu")
    assert s["step"] == step and "opt" not in s, (step, sorted(s))
    assert s["model"]["encoder.lstms.0.weight_ih_l0"].dtype == torch.float16
PY
$py tools/train/train.py "${common[@]}" --out "$work/run" --steps 25 --resume | tee "$work/b.log"
grep -q "resumed at step 20" "$work/b.log"
grep -q "saved .* at step 25" "$work/b.log"
$py tools/train/slim.py "$work/run/last.pt" -o "$work/slim.pt"
$py tools/train/train.py "${common[@]}" --out "$work/fromslim" --init "$work/slim.pt" --steps 28 --centre-jitter 2 | tee "$work/s.log"
grep -q "saved .* at step 28" "$work/s.log"
grep -q "note: --centre-jitter 2.0 (the checkpoint was trained with 0.0)" "$work/s.log"
# The annealed schedule: continuous at FROM, --lr-final from TO on, and a bad range is refused.
$py - <<'PY'
import sys; sys.path.insert(0, "tools/train")
import train
a = train.parse_args(["--train", "x", "--out", "y", "--lr", "1e-3", "--warmup", "10", "--anneal", "100:200", "--lr-final", "1e-4"])
assert abs(train.lr_at(100, a) - 1e-3) < 1e-12 and abs(train.lr_at(150, a) - 5.5e-4) < 1e-9, train.lr_at(150, a)
assert train.lr_at(200, a) == 1e-4 and train.lr_at(5000, a) == 1e-4
assert train.lr_at(120, a) > train.lr_at(121, a)
# --init at step 30 800: the run warms up to the rate asked for, counted from there (not from step 0).
b = train.parse_args(["--train", "x", "--out", "y", "--lr", "6e-4", "--warmup", "200"])
b.lr_origin = 30800
assert abs(train.lr_at(30800 + 199, b) - 6e-4) < 1e-12 and abs(train.lr_at(30800 + 3000, b) - 6e-4) < 1e-12
assert train.lr_at(30800 + 8000, b) < 6e-4
PY
grep -q "warm-up to --lr .* over steps 25-" "$work/s.log"  # --init restarts the schedule at the checkpoint
if $py tools/train/train.py --train x --out y --anneal 5:3 2>"$work/bad.txt"; then echo "smoke_train: --anneal 5:3 accepted"; exit 1; fi
grep -q "FROM < TO" "$work/bad.txt"
if $py tools/train/train.py "${common[@]}" --out "$work/bad" --steps 1 --keep-every -5 2>"$work/bad.txt"; then
  echo "smoke_train: --keep-every -5 accepted"; exit 1
fi
grep -q "keep-every must be" "$work/bad.txt"
$py tools/train/train.py "${common[@]}" --out "$work/ddp" --steps 6 --nproc 2 | tee "$work/c.log"
grep -q "saved .* at step 6" "$work/c.log"
$py - "$work/run/last.pt" <<'PY'
import math, sys, torch
s = torch.load(sys.argv[1], map_location="cpu")
assert s["step"] == 25, s["step"]
assert all(torch.isfinite(v).all() for v in s["model"].values() if v.is_floating_point()), "non-finite weights"
PY
# Quantization-aware fine-tuning from the slim checkpoint: its forward pass must track the
# integer runtime closer than the float forward does (encoder outputs vs intref, in Q7 LSBs).
$py tools/train/train.py "${common[@]}" --out "$work/qat" --init "$work/slim.pt" --steps 31 --qat | tee "$work/q.log"
grep -q "quantization-aware: |x| range" "$work/q.log"
grep -q "saved .* at step 31" "$work/q.log"
$py tools/train/export.py "$work/qat/last.pt" -o "$work/qat.safetensors" | tee "$work/qe.log"
grep -q "quantization-aware training's fixed ranges" "$work/qe.log"
"$(dirname "$EARSHOT_BIN")/earshot-pack" pack "$work/qat.safetensors" -o "$work/qat.esm" >/dev/null
$py - "$work/qat/last.pt" "$work/qat.esm" "$work/data" <<'PY'
import sys; sys.path.insert(0, "tools/train")
import numpy as np, torch
import data as D, export, intref, shards
torch.set_num_threads(1)
model, _ = export.load_checkpoint(sys.argv[1])
model.eval()
scales = model.cfg["qat"]
assert scales, "the checkpoint lost its quantization-aware ranges"
im = intref.Model.load(sys.argv[2])
err = {True: [], False: []}
for k, (f, _) in enumerate(shards.iter_dataset(sys.argv[3])):
    if k == 8:
        break
    q8 = D.as_q8(f)
    e, _ = im.encode(q8, endpoint_ms=10**9)  # no idle reset: the float model has none
    x = model.normalise(torch.from_numpy(q8)[None])
    for qat in (True, False):
        model.set_qat(scales if qat else None)
        with torch.no_grad():
            ef, _ = model.encoder(x, torch.tensor([len(f)]))
        err[qat].append(np.abs(ef[0].numpy() * 128 - e).mean())
q, fl = float(np.mean(err[True])), float(np.mean(err[False]))
print(f"smoke_train: encoder vs integer runtime, mean |diff| in Q7 LSBs: quantization-aware {q:.3f}, float {fl:.3f}")
assert q < 0.5 and q < fl, (q, fl)
PY
# The trained tiny model through the shipping path: export, pack, verify, run in C++.
bin=$(dirname "$EARSHOT_BIN")
# A primed fine-tune (MODEL.md step 2, encoder.prime_ms): the image carries the priming, the C++
# runtime gives the integer reference's dump byte for byte, and the float model's primed encoder
# tracks the integer one closer than the same weights unprimed.
$py tools/train/train.py "${common[@]}" --out "$work/primed" --init "$work/slim.pt" --steps 30 --prime-ms 300 | tee "$work/p.log"
grep -q "primed: 10 encoder frames of silence" "$work/p.log"
$py tools/train/export.py "$work/primed/last.pt" -o "$work/primed.safetensors" --calib-data "$work/data" --calib-utts 8 >/dev/null
"$bin/earshot-pack" pack "$work/primed.safetensors" -o "$work/primed.esm" >/dev/null
"$bin/earshot-pack" inspect "$work/primed.esm" | grep -q "encoder.prime_ms .*300"
"$EARSHOT_BIN" features tests/golden/speech.wav -o "$work/speech.npy" >/dev/null
"$bin/earshot-run" "$work/primed.esm" "$work/speech.npy" --dump "$work/pcpp.json"
$py tools/train/intref.py "$work/primed.esm" "$work/speech.npy" --dump "$work/ppy.json" --pack-bin "$bin/earshot-pack" >/dev/null
cmp "$work/pcpp.json" "$work/ppy.json" || { echo "smoke_train: primed model: C++ runtime and Python integer reference differ"; exit 1; }
$py - "$work/primed/last.pt" "$work/primed.esm" "$work/speech.npy" <<'PY'
import sys; sys.path.insert(0, "tools/train")
import numpy as np, torch
import export, intref
torch.set_num_threads(1)
model, _ = export.load_checkpoint(sys.argv[1])
model.eval()
assert model.prime_frames() == 10, model.cfg
q8 = np.load(sys.argv[3])
e, _ = intref.Model.load(sys.argv[2]).encode(q8, endpoint_ms=10**9)  # no idle reset: the float model has none
err = {}
for ms in (300, 0):
    model.cfg["prime_ms"] = ms
    with torch.no_grad():
        ef, _, _ = model.encode(torch.from_numpy(q8)[None], torch.tensor([len(q8)]))
    err[ms] = float(np.abs(ef[0].numpy() * 128 - e)[:20].mean())  # the first 20 frames, where priming shows
print(f"smoke_train: primed encoder vs integer runtime, first 20 frames, mean |diff| in Q7 LSBs: primed {err[300]:.3f}, unprimed {err[0]:.3f}")
assert err[300] < err[0], err
PY
# widen.py: a wider encoder that computes what the narrow one did (checked on a two-layer
# network, where a layer reads the previous one's new units), then trained and run in C++.
$py - "$work" <<'PY'
import sys; sys.path.insert(0, "tools/train")
import torch
from model import EarshotModel
from slim import slim_state
torch.manual_seed(1)
m = EarshotModel(enc_hidden=32, enc_layers=2, dec_hidden=32, emb=8)
torch.save(slim_state({"model": m.state_dict(), "config": m.cfg, "step": 7}), sys.argv[1] + "/two.pt")
PY
$py tools/train/widen.py "$work/two.pt" --enc-hidden 48 -o "$work/two48.pt" --check | tee "$work/w2.log"
grep -q "encoder 32 -> 48 units" "$work/w2.log"
# --split (Net2Net): exact too, with copies of copies (100 = 32 + 68), and every unit is read.
$py tools/train/widen.py "$work/two.pt" --enc-hidden 100 --split -o "$work/two100.pt" --check | tee "$work/w3.log"
grep -q "encoder 32 -> 100 units (split)" "$work/w3.log"
$py - "$work/two48.pt" "$work/two100.pt" <<'PY'
import sys, torch
silent, split = (torch.load(p, map_location="cpu")["model"] for p in sys.argv[1:])
assert silent["ctc_head.weight"][:, 32:].abs().max() == 0, "zero-started units must be read by nobody"
read = split["ctc_head.weight"].float().abs().sum(0)
assert (read > 0).all(), "a split unit that nobody reads"
PY
if $py tools/train/widen.py "$work/two48.pt" --enc-hidden 40 -o "$work/bad.pt" 2>"$work/bad.txt"; then
  echo "smoke_train: widen.py narrowed a network"; exit 1
fi
grep -q "below the checkpoint's 48" "$work/bad.txt"
$py tools/train/widen.py "$work/slim.pt" --enc-hidden 80 -o "$work/wide.pt" --check >/dev/null
$py tools/train/train.py "${common[@]}" --out "$work/wide" --init "$work/wide.pt" --steps 29 | tee "$work/wt.log"
grep -q "saved .* at step 29" "$work/wt.log"
$py tools/train/export.py "$work/wide/last.pt" -o "$work/wide.safetensors" --calib-data "$work/data" --calib-utts 8 >/dev/null
"$bin/earshot-pack" pack "$work/wide.safetensors" -o "$work/wide.esm" >/dev/null
"$bin/earshot-run" "$work/wide.esm" "$work/speech.npy" --dump "$work/wcpp.json"
$py tools/train/intref.py "$work/wide.esm" "$work/speech.npy" --dump "$work/wpy.json" --pack-bin "$bin/earshot-pack" >/dev/null
cmp "$work/wcpp.json" "$work/wpy.json" || { echo "smoke_train: widened model: C++ runtime and Python integer reference differ"; exit 1; }
# The auxiliary phone CTC head (--phone-ctc): added to a checkpoint that has none, trained, kept in
# the checkpoint, left out of the export (the runtime never computes it), refused on a layer the
# encoder lacks; its loss reaches the encoder.
$py tools/train/train.py "${common[@]}" --out "$work/phone" --init "$work/slim.pt" --steps 30 --phone-ctc 1 | tee "$work/ph.log"
grep -q "phone head: new on encoder layer 1" "$work/ph.log"
grep -q "phone head: encoder layer 1, .* words pronounced by espeak-ng" "$work/ph.log"
if $py tools/train/train.py "${common[@]}" --out "$work/phone2" --init "$work/slim.pt" --steps 26 --phone-ctc 2 2>"$work/bad.txt"; then
  echo "smoke_train: --phone-ctc 2 on a one-layer encoder accepted"; exit 1
fi
grep -q "phone_layer 2 outside" "$work/bad.txt"
$py tools/train/export.py "$work/phone/last.pt" -o "$work/phone.safetensors" --calib-data "$work/data" --calib-utts 8 >/dev/null
"$bin/earshot-pack" pack "$work/phone.safetensors" -o "$work/phone.esm" >/dev/null
$py - "$work/phone/last.pt" "$work/phone.safetensors" "$work/data" <<'PY'
import json, struct, sys; sys.path.insert(0, "tools/train")
import torch
import data as D, export, phones, train
torch.set_num_threads(1)
s = torch.load(sys.argv[1], map_location="cpu")
assert s["config"]["phone_layer"] == 1 and "phone_head.weight" in s["model"], sorted(s["model"])
with open(sys.argv[2], "rb") as f:
    head = json.loads(f.read(struct.unpack("<Q", f.read(8))[0]))
assert not any(k.startswith("phone_head") for k in head), "the phone head was exported"
assert json.loads(head["__metadata__"]["config"])["phone_layer"] == 0
model, _ = export.load_checkpoint(sys.argv[1])
items = D.load_split(sys.argv[3])[:6]
train.LEXICON = phones.Lexicon(t for _, t in items)
x, lens, tgt, tl, ptgt, ptl = train.make_batch(items, model, __import__("random").Random(0), augment=False)
assert ptgt is not None and int(ptl.max()) > 0
*_, ph = train.losses(model, x, lens, tgt, tl, 0, 0.0, ptgt, ptl)
assert torch.isfinite(ph) and ph > 0, ph
ph.backward()
g = model.encoder.lstms[0].weight_ih_l0.grad
assert g is not None and g.abs().sum() > 0, "the phone loss does not reach the encoder"
print(f"smoke_train: phone head: loss {float(ph):.3f} per character, reaches the encoder")
PY
$py tools/train/export.py "$work/run/last.pt" -o "$work/tiny.safetensors" --calib-data "$work/data" --calib-utts 8
"$bin/earshot-pack" pack "$work/tiny.safetensors" -o "$work/tiny.esm"
"$bin/earshot-pack" verify "$work/tiny.esm"
"$bin/earshot-run" "$work/tiny.esm" "$work/speech.npy" --dump "$work/cpp.json"
$py tools/train/intref.py "$work/tiny.esm" "$work/speech.npy" --dump "$work/py.json" --pack-bin "$bin/earshot-pack" >/dev/null
cmp "$work/cpp.json" "$work/py.json" || { echo "smoke_train: C++ runtime and Python integer reference differ"; exit 1; }
"$EARSHOT_BIN" transcribe --model "$work/tiny.esm" --json tests/golden/speech.wav >"$work/t.json"
$py -c 'import json,sys; o=json.load(open(sys.argv[1])); assert 0 <= o["confidence"] <= 1, o' "$work/t.json"
# The character LM (MODEL.md "Character LM"): built from the training text, packed in,
# read by the runtime (inspect shows it), fused in beam search, and off on request.
$py tools/train/charlm.py -o "$work/lm.safetensors" --commands 2000 --order 4 --contexts 400 | tee "$work/lm.log"
grep -q "400 of .* contexts" "$work/lm.log"
"$bin/earshot-pack" pack "$work/tiny.safetensors" --lm "$work/lm.safetensors" -o "$work/tiny-lm.esm" | grep -q "character LM: order 4, 400 contexts"
"$bin/earshot-pack" verify "$work/tiny-lm.esm"
"$bin/earshot-pack" inspect "$work/tiny-lm.esm" | grep -q "lm.logp"
"$EARSHOT_BIN" transcribe --model "$work/tiny-lm.esm" --beam 4 --json tests/golden/speech.wav >/dev/null
"$EARSHOT_BIN" transcribe --model "$work/tiny-lm.esm" --beam 4 --lm-weight 0 --json tests/golden/speech.wav >"$work/off.json"
"$EARSHOT_BIN" transcribe --model "$work/tiny.esm" --beam 4 --json tests/golden/speech.wav >"$work/plain.json"
cmp "$work/off.json" "$work/plain.json" >/dev/null || $py - "$work/off.json" "$work/plain.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
for k in ("text", "confidence", "words"):
    assert a[k] == b[k], (k, a[k], b[k])
PY
# compare.py: checkpoints side by side through export, pack and the C++ runtime, on real speech
# and on a silent clip (reported as the share that gave text).
mkdir -p "$work/cmp"
cp tests/golden/speech.wav "$work/cmp/"
sox -n -r 16000 -c 1 -b 16 "$work/cmp/silence.wav" trim 0 1
echo '{"audio": "speech.wav", "text": "set a timer for five minutes"}' >"$work/cmp/commands.jsonl"
echo '{"audio": "silence.wav", "text": ""}' >"$work/cmp/empty.jsonl"
$py tools/train/compare.py "$work/run/last.pt" "$work/primed/last.pt" --manifest "$work/cmp/commands.jsonl" \
    --manifest "$work/cmp/empty.jsonl" --calib-data "$work/data" --calib-utts 8 --beam 2 --earshot "$EARSHOT_BIN" \
    --json "$work/cmp.json" | tee "$work/cmp.log"
$py - "$work/cmp.json" <<'PY'
import json, sys
rows = json.load(open(sys.argv[1]))
assert [r["checkpoint"].rsplit("/", 2)[-2] for r in rows] == ["run", "primed"], rows
for r in rows:
    assert set(r) == {"checkpoint", "commands b2", "commands greedy", "empty b2 text", "empty greedy text"}, r
    assert all(v >= 0 for k, v in r.items() if k != "checkpoint") and r["empty greedy text"] in (0, 100), r
PY
echo "smoke_train: ok"
