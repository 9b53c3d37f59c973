// LSTM cell, NEON (4 units per step; the table reads are lane loads, NEON has
// no gather). Same arithmetic as cell.h. Also used by the neondot level.
#include <arm_neon.h>

#include "kernels/lstm-step/cell.h"
#include "kernels/lstm-step/ukernels.h"

namespace earshot::kernels {
namespace {

inline int32x4_t act(const int32_t* pairs, int32x4_t x) {
  const int32x4_t u = vaddq_s32(x, vdupq_n_s32(32768));
  const int32x4_t idx = vshrq_n_s32(u, 8);
  int32x4_t e = vdupq_n_s32(0);
  e = vld1q_lane_s32(pairs + vgetq_lane_s32(idx, 0), e, 0);
  e = vld1q_lane_s32(pairs + vgetq_lane_s32(idx, 1), e, 1);
  e = vld1q_lane_s32(pairs + vgetq_lane_s32(idx, 2), e, 2);
  e = vld1q_lane_s32(pairs + vgetq_lane_s32(idx, 3), e, 3);
  const int32x4_t base = vshrq_n_s32(vshlq_n_s32(e, 16), 16);
  const int32x4_t delta = vshrq_n_s32(e, 16);
  const int32x4_t frac = vandq_s32(u, vdupq_n_s32(255));
  return vaddq_s32(base, vshrq_n_s32(vmlaq_s32(vdupq_n_s32(128), delta, frac), 8));
}

inline int32x4_t clamp(int32x4_t v, int32_t lo, int32_t hi) {
  return vminq_s32(vmaxq_s32(v, vdupq_n_s32(lo)), vdupq_n_s32(hi));
}

}  // namespace

void lstm_cell__neon(const int16_t* gates, int32_t H, int16_t* c16, int16_t* h16, int8_t* h8) {
  const int32_t* sig = tables::kSigmoidPairs.data();
  const int32_t* tnh = tables::kTanhPairs.data();
  const int32x4_t half = vdupq_n_s32(1 << 14);
  int32_t j = 0;
  for (; j + 4 <= H; j += 4) {
    const int32x4_t i = act(sig, vmovl_s16(vld1_s16(gates + j)));
    const int32x4_t f = act(sig, vmovl_s16(vld1_s16(gates + H + j)));
    const int32x4_t g = act(tnh, vmovl_s16(vld1_s16(gates + 2 * H + j)));
    const int32x4_t o = act(sig, vmovl_s16(vld1_s16(gates + 3 * H + j)));
    const int32x4_t c = vmovl_s16(vld1_s16(c16 + j));
    const int32x4_t ig = vshrq_n_s32(vmulq_s32(i, g), 4);
    const int32x4_t sum = vaddq_s32(vaddq_s32(vmulq_s32(f, c), ig), half);
    const int32x4_t cn = clamp(vshrq_n_s32(sum, 15), -32768, 32767);
    const int32x4_t t = act(tnh, clamp(vshlq_n_s32(cn, 1), -32768, 32767));
    const int32x4_t h = vshrq_n_s32(vaddq_s32(vmulq_s32(o, t), half), 15);
    const int32x4_t q = clamp(vshrq_n_s32(vaddq_s32(h, vdupq_n_s32(128)), 8), -128, 127);
    vst1_s16(c16 + j, vmovn_s32(cn));
    if (h16) vst1_s16(h16 + j, vmovn_s32(h));
    const int8x8_t q8 = vmovn_s16(vcombine_s16(vmovn_s32(q), vmovn_s32(q)));
    h8[j] = vget_lane_s8(q8, 0);
    h8[j + 1] = vget_lane_s8(q8, 1);
    h8[j + 2] = vget_lane_s8(q8, 2);
    h8[j + 3] = vget_lane_s8(q8, 3);
  }
  for (; j < H; ++j) {
    const CellOut r = lstm_unit(gates[j], gates[H + j], gates[2 * H + j], gates[3 * H + j], c16[j]);
    c16[j] = r.c;
    if (h16) h16[j] = r.h16;
    h8[j] = r.h8;
  }
}

}  // namespace earshot::kernels
