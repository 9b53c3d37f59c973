#include "pack/convert.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <memory>
#include <set>

#include "kernels/lstm-step/lstm_step.h"
#include "kernels/s8-gemm/s8_gemm.h"
#include "model/schema.h"
#include "pack/image_writer.h"

namespace earshot::pack {
namespace {

using nlohmann::json;

constexpr const char* kCheckpointFormat = "earshot-checkpoint-v1";
constexpr uint32_t kDefaultMaxChars = 200;   // MODEL.md metadata defaults
constexpr uint32_t kDefaultOnsetBack = 2;
constexpr uint32_t kDefaultPrimeMs = 0;  // models trained before priming existed
constexpr double kDefaultInputAbsmax = 4.0;  // s_in = 4/127 without calibration

// ---------------------------------------------------------------- metadata

std::string fmt(const char* f, double v) {
  char b[64];
  std::snprintf(b, sizeof b, f, v);
  return b;
}


json meta_json(const Safetensors& st, const std::string& key, bool required) {
  const auto it = st.metadata.find(key);
  if (it == st.metadata.end()) {
    if (required) throw PackError("checkpoint metadata lacks '" + key + "' (export with tools/train/export.py)");
    return json();
  }
  try {
    return json::parse(it->second);
  } catch (const json::exception& e) {
    throw PackError("checkpoint metadata '" + key + "' is not valid JSON (" + e.what() + ")");
  }
}

uint32_t json_u32(const json& obj, const std::string& where, const char* key, uint32_t lo, uint32_t hi,
                  const uint32_t* fallback = nullptr) {
  if (!obj.contains(key)) {
    if (fallback) return *fallback;
    throw PackError(where + " lacks '" + key + "'");
  }
  const json& v = obj[key];
  // Python writes 40 or 40.0; accept a float only if it is an integer.
  double d;
  if (v.is_number_integer() || v.is_number_unsigned()) d = static_cast<double>(v.get<int64_t>());
  else if (v.is_number_float()) d = v.get<double>();
  else throw PackError(where + " '" + key + "' is not a number");
  if (d != std::floor(d) || d < lo || d > hi)
    throw PackError(where + " '" + key + "' = " + v.dump() + " is outside [" + std::to_string(lo) + ", " +
                    std::to_string(hi) + "]");
  return static_cast<uint32_t>(d);
}

struct Config {
  uint32_t n_mels, stack, enc_hidden, enc_layers, dec_hidden, emb, half_window, max_advance_q8, max_chars, onset_back;
  uint32_t prime_ms;
  uint32_t vocab;  // V
};

Config read_config(const Safetensors& st) {
  const json c = meta_json(st, "config", true);
  if (!c.is_object()) throw PackError("checkpoint metadata 'config' is not a JSON object");
  const std::string w = "checkpoint config";
  Config k{};
  k.n_mels = json_u32(c, w, "n_mels", 1, kMaxMels);
  k.stack = json_u32(c, w, "stack", 1, kMaxStack);
  k.enc_hidden = json_u32(c, w, "enc_hidden", 1, kMaxHidden);
  k.enc_layers = json_u32(c, w, "enc_layers", 1, kMaxEncoderLayers);
  k.dec_hidden = json_u32(c, w, "dec_hidden", 1, kMaxDecHidden);
  k.emb = json_u32(c, w, "emb", 1, kMaxEmbed);
  k.half_window = json_u32(c, w, "att_half_window", 0, kMaxHalfWindow);
  k.max_chars = json_u32(c, w, "max_chars", 1, kMaxCharsLimit, &kDefaultMaxChars);
  k.onset_back = json_u32(c, w, "onset_back", 0, kMaxOnsetBack, &kDefaultOnsetBack);
  k.prime_ms = json_u32(c, w, "prime_ms", 0, kMaxPrimeMs, &kDefaultPrimeMs);
  if (!c.contains("max_advance") || !c["max_advance"].is_number()) throw PackError(w + " lacks a numeric 'max_advance'");
  const double a = c["max_advance"].get<double>() * 256.0;
  if (!(a >= 1.0 && a <= kMaxAdvanceQ8)) throw PackError(w + " 'max_advance' = " + c["max_advance"].dump() + " is outside (0, 64] frames");
  k.max_advance_q8 = static_cast<uint32_t>(std::llround(a));
  return k;
}

FrontendConfig read_frontend(const Safetensors& st, const Config& k) {
  const json f = meta_json(st, "frontend", true);
  if (!f.is_object()) throw PackError("checkpoint metadata 'frontend' is not a JSON object");
  const std::string w = "checkpoint frontend config";
  FrontendConfig fc;
  fc.sample_rate_hz = json_u32(f, w, "sample_rate_hz", 1, 1000000);
  fc.window_samples = static_cast<uint16_t>(json_u32(f, w, "window_samples", 1, 65535));
  fc.hop_samples = static_cast<uint16_t>(json_u32(f, w, "hop_samples", 1, 65535));
  fc.fft_size = static_cast<uint16_t>(json_u32(f, w, "fft_size", 1, 65535));
  fc.num_mels = static_cast<uint16_t>(json_u32(f, w, "num_mels", 1, 65535));
  fc.mel_low_hz = static_cast<uint16_t>(json_u32(f, w, "mel_low_hz", 0, 65535));
  fc.mel_high_hz = static_cast<uint16_t>(json_u32(f, w, "mel_high_hz", 1, 65535));
  if (!f.contains("floor_db_q8") || !f["floor_db_q8"].is_number_integer())
    throw PackError(w + " lacks an integer 'floor_db_q8'");
  const int64_t fl = f["floor_db_q8"].get<int64_t>();
  if (fl < -32768 || fl > 32767) throw PackError(w + " 'floor_db_q8' is outside int16");
  fc.floor_db_q8 = static_cast<int16_t>(fl);
  Error err;
  if (validate(fc, err) != EARSHOT_OK) throw PackError(std::string("checkpoint ") + err.message);
  if (fc.num_mels != k.n_mels)
    throw PackError("checkpoint frontend num_mels = " + std::to_string(fc.num_mels) + " but config n_mels = " +
                    std::to_string(k.n_mels));
  return fc;
}

void check_vocab(const Safetensors& st) {
  const json v = meta_json(st, "vocab", true);
  const auto& want = expected_vocab();
  if (!v.is_array()) throw PackError("checkpoint metadata 'vocab' is not a JSON list");
  if (v.size() != want.size())
    throw PackError("checkpoint vocab has " + std::to_string(v.size()) + " tokens, expected " + std::to_string(want.size()) +
                    " (<eos>, space, apostrophe, a-z)");
  for (size_t i = 0; i < want.size(); ++i)
    if (!v[i].is_string() || v[i].get<std::string>() != want[i])
      throw PackError("checkpoint vocab token " + std::to_string(i) + " is " + v[i].dump() + ", expected \"" + want[i] +
                      "\" (<eos>, space, apostrophe, a-z in that order)");
}

// Calibration (export.py --calib-data): a positive finite value, or absent.
double calibration(const Safetensors& st, const char* key, bool& found) {
  found = false;
  const json c = meta_json(st, "calibration", false);
  if (c.is_null()) return 0;
  if (!c.is_object()) throw PackError("checkpoint metadata 'calibration' is not a JSON object");
  if (!c.contains(key)) return 0;
  if (!c[key].is_number() || !(c[key].get<double>() > 0) || !std::isfinite(c[key].get<double>()))
    throw PackError(std::string("checkpoint calibration '") + key + "' = " + c[key].dump() + " is not a positive number");
  found = true;
  return c[key].get<double>();
}

// ---------------------------------------------------------------- tensors

struct Expect {
  std::string name;
  std::vector<uint64_t> shape;
  std::string why;  // how the shape follows from the config
};

std::vector<Expect> expected_tensors(const Config& k) {
  const uint64_t M = k.n_mels, H = k.enc_hidden, Hd = k.dec_hidden, E = k.emb, V = k.vocab;
  std::vector<Expect> e = {{"feat_mean", {M}, "n_mels"}, {"feat_std", {M}, "n_mels"}};
  for (uint32_t l = 0; l < k.enc_layers; ++l) {
    const std::string p = "encoder.lstms." + std::to_string(l) + ".";
    const uint64_t in = l == 0 ? k.stack * M : H;
    const std::string iw = l == 0 ? "stack x n_mels" : "enc_hidden";
    e.push_back({p + "weight_ih_l0", {4 * H, in}, "4 enc_hidden x " + iw});
    e.push_back({p + "weight_hh_l0", {4 * H, H}, "4 enc_hidden x enc_hidden"});
    e.push_back({p + "bias_ih_l0", {4 * H}, "4 enc_hidden"});
    e.push_back({p + "bias_hh_l0", {4 * H}, "4 enc_hidden"});
  }
  const std::vector<Expect> rest = {
      {"ctc_head.weight", {V, H}, "vocab x enc_hidden"},
      {"ctc_head.bias", {V}, "vocab"},
      {"decoder.emb.weight", {V, E}, "vocab x emb"},
      {"decoder.cell.weight_ih", {4 * Hd, E + H}, "4 dec_hidden x (emb + enc_hidden)"},
      {"decoder.cell.weight_hh", {4 * Hd, Hd}, "4 dec_hidden x dec_hidden"},
      {"decoder.cell.bias_ih", {4 * Hd}, "4 dec_hidden"},
      {"decoder.cell.bias_hh", {4 * Hd}, "4 dec_hidden"},
      {"decoder.query.weight", {H, Hd}, "enc_hidden x dec_hidden"},
      {"decoder.advance.weight", {1, Hd}, "1 x dec_hidden"},
      {"decoder.advance.bias", {1}, "1"},
      {"decoder.out.weight", {V, Hd + H}, "vocab x (dec_hidden + enc_hidden)"},
      {"decoder.out.bias", {V}, "vocab"},
  };
  e.insert(e.end(), rest.begin(), rest.end());
  return e;
}

std::string shape_str(const std::vector<uint64_t>& s) {
  StTensor t;
  t.shape = s;
  return t.shape_str();
}

// Presence, shape and dtype of every tensor before any conversion, so the
// first error is the most basic one.
void check_tensors(const Safetensors& st, const std::vector<Expect>& want) {
  std::set<std::string> known;
  for (const auto& w : want) {
    known.insert(w.name);
    const StTensor* t = st.find(w.name);
    if (!t) throw PackError("tensor '" + w.name + "' is missing from the checkpoint");
    if (t->shape != w.shape)
      throw PackError("tensor '" + w.name + "' has shape " + t->shape_str() + ", expected " + shape_str(w.shape) + " (" +
                      w.why + " from the checkpoint config)");
    if (t->dtype != "F32" && t->dtype != "F16" && t->dtype != "BF16" && t->dtype != "F64")
      throw PackError("tensor '" + w.name + "' has dtype " + t->dtype +
                      ", which earshot-pack does not convert (float weights expected: F32, F16, BF16 or F64)");
  }
  for (const auto& t : st.tensors)
    if (!known.count(t.name))
      throw PackError("tensor '" + t.name + "' is not part of model " + kModelArch + " (unexpected in the checkpoint)");
}

struct Mat {
  std::vector<double> v;
  size_t rows = 1, cols = 1;
  double at(size_t r, size_t c) const { return v[r * cols + c]; }
};

Mat load(const Safetensors& st, const std::string& name) {
  const StTensor* t = st.find(name);
  Mat m;
  m.v = st.floats(*t);
  if (t->shape.size() == 2) {
    m.rows = t->shape[0];
    m.cols = t->shape[1];
  } else {
    m.rows = 1;
    m.cols = t->shape[0];
  }
  return m;
}

// ---------------------------------------------------------------- quantization

// Round half away from zero (MODEL.md).
int64_t qround(double v) { return std::llround(v); }

// One int8 matrix quantized per row (MODEL.md: s_w[r] = max|row| / 127, 1 for a
// zero row; w = round(row / s_w); bias = round(b * 128 / s_w); (M, S) from rq(s_w)).
struct Rows {
  int32_t rows = 0, cols = 0;
  std::vector<int8_t> w;  // rows x cols
  std::vector<int32_t> bias, mult, shift;
};

Rows quantize_rows(const std::string& tensor, int32_t rows, int32_t cols, const std::function<void(int32_t, double*)>& row,
                   const std::function<double(int32_t)>& bias, const std::function<double(double)>& rq,
                   QuantStat& stat) {
  Rows q;
  q.rows = rows;
  q.cols = cols;
  q.w.resize(static_cast<size_t>(rows) * cols);
  q.bias.resize(rows);
  q.mult.resize(rows);
  q.shift.resize(rows);
  stat = QuantStat{};
  stat.tensor = tensor;
  stat.rows = rows;
  stat.cols = cols;
  stat.scale_min = INFINITY;
  double sq = 0, sq_abs = 0, sq_w = 0;
  std::vector<double> r(cols);
  for (int32_t o = 0; o < rows; ++o) {
    row(o, r.data());
    double amax = 0;
    for (double x : r) amax = std::max(amax, std::fabs(x));
    const double s = amax > 0 ? amax / 127.0 : 1.0;
    for (int32_t k = 0; k < cols; ++k) {
      const int64_t v = std::clamp<int64_t>(qround(r[k] / s), -127, 127);
      q.w[static_cast<size_t>(o) * cols + k] = static_cast<int8_t>(v);
      const double e = std::fabs(static_cast<double>(v) - r[k] / s);
      stat.max_err = std::max(stat.max_err, e);
      sq += e * e;
      sq_abs += e * e * s * s;
      sq_w += r[k] * r[k];
    }
    const double b = bias(o) * 128.0 / s;
    if (!(std::fabs(b) <= kernels::kS8MaxBias))  // checked before rounding: llround overflows far out
      throw PackError("tensor '" + tensor + "' row " + std::to_string(o) + ": bias quantizes to " + fmt("%.4g", b) +
                      ", beyond +-2^30 (the row's weights are tiny next to its bias)");
    const int64_t bq = qround(b);
    q.bias[o] = static_cast<int32_t>(bq);
    stat.max_bias_err = std::max(stat.max_bias_err, std::fabs(static_cast<double>(bq) - b));
    const Multiplier m = quantize_multiplier(rq(s), "tensor '" + tensor + "' row " + std::to_string(o));
    q.mult[o] = m.mult;
    q.shift[o] = m.shift;
    stat.scale_min = std::min(stat.scale_min, s);
    stat.scale_max = std::max(stat.scale_max, s);
  }
  stat.rms_err = std::sqrt(sq / std::max<double>(1, static_cast<double>(rows) * cols));
  stat.rel_rms = sq_w > 0 ? std::sqrt(sq_abs / sq_w) : 0;
  return q;
}

// Columns [c0, c0 + n) of every row, row-major.
std::vector<int8_t> columns(const Rows& q, int32_t c0, int32_t n) {
  std::vector<int8_t> out(static_cast<size_t>(q.rows) * n);
  for (int32_t o = 0; o < q.rows; ++o)
    std::copy_n(q.w.begin() + static_cast<ptrdiff_t>(o) * q.cols + c0, n, out.begin() + static_cast<ptrdiff_t>(o) * n);
  return out;
}

ImageWriter::Tensor blob_tensor(const std::string& name, int32_t rows, int32_t cols, std::vector<uint8_t> data) {
  ImageWriter::Tensor t;
  t.name = name;
  t.dtype = DType::kUInt8;
  t.dims = {static_cast<uint32_t>(rows), static_cast<uint32_t>(cols)};
  t.layout = kLayoutO16K4;
  t.data = std::move(data);
  return t;
}

ImageWriter::Tensor pack_matrix(const std::string& name, const Rows& q, int32_t cols0) {
  const int32_t cols1 = q.cols - cols0;
  const std::vector<int8_t> w0 = columns(q, 0, cols0), w1 = columns(q, cols0, cols1);
  kernels::S8MatrixSource src;
  src.rows = q.rows;
  src.nseg = cols1 ? 2 : 1;
  src.cols[0] = cols0;
  src.cols[1] = cols1;
  src.w[0] = w0.data();
  src.w[1] = cols1 ? w1.data() : nullptr;
  src.bias = q.bias.data();
  src.mult = q.mult.data();
  src.shift = q.shift.data();
  std::vector<uint8_t> blob(kernels::s8_matrix_packed_size(q.rows, cols0, cols1));
  Error err;
  if (kernels::s8_matrix_pack(src, blob.data(), blob.size(), err) != EARSHOT_OK)
    throw PackError("tensor '" + name + "': " + err.message);
  return blob_tensor(name, q.rows, q.cols, std::move(blob));
}

ImageWriter::Tensor pack_lstm(const std::string& name, const Rows& q, int32_t input) {
  const int32_t hidden = q.rows / 4;
  const std::vector<int8_t> wx = columns(q, 0, input), wh = columns(q, input, hidden);
  kernels::LstmSource src;
  src.input_size = input;
  src.hidden_size = hidden;
  src.wx = wx.data();
  src.wh = wh.data();
  src.bias = q.bias.data();
  src.mult = q.mult.data();
  src.shift = q.shift.data();
  std::vector<uint8_t> blob(kernels::lstm_packed_size(input, hidden));
  Error err;
  if (kernels::lstm_pack(src, blob.data(), blob.size(), err) != EARSHOT_OK)
    throw PackError("tensor '" + name + "': " + err.message);
  return blob_tensor(name, q.rows, q.cols, std::move(blob));
}

// LSTM rows [W_ih[r] * (128 s_x) | W_hh[r]] -> Q12 gates (MODEL.md).
Rows quantize_lstm(const std::string& tensor, const Mat& wih, const Mat& whh, const Mat& bih, const Mat& bhh, double s_x,
                   QuantStat& stat) {
  const int32_t rows = static_cast<int32_t>(wih.rows), in = static_cast<int32_t>(wih.cols),
                hid = static_cast<int32_t>(whh.cols);
  const double fold = 128.0 * s_x;
  return quantize_rows(
      tensor, rows, in + hid,
      [&](int32_t r, double* out) {
        for (int32_t k = 0; k < in; ++k) out[k] = wih.at(r, k) * fold;
        for (int32_t k = 0; k < hid; ++k) out[in + k] = whh.at(r, k);
      },
      [&](int32_t r) { return bih.v[r] + bhh.v[r]; }, [](double s) { return 32.0 * s; }, stat);
}

std::vector<uint8_t> i32_bytes(const std::vector<int32_t>& v) { return to_bytes(v); }

ImageWriter::Tensor int32_tensor(const std::string& name, const std::vector<int32_t>& v) {
  ImageWriter::Tensor t;
  t.name = name;
  t.dtype = DType::kInt32;
  t.dims = {static_cast<uint32_t>(v.size())};
  t.data = i32_bytes(v);
  return t;
}

// The character LM file's tensors, checked as strictly as the model's: a
// PackError names the tensor or key and the problem.
void add_lm(ImageWriter& w, const Safetensors& lm, uint32_t V, PackReport& rep) {
  const auto order_it = lm.metadata.find("lm.order");
  if (order_it == lm.metadata.end()) throw PackError("LM file lacks metadata 'lm.order'");
  uint32_t order = 0;
  try {
    size_t used = 0;
    const unsigned long v = std::stoul(order_it->second, &used);
    if (used != order_it->second.size() || v < 1 || v > kLmMaxOrder) throw std::invalid_argument("range");
    order = static_cast<uint32_t>(v);
  } catch (const std::exception&) {
    throw PackError("LM file metadata 'lm.order' = '" + order_it->second + "' is not an integer in [1, " +
                    std::to_string(kLmMaxOrder) + "]");
  }
  const auto voc = lm.metadata.find("vocab");
  if (voc == lm.metadata.end()) throw PackError("LM file lacks metadata 'vocab'");
  json v;
  try {
    v = json::parse(voc->second);
  } catch (const std::exception&) {
    throw PackError("LM file metadata 'vocab' is not JSON");
  }
  if (v != json(expected_vocab())) throw PackError("LM file vocab " + v.dump() + " is not the model's");
  const StTensor* keys = lm.find("lm.keys");
  const StTensor* logp = lm.find("lm.logp");
  if (!keys) throw PackError("tensor 'lm.keys' is missing from the LM file");
  if (!logp) throw PackError("tensor 'lm.logp' is missing from the LM file");
  if (keys->dtype != "I32" || keys->shape.size() != 1 || keys->shape[0] == 0 || keys->shape[0] > (1u << 24))
    throw PackError("tensor 'lm.keys' is " + keys->dtype + " " + keys->shape_str() + ", expected I32 [K], 1 <= K <= 2^24");
  const uint64_t K = keys->shape[0];
  if (logp->dtype != "U8" || logp->shape != std::vector<uint64_t>{K, V})
    throw PackError("tensor 'lm.logp' is " + logp->dtype + " " + logp->shape_str() + ", expected U8 [" + std::to_string(K) +
                    ", " + std::to_string(V) + "]");
  ImageWriter::Tensor tk;
  tk.name = "lm.keys";
  tk.dtype = DType::kInt32;
  tk.dims = {static_cast<uint32_t>(K)};
  tk.data = lm.raw(*keys);
  ImageWriter::Tensor tp;
  tp.name = "lm.logp";
  tp.dtype = DType::kUInt8;
  tp.dims = {static_cast<uint32_t>(K), V};
  tp.data = lm.raw(*logp);
  // The same table check the runtime applies, before anything is written.
  CharLm c;
  c.keys = reinterpret_cast<const int32_t*>(tk.data.data());  // vector storage is aligned for int32
  c.logp = tp.data.data();
  c.contexts = static_cast<uint32_t>(K);
  c.vocab = V;
  c.order = order;
  char why[160];
  if (!char_lm_valid(c, why, sizeof why)) throw PackError(std::string("LM file: ") + why);
  w.meta_u32("lm.order", order);
  const auto info = lm.metadata.find("lm.info");
  if (info != lm.metadata.end()) w.meta_string("lm.info", info->second.substr(0, 1000));
  w.add_tensor(std::move(tk));
  w.add_tensor(std::move(tp));
  rep.lm_contexts = c.contexts;
  rep.lm_order = order;
}

}  // namespace

const std::vector<std::string>& expected_vocab() {
  static const std::vector<std::string> v = [] {
    std::vector<std::string> t = {"<eos>", " ", "'"};
    for (char c = 'a'; c <= 'z'; ++c) t.emplace_back(1, c);
    return t;
  }();
  return v;
}

Multiplier quantize_multiplier(double r, const std::string& what) {
  if (!std::isfinite(r) || r <= 0)
    throw PackError(what + ": requantization multiplier " + fmt("%g", r) + " is not a positive finite number");
  int e = 0;
  const double m = std::frexp(r, &e);  // r = m 2^e, m in [0.5, 1): r 2^(31-e) = m 2^31 in [2^30, 2^31)
  int64_t shift = 31 - static_cast<int64_t>(e);
  int64_t mult = std::llround(std::ldexp(m, 31));
  if (mult == (int64_t{1} << 31)) {
    mult >>= 1;
    --shift;
  }
  if (shift < kernels::kShiftMin || shift > kernels::kShiftMax)
    throw PackError(what + ": requantization multiplier " + fmt("%g", r) + " needs shift " + std::to_string(shift) +
                    ", outside [1, 62]");
  return {static_cast<int32_t>(mult), static_cast<int32_t>(shift)};
}

std::vector<uint8_t> pack_model(const Safetensors& st, const PackOptions& opt, PackReport* report,
                                const Safetensors* lm) {
  const auto fmt_it = st.metadata.find("format");
  if (fmt_it == st.metadata.end())
    throw PackError("checkpoint metadata lacks 'format' (not exported by tools/train/export.py?)");
  if (fmt_it->second != kCheckpointFormat)
    throw PackError("checkpoint format is '" + fmt_it->second + "', expected '" + kCheckpointFormat + "'");
  Config k = read_config(st);
  const FrontendConfig fc = read_frontend(st, k);
  check_vocab(st);
  k.vocab = static_cast<uint32_t>(expected_vocab().size());
  check_tensors(st, expected_tensors(k));

  PackReport rep;
  const int32_t M = static_cast<int32_t>(k.n_mels), H = static_cast<int32_t>(k.enc_hidden),
                Hd = static_cast<int32_t>(k.dec_hidden), E = static_cast<int32_t>(k.emb), V = static_cast<int32_t>(k.vocab);

  // Scales (MODEL.md "Quantization").
  const double in_absmax = calibration(st, "input_p9999", rep.input_calibrated);
  rep.s_in = (rep.input_calibrated ? in_absmax : kDefaultInputAbsmax) / 127.0;
  const Mat emb = load(st, "decoder.emb.weight");
  double emax = 0;
  for (double v : emb.v) emax = std::max(emax, std::fabs(v));
  rep.s_d = std::max(1.0, emax) / 127.0;
  const Mat wq = load(st, "decoder.query.weight");
  const double q_absmax = calibration(st, "query_absmax", rep.query_calibrated);
  if (rep.query_calibrated) {
    rep.s_q = q_absmax / 127.0;
  } else {
    double bound = 0;  // max_r sum_k |W_q[r][k]|: |q| can not exceed it while |h| <= 1
    for (size_t r = 0; r < wq.rows; ++r) {
      double s = 0;
      for (size_t c = 0; c < wq.cols; ++c) s += std::fabs(wq.at(r, c));
      bound = std::max(bound, s);
    }
    rep.s_q = bound > 0 ? bound / 127.0 : 1.0 / 127.0;  // an all-zero query: any scale works
  }

  ImageWriter w;
  w.meta_string("model.arch", kModelArch);
  w.meta_string("model.name", opt.name);
  {
    std::string v;
    for (const auto& t : expected_vocab()) v += (v.empty() ? "" : "\n") + t;
    w.meta_string("vocab", v);
  }
  w.meta_u32("frontend.sample_rate_hz", fc.sample_rate_hz);
  w.meta_u32("frontend.window_samples", fc.window_samples);
  w.meta_u32("frontend.hop_samples", fc.hop_samples);
  w.meta_u32("frontend.fft_size", fc.fft_size);
  w.meta_u32("frontend.num_mels", fc.num_mels);
  w.meta_u32("frontend.mel_low_hz", fc.mel_low_hz);
  w.meta_u32("frontend.mel_high_hz", fc.mel_high_hz);
  w.meta_i32("frontend.floor_db_q8", fc.floor_db_q8);
  w.meta_u32("encoder.stack", k.stack);
  w.meta_u32("encoder.layers", k.enc_layers);
  w.meta_u32("encoder.hidden", k.enc_hidden);
  // Only when set: images of unprimed models stay as they were, byte for byte.
  if (k.prime_ms) w.meta_u32("encoder.prime_ms", k.prime_ms);
  w.meta_u32("decoder.hidden", k.dec_hidden);
  w.meta_u32("decoder.embed", k.emb);
  w.meta_u32("decoder.half_window", k.half_window);
  w.meta_u32("decoder.max_advance_q8", k.max_advance_q8);
  w.meta_u32("decoder.max_chars", k.max_chars);
  w.meta_u32("decoder.onset_back", k.onset_back);
  {
    // Informational only (the runtime never reads it): where the image came from.
    std::string info = "scales s_in " + fmt("%.6g", rep.s_in) + (rep.input_calibrated ? " (calibrated)" : " (default 4/127)") +
                       ", s_d " + fmt("%.6g", rep.s_d) + ", s_q " + fmt("%.6g", rep.s_q) +
                       (rep.query_calibrated ? " (calibrated)" : " (weight bound)");
    const auto step = st.metadata.find("step");
    if (step != st.metadata.end()) info = "checkpoint step " + step->second + "; " + info;
    w.meta_string("pack.info", info);
  }

  // Input normalisation: x8 = requant_s8(f - mean_q8; mult, shift) = (f/256 - mean) / (std s_in).
  {
    const Mat mean = load(st, "feat_mean"), sd = load(st, "feat_std");
    std::vector<int32_t> mq(M), mult(M), shift(M);
    for (int32_t m = 0; m < M; ++m) {
      if (!(std::fabs(mean.v[m]) <= 32768.0))
        throw PackError("tensor 'feat_mean' band " + std::to_string(m) + ": mean " + fmt("%g", mean.v[m]) +
                        " dB is implausible");
      mq[m] = static_cast<int32_t>(qround(256.0 * mean.v[m]));
      if (!(sd.v[m] > 0))
        throw PackError("tensor 'feat_std' band " + std::to_string(m) + ": standard deviation " + fmt("%g", sd.v[m]) +
                        " is not positive");
      const Multiplier r = quantize_multiplier(1.0 / (256.0 * sd.v[m] * rep.s_in), "tensor 'feat_std' band " + std::to_string(m));
      mult[m] = r.mult;
      shift[m] = r.shift;
    }
    w.add_tensor(int32_tensor("input.mean_q8", mq));
    w.add_tensor(int32_tensor("input.mult", mult));
    w.add_tensor(int32_tensor("input.shift", shift));
  }

  QuantStat stat;
  auto record = [&](const QuantStat& s) {
    rep.stats.push_back(s);
    rep.int8_weights += static_cast<uint64_t>(s.rows) * s.cols;
  };
  for (uint32_t l = 0; l < k.enc_layers; ++l) {
    const std::string p = "encoder.lstms." + std::to_string(l) + ".", name = "enc." + std::to_string(l) + ".lstm";
    const Mat wih = load(st, p + "weight_ih_l0"), whh = load(st, p + "weight_hh_l0"), bih = load(st, p + "bias_ih_l0"),
              bhh = load(st, p + "bias_hh_l0");
    const Rows q = quantize_lstm(name, wih, whh, bih, bhh, l == 0 ? rep.s_in : 1.0 / 128.0, stat);
    w.add_tensor(pack_lstm(name, q, static_cast<int32_t>(wih.cols)));
    record(stat);
  }
  {
    const Mat cw = load(st, "ctc_head.weight"), cb = load(st, "ctc_head.bias");
    const Rows q = quantize_rows(
        "ctc.proj", V, H, [&](int32_t r, double* o) { for (int32_t c = 0; c < H; ++c) o[c] = cw.at(r, c); },
        [&](int32_t r) { return cb.v[r]; }, [](double s) { return 8.0 * s; }, stat);
    w.add_tensor(pack_matrix("ctc.proj", q, H));
    record(stat);
  }
  {
    std::vector<int8_t> e(static_cast<size_t>(V) * E);
    QuantStat es;
    es.tensor = "dec.embed";
    es.rows = V;
    es.cols = E;
    es.scale_min = es.scale_max = rep.s_d;
    double sq = 0, sw = 0;
    for (size_t i = 0; i < e.size(); ++i) {
      const int64_t v = std::clamp<int64_t>(qround(emb.v[i] / rep.s_d), -127, 127);
      e[i] = static_cast<int8_t>(v);
      const double err = std::fabs(static_cast<double>(v) - emb.v[i] / rep.s_d);
      es.max_err = std::max(es.max_err, err);
      sq += err * err;
      sw += emb.v[i] * emb.v[i];
    }
    es.rms_err = std::sqrt(sq / static_cast<double>(e.size()));
    es.rel_rms = sw > 0 ? std::sqrt(sq / sw) * rep.s_d : 0;
    ImageWriter::Tensor t;
    t.name = "dec.embed";
    t.dtype = DType::kInt8;
    t.dims = {static_cast<uint32_t>(V), static_cast<uint32_t>(E)};
    t.data = to_bytes(e);
    t.scale = static_cast<float>(rep.s_d);
    w.add_tensor(std::move(t));
    record(es);
  }
  {
    const Mat wih = load(st, "decoder.cell.weight_ih"), whh = load(st, "decoder.cell.weight_hh"),
              bih = load(st, "decoder.cell.bias_ih"), bhh = load(st, "decoder.cell.bias_hh");
    const Rows q = quantize_lstm("dec.lstm", wih, whh, bih, bhh, rep.s_d, stat);
    w.add_tensor(pack_lstm("dec.lstm", q, E + H));
    record(stat);
  }
  {
    const Mat aw = load(st, "decoder.advance.weight"), ab = load(st, "decoder.advance.bias");
    const Rows q = quantize_rows(
        "dec.advance", 1, Hd, [&](int32_t, double* o) { for (int32_t c = 0; c < Hd; ++c) o[c] = aw.at(0, c); },
        [&](int32_t) { return ab.v[0]; }, [](double s) { return 32.0 * s; }, stat);
    w.add_tensor(pack_matrix("dec.advance", q, Hd));
    record(stat);
  }
  {
    const double s_q = rep.s_q;
    const Rows q = quantize_rows(
        "dec.query", H, Hd, [&](int32_t r, double* o) { for (int32_t c = 0; c < Hd; ++c) o[c] = wq.at(r, c); },
        [](int32_t) { return 0.0; }, [s_q](double s) { return s / (128.0 * s_q); }, stat);
    w.add_tensor(pack_matrix("dec.query", q, Hd));
    record(stat);
  }
  {
    const Multiplier sc = quantize_multiplier(8.0 * rep.s_q / std::sqrt(static_cast<double>(H)), "tensor 'dec.attn' score");
    const Multiplier cx = quantize_multiplier(1.0 / (32768.0 * 128.0 * rep.s_d), "tensor 'dec.attn' context");
    w.add_tensor(int32_tensor("dec.attn", {sc.mult, sc.shift, cx.mult, cx.shift}));
  }
  {
    const Mat ow = load(st, "decoder.out.weight"), ob = load(st, "decoder.out.bias");
    const double fold = 128.0 * rep.s_d;  // ctx8 is on the decoder-input grid s_d
    const Rows q = quantize_rows(
        "dec.out", V, Hd + H,
        [&](int32_t r, double* o) {
          for (int32_t c = 0; c < Hd; ++c) o[c] = ow.at(r, c);
          for (int32_t c = 0; c < H; ++c) o[Hd + c] = ow.at(r, Hd + c) * fold;
        },
        [&](int32_t r) { return ob.v[r]; }, [](double s) { return 8.0 * s; }, stat);
    w.add_tensor(pack_matrix("dec.out", q, Hd));
    record(stat);
  }

  if (lm) add_lm(w, *lm, static_cast<uint32_t>(V), rep);
  std::vector<uint8_t> image = w.finish();
  // The image must pass the same schema check the runtime applies.
  AlignedBytes ab(image);
  ModelImage img;
  Error err;
  if (img.open(ab.span(), err) != EARSHOT_OK) throw PackError(std::string("internal: built image fails: ") + err.message);
  ModelHparams hp;
  ModelTensors mt;
  if (model_schema_open(img, hp, mt, err) != EARSHOT_OK)
    throw PackError(std::string("internal: built image fails the schema: ") + err.message);
  if (report) *report = std::move(rep);
  return image;
}

PackReport pack_file(const std::string& in, const std::string& out, const PackOptions& opt) {
  const Safetensors st = Safetensors::load(in);
  PackReport rep;
  std::unique_ptr<Safetensors> lm;
  if (!opt.lm.empty()) lm = std::make_unique<Safetensors>(Safetensors::load(opt.lm));
  const std::vector<uint8_t> image = pack_model(st, opt, &rep, lm.get());
  write_file_atomic(out, image);
  rep.image_bytes = image.size();
  return rep;
}

void write_file_atomic(const std::string& path, const std::vector<uint8_t>& bytes) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) throw PackError("cannot create " + tmp);
    f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    f.flush();
    if (!f) {
      f.close();
      std::remove(tmp.c_str());
      throw PackError("cannot write " + tmp);
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw PackError("cannot rename " + tmp + " to " + path);
  }
}

}  // namespace earshot::pack
