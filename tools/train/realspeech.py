"""What every real-speech converter shares: errors that name the file and offset, 16 kHz WAV
output, the project's text normalisation, and a manifest that appears only when a conversion
finished (make_dataset.py --manifest reads it).

A converter module (real_<source>.py) yields Clip records from the installed package; `run()`
does the rest. Manifest lines:

    {"audio": "<source>/<id>.wav", "text": "<normalised>", "raw": "<subtitle as shipped>",
     "speaker": "<source>:<character>", "source": "<source>", "id": "<clip id>", "seconds": 1.23}

`audio` is relative to the manifest's folder; `speaker` names a character (games) or a voice;
the speaker split (real_split.py) reads it.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import subprocess
import sys
import time
from typing import Callable, Iterable, Iterator

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import text as textmod  # noqa: E402

SR = 16000


class ArchiveError(Exception):
    """A defect in a package's data: says which file and where."""

    def __init__(self, path: str, offset: int | None, message: str):
        self.path, self.offset, self.message = path, offset, message
        where = f"{path}: offset {offset} (0x{offset:x})" if offset is not None else path
        super().__init__(f"{where}: {message}")


@dataclasses.dataclass
class Clip:
    id: str               # unique within the source, safe as a file name
    raw: str              # the text as the package ships it
    speaker: str          # character or voice, without the source prefix
    pcm: np.ndarray       # mono samples: int16, uint8 (unsigned 8-bit) or float in [-1, 1]
    rate: int             # their sample rate


def to_float(pcm: np.ndarray) -> np.ndarray:
    if pcm.dtype == np.uint8:
        return (pcm.astype(np.float32) - 128.0) / 128.0
    if pcm.dtype == np.int16:
        return pcm.astype(np.float32) / 32768.0
    return pcm.astype(np.float32)


