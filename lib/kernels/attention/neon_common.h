// NEON pieces shared by attention/neon.cpp and attention/neondot.cpp (internal).
#pragma once
#include <arm_neon.h>

#include "kernels/attention/ukernels.h"
#include "kernels/quant.h"
#include "kernels/simd_neon.h"

namespace earshot::kernels::neon {

// Logits, softmax (the shared scalar one: T <= 64) and the context by
// vmlal_n_s16 (int16 p x int16 v -> int32), 8 value columns per step.
inline void attn_finish(const AttnParams& p, const int32_t* score, const int8_t* values, ptrdiff_t stride,
                        int16_t* probs, int8_t* ctx) {
  int16_t z[kAttnMaxFrames], pr[kAttnMaxFrames];
  for (int32_t t = 0; t < p.frames; ++t) z[t] = requant_s16(score[t], p.score_mult, p.score_shift);
  softmax_q10_to_q15(z, p.frames, pr);
  const int32x4_t mult = vdupq_n_s32(p.ctx_mult), shift = vdupq_n_s32(p.ctx_shift);
  int32_t d0 = 0;
  for (; d0 + 8 <= p.value_dim; d0 += 8) {
    int32x4_t a0 = vdupq_n_s32(0), a1 = vdupq_n_s32(0);
    for (int32_t t = 0; t < p.frames; ++t) {
      const int16x8_t v = vmovl_s8(vld1_s8(values + t * stride + d0));
      a0 = vmlal_n_s16(a0, vget_low_s16(v), pr[t]);
      a1 = vmlal_n_s16(a1, vget_high_s16(v), pr[t]);
    }
    const int16x8_t r = vcombine_s16(vqmovn_s32(requant_x4(a0, mult, shift)), vqmovn_s32(requant_x4(a1, mult, shift)));
    vst1_s8(ctx + d0, vqmovn_s16(r));
  }
  for (int32_t d = d0; d < p.value_dim; ++d) {
    int32_t acc = 0;
    for (int32_t t = 0; t < p.frames; ++t) acc += pr[t] * values[t * stride + d];
    ctx[d] = requant_s8(acc, p.ctx_mult, p.ctx_shift);
  }
  if (probs)
    for (int32_t t = 0; t < p.frames; ++t) probs[t] = pr[t];
}

inline int32_t hsum(int32x4_t v) {
  const int32x2_t s = vadd_s32(vget_low_s32(v), vget_high_s32(v));
  return vget_lane_s32(vpadd_s32(s, s), 0);
}

}  // namespace earshot::kernels::neon
