// Per-ISA entry points of the s8 GEMM family (internal). Each is called with
// batch in 1..8 and scratch already 64-byte aligned and sized by
// s8_gemm_scratch_size().
#pragma once
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

// Byte offset of W[o][k] of one segment inside the o16k4 layout.
inline size_t o16k4_offset(int32_t k4, int32_t o, int32_t k) {
  return (static_cast<size_t>(o / 16) * k4 + k / 4) * 64 + (o % 16) * 4 + (k % 4);
}

}  // namespace earshot::kernels
