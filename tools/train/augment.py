"""Audio augmentation (sox + numpy) and SpecAugment for earshot training data.

Per clip, in this order (each step random, parameters returned for the manifest):
  1. sox: read the TTS output (any rate), speed perturbation (``speed``: tempo and
     pitch together, 0.9-1.1), frequency warping (``pitch``: WSOLA + resampling
     shifts the whole spectrum, formants included, while keeping duration -- a
     VTLP-like warp factor of 2**(cents/1200), about 0.89-1.12), resample to
     16 kHz mono float;
  1b. formant warping (``formant``, off unless make_dataset.py --formant-frac): each
     formant region moves by its own factor (0.86-1.16 below 3.5 kHz) while F0,
     harmonics and timing stay: a new vocal tract rather than a scaled one (see
     formant_warp);
  2. leading / trailing silence (0.05-1.0 s each); with ``abrupt`` probability the
     TTS's own leading silence is cut and the lead is 0-50 ms, so that speech
     starting at the first sample (trimmed clips, push-to-talk) is seen too;
  3. room: convolution with a synthetic impulse response (direct path + sparse
     early reflections + exponentially decaying noise tail whose high band decays
     faster; RT60 0.1-0.9 s, direct-to-reverberant ratio -2..+12 dB);
  4. additive noise at 0-30 dB SNR (against the speech's active-frame power):
     white, pink or brown (1/f^beta spectra), mains hum with harmonics over pink
     noise, or babble (3-7 other TTS clips of the same shard summed);
  5. channel: telephone band (300-3400 Hz, optionally 8-bit mu-law), cheap
     microphone (random high-pass 80-400 Hz, low-pass 3.5-7.5 kHz, +-6 dB
     resonances), or an 8 kHz device (sharp 3.8 kHz low-pass); then, with
     ``narrow`` probability (off unless make_dataset.py --narrow-frac), an 11 kHz
     source's band (sharp low-pass at 4.8-5.5 kHz);
  6. gain: speech level -42..-12 dBFS RMS, rare clipping, a faint noise floor
     (-95..-65 dBFS) so that digital silence stays rare, int16.

``empty_clip`` makes silence-only and noise-only clips (label ""): digital or
near silence, colored noise, hum, tone chords, clicks; never babble, which is
speech. ``spec_augment`` masks bands and frames of features at training time.
"""
from __future__ import annotations

import math
import subprocess
import wave

import numpy as np

SR = 16000

# Probabilities / ranges (one place to tune).
P = {
    "speed": 0.6, "speed_range": (0.9, 1.1),
    "warp": 0.6, "warp_cents": (-200, 200),
    # Off by default so that sets made before it regenerate unchanged (make_dataset.py --formant-frac).
    "formant": 0.0, "formant_knots_hz": (300, 800, 1500, 2500, 3500, 5000),
    "formant_ratio": ((0.86, 1.16),) * 5 + ((0.92, 1.08),),
    "rir": 0.45, "rt60": (0.1, 0.9), "drr_db": (-2.0, 12.0),
    "noise": 0.8, "snr_db": (0.0, 30.0),
    "noise_types": {"white": 0.12, "pink": 0.25, "brown": 0.13, "hum": 0.08, "babble": 0.3, "mix": 0.12},
    "band": 0.3, "band_types": {"telephone": 0.35, "mic": 0.45, "8k": 0.2},
    # Off by default so that older sets regenerate unchanged (make_dataset.py --narrow-frac): the
    # real recordings from 11 kHz games hold nothing above 5.5 kHz; without narrow-band synthetic
    # and 16 kHz speech beside them, "no energy above 5.5 kHz" would come to mean "a real voice".
    "narrow": 0.0, "narrow_hz": (4800.0, 5500.0),
    "level_dbfs": (-42.0, -12.0), "clip": 0.02,
    "lead_s": (0.05, 1.0), "trail_s": (0.05, 1.0), "abrupt": 0.2, "abrupt_lead_s": (0.0, 0.05),
    "floor_dbfs": (-95.0, -65.0), "digital_silence": 0.05,
}


def _pick(rng: np.random.Generator, table: dict) -> str:
    keys = list(table)
    w = np.array([table[k] for k in keys], dtype=float)
    return keys[rng.choice(len(keys), p=w / w.sum())]


# ----------------------------------------------------------------------------- I/O


