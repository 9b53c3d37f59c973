// Per-ISA entry points of the s8 GEMM family (internal). Each is called with
// batch in 1..8 and scratch already 64-byte aligned and sized by
// s8_gemm_scratch_size().
#pragma once
#include "kernels/quant.h"
#include "kernels/s8-gemm/s8_gemm.h"

namespace earshot::kernels {

inline constexpr int kS8MaxBatchPerCall = 8;

void s8_gemm__scalar(const S8Matrix& m, const S8GemmArgs& a, void* scratch);
void s8_gemm__avx2(const S8Matrix& m, const S8GemmArgs& a, void* scratch);
void s8_gemm__avx512vnni(const S8Matrix& m, const S8GemmArgs& a, void* scratch);
void s8_gemm__neon(const S8Matrix& m, const S8GemmArgs& a, void* scratch);
void s8_gemm__neondot(const S8Matrix& m, const S8GemmArgs& a, void* scratch);
void s8_gemm__dsp(const S8Matrix& m, const S8GemmArgs& a, void* scratch);
void s8_gemm__mve(const S8Matrix& m, const S8GemmArgs& a, void* scratch);

// Output o of batch row b from its int32 accumulator, as a.out_type asks (the
// scalar reference's store, shared by the variants that store one row at a time).
inline void store_out(const S8Matrix& m, const S8GemmArgs& a, int32_t b, int32_t o, int32_t acc) {
  switch (a.out_type) {
    case OutType::s32: static_cast<int32_t*>(a.y)[b * a.y_stride + o] = acc; break;
    case OutType::s16: static_cast<int16_t*>(a.y)[b * a.y_stride + o] = requant_s16(acc, m.mult[o], m.shift[o]); break;
    case OutType::s8: static_cast<int8_t*>(a.y)[b * a.y_stride + o] = requant_s8(acc, m.mult[o], m.shift[o]); break;
  }
}

// Byte offset of W[o][k] of one segment inside the o16k4 layout.
inline size_t o16k4_offset(int32_t k4, int32_t o, int32_t k) {
  return (static_cast<size_t>(o / 16) * k4 + k / 4) * 64 + (o % 16) * 4 + (k % 4);
}

}  // namespace earshot::kernels
