#include "frontend/frontend.h"

#include <algorithm>
#include <cstring>

#include "frontend/detmath.h"

namespace earshot {
namespace {

// Power is shifted right by this before the mel sum so that sum_k W_q15 * P
// stays below 2^63: by Parseval, sum_k |X_k|^2 <= 2^60 once the windowed input
// is normalized to |v| <= 2^30 (SPEC.md, "Bounds").
constexpr int kPowerShift = 15;
constexpr int kInputBits = 30;  // block-floating-point target: |v| <= 2^30

// log2(1 + i/64) in Q16, i = 0..64, evaluated at compile time.
constexpr auto kLog2Table = [] {
  struct T { int32_t v[65]; } t{};
  for (int i = 0; i <= 64; ++i)
    t.v[i] = static_cast<int32_t>(
        detmath::round_half_up(65536.0 * detmath::log2(1.0 + i / 64.0)));
  return t;
}();

// 10*log10(2) * 256 (Q8 dB per log2 unit) in Q16: dB_q8 = (L_q16 * K) >> 32.
constexpr int64_t kDbPerLog2Q = static_cast<int64_t>(
    detmath::round_half_up(10.0 / detmath::log2(10.0) * 256.0 * 65536.0));

inline int msb64(uint64_t x) { return 63 - __builtin_clzll(x); }
inline int msb32(uint32_t x) { return 31 - __builtin_clz(x); }

struct Carve {
  uint8_t* p;
  size_t left;
  bool ok = true;
  template <typename T>
  T* take(size_t n) {
    size_t pad = (8 - reinterpret_cast<uintptr_t>(p) % 8) % 8;
    size_t need = pad + ((n * sizeof(T) + 7) & ~size_t{7});
    if (!p || need > left) { ok = false; return nullptr; }
    T* r = reinterpret_cast<T*>(p + pad);
    p += need;
    left -= need;
    return r;
  }
};

double hz_to_mel(double f) { return 1127.0 * detmath::ln(1.0 + f / 700.0); }
double mel_to_hz(double m) { return 700.0 * (detmath::exp(m / 1127.0) - 1.0); }

}  // namespace

int32_t log2_q16(uint64_t x) {
  const int e = msb64(x);
  // 22 fraction bits below the leading one: 6 index the table, 16 interpolate.
  const uint32_t frac = static_cast<uint32_t>(
      (e >= 22 ? x >> (e - 22) : x << (22 - e)) & ((1u << 22) - 1));
  const uint32_t i = frac >> 16, t = frac & 0xFFFF;
  const int32_t a = kLog2Table.v[i], b = kLog2Table.v[i + 1];
  return e * 65536 + a + static_cast<int32_t>((static_cast<int64_t>(b - a) * t + 32768) >> 16);
}

earshot_status validate(const FrontendConfig& c, Error& err) {
  auto bad = [&](const char* what) { return err.set(EARSHOT_ERR_INVALID_ARGUMENT, "front-end config: %s", what); };
  if (c.sample_rate_hz != 16000) return bad("sample_rate_hz must be 16000");
  if (c.fft_size < 16 || c.fft_size > kMaxFftSize || (c.fft_size & (c.fft_size - 1)))
    return bad("fft_size must be a power of two in 16..4096");
  if (c.window_samples < 2 || c.window_samples > c.fft_size) return bad("window_samples must be in 2..fft_size");
  if (c.hop_samples < 1 || c.hop_samples > c.window_samples) return bad("hop_samples must be in 1..window_samples");
  if (c.num_mels < 1 || c.num_mels > kMaxMels) return bad("num_mels must be in 1..128");
  if (c.mel_high_hz <= c.mel_low_hz || c.mel_high_hz > c.sample_rate_hz / 2)
    return bad("need mel_low_hz < mel_high_hz <= sample_rate_hz / 2");
  return EARSHOT_OK;
}

size_t Frontend::memory_size(const FrontendConfig& c) {
  const size_t bins = c.fft_size / 2 + 1;
  auto r8 = [](size_t n) { return ((n + 7) & ~size_t{7}) + 8; };
  return r8(c.window_samples * 2) + r8(c.num_mels * sizeof(MelBand)) + r8(bins * 2 * 2) +
         r8(c.window_samples * 2) + r8(c.fft_size * 4) + r8(bins * sizeof(Complex32)) +
         r8(bins * 8) + r8(RealFft::memory_size(c.fft_size));
}

earshot_status Frontend::init(const FrontendConfig& c, void* mem, size_t size, Error& err) {
  if (validate(c, err) != EARSHOT_OK) return err.status;
  if (size < memory_size(c) || mem == nullptr)
    return err.set(EARSHOT_ERR_MEMORY_TOO_SMALL, "front-end needs %zu bytes, got %zu", memory_size(c), size);
  cfg_ = c;
  const size_t bins = c.fft_size / 2 + 1;
  Carve cv{static_cast<uint8_t*>(mem), size};
  auto* window = cv.take<uint16_t>(c.window_samples);
  auto* bands = cv.take<MelBand>(c.num_mels);
  auto* weights = cv.take<uint16_t>(bins * 2);
  samples_ = cv.take<int16_t>(c.window_samples);
  fft_in_ = cv.take<int32_t>(c.fft_size);
  fft_out_ = cv.take<Complex32>(bins);
  power_ = cv.take<uint64_t>(bins);
  const size_t fft_bytes = RealFft::memory_size(c.fft_size);
  void* fft_mem = cv.take<uint8_t>(fft_bytes);
  if (!cv.ok || !fft_.init(c.fft_size, fft_mem, fft_bytes))
    return err.set(EARSHOT_ERR_MEMORY_TOO_SMALL, "front-end memory layout failed");

  // Periodic Hann window in Q15 (32768 == 1.0).
  for (uint32_t n = 0; n < c.window_samples; ++n) {
    const double w = 0.5 - 0.5 * detmath::cos(2.0 * detmath::kPi * n / c.window_samples);
    window[n] = static_cast<uint16_t>(std::min(32768.0, detmath::round_half_up(w * 32768.0)));
  }

  // HTK-style triangles, equally spaced on the mel scale, peak weight 1.0.
  const double mlo = hz_to_mel(c.mel_low_hz), mhi = hz_to_mel(c.mel_high_hz);
  const double bin_hz = static_cast<double>(c.sample_rate_hz) / c.fft_size;
  size_t used = 0;
  for (uint32_t m = 0; m < c.num_mels; ++m) {
    const double step = (mhi - mlo) / (c.num_mels + 1);
    const double l = mel_to_hz(mlo + step * m), ctr = mel_to_hz(mlo + step * (m + 1)),
                 r = mel_to_hz(mlo + step * (m + 2));
    MelBand band{0, 0, static_cast<uint16_t>(used)};
    for (uint32_t k = 0; k < bins; ++k) {
      const double f = k * bin_hz;
      double w = 0.0;
      if (f > l && f <= ctr) w = (f - l) / (ctr - l);
      else if (f > ctr && f < r) w = (r - f) / (r - ctr);
      const auto q = static_cast<uint16_t>(std::min(32768.0, detmath::round_half_up(w * 32768.0)));
      if (q == 0) {
        if (band.num_bins) break;  // past the triangle
        continue;
      }
      if (!band.num_bins) band.first_bin = static_cast<uint16_t>(k);
      if (used >= bins * 2) return err.set(EARSHOT_ERR_INVALID_ARGUMENT, "front-end config: mel bands overlap too much");
      weights[used++] = q;
      ++band.num_bins;
    }
    if (!band.num_bins)
      return err.set(EARSHOT_ERR_INVALID_ARGUMENT,
                     "front-end config: mel band %u covers no FFT bin (too many mels for fft_size %u)",
                     static_cast<unsigned>(m), static_cast<unsigned>(c.fft_size));
    bands[m] = band;
  }
  window_q15_ = window;
  bands_ = bands;
  weights_q15_ = weights;
  fill_ = 0;
  err.clear();
  return EARSHOT_OK;
}

#if defined(__x86_64__) && defined(__linux__) && !defined(__SANITIZE_THREAD__)
// The windowing, shift and power loops vectorize with AVX2; the result is the same integers.
__attribute__((target_clones("avx2", "default")))
#endif
void Frontend::compute(const int16_t* x, int16_t* out) const {
  const uint32_t nw = cfg_.window_samples, nfft = cfg_.fft_size, bins = nfft / 2 + 1;
  // Window: |x * w| <= 32768 * 32768 = 2^30.
  uint32_t peak = 0;
  for (uint32_t n = 0; n < nw; ++n) {
    const int32_t v = static_cast<int32_t>(x[n]) * static_cast<int32_t>(window_q15_[n]);
    fft_in_[n] = v;
    const uint32_t a = v < 0 ? 0u - static_cast<uint32_t>(v) : static_cast<uint32_t>(v);
    peak = a > peak ? a : peak;
  }
  if (peak == 0) {  // digital silence
    for (uint32_t m = 0; m < cfg_.num_mels; ++m) out[m] = cfg_.floor_db_q8;
    return;
  }
  // Block floating point: scale so the largest magnitude lands in [2^29, 2^30].
  const int shift = std::max(0, kInputBits - 1 - msb32(peak));
  for (uint32_t n = 0; n < nw; ++n) fft_in_[n] = static_cast<int32_t>(static_cast<uint32_t>(fft_in_[n]) << shift);
  std::memset(fft_in_ + nw, 0, (nfft - nw) * sizeof(int32_t));
  fft_.forward(fft_in_, fft_out_);

  for (uint32_t k = 0; k < bins; ++k) {
    const int64_t re = fft_out_[k].re, im = fft_out_[k].im;
    power_[k] = static_cast<uint64_t>(re * re + im * im) >> kPowerShift;
  }
  // E_int = E * 2^(30 + 2*shift) (window Q15 squared, then the BFP shift).
  const int32_t offset_q16 = (30 + 2 * shift) * 65536;
  for (uint32_t m = 0; m < cfg_.num_mels; ++m) {
    const MelBand& b = bands_[m];
    const uint64_t* p = power_ + b.first_bin;
    const uint16_t* w = weights_q15_ + b.weight_offset;
    uint64_t acc = 0;
    for (uint32_t j = 0; j < b.num_bins; ++j) acc += w[j] * p[j];
    int32_t db = cfg_.floor_db_q8;
    if (acc) {
      const int64_t l = static_cast<int64_t>(log2_q16(acc)) - offset_q16;
      const int64_t v = (l * kDbPerLog2Q + (int64_t{1} << 31)) >> 32;
      db = static_cast<int32_t>(std::clamp<int64_t>(v, cfg_.floor_db_q8, INT16_MAX));
    }
    out[m] = static_cast<int16_t>(db);
  }
}

size_t Frontend::push(std::span<const int16_t> pcm) {
  const size_t take = std::min<size_t>(pcm.size(), cfg_.window_samples - fill_);
  if (take) std::memcpy(samples_ + fill_, pcm.data(), take * sizeof(int16_t));  // data() may be null
  fill_ += static_cast<uint32_t>(take);
  return take;
}

bool Frontend::pop(std::span<int16_t> features) {
  if (!frame_ready() || features.size() < cfg_.num_mels) return false;
  compute(samples_, features.data());
  const uint32_t keep = cfg_.window_samples - cfg_.hop_samples;
  std::memmove(samples_, samples_ + cfg_.hop_samples, keep * sizeof(int16_t));
  fill_ = keep;
  return true;
}

size_t frontend_run(Frontend& fe, std::span<const int16_t> pcm, std::span<int16_t> out) {
  const size_t nf = fe.num_features();
  size_t frames = 0;
  while (true) {
    while (fe.frame_ready()) {
      if ((frames + 1) * nf > out.size()) return frames;
      fe.pop(out.subspan(frames * nf, nf));
      ++frames;
    }
    if (pcm.empty()) return frames;
    pcm = pcm.subspan(fe.push(pcm));
  }
}

}  // namespace earshot

extern "C" double earshot_det_cos(double x) { return earshot::detmath::cos(x); }
extern "C" double earshot_det_sin(double x) { return earshot::detmath::cos(x - earshot::detmath::kPi / 2); }
