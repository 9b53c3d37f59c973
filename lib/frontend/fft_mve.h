// Helium (MVE) real FFT, bit for bit KissFFT's FIXED_POINT=32 kiss_fftr (the
// reference, frontend/fft.cpp) for the front-end's n = 512 (n/2 = 4^4).
// Our own code: the same radix-4 butterflies on the same values with the same
// twiddles, in an iterative order (kf_work's recursion is a base-4 digit
// reversal followed by the stages m = 1, 4, 16, ...). tests/kernels/test_fft.cpp
// checks it against KissFFT over random and extreme inputs.
#pragma once
#include <cstddef>
#include <cstdint>

#include "frontend/fft.h"

namespace earshot::fft_mve {

// The twiddle and index tables for an n-point real transform (in flash, built
// at compile time), or nullptr where this variant does not handle n: it is
// built for the front-end's n = 512 only (the code handles any n / 2 = 4^k,
// k >= 2, given tables).
const void* tables(uint32_t n);
// out[0..n/2] as kiss_fftr; in and out 8-byte aligned and not overlapping.
void forward(const void* tables, uint32_t n, const int32_t* in, Complex32* out);

}  // namespace earshot::fft_mve
