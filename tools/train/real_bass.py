#!/usr/bin/python3
"""Beneath a Steel Sky (Debian package `beneath-a-steel-sky`, CD version v0.0372) -> real-speech clips.

The game's data is one disk image `sky.dsk` with a directory `sky.dnr`:

    sky.dnr   u32 LE entry count, then per entry 8 bytes: u16 file number, u24 offset (bit 23: the
              offset counts 16-byte units), u24 size (bits 0-21) + flags (bit 23: stored as is;
              bit 22: an RNC-packed file carries its own header inside the packed stream)
    file      a 22-byte header of u16 words (flag, x, y, width, height, sp_size, tot_size, ...);
              when flag bit 7 is set (and dnr bit 23 is clear) an RNC method-1 stream follows and
              the unpacked size is ((flag & 0xff00) << 8) | tot_size

Speech lives in files 50000 + n: the 22-byte header, then unsigned 8-bit mono PCM at 11 025 Hz.
Text lives in files 60600 + section (English; 60600 + 8 * language + section in general), Huffman
coded, and a text number is (section << 12) | index. The game plays speech file
`_CONVERT[section] + index` for text number (section, index) - the display and the voice share one
number, which is what pairs a clip with its sentence here.

Text file layout: u16 skip-table offset, u16 bit-data offset, then one u16 per block of 32 texts
(the block's length in 2-bit units); the skip table has one byte per text (its length in 2-bit
units, or (b & 0x7f) * 8 when b & 0x80). Texts start on 2-bit boundaries and are read MSB first.

The speaking character comes from the game scripts (files 60400-60406, u16 bytecode), where they
say it unambiguously: a call of fnSpeakMe / fnSpeakMeDir / fnSpeakWait / fnSpeakWaitDir with a
constant compact id; with the running compact's id (CUR_ID) in a script that a known compact runs,
or in a conversation script (then the player, Foster); lines put on the conversation chooser
(fnAskThis) are Foster's. Compact names come from ScummVM's `sky.cpt`. Every other line - mostly the
person Foster talks to, whom the scripts name only at run time - gets `section<N>`, a mix of voices.
The 159 files 59494-59672 are the CD intro's (voice and pictures) and have no text number.
"""
from __future__ import annotations

import argparse
import os
import re
import struct
import sys
from typing import Iterator

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import realspeech  # noqa: E402
from realspeech import ArchiveError, Clip  # noqa: E402

SOURCE = "bass"
GAME_DIR = "/usr/share/scummvm/beneath-a-steel-sky"
SPEECH_BASE = 50000
TEXT_BASE = 60600
MODULE_BASE = 60400
N_MODULES = 7
RATE = 11025
HEADER = 22                     # the data-file header every game file starts with
# First speech file (minus 50000) of each text section (ScummVM engines/sky/sound.cpp).
CONVERT = (0, 600, 1100, 2430, 3380, 4530, 5080, 5230)
KNOWN_VERSIONS = {5097: 372, 5099: 368}  # dnr entry count -> CD version

# The v0.0372 text Huffman tree as its leaves in left-to-right order: the symbol (latin-1) and
# its code length. Bit 0 goes left. (ScummVM's table ends with a second '!' leaf where v0.0368
# has '|'; the leaf is kept as '!' to decode exactly what the game displays.)
_TREE_SYMBOLS = (" eaostn.ir\x00EumAlIdRNSTOhcDgLCpU!yMPvH?b'f,GBVkFqwK-WJ*zYj+Q\x85)Z\x8b<\x95~\x8a"
                 "\x87:\x7f]#xX\x91\x88`20\x831/(=\x86^39\x984}8\\\"\x90&\x8d56\x92\x8f\x8e\x93\x8c7"
                 "\x80\x81\x99$@[\x9a_>\x96\x82%\t\x9c\x97{\x94!")
_TREE_DEPTHS = ("3445555554665556666665776667777776887778877799888998889999aa9aa9bbaaabbabbaccb"
                "ccbccbbbccccddcccddddddddeedeeeeffeeeffefffgg")


