// Integer log-softmax (vs double) and top-k (vs a stable sort).
#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "kernel_test_util.h"
#include "kernels/logsoftmax/logsoftmax.h"

using namespace earshot::kernels;

// Error sources: Q15 exp terms (each within ~1.2 LSB of 32768, relative to the
// maximum term), ln(1+x) interpolation, one rounding of lse to Q10. The exp
// term errors add up with n: bound 1.5 + n/32 Q10 LSB (measured max below).
TEST_CASE("kernel log-softmax: within 1.5 + n/32 Q10 LSB of the double model") {
  ktest::Rng g(3);
  double worst = 0, worst30 = 0;
  for (int trial = 0; trial < 2000; ++trial) {
    const int32_t n = trial < 1000 ? 30 : g.uniform(1, 300);
    std::vector<int16_t> z(n);
    const int32_t spread = trial % 4 == 0 ? 32767 : g.uniform(1, 12000);
    for (auto& v : z) v = static_cast<int16_t>(g.uniform(-spread, spread - 1 > -spread ? spread - 1 : -spread));
    if (trial % 7 == 0) std::fill(z.begin(), z.end(), static_cast<int16_t>(g.uniform(-32768, 32767)));  // all equal
    if (trial % 11 == 0) z[0] = 32767, z[n - 1] = -32768;
    std::vector<int32_t> out(n);
    log_softmax_q10(z.data(), n, out.data());
    const double m = *std::max_element(z.begin(), z.end());
    double s = 0;
    for (int16_t v : z) s += std::exp((v - m) / 1024.0);
    const double lse = std::log(s);
    for (int32_t v = 0; v < n; ++v) {
      const double want = (z[v] - m) - 1024.0 * lse;
      worst = std::max(worst, std::fabs(out[v] - want) - n / 32.0);
      if (n <= 30) worst30 = std::max(worst30, std::fabs(out[v] - want));
      REQUIRE(out[v] <= 0);
      REQUIRE(std::fabs(out[v] - want) <= 1.5 + n / 32.0);
    }
  }
  MESSAGE("log-softmax max error: " << worst30 << " Q10 LSB for n <= 30; max (error - n/32) " << worst);
}

TEST_CASE("kernel top-k: descending, ties to the lower index") {
  ktest::Rng g(4);
  for (int trial = 0; trial < 500; ++trial) {
    const int32_t n = g.uniform(1, 100), k = g.uniform(1, n);
    std::vector<int32_t> x(n);
    for (auto& v : x) v = g.uniform(-5, 5) * (trial % 2 ? 1 : 100000);  // many ties
    std::vector<int32_t> idx(k), val(k), want(n);
    top_k(x.data(), n, k, idx.data(), val.data());
    std::iota(want.begin(), want.end(), 0);
    std::stable_sort(want.begin(), want.end(), [&](int32_t a, int32_t b) { return x[a] > x[b]; });
    for (int32_t j = 0; j < k; ++j) {
      REQUIRE(idx[j] == want[j]);
      REQUIRE(val[j] == x[want[j]]);
    }
  }
}
