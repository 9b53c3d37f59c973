// Front-end FFT: every ISA variant (Helium: frontend/fft_mve.cpp) equals the
// reference (KissFFT's int32 kiss_fftr, frontend/fft.cpp) bit for bit, over
// random inputs at the front-end's bound |in| <= 2^30, extremes (full-scale
// constants, alternating signs, impulses, single tones). The Helium variant
// is built for the front-end's n = 512; the other sizes check that a variant
// falls back to KissFFT where it has no tables.
#include <algorithm>
#include <cmath>
#include <vector>

#include "frontend/fft.h"
#include "kernel_test_util.h"

using earshot::Complex32;
using earshot::RealFft;
using ktest::Isa;

namespace {

constexpr int32_t kMax = 1 << 30;
constexpr double kPi = 3.14159265358979323846;

struct Fft {
  std::vector<uint64_t> mem;
  RealFft fft;
  explicit Fft(uint32_t n) : mem(RealFft::memory_size(n) / 8 + 1) {
    REQUIRE(fft.init(n, mem.data(), mem.size() * 8));
  }
};

// Fills x with pattern `p` (0..7) or random data (p >= 8).
void fill(std::vector<int32_t>& x, int p, ktest::Rng& r) {
  const size_t n = x.size();
  for (size_t t = 0; t < n; ++t) {
    int32_t v;
    switch (p) {
      case 0: v = kMax; break;
      case 1: v = -kMax; break;
      case 2: v = t % 2 ? -kMax : kMax; break;
      case 3: v = t == 0 ? kMax : 0; break;
      case 4: v = t == n - 1 ? -kMax : 0; break;
      case 5: v = static_cast<int32_t>(std::lround(kMax * std::cos(2 * kPi * 5 * t / n))); break;
      case 6: v = (t / 3) % 2 ? -kMax : kMax; break;
      case 7: v = static_cast<int32_t>(r.uniform(-4, 4)); break;  // tiny values: rounding ties
      default: {
        const uint32_t k = r.next() >> 28;
        v = k == 0 ? kMax : k == 1 ? -kMax : static_cast<int32_t>(r.uniform(-kMax, kMax));
        if (p % 3 == 0) v >>= (r.next() >> 27);  // a quieter block
      }
    }
    x[t] = v;
  }
}

}  // namespace

TEST_CASE("fft: every ISA equals KissFFT bit for bit") {
  int compared = 0;
  ktest::for_each_simd_isa([&](Isa isa) {
    for (const uint32_t n : {16u, 32u, 64u, 128u, 512u, 2048u}) {
      Fft f(n);
      std::vector<int32_t> x(n);
      std::vector<Complex32> want(n / 2 + 1), got(n / 2 + 1);
      ktest::Rng r(n * 7 + static_cast<uint32_t>(isa));
      const int trials = n <= 512 ? 200 : 20;
      for (int p = 0; p < 8 + trials; ++p) {
        fill(x, p, r);
        f.fft.forward_with(Isa::scalar, x.data(), want.data());
        for (auto& c : got) c = {0x5A5A5A5A, 0x5A5A5A5A};
        f.fft.forward_with(isa, x.data(), got.data());
        for (uint32_t k = 0; k <= n / 2; ++k) {
          if (got[k].re != want[k].re || got[k].im != want[k].im) {
            FAIL_CHECK("isa " << earshot::kernels::isa_name(isa) << " n " << n << " pattern " << p << " bin " << k
                              << ": " << got[k].re << "," << got[k].im << " != " << want[k].re << "," << want[k].im);
            return;
          }
        }
        ++compared;
      }
    }
  });
  MESSAGE("transforms compared: " << compared);
}

TEST_CASE("fft: the reference is DFT / n within a few LSB") {
  for (const uint32_t n : {32u, 512u}) {
    Fft f(n);
    std::vector<int32_t> x(n);
    ktest::Rng r(11);
    fill(x, 9, r);
    std::vector<Complex32> y(n / 2 + 1);
    f.fft.forward_with(Isa::scalar, x.data(), y.data());
    double worst = 0;
    for (uint32_t k = 0; k <= n / 2; k += 3) {
      double re = 0, im = 0;
      for (uint32_t t = 0; t < n; ++t) {
        const double ph = 2 * kPi * ((k * t) % n) / n;
        re += x[t] * std::cos(ph);
        im -= x[t] * std::sin(ph);
      }
      worst = std::max({worst, std::fabs(re / n - y[k].re), std::fabs(im / n - y[k].im)});
    }
    CHECK(worst < 8.0);
  }
}