def _leaf_codes() -> list[tuple[str, str]]:
    """(code, symbol) for every leaf: consecutive leaves of a full tree listed left to right get
    consecutive codes, re-aligned to each leaf's depth (depths are base-17 digits, 'g' = 16)."""
    out, nxt, prev = [], 0, 0
    for sym, d in zip(_TREE_SYMBOLS, _TREE_DEPTHS):
        depth = int(d, 17)
        if depth >= prev:
            code = nxt << (depth - prev)
        else:
            code = nxt >> (prev - depth)
            if code << (prev - depth) != nxt:
                raise AssertionError("the Huffman leaf list does not describe a full tree")
        out.append((format(code, f"0{depth}b"), sym))
        nxt, prev = code + 1, depth
    if nxt != 1 << prev:
        raise AssertionError("the Huffman leaf list does not describe a full tree")
    return out


def huffman_codes() -> dict[str, str]:
    """symbol -> bit string (for an encoder; the first of two leaves with one symbol wins)."""
    codes: dict[str, str] = {}
    for bits, sym in _leaf_codes():
        codes.setdefault(sym, bits)
    return codes


def _build_tree() -> list:
    """Nested [left, right] lists with str leaves."""
    root: list = [None, None]
    for bits, sym in _leaf_codes():
        node = root
        for b in bits[:-1]:
            i = int(b)
            if node[i] is None:
                node[i] = [None, None]
            node = node[i]
        node[int(bits[-1])] = sym
    return root


_TREE = _build_tree()


def huff_decode(data: bytes, bitpos: int, path: str, base: int) -> str:
    """Decodes one NUL-terminated text starting at bit `bitpos` (MSB first) of `data`."""
    out = []
    node = _TREE
    nbits = len(data) * 8
    while True:
        if bitpos >= nbits:
            raise ArchiveError(path, base + len(data), "text runs past the end of its file")
        node = node[(data[bitpos >> 3] >> (7 - (bitpos & 7))) & 1]
        bitpos += 1
        if isinstance(node, str):
            if node == "\x00":
                return "".join(out)
            out.append(node)
            node = _TREE


# ----------------------------------------------------------------------------------------- RNC


def _crc16(data: bytes) -> int:
    """CRC-16/ARC (reflected 0xA001, init 0), the one RNC uses."""
    table = _CRC_TABLE
    crc = 0
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc


def _make_crc_table() -> list[int]:
    t = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0xA001 if c & 1 else c >> 1
        t.append(c)
    return t


_CRC_TABLE = _make_crc_table()


class _Bits:
    """RNC's bit reader: LSB-first bits from 16-bit little-endian words, with literal bytes stored
    in the same byte stream right after the last word the reader has started on."""

    def __init__(self, buf: bytes, pos: int, path: str, base: int):
        self.buf, self.pos, self.path, self.base = buf, pos, path, base
        self.val, self.n = 0, 0   # committed, not yet consumed bits

    def _word(self) -> int:
        if self.pos + 2 > len(self.buf):
            # A stream may end on a half word; read the missing byte as zero, fail only if used.
            if self.pos >= len(self.buf):
                raise ArchiveError(self.path, self.base + self.pos, "RNC bit stream runs past the packed data")
            w = self.buf[self.pos]
        else:
            w = self.buf[self.pos] | (self.buf[self.pos + 1] << 8)
        self.pos += 2
        return w

    def read(self, k: int) -> int:
        while self.n < k:
            self.val |= self._word() << self.n
            self.n += 16
        r = self.val & ((1 << k) - 1)
        self.val >>= k
        self.n -= k
        return r

    def literals(self, k: int) -> bytes:
        if self.pos + k > len(self.buf):
            raise ArchiveError(self.path, self.base + self.pos, f"RNC literal run of {k} bytes runs past the packed data")
        b = self.buf[self.pos:self.pos + k]
        self.pos += k
        return b


