// s8 GEMM, NEON (ARMv7 and AArch64 without dotprod). An 8-byte half of an
// o16k4 block is two rows x 4 columns; vmull_s8 by x's 4 columns repeated twice
// gives 8 int16 products, vmlal_s8 adds the next column group (|sum| <= 2 * 128
// * 127 = 32512: exact because weights exclude -128), vpadal folds into int32.
#include <arm_neon.h>

#include "kernels/s8-gemm/ukernels.h"
#include "kernels/simd_neon.h"

namespace earshot::kernels {
namespace {

// x as 8-byte groups: x[4j..4j+3] twice, zero-padded.
const int8_t* prep(const int8_t* x, ptrdiff_t stride, int32_t cols, int32_t k4, int32_t batch, uint8_t*& sp,
                   size_t& row_bytes) {
  row_bytes = static_cast<size_t>(round_up(k4 * 8, 64));
  auto* o = reinterpret_cast<int8_t*>(sp);
  for (int32_t b = 0; b < batch; ++b)
    for (int32_t j = 0; j < k4; ++j)
      for (int i = 0; i < 8; ++i) {
        const int32_t k = j * 4 + (i & 3);
        o[b * row_bytes + j * 8 + i] = k < cols ? x[b * stride + k] : 0;
      }
  sp += batch * row_bytes;
  return o;
}

}  // namespace

void s8_gemm__neon(const S8Matrix& m, const S8GemmArgs& a, void* scratch) {
  auto* sp = static_cast<uint8_t*>(scratch);
  const int8_t* xp[2] = {};
  size_t rb[2] = {};
  for (int s = 0; s < m.nseg; ++s) xp[s] = prep(a.x[s], a.x_stride[s], m.cols[s], m.k4[s], a.batch, sp, rb[s]);
  const size_t elt = a.out_type == OutType::s32 ? 4 : a.out_type == OutType::s16 ? 2 : 1;
  const int32_t tiles_n = m.rows_padded / 16;
  for (int32_t t = 0; t < tiles_n; ++t)
    for (int32_t b = 0; b < a.batch; ++b) {
      int32x4_t acc[8];
      for (int r = 0; r < 8; ++r) acc[r] = vdupq_n_s32(0);
      for (int s = 0; s < m.nseg; ++s) {
        const int32_t k4 = m.k4[s];
        const int8_t* w = m.w[s] + static_cast<size_t>(t) * k4 * 64;
        const int8_t* x = xp[s] + b * rb[s];
        int32_t j = 0;
        for (; j + 2 <= k4; j += 2, w += 128, x += 16) {
          const int8x8_t x0 = vld1_s8(x), x1 = vld1_s8(x + 8);
          for (int r = 0; r < 8; ++r) {
            int16x8_t p = vmull_s8(vld1_s8(w + r * 8), x0);
            p = vmlal_s8(p, vld1_s8(w + 64 + r * 8), x1);
            acc[r] = vpadalq_s16(acc[r], p);
          }
        }
        if (j < k4) {
          const int8x8_t x0 = vld1_s8(x);
          for (int r = 0; r < 8; ++r) acc[r] = vpadalq_s16(acc[r], vmull_s8(vld1_s8(w + r * 8), x0));
        }
      }
      // acc[r] = (row 2r: k01, k23, row 2r+1: k01, k23) -> rows in order.
      int32x4_t rows[4];
      for (int q = 0; q < 4; ++q) {
        const int32x2_t a0 = vpadd_s32(vget_low_s32(acc[2 * q]), vget_high_s32(acc[2 * q]));
        const int32x2_t a1 = vpadd_s32(vget_low_s32(acc[2 * q + 1]), vget_high_s32(acc[2 * q + 1]));
        rows[q] = vaddq_s32(vcombine_s32(a0, a1), vld1q_s32(m.bias + t * 16 + 4 * q));
      }
      const int32_t o = t * 16;
      const int32_t n = m.rows - o < 16 ? m.rows - o : 16;
      neon::store16(a.out_type, static_cast<uint8_t*>(a.y) + (b * a.y_stride + o) * elt, n, rows, m.mult + o,
                    m.shift + o);
    }
}

}  // namespace earshot::kernels
