#!/usr/bin/python3
"""Flight of the Amazon Queen (Debian's `flight-of-the-amazon-queen`) -> real-speech clips.

The CD version's `queen.1c` is one resource bundle: "QTBL", a 6-byte version ("CEM10"), 2 bytes,
a compression byte (1 = MP3) and at 0x0d a big-endian u16 entry count, then per entry a 12-byte
name, a bundle byte, a BE u32 offset and a BE u32 size. Speech is the `*.SB` entries, bare
MPEG-2.5 layer III streams (11 025 Hz mono), decoded here with `mpg123`.

A clip's name says which line it speaks (ScummVM engines/queen: talk.cpp, cutaway.cpp, logic.cpp):

* dialogue `X.DOG` (20-byte header skipped): talk key K, Joe's options and the other person's
  lines, each an id and a string. Line id H spoken by Joe is `%2d%4xJ` % (K, H), by the person
  `%2d%4xP`; the opening line is `%2dSSSSJ`, the "talked to before" pair `%2dXXXXP` / `%2dXXXXJ`.
* cutscene `NAME.CUT`: the i-th object record speaks the i-th sentence; prefix = NAME padded with
  '_' to 5 characters + `%02d` % i. Object 0 (or -1) is Joe, > 0 a person, -2/-3 a caption read
  aloud.
* Joe's remarks: `JOE%04d` % n, n <= 40 a stock response, otherwise object description n - 40
  (texts in the line list QUEEN2.JAS).

A sentence is cut at its `*XX` stage commands (`*XY` takes 11 more characters); segment s (from 1)
plays `<prefix><s in hex>.SB` with that segment's text as its subtitle; spaces in the first 8
characters become '0'. Speakers: "joe", or the person's actor name from QUEEN.JAS (the object's
room and person slot pick the actor; a dialogue's person is the object whose command opens it).

    /usr/bin/python3 tools/train/real_fotaq.py --out .cache/real        # -> fotaq.jsonl, fotaq/*.wav
    /usr/bin/python3 tools/train/real_fotaq.py --out .cache/real --report   # pairing report, no audio
"""
from __future__ import annotations

import collections
import os
import re
import shutil
import struct
import subprocess
import sys
from typing import Iterator

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import realspeech  # noqa: E402
from realspeech import ArchiveError, Clip  # noqa: E402

DEFAULT = "/usr/share/scummvm/flight-of-the-amazon-queen/queen.1c"
SOURCE = "fotaq"
SKIP = 20                  # header bytes before a .DOG, .CUT or QUEEN.JAS body
JOE_RESPONSES = 40
ENTRY = struct.Struct(">12sBII")
MP3_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


class Bundle:
    """The QTBL table of queen.1c; read(name) returns an entry's bytes."""

    def __init__(self, path: str):
        self.path = path
        self.size = os.path.getsize(path)
        self.f = open(path, "rb")
        try:
            self._table()
        except BaseException:
            self.f.close()
            raise

    def _table(self) -> None:
        path = self.path
        head = realspeech.read_exact(self.f, 15, path, "QTBL header")
        if head[:4] != b"QTBL":
            raise ArchiveError(path, 0, f"not a rebuilt FOTAQ bundle (magic {head[:4]!r}, wanted b'QTBL')")
        self.version = head[4:10].rstrip(b"\0").decode("latin-1")
        self.compression = head[12]
        count = struct.unpack(">H", head[13:15])[0]
        self.entries: dict[str, tuple[int, int, int]] = {}  # name -> (offset, size, table position)
        for i in range(count):
            pos = self.f.tell()
            name, _bundle, off, size = ENTRY.unpack(realspeech.read_exact(self.f, ENTRY.size, path, f"table entry {i}"))
            name = name.rstrip(b"\0").decode("latin-1")
            if off + size > self.size:
                raise ArchiveError(path, pos, f"entry {name} claims bytes {off}..{off + size}, file has {self.size}")
            self.entries[name] = (off, size, pos)

    def read(self, name: str) -> bytes:
        off, size, _ = self.entries[name]
        self.f.seek(off)
        return realspeech.read_exact(self.f, size, self.path, name)

    def close(self) -> None:
        self.f.close()

    def __enter__(self) -> "Bundle":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class Blob:
    """An entry's body with bounds-checked big-endian reads; errors name the bundle offset."""

    def __init__(self, bundle: Bundle, name: str, skip: int = SKIP):
        self.path, self.name = bundle.path, name
        raw = bundle.read(name)
        if len(raw) < skip:
            raise ArchiveError(self.path, bundle.entries[name][0], f"{name}: {len(raw)} bytes, shorter than its header")
        self.data = raw[skip:]
        self.base = bundle.entries[name][0] + skip

    def fail(self, off: int, what: str) -> ArchiveError:
        return ArchiveError(self.path, self.base + off, f"{self.name}: {what}")

    def s16(self, off: int) -> int:
        if off < 0 or off + 2 > len(self.data):
            raise self.fail(off, f"read past the end ({len(self.data)} bytes)")
        return struct.unpack_from(">h", self.data, off)[0]

    def u16(self, off: int) -> int:
        return self.s16(off) & 0xFFFF

    def string(self, off: int, align: int = 2) -> tuple[str, int]:
        """A length-prefixed string; the next offset is aligned (relative to the body) unless empty."""
        if off >= len(self.data):
            raise self.fail(off, "string past the end")
        n = self.data[off]
        if n == 0:
            return "", off + 1
        if off + 1 + n > len(self.data):
            raise self.fail(off, f"string of {n} bytes runs past the end")
        s = self.data[off + 1:off + 1 + n].decode("latin-1")
        return s, (off + 1 + n + align - 1) & ~(align - 1)


