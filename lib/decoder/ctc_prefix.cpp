#include "decoder/ctc_prefix.h"

#include <algorithm>
#include <array>

#include "kernels/activation.h"
#include "kernels/logsoftmax/logsoftmax.h"
#include "kernels/tables.h"

namespace earshot {

// log_sum_exp_q10({0, -n}) (Q10) for 0 <= n < kExpCutoffQ10, written out for
// n = 2: the same integer steps, so the same bits (tests/unit/test_ctc_prefix.cpp
// checks every difference against log_sum_exp_q10).
constexpr int32_t log1p_exp_neg_q10(int32_t n) {
  constexpr int32_t kOne = (kernels::tables::kExpHiQ15[0] * kernels::tables::kExpLoQ15[0] + (1 << 14)) >> 15;  // exp(0), Q15
  const uint32_t sum = static_cast<uint32_t>(
      kOne + ((kernels::tables::kExpHiQ15[n >> 6] * kernels::tables::kExpLoQ15[n & 63] + (1 << 14)) >> 15));
  const int32_t e = 31 - __builtin_clz(sum);
  const uint32_t frac = (sum << (30 - e)) - (1u << 30);
  const int32_t i = static_cast<int32_t>(frac >> 22), r = static_cast<int32_t>((frac >> 14) & 255);
  const int32_t* L = kernels::tables::kLn1pQ20.data();
  const int32_t lse_q20 = (e - 15) * kernels::tables::kLn2Q20 + L[i] + (((L[i + 1] - L[i]) * r + 128) >> 8);
  return (lse_q20 + 512) >> 10;
}

#if defined(__linux__) || defined(__APPLE__) || defined(_WIN32)
// Hosted targets: the values as a table (built at compile time, int16, up to the
// last non-zero one, about 16 KB): the prefix scorer's inner loop calls
// log_add_q10 hundreds of thousands of times a second of audio, in a chain.
// Boards compute them (their flash budget has no room for the table).
#define EARSHOT_LOG_ADD_TABLE 1
constexpr int32_t kLogAddLen = [] {
  int32_t last = 0;
  for (int32_t n = 0; n < kernels::kExpCutoffQ10; ++n)
    if (log1p_exp_neg_q10(n) != 0) last = n;
  return last + 1;
}();
constexpr auto kLogAdd = [] {
  std::array<int16_t, kLogAddLen> t{};
  for (int32_t n = 0; n < kLogAddLen; ++n) t[n] = static_cast<int16_t>(log1p_exp_neg_q10(n));
  return t;
}();
#endif

namespace {

// log_add_q10: inlined into the recursions below where it is a table read;
// one out-of-line copy on the boards (code size).
#if EARSHOT_LOG_ADD_TABLE
__attribute__((always_inline)) inline
#else
__attribute__((noinline))
#endif
int32_t log_add(int32_t a, int32_t b) {
  if (a < b) std::swap(a, b);
  if (b <= kLogZeroQ10) return a;
  const int32_t n = a - b;  // >= 0
  if (n >= kernels::kExpCutoffQ10) return a;  // e^-16 below the exp table's resolution: adds nothing
#if EARSHOT_LOG_ADD_TABLE
  return n < kLogAddLen ? a + kLogAdd[n] : a;
#else
  return a + log1p_exp_neg_q10(n);
#endif
}

}  // namespace

int32_t log_add_q10(int32_t a, int32_t b) { return log_add(a, b); }

void CtcFrames::push(const int16_t* logits) {
  int32_t tmp[256];
  const int32_t V = static_cast<int32_t>(V_);
  int16_t* out = lp_ + size_t(count_ % R_) * V_;
  best_[count_ % R_] = total_;
  if (V <= 256) {  // every real vocabulary (characters); the general path below for the rest
    kernels::log_softmax_q10(logits, V, tmp);
    for (int32_t v = 0; v < V; ++v) out[v] = static_cast<int16_t>(std::max<int32_t>(-32768, tmp[v]));
  } else {
    int32_t mx = 0;
    const int32_t lse = kernels::log_sum_exp_q10(logits, V, &mx);
    for (int32_t v = 0; v < V; ++v) out[v] = static_cast<int16_t>(std::max<int32_t>(-32768, logits[v] - mx - lse));
  }
  total_ += *std::max_element(out, out + V);
  ++count_;
}

inline const int16_t* CtcPrefixScorer::lp_at(uint64_t t) const {
  if (t >= f_->count() || t < f_->oldest()) {
    ++misses_;
    return nullptr;
  }
  return f_->at(t);
}

// Stored frames of a state: [max(start, upto - R + 1), upto). Before the start
// the empty prefix has probability 1 (r_b = 0), any other prefix 0.
inline int32_t CtcPrefixScorer::rn_at(const CtcState& st, uint64_t t) const {
  if (t < st.start || t + R_ <= st.upto || t >= st.upto) return kLogZeroQ10;
  return st.rn[t % R_];
}

inline int32_t CtcPrefixScorer::rb_at(const CtcState& st, uint64_t t) const {
  if (t < st.start) return st.last < 0 ? 0 : kLogZeroQ10;
  if (t + R_ <= st.upto || t >= st.upto) return kLogZeroQ10;
  return st.rb[t % R_];
}

// The values at t - 1 (t < upto + 1), with the conventions above for t = 0.
inline int32_t CtcPrefixScorer::rn_prev(const CtcState& st, uint64_t t) const {
  return t == 0 ? kLogZeroQ10 : rn_at(st, t - 1);
}
inline int32_t CtcPrefixScorer::rb_prev(const CtcState& st, uint64_t t) const {
  if (t == 0) return st.last < 0 ? 0 : kLogZeroQ10;
  return rb_at(st, t - 1);
}

void CtcPrefixScorer::start(CtcState& st, uint64_t s, uint64_t F) const {
  st.start = st.upto = s;
  st.last = -1;
  extend(st, F);
}

void CtcPrefixScorer::extend(CtcState& st, uint64_t F) const {
  if (F <= st.upto) return;
  // A gap longer than the window (never with the beam decoder's bounds) loses
  // the state: the recursion restarts from log 0.
  uint64_t t = st.upto;
  int32_t pn = rn_prev(st, t), pb = rb_prev(st, t);
  if (F - t >= R_) {
    t = F - R_ + 1;
    pn = pb = kLogZeroQ10;
    ++misses_;
  }
  for (; t < F; ++t) {
    const int16_t* lp = lp_at(t);
    int32_t rn = kLogZeroQ10, rb = kLogZeroQ10;
    if (lp) {
      if (st.last >= 0) rn = add_lp_q10(pn, lp[st.last]);
      rb = add_lp_q10(log_add(pn, pb), lp[blank_]);
    }
    st.rn[t % R_] = pn = rn;
    st.rb[t % R_] = pb = rb;
  }
  st.upto = F;
}

// lp_at over a range: the frames it would find, and one miss for each it would not.
void CtcPrefixScorer::stored(uint64_t lo, uint64_t hi, uint64_t* a, uint64_t* b) const {
  *a = std::max(lo, f_->oldest());
  *b = std::min(hi, f_->count());
  if (*a >= *b) *a = *b = hi;
  misses_ += (hi - lo) - (*b - *a);
}

// The loops below step slots (t % R, t % window) instead of dividing. Within
// [lo, F) every t >= s, so rn_at / rb_at are the arrays, or log 0 where
// t + R <= F (only t = 0 when F == R); the first frame's "previous" values go
// through rn_prev / rb_prev (they may lie before s or outside the window).
// walk: body(pb, pn, lp) for every stored frame t in [a, b) (a < b <= upto):
// the state's r_b and r_n at t - 1 and frame t's log-probabilities.
template <typename Body>
inline void CtcPrefixScorer::walk(const CtcState& st, uint64_t a, uint64_t b, Body&& body) const {
  const uint64_t F = st.upto;
  const uint32_t W = f_->window();
  uint32_t fs = static_cast<uint32_t>(a % W), ss = static_cast<uint32_t>(a % R_);  // slots of t
  int32_t pb = rb_prev(st, a), pn = rn_prev(st, a);
  for (uint64_t t = a;;) {
    body(pb, pn, f_->slot(fs));
    if (++t == b) break;
    if (t - 1 + R_ <= F) pb = pn = kLogZeroQ10;  // left the window (F == R: frame 0)
    else pb = st.rb[ss], pn = st.rn[ss];         // the values at the new t - 1
    if (++ss == R_) ss = 0;
    if (++fs == W) fs = 0;
  }
}

int32_t CtcPrefixScorer::score(const CtcState& st, int32_t c) const {
  const uint64_t F = st.upto;
  if (c == blank_) {
    if (F == 0) return st.last < 0 ? 0 : kLogZeroQ10;
    return std::min<int32_t>(0, log_add(rn_at(st, F - 1), rb_at(st, F - 1)));
  }
  const uint64_t lo = std::max<uint64_t>(st.start, F > R_ ? F - R_ + 1 : 0);
  int32_t psi = kLogZeroQ10;
  if (lo >= F) return std::min<int32_t>(0, psi);
  uint64_t a, b;
  stored(lo, F, &a, &b);
  if (a < b) {
    const bool repeat = c == st.last;
    walk(st, a, b, [&](int32_t pb, int32_t pn, const int16_t* lp) {
      psi = log_add(psi, add_lp_q10(repeat ? pb : log_add(pb, pn), lp[c]));
    });
  }
  return std::min<int32_t>(0, psi);
}

#if EARSHOT_LOG_ADD_TABLE  // hosted targets only (the beam decoder calls it there)
void CtcPrefixScorer::score_many(const CtcState& st, const int32_t* tokens, int32_t count, int32_t* out) const {
  constexpr int32_t kMax = 8;  // tokens a pass (a small stack: the boards run this too)
  if (count > kMax) {
    for (int32_t j = 0; j < count; j += kMax) score_many(st, tokens + j, std::min(kMax, count - j), out + j);
    return;
  }
  int32_t c[kMax], at[kMax], psi[kMax];
  int32_t m = 0;
  for (int32_t j = 0; j < count; ++j) {
    if (tokens[j] == blank_) out[j] = score(st, blank_);
    else c[m] = tokens[j], at[m] = j, psi[m++] = kLogZeroQ10;
  }
  if (m == 0) return;
  const uint64_t F = st.upto;
  const uint64_t lo = std::max<uint64_t>(st.start, F > R_ ? F - R_ + 1 : 0);
  if (lo < F) {
    uint64_t a, b;
    stored(lo, F, &a, &b);
    misses_ += uint64_t(m - 1) * ((F - lo) - (b - a));  // as m calls of score
    if (a < b) {
      const int32_t last = st.last;
      walk(st, a, b, [&](int32_t pb, int32_t pn, const int16_t* lp) {
        const int32_t both = log_add(pb, pn);  // phi of every token but a repeat
        for (int32_t q = 0; q < m; ++q) psi[q] = log_add(psi[q], add_lp_q10(c[q] == last ? pb : both, lp[c[q]]));
      });
    }
  }
  for (int32_t q = 0; q < m; ++q) out[at[q]] = std::min<int32_t>(0, psi[q]);
}
#endif

// May run in place (&out == &st): the parent's values at t - 1 are carried in
// locals, each read before the child's value at t - 1 overwrites its slot, and
// the parent's start/upto/last are read before out's are set. The window
// [lo, F) has at most R - 1 frames, so slot (lo - 1) % R is not written.
void CtcPrefixScorer::child(const CtcState& st, int32_t c, CtcState& out) const {
  const uint64_t F = st.upto, s = st.start;
  const int32_t last = st.last;
  const uint64_t lo = std::max<uint64_t>(s, F > R_ ? F - R_ + 1 : 0);
  if (lo < F) {
    int32_t pn = rn_prev(st, lo), pb = rb_prev(st, lo);  // the parent's values at t - 1
    int32_t hn = kLogZeroQ10, hb = kLogZeroQ10;          // the child's values at t - 1
    uint64_t a, b;
    stored(lo, F, &a, &b);
    const uint32_t W = f_->window();
    uint32_t ss = static_cast<uint32_t>(lo % R_), fs = static_cast<uint32_t>(a % W);
    for (uint64_t t = lo; t < F; ++t) {
      const int32_t phi = c == last ? pb : log_add(pb, pn);
      if (t + R_ <= F) pn = pb = kLogZeroQ10;  // left the window (F == R: frame 0)
      else pn = st.rn[ss], pb = st.rb[ss];     // before slot t is written
      int32_t rn = kLogZeroQ10, rb = kLogZeroQ10;
      if (t >= a && t < b) {
        const int16_t* lp = f_->slot(fs);
        rn = add_lp_q10(log_add(hn, phi), lp[c]);
        rb = add_lp_q10(log_add(hn, hb), lp[blank_]);
        if (++fs == W) fs = 0;
      }
      out.rn[ss] = hn = rn;
      out.rb[ss] = hb = rb;
      if (++ss == R_) ss = 0;
    }
  }
  out.start = s;
  out.last = c;
  out.upto = F;
}

void CtcPrefixScorer::copy(const CtcState& from, CtcState& to) const {
  std::copy(from.rn, from.rn + R_, to.rn);
  std::copy(from.rb, from.rb + R_, to.rb);
  to.start = from.start;
  to.upto = from.upto;
  to.last = from.last;
}

}  // namespace earshot
