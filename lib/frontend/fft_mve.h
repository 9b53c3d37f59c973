// Helium (MVE) real FFT, bit for bit KissFFT's FIXED_POINT=32 kiss_fftr (the
// reference, frontend/fft.cpp) for n/2 a power of 4 (n = 32, 128, 512, 2048).
// Our own code: the same radix-4 butterflies on the same values with the same
// twiddles, in an iterative order (kf_work's recursion is a base-4 digit
// reversal followed by the stages m = 1, 4, 16, ...). tests/kernels/test_fft.cpp
// checks it against KissFFT over random and extreme inputs.
#pragma once
#include <cstddef>
#include <cstdint>

#include "frontend/fft.h"

namespace earshot::fft_mve {

// True when this variant handles an n-point real transform.
bool supported(uint32_t n);
// Bytes of tables for n (8-byte aligned memory); 0 when unsupported.
size_t memory_size(uint32_t n);
// Fills the tables; false when n is unsupported or size too small.
bool init(uint32_t n, void* mem, size_t size);
// out[0..n/2] as kiss_fftr; in and out 8-byte aligned and not overlapping.
void forward(const void* tables, uint32_t n, const int32_t* in, Complex32* out);

}  // namespace earshot::fft_mve
