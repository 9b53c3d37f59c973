#!/usr/bin/python3
"""Python *integer* reference of the earshot runtime: model `earshot-las-v1`, greedy search.

    /usr/bin/python3 tools/train/intref.py MODEL.esm FEATS.npy --dump OUT.json

It reads a `.esm` image (lib/image/FORMAT.md; magic, version, bounds and CRC are checked),
unpacks the int8 blobs (layout "o16k4", lib/kernels/NUMERICS.md) and runs the integer
algorithm of lib/model/MODEL.md with numpy int64 arithmetic that mirrors the C++ kernels
operation for operation (same requantization rule, same activation and exp tables, taken
from `earshot-pack tables --json` so no constant is regenerated here). The C++ runtime must
produce the same dump bit for bit; a ctest compares them.

FEATS: `.npy` int16 frames x n_mels (`earshot features X.wav -o X.npy`) or raw s16le `.feat`.
The dump: {"ctc_tokens": per encoder frame argmax, "onset": n0 or null, "tokens": [...],
"text": "...", "dec_logits": [[V int16] per decoder step], "enc_checksum": u32}.

Importable by training code: `Model.load(path)`, `model.encode(feats)`, `model.greedy(feats)`.
It is a reference, written for clarity and exactness, not speed (about 1 ms per encoder frame
for the default model).
"""
import argparse
import functools
import glob
import json
import os
import struct
import subprocess
import sys
import zlib

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ARCH = "earshot-las-v1"
LAYOUT_O16K4 = 1
MAGIC = b"EARSHOT\x1a"
_DTYPES = {1: np.int8, 2: np.int16, 3: np.int32, 4: np.uint8, 5: np.float32, 6: np.uint16}
_META_U32, _META_I32, _META_STR, _META_U32A, _META_I32A, _META_I16A = 1, 2, 3, 4, 5, 6


class ImageError(ValueError):
    """A defect in the image; the message names it (as the C++ reader does)."""


# ------------------------------------------------------------------------------ tables

def pack_binaries():
    """Candidate earshot-pack binaries: $EARSHOT_PACK, else build/host/bin, else build/*/bin."""
    env = os.environ.get("EARSHOT_PACK")
    if env:
        return [env]
    cands = [os.path.join(REPO, "build", "host", "bin", "earshot-pack")]
    cands += sorted(glob.glob(os.path.join(REPO, "build", "*", "bin", "earshot-pack")))
    return [c for i, c in enumerate(cands) if os.access(c, os.X_OK) and c not in cands[:i]]


@functools.lru_cache(maxsize=4)
def load_tables(pack_bin=None):
    """The kernels' compile-time tables (lib/kernels/tables.h) as int64 numpy arrays, from
    `earshot-pack tables --json`. $EARSHOT_TABLES may name a JSON file of that output (a cache)."""
    path = os.environ.get("EARSHOT_TABLES")
    raw = None
    if path and os.path.exists(path) and pack_bin is None:
        with open(path) as f:
            raw = json.load(f)
    else:
        tried = []
        for b in [pack_bin] if pack_bin else pack_binaries():
            r = subprocess.run([b, "tables", "--json"], capture_output=True, text=True)
            if r.returncode == 0:
                raw = json.loads(r.stdout)
                break
            tried.append(b)  # e.g. a stale build without the `tables` subcommand
        if raw is None:
            raise FileNotFoundError("no earshot-pack with `tables --json` found (tried: " + (", ".join(tried) or "none")
                                    + "); build it (cmake --build --preset host) or set EARSHOT_PACK")
    t = {k: (np.array(v, dtype=np.int64) if isinstance(v, list) else int(v)) for k, v in raw.items()}
    # The pair tables are the node tables in gather form: check they agree (a stale cache would not).
    for name in ("sigmoid", "tanh"):
        nodes, pairs = t[name + "_q15"], t[name + "_pairs"]
        if not (np.array_equal((((pairs & 0xFFFF) ^ 0x8000) - 0x8000), nodes[:256])
                and np.array_equal(pairs >> 16, nodes[1:] - nodes[:256])):
            raise ValueError(f"tables: {name} pairs do not match its nodes")
    return t


# ------------------------------------------------------------------------------ integer primitives

