// Attention (dot and additive): every ISA == scalar reference (bit-exact), and
// the reference's softmax and context within stated bounds of double math.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "kernel_test_util.h"
#include "kernels/activation.h"
#include "kernels/attention/attention.h"
#include "kernels/quant.h"

using namespace earshot;
using namespace earshot::kernels;

namespace {

struct Case {
  AttnParams p;
  std::vector<int8_t> q, keys, values, v;
  std::vector<int16_t> uq, wk;
  ptrdiff_t ks, vs, ws;
  Case(ktest::Rng& g, int32_t T, int32_t D, int32_t Dv, double logit_spread) {
    p.frames = T;
    p.dim = D;
    p.value_dim = Dv;
    ks = D + g.uniform(0, 7);
    vs = Dv + g.uniform(0, 7);
    ws = D + g.uniform(0, 7);
    q.resize(D);
    v.resize(D);
    uq.resize(D);
    keys.resize(static_cast<size_t>(ks) * T + 1);
    values.resize(static_cast<size_t>(vs) * T + 1);
    wk.resize(static_cast<size_t>(ws) * T + 1);
    for (auto& x : q) x = g.s8();
    for (auto& x : v) x = g.s8();
    for (auto& x : keys) x = g.s8();
    for (auto& x : values) x = g.s8();
    for (auto& x : uq) x = static_cast<int16_t>(g.uniform(-20000, 20000));
    for (auto& x : wk) x = static_cast<int16_t>(g.next() % 16 == 0 ? 32767 : g.uniform(-20000, 20000));
    // Scores -> Q10 logits with a typical spread of `logit_spread` nats.
    const double s = logit_spread * 1024.0 / (std::sqrt(double(D)) * 74.0 * 74.0);
    p.score_shift = 30;
    p.score_mult = static_cast<int32_t>(std::min(2147483647.0, std::round(s * std::ldexp(1.0, 30))));
    p.ctx_shift = 15;
    p.ctx_mult = 1;  // context on the value grid
  }
  void run_dot(Isa isa, std::vector<int16_t>& probs, std::vector<int8_t>& ctx, size_t off) {
    ktest::Buf<int8_t> c(p.value_dim, off);
    std::vector<uint8_t> scratch(attn_scratch_size(p.frames, p.dim, p.value_dim));
    AttnDotArgs a;
    a.q = q.data();
    a.keys = keys.data() + 1;  // unaligned rows
    a.key_stride = ks;
    a.values = values.data() + 1;
    a.value_stride = vs;
    probs.assign(p.frames, 0);
    a.probs = probs.data();
    a.ctx = c.data();
    attn_kernels(isa)->dot(p, a, align64(scratch.data()));
    ctx.assign(c.data(), c.data() + p.value_dim);
    for (size_t i = p.value_dim; i < p.value_dim + 32u; ++i) REQUIRE(static_cast<uint8_t>(c[i]) == 0xA5);
  }
  void run_add(Isa isa, std::vector<int16_t>& probs, std::vector<int8_t>& ctx) {
    std::vector<uint8_t> scratch(attn_scratch_size(p.frames, p.dim, p.value_dim));
    AttnAddArgs a;
    a.uq = uq.data();
    a.wk = wk.data() + 1;
    a.wk_stride = ws;
    a.v = v.data();
    a.values = values.data() + 1;
    a.value_stride = vs;
    probs.assign(p.frames, 0);
    ctx.assign(p.value_dim, 0);
    a.probs = probs.data();
    a.ctx = ctx.data();
    attn_kernels(isa)->additive(p, a, align64(scratch.data()));
  }
};

}  // namespace

