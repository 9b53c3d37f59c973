#include "frontend/reference.h"

#include <algorithm>
#include <cmath>

namespace earshot {

ReferenceFrontend::ReferenceFrontend(const FrontendConfig& c) : cfg_(c) {
  const size_t nw = c.window_samples, bins = c.fft_size / 2 + 1;
  window_.resize(nw);
  for (size_t n = 0; n < nw; ++n) window_[n] = 0.5 - 0.5 * std::cos(2.0 * M_PI * n / nw);
  cos_.resize(bins * nw);
  sin_.resize(bins * nw);
  for (size_t k = 0; k < bins; ++k)
    for (size_t n = 0; n < nw; ++n) {
      const double ph = 2.0 * M_PI * static_cast<double>((k * n) % c.fft_size) / c.fft_size;
      cos_[k * nw + n] = std::cos(ph);
      sin_[k * nw + n] = std::sin(ph);
    }
  auto hz_to_mel = [](double f) { return 1127.0 * std::log(1.0 + f / 700.0); };
  auto mel_to_hz = [](double m) { return 700.0 * (std::exp(m / 1127.0) - 1.0); };
  const double mlo = hz_to_mel(c.mel_low_hz), mhi = hz_to_mel(c.mel_high_hz);
  const double step = (mhi - mlo) / (c.num_mels + 1);
  mel_.assign(c.num_mels, std::vector<double>(bins, 0.0));
  for (size_t m = 0; m < c.num_mels; ++m) {
    const double l = mel_to_hz(mlo + step * m), ctr = mel_to_hz(mlo + step * (m + 1)),
                 r = mel_to_hz(mlo + step * (m + 2));
    for (size_t k = 0; k < bins; ++k) {
      const double f = k * static_cast<double>(c.sample_rate_hz) / c.fft_size;
      if (f > l && f <= ctr) mel_[m][k] = (f - l) / (ctr - l);
      else if (f > ctr && f < r) mel_[m][k] = (r - f) / (r - ctr);
    }
  }
}

void ReferenceFrontend::compute(const int16_t* x, double* out) const {
  const size_t nw = cfg_.window_samples, bins = cfg_.fft_size / 2 + 1;
  std::vector<double> v(nw), power(bins);
  for (size_t n = 0; n < nw; ++n) v[n] = x[n] * window_[n];
  const double n2 = static_cast<double>(cfg_.fft_size) * cfg_.fft_size;
  for (size_t k = 0; k < bins; ++k) {
    double re = 0, im = 0;
    const double* c = &cos_[k * nw];
    const double* s = &sin_[k * nw];
    for (size_t n = 0; n < nw; ++n) { re += v[n] * c[n]; im -= v[n] * s[n]; }
    power[k] = (re * re + im * im) / n2;
  }
  const double floor_db = cfg_.floor_db_q8 / 256.0;
  for (size_t m = 0; m < cfg_.num_mels; ++m) {
    double e = 0;
    for (size_t k = 0; k < bins; ++k) e += mel_[m][k] * power[k];
    out[m] = e > 0 ? std::max(floor_db, 10.0 * std::log10(e)) : floor_db;
  }
}

std::vector<double> ReferenceFrontend::run(std::span<const int16_t> pcm) const {
  std::vector<double> feats;
  const size_t nw = cfg_.window_samples, hop = cfg_.hop_samples;
  for (size_t start = 0; start + nw <= pcm.size(); start += hop) {
    feats.resize(feats.size() + cfg_.num_mels);
    compute(pcm.data() + start, feats.data() + feats.size() - cfg_.num_mels);
  }
  return feats;
}

}  // namespace earshot
