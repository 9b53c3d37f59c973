"""TTS voices for training (espeak-ng, flite, festival HTS slt) and the held-out voices.

Training voices
  * espeak-ng: every English voice that espeak-ng can actually speak with
    (``espeak-ng --voices=en``; MBROLA voices are skipped because Debian main
    has no ``mbrola`` binary), each plain and with every variant
    (``espeak-ng --voices=variant``), rate 110-230 wpm, pitch 15-85, pitch range
    40-200 % (SSML prosody), word gap 0-3;
  * flite: every built-in voice (``flite -lv``) except the limited-domain
    ``awb_time`` (it can only say clock times), with duration stretch and, where
    the voice honours it, f0 mean / spread;
  * festival: ``voice_cmu_us_slt_arctic_hts`` (festvox-us-slt-hts), speed 0.75-1.35
    through the HTS engine's ``-r`` parameter;
  * festival-x: English with a foreign accent from festival's Italian, Finnish and Czech diphone
    voices (``festival_xling.scm``): slt's front-end gives phones, durations and F0, each phone
    becomes the nearest phone of the voice's language, the voice's own diphones make the sound.
    They add eight human speakers (women, men and a child) to the four above. Two of them
    (``XLING_DEV``) are kept out of training to measure unseen speakers without touching kal/ked
    (``make_dataset.py --xdev``).

Held-out voices (never for training or tuning): festival's ``voice_kal_diphone``
and ``voice_ked_diphone``. ``HELDOUT_FESTIVAL`` is the only place they appear;
``assert_training_voices`` guards every training voice list.

Pitch of slt and flite's rms is varied later by ``augment.py`` (sox pitch), which
also does the frequency warping for every voice.
"""
from __future__ import annotations

import os
import random
import re
import subprocess
import tempfile
from dataclasses import dataclass, field
from functools import lru_cache

HELDOUT_FESTIVAL = ("voice_kal_diphone", "voice_ked_diphone")
XLING_SCM = os.path.join(os.path.dirname(os.path.abspath(__file__)), "festival_xling.scm")
# festival-x voices: name -> (voice function, phone map in festival_xling.scm, speaker, F0 factor range on
# slt's contour (slt is a woman at about 170 Hz), Debian package)
XLING = {
    "lp_diphone": ("voice_lp_diphone", "earshot_map_italian", "woman", (0.85, 1.2), "festvox-italp16k"),
    "pc_diphone": ("voice_pc_diphone", "earshot_map_italian", "man", (0.55, 0.8), "festvox-itapc16k"),
    "hy_fi_mv_diphone": ("voice_hy_fi_mv_diphone", "earshot_map_finnish", "man", (0.55, 0.8), "festvox-suopuhe-mv"),
    "suo_fi_lj_diphone": ("voice_suo_fi_lj_diphone", "earshot_map_finnish", "woman", (0.85, 1.2),
                          "festvox-suopuhe-lj"),
    "czech_dita": ("voice_czech_dita", "earshot_map_czech", "woman", (0.9, 1.25), "festvox-czech-dita"),
    "czech_krb": ("voice_czech_krb", "earshot_map_czech", "child", (1.15, 1.45), "festvox-czech-krb"),
    "czech_machac": ("voice_czech_machac", "earshot_map_czech", "man", (0.55, 0.8), "festvox-czech-machac"),
    "czech_ph": ("voice_czech_ph", "earshot_map_czech", "man", (0.55, 0.8), "festvox-czech-ph"),
}
# Never trained on: a man and a woman of two languages whose other voices are trained on, so the set
# they make (make_dataset.py --xdev) measures unseen speakers rather than an unseen accent.
XLING_DEV = ("czech_ph", "suo_fi_lj_diphone")
TRAIN_FESTIVAL = ("voice_cmu_us_slt_arctic_hts",)
FLITE_SKIP = {"awb_time"}  # limited domain: speaks only clock times
FLITE_NO_F0 = {"rms"}      # ignores int_f0_target_* (pitch via augmentation)
FLITE_FEMALE = {"slt"}

# Share of clips per engine (espeak-ng's many voices are formant-synthetic and
# robotic; flite and HTS slt are closer to human speech, so they get more weight
# than their voice count alone would give them).
ENGINE_WEIGHTS = {"espeak-ng": 0.5, "flite": 0.33, "festival": 0.17, "festival-x": 0.0}


