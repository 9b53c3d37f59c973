// Deterministic test signals (same bits on every target: integer LCG and
// detmath only), shared by unit tests, golden vectors and benchmarks.
#pragma once
#include <cstdint>
#include <vector>

#include "frontend/detmath.h"

namespace earshot::testsig {

struct Lcg {
  uint32_t s;
  uint32_t next() { return s = s * 1664525u + 1013904223u; }
  int32_t uniform(int32_t lo, int32_t hi) {  // inclusive
    const uint64_t span = static_cast<uint64_t>(static_cast<int64_t>(hi) - lo + 1);
    return static_cast<int32_t>(lo + static_cast<int64_t>(next() % span));
  }
};

inline int16_t clip16(double v) {
  return static_cast<int16_t>(v > 32767 ? 32767 : v < -32768 ? -32768 : detmath::round_half_up(v));
}

inline std::vector<int16_t> tone(size_t n, double hz, double amp) {
  std::vector<int16_t> x(n);
  for (size_t i = 0; i < n; ++i) x[i] = clip16(amp * detmath::cos(2 * detmath::kPi * hz * i / 16000.0));
  return x;
}

inline std::vector<int16_t> square(size_t n, double hz) {  // full scale
  std::vector<int16_t> x(n);
  for (size_t i = 0; i < n; ++i) x[i] = (static_cast<uint64_t>(2 * hz * i / 16000.0) & 1) ? -32768 : 32767;
  return x;
}

inline std::vector<int16_t> noise(size_t n, int32_t amp, uint32_t seed) {  // uniform white
  std::vector<int16_t> x(n);
  Lcg g{seed};
  for (auto& v : x) v = static_cast<int16_t>(g.uniform(-amp, amp > 32767 ? 32767 : amp));
  return x;
}

inline std::vector<int16_t> clipped_noise(size_t n, uint32_t seed) {  // +-full scale, hard clipped
  std::vector<int16_t> x(n);
  Lcg g{seed};
  for (auto& v : x) v = clip16(4.0 * g.uniform(-32768, 32767));
  return x;
}

inline std::vector<int16_t> chirp(size_t n, double f0, double f1, double amp) {
  std::vector<int16_t> x(n);
  for (size_t i = 0; i < n; ++i) {
    const double t = i / 16000.0, T = n / 16000.0;
    x[i] = clip16(amp * detmath::cos(2 * detmath::kPi * (f0 * t + (f1 - f0) * t * t / (2 * T))));
  }
  return x;
}

}  // namespace earshot::testsig
