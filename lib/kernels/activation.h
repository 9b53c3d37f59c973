// Scalar integer activations (NUMERICS.md). The SIMD kernels compute exactly
// these functions lane by lane.
#pragma once
#include <cstdint>

#include "kernels/tables.h"

namespace earshot::kernels {

// Table activation of a Q12 input (any int16: [-8, 8)) -> Q15.
//   u = x + 32768; e = pairs[u >> 8]; y = T[i] + ((T[i+1]-T[i]) * (u & 255) + 128) >> 8
inline int32_t act_q12_to_q15(const int32_t* pairs, int32_t x) {
  const int32_t u = x + 32768;
  const int32_t e = pairs[u >> 8];
  const int32_t base = static_cast<int16_t>(static_cast<uint32_t>(e) & 0xFFFF);
  const int32_t delta = e >> 16;
  return base + ((delta * (u & 255) + 128) >> 8);
}
inline int32_t sigmoid_q15(int32_t x_q12) { return act_q12_to_q15(tables::kSigmoidPairs.data(), x_q12); }
inline int32_t tanh_q15(int32_t x_q12) { return act_q12_to_q15(tables::kTanhPairs.data(), x_q12); }

// exp(-n / 1024) in Q15 for n >= 0 (a Q10 distance below the maximum):
// 0 for n >= 16384, else (EH[n >> 6] * EL[n & 63] + 2^14) >> 15.
inline constexpr int32_t kExpCutoffQ10 = 16384;
inline int32_t exp_neg_q10_to_q15(int32_t n) {
  if (n >= kExpCutoffQ10) return 0;
  return (tables::kExpHiQ15[n >> 6] * tables::kExpLoQ15[n & 63] + (1 << 14)) >> 15;
}

}  // namespace earshot::kernels
