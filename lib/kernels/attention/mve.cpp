// Attention, Helium (MVE): dot scores by VMLADAVA over 16 int8 at a time, the
// last vector tail-predicated (VCTP8: inactive lanes load as zero), context by
// VMLA of the int16 probability into 4 int32 lanes of widened values
// (VLDRB.S32, tail-predicated). Integer sums of the scalar reference's
// products (|sum| < 2^31 by the parameter bounds), so the same bits; the
// softmax is the shared scalar one.
#include "kernels/attention/ukernels.h"
#include "kernels/quant.h"

#if defined(__ARM_FEATURE_MVE)
#include <arm_mve.h>

namespace earshot::kernels {

void attn_dot__mve(const AttnParams& p, const AttnDotArgs& a, void*) {
  int16_t z[kAttnMaxFrames], pr[kAttnMaxFrames];
  const int32_t D = p.dim;
  for (int32_t t = 0; t < p.frames; ++t) {
    const int8_t* k = a.keys + t * a.key_stride;
    int32_t acc = 0;
    for (int32_t d = 0; d < D; d += 16) {
      const mve_pred16_t pd = vctp8q(static_cast<uint32_t>(D - d));
      acc = vmladavaq_s8(acc, vldrbq_z_s8(a.q + d, pd), vldrbq_z_s8(k + d, pd));
    }
    z[t] = requant_s16(acc, p.score_mult, p.score_shift);
  }
  softmax_q10_to_q15(z, p.frames, pr);
  const int32_t Dv = p.value_dim;
  for (int32_t d = 0; d < Dv; d += 4) {
    const mve_pred16_t pd = vctp32q(static_cast<uint32_t>(Dv - d));
    int32x4_t acc = vdupq_n_s32(0);
    for (int32_t t = 0; t < p.frames; ++t)
      acc = vmlaq_n_s32(acc, vldrbq_z_s32(a.values + t * a.value_stride + d, pd), pr[t]);
    int32_t lanes[4];
    vst1q_s32(lanes, acc);
    for (int i = 0; i < 4 && d + i < Dv; ++i) a.ctx[d + i] = requant_s8(lanes[i], p.ctx_mult, p.ctx_shift);
  }
  if (a.probs)
    for (int32_t t = 0; t < p.frames; ++t) a.probs[t] = pr[t];
}

}  // namespace earshot::kernels
#endif  // __ARM_FEATURE_MVE
