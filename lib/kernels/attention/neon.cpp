// Attention, NEON: dot scores by vmull_s8 + vpadal (q and k may both be -128,
// so products are not paired in int16), context by vmlal_n_s16.
#include "kernels/attention/neon_common.h"

namespace earshot::kernels {

void attn_dot__neon(const AttnParams& p, const AttnDotArgs& a, void*) {
  int32_t score[kAttnMaxFrames];
  const int32_t D = p.dim, D8 = D / 8 * 8;
  for (int32_t t = 0; t < p.frames; ++t) {
    const int8_t* k = a.keys + t * a.key_stride;
    int32x4_t acc = vdupq_n_s32(0);
    for (int32_t d = 0; d < D8; d += 8) acc = vpadalq_s16(acc, vmull_s8(vld1_s8(a.q + d), vld1_s8(k + d)));
    int32_t s = neon::hsum(acc);
    for (int32_t d = D8; d < D; ++d) s += a.q[d] * k[d];
    score[t] = s;
  }
  neon::attn_finish(p, score, a.values, a.value_stride, a.probs, a.ctx);
}

}  // namespace earshot::kernels
