// The scalar end of kiss_fftr's split that the vector real FFTs share
// (frontend/fft_avx2.cpp, frontend/fft_mve.cpp): bins 0 and nc of the packed
// output o[0 .. 2 nc + 1], C_FIXDIV by 2 of the DC bin (KissFFT int32:
// (c * (INT32_MAX / 2) + 2^30) >> 31 in int64), then its real parts' sum and
// difference; their imaginary parts are 0.
#pragma once
#include <cstdint>

namespace earshot {

inline void fftr_split_ends(int32_t* o, uint32_t nc) {
  constexpr int64_t kDiv2 = INT32_MAX / 2;
  const auto tr = static_cast<int32_t>((int64_t{o[0]} * kDiv2 + (1 << 30)) >> 31);
  const auto ti = static_cast<int32_t>((int64_t{o[1]} * kDiv2 + (1 << 30)) >> 31);
  o[0] = tr + ti;
  o[1] = 0;
  o[2 * nc] = tr - ti;
  o[2 * nc + 1] = 0;
}

}  // namespace earshot
