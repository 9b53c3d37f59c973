// Attention, AArch64 dotprod: dot scores by vdotq_s32, 16 columns per step.
// Compiled with -march=armv8.2-a+dotprod.
#include "kernels/attention/neon_common.h"

namespace earshot::kernels {

void attn_dot__neondot(const AttnParams& p, const AttnDotArgs& a, void*) {
  int32_t score[kAttnMaxFrames];
  const int32_t D = p.dim, D16 = D / 16 * 16;
  for (int32_t t = 0; t < p.frames; ++t) {
    const int8_t* k = a.keys + t * a.key_stride;
    int32x4_t acc = vdupq_n_s32(0);
    for (int32_t d = 0; d < D16; d += 16) acc = vdotq_s32(acc, vld1q_s8(a.q + d), vld1q_s8(k + d));
    int32_t s = neon::hsum(acc);
    for (int32_t d = D16; d < D; ++d) s += a.q[d] * k[d];
    score[t] = s;
  }
  neon::attn_finish(p, score, a.values, a.value_stride, a.probs, a.ctx);
}

}  // namespace earshot::kernels
