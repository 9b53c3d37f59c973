// Attention, AVX2: dot scores by vpmaddwd on sign-extended int16, additive
// scores with gathered tanh pairs, context by 8-lane int32 multiply-add; the
// softmax of <= 64 logits is the shared scalar one. Same bits as scalar.cpp.
#include <immintrin.h>

#include "kernels/activation.h"
#include "kernels/attention/ukernels.h"
#include "kernels/quant.h"
#include "kernels/simd_x86.h"

namespace earshot::kernels {
namespace {

inline int32_t hsum(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
  return _mm_cvtsi128_si32(s);
}

void finish(const AttnParams& p, const int32_t* score, const int8_t* values, ptrdiff_t stride, int16_t* probs,
            int8_t* ctx) {
  int16_t z[kAttnMaxFrames], pr[kAttnMaxFrames];
  for (int32_t t = 0; t < p.frames; ++t) z[t] = requant_s16(score[t], p.score_mult, p.score_shift);
  softmax_q10_to_q15(z, p.frames, pr);
  const __m256i mult = _mm256_set1_epi32(p.ctx_mult), shift = _mm256_set1_epi32(p.ctx_shift);
  int32_t d0 = 0;
  for (; d0 + 32 <= p.value_dim; d0 += 32) {
    __m256i acc[4] = {_mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256()};
    for (int32_t t = 0; t < p.frames; ++t) {
      const __m256i pv = _mm256_set1_epi32(pr[t]);
      const int8_t* v = values + t * stride + d0;
      for (int c = 0; c < 4; ++c) {
        const __m256i x = _mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(v + 8 * c)));
        acc[c] = _mm256_add_epi32(acc[c], _mm256_mullo_epi32(x, pv));
      }
    }
    for (int c = 0; c < 4; ++c) {
      const __m256i r = x86::requant_x8(acc[c], mult, shift, -128, 127);
      const __m128i r16 = _mm_packs_epi32(_mm256_castsi256_si128(r), _mm256_extracti128_si256(r, 1));
      _mm_storel_epi64(reinterpret_cast<__m128i*>(ctx + d0 + 8 * c), _mm_packs_epi16(r16, r16));
    }
  }
  for (int32_t d = d0; d < p.value_dim; ++d) {
    int32_t acc = 0;
    for (int32_t t = 0; t < p.frames; ++t) acc += pr[t] * values[t * stride + d];
    ctx[d] = requant_s8(acc, p.ctx_mult, p.ctx_shift);
  }
  if (probs)
    for (int32_t t = 0; t < p.frames; ++t) probs[t] = pr[t];
}

inline __m256i tanh8(__m256i x) {
  const __m256i u = _mm256_add_epi32(x, _mm256_set1_epi32(32768));
  const __m256i e = _mm256_i32gather_epi32(tables::kTanhPairs.data(), _mm256_srli_epi32(u, 8), 4);
  const __m256i base = _mm256_srai_epi32(_mm256_slli_epi32(e, 16), 16);
  const __m256i d = _mm256_mullo_epi32(_mm256_srai_epi32(e, 16), _mm256_and_si256(u, _mm256_set1_epi32(255)));
  return _mm256_add_epi32(base, _mm256_srai_epi32(_mm256_add_epi32(d, _mm256_set1_epi32(128)), 8));
}

}  // namespace

void attn_dot__avx2(const AttnParams& p, const AttnDotArgs& a, void*) {
  int32_t score[kAttnMaxFrames];
  const int32_t D = p.dim;
  const int32_t D16 = D / 16 * 16;
  for (int32_t t = 0; t < p.frames; ++t) {
    const int8_t* k = a.keys + t * a.key_stride;
    __m256i acc = _mm256_setzero_si256();
    for (int32_t d = 0; d < D16; d += 16) {
      const __m256i qv = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a.q + d)));
      const __m256i kv = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(k + d)));
      acc = _mm256_add_epi32(acc, _mm256_madd_epi16(qv, kv));
    }
    int32_t s = hsum(acc);
    for (int32_t d = D16; d < D; ++d) s += a.q[d] * k[d];
    score[t] = s;
  }
  finish(p, score, a.values, a.value_stride, a.probs, a.ctx);
}

void attn_additive__avx2(const AttnParams& p, const AttnAddArgs& a, void*) {
  int32_t score[kAttnMaxFrames];
  const int32_t A = p.dim;
  const int32_t A8 = A / 8 * 8;
  for (int32_t t = 0; t < p.frames; ++t) {
    const int16_t* wk = a.wk + t * a.wk_stride;
    __m256i acc = _mm256_setzero_si256();
    for (int32_t d = 0; d < A8; d += 8) {
      const __m128i e = _mm_adds_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(wk + d)),
                                       _mm_loadu_si128(reinterpret_cast<const __m128i*>(a.uq + d)));
      const __m256i v = _mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(a.v + d)));
      acc = _mm256_add_epi32(acc, _mm256_mullo_epi32(v, tanh8(_mm256_cvtepi16_epi32(e))));
    }
    int32_t s = hsum(acc);
    for (int32_t d = A8; d < A; ++d) s += a.v[d] * tanh_q15(sat16(wk[d] + a.uq[d]));
    score[t] = s;
  }
  finish(p, score, a.values, a.value_stride, a.probs, a.ctx);
}

}  // namespace earshot::kernels
