// Shared NEON helpers of the kernels (ARMv7 NEON and AArch64).
#pragma once
#include <arm_neon.h>

#include <cstdint>
#include <cstring>

#include "kernels/quant.h"

namespace earshot::kernels::neon {

// quant.h's rule on 4 int32 lanes: vmull_s32 gives the exact int64 product,
// vrshl by -shift adds 2^(shift-1) and shifts arithmetically (round half up),
// vqmovn saturates to int32 (then the caller narrows further, saturating).
inline int32x4_t requant_x4(int32x4_t acc, int32x4_t mult, int32x4_t shift) {
  const int32x4_t ns = vnegq_s32(shift);
  int64x2_t lo = vmull_s32(vget_low_s32(acc), vget_low_s32(mult));
  int64x2_t hi = vmull_s32(vget_high_s32(acc), vget_high_s32(mult));
  lo = vrshlq_s64(lo, vmovl_s32(vget_low_s32(ns)));
  hi = vrshlq_s64(hi, vmovl_s32(vget_high_s32(ns)));
  return vcombine_s32(vqmovn_s64(lo), vqmovn_s64(hi));
}

// Stores n (<= 16) requantized values of rows o..o+n-1 for one batch row.
inline void store16(OutType type, void* y, int32_t n, const int32x4_t acc[4], const int32_t* mult,
                    const int32_t* shift) {
  if (type == OutType::s32) {
    int32_t t[16];
    for (int q = 0; q < 4; ++q) vst1q_s32(t + 4 * q, acc[q]);
    std::memcpy(y, t, n * 4);
    return;
  }
  int16x4_t h[4];
  for (int q = 0; q < 4; ++q) h[q] = vqmovn_s32(requant_x4(acc[q], vld1q_s32(mult + 4 * q), vld1q_s32(shift + 4 * q)));
  if (type == OutType::s16) {
    int16_t t[16];
    for (int q = 0; q < 4; ++q) vst1_s16(t + 4 * q, h[q]);
    std::memcpy(y, t, n * 2);
  } else {
    int8_t t[16];
    vst1_s8(t, vqmovn_s16(vcombine_s16(h[0], h[1])));
    vst1_s8(t + 8, vqmovn_s16(vcombine_s16(h[2], h[3])));
    std::memcpy(y, t, n);
  }
}

}  // namespace earshot::kernels::neon
