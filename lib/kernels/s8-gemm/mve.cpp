// s8 GEMM, Helium (MVE, ARMv8.1-M). In o16k4 a row's 4 weights of column
// group j are one word at byte j * 64 + 4 * r of the tile, so a 32-bit gather
// at {0, 64, 128, 192} from there collects 16 weights of one row (groups j..j+3)
// and VMLADAVA multiplies them with the 16 contiguous x bytes of those groups
// and adds all 16 products to the row's int32 accumulator. The last, partial
// set of groups is tail-predicated (VCTP32: the inactive words read as zero,
// nothing is loaded past the matrix) and x is zero-padded to 16 bytes. The
// same integer products and sums as the scalar reference: the same bits.
#include "kernels/s8-gemm/ukernels.h"

#if defined(__ARM_FEATURE_MVE)
#include <arm_acle.h>
#include <arm_mve.h>

#include <cstring>

namespace earshot::kernels {
namespace {

// x zero-padded per batch row to whole 16-byte vectors.
const int8_t* prep(const int8_t* x, ptrdiff_t stride, int32_t cols, int32_t k4, int32_t batch, uint8_t*& sp,
                   size_t& row_bytes) {
  row_bytes = static_cast<size_t>(round_up(k4 * 8, 64));  // = s8_gemm_scratch_size's share; >= round_up(k4 * 4, 16)
  auto* o = reinterpret_cast<int8_t*>(sp);
  const int32_t padded = round_up(k4 * 4, 16);
  for (int32_t b = 0; b < batch; ++b) {
    std::memcpy(o + b * row_bytes, x + b * stride, static_cast<size_t>(cols));
    std::memset(o + b * row_bytes + cols, 0, static_cast<size_t>(padded - cols));
  }
  sp += batch * row_bytes;
  return o;
}

// requant_wide then the clamp to int32, in MVE's 64-bit scalar shifts: SQRSHRL
// adds 2^(shift-1) and shifts right arithmetically, as requant_wide does (its
// 64-bit saturation never acts: |acc * mult| < 2^62), and SQSHLL #32 saturates
// to int32 in the top word. Clamping that to int16 / int8 (SSAT) gives
// requant_s16 / requant_s8's bits.
inline int32_t requant_sat32(int32_t acc, int32_t mult, int32_t shift) {
  const int64_t v = sqrshrl(static_cast<int64_t>(acc) * mult, shift);
  return static_cast<int32_t>(sqshll(v, 32) >> 32);
}

// The outputs o0 .. o0 + nr - 1 (nr <= 4) of batch row b: store_out's bits, the
// type chosen once per four rows.
inline void store4(const S8Matrix& m, const S8GemmArgs& a, int32_t b, int32_t o0, int32_t nr, const int32_t* acc) {
  const int32_t* mult = m.mult + o0;
  const int32_t* shift = m.shift + o0;
  switch (a.out_type) {
    case OutType::s16: {
      int16_t* y = static_cast<int16_t*>(a.y) + b * a.y_stride + o0;
      for (int32_t r = 0; r < nr; ++r) y[r] = static_cast<int16_t>(__ssat(requant_sat32(acc[r], mult[r], shift[r]), 16));
      break;
    }
    case OutType::s8: {
      int8_t* y = static_cast<int8_t*>(a.y) + b * a.y_stride + o0;
      for (int32_t r = 0; r < nr; ++r) y[r] = static_cast<int8_t>(__ssat(requant_sat32(acc[r], mult[r], shift[r]), 8));
      break;
    }
    default:
      for (int32_t r = 0; r < nr; ++r) store_out(m, a, b, o0 + r, acc[r]);
  }
}

}  // namespace

void s8_gemm__mve(const S8Matrix& m, const S8GemmArgs& a, void* scratch) {
  auto* sp = static_cast<uint8_t*>(scratch);
  const int8_t* xp[2] = {};
  size_t rb[2] = {};
  for (int s = 0; s < m.nseg; ++s) xp[s] = prep(a.x[s], a.x_stride[s], m.cols[s], m.k4[s], a.batch, sp, rb[s]);
  const uint32x4_t off0 = {0, 64, 128, 192}, off1 = vaddq_n_u32(off0, 4), off2 = vaddq_n_u32(off0, 8),
                   off3 = vaddq_n_u32(off0, 12);
  const int32_t tiles = m.rows_padded / 16;
  for (int32_t t = 0; t < tiles; ++t) {
    const int32_t n = m.rows - t * 16 < 16 ? m.rows - t * 16 : 16;
    for (int32_t b = 0; b < a.batch; ++b) {
      for (int32_t r0 = 0; r0 < n; r0 += 4) {
        const int32_t o0 = t * 16 + r0;
        int32_t acc0 = m.bias[o0], acc1 = m.bias[o0 + 1], acc2 = m.bias[o0 + 2], acc3 = m.bias[o0 + 3];
        for (int s = 0; s < m.nseg; ++s) {
          const int32_t k4 = m.k4[s];
          // One base pointer for the four rows (advanced 256 bytes: 4 groups a
          // step), one byte-offset vector a row: {0, 64, 128, 192} + 4 r.
          const int32_t* w = reinterpret_cast<const int32_t*>(m.w[s] + static_cast<size_t>(t) * k4 * 64 + r0 * 4);
          const int8_t* x = xp[s] + b * rb[s];
          for (int32_t i = k4 / 4; i > 0; --i, x += 16, w += 64) {
            const int8x16_t xv = vld1q_s8(x);
            acc0 = vmladavaq_s8(acc0, vreinterpretq_s8_s32(vldrwq_gather_offset_s32(w, off0)), xv);
            acc1 = vmladavaq_s8(acc1, vreinterpretq_s8_s32(vldrwq_gather_offset_s32(w, off1)), xv);
            acc2 = vmladavaq_s8(acc2, vreinterpretq_s8_s32(vldrwq_gather_offset_s32(w, off2)), xv);
            acc3 = vmladavaq_s8(acc3, vreinterpretq_s8_s32(vldrwq_gather_offset_s32(w, off3)), xv);
          }
          if (k4 % 4) {  // the last 1..3 groups: tail-predicated, inactive words read as zero
            const mve_pred16_t p = vctp32q(static_cast<uint32_t>(k4 % 4));
            const int8x16_t xv = vld1q_s8(x);
            acc0 = vmladavaq_s8(acc0, vreinterpretq_s8_s32(vldrwq_gather_offset_z_s32(w, off0, p)), xv);
            acc1 = vmladavaq_s8(acc1, vreinterpretq_s8_s32(vldrwq_gather_offset_z_s32(w, off1, p)), xv);
            acc2 = vmladavaq_s8(acc2, vreinterpretq_s8_s32(vldrwq_gather_offset_z_s32(w, off2, p)), xv);
            acc3 = vmladavaq_s8(acc3, vreinterpretq_s8_s32(vldrwq_gather_offset_z_s32(w, off3, p)), xv);
          }
        }
        const int32_t acc[4] = {acc0, acc1, acc2, acc3};
        store4(m, a, b, o0, n - r0 < 4 ? n - r0 : 4, acc);
      }
    }
  }
}

}  // namespace earshot::kernels
#endif  // __ARM_FEATURE_MVE