def segments(sentence: str) -> list[tuple[int, str]]:
    """(voice-file index from 1, text) for each spoken piece of a sentence between `*XX` commands."""
    out, start, i, idx = [], 0, 0, 0
    while i < len(sentence):
        if sentence[i] != "*":
            i += 1
            continue
        cmd = sentence[i + 1:i + 3]
        if cmd not in ("GD", "GM"):  # grab commands end a piece without playing it
            out.append((idx + 1, sentence[start:i]))
        i += 3 + (11 if cmd == "XY" else 0)
        idx += 1
        start = i
    if start < len(sentence):
        out.append((idx + 1, sentence[start:]))
    return [(n, t.strip()) for n, t in out if t.strip()]


def voice_name(prefix: str, seg: int) -> str:
    name = f"{prefix}{seg:x}"
    return (name[:8].replace(" ", "0") + name[8:]).upper() + ".SB"


def strip_commands(s: str) -> str:
    return re.sub(r"\*XY.{11}|\*..", " ", s).strip()


class Jas:
    """What QUEEN.JAS and QUEEN2.JAS say about objects, persons and Joe's remarks."""

    def __init__(self, bundle: Bundle):
        b = Blob(bundle, "QUEEN.JAS")
        p = 0

        def u16s(n):
            nonlocal p
            v = [b.s16(p + 2 * k) for k in range(n)]
            p += 2 * n
            return v

        def table(width, zero_reads_one=True):
            nonlocal p
            n = b.u16(p)
            p += 2
            rows = [u16s(width) for _ in range(n if n or not zero_reads_one else 1)]
            return rows if n else []

        n_rooms, n_names, n_objects, n_desc = [v & 0xFFFF for v in u16s(4)]
        self.objects = [None] + [u16s(8) for _ in range(n_objects)]  # name, x, y, desc, entry, room, state, image
        self.room_data = [0] + [v & 0xFFFF for v in u16s(n_rooms + 1)]
        self.room_data[n_rooms + 1] = n_objects
        u16s(n_rooms)                              # room sound effects
        table(5, False)                            # items
        table(5, False)                            # graphics
        for _ in range(n_rooms):                   # walk areas, then object boxes
            _obj_max, area_max = u16s(2)
            u16s(8 * area_max)
        u16s(4 * n_objects)
        table(3, False)                            # walk-off points
        table(4, False)                            # object descriptions
        self.cmd_list = table(10)                  # verb, noun1, noun2, song, flags..., image, special
        table(3)                                   # areas
        table(3)                                   # objects
        table(3)                                   # inventory
        self.cmd_states = table(4)                 # command id, slot, value, speak value
        u16s(1)                                    # entry object
        table(2, False)                            # furniture
        n_actors, n_anim, n_aname, _n_afile = [v & 0xFFFF for v in u16s(4)]
        self.actors = [u16s(12) for _ in range(n_actors)]  # room, bob, name, gs slot, gs value, ...
        n_ganim = b.u16(p)
        p += 2 + 6 * max(n_ganim, 1)
        tail = b.data[p:p + 5].decode("latin-1")
        if tail != bundle.version[:5]:
            raise b.fail(p, f"layout not understood: version string {tail!r} where {bundle.version[:5]!r} was expected")

        lines = bundle.read("QUEEN2.JAS").decode("latin-1").replace("\r", "").split("\n")
        self.descriptions = lines[:n_desc]
        self.names = lines[n_desc:n_desc + n_names]
        o = n_desc + n_names + n_rooms + 12
        self.joe_responses = lines[o:o + JOE_RESPONSES]
        o += JOE_RESPONSES + n_anim
        self.actor_names = lines[o:o + n_aname]

    def object_name(self, obj: int) -> str:
        n = abs(self.objects[obj][0]) if 0 < obj < len(self.objects) else 0
        return self.names[n - 1] if 0 < n <= len(self.names) else ""

    def person(self, obj: int, hint: str = "") -> str | None:
        """The character of person object `obj` (global number): the actors in its room and person
        slot; when game-state variants name different characters, the one the object's name (or
        `hint`, a dialogue file's base name) mentions, else None."""
        if not 0 < obj < len(self.objects):
            return None
        room = self.objects[obj][5]
        if not 0 < room < len(self.room_data) - 1:
            return None
        slot = sum(1 for k in range(self.room_data[room] + 1, obj + 1) if self.objects[k][7] in (-3, -4))
        names = {character(self.actor_names[a[2] - 1]) for a in self.actors
                 if a[0] == room and a[1] == slot and 0 < a[2] <= len(self.actor_names)}
        if len(names) == 1:
            return names.pop()
        words = set(re.findall(r"[a-z]+", (self.object_name(obj) + " " + hint).lower()))
        hit = [n for n in names if n in words or any(w.startswith(n) or n.startswith(w) for w in words if len(w) > 2)]
        return hit[0] if len(hit) == 1 else None

    def dialogue_people(self) -> dict[str, int]:
        """DOG file name -> the object whose command opens it."""
        out = {}
        for cid, _slot, _value, speak in self.cmd_states:
            if 0 < speak <= len(self.descriptions) and self.descriptions[speak - 1].upper().endswith(".DOG"):
                if 0 < cid <= len(self.cmd_list):
                    noun = self.cmd_list[cid - 1][1]
                    if noun > 0:
                        out.setdefault(self.descriptions[speak - 1].upper(), noun)
        return out