def _read_table(bits: _Bits) -> dict[tuple[int, int], int]:
    """A canonical Huffman table: (length, code as read LSB first) -> symbol."""
    n = bits.read(5)
    lengths = [bits.read(4) for _ in range(n)]
    table = {}
    code = 0
    for length in range(1, 17):
        for sym, ln in enumerate(lengths):
            if ln == length:
                rev = int(format(code >> (16 - length), f"0{length}b")[::-1], 2)
                table[(length, rev)] = sym
                code += 1 << (16 - length)
    return table


def _read_value(bits: _Bits, table: dict, off: int) -> int:
    if not table:
        raise ArchiveError(bits.path, bits.base + off, "RNC stream uses an empty Huffman table")
    code = length = 0
    while True:
        code |= bits.read(1) << length
        length += 1
        sym = table.get((length, code))
        if sym is not None:
            break
        if length >= 16:
            raise ArchiveError(bits.path, bits.base + bits.pos, "RNC stream holds an invalid Huffman code")
    if sym >= 2:
        return bits.read(sym - 1) | (1 << (sym - 1))
    return sym


def rnc_unpack(buf: bytes, path: str = "<rnc>", base: int = 0) -> bytes:
    """Unpacks an RNC method-1 stream ("RNC\\x01" header of 18 bytes) held in `buf`.
    `path` and `base` (the stream's offset in its file) name where a defect is."""
    if len(buf) < 18 or buf[:4] != b"RNC\x01":
        raise ArchiveError(path, base, "not an RNC method-1 stream")
    unpack_len, pack_len, crc_u, crc_p = struct.unpack(">IIHH", buf[4:16])
    chunks = buf[17]
    if 18 + pack_len > len(buf):
        raise ArchiveError(path, base + len(buf), f"RNC stream truncated: {pack_len} packed bytes announced, "
                                                  f"{len(buf) - 18} present")
    packed = buf[18:18 + pack_len]
    if _crc16(packed) != crc_p:
        raise ArchiveError(path, base + 18, "RNC packed-data CRC mismatch")
    bits = _Bits(packed, 0, path, base + 18)
    bits.read(2)  # lock and key flags
    out = bytearray()
    raw: dict = {}
    pos: dict = {}
    ln: dict = {}
    for _ in range(chunks):
        # A table with no codes keeps the previous chunk's table (as the game's unpacker does).
        raw = _read_table(bits) or raw
        pos = _read_table(bits) or pos
        ln = _read_table(bits) or ln
        counts = bits.read(16)
        for i in range(counts):
            n = _read_value(bits, raw, bits.pos)
            if n:
                out += bits.literals(n)
            if i + 1 < counts:
                dist = _read_value(bits, pos, bits.pos) + 1
                length = _read_value(bits, ln, bits.pos) + 2
                start = len(out) - dist
                if start < 0:
                    raise ArchiveError(path, base + 18 + bits.pos, f"RNC back-reference {dist} before the start")
                for k in range(length):  # may overlap itself
                    out.append(out[start + k])
        if len(out) > unpack_len:
            raise ArchiveError(path, base + 18 + bits.pos, "RNC stream unpacks past its announced size")
    if len(out) != unpack_len:
        raise ArchiveError(path, base, f"RNC stream unpacked to {len(out)} bytes, header says {unpack_len}")
    if _crc16(bytes(out)) != crc_u:
        raise ArchiveError(path, base, "RNC unpacked-data CRC mismatch")
    return bytes(out)


# ---------------------------------------------------------------------------------------- disk


