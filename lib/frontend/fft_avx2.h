// AVX2 real FFT, bit for bit KissFFT's FIXED_POINT=32 kiss_fftr (the reference,
// frontend/fft.cpp) for the front-end's n = 512: the Helium variant's iterative
// order and tables (frontend/fft_mve.h) with four complex values a vector.
// tests/kernels/test_fft.cpp checks it against KissFFT at the avx2 and
// avx512vnni levels over random and extreme inputs.
#pragma once
#include <cstddef>
#include <cstdint>

#include "frontend/fft.h"

namespace earshot::fft_avx2 {

// tables: fft_mve::tables(n) (non-null: n = 512); out not overlapping in.
void forward(const void* tables, uint32_t n, const int32_t* in, Complex32* out);

}  // namespace earshot::fft_avx2