# actor-name variants of one character: talking heads (-H), close-ups (-E), poses, scene copies (X2_)
SAME = {"ape1": "ape", "ape2": "ape", "princess1": "azura", "princess2": "azura", "andson": "anderson"}


def character(actor: str) -> str:
    s = re.sub(r"^x\d+_", "", actor.strip().lower())
    s = re.sub(r"[-_](h|e|f|stand|shower)$", "", s)
    s = SAME.get(s, s)
    return re.sub(r"[^a-z0-9]+", "-", s).strip("-")


def parse_dog(bundle: Bundle, name: str) -> tuple[int, list[tuple[str, str, str]]]:
    """(talk key, [(voice prefix, 'J' or 'P', sentence)])."""
    b = Blob(bundle, name)
    levels = abs(b.s16(0))
    key, j_max, p_max = b.s16(4), b.s16(6), b.s16(8)
    person1, person2 = b.u16(22), b.u16(26)
    out = []

    def walk(off, count, who):
        for _ in range(count):
            ident = b.s16(off + 2)
            text, off = b.string(off + 4, 4)
            if ident > 0 and text:
                out.append((f"{key:2d}{ident:4x}{who}", who, text))
    joe = 32 + levels * 96
    if b.u16(joe + 2) == 0:
        first, _ = b.string(joe + 4)
        if first:
            out.append((f"{key:2d}SSSSJ", "J", first))
    walk(joe, j_max, "J")
    walk(person1, p_max, "P")
    again_p, off = b.string(person2)
    again_j, _ = b.string(off)
    if again_p:
        out.append((f"{key:2d}XXXXP", "P", again_p))
    if again_j:
        out.append((f"{key:2d}XXXXJ", "J", again_j))
    return key, out


