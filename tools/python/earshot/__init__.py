"""earshot from Python: a thin ctypes layer over the C API (libearshot.so, earshot.h) and the
audio reader (libearshot-audio.so, earshot_audio.h).

    import earshot
    rec = earshot.Recognizer()                      # the shipped model, beam search of width 8
    r = rec.transcribe("command.wav")               # a path (any libsndfile format) or 16 kHz int16 samples
    print(r.text, r.confidence, [(w.word, w.start, w.end) for w in r.words])

    rec = earshot.Recognizer(grammar="lights on\\nlights off\\n")   # a phrase list (or JSGF, or a file path)
    with rec.stream() as s:
        for chunk in chunks:                        # any chunking gives the same result
            for utt in s.push(chunk):               # utterances that ended inside this chunk
                print(utt.text)
        r = s.finish()                              # the whole stream, as transcribe() gives it

Results are those of `earshot transcribe --json` with the same options (Result.as_dict() has its keys),
bit for bit: the same library decodes the same samples. Why ctypes and not a compiled extension: the
C API is plain C with caller-owned memory, so nothing needs compiling, and one module serves every
Python 3 and every target the shared library is built for (an ARM board included).
"""
from __future__ import annotations

import ctypes as C
import os
import time
from dataclasses import dataclass, field

__all__ = ["Recognizer", "Stream", "Result", "Word", "Utterance", "Alternative", "EarshotError", "read_audio",
           "version"]

# ------------------------------------------------------------------ the libraries

_HERE = os.path.dirname(os.path.abspath(__file__))


def _candidates():
    """(libdir, default model) pairs: $EARSHOT_LIBRARY_DIR, an installed tree, this checkout's build/host."""
    env = os.environ.get("EARSHOT_LIBRARY_DIR")
    if env:
        yield env, None
    try:
        from . import _installed
        yield os.path.normpath(os.path.join(_HERE, _installed.LIBDIR)), os.path.normpath(os.path.join(_HERE, _installed.MODEL))
    except ImportError:
        pass
    root = os.path.normpath(os.path.join(_HERE, "..", "..", ".."))  # tools/python/earshot -> the checkout
    yield os.path.join(root, "build", "host", "lib"), os.path.join(root, "models", "en-small.esm")


def _load():
    """(libearshot, libearshot-audio or None, default model): the first place with the library; its
    own model where it has one, else the first place's that exists."""
    places = list(_candidates())
    models = [m for _, m in places if m and os.path.exists(m)]
    for libdir, model in places:
        path = os.path.join(libdir, "libearshot.so")
        if os.path.exists(path):
            audio_path = os.path.join(libdir, "libearshot-audio.so")
            audio = C.CDLL(audio_path) if os.path.exists(audio_path) else None
            return C.CDLL(path), audio, model if model in models else (models[0] if models else None)
    raise ImportError("earshot: libearshot.so not found (looked in " + ", ".join(d for d, _ in places) +
                      "); build it (cmake --build --preset host) or install earshot, or set EARSHOT_LIBRARY_DIR")


_lib, _audio, _DEFAULT_MODEL = _load()


class _ModelInfo(C.Structure):
    _fields_ = [("name", C.c_char_p), ("sample_rate_hz", C.c_uint32), ("encoder_frame_samples", C.c_uint32),
                ("vocab_size", C.c_uint32), ("max_chars", C.c_uint32), ("lm_contexts", C.c_uint32),
                ("lm_order", C.c_uint32)]


class _Config(C.Structure):
    _fields_ = [("max_chars", C.c_uint32), ("beam", C.c_uint32), ("endpoint_ms", C.c_uint32),
                ("reject_q15", C.c_uint32), ("ctc_weight_pct", C.c_uint32), ("lm_weight_pct", C.c_uint32),
                ("ctc_search", C.c_uint32)]


class _Result(C.Structure):
    _fields_ = [("text", C.c_char_p), ("num_tokens", C.c_uint32), ("token_frames", C.POINTER(C.c_uint32)),
                ("encoder_frames", C.c_uint32), ("is_final", C.c_int), ("no_match", C.c_int),
                ("score_q10", C.c_int32), ("num_nbest", C.c_uint32), ("token_logprobs_q10", C.POINTER(C.c_int32)),
                ("confidence_q15", C.c_int32), ("num_words", C.c_uint32), ("utterance", C.c_uint32),
                ("match_q15", C.c_int32)]


