// s8 GEMM, AVX2. vpmaddubsw (u8 x s8 pairs -> int16, saturating) is exact when
// the unsigned side is a nibble: x + 128 = 16 * hi + lo with hi, lo in [0, 15],
// so each pair sum is at most 2 * 15 * 127 = 3810 and 8 steps of them fit in
// int16 (30480); every 8 steps vpmaddwd folds them into int32 (hi with weight
// 16). bias_u8 removes the +128 offset exactly. One o16k4 block = two ymm.
// Compiled with -mavx2.
#include <immintrin.h>

#include <cstring>

#include "kernels/s8-gemm/ukernels.h"
#include "kernels/simd_x86.h"

namespace earshot::kernels {
namespace {

struct Prepared {
  const uint8_t* lo[2];
  const uint8_t* hi[2];
  size_t row_bytes[2];
};

void prep(const int8_t* x, ptrdiff_t stride, int32_t cols, int32_t k4, int32_t batch, uint8_t*& sp,
          const uint8_t*& lo, const uint8_t*& hi, size_t& row_bytes) {
  row_bytes = static_cast<size_t>(round_up(k4 * 4, 32));
  uint8_t* l = sp;
  uint8_t* h = sp + batch * row_bytes;
  for (int32_t b = 0; b < batch; ++b)
    for (int32_t k = 0; k < static_cast<int32_t>(row_bytes); ++k) {
      const uint8_t u = k < cols ? static_cast<uint8_t>(x[b * stride + k] ^ 0x80) : 0;
      l[b * row_bytes + k] = u & 15;
      h[b * row_bytes + k] = u >> 4;
    }
  lo = l;
  hi = h;
  sp += 2 * batch * row_bytes;
}

void store_tile(const S8Matrix& m, const S8GemmArgs& a, int32_t b, int32_t tile, __m256i acc0, __m256i acc1) {
  const int32_t o = tile * 16;
  const int32_t n = m.rows - o < 16 ? m.rows - o : 16;
  alignas(32) int32_t v32[16];
  if (a.out_type == OutType::s32) {
    _mm256_store_si256(reinterpret_cast<__m256i*>(v32), acc0);
    _mm256_store_si256(reinterpret_cast<__m256i*>(v32 + 8), acc1);
    std::memcpy(static_cast<int32_t*>(a.y) + b * a.y_stride + o, v32, n * 4);
    return;
  }
  const int32_t lo = a.out_type == OutType::s16 ? -32768 : -128, hi = a.out_type == OutType::s16 ? 32767 : 127;
  auto rq = [&](__m256i acc, int h) {
    const __m256i mult = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(m.mult + o + 8 * h));
    const __m256i shift = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(m.shift + o + 8 * h));
    return x86::requant_x8(acc, mult, shift, lo, hi);
  };
  const __m256i r0 = rq(acc0, 0), r1 = rq(acc1, 1);
  // In-range int32 -> int16: packs within 128-bit lanes, then restore order.
  const __m256i p16 = _mm256_permute4x64_epi64(_mm256_packs_epi32(r0, r1), 0xD8);
  if (a.out_type == OutType::s16) {
    int16_t* y = static_cast<int16_t*>(a.y) + b * a.y_stride + o;
    if (n == 16) _mm256_storeu_si256(reinterpret_cast<__m256i*>(y), p16);
    else {
      alignas(32) int16_t t[16];
      _mm256_store_si256(reinterpret_cast<__m256i*>(t), p16);
      std::memcpy(y, t, n * 2);
    }
  } else {
    const __m128i p8 = _mm_packs_epi16(_mm256_castsi256_si128(p16), _mm256_extracti128_si256(p16, 1));
    int8_t* y = static_cast<int8_t*>(a.y) + b * a.y_stride + o;
    if (n == 16) _mm_storeu_si128(reinterpret_cast<__m128i*>(y), p8);
    else {
      alignas(16) int8_t t[16];
      _mm_store_si128(reinterpret_cast<__m128i*>(t), p8);
      std::memcpy(y, t, n);
    }
  }
}

// NT tiles (2 ymm halves each) for one batch row b.
template <int NT>
void tiles(const S8Matrix& m, const S8GemmArgs& a, const Prepared& p, int32_t t0, int32_t b) {
  const __m256i ones = _mm256_set1_epi16(1), sixteen = _mm256_set1_epi16(16);
  __m256i acc[NT][2], lo16[NT][2], hi16[NT][2];
  for (int t = 0; t < NT; ++t)
    for (int h = 0; h < 2; ++h) {
      acc[t][h] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(m.bias_u8 + (t0 + t) * 16 + 8 * h));
      lo16[t][h] = hi16[t][h] = _mm256_setzero_si256();
    }
  auto flush = [&] {
    for (int t = 0; t < NT; ++t)
      for (int h = 0; h < 2; ++h) {
        acc[t][h] = _mm256_add_epi32(acc[t][h], _mm256_madd_epi16(lo16[t][h], ones));
        acc[t][h] = _mm256_add_epi32(acc[t][h], _mm256_madd_epi16(hi16[t][h], sixteen));
        lo16[t][h] = hi16[t][h] = _mm256_setzero_si256();
      }
  };
  for (int s = 0; s < m.nseg; ++s) {
    const int32_t k4 = m.k4[s];
    const size_t tstride = static_cast<size_t>(k4) * 64;
    const int8_t* w = m.w[s] + t0 * tstride;
    const uint8_t* xl = p.lo[s] + b * p.row_bytes[s];
    const uint8_t* xh = p.hi[s] + b * p.row_bytes[s];
    for (int32_t j0 = 0; j0 < k4; j0 += 8) {
      const int32_t j1 = j0 + 8 < k4 ? j0 + 8 : k4;
      for (int32_t j = j0; j < j1; ++j) {
        const __m256i vl = _mm256_set1_epi32(x86::load_u32(xl + j * 4));
        const __m256i vh = _mm256_set1_epi32(x86::load_u32(xh + j * 4));
        for (int t = 0; t < NT; ++t)
          for (int h = 0; h < 2; ++h) {
            const __m256i wv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + t * tstride + j * 64 + 32 * h));
            lo16[t][h] = _mm256_add_epi16(lo16[t][h], _mm256_maddubs_epi16(vl, wv));
            hi16[t][h] = _mm256_add_epi16(hi16[t][h], _mm256_maddubs_epi16(vh, wv));
          }
      }
      flush();
    }
  }
  for (int t = 0; t < NT; ++t) store_tile(m, a, b, t0 + t, acc[t][0], acc[t][1]);
}

}  // namespace

void s8_gemm__avx2(const S8Matrix& m, const S8GemmArgs& a, void* scratch) {
  auto* sp = static_cast<uint8_t*>(scratch);
  Prepared p{};
  for (int s = 0; s < m.nseg; ++s)
    prep(a.x[s], a.x_stride[s], m.cols[s], m.k4[s], a.batch, sp, p.lo[s], p.hi[s], p.row_bytes[s]);
  const int32_t tiles_n = m.rows_padded / 16;
  int32_t t = 0;
  for (; t + 2 <= tiles_n; t += 2)
    for (int32_t b = 0; b < a.batch; ++b) tiles<2>(m, a, p, t, b);
  for (; t < tiles_n; ++t)
    for (int32_t b = 0; b < a.batch; ++b) tiles<1>(m, a, p, t, b);
}

}  // namespace earshot::kernels