def parse_cut(bundle: Bundle, name: str, jas: Jas) -> tuple[list[tuple[str, str, str, bool]], tuple[str, int]]:
    """([(voice prefix, speaker object or 'joe' or 'caption', sentence, segmented)], (talk file, talk to))."""
    b = Blob(bundle, name)
    count = abs(b.s16(2))
    sentence_off, bank_off = b.u16(8), b.u16(10)
    n_banks = b.u16(bank_off)
    off = bank_off + 2
    for _ in range(n_banks):
        _, off = b.string(off)
    talk_file, off = b.string(off)
    talk_to = b.s16(off)
    _, sentence_off = b.string(sentence_off)       # entry string (Joe's facing), not spoken
    base = name[:-4]
    base = (base + "_" * 5)[:5] if len(base) < 5 else base[:5]
    p = 12
    out = []
    for i in range(1, count + 1):
        f = [b.s16(p + 2 * k) for k in range(17)]
        p += 34
        num, anim_list, execute, from_obj = f[0], f[4], f[5], f[12]
        people = b.s16(p)
        if not 0 <= people <= 6:
            raise b.fail(p, f"object {i}: {people} persons (at most 6); records out of step")
        p += 2 + 2 * people
        sentence, sentence_off = b.string(sentence_off)
        if num == -1:
            num = 0
        kind = "anim"
        if num > 0:
            if not anim_list and 0 < num < len(jas.objects) and jas.objects[num][7] in (-3, -4):
                kind = "person"
        elif num == 0 and not anim_list:
            kind = "person"
        if from_obj > 0:
            kind = "none"
        if num in (-2, -3):
            kind = "caption"
        elif num == -4:
            kind = "none"
        if kind == "anim" and not execute:
            kind = "none"
        if kind == "anim":
            while True:
                header = b.s16(p)
                p += 2
                if header == -2:
                    break
                if header > 1000:
                    raise b.fail(p - 2, f"object {i}: animation header {header}; records out of step")
                p += 18
        prefix = f"{base}{i:02d}"[:7]
        if kind == "person" and sentence and sentence != "*" and not sentence.startswith("#"):
            out.append((prefix, "joe" if num == 0 else str(num), sentence, True))
        elif kind == "caption" and sentence:
            out.append((prefix, "caption", sentence, False))
    return out, (talk_file.upper(), talk_to)


def catalogue(bundle: Bundle) -> tuple[dict[str, tuple[str, str, str]], dict]:
    """voice file name -> (subtitle, speaker, where), plus counts for the report."""
    jas = Jas(bundle)
    lines: dict[str, tuple[str, str, str]] = {}
    info = collections.Counter()
    ambiguous: set[str] = set()

    def add(voice, text, speaker, where):
        if text == "0":                            # the data's "no line here"
            return
        lines.setdefault(voice, (text, speaker, where))
        if lines[voice][0] != text:
            ambiguous.add(voice)

    cuts = {}
    talk_to = {}
    for name in sorted(n for n in bundle.entries if n.endswith(".CUT")):
        cuts[name], (tf, tt) = parse_cut(bundle, name, jas)
        if tf.endswith(".DOG") and tt > 0:
            talk_to.setdefault(tf, tt)
    dog_person = jas.dialogue_people()
    for k, v in talk_to.items():
        dog_person.setdefault(k, v)
    for name in sorted(n for n in bundle.entries if n.endswith(".DOG")):
        obj = dog_person.get(name)
        stem = re.sub(r"\d+$", "", name[:-4]).lower()
        person = (jas.person(obj, stem) if obj else None) or f"unknown-{stem}"
        if person.startswith("unknown-"):
            info["dog_person_unknown"] += 1
        _key, items = parse_dog(bundle, name)
        for prefix, who, sentence in items:
            for seg, text in segments(sentence):
                add(voice_name(prefix, seg), text, "joe" if who == "J" else person, name)
    for name, items in cuts.items():
        for prefix, who, sentence, split in items:
            if who == "joe":
                spk = "joe"
            elif who == "caption":
                spk = "unknown-caption"
            else:
                spk = jas.person(int(who)) or f"unknown-obj{who}"
            if split:
                for seg, text in segments(sentence):
                    add(voice_name(prefix, seg), text, spk, name)
            else:
                text = strip_commands(sentence)
                if text:
                    add(voice_name(prefix, 1), text, spk, name)
    remarks = [(n, t) for n, t in enumerate(jas.joe_responses, 1)]
    remarks += [(n + JOE_RESPONSES, t) for n, t in enumerate(jas.descriptions, 1)]
    for n, sentence in remarks:
        if re.search(r"\.(CUT|DOG)$", sentence.strip(), re.I):
            continue
        for seg, text in segments(sentence):
            add(voice_name(f"JOE{n:04d}", seg), text, "joe", "QUEEN2.JAS")
    for voice in ambiguous:                        # one clip name, two different lines: keep neither
        del lines[voice]
    info["dialogue_files"] = sum(1 for n in bundle.entries if n.endswith(".DOG"))
    info["cutscene_files"] = len(cuts)
    return lines, ambiguous, dict(info)


