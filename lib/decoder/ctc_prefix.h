// CTC prefix scores for joint CTC–attention beam search (Watanabe et al., 2017;
// lib/model/MODEL.md "CTC prefix scoring"), in integers over a sliding window
// of the last R encoder frames so memory does not grow with the utterance.
//
// For a prefix g, r_n[t] / r_b[t] are the log-probabilities (Q10) that the
// CTC paths over frames [s, t] spell g and end in g's last character / in a
// blank (s = the utterance's first decoder frame; frames before it count as
// silence). The prefix score of g + c over frames [s, F) is
//   psi = log sum_t exp(phi[t - 1] + lp[t][c]),  phi = r_b (+ r_n unless c repeats g's last)
// and of g + <eos>: log(exp r_n[F - 1] + exp r_b[F - 1]).
//
// Streaming: a state is extended over frames that arrive after it was made
// with g's own recursion only (its last character repeated, or blanks), i.e.
// assuming its last character began before; terms older than the window are
// dropped. Both only lower a score. Everything is integer (log_sum_exp_q10),
// so every target gives the same bits.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace earshot {

inline constexpr int32_t kLogZeroQ10 = -(1 << 28);

// ln(e^(a/1024) + e^(b/1024)) * 1024 with log 0 = kLogZeroQ10 (absorbing).
int32_t log_add_q10(int32_t a, int32_t b);
// x + l with log 0 absorbing (l is a frame's log-probability, >= -32768).
inline int32_t add_lp_q10(int32_t x, int32_t l) {
  return x <= kLogZeroQ10 ? kLogZeroQ10 : std::max<int32_t>(kLogZeroQ10, x + l);
}

// CTC log-probabilities of the last R encoder frames (int16 Q10, <= 0, clamped),
// and the running score of the best path (each frame's most likely token).
class CtcFrames {
 public:
  // mem: R * vocab int16; best: R int64 (the best-path sum before each kept frame).
  void layout(int16_t* mem, int64_t* best, uint32_t frames, uint32_t vocab) {
    lp_ = mem, best_ = best, R_ = frames, V_ = vocab;
  }
  void reset() { count_ = 0, total_ = 0; }
  // Frame count_ from its CTC logits (int16 Q10): log-softmax, clamped to int16.
  void push(const int16_t* logits);
  uint64_t count() const { return count_; }
  uint64_t oldest() const { return count_ > R_ ? count_ - R_ : 0; }
  uint32_t window() const { return R_; }
  const int16_t* at(uint64_t t) const { return lp_ + size_t(t % R_) * V_; }
  // Frame t's row by its slot t % window() (loops step the slot instead of dividing).
  const int16_t* slot(uint32_t i) const { return lp_ + size_t(i) * V_; }
  // Sum over frames u < t of max_v lp_u[v] (Q10, <= 0): the best path's score
  // (rejection compares a phrase's CTC score with it). t in [oldest(), count()];
  // an older t reads as oldest().
  int64_t best_before(uint64_t t) const {
    if (t >= count_) return total_;
    return best_[(t < oldest() ? oldest() : t) % R_];
  }

 private:
  int16_t* lp_ = nullptr;
  int64_t* best_ = nullptr;
  uint32_t R_ = 0, V_ = 0;
  uint64_t count_ = 0;
  int64_t total_ = 0;
};

// One prefix's CTC state (r_n, r_b over a circular window of R frames). The
// arrays live in the caller's memory (R int32 each).
struct CtcState {
  int32_t* rn = nullptr;
  int32_t* rb = nullptr;
  uint64_t start = 0;  // s: the utterance's first frame
  uint64_t upto = 0;   // frames [.., upto) are computed
  int32_t last = -1;   // the prefix's last token (-1: empty prefix)
};

class CtcPrefixScorer {
 public:
  // R: frames kept per state (<= frames' window); blank: the CTC blank token.
  void init(const CtcFrames* frames, uint32_t R, int32_t blank) { f_ = frames, R_ = R, blank_ = blank; }
  uint32_t window() const { return R_; }

  // The empty prefix at utterance start frame s, computed up to frame F.
  void start(CtcState& st, uint64_t s, uint64_t F) const;
  // Extends st to frame F (st.upto <= F) with its own recursion.
  void extend(CtcState& st, uint64_t F) const;
  // Prefix score of st's prefix + token c over frames [s, F) (st.upto == F); c = blank means <eos>.
  int32_t score(const CtcState& st, int32_t c) const;
  // score(st, tokens[j]) for j < count into out[j]: the same values, the frame
  // loop run once for up to 8 tokens (their sums are independent chains).
  // Hosted targets only (the boards' beam builds call score).
  void score_many(const CtcState& st, const int32_t* tokens, int32_t count, int32_t* out) const;
  // The state of st's prefix + c (c != blank) at st.upto, written to out (its own arrays, or st itself).
  void child(const CtcState& st, int32_t c, CtcState& out) const;
  void copy(const CtcState& from, CtcState& to) const;
  // Frames whose log-probabilities had left the window when needed (diagnostics: 0 in practice).
  uint64_t misses() const { return misses_; }

 private:
  int32_t rn_at(const CtcState& st, uint64_t t) const;  // t < upto; before s or the window: log 0
  int32_t rb_at(const CtcState& st, uint64_t t) const;
  int32_t rn_prev(const CtcState& st, uint64_t t) const;
  int32_t rb_prev(const CtcState& st, uint64_t t) const;
  const int16_t* lp_at(uint64_t t) const;
  // The stored frames among [lo, hi): [*a, *b) (empty: *a == *b); the others count as misses.
  void stored(uint64_t lo, uint64_t hi, uint64_t* a, uint64_t* b) const;
  // The frame loop of score and score_many (defined in the .cpp, used only there).
  template <typename Body>
  void walk(const CtcState& st, uint64_t a, uint64_t b, Body&& body) const;
  const CtcFrames* f_ = nullptr;
  uint32_t R_ = 0;
  int32_t blank_ = 0;
  mutable uint64_t misses_ = 0;
};

}  // namespace earshot
