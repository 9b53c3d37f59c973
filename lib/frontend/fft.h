// Fixed-point real FFT: a thin wrapper over KissFFT's int32 build so the rest of
// the front-end never sees KissFFT's macros. Memory comes from the caller.
// KissFFT is the reference; where a faster variant equals it bit for bit
// (Helium: frontend/fft_mve.cpp), forward() runs that one at the kernels' ISA
// level (kernels::isa_active()).
#pragma once
#include <cstddef>
#include <cstdint>

#include "kernels/isa.h"

namespace earshot {

struct Complex32 {
  int32_t re, im;
};

class RealFft {
 public:
  // Bytes of caller memory init() needs for an n-point transform (n even).
  static size_t memory_size(uint32_t n);
  // Returns false if `mem` is too small or n unsupported.
  bool init(uint32_t n, void* mem, size_t size);
  // out[0..n/2] = DFT(in)[k] / n, rounded at each stage (KissFFT fixed-point).
  // |in| must be <= 2^30 so no stage can overflow.
  void forward(const int32_t* in, Complex32* out) const { forward_with(kernels::isa_active(), in, out); }
  // The same at a given level: the variant for `isa` if this build has one for
  // n (and in, out are 8-byte aligned, out not overlapping in), else KissFFT.
  // Every level gives the same bits.
  void forward_with(kernels::Isa isa, const int32_t* in, Complex32* out) const;

 private:
  void* cfg_ = nullptr;
  const void* mve_ = nullptr;  // fft_mve tables (Helium and AVX2 variants), when built and n is one it handles
  uint32_t n_ = 0;
};

}  // namespace earshot