class Disk:
    """sky.dnr + sky.dsk: files by number."""

    def __init__(self, dnr: str, dsk: str):
        self.dnr_path, self.dsk_path = dnr, dsk
        with open(dnr, "rb") as f:
            n = struct.unpack("<I", realspeech.read_exact(f, 4, dnr, "entry count"))[0]
            if n == 0 or n > 100000:
                raise ArchiveError(dnr, 0, f"implausible entry count {n}")
            table = realspeech.read_exact(f, 8 * n, dnr, f"directory of {n} entries")
        self.count = n
        self.version = KNOWN_VERSIONS.get(n)
        self.dsk_size = os.path.getsize(dsk)
        self.entries: dict[int, tuple[int, int, int]] = {}  # number -> (dnr offset, dsk offset, flags)
        for i in range(n):
            e = table[8 * i:8 * i + 8]
            num = e[0] | e[1] << 8
            off = e[2] | e[3] << 8 | e[4] << 16
            flags = e[5] | e[6] << 8 | e[7] << 16
            if off & 0x800000:
                off = (off & 0x7FFFFF) << (3 if self.version == 331 else 4)
            size = flags & 0x3FFFFF
            if off + size > self.dsk_size:
                raise ArchiveError(dnr, 4 + 8 * i, f"file {num} ({size} bytes at {off}) lies past the end of "
                                                   f"{os.path.basename(dsk)} ({self.dsk_size} bytes)")
            self.entries.setdefault(num, (4 + 8 * i, off, flags))
        self._f = open(dsk, "rb")

    def close(self) -> None:
        self._f.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def raw(self, num: int) -> tuple[bytes, int]:
        _, off, flags = self.entries[num]
        self._f.seek(off)
        return realspeech.read_exact(self._f, flags & 0x3FFFFF, self.dsk_path, f"file {num}"), off

    def load(self, num: int) -> bytes:
        """The file as the game sees it: header + data, RNC-unpacked when packed."""
        data, off = self.raw(num)
        flags = self.entries[num][2]
        if flags & 0x800000 or len(data) < HEADER:
            return data
        hflag, tot = struct.unpack_from("<H", data, 0)[0], struct.unpack_from("<H", data, 12)[0]
        if not (hflag >> 7) & 1 or data[HEADER:HEADER + 4] != b"RNC\x01":
            return data
        size = ((hflag & 0xFF00) << 8) | tot
        body = rnc_unpack(data[HEADER:], self.dsk_path, off + HEADER)
        out = body if flags & 0x400000 else data[:HEADER] + body
        if len(out) != size:
            raise ArchiveError(self.dsk_path, off, f"file {num} unpacked to {len(out)} bytes, header says {size}")
        return out


# ---------------------------------------------------------------------------------------- text


def section_texts(data: bytes, path: str, base: int) -> list[str]:
    """All texts of one section file, index -> text."""
    if len(data) < 4:
        raise ArchiveError(path, base, "text file shorter than its 4-byte header")
    skip_at, bits_at = struct.unpack_from("<HH", data, 0)
    if not 4 <= skip_at <= bits_at <= len(data) or skip_at % 2:
        raise ArchiveError(path, base, f"text file header out of range (skip table {skip_at}, data {bits_at}, "
                                       f"size {len(data)})")
    blocks = struct.unpack_from(f"<{(skip_at - 4) // 2}H", data, 4)
    skips = data[skip_at:bits_at]
    bitdata = data[bits_at:]
    texts = []
    for i in range(min(len(skips), 32 * (len(blocks) + 1))):
        blk, j = divmod(i, 32)
        off = sum(blocks[:blk])
        for b in skips[32 * blk:32 * blk + j]:
            off += (b & 0x7F) << 3 if b & 0x80 else b
        texts.append(huff_decode(bitdata, 2 * off, path, base + bits_at))
    return texts


# Words the subtitles write in capitals that are read letter by letter or otherwise not as the
# lowercase word; a line holding one is left to realspeech.normalize, which rejects it.
_ACRONYMS = {"LINC", "ID", "IDS", "DNA", "TV", "WD", "UK", "USA", "OK", "CD", "PC", "AI", "UN", "EU", "VIP"}


def fold_emphasis(text: str) -> str:
    """The game writes stressed words in capitals ("What YOU want?"); the voice says the word."""
    def fold(m):
        w = m.group(0)
        if sum(c.isupper() for c in w) < 2 or w.strip("'").upper() in _ACRONYMS or any(c.isdigit() for c in w):
            return w
        return w.lower()
    return _WORD.sub(fold, text)


_WORD = re.compile(r"[A-Za-z0-9']+")