TEST_CASE("kernel attention: every ISA equals the scalar reference bit for bit") {
  ktest::Rng g(55);
  int compared = 0;
  ktest::for_each_simd_isa([&](Isa isa) {
    const std::string isa_s = isa_name(isa);
    CAPTURE(isa_s);
    for (int trial = 0; trial < 80; ++trial) {
      const int32_t T = trial < 8 ? 8 + trial * 3 : g.uniform(1, 64);
      const int32_t D = trial % 5 == 0 ? 256 : g.uniform(1, 512);
      const int32_t Dv = trial % 5 == 0 ? 256 : g.uniform(1, 300);
      const double spread = trial % 7 == 0 ? 200.0 : trial % 3 == 0 ? 0.01 : 4.0;
      CAPTURE(T);
      CAPTURE(D);
      CAPTURE(Dv);
      Case c(g, T, D, Dv, spread);
      if (trial % 9 == 0) std::fill(c.keys.begin(), c.keys.end(), int8_t(-128)), std::fill(c.q.begin(), c.q.end(), int8_t(-128));
      if (trial % 11 == 0) c.p.ctx_mult = 2147483647, c.p.ctx_shift = 20;  // saturating context
      std::vector<int16_t> pr_ref, pr;
      std::vector<int8_t> ctx_ref, ctx;
      c.run_dot(Isa::scalar, pr_ref, ctx_ref, 0);
      c.run_dot(isa, pr, ctx, g.uniform(0, 63));
      REQUIRE(pr == pr_ref);
      REQUIRE(ctx == ctx_ref);
      c.run_add(Isa::scalar, pr_ref, ctx_ref);
      c.run_add(isa, pr, ctx);
      REQUIRE(pr == pr_ref);
      REQUIRE(ctx == ctx_ref);
      ++compared;
    }
  });
  MESSAGE("attention: " << compared << " windows compared (dot and additive)");
}

TEST_CASE("kernel softmax: within 4 Q15 LSB of exact softmax of the logits") {
  ktest::Rng g(8);
  double worst = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    const int32_t n = g.uniform(1, 64);
    const int32_t spread = trial % 3 == 0 ? 32767 : g.uniform(0, 8000);
    std::vector<int16_t> z(n), p(n);
    for (auto& v : z) v = static_cast<int16_t>(g.uniform(-spread - 1, spread));
    softmax_q10_to_q15(z.data(), n, p.data());
    const double m = *std::max_element(z.begin(), z.end());
    double s = 0;
    for (int16_t v : z) s += std::exp((v - m) / 1024.0);
    double sum = 0;
    for (int32_t t = 0; t < n; ++t) {
      const double want = std::min(32767.0, 32768.0 * std::exp((z[t] - m) / 1024.0) / s);
      worst = std::max(worst, std::fabs(p[t] - want));
      sum += p[t];
    }
    REQUIRE(std::fabs(sum - 32768) <= 3.0 * n + 1);
  }
  MESSAGE("softmax max error " << worst << " Q15 LSB");
  CHECK(worst <= 4.0);  // measured 3.3 (NUMERICS.md)
}

TEST_CASE("kernel attention: reference logits and context against double math") {
  ktest::Rng g(9);
  for (int trial = 0; trial < 50; ++trial) {
    Case c(g, g.uniform(1, 32), g.uniform(1, 256), g.uniform(1, 64), 4.0);
    std::vector<int16_t> pr;
    std::vector<int8_t> ctx;
    c.run_dot(Isa::scalar, pr, ctx, 0);
    // Context: the rule applied to sum p*V (exact in double), within 0.5.
    for (int32_t d = 0; d < c.p.value_dim; ++d) {
      double acc = 0;
      for (int32_t t = 0; t < c.p.frames; ++t) acc += double(pr[t]) * c.values[1 + t * c.vs + d];
      const double want = std::clamp(acc * std::ldexp(double(c.p.ctx_mult), -c.p.ctx_shift), -128.0, 127.0);
      REQUIRE(std::fabs(ctx[d] - want) <= 0.5);
    }
    // Additive: logits within 0.5 + the tanh table error (13.5 LSB per term).
    c.run_add(Isa::scalar, pr, ctx);
    const double sc = std::ldexp(double(c.p.score_mult), -c.p.score_shift);
    std::vector<int16_t> z(c.p.frames);
    for (int32_t t = 0; t < c.p.frames; ++t) {
      double exact = 0, absv = 0;
      for (int32_t d = 0; d < c.p.dim; ++d) {
        const double e = std::clamp(double(c.wk[1 + t * c.ws + d]) + c.uq[d], -32768.0, 32767.0) / 4096.0;
        exact += c.v[d] * 32768.0 * std::tanh(e);
        absv += std::abs(c.v[d]);
      }
      int32_t acc = 0;
      for (int32_t d = 0; d < c.p.dim; ++d) acc += c.v[d] * tanh_q15(sat16(c.wk[1 + t * c.ws + d] + c.uq[d]));
      REQUIRE(std::fabs(acc - exact) <= 13.5 * absv);
      z[t] = requant_s16(acc, c.p.score_mult, c.p.score_shift);
      REQUIRE(std::fabs(z[t] - std::clamp(acc * sc, -32768.0, 32767.0)) <= 0.5);
    }
    std::vector<int16_t> p2(c.p.frames);
    softmax_q10_to_q15(z.data(), c.p.frames, p2.data());
    REQUIRE(p2 == pr);
  }
}
