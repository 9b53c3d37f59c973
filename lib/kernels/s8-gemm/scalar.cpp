// Scalar reference of the s8 GEMM family: plain integer arithmetic on the
// packed layout, one 16-row tile at a time. Every other ISA must match it.
#include "kernels/s8-gemm/ukernels.h"

namespace earshot::kernels {

void s8_gemm__scalar(const S8Matrix& m, const S8GemmArgs& a, void*) {
  const int32_t tiles = m.rows_padded / 16;
  for (int32_t b = 0; b < a.batch; ++b) {
    for (int32_t t = 0; t < tiles; ++t) {
      int32_t acc[16];
      for (int r = 0; r < 16; ++r) acc[r] = m.bias[t * 16 + r];
      for (int s = 0; s < m.nseg; ++s) {
        const int8_t* x = a.x[s] + b * a.x_stride[s];
        const int8_t* w = m.w[s] + static_cast<size_t>(t) * m.k4[s] * 64;
        for (int32_t j = 0; j < m.k4[s]; ++j, w += 64) {
          int32_t xq[4];
          for (int i = 0; i < 4; ++i) xq[i] = j * 4 + i < m.cols[s] ? x[j * 4 + i] : 0;
          for (int r = 0; r < 16; ++r)
            acc[r] += w[r * 4] * xq[0] + w[r * 4 + 1] * xq[1] + w[r * 4 + 2] * xq[2] + w[r * 4 + 3] * xq[3];
        }
      }
      const int32_t n = m.rows - t * 16 < 16 ? m.rows - t * 16 : 16;
      for (int r = 0; r < n; ++r)
        store_out(m, a, b, t * 16 + r, acc[r]);
    }
  }
}

}  // namespace earshot::kernels
