// LSTM cell, AVX2 (8 units per step, vpgatherdd tables; tail through cell.h).
#include <immintrin.h>

#include "kernels/lstm-step/cell.h"
#include "kernels/lstm-step/ukernels.h"

namespace earshot::kernels {
namespace {

inline __m256i act(const int32_t* pairs, __m256i x) {
  const __m256i u = _mm256_add_epi32(x, _mm256_set1_epi32(32768));
  const __m256i e = _mm256_i32gather_epi32(pairs, _mm256_srli_epi32(u, 8), 4);
  const __m256i base = _mm256_srai_epi32(_mm256_slli_epi32(e, 16), 16);
  const __m256i delta = _mm256_srai_epi32(e, 16);
  const __m256i frac = _mm256_and_si256(u, _mm256_set1_epi32(255));
  const __m256i d = _mm256_add_epi32(_mm256_mullo_epi32(delta, frac), _mm256_set1_epi32(128));
  return _mm256_add_epi32(base, _mm256_srai_epi32(d, 8));
}

inline __m256i clamp(__m256i v, int32_t lo, int32_t hi) {
  return _mm256_min_epi32(_mm256_max_epi32(v, _mm256_set1_epi32(lo)), _mm256_set1_epi32(hi));
}

inline __m256i load8(const int16_t* p) {
  return _mm256_cvtepi16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}

}  // namespace

void lstm_cell__avx2(const int16_t* gates, int32_t H, int16_t* c16, int16_t* h16, int8_t* h8) {
  const int32_t* sig = tables::kSigmoidPairs.data();
  const int32_t* tnh = tables::kTanhPairs.data();
  const __m256i half = _mm256_set1_epi32(1 << 14);
  int32_t j = 0;
  for (; j + 8 <= H; j += 8) {
    const __m256i i = act(sig, load8(gates + j));
    const __m256i f = act(sig, load8(gates + H + j));
    const __m256i g = act(tnh, load8(gates + 2 * H + j));
    const __m256i o = act(sig, load8(gates + 3 * H + j));
    const __m256i c = load8(c16 + j);
    const __m256i ig = _mm256_srai_epi32(_mm256_mullo_epi32(i, g), 4);
    const __m256i sum = _mm256_add_epi32(_mm256_add_epi32(_mm256_mullo_epi32(f, c), ig), half);
    const __m256i cn = clamp(_mm256_srai_epi32(sum, 15), -32768, 32767);
    const __m256i t = act(tnh, clamp(_mm256_slli_epi32(cn, 1), -32768, 32767));
    const __m256i h = _mm256_srai_epi32(_mm256_add_epi32(_mm256_mullo_epi32(o, t), half), 15);
    const __m256i q = clamp(_mm256_srai_epi32(_mm256_add_epi32(h, _mm256_set1_epi32(128)), 8), -128, 127);
    // Values are in range: packs only narrows. Lane order fixed by permute.
    const __m128i c16v = _mm_packs_epi32(_mm256_castsi256_si128(cn), _mm256_extracti128_si256(cn, 1));
    const __m128i h16v = _mm_packs_epi32(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
    const __m128i q16 = _mm_packs_epi32(_mm256_castsi256_si128(q), _mm256_extracti128_si256(q, 1));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(c16 + j), c16v);
    if (h16) _mm_storeu_si128(reinterpret_cast<__m128i*>(h16 + j), h16v);
    _mm_storel_epi64(reinterpret_cast<__m128i*>(h8 + j), _mm_packs_epi16(q16, q16));
  }
  for (; j < H; ++j) {
    const CellOut r = lstm_unit(gates[j], gates[H + j], gates[2 * H + j], gates[3 * H + j], c16[j]);
    c16[j] = r.c;
    if (h16) h16[j] = r.h16;
    h8[j] = r.h8;
  }
}

}  // namespace earshot::kernels
