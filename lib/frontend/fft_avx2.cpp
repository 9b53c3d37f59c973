// AVX2 real FFT equal to KissFFT's int32 kiss_fftr (see fft_avx2.h).
//
// KissFFT's fixed-point steps (FIXED_POINT=32, FRACBITS 31), as computed here:
//   C_FIXDIV(c, d): c = (int32)((c * (INT32_MAX / d) + 2^30) >> 31) in int64;
//   C_MUL(m, a, b): m.r = (int32)((a.r b.r - a.i b.i + 2^30) >> 31), m.i likewise
//     with a.r b.i + a.i b.r: one 64-bit sum, one rounding (|products| < 2^62,
//     so the sums cannot overflow int64);
//   the products by VPMULDQ (signed 32 x 32 -> 64 on the even lanes; the odd
//   lanes shifted down first). Only the low 32 bits of each rounded value are
//   kept (the int32 cast), and those are bits 31..62 of the 64-bit sum, which a
//   logical shift gives as well as an arithmetic one;
//   C_ADD / C_SUB / the +-j rotations: wrapping int32 adds; HALF_OF: >> 1.
// Order of operations and twiddles: frontend/fft_mve.cpp (its tables).
#include "frontend/fft_avx2.h"

#include <immintrin.h>

#include "frontend/fftr_split.h"

namespace earshot::fft_avx2 {
namespace {

constexpr int32_t kDiv4 = INT32_MAX / 4, kDiv2 = INT32_MAX / 2;

// Rounded high halves: even lanes' value from `even` (bits 31..62 -> low 32),
// odd lanes' from `odd` (bits 31..62 -> high 32).
inline __m256i pack_rounded(__m256i even, __m256i odd) {
  const __m256i half = _mm256_set1_epi64x(int64_t{1} << 30);
  even = _mm256_srli_epi64(_mm256_add_epi64(even, half), 31);
  odd = _mm256_slli_epi64(_mm256_add_epi64(odd, half), 1);
  return _mm256_blend_epi32(even, odd, 0xAA);
}

// C_FIXDIV-style product of every int32 lane by the constant c (c > 0).
inline __m256i mulr(__m256i x, int32_t c) {
  const __m256i k = _mm256_set1_epi32(c);
  return pack_rounded(_mm256_mul_epi32(x, k), _mm256_mul_epi32(_mm256_srli_epi64(x, 32), k));
}

// C_MUL on four complex pairs {re, im}.
inline __m256i cmul(__m256i a, __m256i b) {
  const __m256i ai = _mm256_srli_epi64(a, 32), bi = _mm256_srli_epi64(b, 32);
  const __m256i re = _mm256_sub_epi64(_mm256_mul_epi32(a, b), _mm256_mul_epi32(ai, bi));
  const __m256i im = _mm256_add_epi64(_mm256_mul_epi32(a, bi), _mm256_mul_epi32(ai, b));
  return pack_rounded(re, im);
}

// {s5.r + s4.i, s5.i - s4.r} (rot270) and {s5.r - s4.i, s5.i + s4.r} (rot90).
inline void rotations(__m256i s5, __m256i s4, __m256i& r270, __m256i& r90) {
  const __m256i sw = _mm256_shuffle_epi32(s4, _MM_SHUFFLE(2, 3, 0, 1));  // {s4.i, s4.r}
  const __m256i p = _mm256_add_epi32(s5, sw), m = _mm256_sub_epi32(s5, sw);
  r270 = _mm256_blend_epi32(p, m, 0xAA);
  r90 = _mm256_blend_epi32(m, p, 0xAA);
}

inline __m256i load(const int32_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
inline void store(int32_t* p, __m256i v) { _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), v); }
// Two pairs of complex twiddles (fft_mve's per-pair layout) as one vector.
inline __m256i load2(const int32_t* lo, const int32_t* hi) {
  return _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(lo))),
                                 _mm_loadu_si128(reinterpret_cast<const __m128i*>(hi)), 1);
}

}  // namespace

