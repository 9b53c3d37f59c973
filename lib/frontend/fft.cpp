#include "frontend/fft.h"

#include <kiss_fftr.h>

#if defined(EARSHOT_KERNELS_MVE) || defined(EARSHOT_KERNELS_X86)
#include "frontend/fft_mve.h"
#endif
#if defined(EARSHOT_KERNELS_X86)
#include "frontend/fft_avx2.h"
#endif

static_assert(sizeof(kiss_fft_scalar) == 4, "KissFFT must be the int32 fixed-point build");
static_assert(sizeof(kiss_fft_cpx) == sizeof(earshot::Complex32));

namespace earshot {

size_t RealFft::memory_size(uint32_t n) {
  size_t len = 0;
  kiss_fftr_alloc(static_cast<int>(n), 0, nullptr, &len);
  return len;
}

bool RealFft::init(uint32_t n, void* mem, size_t size) {
  size_t len = size;
  cfg_ = kiss_fftr_alloc(static_cast<int>(n), 0, mem, &len);
  n_ = n;
#if defined(EARSHOT_KERNELS_MVE) || defined(EARSHOT_KERNELS_X86)
  mve_ = fft_mve::tables(n);  // in flash: no caller memory
#endif
  return cfg_ != nullptr;
}

void RealFft::forward_with(kernels::Isa isa, const int32_t* in, Complex32* out) const {
#if defined(EARSHOT_KERNELS_MVE)
  const auto a = reinterpret_cast<uintptr_t>(in), b = reinterpret_cast<uintptr_t>(out);
  if (isa == kernels::Isa::mve && mve_ && (a | b) % 8 == 0 && (a + 4 * n_ <= b || b + 8 * (n_ / 2 + 1) <= a)) {
    fft_mve::forward(mve_, n_, in, out);
    return;
  }
#elif defined(EARSHOT_KERNELS_X86)
  const auto a = reinterpret_cast<uintptr_t>(in), b = reinterpret_cast<uintptr_t>(out);
  if ((isa == kernels::Isa::avx2 || isa == kernels::Isa::avx512vnni) && mve_ &&
      (a + 4 * n_ <= b || b + 8 * (n_ / 2 + 1) <= a)) {
    fft_avx2::forward(mve_, n_, in, out);
    return;
  }
#else
  (void)isa;
#endif
  kiss_fftr(static_cast<kiss_fftr_cfg>(cfg_), in, reinterpret_cast<kiss_fft_cpx*>(out));
}

}  // namespace earshot