# lib/model/recognizer.h kDefaultEndpointMs
DEFAULT_ENDPOINT_MS = 900
# Characters a decoder may read at the last frame once its window centre is past it (MODEL.md step 5.3,
# kMaxCharsAtEnd in lib/decoder/greedy_decoder.h); the next such step's only token is <eos>.
MAX_CHARS_AT_END = 3
IDLE_REPLAY_MS = 300  # lib/model/encoder.h kIdleReplayMs


def requant(acc, mult, shift, lo, hi):
    """NUMERICS.md's one rule: sat((acc * M + 2^(S-1)) >> S). All int64 (|acc * M| < 2^62)."""
    acc = np.asarray(acc, dtype=np.int64)
    mult = np.asarray(mult, dtype=np.int64)
    shift = np.asarray(shift, dtype=np.int64)
    return np.clip((acc * mult + np.left_shift(np.int64(1), shift - 1)) >> shift, lo, hi)


def requant_s16(acc, mult, shift):
    return requant(acc, mult, shift, -32768, 32767)


def requant_s8(acc, mult, shift):
    return requant(acc, mult, shift, -128, 127)


def sat16(v):
    return np.clip(v, -32768, 32767)


def sat8(v):
    return np.clip(v, -128, 127)


def act_q12_to_q15(pairs, x):
    """Table activation (lib/kernels/activation.h): x int16 Q12 -> Q15."""
    u = np.asarray(x, dtype=np.int64) + 32768
    e = pairs[u >> 8]
    base = ((e & 0xFFFF) ^ 0x8000) - 0x8000
    delta = e >> 16
    return base + ((delta * (u & 255) + 128) >> 8)


def exp_neg_q10_to_q15(tables, n):
    n = np.asarray(n, dtype=np.int64)
    small = np.minimum(n, tables["exp_cutoff_q10"] - 1)
    v = (tables["exp_hi_q15"][small >> 6] * tables["exp_lo_q15"][small & 63] + (1 << 14)) >> 15
    return np.where(n >= tables["exp_cutoff_q10"], 0, v)


def softmax_q10_to_q15(tables, z):
    z = np.asarray(z, dtype=np.int64)
    e = exp_neg_q10_to_q15(tables, z.max() - z)
    inv = (1 << 30) // int(e.sum())
    return np.minimum(32767, (e * inv + (1 << 14)) >> 15)