def sox_load(path: str, speed: float = 1.0, cents: float = 0.0) -> np.ndarray:
    """Any audio file -> float32 mono 16 kHz, with optional speed and pitch (warp) effects."""
    effects = []
    if abs(speed - 1.0) > 1e-4:
        effects += ["speed", f"{speed:.4f}"]
    if abs(cents) > 0.5:
        effects += ["pitch", f"{cents:.1f}"]
    cmd = ["sox", "-V1", path, "-t", "raw", "-e", "floating-point", "-b", "32", "-c", "1", "-r", str(SR), "-"] + effects
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    if r.returncode != 0:
        raise RuntimeError(f"sox failed on {path}: {r.stderr.decode(errors='replace').strip()}")
    return np.frombuffer(r.stdout, dtype="<f4").astype(np.float32)


def write_wav(path: str, x: np.ndarray) -> None:
    """int16 mono 16 kHz WAV (x: int16, or float in [-1, 1])."""
    if x.dtype != np.int16:
        x = np.clip(np.round(x * 32767.0), -32768, 32767).astype(np.int16)
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SR)
        w.writeframes(x.astype("<i2").tobytes())


def read_wav(path: str) -> np.ndarray:
    with wave.open(path, "rb") as w:
        assert w.getsampwidth() == 2 and w.getnchannels() == 1
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32) / 32768.0


# ----------------------------------------------------------------------------- building blocks


def db_to_amp(db: float) -> float:
    return 10.0 ** (db / 20.0)


def trim_lead(x: np.ndarray, rel_db: float = -40.0) -> np.ndarray:
    """x from its first sample within rel_db of its peak on (all of x if none)."""
    peak = float(np.max(np.abs(x))) if len(x) else 0.0
    if peak <= 0.0:
        return x
    loud = np.flatnonzero(np.abs(x) >= peak * db_to_amp(rel_db))
    return x[int(loud[0]):]


def active_power(x: np.ndarray, frame: int = 400) -> float:
    """Mean power of frames within 40 dB of the loudest frame (speech, not pauses)."""
    n = len(x) // frame
    if n == 0:
        return float(np.mean(x * x) + 1e-12)
    e = np.mean(x[: n * frame].reshape(n, frame) ** 2, axis=1)
    act = e[e > e.max() * 1e-4]
    return float(act.mean() + 1e-12)


def colored_noise(rng: np.random.Generator, n: int, beta: float) -> np.ndarray:
    """Gaussian noise with power spectrum ~ 1/f^beta (0 white, 1 pink, 2 brown), unit RMS."""
    if n <= 1:
        return np.zeros(n, np.float32)
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1.0 / SR)
    f[0] = f[1]
    spec *= np.maximum(f, 20.0) ** (-beta / 2.0)
    y = np.fft.irfft(spec, n)
    return (y / (np.sqrt(np.mean(y * y)) + 1e-12)).astype(np.float32)


def hum(rng: np.random.Generator, n: int) -> np.ndarray:
    f0 = rng.choice([50.0, 60.0]) * rng.uniform(0.99, 1.01)
    t = np.arange(n) / SR
    y = np.zeros(n)
    for k in range(1, 8):
        y += rng.uniform(0.1, 1.0) / k * np.sin(2 * np.pi * f0 * k * t + rng.uniform(0, 2 * np.pi))
    y = y / (np.sqrt(np.mean(y * y)) + 1e-12)
    y += 10 ** (rng.uniform(-30, -6) / 20) * colored_noise(rng, n, 1.0)
    return (y / (np.sqrt(np.mean(y * y)) + 1e-12)).astype(np.float32)


def babble(rng: np.random.Generator, n: int, pool: list) -> np.ndarray | None:
    if len(pool) < 3:
        return None
    k = int(rng.integers(3, min(7, len(pool)) + 1))
    y = np.zeros(n, np.float32)
    for i in rng.choice(len(pool), size=k, replace=False):
        s = pool[i]
        if len(s) == 0:
            continue
        s = s / (np.sqrt(active_power(s)) + 1e-9)
        reps = int(math.ceil((n + len(s)) / len(s)))
        tiled = np.tile(s, reps)
        off = int(rng.integers(0, len(s)))
        y += db_to_amp(rng.uniform(-6, 6)) * tiled[off: off + n]
    return y / (np.sqrt(np.mean(y * y)) + 1e-12)


