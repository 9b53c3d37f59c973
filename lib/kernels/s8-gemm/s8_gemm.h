// s8 GEMV / small GEMM: y[b][o] = requant(bias[o] + sum_s sum_k W_s[o][k] * x_s[b][k])
// with int8 weights (symmetric per output row, values in [-127, 127]), int8
// inputs (symmetric per tensor, full [-128, 127]), int32 accumulation and the
// per-row requantization of quant.h to int16 or int8 (or the raw int32).
//
// A matrix has one or two column segments (two for an LSTM: input and
// recurrent part share one accumulator and one requantization per row) and is
// packed once, at pack time or load time, into the layout "o16k4" that every
// ISA reads in place (NUMERICS.md, "Packed matrix"): the image can hold it and
// the kernels read it straight from flash.
#pragma once
#include <cstddef>
#include <cstdint>

#include "common/error.h"
#include "kernels/isa.h"
#include "kernels/quant.h"

namespace earshot::kernels {

inline constexpr int kS8MaxCols = 16384;   // per matrix, both segments together
inline constexpr int kS8MaxRows = 65536;
inline constexpr int kS8MaxBias = 1 << 30; // |bias| bound (keeps the accumulator in int32)

// What s8_matrix_pack() reads: row-major int8 weights per segment.
struct S8MatrixSource {
  int32_t rows = 0;
  int32_t nseg = 1;                   // 1 or 2
  int32_t cols[2] = {0, 0};
  const int8_t* w[2] = {nullptr, nullptr};  // [rows][cols[s]], row-major, in [-127, 127]
  const int32_t* bias = nullptr;      // [rows], at scale s_w[o] * s_x; null = zeros
  const int32_t* mult = nullptr;      // [rows], in [0, 2^31 - 1]
  const int32_t* shift = nullptr;     // [rows], in [1, 62]
};

// A view of a packed matrix (pointers into the packed blob; the blob must
// outlive the view). Filled by s8_matrix_view().
struct S8Matrix {
  int32_t rows = 0, rows_padded = 0, nseg = 0;
  int32_t cols[2] = {0, 0};
  int32_t k4[2] = {0, 0};             // ceil(cols / 4)
  const int8_t* w[2] = {nullptr, nullptr};  // o16k4 blocks of each segment
  const int32_t* bias = nullptr;      // [rows_padded]
  const int32_t* bias_u8 = nullptr;   // [rows_padded] bias - 128 * sum_k W[o][k] (u8-input kernels)
  const int32_t* mult = nullptr;      // [rows_padded]
  const int32_t* shift = nullptr;     // [rows_padded]
};

// Bytes of the packed blob (a multiple of 64; keep the blob 64-byte aligned).
size_t s8_matrix_packed_size(int32_t rows, int32_t cols0, int32_t cols1 = 0);
// Validates the source and writes the blob. Errors name the offending value.
earshot_status s8_matrix_pack(const S8MatrixSource& src, void* dst, size_t dst_size, Error& err);
// Validates a blob (header, sizes, parameter ranges) and fills a view. The
// blob must be at least 4-byte aligned; 64 is what the kernels prefer.
earshot_status s8_matrix_view(const void* blob, size_t size, S8Matrix* out, Error& err);
// Row-major weights of one segment back out of a blob view ([rows][cols[seg]]).
void s8_matrix_unpack(const S8Matrix& m, int seg, int8_t* w);

struct S8GemmArgs {
  int32_t batch = 1;                        // >= 1 (2..32 for beam hypotheses)
  const int8_t* x[2] = {nullptr, nullptr};  // per segment: batch rows of cols[s] int8
  ptrdiff_t x_stride[2] = {0, 0};           // elements between batch rows (>= cols[s])
  OutType out_type = OutType::s16;
  void* y = nullptr;                        // batch rows of `rows` int32/int16/int8
  ptrdiff_t y_stride = 0;                   // elements between batch rows (>= rows)
};

// Scratch bytes for s8_gemm on any ISA (x in the form each ISA consumes).
size_t s8_gemm_scratch_size(int32_t cols0, int32_t cols1, int32_t batch);
// y = requant(W x) with the active ISA (isa_active()). Pointers may be unaligned.
void s8_gemm(const S8Matrix& m, const S8GemmArgs& a, void* scratch);

// Kernel table of the family: one entry per ISA, null where not compiled.
using S8GemmFn = void (*)(const S8Matrix& m, const S8GemmArgs& a, void* scratch);
S8GemmFn s8_gemm_kernel(Isa isa);
// Runs one ISA's kernel (must be supported), chunking the batch by 8.
void s8_gemm_with(Isa isa, const S8Matrix& m, const S8GemmArgs& a, void* scratch);

}  // namespace earshot::kernels