void forward(const void* tables, uint32_t n, const int32_t* in, Complex32* out) {
  const uint32_t nc = n / 2, q = nc / 4;
  // fft_mve's layout: stage twiddles (3 m complex for m = 4, 16, ...), super
  // twiddles (nc / 2 complex), digit reversal (nc / 4 uint64).
  uint32_t stage_entries = 0;
  for (uint32_t m = 4; m < nc; m *= 4) stage_entries += 3 * m;
  const auto* tw = static_cast<const int32_t*>(tables);
  const int32_t* super = tw + 2 * stage_entries;
  const auto* rev = reinterpret_cast<const uint64_t*>(super + nc);
  auto* o = reinterpret_cast<int32_t*>(out);

  // Stage m = 1 on the digit-reversed input, four groups a step: group g's leg
  // l is input complex rev[g] + l q; twiddle 0 is (INT32_MAX, 0), so C_MUL by
  // it multiplies both parts by INT32_MAX. Group g's outputs go to out[4g + l].
  {
    const auto* b0 = reinterpret_cast<const long long*>(in);
    for (uint32_t g = 0; g < q; g += 4) {
      const __m256i idx = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(rev + g));
      __m256i f0 = _mm256_i64gather_epi64(b0, idx, 8);
      __m256i f1 = _mm256_i64gather_epi64(b0 + q, idx, 8);
      __m256i f2 = _mm256_i64gather_epi64(b0 + 2 * q, idx, 8);
      __m256i f3 = _mm256_i64gather_epi64(b0 + 3 * q, idx, 8);
      f0 = mulr(f0, kDiv4);
      f1 = mulr(mulr(f1, kDiv4), INT32_MAX);
      f2 = mulr(mulr(f2, kDiv4), INT32_MAX);
      f3 = mulr(mulr(f3, kDiv4), INT32_MAX);
      const __m256i s5 = _mm256_sub_epi32(f0, f2), a0 = _mm256_add_epi32(f0, f2);
      const __m256i s3 = _mm256_add_epi32(f1, f3), s4 = _mm256_sub_epi32(f1, f3);
      __m256i l1, l3;
      rotations(s5, s4, l1, l3);
      const __m256i l0 = _mm256_add_epi32(a0, s3), l2 = _mm256_sub_epi32(a0, s3);
      // Transpose (groups x legs, 64-bit elements) so each group's legs are contiguous.
      const __m256i t0 = _mm256_unpacklo_epi64(l0, l1), t1 = _mm256_unpackhi_epi64(l0, l1);
      const __m256i t2 = _mm256_unpacklo_epi64(l2, l3), t3 = _mm256_unpackhi_epi64(l2, l3);
      int32_t* dst = o + 8 * g;
      store(dst, _mm256_permute2x128_si256(t0, t2, 0x20));
      store(dst + 8, _mm256_permute2x128_si256(t1, t3, 0x20));
      store(dst + 16, _mm256_permute2x128_si256(t0, t2, 0x31));
      store(dst + 24, _mm256_permute2x128_si256(t1, t3, 0x31));
    }
  }

  // Stages m = 4, 16, ..., nc / 4: groups of 4m, butterflies k .. k+3 together.
  for (uint32_t m = 4; m < nc; m *= 4) {
    for (uint32_t g = 0; g < nc; g += 4 * m) {
      int32_t* p = o + 2 * g;
      const int32_t* t = tw;
      for (uint32_t k = 0; k < m; k += 4, p += 8, t += 24) {
        __m256i f0 = mulr(load(p), kDiv4), f1 = mulr(load(p + 2 * m), kDiv4);
        __m256i f2 = mulr(load(p + 4 * m), kDiv4), f3 = mulr(load(p + 6 * m), kDiv4);
        const __m256i s0 = cmul(f1, load2(t, t + 12)), s1 = cmul(f2, load2(t + 4, t + 16));
        const __m256i s2 = cmul(f3, load2(t + 8, t + 20));
        const __m256i s5 = _mm256_sub_epi32(f0, s1), a0 = _mm256_add_epi32(f0, s1);
        const __m256i s3 = _mm256_add_epi32(s0, s2), s4 = _mm256_sub_epi32(s0, s2);
        store(p + 4 * m, _mm256_sub_epi32(a0, s3));
        store(p, _mm256_add_epi32(a0, s3));
        rotations(s5, s4, f1, f3);
        store(p + 2 * m, f1);
        store(p + 6 * m, f3);
      }
    }
    tw += 6 * m;
  }

  // kiss_fftr's split, in place: bins k .. k+3 with nc-k .. nc-k-3 (loaded as
  // the four complex from nc-k-3 up, reversed). In the last step the two sets
  // share bin nc/2; the second store wins there, as in kiss_fftr.
  fftr_split_ends(o, nc);
  const __m256i conj = _mm256_setr_epi32(1, -1, 1, -1, 1, -1, 1, -1);
  for (uint32_t k = 1; k <= nc / 2; k += 4, super += 8) {
    int32_t* pk = o + 2 * k;
    int32_t* pn = o + 2 * (nc - k - 3);
    __m256i fpk = load(pk);
    __m256i fpnk = _mm256_permute4x64_epi64(load(pn), _MM_SHUFFLE(0, 1, 2, 3));
    fpnk = _mm256_sign_epi32(fpnk, conj);
    fpk = mulr(fpk, kDiv2);
    fpnk = mulr(fpnk, kDiv2);
    const __m256i f1k = _mm256_add_epi32(fpk, fpnk), f2k = _mm256_sub_epi32(fpk, fpnk);
    const __m256i t = cmul(f2k, load(super));
    const __m256i d = _mm256_sign_epi32(_mm256_sub_epi32(f1k, t), conj);
    store(pk, _mm256_srai_epi32(_mm256_add_epi32(f1k, t), 1));
    store(pn, _mm256_permute4x64_epi64(_mm256_srai_epi32(d, 1), _MM_SHUFFLE(0, 1, 2, 3)));
  }
}

}  // namespace earshot::fft_avx2
