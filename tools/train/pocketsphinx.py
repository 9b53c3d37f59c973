"""PocketSphinx (Debian's `pocketsphinx` + `pocketsphinx-en-us`) as a tool: the peer that every real
figure stands beside, and the checker of game subtitles (label_check.py). Never a source of
training data.

decode() runs `pocketsphinx_batch` over 16 kHz WAVs with either a phrase list (a JSGF grammar of
alternatives) or the package's own trigram LM, one process per batch so the models load once.
Phrases with a word missing from CMUdict cannot be put in a grammar: in_dict() says which.
"""
from __future__ import annotations

import functools
import os
import shutil
import subprocess
import tempfile
import sys
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import text as textmod  # noqa: E402

MODEL = "/usr/share/pocketsphinx/model/en-us"
DICT = os.path.join(MODEL, "cmudict-en-us.dict")
BATCH = "pocketsphinx_batch"


def available() -> bool:
    return shutil.which(BATCH) is not None and os.path.exists(DICT)


@functools.lru_cache(maxsize=1)
def words() -> frozenset[str]:
    with open(DICT, encoding="latin-1") as f:
        return frozenset(line.split(maxsplit=1)[0] for line in f if line.strip())


def in_dict(text: str) -> bool:
    d = words()
    return all(w in d for w in text.split())


def jsgf(phrases) -> str:
    alts = " | ".join(f"( {p} )" for p in phrases)
    return f"#JSGF V1.0;\ngrammar phrases;\npublic <utt> = {alts} ;\n"


def decode(wavs: list[str], phrases: list[str] | None = None, jobs: int = 1) -> list[str]:
    """One hypothesis per WAV ("" when the search found no complete path). With `phrases`, the
    grammar is those phrases (each must pass in_dict); without, PocketSphinx's own LM."""
    if not available():
        raise OSError(f"{BATCH} or {DICT} missing (apt-get install pocketsphinx pocketsphinx-en-us)")
    if phrases is not None:
        bad = [p for p in phrases if not in_dict(p)]
        if bad:
            raise ValueError(f"{len(bad)} phrases have words missing from CMUdict, e.g. {bad[0]!r}")
    chunks = [wavs[i::jobs] for i in range(jobs)] if jobs > 1 else [wavs]
    with tempfile.TemporaryDirectory(prefix="earshot-ps-") as tmp:
        search = ["-lm", os.path.join(MODEL, "en-us.lm.bin")]
        if phrases is not None:
            g = os.path.join(tmp, "phrases.jsgf")
            with open(g, "w") as f:
                f.write(jsgf(phrases))
            search = ["-jsgf", g]

        def run(k: int) -> list[str]:
            ctl, hyp = os.path.join(tmp, f"ctl{k}"), os.path.join(tmp, f"hyp{k}")
            with open(ctl, "w") as f:
                for i, w in enumerate(chunks[k]):
                    link = os.path.join(tmp, f"u{k}_{i}.wav")
                    os.symlink(os.path.abspath(w), link)
                    f.write(f"u{k}_{i}\n")
            r = subprocess.run([BATCH, "-adcin", "yes", "-cepdir", tmp, "-cepext", ".wav", "-ctl", ctl, "-hyp", hyp,
                                "-hmm", os.path.join(MODEL, "en-us"), "-dict", DICT, "-dither", "yes", *search,
                                "-logfn", os.path.join(tmp, f"log{k}")], capture_output=True, text=True)
            out = {}
            if os.path.exists(hyp):
                with open(hyp) as f:
                    for line in f:
                        text, _, rest = line.rstrip("\n").rpartition(" (")
                        out[rest.split()[0]] = text.strip()
            if r.returncode != 0 or len(out) != len(chunks[k]):
                with open(os.path.join(tmp, f"log{k}"), errors="replace") as f:
                    tail = [ln for ln in f if "ERROR" in ln][-3:]
                raise RuntimeError(f"{BATCH} failed ({len(out)} of {len(chunks[k])} results): {''.join(tail).strip()}")
            return [out[f"u{k}_{i}"] for i in range(len(chunks[k]))]

        with ThreadPoolExecutor(max_workers=jobs) as ex:
            parts = list(ex.map(run, range(len(chunks))))
    res = [""] * len(wavs)
    for k, part in enumerate(parts):
        res[k::len(chunks)] = part
    return res


def wer_counts(ref: str, hyp: str) -> tuple[int, int]:
    """(word edits, reference words)."""
    return textmod.edit_distance(ref.split(), hyp.split())
