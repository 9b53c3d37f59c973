// Shared x86 SIMD helpers of the kernels (include only from files compiled
// with the matching -m flags).
#pragma once
#include <immintrin.h>

#include <cstdint>
#include <cstring>

namespace earshot::kernels::x86 {

inline int32_t load_u32(const void* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

#if defined(__AVX512F__)
// quant.h's rule on 16 int32 lanes with per-lane mult/shift, clamped to [lo, hi].
inline __m512i requant_x16(__m512i acc, __m512i mult, __m512i shift, int32_t lo, int32_t hi) {
  const __m512i one = _mm512_set1_epi64(1);
  const __m512i lo64 = _mm512_set1_epi64(lo), hi64 = _mm512_set1_epi64(hi);
  const __m512i se = _mm512_and_si512(shift, _mm512_set1_epi64(0xFFFFFFFF));
  const __m512i so = _mm512_srli_epi64(shift, 32);
  __m512i pe = _mm512_mul_epi32(acc, mult);
  __m512i po = _mm512_mul_epi32(_mm512_srli_epi64(acc, 32), _mm512_srli_epi64(mult, 32));
  pe = _mm512_srav_epi64(_mm512_add_epi64(pe, _mm512_sllv_epi64(one, _mm512_sub_epi64(se, one))), se);
  po = _mm512_srav_epi64(_mm512_add_epi64(po, _mm512_sllv_epi64(one, _mm512_sub_epi64(so, one))), so);
  pe = _mm512_min_epi64(_mm512_max_epi64(pe, lo64), hi64);
  po = _mm512_min_epi64(_mm512_max_epi64(po, lo64), hi64);
  return _mm512_mask_blend_epi32(0xAAAA, pe, _mm512_slli_epi64(po, 32));
}
#endif

#if defined(__AVX2__)
// The same rule on 8 lanes. AVX2 has no 64-bit arithmetic shift: the product
// is offset by 2^63 (as unsigned), shifted logically, and the offset removed.
inline __m256i requant_x8(__m256i acc, __m256i mult, __m256i shift, int32_t lo, int32_t hi) {
  const __m256i one = _mm256_set1_epi64x(1);
  const __m256i sign = _mm256_set1_epi64x(static_cast<int64_t>(0x8000000000000000ull));
  const __m256i lo64 = _mm256_set1_epi64x(lo), hi64 = _mm256_set1_epi64x(hi);
  const __m256i se = _mm256_and_si256(shift, _mm256_set1_epi64x(0xFFFFFFFF));
  const __m256i so = _mm256_srli_epi64(shift, 32);
  auto half = [&](__m256i p, __m256i s) {
    const __m256i r = _mm256_sllv_epi64(one, _mm256_sub_epi64(s, one));
    p = _mm256_srlv_epi64(_mm256_add_epi64(_mm256_add_epi64(p, r), sign), s);
    p = _mm256_sub_epi64(p, _mm256_srlv_epi64(sign, s));  // remove 2^(63 - s)
    p = _mm256_blendv_epi8(p, lo64, _mm256_cmpgt_epi64(lo64, p));
    return _mm256_blendv_epi8(p, hi64, _mm256_cmpgt_epi64(p, hi64));
  };
  const __m256i pe = half(_mm256_mul_epi32(acc, mult), se);
  const __m256i po = half(_mm256_mul_epi32(_mm256_srli_epi64(acc, 32), _mm256_srli_epi64(mult, 32)), so);
  return _mm256_blend_epi32(pe, _mm256_slli_epi64(po, 32), 0xAA);
}
#endif

}  // namespace earshot::kernels::x86
