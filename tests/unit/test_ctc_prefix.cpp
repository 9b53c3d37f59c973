// CTC prefix scores (lib/decoder/ctc_prefix.h) against brute force: every
// CTC path over a few frames enumerated in double precision.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "decoder/ctc_prefix.h"
#include "kernels/logsoftmax/logsoftmax.h"
#include "doctest.h"

using namespace earshot;

namespace {

constexpr int kV = 4;  // blank + 3 tokens

// Random CTC logits (Q10) for T frames.
std::vector<int16_t> random_logits(int T, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> d(-4096, 4096);
  std::vector<int16_t> z(size_t(T) * kV);
  for (auto& v : z) v = static_cast<int16_t>(d(rng));
  return z;
}

// P(collapsed output of frames [s, F) starts with / equals `prefix`), by enumeration.
void brute(const std::vector<double>& lp, int s, int F, std::map<std::vector<int>, double>& starts,
           std::map<std::vector<int>, double>& equals) {
  const int T = F - s;
  long total = 1;
  for (int i = 0; i < T; ++i) total *= kV;
  for (long code = 0; code < total; ++code) {
    long c = code;
    double logp = 0;
    std::vector<int> out;
    int prev = 0;
    for (int t = s; t < F; ++t) {
      const int k = static_cast<int>(c % kV);
      c /= kV;
      logp += lp[size_t(t) * kV + k];
      if (k != 0 && k != prev) out.push_back(k);
      prev = k;
    }
    const double p = std::exp(logp);
    equals[out] += p;
    for (size_t n = 0; n <= out.size(); ++n) starts[std::vector<int>(out.begin(), out.begin() + n)] += p;
  }
}

}  // namespace

TEST_CASE("log_add_q10 is ln(e^a + e^b) within a unit; log 0 absorbs") {
  for (int a : {0, -100, -5000, -20000})
    for (int b : {0, -1, -700, -3000, -17000}) {
      const double want = std::log(std::exp(a / 1024.0) + std::exp(b / 1024.0)) * 1024.0;
      CHECK(std::abs(log_add_q10(a, b) - want) <= 1.5);
      CHECK(log_add_q10(a, b) == log_add_q10(b, a));
    }
  CHECK(log_add_q10(kLogZeroQ10, -5) == -5);
  CHECK(log_add_q10(-5, kLogZeroQ10) == -5);
  CHECK(log_add_q10(kLogZeroQ10, kLogZeroQ10) == kLogZeroQ10);
}

TEST_CASE("log_add_q10 equals log_sum_exp_q10 over {0, b - a} for every difference") {
  for (int32_t a : {0, -1, -777, -40000, -(1 << 27)})
    for (int32_t d = -16500; d <= 0; ++d) {
      int32_t want = a;
      if (d > -16384) {
        const int16_t z[2] = {0, static_cast<int16_t>(d)};
        int32_t mx = 0;
        want = a + kernels::log_sum_exp_q10(z, 2, &mx);
      }
      REQUIRE(log_add_q10(a, a + d) == want);
      REQUIRE(log_add_q10(a + d, a) == want);
    }
}

TEST_CASE("prefix scores equal the enumerated probabilities (window holding every frame)") {
  for (uint32_t seed : {1u, 2u, 3u}) {
    const int T = 7, s = 1;
    const auto z = random_logits(T, seed);
    std::vector<int16_t> lpmem(size_t(16) * kV);
    std::vector<int64_t> bestmem(16);
    CtcFrames frames;
    frames.layout(lpmem.data(), bestmem.data(), 16, kV);
    frames.reset();
    std::vector<double> lp(size_t(T) * kV);
    for (int t = 0; t < T; ++t) {
      frames.push(&z[size_t(t) * kV]);
      for (int k = 0; k < kV; ++k) lp[size_t(t) * kV + k] = frames.at(t)[k] / 1024.0;
    }
    std::map<std::vector<int>, double> starts, equals;
    brute(lp, s, T, starts, equals);
    CtcPrefixScorer sc;
    sc.init(&frames, 16, 0);
    std::vector<int32_t> mem(16 * 2 * 8);
    auto state = [&](int i) { return CtcState{&mem[size_t(i) * 32], &mem[size_t(i) * 32 + 16], 0, 0, -1}; };
    // Walk every prefix of up to 3 tokens, growing states token by token at F = T.
    struct Node { std::vector<int> prefix; CtcState st; };
    std::vector<Node> level{{{}, state(0)}};
    sc.start(level[0].st, s, T);
    int slot = 1, checked = 0;
    for (int depth = 0; depth < 3; ++depth) {
      std::vector<Node> next;
      for (auto& nd : level) {
        INFO("seed " << seed << " prefix of " << nd.prefix.size());
        const double eq = equals.count(nd.prefix) ? equals[nd.prefix] : 0;
        if (eq > 1e-4) CHECK(std::abs(sc.score(nd.st, 0) / 1024.0 - std::log(eq)) < 0.02);
        for (int c = 1; c < kV; ++c) {
          auto p = nd.prefix;
          p.push_back(c);
          const double st = starts.count(p) ? starts[p] : 0;
          if (st > 1e-4) {
            CHECK(std::abs(sc.score(nd.st, c) / 1024.0 - std::log(st)) < 0.02);
            ++checked;
          }
          if (depth < 2 && slot < 8) {
            Node ch{p, state(slot++)};
            sc.child(nd.st, c, ch.st);
            next.push_back(ch);
          }
        }
      }
      level = next;
    }
    CHECK(checked >= 9);
    CHECK(sc.misses() == 0);
    // The best path (each frame's likeliest token) scores at least any prefix's sum of paths
    // over frames [s, T), up to rounding.
    double best = 0;
    for (int t = s; t < T; ++t) best += *std::max_element(&lp[size_t(t) * kV], &lp[size_t(t + 1) * kV]);
    CHECK(std::abs((frames.best_before(T) - frames.best_before(s)) / 1024.0 - best) < 1e-9);
    CHECK(frames.best_before(0) == 0);
  }
}

