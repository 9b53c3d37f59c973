#include "random_image.h"

#include <cmath>
#include <stdexcept>

#include "kernels/lstm-step/lstm_step.h"
#include "kernels/s8-gemm/s8_gemm.h"
#include "model/schema.h"

namespace earshot::test {
namespace {

// splitmix64: small, and the same sequence on every target.
struct Rng {
  uint64_t s;
  uint64_t next() {
    uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  int32_t uniform(int32_t lo, int32_t hi) { return lo + static_cast<int32_t>(next() % uint64_t(hi - lo + 1)); }
  double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }  // [0, 1)
};

// MODEL.md quantize_multiplier: S with r * 2^S in [2^30, 2^31), M = round(r * 2^S).
void quantize_multiplier(double r, int32_t& mult, int32_t& shift) {
  int e = 0;
  std::frexp(r, &e);  // r = f * 2^e, f in [0.5, 1)
  shift = 31 - e;
  auto m = static_cast<int64_t>(std::llround(std::ldexp(r, shift)));
  if (m == (int64_t{1} << 31)) { m /= 2; --shift; }
  if (r <= 0 || shift < 1 || shift > 62) throw std::runtime_error("random model: multiplier out of range");
  mult = static_cast<int32_t>(m);
}

constexpr double kWeightRms = 73.3;  // uniform int8 in [-127, 127]: 127 / sqrt(3)

// The multiplier that maps an accumulator of `fan_in` uniform weights times
// inputs of RMS `x_rms` to outputs of standard deviation `target`.
double fan_in_scale(int32_t fan_in, double x_rms, double target) {
  return target / (std::sqrt(static_cast<double>(fan_in)) * kWeightRms * x_rms);
}

struct Matrix {
  int32_t rows = 0, cols[2] = {0, 0};
  std::vector<int8_t> w[2];
  std::vector<int32_t> bias, mult, shift;
};

// Random weights, one multiplier `r` for every row, biases given in output
// units (converted to accumulator units through r).
Matrix random_matrix(Rng& rng, int32_t rows, int32_t c0, int32_t c1, double r, const std::vector<double>& bias_out) {
  Matrix m;
  m.rows = rows;
  m.cols[0] = c0;
  m.cols[1] = c1;
  for (int s = 0; s < 2; ++s) {
    m.w[s].resize(size_t(rows) * m.cols[s]);
    for (auto& v : m.w[s]) v = static_cast<int8_t>(rng.uniform(-127, 127));
  }
  int32_t mult, shift;
  quantize_multiplier(r, mult, shift);
  m.mult.assign(rows, mult);
  m.shift.assign(rows, shift);
  m.bias.resize(rows);
  for (int32_t o = 0; o < rows; ++o) {
    const double b = std::round(bias_out[o] / r);
    m.bias[o] = static_cast<int32_t>(std::fmax(-(1 << 30), std::fmin(1 << 30, b)));
  }
  return m;
}

ImageWriter::Tensor blob_tensor(const std::string& name, const Matrix& m, bool lstm) {
  ImageWriter::Tensor t;
  t.name = name;
  t.dtype = DType::kUInt8;
  t.layout = kLayoutO16K4;
  t.dims = {static_cast<uint32_t>(m.rows), static_cast<uint32_t>(m.cols[0] + m.cols[1])};
  Error err;
  earshot_status st;
  if (lstm) {
    t.data.resize(kernels::lstm_packed_size(m.cols[0], m.cols[1]));
    kernels::LstmSource src;
    src.input_size = m.cols[0];
    src.hidden_size = m.cols[1];
    src.wx = m.w[0].data();
    src.wh = m.w[1].data();
    src.bias = m.bias.data();
    src.mult = m.mult.data();
    src.shift = m.shift.data();
    st = kernels::lstm_pack(src, t.data.data(), t.data.size(), err);
  } else {
    t.data.resize(kernels::s8_matrix_packed_size(m.rows, m.cols[0], m.cols[1]));
    kernels::S8MatrixSource src;
    src.rows = m.rows;
    src.nseg = m.cols[1] ? 2 : 1;
    src.cols[0] = m.cols[0];
    src.cols[1] = m.cols[1];
    src.w[0] = m.w[0].data();
    src.w[1] = m.cols[1] ? m.w[1].data() : nullptr;
    src.bias = m.bias.data();
    src.mult = m.mult.data();
    src.shift = m.shift.data();
    st = kernels::s8_matrix_pack(src, t.data.data(), t.data.size(), err);
  }
  if (st != EARSHOT_OK) throw std::runtime_error("random model: " + name + ": " + err.message);
  return t;
}

template <typename T>
ImageWriter::Tensor plain(const std::string& name, DType dt, std::vector<uint32_t> dims, const std::vector<T>& v) {
  ImageWriter::Tensor t;
  t.name = name;
  t.dtype = dt;
  t.dims = std::move(dims);
  t.data = to_bytes(v);
  return t;
}

std::string vocab_string() {
  std::string v = "<eos>\n \n'";
  for (char c = 'a'; c <= 'z'; ++c) v += std::string("\n") + c;
  return v;
}

}  // namespace

RandomModelSpec RandomModelSpec::tiny() { return RandomModelSpec{}; }

RandomModelSpec RandomModelSpec::target() {
  RandomModelSpec s;
  s.name = "random-1m";
  s.layers = 3;
  s.hidden = 192;
  s.dec_hidden = 192;
  s.embed = 32;
  return s;
}

uint64_t parameter_count(const RandomModelSpec& s) {
  const uint64_t H = s.hidden, Hd = s.dec_hidden, E = s.embed, V = 29, M = s.n_mels;
  uint64_t n = 0;
  for (uint32_t l = 0; l < s.layers; ++l) n += 4 * H * ((l ? H : s.stack * M) + H + 1);
  n += V * (H + 1);                 // ctc
  n += V * E;                       // embed
  n += 4 * Hd * (E + H + Hd + 1);   // decoder LSTM
  n += Hd + 1 + H * Hd;             // advance, query
  n += V * (Hd + H + 1);            // out
  return n;
}

ImageWriter::Tensor random_blob(const std::string& name, int32_t rows, int32_t c0, int32_t c1, uint64_t seed) {
  Rng rng{seed};
  return blob_tensor(name, random_matrix(rng, rows, c0, c1, fan_in_scale(c0 + c1, 40, 2048), std::vector<double>(rows)),
                     false);
}

ImageParts random_model_parts(const RandomModelSpec& s) {
  Rng rng{s.seed * 0x2545F4914F6CDD1Dull + 7};
  ImageParts p;
  p.set_string("model.arch", s.arch);
  p.set_string("model.name", s.name);
  p.set_string("vocab", vocab_string());
  const uint32_t V = 29;
  const FrontendConfig fc;
  p.set_u32("frontend.sample_rate_hz", fc.sample_rate_hz);
  p.set_u32("frontend.window_samples", fc.window_samples);
  p.set_u32("frontend.hop_samples", fc.hop_samples);
  p.set_u32("frontend.fft_size", fc.fft_size);
  p.set_u32("frontend.num_mels", s.n_mels);
  p.set_u32("frontend.mel_low_hz", fc.mel_low_hz);
  p.set_u32("frontend.mel_high_hz", fc.mel_high_hz);
  {
    ImageParts::Meta m{MetaType::kI32, "frontend.floor_db_q8", {}};
    const int32_t v = fc.floor_db_q8;
    m.value = to_bytes(std::vector<int32_t>{v});
    p.meta.push_back(m);
  }
  p.set_u32("encoder.stack", s.stack);
  p.set_u32("encoder.layers", s.layers);
  p.set_u32("encoder.hidden", s.hidden);
  p.set_u32("decoder.hidden", s.dec_hidden);
  p.set_u32("decoder.embed", s.embed);
  p.set_u32("decoder.half_window", s.half_window);
  p.set_u32("decoder.max_advance_q8", s.max_advance_q8);
  p.set_u32("decoder.max_chars", s.max_chars);
  p.set_u32("decoder.onset_back", s.onset_back);
  if (s.prime_ms) p.set_u32("encoder.prime_ms", s.prime_ms);

  // Input: speech features are about 15 +- 28 dB (tests/golden/speech.feat);
  // normalised values on the grid s_in = 4/127 (MODEL.md's default).
  const auto M = static_cast<int32_t>(s.n_mels), H = static_cast<int32_t>(s.hidden),
             Hd = static_cast<int32_t>(s.dec_hidden), E = static_cast<int32_t>(s.embed);
  std::vector<int32_t> mean(M), mult(M), shift(M);
  for (int32_t m = 0; m < M; ++m) {
    mean[m] = static_cast<int32_t>(256 * (15 + rng.uniform(-3, 3)));
    quantize_multiplier(1.0 / (256.0 * (28 + rng.uniform(-3, 3)) * (4.0 / 127)), mult[m], shift[m]);
  }
  p.tensors.push_back(plain("input.mean_q8", DType::kInt32, {static_cast<uint32_t>(M)}, mean));
  p.tensors.push_back(plain("input.mult", DType::kInt32, {static_cast<uint32_t>(M)}, mult));
  p.tensors.push_back(plain("input.shift", DType::kInt32, {static_cast<uint32_t>(M)}, shift));

  // LSTM gates: Q12 pre-activations of deviation ~2; forget gates biased open
  // (+1) so the cell keeps some memory, the rest +-0.5.
  auto lstm_bias = [&](int32_t hidden) {
    std::vector<double> b(4 * hidden);
    for (int32_t o = 0; o < 4 * hidden; ++o)
      b[o] = 4096.0 * ((o / hidden == 1) ? 1.0 : (rng.unit() - 0.5));
    return b;
  };
  for (uint32_t l = 0; l < s.layers; ++l) {
    const int32_t in = l == 0 ? static_cast<int32_t>(s.stack) * M : H;
    const double x_rms = l == 0 ? 32 : 40;
    const Matrix m = random_matrix(rng, 4 * H, in, H, fan_in_scale(in + H, x_rms, 8192), lstm_bias(H));
    p.tensors.push_back(blob_tensor("enc." + std::to_string(l) + ".lstm", m, true));
  }
  // Logits (Q10): deviation ~2 nats, plus the blank / eos biases.
  std::vector<double> ctc_bias(V, 0.0);
  ctc_bias[0] = s.blank_bias * 1024;
  p.tensors.push_back(blob_tensor("ctc.proj", random_matrix(rng, V, H, 0, fan_in_scale(H, 40, 2048), ctc_bias), false));

  std::vector<int8_t> embed(size_t(V) * E);
  for (auto& v : embed) v = static_cast<int8_t>(rng.uniform(-100, 100));
  p.tensors.push_back(plain("dec.embed", DType::kInt8, {V, static_cast<uint32_t>(E)}, embed));

  p.tensors.push_back(
      blob_tensor("dec.lstm", random_matrix(rng, 4 * Hd, E + H, Hd, fan_in_scale(E + H + Hd, 40, 8192), lstm_bias(Hd)),
                  true));
  // Advance (Q12): sigmoid(bias) * A = advance_frames; weights add +-0.5.
  const double frac = s.advance_frames * 256.0 / s.max_advance_q8;
  const double adv_bias = 4096.0 * std::log(frac / (1.0 - frac));
  p.tensors.push_back(
      blob_tensor("dec.advance", random_matrix(rng, 1, Hd, 0, fan_in_scale(Hd, 40, 2048), {adv_bias}), false));
  // Query: int8 of deviation ~40, no bias.
  p.tensors.push_back(blob_tensor(
      "dec.query", random_matrix(rng, H, Hd, 0, fan_in_scale(Hd, 40, 40), std::vector<double>(H, 0.0)), false));
  // Attention: scores of deviation ~1.5 nats over keys and queries of RMS ~40;
  // the context on the encoder's own grid (a weighted mean of frames).
  std::vector<int32_t> attn(4);
  quantize_multiplier(1536.0 / (std::sqrt(static_cast<double>(H)) * 40 * 40), attn[0], attn[1]);
  quantize_multiplier(1.0 / 32768, attn[2], attn[3]);
  p.tensors.push_back(plain("dec.attn", DType::kInt32, {4}, attn));
  std::vector<double> out_bias(V, 0.0);
  out_bias[0] = s.eos_bias * 1024;
  p.tensors.push_back(
      blob_tensor("dec.out", random_matrix(rng, V, Hd, H, fan_in_scale(Hd + H, 40, 2048), out_bias), false));
  return p;
}

// ---------------------------------------------------------------- ImageParts

void ImageParts::set_u32(const std::string& key, uint32_t v) {
  remove_meta(key);
  meta.push_back({MetaType::kU32, key, to_bytes(std::vector<uint32_t>{v})});
}

void ImageParts::set_string(const std::string& key, const std::string& v) {
  remove_meta(key);
  meta.push_back({MetaType::kString, key, std::vector<uint8_t>(v.begin(), v.end())});
}

bool ImageParts::remove_meta(const std::string& key) {
  for (auto it = meta.begin(); it != meta.end(); ++it)
    if (it->key == key) { meta.erase(it); return true; }
  return false;
}

ImageWriter::Tensor* ImageParts::tensor(const std::string& name) {
  for (auto& t : tensors)
    if (t.name == name) return &t;
  return nullptr;
}

bool ImageParts::remove_tensor(const std::string& name) {
  for (auto it = tensors.begin(); it != tensors.end(); ++it)
    if (it->name == name) { tensors.erase(it); return true; }
  return false;
}

std::vector<uint8_t> ImageParts::build() const {
  ImageWriter w;
  for (const auto& m : meta) w.meta_raw(m.type, m.key, m.value);
  for (const auto& t : tensors) w.add_tensor(t);
  return w.finish();
}

}  // namespace earshot::test