class _Word(C.Structure):
    _fields_ = [("first_char", C.c_uint32), ("num_chars", C.c_uint32), ("start_frame", C.c_uint32),
                ("end_frame", C.c_uint32), ("start_ms", C.c_uint32), ("end_ms", C.c_uint32),
                ("confidence_q15", C.c_int32)]


class _AudioInfo(C.Structure):
    _fields_ = [("source_rate_hz", C.c_uint32), ("source_channels", C.c_uint32), ("source_frames", C.c_uint64),
                ("sample_rate_hz", C.c_uint32)]


def _sig(lib, name, res, *args):
    f = getattr(lib, name)
    f.restype, f.argtypes = res, list(args)


_P = C.c_void_p
_sig(_lib, "earshot_status_string", C.c_char_p, C.c_int)
_sig(_lib, "earshot_last_error", C.c_char_p)
_sig(_lib, "earshot_model_handle_size", C.c_size_t)
_sig(_lib, "earshot_model_open", C.c_int, _P, C.c_size_t, _P, C.c_size_t, C.POINTER(_P))
_sig(_lib, "earshot_model_get_info", C.c_int, _P, C.POINTER(_ModelInfo))
_sig(_lib, "earshot_arena_size", C.c_int, _P, C.POINTER(_Config), C.POINTER(C.c_size_t))
_sig(_lib, "earshot_recognizer_create", C.c_int, _P, C.POINTER(_Config), _P, C.c_size_t, C.POINTER(_P))
_sig(_lib, "earshot_push_some", C.c_int, _P, _P, C.c_size_t, C.POINTER(C.c_size_t))
_sig(_lib, "earshot_next_utterance", C.c_int, _P)
_sig(_lib, "earshot_finish", C.c_int, _P)
_sig(_lib, "earshot_reset", C.c_int, _P)
_sig(_lib, "earshot_get_result", C.c_int, _P, C.POINTER(_Result))
_sig(_lib, "earshot_get_nbest", C.c_int, _P, C.c_uint32, C.POINTER(C.c_char_p), C.POINTER(C.c_int32),
     C.POINTER(C.c_uint32))
_sig(_lib, "earshot_get_word", C.c_int, _P, C.c_uint32, C.POINTER(_Word))
_sig(_lib, "earshot_confidence_q15", C.c_int32, C.c_int32, C.c_uint32)
_sig(_lib, "earshot_grammar_compile", C.c_int, _P, C.c_char_p, C.c_size_t, C.c_int, _P, C.c_size_t,
     C.POINTER(C.c_size_t), C.POINTER(_P))
_sig(_lib, "earshot_set_grammar", C.c_int, _P, _P)
if _audio is not None:
    _sig(_audio, "earshot_audio_open", C.c_int, C.c_char_p, C.c_uint32, C.POINTER(_P))
    _sig(_audio, "earshot_audio_get_info", C.c_int, _P, C.POINTER(_AudioInfo))
    _sig(_audio, "earshot_audio_read", C.c_int, _P, _P, C.c_size_t, C.POINTER(C.c_size_t))
    _sig(_audio, "earshot_audio_close", None, _P)
    _sig(_audio, "earshot_audio_last_error", C.c_char_p)

_GRAMMAR_AUTO, _GRAMMAR_WORDS = 0, 3
_ERR_MEMORY_TOO_SMALL = 4
_CTC_OFF = _LM_OFF = 1000
FREE_BEAM, GRAMMAR_BEAM, CTC_WIDTH = 8, 16, 1024  # the CLI's defaults (tools/earshot/recognize.h)


def version() -> str:
    """The library's version (earshot.h's EARSHOT_VERSION_*), as the installed package names it."""
    return "0.2.0"


