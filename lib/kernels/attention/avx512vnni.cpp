// Attention, AVX-512 VNNI: dot scores by vpdpbusd (keys fed as u8 = k + 128,
// the offset removed with 128 * sum(q)), softmax with gathered exp tables,
// context by 16-lane int32 multiply-accumulate. Same bits as scalar.cpp.
#include <immintrin.h>

#include "kernels/activation.h"
#include "kernels/attention/ukernels.h"
#include "kernels/quant.h"
#include "kernels/simd_x86.h"

namespace earshot::kernels {
namespace {

inline __mmask16 mask16(int32_t n) { return n >= 16 ? 0xFFFF : n <= 0 ? 0 : static_cast<__mmask16>((1u << n) - 1); }
inline __mmask64 mask64(int32_t n) { return n >= 64 ? ~__mmask64{0} : n <= 0 ? 0 : (__mmask64{1} << n) - 1; }

// Scores (int32) -> Q10 logits -> Q15 probabilities, all in registers.
void softmax(const AttnParams& p, const int32_t* score, int16_t* pr) {
  const int32_t T = p.frames;
  const int nv = (T + 15) / 16;
  __m512i z[4];
  __m512i mx = _mm512_set1_epi32(-32768);
  for (int i = 0; i < nv; ++i) {
    const __mmask16 k = mask16(T - 16 * i);
    const __m512i s = _mm512_maskz_loadu_epi32(k, score + 16 * i);
    z[i] = _mm512_mask_mov_epi32(_mm512_set1_epi32(-32768),
                                 k, x86::requant_x16(s, _mm512_set1_epi32(p.score_mult), _mm512_set1_epi32(p.score_shift),
                                                     -32768, 32767));
    mx = _mm512_max_epi32(mx, z[i]);
  }
  const __m512i m = _mm512_set1_epi32(_mm512_reduce_max_epi32(mx));
  __m512i e[4];
  __m512i sum = _mm512_setzero_si512();
  for (int i = 0; i < nv; ++i) {
    const __m512i n = _mm512_sub_epi32(m, z[i]);
    const __mmask16 live = _mm512_cmplt_epi32_mask(n, _mm512_set1_epi32(kExpCutoffQ10)) & mask16(T - 16 * i);
    const __m512i hi = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), live, _mm512_srli_epi32(n, 6),
                                                   tables::kExpHiQ15.data(), 4);
    const __m512i lo = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), live,
                                                   _mm512_and_si512(n, _mm512_set1_epi32(63)), tables::kExpLoQ15.data(), 4);
    e[i] = _mm512_maskz_srai_epi32(live, _mm512_add_epi32(_mm512_mullo_epi32(hi, lo), _mm512_set1_epi32(1 << 14)), 15);
    sum = _mm512_add_epi32(sum, e[i]);
  }
  const __m512i inv = _mm512_set1_epi32((1 << 30) / _mm512_reduce_add_epi32(sum));
  for (int i = 0; i < nv; ++i) {
    __m512i v = _mm512_srai_epi32(_mm512_add_epi32(_mm512_mullo_epi32(e[i], inv), _mm512_set1_epi32(1 << 14)), 15);
    v = _mm512_min_epi32(v, _mm512_set1_epi32(32767));
    _mm512_mask_cvtepi32_storeu_epi16(pr + 16 * i, mask16(T - 16 * i), v);
  }
}

void context(const AttnParams& p, const int16_t* pr, const int8_t* values, ptrdiff_t stride, int8_t* ctx) {
  const __m512i mult = _mm512_set1_epi32(p.ctx_mult), shift = _mm512_set1_epi32(p.ctx_shift);
  for (int32_t d0 = 0; d0 < p.value_dim; d0 += 64) {
    __m512i acc[4];
    __mmask16 k[4];
    for (int c = 0; c < 4; ++c) {
      acc[c] = _mm512_setzero_si512();
      k[c] = mask16(p.value_dim - d0 - 16 * c);
    }
    for (int32_t t = 0; t < p.frames; ++t) {
      const __m512i pv = _mm512_set1_epi32(pr[t]);
      const int8_t* v = values + t * stride + d0;
      for (int c = 0; c < 4; ++c)
        if (k[c]) {
          const __m512i x = _mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(k[c], v + 16 * c));
          acc[c] = _mm512_add_epi32(acc[c], _mm512_mullo_epi32(x, pv));
        }
    }
    for (int c = 0; c < 4; ++c)
      if (k[c]) _mm512_mask_cvtepi32_storeu_epi8(ctx + d0 + 16 * c, k[c], x86::requant_x16(acc[c], mult, shift, -128, 127));
  }
}