def synthetic_rir(rng: np.random.Generator, rt60: float, drr_db: float) -> np.ndarray:
    """Direct path + early reflections + decaying noise tail (HF decays faster)."""
    length = int(min(1.2 * rt60, 1.0) * SR) + 1
    t = np.arange(length) / SR
    lo = colored_noise(rng, length, 1.0) * np.exp(-6.908 * t / rt60)
    hi = rng.standard_normal(length) * np.exp(-6.908 * t / (0.6 * rt60))
    tail = lo + 0.5 * hi
    pre = int(rng.uniform(0.001, 0.02) * SR)  # tail starts after the direct sound
    tail[:pre] = 0.0
    for _ in range(int(rng.integers(3, 10))):  # early reflections
        d = int(rng.uniform(0.002, 0.05) * SR)
        if d < length:
            tail[d] += rng.uniform(-1, 1) * 3.0 * np.exp(-6.908 * d / SR / rt60)
    tail /= np.sqrt(np.sum(tail ** 2)) + 1e-12
    h = tail * db_to_amp(-drr_db)
    h[0] += 1.0
    return h.astype(np.float32)


def convolve(x: np.ndarray, h: np.ndarray) -> np.ndarray:
    n = len(x) + len(h) - 1
    nfft = 1 << (n - 1).bit_length()
    y = np.fft.irfft(np.fft.rfft(x, nfft) * np.fft.rfft(h, nfft), nfft)[: len(x)]
    return y.astype(np.float32)


def _fft_filter(x: np.ndarray, gain_of_f) -> np.ndarray:
    n = len(x)
    spec = np.fft.rfft(x)
    f = np.fft.rfftfreq(n, 1.0 / SR)
    return np.fft.irfft(spec * gain_of_f(f), n).astype(np.float32)


def _stft(x: np.ndarray, n: int, hop: int) -> tuple[np.ndarray, np.ndarray]:
    win = np.sqrt(np.hanning(n + 1)[:n]).astype(np.float32)  # sqrt-Hann twice = Hann: overlap-add sums to a constant
    pad = np.concatenate([np.zeros(n, np.float32), x.astype(np.float32), np.zeros(n + hop, np.float32)])
    frames = (len(pad) - n) // hop + 1
    idx = np.arange(n)[None, :] + hop * np.arange(frames)[:, None]
    return np.fft.rfft(pad[idx] * win, axis=1), win


def _istft(spec: np.ndarray, win: np.ndarray, hop: int, length: int) -> np.ndarray:
    n = len(win)
    frames = np.fft.irfft(spec, n, axis=1) * win
    k, m = n // hop, len(frames)
    out = np.zeros(hop * (m + k - 1), np.float64)
    norm = np.zeros_like(out)
    for j in range(k):  # hop divides n: k interleaved, non-overlapping layers
        out[j * hop:j * hop + m * hop] += frames[:, j * hop:(j + 1) * hop].reshape(-1)
        norm[j * hop:j * hop + m * hop] += np.tile(win[j * hop:(j + 1) * hop] ** 2, m)
    return (out / np.maximum(norm, 1e-3))[n:n + length].astype(np.float32)


