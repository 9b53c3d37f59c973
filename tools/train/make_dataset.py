#!/usr/bin/python3
"""Build earshot training data: TTS -> augmentation -> C++ front-end -> compressed shards.

Synthetic training / dev data (resumable: finished shards are skipped):
    nice -n 19 /usr/bin/python3 tools/train/make_dataset.py --out data/train --split train --hours 20 --seed 1 --jobs 2
    nice -n 19 /usr/bin/python3 tools/train/make_dataset.py --out data/dev --split dev --hours 0.5 --seed 2

Held-out evaluation sets (festival kal + ked, never trained on; WAV + manifests for `earshot eval`):
    /usr/bin/python3 tools/train/make_dataset.py --heldout --out data/heldout --seed 7
Calibration set (same layout; training voices reading dev-split text; tunes the rejection threshold):
    /usr/bin/python3 tools/train/make_dataset.py --calib --out data/calib --seed 8

Bring-your-own recordings (JSONL lines {"audio": path, "text": ...}, paths relative to the manifest):
    /usr/bin/python3 tools/train/make_dataset.py --manifest my.jsonl --out data/mine [--augment-copies 2]

Shard format and the int16 -> int8 feature mapping: see shards.py.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import augment  # noqa: E402
import shards  # noqa: E402
import text as textmod  # noqa: E402
import voices  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
SR = augment.SR
SPLIT_ID = {"train": 0, "dev": 1, "test": 2}
# Parameters that must match for a resumed run to extend the same data set.
RESUME_KEYS = ("mode", "split", "seed", "shard_seconds", "dtype", "command_frac", "empty_frac", "manifest_sha",
               "shard_utts", "augment_copies", "abrupt_frac", "engine_weights", "formant_frac", "narrow_frac")
# Sets made before a key existed were made with its default.
RESUME_DEFAULTS = {"abrupt_frac": 0.2, "engine_weights": None, "formant_frac": 0.0, "narrow_frac": 0.0}


def log(msg: str) -> None:
    print(msg, flush=True)


def cpu_now() -> float:
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


def find_earshot(arg: str | None) -> str:
    path = arg or os.environ.get("EARSHOT_BIN") or os.path.join(ROOT, "build", "host", "bin", "earshot")
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        sys.exit(f"make_dataset: front-end binary not found: {path}\n"
                 "  build it: cmake --preset host && cmake --build --preset host --target earshot-cli")
    return path


def run_frontend(earshot: str, wavs: list[str], outdir: str) -> list[np.ndarray]:
    """Features of every file via `earshot features ... -o outdir --format npy` (stems must be unique)."""
    os.makedirs(outdir, exist_ok=True)
    stems = [os.path.splitext(os.path.basename(w))[0] for w in wavs]
    assert len(set(stems)) == len(stems), "front-end output names collide"
    for i in range(0, len(wavs), 256):
        chunk = wavs[i:i + 256]
        r = subprocess.run([earshot, "features", *chunk, "-o", outdir, "--format", "npy"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"earshot features failed: {r.stderr.strip()}")
    out = []
    for s in stems:
        f = np.load(os.path.join(outdir, s + ".npy"))
        assert f.dtype == np.int16 and f.ndim == 2 and f.shape[1] == shards.NUM_MELS, f.shape
        out.append(f)
    return out


def check_config(out: str, cfg: dict, force: bool) -> None:
    path = os.path.join(out, "info.json")
    if os.path.exists(path) and shards.shard_paths(out):
        with open(path) as f:
            old = json.load(f).get("config", {})
        pair = {k: (old.get(k, RESUME_DEFAULTS.get(k)), cfg.get(k, RESUME_DEFAULTS.get(k))) for k in RESUME_KEYS}
        diff = {k: v for k, v in pair.items() if v[0] != v[1]}
        if diff and not force:
            sys.exit(f"make_dataset: {out} holds shards made with other settings {diff}; "
                     "use another --out, or --force to mix them")


def write_info(out: str, cfg: dict) -> dict:
    secs = frames = n = empty = 0
    by_engine: dict = {}
    for p in shards.shard_paths(out):
        with open(p[:-4] + ".jsonl") as f:
            for line in f:
                r = json.loads(line)
                n += 1
                secs += r["seconds"]
                frames += r["frames"]
                empty += r["text"] == ""
                eng = r.get("voice", "-").split(":")[0]
                by_engine[eng] = by_engine.get(eng, 0) + r["seconds"]
    nbytes = sum(os.path.getsize(p) for p in shards.shard_paths(out))
    info = {"config": cfg, "utterances": n, "empty_utterances": empty, "hours": round(secs / 3600, 4),
            "frames": frames, "shards": len(shards.shard_paths(out)), "shard_bytes": nbytes,
            "mb_per_hour": round(nbytes / 1e6 / max(secs / 3600, 1e-9), 2),
            "hours_by_engine": {k: round(v / 3600, 4) for k, v in sorted(by_engine.items())},
            "feature_format": {"int8": "int8 = clamp(((q8 + 64) >> 7) - 48, -128, 127); dB = (int8 + 48) / 2",
                               "int16": "front-end Q8 dB unchanged (dB = q8 / 256)", "see": "tools/train/shards.py"}}
    with open(os.path.join(out, "info.json.tmp"), "w") as f:
        json.dump(info, f, indent=1)
    os.replace(os.path.join(out, "info.json.tmp"), os.path.join(out, "info.json"))
    return info


# ----------------------------------------------------------------------------- synthetic shards


def synth_shard(job: tuple) -> dict:
    """Build one synthetic shard; deterministic in (seed, split, index)."""
    idx, cfg = job
    t0, c0 = time.time(), cpu_now()
    augment.P["abrupt"] = cfg["abrupt_frac"]
    augment.P["formant"] = cfg["formant_frac"]
    augment.P["narrow"] = cfg.get("narrow_frac", 0.0)
    split, seed = cfg["split"], cfg["seed"]
    rng = random.Random(f"{seed}:{split}:{idx}")
    nrng = np.random.default_rng([seed, SPLIT_ID[split], idx])
    tmp = tempfile.mkdtemp(prefix=f"earshot-shard{idx:05d}-", dir=cfg.get("tmp"))
    try:
        items = []          # dicts: text, kind, voice, tts, sox, audio (float) | pcm (int16)
        total = 0.0
        failed = 0
        n = 0
        target = cfg["shard_seconds"]
        while total < target:
            want = max(4, min(96, int(math.ceil((target - total) / 4.5)) + 2))
            batch = []
            for _ in range(want):
                n += 1
                if rng.random() < cfg["empty_frac"]:
                    pcm, info = augment.empty_clip(nrng)
                    items.append({"text": "", "kind": "empty", "voice": "none", "aug": info, "pcm": pcm})
                    total += len(pcm) / SR
                    continue
                kind, sent = textmod.sentence(rng, split, cfg["command_frac"])
                v = voices.sample_voice(rng, weights=cfg.get("engine_weights"))
                batch.append((kind, voices.Utterance(v, sent, os.path.join(tmp, f"tts{n:05d}.wav"),
                                                     voices.sample_params(v, rng))))
            ok = voices.synthesize([u for _, u in batch], tmp)
            for (kind, u), good in zip(batch, ok):
                if not good:
                    failed += 1
                    continue
                sp = augment.draw_sox_params(nrng)
                x = augment.sox_load(u.wav, sp.get("speed", 1.0), sp.get("warp_cents", 0.0))
                x = augment.maybe_formant(x, nrng, sp)
                os.remove(u.wav)
                items.append({"text": u.text, "kind": kind, "voice": u.voice.id, "tts": u.params, "sox": sp,
                              "audio": x})
                total += len(x) / SR + 1.05  # + mean silence padding
        pool = [it["audio"] for it in items if "audio" in it]
        wavs, records, texts = [], [], []
        pi = 0
        for j, it in enumerate(items):
            if "audio" in it:
                others = pool[:pi] + pool[pi + 1:]
                pi += 1
                pcm, aug = augment.augment(it.pop("audio"), nrng, others)
                aug = {**it.pop("sox"), **aug}
            else:
                pcm, aug = it.pop("pcm"), it.pop("aug")
            w = os.path.join(tmp, f"u{j:05d}.wav")
            augment.write_wav(w, pcm)
            wavs.append(w)
            texts.append(it["text"])
            records.append({"text": it["text"], "kind": it["kind"], "split": split, "voice": it["voice"],
                            "tts": it.get("tts", {}), "aug": aug, "seconds": round(len(pcm) / SR, 3)})
        if cfg.get("keep_wav"):
            kd = os.path.join(cfg["out"], "wav", f"shard-{idx:05d}")
            os.makedirs(kd, exist_ok=True)
            for w in wavs:
                shutil.copy(w, kd)
        feats = run_frontend(cfg["earshot"], wavs, os.path.join(tmp, "feat"))
        for f, r in zip(feats, records):
            assert abs(len(f) - r["seconds"] * 100) <= 3, (len(f), r["seconds"])
        path = os.path.join(cfg["out"], f"shard-{idx:05d}.npz")
        nbytes = shards.write_shard(path, feats, texts, records, cfg["dtype"])
        secs = sum(r["seconds"] for r in records)
        return {"idx": idx, "seconds": secs, "clips": len(records), "failed": failed, "bytes": nbytes,
                "wall": time.time() - t0, "cpu": cpu_now() - c0}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run_jobs(fn, jobs: list, n_jobs: int, unit_name: str = "shard"):
    done_s = done_cpu = 0.0
    t0 = time.time()
    results = []
    if n_jobs <= 1:
        it = map(fn, jobs)
        pool = None
    else:
        import multiprocessing as mp
        pool = mp.get_context("fork").Pool(n_jobs)
        it = pool.imap_unordered(fn, jobs)
    try:
        for k, st in enumerate(it, 1):
            results.append(st)
            done_s += st["seconds"]
            done_cpu += st["cpu"]
            el = time.time() - t0
            eta = el / k * (len(jobs) - k)
            log(f"[{k}/{len(jobs)}] {unit_name} {st['idx']:05d}: {st['clips']} clips, {st['seconds']:.0f} s audio, "
                f"{st['bytes'] / 1e6:.2f} MB, {st['wall']:.0f} s wall, {st['seconds'] / max(st['cpu'], 1e-9):.1f} "
                f"audio-s/CPU-s{', ' + str(st['failed']) + ' TTS failures' if st.get('failed') else ''} | "
                f"run total {done_s / 3600:.3f} h, ETA {eta / 60:.1f} min")
    finally:
        if pool:
            pool.close()
            pool.join()
    return results


def cmd_synthetic(a) -> None:
    earshot = find_earshot(a.earshot)
    os.makedirs(a.out, exist_ok=True)
    n_shards = max(1, int(math.ceil(a.hours * 3600 / a.shard_seconds)))
    cfg = {"mode": "synthetic", "split": a.split, "seed": a.seed, "shard_seconds": a.shard_seconds,
           "dtype": a.dtype, "command_frac": a.command_frac, "empty_frac": a.empty_frac, "hours": a.hours,
           "abrupt_frac": a.abrupt_frac, "engine_weights": a.engine_weights, "formant_frac": a.formant_frac,
           "narrow_frac": a.narrow_frac, "text_source": "templates (text.py) + Debian package 'fortunes' (/usr/share/games/fortunes)",
           "voices": len(voices.training_voices())}
    check_config(a.out, cfg, a.force)
    # Warm caches before forking workers (voice probing, sentence lists).
    voices.training_voices()
    textmod.general_for_split(a.split)
    pending = [i for i in range(n_shards) if not os.path.exists(os.path.join(a.out, f"shard-{i:05d}.npz"))]
    log(f"make_dataset: {a.split} {a.hours} h = {n_shards} shards of {a.shard_seconds} s in {a.out}; "
        f"{n_shards - len(pending)} done, {len(pending)} to make with {a.jobs} job(s); "
        f"{len(voices.training_voices())} training voice configurations")
    jcfg = dict(cfg, out=a.out, earshot=earshot, tmp=a.tmp, keep_wav=a.keep_wav)
    run_jobs(synth_shard, [(i, jcfg) for i in pending], a.jobs)
    shards.merge_manifests(a.out)
    info = write_info(a.out, cfg)
    log(f"make_dataset: {info['utterances']} utterances, {info['hours']:.3f} h, {info['shards']} shards, "
        f"{info['shard_bytes'] / 1e6:.2f} MB ({info['mb_per_hour']} MB per hour of audio) in {a.out}")


# ----------------------------------------------------------------------------- bring your own data


def read_user_manifest(path: str) -> list[dict]:
    base = os.path.dirname(os.path.abspath(path))
    out = []
    with open(path) as f:
        for ln, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            r = json.loads(line)
            if "audio" not in r or "text" not in r:
                sys.exit(f"make_dataset: {path}:{ln}: each line needs \"audio\" and \"text\"")
            if any(h in json.dumps(r) for h in ("kal_diphone", "ked_diphone")):
                sys.exit(f"make_dataset: {path}:{ln}: names a held-out festival voice (kal/ked diphone); "
                         "those recordings are for evaluation only")
            audio = r["audio"] if os.path.isabs(r["audio"]) else os.path.join(base, r["audio"])
            t = r["text"].strip()
            norm = t if set(t) <= textmod.ALPHABET and "  " not in t else textmod.normalize(t)
            if t and norm is None:
                log(f"make_dataset: {path}:{ln}: skipped, text not mappable to a-z ' : {t!r}")
                continue
            out.append({"audio": audio, "text": norm or "", "line": ln})
    return out


def byo_shard(job: tuple) -> dict:
    idx, cfg, items = job
    t0, c0 = time.time(), cpu_now()
    nrng = np.random.default_rng([cfg["seed"], 7, idx])
    augment.P["formant"] = cfg["formant_frac"]
    augment.P["narrow"] = cfg.get("narrow_frac", 0.0)
    tmp = tempfile.mkdtemp(prefix=f"earshot-byo{idx:05d}-", dir=cfg.get("tmp"))
    try:
        wavs, records, texts = [], [], []
        clean = []
        for j, it in enumerate(items):
            if not os.path.exists(it["audio"]):
                raise FileNotFoundError(it["audio"])
            ext = os.path.splitext(it["audio"])[1] or ".wav"
            link = os.path.join(tmp, f"u{j:05d}c{ext}")
            os.symlink(os.path.abspath(it["audio"]), link)
            wavs.append(link)
            texts.append(it["text"])
            records.append({"text": it["text"], "kind": "user", "voice": "user", "audio": it["audio"],
                            "line": it["line"], "aug": {}})
        if cfg["augment_copies"]:
            clean = [augment.sox_load(it["audio"]) for it in items]
            for k in range(cfg["augment_copies"]):
                for j, it in enumerate(items):
                    sp = augment.draw_sox_params(nrng)
                    x = augment.sox_load(it["audio"], sp.get("speed", 1.0), sp.get("warp_cents", 0.0)) if sp else clean[j]
                    x = augment.maybe_formant(x, nrng, sp)
                    pcm, aug = augment.augment(x, nrng, clean[:j] + clean[j + 1:])
                    w = os.path.join(tmp, f"u{j:05d}a{k}.wav")
                    augment.write_wav(w, pcm)
                    wavs.append(w)
                    texts.append(it["text"])
                    records.append({"text": it["text"], "kind": "user", "voice": "user", "audio": it["audio"],
                                    "line": it["line"], "aug": {**sp, **aug}})
        feats = run_frontend(cfg["earshot"], wavs, os.path.join(tmp, "feat"))
        for f, r in zip(feats, records):
            r["seconds"] = round(len(f) / 100.0, 2)
        path = os.path.join(cfg["out"], f"shard-{idx:05d}.npz")
        nbytes = shards.write_shard(path, feats, texts, records, cfg["dtype"])
        return {"idx": idx, "seconds": sum(r["seconds"] for r in records), "clips": len(records), "bytes": nbytes,
                "wall": time.time() - t0, "cpu": cpu_now() - c0}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def cmd_manifest(a) -> None:
    earshot = find_earshot(a.earshot)
    os.makedirs(a.out, exist_ok=True)
    items = read_user_manifest(a.manifest)
    with open(a.manifest, "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()[:16]
    cfg = {"mode": "manifest", "manifest": os.path.abspath(a.manifest), "manifest_sha": sha, "seed": a.seed,
           "dtype": a.dtype, "shard_utts": a.shard_utts, "augment_copies": a.augment_copies,
           "formant_frac": a.formant_frac, "narrow_frac": a.narrow_frac}
    check_config(a.out, cfg, a.force)
    groups = [items[i:i + a.shard_utts] for i in range(0, len(items), a.shard_utts)]
    pending = [i for i in range(len(groups)) if not os.path.exists(os.path.join(a.out, f"shard-{i:05d}.npz"))]
    log(f"make_dataset: {len(items)} utterances from {a.manifest} -> {len(groups)} shards in {a.out}; "
        f"{len(pending)} to make; {a.augment_copies} augmented copies each")
    jcfg = dict(cfg, out=a.out, earshot=earshot, tmp=a.tmp)
    run_jobs(byo_shard, [(i, jcfg, groups[i]) for i in pending], a.jobs)
    shards.merge_manifests(a.out)
    info = write_info(a.out, cfg)
    log(f"make_dataset: {info['utterances']} utterances, {info['hours']:.3f} h, {info['shard_bytes'] / 1e6:.2f} MB "
        f"in {a.out}")


# ----------------------------------------------------------------------------- held-out sets

HELDOUT_NOISES = ("pink", "babble", "white", "brown", "hum")


def cmd_heldout(a) -> None:
    """festival kal/ked x (commands, general) x (clean, 10 dB, 0 dB) + silence/noise-only clips.

    With --calib the same layout is made from *training* voices (a random voice and speaking style
    per utterance) reading *dev-split* text: a set for tuning run-time settings (the rejection
    threshold) that is neither trained on nor the held-out voices.

    With --xdev the same layout from the festival-x voices kept out of training (voices.XLING_DEV)
    reading dev-split text: unseen speakers for choosing between checkpoints, without kal/ked."""
    out = os.path.abspath(a.out)
    os.makedirs(out, exist_ok=True)
    split = "dev" if a.calib or a.xdev else "test"
    rng = random.Random(f"{a.seed}:{'calib' if a.calib else 'xdev' if a.xdev else 'heldout'}")
    cmds, seen = [], set()
    while len(cmds) < a.heldout_commands:
        s = textmod.command_sentence(rng, split)
        if s not in seen:
            seen.add(s)
            cmds.append(s)
    gen_pool = list(textmod.general_for_split(split))
    gen = rng.sample(gen_pool, min(a.heldout_general, len(gen_pool)))
    tmp = tempfile.mkdtemp(prefix="earshot-heldout-", dir=a.tmp)
    t0 = time.time()
    try:
        # Babble: training voices reading test-split general sentences (noise only, never a target).
        bab = [voices.Utterance(voices.sample_voice(rng), s, os.path.join(tmp, f"bab{i}.wav"))
               for i, s in enumerate(rng.sample(gen_pool, 16))]
        ok = voices.synthesize(bab, tmp)
        babble_pool = [augment.sox_load(u.wav) for u, g in zip(bab, ok) if g]
        summary = {}
        targets = [None] if a.calib else voices.xdev_voices() if a.xdev else voices.heldout_voices()
        if not targets:
            sys.exit("make_dataset: no --xdev voice loads here (install the packages in voices.XLING)")
        for voice in targets:
            short = "calib" if a.calib else voice.name.replace("voice_", "").replace("_diphone", "")
            short = short.replace("czech_", "").replace("suo_fi_", "").replace("hy_fi_", "")
            for set_name, sents in (("commands", cmds), ("general", gen)):
                if a.calib:
                    vs = [voices.sample_voice(rng) for _ in sents]
                    utts = [voices.Utterance(v, s, os.path.join(tmp, f"{short}-{set_name}-{i:04d}.wav"),
                                             voices.sample_params(v, rng)) for i, (v, s) in enumerate(zip(vs, sents))]
                else:
                    utts = [voices.Utterance(voice, s, os.path.join(tmp, f"{short}-{set_name}-{i:04d}.wav"))
                            for i, s in enumerate(sents)]
                ok = voices.synthesize(utts, tmp, heldout_ok=not a.calib)
                conds = ("clean", "snr10", "snr0") + (("late", "abrupt") if set_name == "commands" else ())
                lines = {c: [] for c in conds}
                for i, (u, good) in enumerate(zip(utts, ok)):
                    if not good:
                        log(f"heldout: {u.voice.name} failed on {u.text!r}")
                        continue
                    raw = augment.sox_load(u.wav)
                    pad = np.zeros(int(0.3 * SR), np.float32)
                    x = np.concatenate([pad, raw, pad])
                    # "abrupt": the clean command from its first loud sample on (the TTS's own
                    # leading silence cut too), as a trimmed clip or a push-to-talk press.
                    xa = np.concatenate([augment.trim_lead(raw), pad])
                    g = augment.db_to_amp(-26.0) / math.sqrt(augment.active_power(x))
                    nr = np.random.default_rng([a.seed, 99, i, len(set_name)])
                    kind = HELDOUT_NOISES[i % len(HELDOUT_NOISES)]
                    noise = augment.make_noise(nr, len(x), kind, babble_pool)
                    floor = augment.db_to_amp(-90.0) * nr.standard_normal(len(x)).astype(np.float32)
                    # "late": the clean command after 0.5-3 s more of the floor, as when a device has
                    # been listening for a while (the recognizer's idle resets fall somewhere in it).
                    lead = int(np.random.default_rng([a.seed, 77, i]).uniform(0.5, 3.0) * SR)
                    for cond, snr in (("clean", None), ("snr10", 10.0), ("snr0", 0.0), ("late", None), ("abrupt", None)):
                        if cond not in lines:
                            continue
                        if cond == "abrupt":
                            y = xa * g + floor[:len(xa)]
                        else:
                            y = x if snr is None else augment.mix_at_snr(x, noise, snr)
                            y = y * g + floor
                        if cond == "late":
                            y = np.concatenate([augment.db_to_amp(-90.0) * nr.standard_normal(lead).astype(np.float32), y])
                        y = y * min(1.0, 0.999 / max(float(np.max(np.abs(y))), 1e-9))
                        d = f"{short}_{set_name}_{cond}"
                        os.makedirs(os.path.join(out, d), exist_ok=True)
                        rel = f"{d}/{i:04d}.wav"
                        augment.write_wav(os.path.join(out, rel), y)
                        rec = {"audio": rel, "text": u.text, "voice": u.voice.id, "set": set_name, "condition": cond}
                        if snr is not None:
                            rec["noise"], rec["snr_db"] = kind, snr
                        if cond == "late":
                            rec["lead_in_s"] = round(lead / SR, 3)
                        lines[cond].append(rec)
                for cond, recs in lines.items():
                    name = f"{short}_{set_name}_{cond}.jsonl"
                    with open(os.path.join(out, name), "w") as f:
                        for r in recs:
                            f.write(json.dumps(r) + "\n")
                    summary[name] = len(recs)
                log(f"heldout: {short} {set_name}: {len(lines['clean'])} utterances x {len(lines)} conditions "
                    f"({time.time() - t0:.0f} s)")
        er = np.random.default_rng([a.seed, 12345])
        os.makedirs(os.path.join(out, "empty"), exist_ok=True)
        with open(os.path.join(out, "empty.jsonl"), "w") as f:
            for i in range(a.heldout_empty):
                pcm, info = augment.empty_clip(er)
                rel = f"empty/{i:04d}.wav"
                augment.write_wav(os.path.join(out, rel), pcm)
                f.write(json.dumps({"audio": rel, "text": "", "empty": info["empty"]}) + "\n")
        summary["empty.jsonl"] = a.heldout_empty
        with open(os.path.join(out, "info.json"), "w") as f:
            json.dump({"seed": a.seed, "voices": "training voices, one drawn per utterance" if a.calib
                       else [v.id for v in targets], "text_split": split,
                       "paths": "audio paths are relative to the manifest's directory",
                       "level": "speech at -26 dBFS active RMS, 0.3 s padding, -90 dBFS floor; 'late' commands: "
                                "0.5-3 s more floor before the clean speech; 'abrupt' commands: the clean speech from its "
                                "first sample within 40 dB of its peak on, no padding before it",
                       "noise": f"per utterance, cycling {list(HELDOUT_NOISES)}; babble = training voices "
                                "reading test-split sentences", "manifests": summary}, f, indent=1)
        log(f"heldout: done in {time.time() - t0:.0f} s: {summary}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="output folder (shards, or the held-out sets)")
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--manifest", help="bring-your-own JSONL {\"audio\": path, \"text\": ...}")
    mode.add_argument("--heldout", action="store_true", help="build the held-out festival kal/ked sets")
    mode.add_argument("--calib", action="store_true",
                      help="the held-out layout from training voices and dev-split text (tuning run-time settings)")
    mode.add_argument("--xdev", action="store_true",
                      help="the held-out layout from the festival-x voices kept out of training (voices.XLING_DEV) "
                           "and dev-split text: unseen speakers for choosing checkpoints")
    ap.add_argument("--split", default="train", choices=list(SPLIT_ID), help="text split (synthetic mode)")
    ap.add_argument("--hours", type=float, default=1.0, help="hours of audio to have in --out (synthetic mode)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=1, help="worker processes (one shard each)")
    ap.add_argument("--shard-seconds", type=float, default=600.0, help="audio per synthetic shard")
    ap.add_argument("--shard-utts", type=int, default=500, help="utterances per shard (--manifest)")
    ap.add_argument("--augment-copies", type=int, default=0, help="augmented copies per utterance (--manifest)")
    ap.add_argument("--command-frac", type=float, default=0.6, help="share of command sentences (rest general)")
    ap.add_argument("--empty-frac", type=float, default=0.05, help="share of silence/noise-only clips")
    ap.add_argument("--abrupt-frac", type=float, default=augment.P["abrupt"],
                    help="share of speech clips that start at their first sound (synthetic mode)")
    ap.add_argument("--formant-frac", type=float, default=augment.P["formant"],
                    help="share of speech clips (or augmented copies) whose formants are moved, each region by its "
                         "own factor (augment.formant_warp; default 0: off)")
    ap.add_argument("--narrow-frac", type=float, default=augment.P["narrow"],
                    help="share of augmented clips low-passed at 4.8-5.5 kHz, the band of the 11 kHz real "
                         "recordings (default 0: off)")
    ap.add_argument("--engine-weights", metavar="ENGINE=W,...",
                    help="share of clips per TTS engine, replacing those named in voices.ENGINE_WEIGHTS "
                         f"({', '.join(f'{k}={v}' for k, v in voices.ENGINE_WEIGHTS.items())}); "
                         "e.g. festival-x=0.4 (synthetic mode)")
    ap.add_argument("--dtype", choices=["int8", "int16"], default="int8", help="feature storage (see shards.py)")
    ap.add_argument("--heldout-commands", type=int, default=200)
    ap.add_argument("--heldout-general", type=int, default=100)
    ap.add_argument("--heldout-empty", type=int, default=100)
    ap.add_argument("--earshot", help="path of the earshot host binary (default build/host/bin/earshot)")
    ap.add_argument("--tmp", help="folder for temporary audio (default: system temp)")
    ap.add_argument("--keep-wav", action="store_true", help="also keep the augmented WAVs under OUT/wav/ (inspection)")
    ap.add_argument("--force", action="store_true", help="resume even if settings differ from info.json")
    a = ap.parse_args()
    if not 0.0 <= a.abrupt_frac <= 1.0:
        ap.error(f"--abrupt-frac must be within [0, 1], got {a.abrupt_frac}")
    if not 0.0 <= a.formant_frac <= 1.0:
        ap.error(f"--formant-frac must be within [0, 1], got {a.formant_frac}")
    if not 0.0 <= a.narrow_frac <= 1.0:
        ap.error(f"--narrow-frac must be within [0, 1], got {a.narrow_frac}")
    if a.narrow_frac and (a.heldout or a.calib or a.xdev):
        ap.error("--narrow-frac band-limits training audio; the held-out, calibration and xdev sets are made without it")
    if a.formant_frac and (a.heldout or a.calib or a.xdev):
        ap.error("--formant-frac warps training audio; the held-out, calibration and xdev sets are made without it")
    if a.engine_weights is not None:
        try:
            a.engine_weights = voices.parse_engine_weights(a.engine_weights)
        except ValueError as e:
            ap.error(f"--engine-weights: {e}")
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    if a.heldout or a.calib or a.xdev:
        cmd_heldout(a)
    elif a.manifest:
        cmd_manifest(a)
    else:
        cmd_synthetic(a)


if __name__ == "__main__":
    main()