SFX = re.compile(r"^\d+[A-Z]?S+\.SB$")


def pair(bundle: Bundle) -> tuple[list[tuple[str, str, str, str]], dict]:
    """[(clip name, subtitle, speaker, where)] for the .SB entries that have a line, and why others don't."""
    lines, ambiguous, info = catalogue(bundle)
    paired, why = [], collections.Counter()
    for name in sorted(n for n in bundle.entries if n.endswith(".SB")):
        if name in lines and re.fullmatch(r"[A-HJ-Z]\W*", lines[name][0]):
            why["a spelled letter (said as its name)"] += 1
        elif name in lines:
            text, spk, where = lines[name]
            paired.append((name, text, spk, where))
        elif name in ambiguous:
            why["two different lines name this clip"] += 1
        elif SFX.match(name):
            why["sound effect (NNSSSSSS)"] += 1
        elif re.match(r"^\d\d[0-9A-F]{4}[JP][0-9A-F]\.SB$|^\d\dSSSSJ|^\d\dXXXX", name):
            why["dialogue-shaped, no such line in any .DOG"] += 1
        elif re.match(r"^JOE\d{5}\.SB$", name):
            why["JOE-shaped, no such remark"] += 1
        elif re.match(r"^[A-Z0-9_]{5}\d\d[0-9A-F]\.SB$", name) and name[:5].rstrip("_") + ".CUT" in bundle.entries:
            why["cutscene-shaped, no speaking record"] += 1
        else:
            why["other name (no .CUT, .DOG or remark makes it)"] += 1
    info["sb_entries"] = sum(1 for n in bundle.entries if n.endswith(".SB"))
    info["paired"] = len(paired)
    info["unpaired"] = dict(why)
    info["lines_without_clip"] = sum(1 for v in lines if v not in bundle.entries)
    return paired, info


def decode_mp3(data: bytes, path: str, offset: int) -> tuple[np.ndarray, int]:
    if len(data) < 4 or data[0] != 0xFF or (data[1] & 0xE0) != 0xE0:
        raise ArchiveError(path, offset, f"no MPEG audio frame sync (starts {data[:4].hex()})")
    version, layer, rate_idx = (data[1] >> 3) & 3, (data[1] >> 1) & 3, (data[2] >> 2) & 3
    if version == 1 or layer != 1 or rate_idx == 3:
        raise ArchiveError(path, offset, f"not an MPEG layer III header ({data[:4].hex()})")
    rate = MP3_RATES[version][rate_idx]
    exe = shutil.which("mpg123")
    if not exe:
        raise OSError("mpg123 not found: install Debian's 'mpg123' package (apt-get install mpg123)")
    r = subprocess.run([exe, "-q", "-m", "-s", "-e", "s16", "-"], input=data, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, check=False)
    if r.returncode != 0 or not r.stdout:
        raise ArchiveError(path, offset, f"mpg123 could not decode the clip: {r.stderr.decode(errors='replace').strip()}")
    return np.frombuffer(r.stdout, dtype="=i2").copy(), rate


def clips(a) -> Iterator[Clip]:
    with Bundle(a.bundle) as bundle:
        paired, info = pair(bundle)
        print(f"{SOURCE}: {info['sb_entries']} speech entries, {len(paired)} paired with a line; "
              f"unpaired: {info['unpaired']}", file=sys.stderr)
        for name, text, spk, _where in paired:
            off = bundle.entries[name][0]
            pcm, rate = decode_mp3(bundle.read(name), bundle.path, off)
            yield Clip(id=name[:-3].lower(), raw=text, speaker=spk, pcm=pcm, rate=rate)


def add_args(ap) -> None:
    ap.add_argument("--bundle", default=DEFAULT, help=f"queen.1c (default {DEFAULT})")


def main() -> None:
    if "--report" in sys.argv:
        import argparse
        import json
        ap = argparse.ArgumentParser()
        add_args(ap)
        ap.add_argument("--report", action="store_true")
        ap.add_argument("--out")
        a = ap.parse_args()
        with Bundle(a.bundle) as b:
            paired, info = pair(b)
        info["speakers"] = dict(collections.Counter(p[2] for p in paired).most_common())
        print(json.dumps(info, indent=1))
        return
    realspeech.main(SOURCE, __doc__, clips, add_args)


if __name__ == "__main__":
    main()
