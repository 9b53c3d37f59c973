// Activation tables of the integer kernels, generated at compile time from
// detmath (basic IEEE double operations only), so they hold the same bits on
// every target. NUMERICS.md gives the formulas; a test pins their checksum.
#pragma once
#include <array>
#include <cstdint>

#include "frontend/detmath.h"

namespace earshot::kernels::tables {
namespace gen {

constexpr int32_t round_q(double v, double scale, int32_t lo, int32_t hi) {
  const double r = detmath::round_half_up(v * scale);
  return r < lo ? lo : r > hi ? hi : static_cast<int32_t>(r);
}
constexpr double sigmoid(double x) { return 1.0 / (1.0 + detmath::exp(-x)); }
constexpr double tanh(double x) { return 2.0 / (1.0 + detmath::exp(-2.0 * x)) - 1.0; }

// 257 nodes over [-8, 8] (step 1/16), Q15, clamped to int16.
template <double (*F)(double)>
constexpr std::array<int16_t, 257> nodes() {
  std::array<int16_t, 257> t{};
  for (int i = 0; i < 257; ++i)
    t[i] = static_cast<int16_t>(round_q(F(-8.0 + i / 16.0), 32768.0, -32768, 32767));
  return t;
}
// Gather-friendly form: entry i = T[i] (low 16 bits) | (T[i+1] - T[i]) << 16.
constexpr std::array<int32_t, 256> pairs(const std::array<int16_t, 257>& t) {
  std::array<int32_t, 256> p{};
  for (int i = 0; i < 256; ++i) {
    const uint32_t lo = static_cast<uint16_t>(t[i]);
    const uint32_t hi = static_cast<uint16_t>(static_cast<int16_t>(t[i + 1] - t[i]));
    p[i] = static_cast<int32_t>(lo | (hi << 16));
  }
  return p;
}
constexpr std::array<int32_t, 256> exp_hi() {  // exp(-i/16) in Q15, i = 0..255
  std::array<int32_t, 256> t{};
  for (int i = 0; i < 256; ++i) t[i] = round_q(detmath::exp(-i / 16.0), 32768.0, 0, 32768);
  return t;
}
constexpr std::array<int32_t, 64> exp_lo() {  // exp(-j/1024) in Q15, j = 0..63
  std::array<int32_t, 64> t{};
  for (int j = 0; j < 64; ++j) t[j] = round_q(detmath::exp(-j / 1024.0), 32768.0, 0, 32768);
  return t;
}
constexpr std::array<int32_t, 257> ln1p() {  // ln(1 + i/256) in Q20, i = 0..256
  std::array<int32_t, 257> t{};
  for (int i = 0; i < 257; ++i) t[i] = round_q(detmath::ln(1.0 + i / 256.0), 1048576.0, 0, 1 << 30);
  return t;
}

}  // namespace gen

inline constexpr std::array<int16_t, 257> kSigmoidQ15 = gen::nodes<gen::sigmoid>();
inline constexpr std::array<int16_t, 257> kTanhQ15 = gen::nodes<gen::tanh>();
alignas(64) inline constexpr std::array<int32_t, 256> kSigmoidPairs = gen::pairs(kSigmoidQ15);
alignas(64) inline constexpr std::array<int32_t, 256> kTanhPairs = gen::pairs(kTanhQ15);
alignas(64) inline constexpr std::array<int32_t, 256> kExpHiQ15 = gen::exp_hi();
alignas(64) inline constexpr std::array<int32_t, 64> kExpLoQ15 = gen::exp_lo();
inline constexpr std::array<int32_t, 257> kLn1pQ20 = gen::ln1p();
inline constexpr int32_t kLn2Q20 = gen::round_q(detmath::kLn2, 1048576.0, 0, 1 << 30);

}  // namespace earshot::kernels::tables