def parse_engine_weights(spec: str | None) -> dict:
    """"festival-x=0.3,espeak-ng=0.4" -> ENGINE_WEIGHTS with those entries replaced."""
    w = dict(ENGINE_WEIGHTS)
    for part in (spec or "").split(","):
        if not part.strip():
            continue
        k, _, v = part.partition("=")
        k = k.strip()
        if k not in w:
            raise ValueError(f"unknown engine {k!r} (one of {', '.join(w)})")
        try:
            w[k] = float(v)
        except ValueError:
            raise ValueError(f"engine weight {part!r} is not ENGINE=NUMBER") from None
        if not (w[k] >= 0):
            raise ValueError(f"engine weight {part!r} is negative")
    if sum(w.values()) <= 0:
        raise ValueError("engine weights sum to zero")
    return w


@dataclass(frozen=True)
class Voice:
    engine: str   # "espeak-ng" | "flite" | "festival"
    name: str     # espeak voice (+variant), flite voice name, festival voice function

    @property
    def id(self) -> str:
        return f"{self.engine}:{self.name}"


@dataclass
class Utterance:
    """One synthesis job: `text` spoken by `voice` with `params`, written to `wav`."""
    voice: Voice
    text: str
    wav: str
    params: dict = field(default_factory=dict)


def _run(cmd, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def _works(cmd_to_file, path) -> bool:
    try:
        r = _run(cmd_to_file, timeout=60)
        return r.returncode == 0 and os.path.exists(path) and os.path.getsize(path) > 4000
    except (OSError, subprocess.TimeoutExpired):
        return False


@lru_cache(maxsize=1)
def espeak_base_voices() -> tuple[str, ...]:
    """English espeak-ng voices that synthesize here (identifier passed to -v)."""
    out = _run(["espeak-ng", "--voices=en"]).stdout.splitlines()[1:]
    names = []
    seen_files = set()
    with tempfile.TemporaryDirectory() as d:
        for line in out:
            cols = line.split()
            if len(cols) < 5:
                continue
            lang, file_ = cols[1], cols[4]
            if lang == "variant" or file_.startswith("mb/") or file_ in seen_files:
                continue
            seen_files.add(file_)
            wav = os.path.join(d, "t.wav")
            if _works(["espeak-ng", "-v", lang, "-w", wav, "testing one two"], wav):
                names.append(lang)
    return tuple(dict.fromkeys(names))


@lru_cache(maxsize=1)
def espeak_variants() -> tuple[str, ...]:
    out = _run(["espeak-ng", "--voices=variant"]).stdout.splitlines()[1:]
    names = []
    for line in out:
        cols = line.split()
        if len(cols) >= 5 and cols[4].startswith("!v/"):
            names.append(cols[4][3:])
    return tuple(sorted(set(names)))


@lru_cache(maxsize=1)
def flite_voices() -> tuple[str, ...]:
    r = _run(["flite", "-lv"])
    text = r.stdout + r.stderr
    m = re.search(r"Voices available:(.*)", text)
    names = m.group(1).split() if m else []
    return tuple(v for v in names if v not in FLITE_SKIP)


@lru_cache(maxsize=1)
def festival_voices() -> tuple[str, ...]:
    """Training festival voices that load here."""
    ok = []
    with tempfile.TemporaryDirectory() as d:
        for v in TRAIN_FESTIVAL:
            wav = os.path.join(d, "t.wav")
            txt = os.path.join(d, "t.txt")
            with open(txt, "w") as f:
                f.write("testing one two\n")
            if _works(["text2wave", "-eval", f"({v})", txt, "-o", wav], wav):
                ok.append(v)
    return tuple(ok)


def _xling_script(utts: list[Utterance]) -> list[str]:
    lines = [f'(load "{XLING_SCM}")']
    for u in utts:
        assert re.fullmatch(r"[a-z' ]+", u.text), u.text  # nothing to escape
        fn, mp, _, _, _ = XLING[u.voice.name]
        lines.append(f'(earshot_xling "{u.text}" {float(u.params.get("speed", 1.0))} {fn} {mp} '
                     f'{float(u.params.get("f0", 1.0))} "{u.wav}")')
    return lines


@lru_cache(maxsize=2)
def xling_voices(dev: bool = False) -> tuple[str, ...]:
    """festival-x voices that load here: the training ones, or with dev=True the XLING_DEV ones."""
    names = [n for n in XLING if (n in XLING_DEV) == dev]
    with tempfile.TemporaryDirectory() as d:
        utts = [Utterance(Voice("festival-x", n), "testing one two", os.path.join(d, f"{n}.wav")) for n in names]
        script = os.path.join(d, "t.scm")
        # One process per voice: a missing package makes festival stop at that voice.
        ok = []
        for u in utts:
            with open(script, "w") as f:
                f.write("\n".join(_xling_script([u])) + "\n")
            if _works(["festival", "-b", script], u.wav):
                ok.append(u.voice.name)
    return tuple(ok)


def assert_training_voices(voices) -> None:
    for v in voices:
        name = v.name if isinstance(v, Voice) else str(v)
        for h in HELDOUT_FESTIVAL:
            assert h not in name and h.replace("voice_", "") not in name, \
                f"held-out voice {h} in training voice list: {name}"
        assert name not in XLING_DEV, f"dev voice {name} in training voice list"


@lru_cache(maxsize=1)
def training_voices() -> tuple[Voice, ...]:
    """Every training voice configuration (espeak base x (plain + variants), flite, festival)."""
    vs = []
    for base in espeak_base_voices():
        vs.append(Voice("espeak-ng", base))
        vs += [Voice("espeak-ng", f"{base}+{var}") for var in espeak_variants()]
    vs += [Voice("flite", v) for v in flite_voices()]
    vs += [Voice("festival", v) for v in festival_voices()]
    vs += [Voice("festival-x", v) for v in xling_voices()]
    assert_training_voices(vs)
    return tuple(vs)


def heldout_voices() -> tuple[Voice, ...]:
    return tuple(Voice("festival", v) for v in HELDOUT_FESTIVAL)


def xdev_voices() -> tuple[Voice, ...]:
    return tuple(Voice("festival-x", v) for v in xling_voices(dev=True))


def sample_voice(r: random.Random, voices=None, weights: dict | None = None) -> Voice:
    """A voice: an engine by `weights` (default ENGINE_WEIGHTS), then a voice of it."""
    voices = voices or training_voices()
    weights = weights or ENGINE_WEIGHTS
    by_engine = {}
    for v in voices:
        by_engine.setdefault(v.engine, []).append(v)
    engines = [e for e in weights if e in by_engine and weights[e] > 0]
    eng = r.choices(engines, weights=[weights[e] for e in engines])[0]
    pool = by_engine[eng]
    if eng == "espeak-ng" and r.random() < 0.2:  # plain accent voices a fifth of the time
        pool = [v for v in pool if "+" not in v.name]
    return r.choice(pool)


def sample_params(voice: Voice, r: random.Random) -> dict:
    """Random speaking style for one utterance."""
    if voice.engine == "espeak-ng":
        return {"rate": r.randint(110, 230), "pitch": r.randint(15, 85), "range": r.randint(40, 200),
                "gap": r.choice([0, 0, 0, 0, 1, 2, 3])}
    if voice.engine == "flite":
        p = {"stretch": round(r.uniform(0.75, 1.45), 3)}
        if voice.name not in FLITE_NO_F0:
            lo, hi = (150, 240) if voice.name in FLITE_FEMALE else (80, 150)
            p["f0_mean"] = r.randint(lo, hi)
            p["f0_std"] = r.randint(5, 35)
        return p
    if voice.engine == "festival":
        return {"speed": round(r.uniform(0.75, 1.35), 3)}
    if voice.engine == "festival-x":
        return {"speed": round(r.uniform(0.8, 1.25), 3), "f0": round(r.uniform(*XLING[voice.name][3]), 3)}
    raise ValueError(voice.engine)


# ----------------------------------------------------------------------------- synthesis


def _espeak_cmd(u: Utterance) -> list[str]:
    p = u.params
    cmd = ["espeak-ng", "-v", u.voice.name, "-w", u.wav]
    if "rate" in p:
        cmd += ["-s", str(p["rate"])]
    if "pitch" in p:
        cmd += ["-p", str(p["pitch"])]
    if p.get("gap"):
        cmd += ["-g", str(p["gap"])]
    if "range" in p:
        cmd += ["-m", f'<speak><prosody range="{p["range"]}%">{u.text}</prosody></speak>']
    else:
        cmd += [u.text]
    return cmd


def _flite_cmd(u: Utterance) -> list[str]:
    p = u.params
    cmd = ["flite", "-voice", u.voice.name]
    if "stretch" in p:
        cmd += ["--setf", f"duration_stretch={p['stretch']}"]
    if "f0_mean" in p:
        cmd += ["--setf", f"int_f0_target_mean={p['f0_mean']}"]
    if "f0_std" in p:
        cmd += ["--setf", f"int_f0_target_stddev={p['f0_std']}"]
    return cmd + ["-t", u.text, "-o", u.wav]


def _festival_script(voice: str, utts: list[Utterance]) -> list[str]:
    """The Scheme lines that synthesize `utts` with festival voice function `voice`."""
    assert re.fullmatch(r"voice_[a-z0-9_]+", voice), voice
    lines = [f"({voice})"]
    hts = "hts" in voice
    if hts:
        lines.append("(set! earshot_hts_base hts_engine_params)")
    for u in utts:
        assert re.fullmatch(r"[a-z' ]+", u.text), u.text  # nothing to escape
        if hts:
            lines.append(f'(set! hts_engine_params (cons (list "-r" {float(u.params.get("speed", 1.0))}) earshot_hts_base))')
        lines.append(f'(utt.save.wave (utt.synth (Utterance Text "{u.text}")) "{u.wav}" \'riff)')
    return lines


def _festival_batch(lines: list[str], n: int, workdir: str) -> None:
    """Run one festival process over a script for n utterances (festival loads in ~0.2 s)."""
    script = os.path.join(workdir, f"fest-{os.getpid()}-{id(lines)}.scm")
    with open(script, "w") as f:
        f.write("\n".join(lines) + "\n")
    _run(["festival", "-b", script], timeout=60 + 10 * n)
    os.remove(script)


def synthesize(utts: list[Utterance], workdir: str, heldout_ok: bool = False) -> list[bool]:
    """Run every job; returns success per job (a WAV with audio was written)."""
    if not heldout_ok:
        assert_training_voices([u.voice for u in utts])
    fest: dict[str, list[Utterance]] = {}
    for u in utts:
        if u.voice.engine == "espeak-ng":
            _run(_espeak_cmd(u), timeout=120)
        elif u.voice.engine == "flite":
            _run(_flite_cmd(u), timeout=120)
        elif u.voice.engine == "festival":
            fest.setdefault(u.voice.name, []).append(u)
        elif u.voice.engine == "festival-x":
            fest.setdefault("festival-x", []).append(u)
        else:
            raise ValueError(u.voice.engine)
    for name, group in fest.items():
        for i in range(0, len(group), 200):
            part = group[i:i + 200]
            lines = _xling_script(part) if name == "festival-x" else _festival_script(name, part)
            _festival_batch(lines, len(part), workdir)
    return [os.path.exists(u.wav) and os.path.getsize(u.wav) > 1000 for u in utts]


def bench(n: int, seed: int = 0) -> dict:
    """Synthesis throughput per engine: audio seconds per CPU second (children's user+sys)."""
    import resource
    import wave

    import text as textmod

    r = random.Random(seed)
    sents = [textmod.sentence(r, "train")[1] for _ in range(n)]
    out = {}
    with tempfile.TemporaryDirectory() as d:
        for eng in ("espeak-ng", "flite", "festival", "festival-x"):
            pool = [v for v in training_voices() if v.engine == eng]
            utts = [Utterance(v := r.choice(pool), s, os.path.join(d, f"{eng}{i}.wav"), sample_params(v, r))
                    for i, s in enumerate(sents)]
            c0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            ok = synthesize(utts, d)
            c1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (c1.ru_utime - c0.ru_utime) + (c1.ru_stime - c0.ru_stime)
            secs = 0.0
            for u, g in zip(utts, ok):
                if g:
                    with wave.open(u.wav) as w:
                        secs += w.getnframes() / w.getframerate()
            out[eng] = {"clips": sum(ok), "audio_s": round(secs, 1), "cpu_s": round(cpu, 2),
                        "audio_s_per_cpu_s": round(secs / max(cpu, 1e-9), 1)}
    return out


if __name__ == "__main__":
    import sys
    if len(sys.argv) > 2 and sys.argv[1] == "--bench":
        for k, v in bench(int(sys.argv[2])).items():
            print(k, v)
        sys.exit(0)
    vs = training_voices()
    counts = {}
    for v in vs:
        counts[v.engine] = counts.get(v.engine, 0) + 1
    print(f"espeak-ng base voices ({len(espeak_base_voices())}): {' '.join(espeak_base_voices())}")
    print(f"espeak-ng variants: {len(espeak_variants())}")
    print(f"flite voices: {' '.join(flite_voices())}")
    print(f"festival voices: {' '.join(festival_voices())}")
    print(f"festival-x (foreign diphone voices speaking English): {' '.join(xling_voices())}; "
          f"dev only: {' '.join(xling_voices(dev=True))}")
    print(f"training voice configurations: {len(vs)} {counts}")
    print(f"held-out (never trained on): {' '.join(HELDOUT_FESTIVAL)}")
