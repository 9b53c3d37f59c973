// s8 GEMM, AVX-512 VNNI: vpdpbusd multiplies 4 unsigned bytes by 4 signed bytes
// into each int32 lane, so x is fed as u8 = x + 128 and the packed bias_u8
// (bias - 128 * row sum) removes the offset exactly. One o16k4 block (16 rows x
// 4 columns, 64 bytes) is one zmm: one vpdpbusd per block, 64 MACs.
// Compiled with -mavx512f -mavx512bw -mavx512vl -mavx512dq -mavx512vnni.
#include <immintrin.h>

#include "kernels/s8-gemm/ukernels.h"
#include "kernels/simd_x86.h"

namespace earshot::kernels {
namespace {

// x of every batch row as u8 (x ^ 0x80), zero-padded to k4 * 4 bytes.
const uint8_t* prep_u8(const int8_t* x, ptrdiff_t stride, int32_t cols, int32_t k4, int32_t batch, uint8_t*& out,
                       size_t& row_bytes) {
  row_bytes = static_cast<size_t>(round_up(k4 * 4, 64));
  uint8_t* base = out;
  const __m512i bias = _mm512_set1_epi8(static_cast<char>(0x80));
  for (int32_t b = 0; b < batch; ++b) {
    const int8_t* xb = x + b * stride;
    uint8_t* o = base + b * row_bytes;
    for (int32_t k = 0; k < static_cast<int32_t>(row_bytes); k += 64) {
      const int32_t n = cols - k;
      const __mmask64 mk = n >= 64 ? ~__mmask64{0} : n <= 0 ? 0 : (__mmask64{1} << n) - 1;
      const __m512i v = _mm512_maskz_loadu_epi8(mk, xb + k);
      _mm512_store_si512(o + k, _mm512_xor_si512(v, _mm512_maskz_mov_epi8(mk, bias)));
    }
  }
  out += batch * row_bytes;
  return base;
}

struct Prepared {
  const uint8_t* x[2];
  size_t row_bytes[2];
};

inline void store_tile(const S8Matrix& m, const S8GemmArgs& a, int32_t b, int32_t tile, __m512i acc) {
  const int32_t o = tile * 16;
  const int32_t n = m.rows - o;
  const __mmask16 mk = n >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << n) - 1);
  if (a.out_type == OutType::s32) {
    _mm512_mask_storeu_epi32(static_cast<int32_t*>(a.y) + b * a.y_stride + o, mk, acc);
    return;
  }
  const __m512i mult = _mm512_loadu_si512(m.mult + o), shift = _mm512_loadu_si512(m.shift + o);
  if (a.out_type == OutType::s16) {
    const __m512i v = x86::requant_x16(acc, mult, shift, -32768, 32767);
    _mm512_mask_cvtepi32_storeu_epi16(static_cast<int16_t*>(a.y) + b * a.y_stride + o, mk, v);
  } else {
    const __m512i v = x86::requant_x16(acc, mult, shift, -128, 127);
    _mm512_mask_cvtepi32_storeu_epi8(static_cast<int8_t*>(a.y) + b * a.y_stride + o, mk, v);
  }
}

// NT tiles x B batch rows, all accumulators in registers. U = 2 splits the
// column loop over two accumulator sets (more independent chains for B = 1).
template <int B, int NT, int U>
void tiles(const S8Matrix& m, const S8GemmArgs& a, const Prepared& p, int32_t t0) {
  __m512i acc[U][B][NT];
  for (int b = 0; b < B; ++b)
    for (int t = 0; t < NT; ++t) {
      acc[0][b][t] = _mm512_loadu_si512(m.bias_u8 + (t0 + t) * 16);
      if (U == 2) acc[U - 1][b][t] = _mm512_setzero_si512();
    }
  for (int s = 0; s < m.nseg; ++s) {
    const int32_t k4 = m.k4[s];
    const size_t tstride = static_cast<size_t>(k4) * 64;
    const int8_t* w = m.w[s] + t0 * tstride;
    const uint8_t* xs = p.x[s];
    const size_t rb = p.row_bytes[s];
    int32_t j = 0;
    for (; j + U <= k4; j += U, w += U * 64) {
      for (int u = 0; u < U; ++u) {
        __m512i xv[B];
        for (int b = 0; b < B; ++b) xv[b] = _mm512_set1_epi32(x86::load_u32(xs + b * rb + (j + u) * 4));
        for (int t = 0; t < NT; ++t) {
          const __m512i wv = _mm512_loadu_si512(w + t * tstride + u * 64);
          for (int b = 0; b < B; ++b) acc[u][b][t] = _mm512_dpbusd_epi32(acc[u][b][t], xv[b], wv);
        }
      }
    }
    for (; j < k4; ++j, w += 64) {
      __m512i xv[B];
      for (int b = 0; b < B; ++b) xv[b] = _mm512_set1_epi32(x86::load_u32(xs + b * rb + j * 4));
      for (int t = 0; t < NT; ++t) {
        const __m512i wv = _mm512_loadu_si512(w + t * tstride);
        for (int b = 0; b < B; ++b) acc[0][b][t] = _mm512_dpbusd_epi32(acc[0][b][t], xv[b], wv);
      }
    }
  }
  for (int b = 0; b < B; ++b)
    for (int t = 0; t < NT; ++t) {
      __m512i v = acc[0][b][t];
      if (U == 2) v = _mm512_add_epi32(v, acc[U - 1][b][t]);
      store_tile(m, a, b, t0 + t, v);
    }
}

template <int B, int NT>
void run(const S8Matrix& m, const S8GemmArgs& a, const Prepared& p) {
  constexpr int U = B == 1 ? 2 : 1;
  const int32_t tiles_n = m.rows_padded / 16;
  int32_t t = 0;
  for (; t + NT <= tiles_n; t += NT) tiles<B, NT, U>(m, a, p, t);
  for (; t < tiles_n; ++t) tiles<B, 1, U>(m, a, p, t);
}

}  // namespace

void s8_gemm__avx512vnni(const S8Matrix& m, const S8GemmArgs& a, void* scratch) {
  auto* sp = static_cast<uint8_t*>(scratch);
  Prepared p{};
  for (int s = 0; s < m.nseg; ++s)
    p.x[s] = prep_u8(a.x[s], a.x_stride[s], m.cols[s], m.k4[s], a.batch, sp, p.row_bytes[s]);
  switch (a.batch) {
    case 1: run<1, 8>(m, a, p); break;
    case 2: run<2, 8>(m, a, p); break;
    case 3: run<3, 4>(m, a, p); break;
    case 4: run<4, 4>(m, a, p); break;
    case 5: run<5, 2>(m, a, p); break;
    case 6: run<6, 2>(m, a, p); break;
    case 7: run<7, 2>(m, a, p); break;
    default: run<8, 2>(m, a, p); break;
  }
}

}  // namespace earshot::kernels
