// Scalar reference of the attention family.
#include "kernels/activation.h"
#include "kernels/attention/ukernels.h"
#include "kernels/quant.h"

namespace earshot::kernels {

void softmax_q10_to_q15(const int16_t* z, int32_t n, int16_t* p) {
  int32_t m = z[0];
  for (int32_t t = 1; t < n; ++t) m = z[t] > m ? z[t] : m;
  int32_t e[kAttnMaxFrames];
  int32_t sum = 0;
  for (int32_t t = 0; t < n; ++t) sum += e[t] = exp_neg_q10_to_q15(m - z[t]);
  const int32_t inv = (1 << 30) / sum;  // sum >= 32768 (the maximum contributes exp(0))
  for (int32_t t = 0; t < n; ++t) {
    const int32_t v = (e[t] * inv + (1 << 14)) >> 15;
    p[t] = static_cast<int16_t>(v > 32767 ? 32767 : v);
  }
}

void attn_context__scalar(const AttnParams& p, const int16_t* probs, const int8_t* values, ptrdiff_t stride,
                          int8_t* ctx) {
  for (int32_t d = 0; d < p.value_dim; ++d) {
    int32_t acc = 0;
    for (int32_t t = 0; t < p.frames; ++t) acc += probs[t] * values[t * stride + d];
    ctx[d] = requant_s8(acc, p.ctx_mult, p.ctx_shift);
  }
}

void attn_finish__scalar(const AttnParams& p, const int16_t* z, const int8_t* values, ptrdiff_t stride, int8_t* ctx,
                         int16_t* probs) {
  int16_t pr[kAttnMaxFrames];
  softmax_q10_to_q15(z, p.frames, pr);
  attn_context__scalar(p, pr, values, stride, ctx);
  if (probs)
    for (int32_t t = 0; t < p.frames; ++t) probs[t] = pr[t];
}

void attn_dot__scalar(const AttnParams& p, const AttnDotArgs& a, void*) {
  int16_t z[kAttnMaxFrames];
  for (int32_t t = 0; t < p.frames; ++t) {
    int32_t acc = 0;
    for (int32_t d = 0; d < p.dim; ++d) acc += a.q[d] * a.keys[t * a.key_stride + d];
    z[t] = requant_s16(acc, p.score_mult, p.score_shift);
  }
  attn_finish__scalar(p, z, a.values, a.value_stride, a.ctx, a.probs);
}

void attn_additive__scalar(const AttnParams& p, const AttnAddArgs& a, void*) {
  int16_t z[kAttnMaxFrames];
  for (int32_t t = 0; t < p.frames; ++t) {
    int32_t acc = 0;
    for (int32_t d = 0; d < p.dim; ++d) acc += a.v[d] * tanh_q15(sat16(a.wk[t * a.wk_stride + d] + a.uq[d]));
    z[t] = requant_s16(acc, p.score_mult, p.score_shift);
  }
  attn_finish__scalar(p, z, a.values, a.value_stride, a.ctx, a.probs);
}

}  // namespace earshot::kernels
