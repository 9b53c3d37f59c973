// Optional XNNPACK backend for the matrix products (Linux targets with
// libxnnpack-dev; target earshot_xnnpack, macro EARSHOT_HAVE_XNNPACK).
//
// It runs an s8 matrix through XNNPACK's per-channel quantized operator
// (Debian's 2022 XNNPACK has per-channel "qc8" only as convolution, so a 1x1
// convolution over B pixels = a fully-connected layer with per-row scales), with
// requantization scale M/2^S per row. It is NOT bit-exact with the kernels:
//   - XNNPACK requantizes in fp32 and rounds half to even: int8 outputs differ
//     from the reference by at most 1;
//   - XNNPACK outputs only int8: int16 outputs are produced on a grid 256x
//     coarser and scaled back (y16 = 256 * y8), so |diff| <= 129 where
//     |reference| <= 32512 and <= 255 in the saturated range;
//   - int32 (raw accumulator) output is not offered.
// The LSTM step on this backend computes the gates that way (Q12 gates with
// 1/16 resolution) and then runs the reference cell. tests/kernels/test_xnnpack.cpp
// checks these bounds. Memory: allocated at create (host-only backend).
#pragma once
#include <cstddef>

#include "common/error.h"
#include "kernels/lstm-step/lstm_step.h"
#include "kernels/s8-gemm/s8_gemm.h"

namespace earshot::kernels::xnn {

// xnn_initialize once per process; false (with err set) when XNNPACK refuses.
bool init(Error& err);

struct Fc;  // opaque
earshot_status fc_create(const S8Matrix& m, OutType out, Fc** fc, Error& err);
size_t fc_scratch_size(const S8Matrix& m, int32_t batch);
// Same arguments as s8_gemm (out_type must match the one given at create).
earshot_status fc_run(Fc* fc, const S8GemmArgs& a, void* scratch, Error& err);
void fc_destroy(Fc* fc);

struct Lstm;  // opaque
earshot_status lstm_create(const LstmLayer& layer, Lstm** out, Error& err);
size_t lstm_scratch_size(const LstmLayer& layer, int32_t batch);
earshot_status lstm_run(Lstm* l, const LstmStepArgs& a, void* scratch, Error& err);
void lstm_destroy(Lstm* l);

}  // namespace earshot::kernels::xnn
