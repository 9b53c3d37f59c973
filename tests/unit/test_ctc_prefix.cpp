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

namespace {

// The scorer's recursions as first written (a division per array access), the
// reference for the slot-stepping loops in ctc_prefix.cpp.
struct RefScorer {
  const CtcFrames* f;
  uint64_t R;
  int32_t blank;
  const int16_t* lp_at(uint64_t t) const { return t >= f->count() || t < f->oldest() ? nullptr : f->at(t); }
  int32_t rn_at(const CtcState& st, uint64_t t) const {
    if (t < st.start || t + R <= st.upto || t >= st.upto) return kLogZeroQ10;
    return st.rn[t % R];
  }
  int32_t rb_at(const CtcState& st, uint64_t t) const {
    if (t < st.start) return st.last < 0 ? 0 : kLogZeroQ10;
    if (t + R <= st.upto || t >= st.upto) return kLogZeroQ10;
    return st.rb[t % R];
  }
  int32_t rn_prev(const CtcState& st, uint64_t t) const { return t == 0 ? kLogZeroQ10 : rn_at(st, t - 1); }
  int32_t rb_prev(const CtcState& st, uint64_t t) const {
    if (t == 0) return st.last < 0 ? 0 : kLogZeroQ10;
    return rb_at(st, t - 1);
  }
  static int32_t add_lp(int32_t x, int32_t l) {
    return x <= kLogZeroQ10 ? kLogZeroQ10 : std::max<int32_t>(kLogZeroQ10, x + l);
  }
  int32_t score(const CtcState& st, int32_t c) const {
    const uint64_t F = st.upto;
    if (c == blank) {
      if (F == 0) return st.last < 0 ? 0 : kLogZeroQ10;
      return std::min<int32_t>(0, log_add_q10(rn_at(st, F - 1), rb_at(st, F - 1)));
    }
    const uint64_t lo = std::max<uint64_t>(st.start, F > R ? F - R + 1 : 0);
    int32_t psi = kLogZeroQ10;
    for (uint64_t t = lo; t < F; ++t) {
      const int16_t* lp = lp_at(t);
      if (!lp) continue;
      const int32_t pb = rb_prev(st, t), pn = rn_prev(st, t);
      const int32_t phi = c == st.last ? pb : log_add_q10(pb, pn);
      psi = log_add_q10(psi, add_lp(phi, lp[c]));
    }
    return std::min<int32_t>(0, psi);
  }
  void child(const CtcState& st, int32_t c, CtcState& out) const {
    const uint64_t F = st.upto, s = st.start;
    const int32_t last = st.last;
    const uint64_t lo = std::max<uint64_t>(s, F > R ? F - R + 1 : 0);
    int32_t pn = rn_prev(st, lo), pb = rb_prev(st, lo);
    int32_t hn = kLogZeroQ10, hb = kLogZeroQ10;
    for (uint64_t t = lo; t < F; ++t) {
      const int16_t* lp = lp_at(t);
      const int32_t phi = c == last ? pb : log_add_q10(pb, pn);
      pn = rn_at(st, t), pb = rb_at(st, t);
      int32_t rn = kLogZeroQ10, rb = kLogZeroQ10;
      if (lp) {
        rn = add_lp(log_add_q10(hn, phi), lp[c]);
        rb = add_lp(log_add_q10(hn, hb), lp[blank]);
      }
      out.rn[t % R] = hn = rn;
      out.rb[t % R] = hb = rb;
    }
    out.start = s;
    out.last = c;
    out.upto = F;
  }
};

}  // namespace

TEST_CASE("score, score_many and child equal the division-per-access recursions (every F around the window, starts, repeats)") {
  int checked = 0;
  for (uint32_t W : {4u, 5u, 7u})
    for (uint32_t R : {3u, 4u, 5u, 7u}) {
      if (R > W) continue;
      for (uint32_t seed : {11u, 12u}) {
        const int T = 3 * static_cast<int>(W) + 4;
        const auto z = random_logits(T, seed * 31 + W * 7 + R);
        std::vector<int16_t> lpmem(size_t(W) * kV);
        std::vector<int64_t> bestmem(W);
        CtcFrames frames;
        frames.layout(lpmem.data(), bestmem.data(), W, kV);
        frames.reset();
        CtcPrefixScorer sc;
        sc.init(&frames, R, 0);
        const RefScorer ref{&frames, R, 0};
        std::mt19937 rng(seed);
        for (int F = 0; F <= T; ++F) {
          if (F > 0) frames.push(&z[size_t(F - 1) * kV]);
          for (uint64_t s : {uint64_t{0}, uint64_t(F / 2), uint64_t(F)}) {
            // A prefix of up to 3 tokens (repeats allowed), built by child as the beam decoder does.
            std::vector<int32_t> a(R), b(R), c(R), d(R);
            CtcState st{a.data(), b.data()};
            sc.start(st, s, F);
            const int len = static_cast<int>(rng() % 4);
            for (int k = 0; k <= len; ++k) {
              {  // score_many over a random list (blank, repeats, more than one pass of 8)
                const int32_t cnt = 1 + static_cast<int32_t>(rng() % 11);
                std::vector<int32_t> toks(cnt), got(cnt);
                for (auto& t : toks) t = static_cast<int32_t>(rng() % kV);
                const uint64_t m0 = sc.misses();
                sc.score_many(st, toks.data(), cnt, got.data());
                const uint64_t m1 = sc.misses();
                for (int32_t q = 0; q < cnt; ++q) {
                  REQUIRE(got[q] == ref.score(st, toks[q]));
                  sc.score(st, toks[q]);
                }
                REQUIRE(sc.misses() - m1 == m1 - m0);
              }
              for (int32_t tok = 0; tok < kV; ++tok) {
                REQUIRE(sc.score(st, tok) == ref.score(st, tok));
                if (tok == 0) continue;
                CtcState got{c.data(), d.data()}, want{c.data(), d.data()};
                std::vector<int32_t> wa(R), wb(R);
                want.rn = wa.data(), want.rb = wb.data();
                std::fill(c.begin(), c.end(), 12345), std::fill(d.begin(), d.end(), 12345);
                std::fill(wa.begin(), wa.end(), 12345), std::fill(wb.begin(), wb.end(), 12345);
                sc.child(st, tok, got);
                ref.child(st, tok, want);
                REQUIRE(c == wa);
                REQUIRE(d == wb);
                REQUIRE(got.start == want.start);
                REQUIRE(got.last == want.last);
                REQUIRE(got.upto == want.upto);
                ++checked;
              }
              if (k < len) {  // in place, as the beam decoder updates a hypothesis
                const int32_t tok = 1 + static_cast<int32_t>(rng() % (kV - 1));
                std::vector<int32_t> wa(a), wb(b);
                CtcState want{wa.data(), wb.data(), st.start, st.upto, st.last};
                ref.child(want, tok, want);
                sc.child(st, tok, st);
                REQUIRE(a == wa);
                REQUIRE(b == wb);
              }
            }
          }
        }
      }
    }
  MESSAGE("children compared: " << checked);
}