class Blob:
    """An unpacked o16k4 matrix: int64 weights per segment, bias, M, S (logical rows only)."""

    def __init__(self, name, data):
        self.name = name
        if len(data) < 64 or data[:8] != b"ESKS8MX1":
            raise ImageError(f"tensor '{name}': not an s8 matrix blob (tag)")
        rows, rp, nseg, c0, c1, k0, k1 = struct.unpack_from("<7i", data, 8)
        if not (rows >= 1 and rp == (rows + 15) // 16 * 16 and nseg in (1, 2) and c0 >= 1
                and k0 == (c0 + 3) // 4 and k1 == (c1 + 3) // 4 and (c1 >= 1) == (nseg == 2)):
            raise ImageError(f"tensor '{name}': inconsistent blob header")
        need = 64 + 16 * rp + 4 * rp * (k0 + k1)
        if len(data) < need:
            raise ImageError(f"tensor '{name}': blob holds {len(data)} bytes, needs {need}")
        p32 = np.frombuffer(data, "<i4", count=4 * rp, offset=64).astype(np.int64).reshape(4, rp)
        bias, bias_u8, mult, shift = p32
        self.rows, self.nseg, self.cols = rows, nseg, [c0, c1][:nseg]
        self.w = []
        off = 64 + 16 * rp
        for c, k4 in ((c0, k0), (c1, k1))[:nseg]:
            # byte ((o / 16) * k4 + k / 4) * 64 + (o % 16) * 4 + k % 4  ->  [o/16][k/4][o%16][k%4]
            raw = np.frombuffer(data, np.int8, count=4 * rp * k4, offset=off).reshape(rp // 16, k4, 16, 4)
            full = raw.transpose(0, 2, 1, 3).reshape(rp, 4 * k4).astype(np.int64)
            if full[rows:].any() or full[:, c:].any():
                raise ImageError(f"tensor '{name}': padding not zero")
            self.w.append(full[:rows, :c])
            off += 4 * rp * k4
        wsum = sum(w.sum(axis=1) for w in self.w)
        if not np.array_equal(bias[:rows] - 128 * wsum, bias_u8[:rows]):
            raise ImageError(f"tensor '{name}': bias_u8 does not match the weights")
        if (mult[:rows] < 0).any() or (shift[:rows] < 1).any() or (shift[:rows] > 62).any():
            raise ImageError(f"tensor '{name}': requantization constants outside the contract")
        self.bias, self.mult, self.shift = bias[:rows], mult[:rows], shift[:rows]

    def acc(self, *xs):
        """int32 accumulator (exact in int64): bias + sum over segments of W_s x_s."""
        a = self.bias.copy()
        for w, x in zip(self.w, xs):
            a = a + w @ np.asarray(x, dtype=np.int64)
        return a

    def s16(self, *xs):
        return requant_s16(self.acc(*xs), self.mult, self.shift)

    def s8(self, *xs):
        return requant_s8(self.acc(*xs), self.mult, self.shift)


# ------------------------------------------------------------------------------ image

def read_image(data):
    """Parse and validate a .esm image. Returns (metadata dict, tensor dict); tensors are dicts
    with dtype, dims, layout, scale and `data` (bytes)."""
    def bad(msg):
        raise ImageError("model image: " + msg)
    if len(data) < 68:
        bad(f"truncated: {len(data)} bytes, smaller than the 64-byte header")
    if data[:8] != MAGIC:
        bad("wrong magic (not an earshot .esm image)")
    major, minor, hbytes, file_bytes = struct.unpack_from("<HHIQ", data, 8)
    if major != 1:
        bad(f"unsupported format version {major}.{minor}")
    if hbytes != 64:
        bad(f"header_bytes is {hbytes}, expected 64")
    if file_bytes > len(data) or file_bytes < 68:
        bad(f"truncated: header says {file_bytes} bytes, file holds {len(data)}")
    data = data[:file_bytes]
    end = file_bytes - 4
    mo, mb, to, tc, do, db = struct.unpack_from("<6I", data, 24)
    if struct.unpack_from("<I", data, end)[0] != zlib.crc32(data[:end]):
        bad("CRC mismatch: the image is corrupt")
    if not (64 <= mo and mo + mb <= end and mo + mb <= to and to + 96 * tc <= do and do % 64 == 0 and do + db <= end):
        bad("sections out of bounds or overlapping")
    meta, pos = {}, mo
    while pos < mo + mb:
        typ, klen, _, vlen = struct.unpack_from("<BBHI", data, pos)
        key = data[pos + 8:pos + 8 + klen].decode()
        val = data[pos + 8 + klen:pos + 8 + klen + vlen]
        if pos + 8 + klen + vlen > mo + mb:
            bad(f"metadata '{key}' extends past its section")
        if typ == _META_U32:
            meta[key] = struct.unpack("<I", val)[0]
        elif typ == _META_I32:
            meta[key] = struct.unpack("<i", val)[0]
        elif typ == _META_STR:
            meta[key] = val.decode()
        elif typ in (_META_U32A, _META_I32A, _META_I16A):
            meta[key] = list(np.frombuffer(val, {4: "<u4", 5: "<i4", 6: "<i2"}[typ]).tolist())
        else:
            bad(f"metadata '{key}' has unknown type {typ}")
        pos += (8 + klen + vlen + 3) & ~3
    tensors = {}
    for i in range(tc):
        e = to + 96 * i
        name = data[e:e + 48].split(b"\0")[0].decode()
        dt, ndim, layout = struct.unpack_from("<BBH", data, e + 48)
        dims = struct.unpack_from("<4I", data, e + 52)[:ndim]
        off, nbytes, scale, zp, quant = struct.unpack_from("<IIfiI", data, e + 68)
        if dt not in _DTYPES:
            bad(f"tensor '{name}' has unknown dtype {dt}")
        if off % 64 or off + nbytes > db:
            bad(f"tensor '{name}' is misaligned or extends past the data section")
        tensors[name] = dict(dtype=_DTYPES[dt], dims=list(dims), layout=layout, scale=scale,
                             data=data[do + off:do + off + nbytes])
    return meta, tensors


def _plain(tensors, name, dtype, shape):
    t = tensors.get(name)
    if t is None:
        raise ImageError(f"model: tensor '{name}' is missing")
    if t["dtype"] != dtype or t["layout"] != 0 or t["dims"] != list(shape):
        raise ImageError(f"model: tensor '{name}' has dtype/shape {np.dtype(t['dtype']).name} {t['dims']}, "
                         f"expected {np.dtype(dtype).name} {list(shape)}")
    return np.frombuffer(t["data"], np.dtype(dtype).newbyteorder("<")).astype(np.int64).reshape(shape)


def _blob(tensors, name, rows, cols):
    t = tensors.get(name)
    if t is None:
        raise ImageError(f"model: tensor '{name}' is missing")
    if t["layout"] != LAYOUT_O16K4 or t["dims"] != [rows, sum(cols)]:
        raise ImageError(f"model: tensor '{name}' is layout {t['layout']} {t['dims']}, "
                         f"expected o16k4 [{rows}, {sum(cols)}]")
    b = Blob(name, t["data"])
    if b.rows != rows or b.cols != list(cols):
        raise ImageError(f"model: tensor '{name}' blob is {b.rows} x {b.cols}, expected {rows} x {list(cols)}")
    return b


class Model:
    """An image's hyperparameters and unpacked integer weights, and the integer algorithm."""

    def __init__(self, meta, tensors, tables):
        if meta.get("model.arch") != ARCH:
            raise ImageError(f"model: model.arch is {meta.get('model.arch')!r}; this reference runs {ARCH!r}")
        self.meta, self.tab = meta, tables
        self.vocab = meta["vocab"].split("\n")
        if self.vocab[0] != "<eos>":
            raise ImageError("model: vocab token 0 is not <eos>")
        g = meta.__getitem__
        self.n_mels, self.stack = g("frontend.num_mels"), g("encoder.stack")
        self.rate, self.hop = g("frontend.sample_rate_hz"), g("frontend.hop_samples")
        self.L, self.H = g("encoder.layers"), g("encoder.hidden")
        self.Hd, self.E = g("decoder.hidden"), g("decoder.embed")
        self.W, self.A = g("decoder.half_window"), g("decoder.max_advance_q8")
        self.max_chars, self.onset_back = g("decoder.max_chars"), g("decoder.onset_back")
        self.prime_ms = meta.get("encoder.prime_ms", 0)  # optional: absent = no priming
        self.floor_q8 = g("frontend.floor_db_q8")
        V, H, Hd, E, M = len(self.vocab), self.H, self.Hd, self.E, self.n_mels
        self.V = V
        self.mean_q8 = _plain(tensors, "input.mean_q8", np.int32, [M])
        self.in_mult = _plain(tensors, "input.mult", np.int32, [M])
        self.in_shift = _plain(tensors, "input.shift", np.int32, [M])
        self.enc = [_blob(tensors, f"enc.{l}.lstm", 4 * H, [self.stack * M if l == 0 else H, H])
                    for l in range(self.L)]
        self.ctc = _blob(tensors, "ctc.proj", V, [H])
        self.embed = _plain(tensors, "dec.embed", np.int8, [V, E])
        self.dec_lstm = _blob(tensors, "dec.lstm", 4 * Hd, [E + H, Hd])
        self.advance = _blob(tensors, "dec.advance", 1, [Hd])
        self.query = _blob(tensors, "dec.query", H, [Hd])
        self.attn = _plain(tensors, "dec.attn", np.int32, [4])
        self.out = _blob(tensors, "dec.out", V, [Hd, H])

    @classmethod
    def load(cls, path, pack_bin=None):
        with open(path, "rb") as f:
            meta, tensors = read_image(f.read())
        return cls(meta, tensors, load_tables(pack_bin))

    # -------------------------------------------------------------- kernels (scalar reference semantics)

    def sigmoid(self, x):
        return act_q12_to_q15(self.tab["sigmoid_pairs"], x)

    def tanh(self, x):
        return act_q12_to_q15(self.tab["tanh_pairs"], x)

    def lstm_step(self, blob, x8, h8, c16):
        """lstm_step (NUMERICS.md "LSTM step"): returns (h8, c16)."""
        H = len(h8)
        g = blob.s16(x8, h8)  # Q12 gates, rows i, f, g, o
        i, f, o = self.sigmoid(g[:H]), self.sigmoid(g[H:2 * H]), self.sigmoid(g[3 * H:])
        gg = self.tanh(g[2 * H:3 * H])
        c = sat16((f * c16 + ((i * gg) >> 4) + (1 << 14)) >> 15)
        h16 = (o * self.tanh(sat16(2 * c)) + (1 << 14)) >> 15
        return sat8((h16 + 128) >> 8), c

    def attn_dot(self, q8, frames):
        """attn_dot with keys = values = frames (T x H int8): returns ctx8 (H)."""
        sm, ss, cm, cs = (int(v) for v in self.attn)
        z = requant_s16(frames @ q8, sm, ss)
        p = softmax_q10_to_q15(self.tab, z)
        return requant_s8(p @ frames, cm, cs)

    # -------------------------------------------------------------- the integer algorithm (MODEL.md)

    def input_q(self, feats):
        """Step 1: int16 Q8 dB features (T x n_mels) -> int8 normalised inputs."""
        f = np.asarray(feats, dtype=np.int64)
        if f.ndim != 2 or f.shape[1] != self.n_mels:
            raise ValueError(f"features must be frames x {self.n_mels}, got {f.shape}")
        return requant_s8(f - self.mean_q8, self.in_mult, self.in_shift)

    def frames_for_ms(self, ms):
        """A duration in whole encoder frames, rounded up, at least one."""
        return max(1, -(-ms * self.rate // (1000 * self.stack * self.hop)))

    def endpoint_frames(self, endpoint_ms=None):
        """The recognizer's endpoint time in encoder frames."""
        return self.frames_for_ms(DEFAULT_ENDPOINT_MS if endpoint_ms is None else endpoint_ms)

    def replay_frames(self):
        """The idle reset's replay, IDLE_REPLAY_MS in encoder frames."""
        return self.frames_for_ms(IDLE_REPLAY_MS)

    def stack_step(self, x, h, c):
        """The encoder's LSTM layers on one stacked input x; updates h, c (lists per layer) in
        place and returns the top layer's h8."""
        for l in range(self.L):
            h[l], c[l] = self.lstm_step(self.enc[l], x, h[l], c[l])
            x = h[l]
        return x

    def start_state(self):
        """The LSTM state at stream start and after each idle reset: zero, or for a primed model
        (metadata encoder.prime_ms) the state the layers reach from zero over that much digital
        silence, the front-end's floor in every band (MODEL.md step 2)."""
        h = [np.zeros(self.H, np.int64) for _ in range(self.L)]
        c = [np.zeros(self.H, np.int64) for _ in range(self.L)]
        if self.prime_ms:
            silence = np.tile(self.input_q(np.full((1, self.n_mels), self.floor_q8))[0], self.stack)
            for _ in range(self.frames_for_ms(self.prime_ms)):
                self.stack_step(silence, h, c)
        return h, c

    def encode(self, feats, endpoint_ms=None):
        """Steps 1-3: returns (e: N x H int8 encoder outputs, z: N x V int16 Q10 CTC logits).
        The idle reset: before the first non-blank CTC frame, every E blank frames the LSTM
        state returns to start_state() and the last replay_frames() inputs run again from it
        (as the recognizer does while it waits for speech)."""
        x8 = self.input_q(feats)
        n = len(x8) // self.stack
        E = self.endpoint_frames(endpoint_ms)
        R = self.replay_frames()
        h0, c0 = self.start_state()
        h, c = list(h0), list(c0)

        def layers(t):
            return self.stack_step(x8[t * self.stack:(t + 1) * self.stack].reshape(-1), h, c)  # oldest frame first

        e = np.zeros((n, self.H), np.int64)
        z = np.zeros((n, self.V), np.int64)
        waiting, run = True, 0
        for t in range(n):
            e[t] = layers(t)
            z[t] = self.ctc.s16(e[t])
            if waiting:
                if int(np.argmax(z[t])) != 0:
                    waiting = False
                else:
                    run += 1
                    if run % E == 0:
                        h[:], c[:] = list(h0), list(c0)
                        for u in range(max(0, t + 1 - R), t + 1):
                            layers(u)
        return e, z

    def greedy(self, feats, endpoint_ms=DEFAULT_ENDPOINT_MS):
        """Steps 1-5 with greedy search. Returns the dump dict (plus `enc` and `ctc_logits` arrays)."""
        e, z = self.encode(feats, endpoint_ms)
        n_frames = len(e)
        ctc = [int(np.argmax(r)) for r in z]  # np.argmax: lowest index on ties, as the runtime
        onset = next((i for i, t in enumerate(ctc) if t != 0), None)
        tokens, dec_logits, forced_end = [], [], False
        if onset is not None:
            # End of utterance on silence (the recognizer's endpoint_ms): the input ends at the
            # frame that completes a run of E blank CTC frames after the onset.
            E = self.endpoint_frames(endpoint_ms)
            run = 0
            for i in range(onset + 1, n_frames):
                run = run + 1 if ctc[i] == 0 else 0
                if run >= E:
                    n_frames = i + 1
                    break
            W = self.W
            p = max(0, onset - self.onset_back) * 256
            y = 0
            at_end = 0  # characters read at or past the last frame
            ctx8 = np.zeros(self.H, np.int64)
            h8 = np.zeros(self.Hd, np.int64)
            c16 = np.zeros(self.Hd, np.int64)
            for _ in range(self.max_chars):
                h8, c16 = self.lstm_step(self.dec_lstm, np.concatenate([self.embed[y], ctx8]), h8, c16)
                a = int(self.advance.s16(h8)[0])
                p += (self.A * int(self.sigmoid(a)) + (1 << 14)) >> 15
                cen = p >> 8
                lo, hi = max(0, cen - W), min(n_frames - 1, cen + W)
                lo = min(lo, n_frames - 1)  # centre past the end: the last frame alone (MODEL.md 5.3)
                q8 = self.query.s8(h8)
                ctx8 = self.attn_dot(q8, e[lo:hi + 1])
                zo = self.out.s16(h8, ctx8)
                dec_logits.append([int(v) for v in zo])
                # Past the last frame with MAX_CHARS_AT_END characters read there, only <eos> (MODEL.md 5.3).
                forced_end = cen > n_frames - 1 and at_end >= MAX_CHARS_AT_END
                y = 0 if forced_end else int(np.argmax(zo))
                if y == 0:
                    break
                tokens.append(y)
                at_end += cen >= n_frames - 1
        # Over every frame encoded, as the runtime's encoder goes on past the endpoint (n_frames
        # only bounds the decoder's attention).
        k = np.arange(1, self.H + 1, dtype=np.int64)
        nn = np.arange(1, len(e) + 1, dtype=np.int64)
        checksum = int((nn[:, None] * k[None, :] * e).sum()) % (1 << 32) if len(e) else 0
        return {
            "ctc_tokens": ctc,
            "onset": onset,
            "tokens": tokens,
            "text": "".join(self.vocab[t] for t in tokens),
            "dec_logits": dec_logits,
            "enc_checksum": checksum,
            "enc": e,
            "ctc_logits": z,
            "end_of_input": forced_end,  # the last step's <eos> came from step 5.3's end rule, not the argmax
        }


def load_features(path, n_mels=40):
    """.npy (int16 frames x n_mels) or raw s16le (.feat / .raw)."""
    if path.endswith(".npy"):
        f = np.load(path)
        if f.dtype != np.int16:
            raise ValueError(f"{path}: features must be int16 (Q8 dB), got {f.dtype}")
        return f
    raw = np.fromfile(path, dtype="<i2")
    if raw.size % n_mels:
        raise ValueError(f"{path}: {raw.size} values are not frames x {n_mels}")
    return raw.reshape(-1, n_mels)


def dump_dict(result):
    """The JSON-serialisable part of greedy()'s result (what the C++ runtime also writes)."""
    return {k: result[k] for k in ("ctc_tokens", "onset", "tokens", "text", "dec_logits", "enc_checksum")}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", help=".esm image")
    ap.add_argument("features", help=".npy int16 frames x n_mels, or raw s16le")
    ap.add_argument("--dump", help="write the JSON dump here")
    ap.add_argument("--pack-bin", help="earshot-pack binary for the kernel tables (default: $EARSHOT_PACK or build/*/bin)")
    a = ap.parse_args(argv)
    try:
        model = Model.load(a.model, a.pack_bin)
    except (ImageError, OSError) as e:
        sys.exit(f"intref: {a.model}: {e}")
    res = model.greedy(load_features(a.features, model.n_mels))
    d = dump_dict(res)
    if a.dump:
        tmp = a.dump + ".tmp"
        with open(tmp, "w") as f:
            json.dump(d, f)
            f.write("\n")
        os.replace(tmp, a.dump)
    print(json.dumps({"text": d["text"], "onset": d["onset"], "steps": len(d["dec_logits"]),
                      "encoder_frames": len(d["ctc_tokens"]), "enc_checksum": d["enc_checksum"]}))


if __name__ == "__main__":
    main()
