#include "frontend/fft.h"

#include <kiss_fftr.h>

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
  return cfg_ != nullptr;
}

void RealFft::forward(const int32_t* in, Complex32* out) const {
  kiss_fftr(static_cast<kiss_fftr_cfg>(cfg_), in, reinterpret_cast<kiss_fft_cpx*>(out));
}

}  // namespace earshot
