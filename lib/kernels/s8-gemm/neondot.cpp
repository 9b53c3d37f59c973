// s8 GEMM, AArch64 dotprod (SDOT): a 16-byte quarter of an o16k4 block is
// 4 rows x 4 columns, exactly what vdotq_laneq_s32 consumes against one 4-byte
// lane of x. Signed x, signed weights, plain bias. Compiled with
// -march=armv8.2-a+dotprod; selected only where HWCAP_ASIMDDP is set.
#include <arm_neon.h>

#include "kernels/s8-gemm/ukernels.h"
#include "kernels/simd_neon.h"

namespace earshot::kernels {
namespace {

const int8_t* prep(const int8_t* x, ptrdiff_t stride, int32_t cols, int32_t k4, int32_t batch, uint8_t*& sp,
                   size_t& row_bytes) {
  row_bytes = static_cast<size_t>(round_up(k4 * 4, 64));
  auto* o = reinterpret_cast<int8_t*>(sp);
  for (int32_t b = 0; b < batch; ++b)
    for (int32_t k = 0; k < static_cast<int32_t>(row_bytes); ++k) o[b * row_bytes + k] = k < cols ? x[b * stride + k] : 0;
  sp += batch * row_bytes;
  return o;
}

template <int NT>
inline void tiles(const S8Matrix& m, const S8GemmArgs& a, const int8_t* const xp[2], const size_t rb[2], int32_t t0,
                  int32_t b) {
  int32x4_t acc[NT][4];
  for (int t = 0; t < NT; ++t)
    for (int q = 0; q < 4; ++q) acc[t][q] = vld1q_s32(m.bias + (t0 + t) * 16 + 4 * q);
  for (int s = 0; s < m.nseg; ++s) {
    const int32_t k4 = m.k4[s];
    const size_t ts = static_cast<size_t>(k4) * 64;
    const int8_t* w = m.w[s] + t0 * ts;
    const int8_t* x = xp[s] + b * rb[s];
#define ESK_DOT(U)                                                                          \
  for (int t = 0; t < NT; ++t)                                                              \
    for (int q = 0; q < 4; ++q)                                                             \
      acc[t][q] = vdotq_laneq_s32(acc[t][q], vld1q_s8(w + t * ts + (U) * 64 + q * 16), xv, U);
    int32_t j = 0;
    for (; j + 4 <= k4; j += 4, w += 256) {
      const int8x16_t xv = vld1q_s8(x + j * 4);
      ESK_DOT(0) ESK_DOT(1) ESK_DOT(2) ESK_DOT(3)
    }
    if (j < k4) {
      const int8x16_t xv = vld1q_s8(x + j * 4);  // zero-padded to 64 bytes
      const int32_t r = k4 - j;
      ESK_DOT(0)
      if (r > 1) { ESK_DOT(1) }
      if (r > 2) { ESK_DOT(2) }
    }
#undef ESK_DOT
  }
  const size_t elt = a.out_type == OutType::s32 ? 4 : a.out_type == OutType::s16 ? 2 : 1;
  for (int t = 0; t < NT; ++t) {
    const int32_t o = (t0 + t) * 16;
    const int32_t n = m.rows - o < 16 ? m.rows - o : 16;
    neon::store16(a.out_type, static_cast<uint8_t*>(a.y) + (b * a.y_stride + o) * elt, n, acc[t], m.mult + o,
                  m.shift + o);
  }
}

}  // namespace

void s8_gemm__neondot(const S8Matrix& m, const S8GemmArgs& a, void* scratch) {
  auto* sp = static_cast<uint8_t*>(scratch);
  const int8_t* xp[2] = {};
  size_t rb[2] = {};
  for (int s = 0; s < m.nseg; ++s) xp[s] = prep(a.x[s], a.x_stride[s], m.cols[s], m.k4[s], a.batch, sp, rb[s]);
  const int32_t tiles_n = m.rows_padded / 16;
  int32_t t = 0;
  for (; t + 2 <= tiles_n; t += 2)
    for (int32_t b = 0; b < a.batch; ++b) tiles<2>(m, a, xp, rb, t, b);
  for (; t < tiles_n; ++t)
    for (int32_t b = 0; b < a.batch; ++b) tiles<1>(m, a, xp, rb, t, b);
}

}  // namespace earshot::kernels
