#!/usr/bin/python3
"""Asterisk's English prompts (Allison Smith) at 16 kHz: `asterisk-core-sounds-en-g722` audio,
`asterisk-core-sounds-en`'s transcript list.

    /usr/bin/python3 tools/train/real_asterisk.py --out .cache/real

The G.722 files are true wideband (the -wav package is the same voice at 8 kHz); ffmpeg decodes
them. A transcript's [bracketed] notes are dropped; tones, silence and prompts whose spoken form
is unsure (symbols such as * # @, acronyms, mixed letters and digits) are left out; numbers are
spelled as text.py does.
"""
from __future__ import annotations

import gzip
import os
import re
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import realspeech  # noqa: E402
from realspeech import Clip  # noqa: E402

SOUNDS = "/usr/share/asterisk/sounds/en_US_f_Allison"
TEXT = "/usr/share/doc/asterisk-core-sounds-en/core-sounds-en.txt.gz"


def prompts(text_path: str = TEXT) -> list[tuple[str, str]]:
    """(name, spoken text) for every prompt that is speech; tones and silence get ""."""
    out = []
    with gzip.open(text_path, "rt", encoding="utf-8", errors="replace") as f:
        for line in f:
            name, sep, said = line.partition(":")
            if not sep or line.startswith(";"):
                continue
            said = re.sub(r"\[[^\]]*\]", " ", said).strip()
            if not said or name.startswith("silence/"):  # "silence/8: Eight seconds of silence." is not said
                out.append((name, ""))
                continue
            if re.search(r"[*#@$%&+=<>/\\|~^_\[\]]", said):
                continue
            out.append((name, said))
    return out


def decode(path: str) -> np.ndarray:
    r = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-f", "s16le", "-ac", "1", "-ar", "16000", "-"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    if r.returncode != 0:
        raise OSError(f"ffmpeg could not decode {path}: {r.stderr.decode(errors='replace').strip()}")
    return np.frombuffer(r.stdout, dtype="<i2")


def clips(a):
    for name, said in prompts(a.text):
        path = os.path.join(a.src, name + ".g722")
        if said and os.path.exists(path):
            yield Clip(id=name.replace("/", "__"), raw=said, speaker="allison", pcm=decode(path), rate=16000)


def _args(ap):
    ap.add_argument("--src", default=SOUNDS, help="folder of the .g722 prompts")
    ap.add_argument("--text", default=TEXT, help="the transcript list")


if __name__ == "__main__":
    realspeech.main("asterisk", __doc__, clips, _args)