def resample(x: np.ndarray, rate: int) -> np.ndarray:
    """float mono at `rate` -> float mono at 16 kHz (sox's high-quality rate converter)."""
    if rate == SR or len(x) == 0:
        return x.astype(np.float32)
    r = subprocess.run(["sox", "-V1", "-t", "raw", "-e", "floating-point", "-b", "32", "-c", "1", "-r", str(rate), "-",
                        "-t", "raw", "-e", "floating-point", "-b", "32", "-r", str(SR), "-", "rate", "-h"],
                       input=x.astype("<f4").tobytes(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    if r.returncode != 0:
        raise RuntimeError(f"sox resampling failed: {r.stderr.decode(errors='replace').strip()}")
    return np.frombuffer(r.stdout, dtype="<f4").astype(np.float32)


def write_wav16k(path: str, pcm: np.ndarray, rate: int) -> float:
    """Writes int16 mono 16 kHz; returns the duration in seconds."""
    import wave
    y = resample(to_float(pcm), rate)
    y16 = np.clip(np.round(y * 32767.0), -32768, 32767).astype("<i2")
    tmp = path + ".part"
    with wave.open(tmp, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SR)
        w.writeframes(y16.tobytes())
    os.replace(tmp, path)
    return len(y16) / SR


# Game subtitles write contractions without apostrophes ("dont", "Im") and use stage directions
# in brackets or asterisks; the recordings say the contraction.
_CONTRACTIONS = {w.replace("'", ""): w for w in (
    "don't", "doesn't", "didn't", "can't", "won't", "wouldn't", "couldn't", "shouldn't", "isn't", "aren't",
    "wasn't", "weren't", "haven't", "hasn't", "hadn't", "i'm", "i've", "i'll", "i'd", "you're", "you've",
    "you'll", "you'd", "he's", "she's", "it's", "that's", "what's", "there's", "here's", "let's", "we're",
    "we've", "we'll", "they're", "they've", "they'll", "who's", "where's", "how's", "ain't", "mustn't",
    "needn't", "shan't", "y'know", "ma'am", "o'clock")} | {"im": "i'm", "ive": "i've", "youre": "you're",
                                                            "theyre": "they're", "thats": "that's",
                                                            "whats": "what's", "lets": "let's", "dont": "don't"}
# Words that are also something else without the apostrophe stay as written.
for _w in ("well", "were", "wed", "id", "ill", "its", "hell", "shell", "lets"):
    _CONTRACTIONS.pop(_w, None)


def normalize(raw: str) -> str | None:
    """Subtitle -> the model's alphabet (text.normalize), or None when it cannot be read reliably."""
    s = re.sub(r"\[[^\]]*\]|\*[^*]*\*|<[^>]*>", " ", raw)  # stage directions, markup
    s = s.replace("\u2019", "'")
    if not re.search(r"[a-z]", s):
        s = s.lower()  # all-capital subtitles (Drascula) are not acronyms
    s = re.sub(r"[A-Za-z]+", lambda m: _fix_case(m.group(0)), s)
    return textmod.normalize(s)


def _fix_case(w: str) -> str:
    c = _CONTRACTIONS.get(w.lower())
    if c is None:
        return w
    return c.capitalize() if w[:1].isupper() and c != "i'm" else c


def run(source: str, clips: Callable[[argparse.Namespace], Iterable[Clip]], a: argparse.Namespace) -> dict:
    """Writes OUT/<source>/<id>.wav and, only when every clip converted, OUT/<source>.jsonl."""
    wav_dir = os.path.join(a.out, source)
    os.makedirs(wav_dir, exist_ok=True)
    final = os.path.join(a.out, f"{source}.jsonl")
    part = final + ".part"
    if os.path.exists(final):
        os.remove(final)  # a failed rerun must not leave the old manifest looking current
    stats = {"clips": 0, "kept": 0, "skipped_text": 0, "seconds": 0.0}
    t0 = time.time()
    ids = set()
    try:
        with open(part, "w") as f:
            for c in clips(a):
                stats["clips"] += 1
                if c.id in ids:
                    raise ValueError(f"{source}: clip id {c.id} twice")
                ids.add(c.id)
                norm = normalize(c.raw)
                if not norm:
                    stats["skipped_text"] += 1
                    continue
                rel = f"{source}/{c.id}.wav"
                sec = write_wav16k(os.path.join(a.out, rel), c.pcm, c.rate)
                stats["kept"] += 1
                stats["seconds"] += sec
                f.write(json.dumps({"audio": rel, "text": norm, "raw": c.raw, "speaker": f"{source}:{c.speaker}",
                                    "source": source, "id": c.id, "seconds": round(sec, 3)}) + "\n")
                if stats["kept"] % 200 == 0:
                    print(f"{source}: {stats['kept']} clips, {stats['seconds'] / 60:.1f} min, "
                          f"{time.time() - t0:.0f} s", file=sys.stderr, flush=True)
                if a.limit and stats["kept"] >= a.limit:
                    break
    except BaseException:
        if os.path.exists(part):
            os.remove(part)
        raise
    os.replace(part, final)
    stats["seconds"] = round(stats["seconds"], 1)
    print(f"{source}: {stats['kept']} of {stats['clips']} clips kept ({stats['skipped_text']} with text that "
          f"cannot be normalised), {stats['seconds'] / 60:.1f} min -> {final}", file=sys.stderr)
    return stats


def main(source: str, doc: str, clips: Callable[[argparse.Namespace], Iterable[Clip]],
         add_args: Callable[[argparse.ArgumentParser], None] | None = None) -> None:
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="folder for <source>.jsonl and <source>/*.wav")
    ap.add_argument("--limit", type=int, default=0, help="stop after this many clips (0: all)")
    if add_args:
        add_args(ap)
    a = ap.parse_args()
    try:
        run(source, clips, a)
    except (ArchiveError, OSError, ValueError) as e:
        sys.exit(f"{source}: error: {e} (no manifest written)")


def read_exact(f, n: int, path: str, what: str) -> bytes:
    """n bytes at the file's position, or an ArchiveError naming the offset."""
    off = f.tell()
    b = f.read(n)
    if len(b) != n:
        raise ArchiveError(path, off, f"truncated {what}: wanted {n} bytes, found {len(b)}")
    return b


def iter_jsonl(path: str) -> Iterator[dict]:
    with open(path) as f:
        for line in f:
            if line.strip():
                yield json.loads(line)
