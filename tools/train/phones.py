"""Phone targets for the auxiliary phone CTC head (train.py --phone-ctc): each word's phones
from espeak-ng (installed for the synthetic data), which pronounces every word, names included,
where CMUdict misses a tenth of the games' lines.

Why: with a few hours of real speech, a character CTC head has to learn English spelling and
the acoustics at once; phones are closer to the sound, and a phone-level CTC loss on an
intermediate encoder layer is a known help on little data. The head trains the encoder only: it
is not exported, and the runtime never computes it.

Words are pronounced in isolation (citation forms, as a dictionary gives them), once per distinct
word of a run, in one espeak-ng process. espeak-ng's English symbols are folded to PHONES: stress
marks dropped, variants merged (I# I2 -> I, t# t2 -> t, syllabic r- n- @- -> r n @), the glottal
stop dropped. Index 0 is the CTC blank.
"""
from __future__ import annotations

import re
import subprocess

PHONES = ("<blank>",
          # consonants
          "p", "b", "t", "d", "k", "g", "f", "v", "T", "D", "s", "z", "S", "Z", "h", "tS", "dZ", "m", "n", "N",
          "l", "r", "w", "j", "x",
          # vowels and diphthongs
          "I", "i", "i:", "E", "a", "a:", "aa", "A:", "0", "O", "O:", "V", "U", "u:", "@", "@L", "3", "3:",
          "eI", "aI", "OI", "oU", "aU", "o", "i@", "e@", "A@", "O@", "o@", "U@", "aI@")
PHONE_ID = {p: i for i, p in enumerate(PHONES) if i}
_DROP = {"", "?", "|"}


def fold(sym: str) -> str | None:
    """One espeak-ng phoneme symbol -> a PHONES entry (None: dropped or unknown)."""
    s = re.sub(r"[',;%=]", "", sym)
    s = re.sub(r"[#\-]+$", "", s)
    if s not in PHONE_ID:
        s = re.sub(r"\d+$", "", s)  # I2 t2 i@3 aI3 O2 @2
    return s if s in PHONE_ID else None


def espeak_words(words: list[str], voice: str = "en-us") -> dict[str, list[str]]:
    """word -> espeak-ng phoneme symbols (one process; one output line per input word)."""
    if not words:
        return {}
    r = subprocess.run(["espeak-ng", "-q", "-x", "--sep=_", "-v", voice], input="\n".join(words) + "\n",
                       capture_output=True, text=True)
    lines = [ln.strip() for ln in r.stdout.splitlines() if ln.strip()]
    if r.returncode != 0 or len(lines) != len(words):
        raise RuntimeError(f"espeak-ng gave {len(lines)} pronunciations for {len(words)} words "
                           f"(rc {r.returncode}: {r.stderr.strip()[:200]})")
    return {w: ln.replace(" ", "_").split("_") for w, ln in zip(words, lines)}


class Lexicon:
    """Phone ids of texts, each distinct word pronounced once."""

    def __init__(self, texts=()):
        self.ids: dict[str, list[int]] = {}
        self.add(texts)

    def add(self, texts) -> None:
        new = sorted({w for t in texts for w in t.split()} - self.ids.keys())
        for w, syms in espeak_words(new).items():
            self.ids[w] = [PHONE_ID[f] for f in map(fold, syms) if f]

    def phone_ids(self, text: str) -> list[int]:
        out = []
        for w in text.split():
            if w not in self.ids:
                self.add([w])
            out += self.ids[w]
        return out
