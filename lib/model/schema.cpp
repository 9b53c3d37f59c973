#include "model/schema.h"

#include <cstdarg>
#include <cstdio>
#include <cstring>

namespace earshot {
namespace {

using kernels::S8Matrix;

__attribute__((format(printf, 2, 3))) earshot_status bad(Error& err, const char* fmt, ...) {
  char msg[176];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return err.set(EARSHOT_ERR_BAD_MODEL, "model: %s", msg);
}

// A u32 hyperparameter in [lo, hi].
bool get_u32_in(const ModelImage& img, const char* key, uint32_t lo, uint32_t hi, uint32_t& out, Error& err) {
  if (!img.get_u32(key, out, err)) {
    bad(err, "metadata '%s' is missing or not a u32", key);
    return false;
  }
  if (out < lo || out > hi) {
    bad(err, "metadata '%s' = %u is outside [%u, %u]", key, out, lo, hi);
    return false;
  }
  return true;
}

// Finds `name` and checks dtype, layout and logical dims (ndim = count of dims given).
bool find_checked(const ModelImage& img, const char* name, DType dtype, uint16_t layout, uint32_t d0, uint32_t d1,
                  TensorView& t, Error& err) {
  if (!img.find_tensor(name, t)) {
    bad(err, "tensor '%s' is missing", name);
    return false;
  }
  if (t.dtype != dtype || t.layout != layout) {
    bad(err, "tensor '%s' is %s layout %u, expected %s layout %u", name, dtype_name(t.dtype), t.layout,
        dtype_name(dtype), layout);
    return false;
  }
  const int ndim = d1 ? 2 : 1;
  if (t.ndim != ndim || t.dims[0] != d0 || (d1 && t.dims[1] != d1)) {
    if (d1)
      bad(err, "tensor '%s' has shape %ux%u (ndim %u), expected %ux%u", name, t.dims[0], t.dims[1], t.ndim, d0, d1);
    else
      bad(err, "tensor '%s' has shape %u (ndim %u), expected %u", name, t.dims[0], t.ndim, d0);
    return false;
  }
  return true;
}

// A packed matrix blob with `rows` rows and segments [c0] or [c0, c1].
bool blob(const ModelImage& img, const char* name, int32_t rows, int32_t c0, int32_t c1, S8Matrix& m, Error& err) {
  TensorView t;
  if (!find_checked(img, name, DType::kUInt8, kLayoutO16K4, static_cast<uint32_t>(rows), static_cast<uint32_t>(c0 + c1),
                    t, err))
    return false;
  if (kernels::s8_matrix_view(t.data, t.bytes, &m, err) != EARSHOT_OK) {
    char inner[sizeof err.message];
    std::memcpy(inner, err.message, sizeof inner);
    bad(err, "tensor '%s': %s", name, inner);
    return false;
  }
  const int32_t nseg = c1 ? 2 : 1;
  if (m.rows != rows || m.nseg != nseg || m.cols[0] != c0 || m.cols[1] != c1) {
    bad(err, "tensor '%s' blob holds %d rows, segments %d+%d; expected %d rows, segments %d+%d", name, m.rows, m.cols[0],
        m.cols[1], rows, c0, c1);
    return false;
  }
  return true;
}

bool int32_vec(const ModelImage& img, const char* name, uint32_t n, const int32_t*& out, Error& err) {
  TensorView t;
  if (!find_checked(img, name, DType::kInt32, 0, n, 0, t, err)) return false;
  out = reinterpret_cast<const int32_t*>(t.data);  // 64-byte aligned in a 16-byte aligned image
  return true;
}

bool parse_vocab(std::string_view v, ModelHparams& hp, Error& err) {
  uint32_t n = 0;
  size_t pos = 0;
  while (true) {
    const size_t nl = v.find('\n', pos);
    const std::string_view tok = v.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    if (n >= static_cast<uint32_t>(kMaxVocab)) return bad(err, "vocab has more than %d tokens", kMaxVocab), false;
    if (n == 0) {
      if (tok != "<eos>") return bad(err, "vocab token 0 is '%.*s', expected '<eos>'", static_cast<int>(tok.size()), tok.data()), false;
      hp.vocab_chars[0] = 0;
    } else {
      if (tok.size() != 1 || tok[0] < 0x20 || tok[0] > 0x7E)
        return bad(err, "vocab token %u is not a single printable character", n), false;
      for (uint32_t j = 1; j < n; ++j)
        if (hp.vocab_chars[j] == tok[0]) return bad(err, "vocab token %u ('%c') repeats token %u", n, tok[0], j), false;
      hp.vocab_chars[n] = tok[0];
    }
    ++n;
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  if (n < 2) return bad(err, "vocab has %u tokens (at least <eos> and one character)", n), false;
  hp.vocab_size = n;
  hp.vocab = v;
  return true;
}

bool read_frontend(const ModelImage& img, FrontendConfig& fc, Error& err) {
  struct Field {
    const char* key;
    uint32_t hi;
  };
  uint32_t v[7];
  const Field f[7] = {{"frontend.sample_rate_hz", 1000000}, {"frontend.window_samples", 65535},
                      {"frontend.hop_samples", 65535},      {"frontend.fft_size", 65535},
                      {"frontend.num_mels", 65535},         {"frontend.mel_low_hz", 65535},
                      {"frontend.mel_high_hz", 65535}};
  for (int i = 0; i < 7; ++i)
    if (!get_u32_in(img, f[i].key, 0, f[i].hi, v[i], err)) return false;
  int32_t floor_db;
  if (!img.get_i32("frontend.floor_db_q8", floor_db, err))
    return bad(err, "metadata 'frontend.floor_db_q8' is missing or not an i32"), false;
  if (floor_db < -32768 || floor_db > 32767)
    return bad(err, "metadata 'frontend.floor_db_q8' = %d is outside int16", floor_db), false;
  fc.sample_rate_hz = v[0];
  fc.window_samples = static_cast<uint16_t>(v[1]);
  fc.hop_samples = static_cast<uint16_t>(v[2]);
  fc.fft_size = static_cast<uint16_t>(v[3]);
  fc.num_mels = static_cast<uint16_t>(v[4]);
  fc.mel_low_hz = static_cast<uint16_t>(v[5]);
  fc.mel_high_hz = static_cast<uint16_t>(v[6]);
  fc.floor_db_q8 = static_cast<int16_t>(floor_db);
  if (validate(fc, err) != EARSHOT_OK) {
    char inner[sizeof err.message];
    std::memcpy(inner, err.message, sizeof inner);
    return bad(err, "%s", inner), false;
  }
  return true;
}

}  // namespace

earshot_status model_schema_open(const ModelImage& img, ModelHparams& hp, ModelTensors& t, Error& err) {
  hp = ModelHparams{};
  t = ModelTensors{};
  std::string_view s;
  if (!img.get_string("model.arch", s, err)) return bad(err, "metadata 'model.arch' is missing or not a string");
  if (s != kModelArch)
    return bad(err, "model.arch is '%.*s'; this runtime runs '%s'", static_cast<int>(s.size() > 64 ? 64 : s.size()),
               s.data(), kModelArch);
  if (!img.get_string("model.name", hp.name, err)) return bad(err, "metadata 'model.name' is missing or not a string");
  if (!img.get_string("vocab", s, err)) return bad(err, "metadata 'vocab' is missing or not a string");
  if (!parse_vocab(s, hp, err)) return err.status;
  if (!read_frontend(img, hp.frontend, err)) return err.status;
  hp.n_mels = hp.frontend.num_mels;

  if (!get_u32_in(img, "encoder.stack", 1, kMaxStack, hp.stack, err) ||
      !get_u32_in(img, "encoder.layers", 1, kMaxEncoderLayers, hp.enc_layers, err) ||
      !get_u32_in(img, "encoder.hidden", 1, kMaxHidden, hp.enc_hidden, err) ||
      !get_u32_in(img, "decoder.hidden", 1, kMaxDecHidden, hp.dec_hidden, err) ||
      !get_u32_in(img, "decoder.embed", 1, kMaxEmbed, hp.dec_embed, err) ||
      !get_u32_in(img, "decoder.half_window", 0, kMaxHalfWindow, hp.half_window, err) ||
      !get_u32_in(img, "decoder.max_advance_q8", 1, kMaxAdvanceQ8, hp.max_advance_q8, err) ||
      !get_u32_in(img, "decoder.max_chars", 1, kMaxCharsLimit, hp.max_chars, err) ||
      !get_u32_in(img, "decoder.onset_back", 0, kMaxOnsetBack, hp.onset_back, err))
    return err.status;
  MetaView prime;
  hp.prime_ms = 0;  // absent: the model was trained without priming
  if (img.find_meta("encoder.prime_ms", prime) && !get_u32_in(img, "encoder.prime_ms", 1, kMaxPrimeMs, hp.prime_ms, err))
    return err.status;
  if (hp.stack * hp.n_mels > static_cast<uint32_t>(kernels::kS8MaxCols) - hp.enc_hidden)
    return bad(err, "encoder input stack x n_mels = %u is too wide for the kernels", hp.stack * hp.n_mels);

  const uint32_t M = hp.n_mels, H = hp.enc_hidden, Hd = hp.dec_hidden, E = hp.dec_embed, V = hp.vocab_size;
  if (!int32_vec(img, "input.mean_q8", M, t.input_mean_q8, err) || !int32_vec(img, "input.mult", M, t.input_mult, err) ||
      !int32_vec(img, "input.shift", M, t.input_shift, err))
    return err.status;
  for (uint32_t m = 0; m < M; ++m)
    if (t.input_mult[m] < 0 || t.input_shift[m] < kernels::kShiftMin || t.input_shift[m] > kernels::kShiftMax)
      return bad(err, "tensor 'input.mult'/'input.shift' band %u: mult %d shift %d outside the requantization contract", m,
                 t.input_mult[m], t.input_shift[m]);
  for (uint32_t m = 0; m < M; ++m)  // features are int16: a mean outside that range would overflow `f - mean`
    if (t.input_mean_q8[m] < INT16_MIN || t.input_mean_q8[m] > INT16_MAX)
      return bad(err, "tensor 'input.mean_q8' band %u: %d is outside the int16 feature range", m, t.input_mean_q8[m]);

  for (uint32_t l = 0; l < hp.enc_layers; ++l) {
    char name[32];
    std::snprintf(name, sizeof name, "enc.%u.lstm", l);
    const int32_t in = static_cast<int32_t>(l == 0 ? hp.stack * M : H);
    if (!blob(img, name, static_cast<int32_t>(4 * H), in, static_cast<int32_t>(H), t.enc[l].gates, err)) return err.status;
    t.enc[l].input_size = in;
    t.enc[l].hidden_size = static_cast<int32_t>(H);
  }
  const auto i32 = [](uint32_t v) { return static_cast<int32_t>(v); };
  if (!blob(img, "ctc.proj", i32(V), i32(H), 0, t.ctc, err)) return err.status;
  TensorView emb;
  if (!find_checked(img, "dec.embed", DType::kInt8, 0, V, E, emb, err)) return err.status;
  t.dec_embed = reinterpret_cast<const int8_t*>(emb.data);
  if (!blob(img, "dec.lstm", i32(4 * Hd), i32(E + H), i32(Hd), t.dec_lstm.gates, err)) return err.status;
  t.dec_lstm.input_size = i32(E + H);
  t.dec_lstm.hidden_size = i32(Hd);
  if (!blob(img, "dec.advance", 1, i32(Hd), 0, t.dec_advance, err) ||
      !blob(img, "dec.query", i32(H), i32(Hd), 0, t.dec_query, err) ||
      !blob(img, "dec.out", i32(V), i32(Hd), i32(H), t.dec_out, err))
    return err.status;

  const int32_t* attn = nullptr;
  if (!int32_vec(img, "dec.attn", 4, attn, err)) return err.status;
  t.attn.frames = i32(2 * hp.half_window + 1);
  t.attn.dim = t.attn.value_dim = i32(H);
  t.attn.score_mult = attn[0];
  t.attn.score_shift = attn[1];
  t.attn.ctx_mult = attn[2];
  t.attn.ctx_shift = attn[3];
  if (!kernels::attn_params_ok(t.attn))
    return bad(err, "tensor 'dec.attn' = {%d, %d, %d, %d} is outside the attention kernel's contract", attn[0], attn[1],
               attn[2], attn[3]);

  // The optional character LM (MODEL.md "Character LM"): all of it or none.
  MetaView lm_meta;
  if (img.find_meta("lm.order", lm_meta)) {
    if (!get_u32_in(img, "lm.order", 1, kLmMaxOrder, t.lm.order, err)) return err.status;
    TensorView keys, logp;
    if (!img.find_tensor("lm.keys", keys)) return bad(err, "tensor 'lm.keys' is missing (metadata lm.order is set)");
    if (!find_checked(img, "lm.keys", DType::kInt32, 0, keys.dims[0], 0, keys, err) ||
        !find_checked(img, "lm.logp", DType::kUInt8, 0, keys.dims[0], V, logp, err))
      return err.status;
    t.lm.keys = reinterpret_cast<const int32_t*>(keys.data);
    t.lm.logp = logp.data;
    t.lm.contexts = keys.dims[0];
    t.lm.vocab = V;
    char why[120];
    if (!char_lm_valid(t.lm, why, sizeof why)) return bad(err, "%s", why);
  } else {
    TensorView stray;
    for (const char* name : {"lm.keys", "lm.logp"})
      if (img.find_tensor(name, stray)) return bad(err, "tensor '%s' is present but metadata 'lm.order' is not", name);
  }
  err.clear();
  return EARSHOT_OK;
}

}  // namespace earshot