class EarshotError(RuntimeError):
    """A C API call failed: .status is the earshot_status code, the message says what was wrong."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def _check(status: int, what: str, lib=None):
    if status:
        detail = (_lib.earshot_last_error() if lib is None else lib.earshot_audio_last_error()).decode(errors="replace")
        name = _lib.earshot_status_string(status).decode()
        raise EarshotError(status, f"{what}: {name}: {detail}")


def _aligned(nbytes: int, align: int = 64):
    """(keep-alive buffer, address) of `nbytes` zeroed bytes at an `align`-byte boundary."""
    buf = (C.c_char * (nbytes + align))()
    addr = C.addressof(buf)
    return buf, addr + (-addr) % align


# ------------------------------------------------------------------ audio

def _audio_blocks(path: str, sample_rate: int, block: int = 65536):
    """int16 PCM bytes of an audio file, block by block (libearshot-audio: any libsndfile format,
    down-mixed and resampled as `earshot transcribe` does; memory stays one block)."""
    if _audio is None:
        raise EarshotError(6, "libearshot-audio.so is not built here (needs libsndfile and libsoxr)")
    h = _P()
    _check(_audio.earshot_audio_open(os.fsencode(path), sample_rate, C.byref(h)), "open audio", _audio)
    try:
        buf = (C.c_int16 * block)()
        got = C.c_size_t()
        while True:
            _check(_audio.earshot_audio_read(h, buf, block, C.byref(got)), "read audio", _audio)
            if not got.value:
                return
            yield bytes(memoryview(buf).cast("B")[:2 * got.value])
    finally:
        _audio.earshot_audio_close(h)


def read_audio(path: str, sample_rate: int = 16000):
    """Any audio file libsndfile reads, down-mixed and resampled with libsoxr as `earshot transcribe`
    does: a numpy int16 array (a list if numpy is missing)."""
    data = b"".join(_audio_blocks(path, sample_rate))
    try:
        import numpy as np
        return np.frombuffer(data, dtype="<i2").copy()
    except ImportError:
        return list(memoryview(data).cast("h"))


def _as_int16(samples):
    """(bytes of int16 PCM, count) from int16 samples, or floats in [-1, 1] scaled as the CLI scales them."""
    try:
        import numpy as np
    except ImportError:
        np = None
    if np is not None and isinstance(samples, np.ndarray):
        if samples.ndim != 1:
            raise ValueError("earshot: samples must be one channel (a 1-D array)")
        if samples.dtype.kind == "f":
            x = np.rint(samples.astype(np.float32) * np.float32(32768.0))  # nearbyint, as the CLI rounds, in float32
            samples = np.clip(x, -32768, 32767).astype(np.int16)
        elif samples.dtype != np.int16:
            raise ValueError(f"earshot: samples must be int16 or float, not {samples.dtype}")
        data = samples.astype("<i2", copy=False).tobytes()
        return data, len(samples)
    if isinstance(samples, (bytes, bytearray, memoryview)):
        data = bytes(samples)
        if len(data) % 2:
            raise ValueError("earshot: int16 PCM bytes must be an even number")
        return data, len(data) // 2
    arr = (C.c_int16 * len(samples))(*samples)
    return bytes(arr), len(samples)


# ------------------------------------------------------------------ results

def _conf(q15: int) -> float:
    return ((q15 * 10000 + 16384) >> 15) / 10000.0  # 4 decimals, as the CLI prints it


@dataclass
class Word:
    word: str
    start: float       # seconds from the start of the stream
    end: float
    confidence: float  # 0..1


@dataclass
class Alternative:
    text: str
    logprob: float     # natural log
    confidence: float


@dataclass
class Utterance:
    text: str
    start: float
    end: float
    confidence: float
    no_match: bool = False
    match: float = 0.0


@dataclass
class Result:
    """What `earshot transcribe --json` prints for one input (as_dict() has its keys)."""
    text: str = ""
    confidence: float = 0.0
    no_match: bool = False
    match: float = 0.0
    words: list = field(default_factory=list)
    utterances: list = field(default_factory=list)
    nbest: list = field(default_factory=list)
    token_times: list = field(default_factory=list)
    encoder_frames: int = 0
    audio_seconds: float = 0.0
    compute_seconds: float = 0.0
    constrained: bool = False
    nbest_shown: int = 0  # how many alternatives as_dict() lists (the CLI's --nbest, or --beam N)

    @property
    def rtf(self) -> float:
        return round(self.compute_seconds / self.audio_seconds * 1e6) / 1e6 if self.audio_seconds > 0 else 0.0

    def as_dict(self, file: str | None = None) -> dict:
        d = {}
        if file is not None:
            d["file"] = file
        d["text"] = self.text
        d["confidence"] = self.confidence
        if self.constrained:
            d["no_match"], d["match"] = self.no_match, self.match
        d["words"] = [{"word": w.word, "start": w.start, "end": w.end, "confidence": w.confidence} for w in self.words]
        utts = []
        for u in self.utterances:
            e = {"text": u.text, "start": u.start, "end": u.end, "confidence": u.confidence}
            if self.constrained:
                e["no_match"], e["match"] = u.no_match, u.match
            utts.append(e)
        d["utterances"] = utts
        d["tokens"] = len(self.token_times)
        d["rtf"] = self.rtf
        d["encoder_frames"] = self.encoder_frames
        d["token_times"] = list(self.token_times)
        if self.nbest_shown:
            d["nbest"] = [{"text": a.text, "logprob": a.logprob, "confidence": a.confidence}
                          for a in self.nbest[:self.nbest_shown]]
        return d


class _Utt:
    """One utterance as the C API gives it (the CLI's copy_result)."""

    def __init__(self, rec: "Recognizer", h):
        r = _Result()
        _check(_lib.earshot_get_result(h, C.byref(r)), "earshot_get_result")
        n = r.num_tokens
        self.text = (C.string_at(r.text, n) if n else b"").decode("utf-8", errors="replace")
        self.frames = [r.token_frames[i] for i in range(n)]
        self.encoder_frames = r.encoder_frames
        self.is_final = bool(r.is_final)
        self.no_match = bool(r.no_match)
        self.score_q10, self.confidence_q15, self.match_q15, self.tokens = r.score_q10, r.confidence_q15, r.match_q15, n
        self.words = []
        w = _Word()
        raw = C.string_at(r.text, n) if n else b""
        for i in range(r.num_words):
            _check(_lib.earshot_get_word(h, i, C.byref(w)), "earshot_get_word")
            self.words.append((raw[w.first_char:w.first_char + w.num_chars].decode("utf-8", errors="replace"),
                               w.start_ms, w.end_ms, w.confidence_q15))
        self.nbest = []
        t, s, k = C.c_char_p(), C.c_int32(), C.c_uint32()
        for i in range(r.num_nbest):
            _check(_lib.earshot_get_nbest(h, i, C.byref(t), C.byref(s), C.byref(k)), "earshot_get_nbest")
            self.nbest.append((t.value.decode("utf-8", errors="replace"), s.value,
                               _lib.earshot_confidence_q15(s.value, k.value + 1)))
        self.segment = None
        if self.text or self.no_match:
            if self.words:
                start, end = self.words[0][1], self.words[-1][2]
            else:  # rejected: when the utterance ended
                ms_per_frame = 1000.0 * rec.info.encoder_frame_samples / rec.info.sample_rate_hz
                start = end = int(r.encoder_frames * ms_per_frame)
            self.segment = (self.text, self.no_match, start, end, self.score_q10, self.confidence_q15,
                            self.match_q15, n)

    def utterance(self) -> Utterance:
        text, no_match, start, end, _, conf, match, _ = self.segment
        return Utterance(text, start / 1000.0, end / 1000.0, _conf(conf), no_match, _conf(match))


# ------------------------------------------------------------------ the recognizer

class Recognizer:
    """One model and one recognizer configuration (each stream gets its own arena).

    model:    path of a .esm image (default: the installed or this checkout's models/en-small.esm)
    grammar:  a phrase list or JSGF text (#JSGF first), or a path to one
    words:    a word list (any sequence of its words), text or path
    beam:     1 = greedy (what the firmware runs); 2..32 beam search; default 8, 16 with words; with a
              grammar the CTC search, unless beam or ctc_weight is given (the CLI's defaults)
    ctc:      the CTC search (`earshot transcribe --ctc`; beam is then its prefixes, default 1024)
    nbest:    alternatives kept in as_dict() (beam width at least this)
    reject:   out-of-grammar threshold 0..1 (default: the calibrated one); max_chars, endpoint_ms,
    ctc_weight, lm_weight: as `earshot transcribe`'s options (percent; 0 turns them off)
    """

    def __init__(self, model: str | None = None, grammar: str | None = None, words: str | None = None,
                 beam: int | None = None, nbest: int = 0, reject: float | None = None, max_chars: int = 0,
                 endpoint_ms: int = 0, ctc_weight: int | None = None, lm_weight: int | None = None,
                 ctc: bool = False):
        if grammar is not None and words is not None:
            raise ValueError("earshot: give grammar or words, not both")
        path = model or os.environ.get("EARSHOT_MODEL") or _DEFAULT_MODEL
        if not path or not os.path.exists(path):
            raise FileNotFoundError(f"earshot: no model at {path}; pass model=... or set EARSHOT_MODEL")
        self.model_path = path
        with open(path, "rb") as f:
            image = f.read()
        self._image, addr = _aligned(len(image))
        C.memmove(addr, image, len(image))
        hsize = _lib.earshot_model_handle_size()
        self._handle_mem, haddr = _aligned(hsize)
        self._model = _P()
        _check(_lib.earshot_model_open(addr, len(image), haddr, hsize, C.byref(self._model)), f"model {path}")
        self.info = _ModelInfo()
        _check(_lib.earshot_model_get_info(self._model, C.byref(self.info)), "earshot_model_get_info")
        self.sample_rate = self.info.sample_rate_hz

        self.constrained = grammar is not None or words is not None
        if ctc and ctc_weight is not None:
            raise ValueError("earshot: ctc decodes with the CTC head alone (no ctc_weight)")
        self.ctc = ctc or (grammar is not None and not beam and ctc_weight is None)
        width = beam if beam else (CTC_WIDTH if self.ctc else GRAMMAR_BEAM if self.constrained else FREE_BEAM)
        if nbest > width:
            width = nbest
        self._nbest_shown = nbest if nbest else (beam if beam and beam > 1 else 0)
        cfg = _Config(max_chars=max_chars, beam=width, endpoint_ms=endpoint_ms, ctc_search=int(self.ctc))
        if reject is not None:
            if not 0 <= reject <= 1:
                raise ValueError("earshot: reject must be in 0..1")
            cfg.reject_q15 = max(1, int(round_half_away(reject * 32768)))
        if ctc_weight is not None:
            cfg.ctc_weight_pct = _CTC_OFF if ctc_weight == 0 else ctc_weight
        if lm_weight is not None:
            cfg.lm_weight_pct = _LM_OFF if lm_weight == 0 else lm_weight
        self._cfg = cfg
        need = C.c_size_t()
        _check(_lib.earshot_arena_size(self._model, C.byref(cfg), C.byref(need)), "earshot_arena_size")
        self.arena_bytes = need.value

        self._grammar = None
        if self.constrained:
            text = grammar if grammar is not None else words
            if os.path.isfile(text):
                with open(text, "rb") as f:
                    data = f.read()
            else:
                data = text.encode()
            kind = _GRAMMAR_AUTO if grammar is not None else _GRAMMAR_WORDS
            size = 8192
            for tries in range(9):
                mem, maddr = _aligned(size, 8)
                g, needed = _P(), C.c_size_t()
                st = _lib.earshot_grammar_compile(self._model, data, len(data), kind, maddr, size, C.byref(needed),
                                                  C.byref(g))
                if st != _ERR_MEMORY_TOO_SMALL or needed.value <= size:
                    break
                size = needed.value + 8
            _check(st, "grammar")
            self._grammar = (mem, g)

    def _new(self):
        arena, addr = _aligned(self.arena_bytes, 16)
        h = _P()
        _check(_lib.earshot_recognizer_create(self._model, C.byref(self._cfg), addr, self.arena_bytes, C.byref(h)),
               "earshot_recognizer_create")
        if self._grammar:
            _check(_lib.earshot_set_grammar(h, self._grammar[1]), "earshot_set_grammar")
        return arena, h

    def stream(self) -> "Stream":
        """A new stream: push() chunks of 16 kHz int16 samples, then finish()."""
        return Stream(self)

    def transcribe(self, audio) -> Result:
        """A file path (any format libsndfile reads; resampled to the model's rate) or samples at the
        model's rate (int16, or float in [-1, 1]) -> the Result `earshot transcribe --json` gives."""
        s = self.stream()
        if isinstance(audio, (str, os.PathLike)):  # block by block: a long file costs what a short one does
            for block in _audio_blocks(os.fspath(audio), self.sample_rate):
                s.push(block)
        else:
            s.push(audio)
        return s.finish()


def round_half_away(x: float) -> float:
    """std::lround's rounding (halves away from zero), which the CLI uses for --reject."""
    return float(int(x + 0.5)) if x >= 0 else -float(int(-x + 0.5))


class Stream:
    """One stream of utterances on its own arena (earshot_push_some / earshot_next_utterance)."""

    def __init__(self, rec: Recognizer):
        self._rec = rec
        self._arena, self._h = rec._new()
        self._utts: list[_Utt] = []
        self._samples = 0
        self._compute = 0.0
        self._done = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def push(self, samples) -> list:
        """Feeds samples; returns the Utterances that ended inside them (end token or endpoint silence)."""
        if self._done is not None:
            raise EarshotError(1, "earshot: push after finish(); start a new stream()")
        data, n = _as_int16(samples)
        buf = C.create_string_buffer(data, len(data)) if n else None
        ended = []
        off = 0
        k = C.c_size_t()
        t0 = time.monotonic()
        while off < n:
            _check(_lib.earshot_push_some(self._h, C.addressof(buf) + 2 * off, n - off, C.byref(k)), "earshot_push_some")
            off += k.value
            u = _Utt(self._rec, self._h)
            if not u.is_final:
                continue
            self._utts.append(u)
            if u.segment:
                ended.append(u.utterance())
            _check(_lib.earshot_next_utterance(self._h), "earshot_next_utterance")
        self._compute += time.monotonic() - t0
        self._samples += n
        return ended

    def partial(self) -> str:
        """The current utterance's text so far."""
        return _Utt(self._rec, self._h).text

    def finish(self) -> Result:
        """Ends the input and returns the whole stream's Result (utterances joined with spaces)."""
        if self._done is not None:
            return self._done
        t0 = time.monotonic()
        _check(_lib.earshot_finish(self._h), "earshot_finish")
        self._compute += time.monotonic() - t0
        self._utts.append(_Utt(self._rec, self._h))
        self._done = self._join()
        return self._done

    def _join(self) -> Result:
        """The file's result from its utterances (tools/earshot/recognize.cpp: append, recognize)."""
        rec = self._rec
        res = Result(constrained=rec.constrained, nbest_shown=rec._nbest_shown)
        frames, text = [], ""
        nbest_segments = 0
        for u in self._utts:
            nbest_segments += bool(u.nbest)
            if u.text:
                if text:
                    text += " "
                    frames.append(u.frames[0])
                text += u.text
                frames += u.frames
                res.words += [Word(w, s / 1000.0, e / 1000.0, _conf(c)) for w, s, e, c in u.words]
            if u.segment:
                res.utterances.append(u.utterance())
            res.encoder_frames = u.encoder_frames
        last = self._utts[-1]
        if nbest_segments == 1:
            res.nbest = [Alternative(t, s / 1024.0, _conf(c)) for t, s, c in last.nbest]
        res.text = text
        segs = [u.segment for u in self._utts if u.segment]
        score, count = 0, 0
        any_match = any(not s[1] for s in segs)
        any_rejected = any(s[1] for s in segs)
        for s in segs:
            if not s[1]:
                score += s[4]
                count += s[7] + 1
        score = max(-2 ** 31, score)
        conf = _lib.earshot_confidence_q15(score, count) if count else 0
        if not count:
            for s in segs:
                if s[5] >= conf:
                    score, conf = s[4], s[5]
        res.confidence = _conf(conf)
        res.no_match = any_rejected and not any_match
        res.match = _conf(max([0] + [s[6] for s in segs]))
        info = rec.info
        res.token_times = [f * info.encoder_frame_samples / info.sample_rate_hz for f in frames]
        res.audio_seconds = self._samples / info.sample_rate_hz
        res.compute_seconds = self._compute
        return res
