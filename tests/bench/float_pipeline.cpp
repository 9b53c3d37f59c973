#include "float_pipeline.h"

#include <kiss_fftr.h>

#include <cmath>
#include <cstdlib>

namespace earshot {

FloatPipeline::FloatPipeline(const FrontendConfig& c) : cfg_(c) {
  const size_t bins = c.fft_size / 2 + 1;
  fft_ = kiss_fftr_alloc(c.fft_size, 0, nullptr, nullptr);
  window_.resize(c.window_samples);
  for (size_t n = 0; n < window_.size(); ++n) window_[n] = 0.5f - 0.5f * std::cos(2.0f * float(M_PI) * n / c.window_samples);
  in_.assign(c.fft_size, 0.f);
  out_.resize(2 * bins);
  power_.resize(bins);
  auto hz_to_mel = [](double f) { return 1127.0 * std::log(1.0 + f / 700.0); };
  auto mel_to_hz = [](double m) { return 700.0 * (std::exp(m / 1127.0) - 1.0); };
  const double mlo = hz_to_mel(c.mel_low_hz), mhi = hz_to_mel(c.mel_high_hz), step = (mhi - mlo) / (c.num_mels + 1);
  for (size_t m = 0; m < c.num_mels; ++m) {
    const double l = mel_to_hz(mlo + step * m), ctr = mel_to_hz(mlo + step * (m + 1)), r = mel_to_hz(mlo + step * (m + 2));
    first_.push_back(0);
    count_.push_back(0);
    for (size_t k = 0; k < bins; ++k) {
      const double f = k * 16000.0 / c.fft_size;
      double w = 0;
      if (f > l && f <= ctr) w = (f - l) / (ctr - l);
      else if (f > ctr && f < r) w = (r - f) / (r - ctr);
      if (w <= 0) continue;
      if (!count_.back()) first_.back() = static_cast<uint16_t>(k);
      ++count_.back();
      weights_.push_back(static_cast<float>(w));
    }
  }
}

FloatPipeline::~FloatPipeline() { std::free(fft_); }

void FloatPipeline::compute(const int16_t* x, float* out) {
  for (size_t n = 0; n < window_.size(); ++n) in_[n] = x[n] * window_[n];
  kiss_fftr(static_cast<kiss_fftr_cfg>(fft_), in_.data(), reinterpret_cast<kiss_fft_cpx*>(out_.data()));
  const float scale = 1.0f / (float(cfg_.fft_size) * cfg_.fft_size);
  for (size_t k = 0; k < power_.size(); ++k) power_[k] = (out_[2 * k] * out_[2 * k] + out_[2 * k + 1] * out_[2 * k + 1]) * scale;
  const float* w = weights_.data();
  for (size_t m = 0; m < first_.size(); ++m) {
    float e = 0;
    for (size_t j = 0; j < count_[m]; ++j) e += *w++ * power_[first_[m] + j];
    out[m] = e > 0 ? 10.0f * std::log10(e) : -10.0f;
  }
}

}  // namespace earshot
