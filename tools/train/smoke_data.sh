#!/usr/bin/env bash
# Seconds-long smoke test of the training-data pipeline: every TTS engine ->
# augmentation -> the C++ front-end -> one shard, read back and checked; plus the
# bring-your-own manifest path and a tiny held-out set.
#
# Needs the training packages (EARSHOT_SETUP_TRAIN=1 tools/setup) and
# build/host/bin/earshot. Without them it prints SKIP and exits 0, unless
# EARSHOT_REQUIRE_TRAIN=1 (then it fails).
# Ends with the plain line "N passed, 0 failed".
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
py=/usr/bin/python3
earshot=${EARSHOT_BIN:-$root/build/host/bin/earshot}

missing=()
for t in espeak-ng flite festival text2wave sox; do command -v "$t" >/dev/null || missing+=("$t"); done
[[ -x $py ]] && $py -c 'import numpy' 2>/dev/null || missing+=("python3-numpy")
[[ -d /usr/share/games/fortunes ]] || missing+=("fortunes")
[[ -d /usr/share/festival/voices/us/cmu_us_slt_arctic_hts ]] || missing+=("festvox-us-slt-hts")
[[ -d /usr/share/festival/voices/italian/lp_diphone ]] || missing+=("festvox-italp16k (and the other festival-x voices)")
[[ -x $earshot ]] || missing+=("$earshot")
if ((${#missing[@]})); then
  echo "smoke_data: SKIP (missing: ${missing[*]})"
  [[ ${EARSHOT_REQUIRE_TRAIN:-0} == 1 ]] && exit 1
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export EARSHOT_BIN=$earshot
cd "$root"

# 1. Synthetic: one ~25 s shard, WAVs kept so they can feed the BYO path.
nice -n 19 $py tools/train/make_dataset.py --out "$work/syn" --split train --hours 0.005 --shard-seconds 25 \
  --seed 11 --empty-frac 0.15 --keep-wav
# 2. Bring-your-own manifest made from three of those WAVs (+1 augmented copy each).
ls "$work"/syn/wav/shard-00000/*.wav | head -3 | while read -r w; do
  printf '{"audio": "%s", "text": "Turn on 2 lights, please!"}\n' "$w"
done >"$work/my.jsonl"
nice -n 19 $py tools/train/make_dataset.py --manifest "$work/my.jsonl" --out "$work/byo" --augment-copies 1 \
  --formant-frac 1
if $py tools/train/make_dataset.py --out "$work/bad" --formant-frac 1.5 2>"$work/bad.err"; then
  echo "smoke_data: FAIL: --formant-frac 1.5 accepted"; exit 1
fi
grep -q "formant-frac must be within" "$work/bad.err" || { echo "smoke_data: FAIL: --formant-frac error"; cat "$work/bad.err"; exit 1; }
# 3. Held-out sets, tiny.
nice -n 19 $py tools/train/make_dataset.py --heldout --out "$work/ho" --seed 5 --heldout-commands 1 \
  --heldout-general 1 --heldout-empty 2
# 3b. The unseen-speaker set (festival-x voices kept out of training), tiny.
nice -n 19 $py tools/train/make_dataset.py --xdev --out "$work/xd" --seed 5 --heldout-commands 1 \
  --heldout-general 1 --heldout-empty 1

# 4. Checks, and one utterance per engine straight through voices -> augment -> front-end -> shard.
nice -n 19 $py - "$work" <<'EOF'
import json, os, sys, tempfile
import numpy as np
sys.path.insert(0, "tools/train")
import augment, make_dataset, shards, text, voices

work = sys.argv[1]
passed = 0
def ok(cond, what):
    global passed
    if not cond:
        print("smoke_data: FAIL:", what); sys.exit(1)
    passed += 1

def check_dir(d, min_n):
    paths = shards.shard_paths(d)
    ok(len(paths) >= 1, f"{d}: shards written")
    man = [json.loads(l) for l in open(os.path.join(d, "manifest.jsonl"))]
    n = 0
    for p in paths:
        feats, texts = shards.read_shard(p)
        for f, t in zip(feats, texts):
            ok(f.dtype == np.int8 and f.ndim == 2 and f.shape[1] == 40 and f.shape[0] > 10, f"{p}: shape {f.shape}")
            ok(set(t) <= text.ALPHABET, f"{p}: text alphabet {t!r}")
            r = man[n]
            ok(r["text"] == t and r["frames"] == f.shape[0], f"{p}: manifest matches shard")
            ok(abs(f.shape[0] - r["seconds"] * 100) <= 3, f"{p}: frames vs seconds")
            n += 1
    ok(n >= min_n and n == len(man), f"{d}: {n} utterances")
    ok(any(r["text"] for r in man), f"{d}: some non-empty text")
    info = json.load(open(os.path.join(d, "info.json")))
    ok(info["utterances"] == n, f"{d}: info.json count")
    return man

man = check_dir(os.path.join(work, "syn"), 4)
byo = check_dir(os.path.join(work, "byo"), 6)
ok(all(r["text"] == "turn on two lights please" for r in byo), "BYO text normalized")
copies = [r for r in byo if r["aug"]]
ok(len(copies) == 3 and all(len(r["aug"].get("formant", ())) == 6 for r in copies), "BYO copies formant-warped")
ok(json.load(open(os.path.join(work, "byo", "info.json")))["config"]["formant_frac"] == 1, "info.json records --formant-frac")
ok(json.load(open(os.path.join(work, "syn", "info.json")))["config"]["formant_frac"] == 0, "formant warping off by default")

# Formant warping: unit factors give the input back; factors above 1 raise the
# envelope (long-term spectral centroid) and keep the length; off, it draws nothing.
# A human-derived voice: formant synthesis's deep valleys exceed the +-18 dB limit, so
# a shift there also drops level. Shard 0's WAVs are u<index>.wav in manifest order.
speech = next(j for j, r in enumerate(man) if r["text"] and r["voice"].split(":")[0] in ("flite", "festival"))
x = augment.sox_load(os.path.join(work, "syn", "wav", "shard-00000", f"u{speech:05d}.wav"))
saved = dict(augment.P)
def centroid(z):
    s, _ = augment._stft(z, 512, 128)
    m, f = np.mean(np.abs(s) ** 2, 0), np.fft.rfftfreq(512, 1 / 16000)
    b = (f > 100) & (f < 7500)
    return float(np.sum(f[b] * m[b]) / np.sum(m[b]))
augment.P["formant_ratio"] = ((1.0, 1.0),) * 6
y, _ = augment.formant_warp(x, np.random.default_rng(0))
ok(len(y) == len(x) and np.max(np.abs(y - x)) < 1e-4 * max(1e-3, np.max(np.abs(x))), "formant warp: unit factors are identity")
for r, lo, hi in ((1.15, 1.04, 1.25), (0.87, 0.8, 0.96)):
    augment.P["formant_ratio"] = ((r, r),) * 5 + ((1.0, 1.0),)
    y, info = augment.formant_warp(x, np.random.default_rng(0))
    ok(len(y) == len(x) and lo < centroid(y) / centroid(x) < hi,
       f"formant warp x{r}: centroid {centroid(x):.0f} -> {centroid(y):.0f} Hz")
augment.P.update(saved)
augment.P["formant"] = 0.0
g = np.random.default_rng(4)
ok(augment.maybe_formant(x, g, {}) is x and g.random() == np.random.default_rng(4).random(), "formant off draws nothing")
augment.P.update(saved)

ho = os.path.join(work, "ho")
for name in ("ked_commands_clean", "kal_general_snr0", "empty"):
    lines = [json.loads(l) for l in open(os.path.join(ho, name + ".jsonl"))]
    ok(len(lines) >= 1 and all(os.path.exists(os.path.join(ho, l["audio"])) for l in lines), f"held-out {name}")
    ok((name == "empty") == all(l["text"] == "" for l in lines), f"held-out {name} text")
# "late": the clean command after lead_in_s (0.5-3 s) more of the floor.
clean, late = ([json.loads(l) for l in open(os.path.join(ho, f"kal_commands_{c}.jsonl"))][0] for c in ("clean", "late"))
ok(late["text"] == clean["text"] and 0.5 <= late["lead_in_s"] <= 3.0, "held-out late: same text, lead-in in range")
extra = (os.path.getsize(os.path.join(ho, late["audio"])) - os.path.getsize(os.path.join(ho, clean["audio"]))) / 2
ok(abs(extra - late["lead_in_s"] * 16000) <= 8, f"held-out late: {extra} more samples for a {late['lead_in_s']} s lead-in")
ok(not os.path.exists(os.path.join(ho, "kal_general_late.jsonl")), "held-out late: commands only")

for v in ("lj", "ph"):
    recs = [json.loads(l) for l in open(os.path.join(work, "xd", f"{v}_commands_clean.jsonl"))]
    ok(len(recs) == 1 and recs[0]["voice"].startswith("festival-x:") and recs[0]["text"], f"xdev {v} set")
    ok(os.path.getsize(os.path.join(work, "xd", recs[0]["audio"])) > 8000, f"xdev {v} audio")

# festival-x: every voice of voices.XLING loads (tools/setup installs them); the dev ones never train.
ok(set(voices.xling_voices()) | set(voices.xling_voices(dev=True)) == set(voices.XLING), "all festival-x voices load")
ok(not set(voices.xling_voices()) & set(voices.XLING_DEV), "festival-x dev voices not in training")
try:
    voices.assert_training_voices([voices.Voice("festival-x", voices.XLING_DEV[0])])
    ok(False, "assertion guards dev voices")
except AssertionError:
    passed += 1
w = voices.parse_engine_weights("festival-x=1, espeak-ng=0,flite=0,festival=0")
r0 = __import__("random").Random(3)
ok({voices.sample_voice(r0, weights=w).engine for _ in range(50)} == {"festival-x"}, "engine weights pick engines")
for bad in ("nope=1", "flite=x", "flite=-1", "espeak-ng=0,flite=0,festival=0"):
    try:
        voices.parse_engine_weights(bad)
        ok(False, f"engine weights {bad!r} refused")
    except ValueError:
        passed += 1

# Every engine once, plus a silence clip, through one shard.
vs = voices.training_voices()
voices.assert_training_voices(vs)
ok(not any("kal_diphone" in v.name or "ked_diphone" in v.name for v in vs), "held-out voices not in training list")
try:
    voices.assert_training_voices([voices.Voice("festival", "voice_ked_diphone")])
    ok(False, "assertion guards held-out voices")
except AssertionError:
    passed += 1
rng, nrng = __import__("random").Random(1), np.random.default_rng(1)
with tempfile.TemporaryDirectory() as d:
    utts = []
    for eng in ("espeak-ng", "flite", "festival", "festival-x"):
        v = next(v for v in vs if v.engine == eng)
        utts.append(voices.Utterance(v, text.command_sentence(rng, "train"), os.path.join(d, eng + ".wav"),
                                     voices.sample_params(v, rng)))
    ok(all(voices.synthesize(utts, d)), "all four engines synthesize")
    clean = [augment.sox_load(u.wav, 1.05, 120.0) for u in utts]
    wavs, texts = [], []
    for i, (u, x) in enumerate(zip(utts, clean)):
        pcm, info = augment.augment(x, nrng, clean[:i] + clean[i + 1:])
        ok(pcm.dtype == np.int16 and len(pcm) > len(x) // 2, "augment output")
        wavs.append(os.path.join(d, f"a{i}.wav")); texts.append(u.text)
        augment.write_wav(wavs[-1], pcm)
    pcm, _ = augment.empty_clip(nrng)
    wavs.append(os.path.join(d, "e.wav")); texts.append("")
    augment.write_wav(wavs[-1], pcm)
    feats = make_dataset.run_frontend(os.environ["EARSHOT_BIN"], wavs, os.path.join(d, "f"))
    shards.write_shard(os.path.join(d, "shard-00000.npz"), feats, texts, [{"text": t} for t in texts])
    back, bt = shards.read_shard(os.path.join(d, "shard-00000.npz"))
    ok(bt == texts and [b.shape for b in back] == [f.shape for f in feats], "shard round trip")
    ok(all(np.abs(shards.int8_to_q8(b).astype(int) - f).max() <= 64 for b, f in zip(back, feats)), "int8 mapping error <= 0.25 dB")
    sa = augment.spec_augment(back[0], nrng, max_freq=10, max_time_frac=0.2)
    ok(sa.shape == back[0].shape and sa.dtype == back[0].dtype, "spec_augment keeps shape")
print(f"smoke_data: {passed} passed, 0 failed")
EOF
