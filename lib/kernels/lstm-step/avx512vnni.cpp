// LSTM cell, AVX-512 (16 units per step; table activations by vpgatherdd of
// the packed (T[i], T[i+1]-T[i]) pairs). Same arithmetic as cell.h, lane-wise.
#include <immintrin.h>

#include "kernels/lstm-step/cell.h"
#include "kernels/lstm-step/ukernels.h"

namespace earshot::kernels {
namespace {

inline __m512i act(const int32_t* pairs, __m512i x) {
  const __m512i u = _mm512_add_epi32(x, _mm512_set1_epi32(32768));
  const __m512i e = _mm512_i32gather_epi32(_mm512_srli_epi32(u, 8), pairs, 4);
  const __m512i base = _mm512_srai_epi32(_mm512_slli_epi32(e, 16), 16);
  const __m512i delta = _mm512_srai_epi32(e, 16);
  const __m512i frac = _mm512_and_si512(u, _mm512_set1_epi32(255));
  const __m512i d = _mm512_add_epi32(_mm512_mullo_epi32(delta, frac), _mm512_set1_epi32(128));
  return _mm512_add_epi32(base, _mm512_srai_epi32(d, 8));
}

inline __m512i clamp(__m512i v, int32_t lo, int32_t hi) {
  return _mm512_min_epi32(_mm512_max_epi32(v, _mm512_set1_epi32(lo)), _mm512_set1_epi32(hi));
}

inline __m512i load16(const int16_t* p, __mmask16 k) { return _mm512_cvtepi16_epi32(_mm256_maskz_loadu_epi16(k, p)); }

}  // namespace

void lstm_cell__avx512vnni(const int16_t* gates, int32_t H, int16_t* c16, int16_t* h16, int8_t* h8) {
  const int32_t* sig = tables::kSigmoidPairs.data();
  const int32_t* tnh = tables::kTanhPairs.data();
  const __m512i half = _mm512_set1_epi32(1 << 14);
  for (int32_t j = 0; j < H; j += 16) {
    const __mmask16 k = H - j >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << (H - j)) - 1);
    const __m512i i = act(sig, load16(gates + j, k));
    const __m512i f = act(sig, load16(gates + H + j, k));
    const __m512i g = act(tnh, load16(gates + 2 * H + j, k));
    const __m512i o = act(sig, load16(gates + 3 * H + j, k));
    const __m512i c = load16(c16 + j, k);
    const __m512i ig = _mm512_srai_epi32(_mm512_mullo_epi32(i, g), 4);
    const __m512i sum = _mm512_add_epi32(_mm512_add_epi32(_mm512_mullo_epi32(f, c), ig), half);
    const __m512i cn = clamp(_mm512_srai_epi32(sum, 15), -32768, 32767);
    const __m512i t = act(tnh, clamp(_mm512_slli_epi32(cn, 1), -32768, 32767));
    const __m512i h = _mm512_srai_epi32(_mm512_add_epi32(_mm512_mullo_epi32(o, t), half), 15);
    const __m512i q = clamp(_mm512_srai_epi32(_mm512_add_epi32(h, _mm512_set1_epi32(128)), 8), -128, 127);
    _mm512_mask_cvtepi32_storeu_epi16(c16 + j, k, cn);
    if (h16) _mm512_mask_cvtepi32_storeu_epi16(h16 + j, k, h);
    _mm512_mask_cvtepi32_storeu_epi8(h8 + j, k, q);
  }
}

}  // namespace earshot::kernels