def formant_warp(x: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
    """Move each formant region by its own random factor, keeping F0 and timing.

    Why: the training set has four human-derived English speakers (plus formant
    synthesis), and the unseen test speaker's gap is not a uniform spectral scale
    (sox ``pitch`` -300..+300 cents on it did not help). Speakers differ in the
    ratios of their formants, which VTLP's single factor never changes. Per 32 ms
    frame, a cepstrally smoothed log envelope (26 coefficients, below any F0's
    quefrency) is read through a piecewise-linear, monotone frequency map with
    random knots, and the frame is multiplied by new/old envelope (limited to
    +-18 dB): the excitation's fine structure stays where it was. The limit keeps
    a noise-filled valley from being lifted into a formant; on formant synthesis
    (espeak-ng), whose valleys run deeper than that, a shift also darkens the
    sound (e.g. centroid 0.75-0.8x for x1.15), while human-derived voices move
    as asked (x1.15: 1.06-1.13x).
    """
    knots = np.array((0.0,) + tuple(P["formant_knots_hz"]) + (SR / 2,))
    ratios = np.array([1.0] + [rng.uniform(*r) for r in P["formant_ratio"]] + [1.0])
    moved = np.maximum.accumulate(knots * ratios)
    n, hop = 512, 128
    spec, win = _stft(x, n, hop)
    f = np.fft.rfftfreq(n, 1.0 / SR)
    logmag = np.log(np.abs(spec) + 1e-6)
    cep = np.fft.irfft(logmag, n, axis=1)
    lifter = np.zeros(n)
    lifter[:26] = 1.0
    lifter[n - 25:] = 1.0
    env = np.fft.rfft(cep * lifter, axis=1).real
    # A formant at frequency g of the original lands at moved(g): the new envelope
    # at f is the old one at the inverse map of f.
    src = np.interp(f, moved, knots)
    pos = src / (f[1] - f[0])
    i0 = np.minimum(pos.astype(np.int64), len(f) - 2)
    frac = pos - i0
    new_env = env[:, i0] * (1 - frac) + env[:, i0 + 1] * frac
    gain = np.exp(np.clip(new_env - env, -2.07, 2.07))  # +-18 dB
    y = _istft(spec * gain, win, hop, len(x))
    return y, {"formant": [round(float(r), 3) for r in ratios[1:-1]]}


def _smooth_step(f, edge, width):
    return 1.0 / (1.0 + np.exp(-(f - edge) / width))


def band_limit(x: np.ndarray, rng: np.random.Generator, kind: str) -> tuple[np.ndarray, dict]:
    if kind == "telephone":
        lo, hi = rng.uniform(250, 350), rng.uniform(3200, 3500)
        y = _fft_filter(x, lambda f: _smooth_step(f, lo, 40) * (1 - _smooth_step(f, hi, 60)))
        info = {"band": "telephone", "lo": round(lo), "hi": round(hi)}
        if rng.random() < 0.5:  # 8-bit mu-law codec
            peak = np.max(np.abs(y)) + 1e-9
            mu = 255.0
            c = np.sign(y / peak) * np.log1p(mu * np.abs(y / peak)) / np.log1p(mu)
            c = np.round(c * 127) / 127
            y = (np.sign(c) * (np.expm1(np.abs(c) * np.log1p(mu))) / mu * peak).astype(np.float32)
            info["mulaw"] = True
        return y, info
    if kind == "mic":
        hp, lp = rng.uniform(80, 400), rng.uniform(3500, 7500)
        peaks = [(rng.uniform(300, 6000), rng.uniform(-6, 6), rng.uniform(0.1, 0.4)) for _ in range(int(rng.integers(1, 4)))]

        def g(f):
            out = _smooth_step(f, hp, hp / 6) * (1 - _smooth_step(f, lp, lp / 20))
            lf = np.log2(np.maximum(f, 1.0))
            for fc, gdb, bw in peaks:
                out = out * 10 ** (gdb / 20 * np.exp(-0.5 * ((lf - np.log2(fc)) / bw) ** 2))
            return out
        return _fft_filter(x, g), {"band": "mic", "hp": round(hp), "lp": round(lp)}
    if kind == "8k":
        return _fft_filter(x, lambda f: 1 - _smooth_step(f, 3800, 30)), {"band": "8k"}
    raise ValueError(kind)


# ----------------------------------------------------------------------------- clip augmentation


def draw_sox_params(rng: np.random.Generator) -> dict:
    p = {}
    if rng.random() < P["speed"]:
        p["speed"] = round(float(rng.uniform(*P["speed_range"])), 3)
    if rng.random() < P["warp"]:
        p["warp_cents"] = round(float(rng.uniform(*P["warp_cents"])), 1)
    return p


def maybe_formant(x: np.ndarray, rng: np.random.Generator, params: dict) -> np.ndarray:
    """formant_warp with probability P["formant"], its factors added to params.

    Draws nothing when the probability is 0, so older sets regenerate unchanged."""
    if P["formant"] > 0 and rng.random() < P["formant"]:
        x, info = formant_warp(x, rng)
        params.update(info)
    return x


def make_noise(rng: np.random.Generator, n: int, kind: str, pool: list) -> np.ndarray:
    if kind == "babble":
        b = babble(rng, n, pool)
        if b is not None:
            return b
        kind = "pink"
    if kind == "white":
        return colored_noise(rng, n, 0.0)
    if kind == "pink":
        return colored_noise(rng, n, 1.0)
    if kind == "brown":
        return colored_noise(rng, n, 2.0)
    if kind == "hum":
        return hum(rng, n)
    if kind == "mix":
        y = colored_noise(rng, n, float(rng.uniform(0, 2)))
        b = babble(rng, n, pool)
        if b is not None:
            y = y + db_to_amp(rng.uniform(-10, 5)) * b
        return (y / (np.sqrt(np.mean(y * y)) + 1e-12)).astype(np.float32)
    raise ValueError(kind)


def finish(y: np.ndarray, rng: np.random.Generator, level_db: float, ref_power: float, info: dict,
           allow_clip: bool = True) -> np.ndarray:
    """Gain to `level_db` (RMS of ref_power), optional clipping, faint floor, int16."""
    g = db_to_amp(level_db) / math.sqrt(ref_power + 1e-12)
    y = y * g
    if allow_clip and rng.random() < P["clip"]:
        # Overdriven input: clip at 30-70 % of the peak, then peak at 0.5-0.99 of full scale.
        lim = max(float(np.max(np.abs(y))) * rng.uniform(0.3, 0.7), 1e-9)
        y = np.clip(y, -lim, lim) * (rng.uniform(0.5, 0.99) / lim)
        info["clip"] = True
    if rng.random() >= P["digital_silence"]:
        fl = float(rng.uniform(*P["floor_dbfs"]))
        y = y + db_to_amp(fl) * rng.standard_normal(len(y)).astype(np.float32)
        info["floor_dbfs"] = round(fl, 1)
    peak = float(np.max(np.abs(y))) if len(y) else 0.0
    if peak > 0.999:
        y = y * (0.999 / peak)
    return np.clip(np.round(y * 32767.0), -32768, 32767).astype(np.int16)


def augment(x: np.ndarray, rng: np.random.Generator, pool: list, clean: bool = False) -> tuple[np.ndarray, dict]:
    """Augment one 16 kHz float speech clip (already through sox). Returns (int16, params).

    clean=True keeps only level, silence padding and the noise floor.
    """
    info: dict = {}
    if rng.random() < P["abrupt"]:
        # Why: a model that never saw speech in its first frames gave no text for
        # many clips that start with speech (its CTC head stayed blank throughout).
        x = trim_lead(x)
        lead = int(rng.uniform(*P["abrupt_lead_s"]) * SR)
    else:
        lead = int(rng.uniform(*P["lead_s"]) * SR)
    trail = int(rng.uniform(*P["trail_s"]) * SR)
    ref = active_power(x)
    y = np.concatenate([np.zeros(lead, np.float32), x.astype(np.float32), np.zeros(trail, np.float32)])
    info["lead_s"], info["trail_s"] = round(lead / SR, 2), round(trail / SR, 2)
    if not clean and rng.random() < P["rir"]:
        rt60, drr = float(rng.uniform(*P["rt60"])), float(rng.uniform(*P["drr_db"]))
        y = convolve(y, synthetic_rir(rng, rt60, drr))
        info["rt60"], info["drr_db"] = round(rt60, 2), round(drr, 1)
        ref = active_power(y)
    if not clean and rng.random() < P["noise"]:
        kind = _pick(rng, P["noise_types"])
        snr = float(rng.uniform(*P["snr_db"]))
        nz = make_noise(rng, len(y), kind, pool)
        y = y + nz * math.sqrt(ref) * db_to_amp(-snr)
        info["noise"], info["snr_db"] = kind, round(snr, 1)
    if not clean and rng.random() < P["band"]:
        y, binfo = band_limit(y, rng, _pick(rng, P["band_types"]))
        info.update(binfo)
    if not clean and P["narrow"] > 0 and rng.random() < P["narrow"]:  # no draw when off: old sets stay
        hi = float(rng.uniform(*P["narrow_hz"]))
        y = _fft_filter(y, lambda f: 1 - _smooth_step(f, hi, 40))
        info["narrow_hz"] = round(hi)
    level = float(rng.uniform(*P["level_dbfs"]))
    info["level_dbfs"] = round(level, 1)
    return finish(y, rng, level, ref, info, allow_clip=not clean), info


def mix_at_snr(x: np.ndarray, noise: np.ndarray, snr_db: float) -> np.ndarray:
    """x + noise scaled to snr_db against x's active power (noise tiled/cut to len(x))."""
    if len(noise) < len(x):
        noise = np.tile(noise, int(math.ceil(len(x) / max(len(noise), 1))))
    noise = noise[: len(x)]
    pn = float(np.mean(noise * noise)) + 1e-12
    return x + noise * math.sqrt(active_power(x) / pn) * db_to_amp(-snr_db)


def empty_clip(rng: np.random.Generator) -> tuple[np.ndarray, dict]:
    """A silence-only or noise-only clip (label ''), 0.5-6 s, int16."""
    n = int(rng.uniform(0.5, 6.0) * SR)
    kind = _pick(rng, {"silence": 0.25, "white": 0.1, "pink": 0.15, "brown": 0.1, "hum": 0.1, "tones": 0.1,
                       "clicks": 0.1, "mixed": 0.1})
    info = {"empty": kind}
    if kind == "silence":
        if rng.random() < 0.3:
            return np.zeros(n, np.int16), {"empty": "digital_silence"}
        fl = float(rng.uniform(-95, -55))
        y = db_to_amp(fl) * colored_noise(rng, n, float(rng.uniform(0, 1.5)))
        info["floor_dbfs"] = round(fl, 1)
        return np.clip(np.round(y * 32767), -32768, 32767).astype(np.int16), info
    if kind in ("white", "pink", "brown"):
        y = colored_noise(rng, n, {"white": 0.0, "pink": 1.0, "brown": 2.0}[kind])
    elif kind == "hum":
        y = hum(rng, n)
    elif kind == "tones":
        t = np.arange(n) / SR
        y = np.zeros(n)
        for _ in range(int(rng.integers(1, 5))):
            y += np.sin(2 * np.pi * rng.uniform(100, 4000) * t + rng.uniform(0, 6.3))
        env = np.ones(n)
        if rng.random() < 0.5:  # beeps
            period = int(rng.uniform(0.1, 1.0) * SR)
            env = ((np.arange(n) % period) < period * rng.uniform(0.2, 0.8)).astype(float)
        y = y * env + 0.01 * rng.standard_normal(n)
    elif kind == "clicks":
        y = 0.01 * rng.standard_normal(n)
        for _ in range(int(rng.integers(1, 12))):
            p = int(rng.integers(0, n))
            ln = int(rng.uniform(0.002, 0.05) * SR)
            seg = rng.standard_normal(min(ln, n - p)) * np.exp(-np.arange(min(ln, n - p)) / (ln / 5))
            y[p: p + len(seg)] += rng.uniform(1, 20) * seg
    else:  # mixed: colored noise + hum + clicks
        y = colored_noise(rng, n, float(rng.uniform(0, 2))) + 0.3 * hum(rng, n)
    y = y.astype(np.float32)
    if rng.random() < 0.3:
        rt60 = float(rng.uniform(0.1, 0.9))
        y = convolve(y, synthetic_rir(rng, rt60, float(rng.uniform(-2, 12))))
        info["rt60"] = round(rt60, 2)
    if rng.random() < P["band"]:
        y, binfo = band_limit(y, rng, _pick(rng, P["band_types"]))
        info.update(binfo)
    level = float(rng.uniform(-60, -12))
    info["level_dbfs"] = round(level, 1)
    return finish(y, rng, level, float(np.mean(y * y)), info, allow_clip=False), info


# ----------------------------------------------------------------------------- SpecAugment (training time)


def spec_augment(feats: np.ndarray, rng: np.random.Generator, freq_masks: int = 2, max_freq: int = 8,
                 time_masks: int = 2, max_time_frac: float = 0.05, max_time: int = 40,
                 fill: str | float = "mean") -> np.ndarray:
    """SpecAugment on (frames, mels) features (any dtype; returns a copy of the same dtype).

    freq_masks bands of width 0..max_freq mels and time_masks spans of at most
    min(max_time, max_time_frac * frames) frames are set to `fill` ("mean": the
    clip's mean value, "min": its minimum, or a number).
    """
    y = feats.copy()
    t, f = y.shape
    if t == 0:
        return y
    v = y.mean() if fill == "mean" else (y.min() if fill == "min" else fill)
    v = np.asarray(v).astype(y.dtype)
    for _ in range(freq_masks):
        w = int(rng.integers(0, max_freq + 1))
        if w and w < f:
            s = int(rng.integers(0, f - w + 1))
            y[:, s: s + w] = v
    tmax = int(min(max_time, max_time_frac * t))
    for _ in range(time_masks):
        w = int(rng.integers(0, tmax + 1)) if tmax > 0 else 0
        if w and w < t:
            s = int(rng.integers(0, t - w + 1))
            y[s: s + w, :] = v
    return y
