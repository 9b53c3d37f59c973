// Attention, Cortex-M DSP extension: dot scores by SMLAD on SXTB16-widened
// pairs (q and k may both be -128: each 16x16 product is exact and SMLAD adds
// two of them to the int32 accumulator), four int8 a step from unaligned
// words, the D % 4 tail scalar. Context and softmax: the scalar reference's.
#include <cstring>

#include "kernels/attention/ukernels.h"
#include "kernels/quant.h"

#if defined(__ARM_FEATURE_DSP)
#include <arm_acle.h>

namespace earshot::kernels {
namespace {

inline int32_t load4(const int8_t* p) {
  int32_t v;
  std::memcpy(&v, p, 4);  // unaligned word load (allowed on v7-M / v8-M Main)
  return v;
}

// SXTB16 with its built-in ROR #8 (gcc 12 does not fold a rotate into __sxtb16).
inline int32_t sxtb16_ror8(int32_t w) {
  int32_t r;
  asm("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(w));
  return r;
}

}  // namespace

void attn_dot__dsp(const AttnParams& p, const AttnDotArgs& a, void*) {
  int16_t z[kAttnMaxFrames];
  const int32_t D = p.dim, D4 = D / 4 * 4;
  for (int32_t t = 0; t < p.frames; ++t) {
    const int8_t* k = a.keys + t * a.key_stride;
    int32_t acc = 0;
    for (int32_t d = 0; d < D4; d += 4) {
      const int32_t q = load4(a.q + d), kk = load4(k + d);
      acc = __smlad(__sxtb16(q), __sxtb16(kk), acc);               // q0 k0 + q2 k2
      acc = __smlad(sxtb16_ror8(q), sxtb16_ror8(kk), acc);         // q1 k1 + q3 k3
    }
    for (int32_t d = D4; d < D; ++d) acc += a.q[d] * k[d];
    z[t] = requant_s16(acc, p.score_mult, p.score_shift);
  }
  attn_finish__scalar(p, z, a.values, a.value_stride, a.ctx, a.probs);
}

}  // namespace earshot::kernels
#endif  // __ARM_FEATURE_DSP