def speech_text_number(file_num: int) -> int:
    """Speech file (50000 + n) -> the text number (section << 12 | index) it speaks."""
    n = file_num - SPEECH_BASE
    sec = max(s for s in range(len(CONVERT)) if CONVERT[s] <= n)
    return sec << 12 | (n - CONVERT[sec])


# ------------------------------------------------------------------------------------- speaker
# Script bytecode (u16 words): 0 push_var v*4, 2 push_number n, 15 push_offset, 16 pop_offset,
# 6 pop_var v*4, 5 skip_zero bytes, 9 skip_always bytes, 18 skip_nz signed bytes, 11 call_mcode
# nargs, mcode*4, 14 switch count (value, bytes)* default-bytes, 13/19 exit, 20 restart; the other
# opcodes are binary operators (17 is_equal, 3 not_equal).
_OPERAND = {0, 2, 5, 6, 9, 15, 16, 18}
_SPEAK = {35, 36, 37, 38}       # fnSpeakMe, fnSpeakMeDir, fnSpeakWait, fnSpeakWaitDir (id, text, anim)
_ASK_THIS = 70                  # fnAskThis(text, anim): a chooser line the player says
_SAME_CPT = {7, 24}             # fnStartSub(scr), fnSetAlternate(scr): same compact runs scr
_OTHER_CPT = {8, 9, 25, 46}     # fnTheyStartSub, fnAssignBase, fnAltSetAlternate, fnSendRequest (id, scr)
CUR_ID, PARTNER = 12, 120       # script variables: the running compact; the mega the player is talking to
FOSTER = 3


def read_compacts(path: str) -> tuple[dict[int, str], dict[int, np.ndarray]]:
    """ScummVM's sky.cpt: compact id -> name, and id -> the u16 fields of each COMPACT."""
    with open(path, "rb") as f:
        data = f.read()
    try:
        ver, nlists = struct.unpack_from("<HH", data, 0)
        lens = struct.unpack_from(f"<{nlists}H", data, 4)
        p = 4 + 2 * nlists
        _, nsrc = struct.unpack_from("<II", data, p)
        p += 8
        src = np.frombuffer(data, dtype="<u2", count=nsrc, offset=p)
        p += 2 * nsrc
        nascii = struct.unpack_from("<I", data, p)[0]
        ascii_ = data[p + 4:p + 4 + nascii]
    except (struct.error, ValueError) as e:
        raise ArchiveError(path, None, f"unreadable compact file: {e}") from None
    if ver != 0 or len(ascii_) != nascii:
        raise ArchiveError(path, 0, "not a sky.cpt of version 0")
    names, fields = {}, {}
    sp = ap = 0
    for lst in range(nlists):
        for e in range(lens[lst]):
            size = int(src[sp])
            sp += 1
            if not size:
                continue
            cid, ctype = lst << 12 | e, int(src[sp])
            if ctype == 1:
                fields[cid] = src[sp + 1:sp + 1 + size]
            sp += 1 + size
            end = ascii_.index(b"\0", ap)
            names[cid] = ascii_[ap:end].decode("latin-1")
            ap = end + 1
    return names, fields


def _scripts(module: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) word ranges of a module's scripts, by index."""
    n = int(module[0])
    starts = [int(x) for x in module[:n]]
    bounds = sorted(set(s for s in starts if s)) + [len(module)]
    return [(s, bounds[bounds.index(s) + 1]) if s else (0, 0) for s in starts]