TEST_CASE("best-path sums over a window shorter than the stream") {
  const int T = 40;
  const auto z = random_logits(T, 11);
  std::vector<int16_t> lpmem(size_t(8) * kV);
  std::vector<int64_t> bestmem(8);
  CtcFrames frames;
  frames.layout(lpmem.data(), bestmem.data(), 8, kV);
  frames.reset();
  std::vector<int64_t> cum{0};
  for (int t = 0; t < T; ++t) {
    frames.push(&z[size_t(t) * kV]);
    cum.push_back(cum.back() + *std::max_element(frames.at(t), frames.at(t) + kV));
    for (uint64_t u = frames.oldest(); u <= frames.count(); ++u) CHECK(frames.best_before(u) == cum[u]);
    if (frames.oldest() > 0) CHECK(frames.best_before(0) == cum[frames.oldest()]);  // older: reads as oldest
  }
  frames.reset();
  CHECK(frames.best_before(0) == 0);
}

TEST_CASE("streaming: extending a state over new frames equals computing it at once (empty prefix), "
          "and only lowers a child's scores") {
  const int T = 9;
  const auto z = random_logits(T, 7);
  std::vector<int16_t> lpmem(size_t(16) * kV);
  std::vector<int64_t> bestmem(16);
  CtcFrames frames;
  frames.layout(lpmem.data(), bestmem.data(), 16, kV);
  for (int t = 0; t < T; ++t) frames.push(&z[size_t(t) * kV]);
  CtcPrefixScorer sc;
  sc.init(&frames, 16, 0);
  std::vector<int32_t> m(16 * 8);
  CtcState a{&m[0], &m[16], 0, 0, -1}, b{&m[32], &m[48], 0, 0, -1};
  sc.start(a, 0, T);
  sc.start(b, 0, 3);
  sc.extend(b, 6);
  sc.extend(b, T);
  for (int c = 0; c < kV; ++c) CHECK(sc.score(a, c) == sc.score(b, c));
  CtcState ca{&m[64], &m[80], 0, 0, -1}, cb{&m[96], &m[112], 0, 0, -1};
  sc.child(a, 2, ca);     // made with all frames
  sc.start(b, 0, 4);
  sc.child(b, 2, cb);     // made at frame 4, then extended with its own recursion
  sc.extend(cb, T);
  for (int c = 0; c < kV; ++c) CHECK(sc.score(cb, c) <= sc.score(ca, c) + 2);
}

TEST_CASE("child in place (the beam decoder's update) equals child into other arrays, across the window's wrap") {
  const int T = 30;
  const uint32_t R = 8;
  const auto z = random_logits(T, 5);
  std::vector<int16_t> lpmem(size_t(R) * kV);
  std::vector<int64_t> bestmem(R);
  CtcFrames frames;
  frames.layout(lpmem.data(), bestmem.data(), R, kV);
  frames.reset();
  CtcPrefixScorer sc;
  sc.init(&frames, R, 0);
  std::vector<int32_t> m(R * 4);
  CtcState a{&m[0], &m[R], 0, 0, -1}, b{&m[2 * R], &m[3 * R], 0, 0, -1};
  int checked = 0;
  for (int t = 0; t < T; ++t) {
    frames.push(&z[size_t(t) * kV]);
    if (t == 0) {
      sc.start(a, 2, 1);
      sc.start(b, 2, 1);
      continue;
    }
    sc.extend(a, uint64_t(t) + 1);
    sc.extend(b, uint64_t(t) + 1);
    if (t % 3 != 0) continue;
    const int32_t c = 1 + (t / 3) % (kV - 1);  // sometimes the same as the last: the repeat rule
    std::vector<int32_t> other(2 * R, 7);
    CtcState ref{other.data(), other.data() + R, 0, 0, -1};
    sc.child(a, c, ref);
    sc.child(b, c, b);  // in place
    CHECK(b.start == ref.start);
    CHECK(b.upto == ref.upto);
    CHECK(b.last == ref.last);
    for (int v = 0; v < kV; ++v) CHECK(sc.score(b, v) == sc.score(ref, v));
    sc.copy(ref, a);
    ++checked;
  }
  CHECK(checked >= 8);
}
