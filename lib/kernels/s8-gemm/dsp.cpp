// s8 GEMM, Cortex-M DSP extension (ARMv7E-M, ARMv8-M Main with DSP): SMLAD
// (two 16x16 products added to an int32) on weights widened in registers by
// SXTB16. An o16k4 block row is one 32-bit word w = (w0, w1, w2, w3):
// SXTB16(w) = (w0, w2) and SXTB16(ROR(w, 8)) = (w1, w3) as int16 pairs; x is
// prepared once per call as the matching pairs (x0, x2), (x1, x3). Integer
// sums of the same products as the scalar reference, so the same bits (the
// accumulator never leaves int32: kS8MaxCols and kS8MaxBias bound it).
#include "kernels/s8-gemm/ukernels.h"

#if defined(__ARM_FEATURE_DSP)
#include <arm_acle.h>

namespace earshot::kernels {
namespace {

inline uint32_t pack16(int32_t lo, int32_t hi) {
  return (static_cast<uint32_t>(lo) & 0xFFFFu) | (static_cast<uint32_t>(hi) << 16);
}

// x as k4 pairs of words per batch row: (x[4j], x[4j+2]), (x[4j+1], x[4j+3]), zero-padded.
const uint32_t* prep(const int8_t* x, ptrdiff_t stride, int32_t cols, int32_t k4, int32_t batch, uint8_t*& sp,
                     size_t& row_words) {
  row_words = static_cast<size_t>(round_up(k4 * 8, 64)) / 4;
  auto* o = reinterpret_cast<uint32_t*>(sp);
  for (int32_t b = 0; b < batch; ++b) {
    const int8_t* xb = x + b * stride;
    uint32_t* ob = o + b * row_words;
    for (int32_t j = 0; j < k4; ++j) {
      int32_t v[4];
      for (int i = 0; i < 4; ++i) v[i] = j * 4 + i < cols ? xb[j * 4 + i] : 0;
      ob[2 * j] = pack16(v[0], v[2]);
      ob[2 * j + 1] = pack16(v[1], v[3]);
    }
  }
  sp += batch * row_words * 4;
  return o;
}

// SXTB16 with its built-in ROR #8 (gcc 12 does not fold a rotate into __sxtb16).
inline int32_t sxtb16_ror8(uint32_t w) {
  int32_t r;
  asm("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(w));
  return r;
}

inline int32_t dot4(uint32_t w, uint32_t xa, uint32_t xb, int32_t acc) {
  acc = __smlad(__sxtb16(static_cast<int32_t>(w)), static_cast<int32_t>(xa), acc);  // w0 x0 + w2 x2
  return __smlad(sxtb16_ror8(w), static_cast<int32_t>(xb), acc);                   // w1 x1 + w3 x3
}

}  // namespace

void s8_gemm__dsp(const S8Matrix& m, const S8GemmArgs& a, void* scratch) {
  auto* sp = static_cast<uint8_t*>(scratch);
  const uint32_t* xp[2] = {};
  size_t rw[2] = {};
  for (int s = 0; s < m.nseg; ++s) xp[s] = prep(a.x[s], a.x_stride[s], m.cols[s], m.k4[s], a.batch, sp, rw[s]);
  const int32_t tiles = m.rows_padded / 16;
  for (int32_t t = 0; t < tiles; ++t) {
    const int32_t n = m.rows - t * 16 < 16 ? m.rows - t * 16 : 16;
    for (int32_t b = 0; b < a.batch; ++b) {
      // Four rows at a time: four accumulators, one x pair per column group.
      for (int32_t r0 = 0; r0 < n; r0 += 4) {
        const int32_t o0 = t * 16 + r0;
        int32_t acc0 = m.bias[o0], acc1 = m.bias[o0 + 1], acc2 = m.bias[o0 + 2], acc3 = m.bias[o0 + 3];
        for (int s = 0; s < m.nseg; ++s) {
          const int32_t k4 = m.k4[s];
          // Row r0 of column group j is word j * 16 + r0 of the tile (o16k4).
          const uint32_t* w = reinterpret_cast<const uint32_t*>(m.w[s] + static_cast<size_t>(t) * k4 * 64) + r0;
          const uint32_t* x = xp[s] + b * rw[s];
          for (int32_t j = 0; j < k4; ++j, w += 16, x += 2) {
            const uint32_t xa = x[0], xb = x[1];
            acc0 = dot4(w[0], xa, xb, acc0);
            acc1 = dot4(w[1], xa, xb, acc1);
            acc2 = dot4(w[2], xa, xb, acc2);
            acc3 = dot4(w[3], xa, xb, acc3);
          }
        }
        const int32_t acc[4] = {acc0, acc1, acc2, acc3};
        for (int r = 0; r < 4 && r0 + r < n; ++r)
          store_out(m, a, b, o0 + r, acc[r]);
      }
    }
  }
}

}  // namespace earshot::kernels
#endif  // __ARM_FEATURE_DSP