def _walk(module: np.ndarray, start: int, end: int):
    """Follows every path through one script, tracking which mega PARTNER is known to hold
    (from `switch` and `==` tests on it, or a constant stored into it); yields
    (mcode, args, partner) per call, args as ('c', n) / ('v', var) / ('?',)."""
    seen = set()
    todo = [(start, None, ())]
    while todo:
        pc, partner, stack = todo.pop()
        while start <= pc < end:
            key = (pc, partner, len(stack))
            if key in seen:
                break
            seen.add(key)
            op = int(module[pc])
            pc += 1
            arg = int(module[pc]) if op in _OPERAND and pc < end else 0
            if op in _OPERAND:
                pc += 1
            if op == 0:
                stack = stack + (("v", arg // 4),)
            elif op == 2:
                stack = stack + (("c", arg),)
            elif op == 15:
                stack = stack + (("?",),)
            elif op in (16, 6):
                top = stack[-1] if stack else ("?",)
                stack = stack[:-1]
                if op == 6 and arg // 4 == PARTNER:
                    partner = top[1] if top[0] == "c" else None
            elif op in (5, 18):
                top = stack[-1] if stack else ("?",)
                stack = stack[:-1]
                off = arg if op == 5 else (arg ^ 0x8000) - 0x8000
                jump, fall = partner, partner
                if top[0] == "eq":   # skip when zero: fall through knows PARTNER == X
                    fall, jump = (top[1], partner) if op == 5 else (partner, top[1])
                elif top[0] == "ne":
                    fall, jump = (partner, top[1]) if op == 5 else (top[1], partner)
                todo.append((pc + off // 2, jump, stack))
                partner = fall
            elif op == 9:
                pc += arg // 2
            elif op == 11:
                if pc + 2 > end:
                    break
                nargs, mcode = int(module[pc]), int(module[pc + 1]) // 4
                pc += 2
                args = list(stack[len(stack) - nargs:]) if nargs <= len(stack) else [("?",)] * nargs
                stack = stack[:len(stack) - nargs] if nargs <= len(stack) else ()
                yield mcode, args, partner
            elif op == 14:
                if pc + 2 + 2 * int(module[pc]) > end:
                    break
                count = int(module[pc])
                top = stack[-1] if stack else ("?",)
                stack = stack[:-1]
                p = pc + 1
                for _ in range(count):
                    value = int(module[p])
                    todo.append((p + 1 + int(module[p + 1]) // 2,
                                 value if top == ("v", PARTNER) else partner, stack))
                    p += 2
                pc = p + int(module[p]) // 2
            elif op in (13, 19, 20):
                break
            elif op in (1, 3, 4, 7, 8, 10, 12, 17):
                b, a = (stack[-2:] if len(stack) >= 2 else (("?",), ("?",)))
                stack = stack[:-2]
                res: tuple = ("?",)
                if op in (17, 3):
                    pair = {a[0]: a, b[0]: b}
                    if ("v", PARTNER) in (a, b) and "c" in pair:
                        res = ("eq" if op == 17 else "ne", pair["c"][1])
                stack = stack + (res,)
            else:
                break  # not code


def speakers(disk: Disk, cpt_path: str) -> dict[int, str]:
    """text number -> the compact that says it, where the scripts say so unambiguously."""
    names, fields = read_compacts(cpt_path)
    modules = {}
    for m in range(N_MODULES):
        if MODULE_BASE + m not in disk.entries:
            continue
        raw = disk.load(MODULE_BASE + m)
        modules[m] = np.frombuffer(raw[:len(raw) // 2 * 2], dtype="<u2")
    calls = []  # (script id, mcode, args, partner)
    for m, w in modules.items():
        for i, (s, e) in enumerate(_scripts(w)):
            if e > s:
                calls += [(m << 12 | i, mc, a, p) for mc, a, p in _walk(w, s, e)]
    # Which compacts run which script: their own sub-scripts, the player for action scripts,
    # and whatever the scripts hand on.
    runs: dict[int, set[int]] = {}
    for cid, f in fields.items():
        for k in (27, 29, 31, 33, 36, 41, 42):
            if len(f) > k and f[k]:
                runs.setdefault(int(f[k]), set()).add(cid)
        if len(f) > 17 and f[17]:
            runs.setdefault(int(f[17]), set()).add(FOSTER)
    changed = True
    while changed:
        changed = False
        for sid, mc, a, _ in calls:
            tgt, add = None, set()
            if mc in _SAME_CPT and a[0][0] == "c":
                tgt, add = a[0][1], runs.get(sid, set())
            elif mc in _OTHER_CPT and a[0][0] == "c" and a[1][0] == "c":
                tgt, add = a[1][1], {a[0][1]}
            if tgt is not None and not add <= runs.get(tgt, set()):
                runs.setdefault(tgt, set()).update(add)
                changed = True
    talk_scripts = {sid for sid, mc, a, _ in calls if mc in _SPEAK and a[0] == ("v", PARTNER)}
    who: dict[int, set] = {}
    for sid, mc, a, partner in calls:
        if mc == _ASK_THIS and a and a[0][0] == "c":
            who.setdefault(a[0][1], set()).add(FOSTER)
        if mc not in _SPEAK or len(a) != 3 or a[1][0] != "c":
            continue
        ident = a[0]
        if ident[0] == "c":
            s = {ident[1]}
        elif ident == ("v", CUR_ID):
            s = runs.get(sid) or ({FOSTER} if sid in talk_scripts else {None})
        elif ident == ("v", PARTNER):
            s = {partner}
        else:
            s = {None}
        who.setdefault(a[1][1], set()).update(s)
    out = {}
    for text, s in who.items():
        if len(s) == 1 and None not in s:
            out[text] = character(names.get(next(iter(s)), ""))
        else:
            out[text] = ""
    return out


def character(compact: str) -> str:
    """Compact name -> character: 'sc42_clerk' -> 'clerk'."""
    return re.sub(r"^s(c)?\d+_", "", compact)


# ----------------------------------------------------------------------------------------- clips


def speech_pcm(data: bytes) -> np.ndarray:
    """A loaded speech file -> its unsigned 8-bit samples (after the 22-byte header)."""
    return np.frombuffer(data[HEADER:], dtype=np.uint8)


def iter_lines(game_dir: str, language: int = 0) -> Iterator[tuple[int, int, str, str, bytes]]:
    """(speech file number, text number, text, speaker or '', loaded speech file) per speech file."""
    dnr, dsk = os.path.join(game_dir, "sky.dnr"), os.path.join(game_dir, "sky.dsk")
    with Disk(dnr, dsk) as disk:
        if disk.version is None:
            raise ArchiveError(dnr, 0, f"{disk.count} directory entries: not a known CD version of the game "
                                       f"(known: {sorted(KNOWN_VERSIONS)})")
        texts = {}
        for sec in range(len(CONVERT)):
            num = TEXT_BASE + 8 * language + sec
            if num not in disk.entries:
                raise ArchiveError(dnr, None, f"text file {num} (section {sec}) missing")
            texts[sec] = section_texts(disk.load(num), dsk, disk.entries[num][1])
        cpt = next((p for p in (os.path.join(game_dir, "sky.cpt"), "/usr/share/scummvm/sky.cpt")
                    if os.path.exists(p)), None)
        who = speakers(disk, cpt) if cpt else {}
        for num in sorted(k for k in disk.entries if SPEECH_BASE <= k < SPEECH_BASE + 10000):
            tnum = speech_text_number(num)
            sec, idx = tnum >> 12, tnum & 0xFFF
            text = texts[sec][idx] if idx < len(texts[sec]) else None
            yield num, tnum, text, who.get(tnum, ""), disk.load(num)


def clips(a: argparse.Namespace) -> Iterator[Clip]:
    stats = {"speech": 0, "no_text": 0}
    for num, tnum, text, who, data in iter_lines(a.game_dir):
        stats["speech"] += 1
        if text is None:
            stats["no_text"] += 1
            continue
        pcm = speech_pcm(data)
        if len(pcm) == 0:
            continue
        yield Clip(id=f"{num}", raw=fold_emphasis(text), speaker=who or f"section{tnum >> 12}", pcm=pcm, rate=RATE)
    print(f"{SOURCE}: {stats['speech']} speech files, {stats['no_text']} without a text", file=sys.stderr)


def _add_args(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--game-dir", default=GAME_DIR, help="folder holding sky.dnr and sky.dsk")


if __name__ == "__main__":
    realspeech.main(SOURCE, __doc__, clips, _add_args)