inline __m512i tanh16(__m512i x) {
  const __m512i u = _mm512_add_epi32(x, _mm512_set1_epi32(32768));
  const __m512i e = _mm512_i32gather_epi32(_mm512_srli_epi32(u, 8), tables::kTanhPairs.data(), 4);
  const __m512i base = _mm512_srai_epi32(_mm512_slli_epi32(e, 16), 16);
  const __m512i d = _mm512_mullo_epi32(_mm512_srai_epi32(e, 16), _mm512_and_si512(u, _mm512_set1_epi32(255)));
  return _mm512_add_epi32(base, _mm512_srai_epi32(_mm512_add_epi32(d, _mm512_set1_epi32(128)), 8));
}

}  // namespace

void attn_dot__avx512vnni(const AttnParams& p, const AttnDotArgs& a, void*) {
  alignas(64) int32_t score[kAttnMaxFrames];
  alignas(64) int16_t pr[kAttnMaxFrames];
  const int32_t D = p.dim;
  const int nc = (D + 63) / 64;
  int32_t qsum = 0;
  for (int32_t d = 0; d < D; ++d) qsum += a.q[d];
  const int32_t corr = 128 * qsum;
  const __m512i flip = _mm512_set1_epi8(static_cast<char>(0x80));
  for (int32_t t = 0; t < p.frames; ++t) {
    const int8_t* k = a.keys + t * a.key_stride;
    __m512i acc = _mm512_setzero_si512();
    for (int c = 0; c < nc; ++c) {
      const __mmask64 mk = mask64(D - 64 * c);
      const __m512i qv = _mm512_maskz_loadu_epi8(mk, a.q + 64 * c);
      const __m512i kv = _mm512_xor_si512(_mm512_maskz_loadu_epi8(mk, k + 64 * c), flip);
      acc = _mm512_dpbusd_epi32(acc, kv, qv);
    }
    score[t] = _mm512_reduce_add_epi32(acc) - corr;
  }
  softmax(p, score, pr);
  context(p, pr, a.values, a.value_stride, a.ctx);
  if (a.probs)
    for (int32_t t = 0; t < p.frames; ++t) a.probs[t] = pr[t];
}

void attn_additive__avx512vnni(const AttnParams& p, const AttnAddArgs& a, void*) {
  alignas(64) int32_t score[kAttnMaxFrames];
  alignas(64) int16_t pr[kAttnMaxFrames];
  const int32_t A = p.dim;
  for (int32_t t = 0; t < p.frames; ++t) {
    const int16_t* wk = a.wk + t * a.wk_stride;
    __m512i acc = _mm512_setzero_si512();
    for (int32_t d = 0; d < A; d += 16) {
      const __mmask16 k = mask16(A - d);
      const __m256i e = _mm256_adds_epi16(_mm256_maskz_loadu_epi16(k, wk + d), _mm256_maskz_loadu_epi16(k, a.uq + d));
      const __m512i v = _mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(k, a.v + d));
      acc = _mm512_add_epi32(acc, _mm512_mullo_epi32(v, tanh16(_mm512_cvtepi16_epi32(e))));
    }
    score[t] = _mm512_reduce_add_epi32(acc);
  }
  softmax(p, score, pr);
  context(p, pr, a.values, a.value_stride, a.ctx);
  if (a.probs)
    for (int32_t t = 0; t < p.frames; ++t) a.probs[t] = pr[t];
}

}  // namespace earshot::kernels
