#!/usr/bin/python3
"""KLettres (Debian's `klettres-data`): English letters and short words, two speakers.

    /usr/bin/python3 tools/train/real_klettres.py --out .cache/real

`en/` is a US voice, `en_GB/` a British one. `alpha/A.ogg` says the letter's name, written here
as the word a reader would write for it ("bee", "aitch"; British "zed"); `syllab/dog.ogg` says
the file's name.
"""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import augment  # noqa: E402  (sox_load: any audio file -> 16 kHz float)
import realspeech  # noqa: E402
from realspeech import Clip  # noqa: E402

SRC = "/usr/share/klettres"
SOUNDS_ONLY = {"aw", "ch", "th"}  # speech sounds, not words: no spelling says them
LETTERS = dict(zip("abcdefghijklmnopqrstuvwxyz",
                   ("a", "bee", "see", "dee", "e", "ef", "gee", "aitch", "i", "jay", "kay", "el", "em", "en", "oh",
                    "pee", "queue", "are", "ess", "tee", "you", "vee", "double you", "ex", "why", "zee")))


def clips(a):
    for voice in ("en", "en_GB"):
        for kind in ("alpha", "syllab"):
            folder = os.path.join(a.src, voice, kind)
            if not os.path.isdir(folder):
                raise OSError(f"{folder}: missing (apt-get install klettres-data)")
            for f in sorted(os.listdir(folder)):
                stem, ext = os.path.splitext(f)
                if ext.lower() != ".ogg":
                    continue
                if kind == "alpha":
                    said = "zed" if stem.lower() == "z" and voice == "en_GB" else LETTERS.get(stem.lower())
                    if said is None:
                        continue
                elif stem.lower() in SOUNDS_ONLY:
                    continue
                else:
                    said = stem.replace("_", " ")
                yield Clip(id=f"{voice}-{kind}-{stem}", raw=said, speaker=voice,
                           pcm=augment.sox_load(os.path.join(folder, f)), rate=16000)


if __name__ == "__main__":
    realspeech.main("klettres", __doc__, clips,
                    lambda ap: ap.add_argument("--src", default=SRC, help="klettres' data folder"))
