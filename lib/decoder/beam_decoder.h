// Beam search over the local-attention decoder (MODEL.md, "Beam search"): the
// greedy decoder's step, run for up to `width` hypotheses at once with the
// batched kernels, integer scores (sums of Q10 log-softmax values), exact
// tie-breaks and length-normalised comparison by cross-multiplication, so the
// result is the same bits on every target, ISA level and chunking.
//
// All state lives in the arena (layout()); one set of hypothesis arrays,
// updated in place at each step (step_tail's beam update).
//
// The Search (search.h) of beam width 2..kMaxBeam (and 1 in tests).
#pragma once
#include <cstdint>

#include "decoder/ctc_prefix.h"
#include "decoder/grammar.h"
#include "decoder/greedy_decoder.h"
#include "decoder/search.h"
#include "kernels/isa.h"
#include "model/arena.h"
#include "model/frame_ring.h"
#include "model/model.h"

namespace earshot {

inline constexpr uint32_t kMaxBeam = 32;
// Joint CTC-attention scoring (MODEL.md "CTC prefix scoring"): a hypothesis's
// rank is (100 - w) * attention score + w * CTC prefix score, w in percent.
inline constexpr uint32_t kDefaultCtcWeightPct = 30;
// With a grammar the CTC head carries more of the choice: the attention decoder,
// asked only about allowed characters, is less telling there. Tuned on the
// calibration set (models/README.md): beam 16, 200 phrases, sentence error
// clean 9.5 % at 30 -> 4.0 % at 70, 10 dB 28.0 % -> 18.5 %.
inline constexpr uint32_t kDefaultGrammarCtcWeightPct = 70;
// Shallow fusion with the image's character LM (MODEL.md "Character LM"),
// open vocabulary only: the rank adds this weight (percent) times the
// hypothesis's LM log-probability. Tuned on the calibration set (models/README.md).
inline constexpr uint32_t kDefaultLmWeightPct = 30;

class BeamDecoder final : public Search {
 public:
  // Encoder frames the ring must hold for this width (see the .cpp).
  static uint32_t ring_frames(const ModelHparams& hp, uint32_t width);
  // Frames a live hypothesis's window centre may be from the best-ranked one's (2W).
  static uint32_t max_spread(const ModelHparams& hp) { return 2 * hp.half_window; }
  static size_t scratch_size(const Model& m, uint32_t width);
  // Encoder frames of CTC log-probabilities (and of each hypothesis's CTC
  // state) kept for prefix scoring: every frame a step can reach, plus one
  // step's advance.
  static uint32_t ctc_frames(const ModelHparams& hp, uint32_t width);
  // ctc_weight_pct: 0..100 (0: attention only, no CTC memory or work).
  // lm_weight_pct: 0..100, and only with a model that has a character LM (0: no LM memory or work).
  // ctc_weight_by_mode: set_grammar() sets the CTC weight (kDefaultGrammarCtcWeightPct
  // with a grammar, kDefaultCtcWeightPct without; only with CTC scoring on).
  void layout(ArenaCarver& a, const Model& m, uint32_t max_chars, uint32_t width, uint32_t ctc_weight_pct = 0,
              uint32_t lm_weight_pct = 0, bool ctc_weight_by_mode = false);
  void reset() override;  // the next utterance (the stream's CTC frames are kept)
  void reset_stream() override {  // a new stream: frame numbers start again at 0
    ctc_frames_.reset();
    Search::reset_stream();
  }

  // ctc_logits: the frame's CTC logits (V int16 Q10), for prefix scoring.
  void on_frame(const FrameRing& ring, int32_t ctc_token, const int16_t* ctc_logits, kernels::Isa isa,
                void* scratch) override;
  void on_end(const FrameRing& ring, kernels::Isa isa, void* scratch) override;

  // The best hypothesis: while decoding, the best-scored live one (partial);
  // once done, the best finished one (empty when none finished).
  uint32_t num_tokens() const;
  const uint8_t* tokens() const;
  const uint32_t* token_frames() const;
  const int32_t* token_logprobs() const;  // Q10 log-softmax of each token (<= 0)
  const char* text() const;
  int32_t score_q10() const;
  // The best finished hypothesis's match score (Q10 sum over its tokens and the
  // end, <= 0): with CTC scoring (100 - w)% of the attention score plus w% of
  // its CTC score relative to the best CTC path (MODEL.md "Confidence,
  // rejection"); without, the attention score. Out-of-grammar rejection tests
  // it. 0 before done or when nothing finished.
  int64_t match_score_q10() const override { return done() && n_fin_ ? fin_match_[fin_order_[0]] : 0; }
  void best(Hypothesis& out) const override;

  // Finished hypotheses, best first (only once done; up to `width`).
  uint32_t num_nbest() const override { return done() ? n_fin_ : 0; }
  void nbest(uint32_t i, Hypothesis& out) const override;
  const char* nbest_text(uint32_t i) const { return fin_text_ + size_t{fin_order_[i]} * (max_chars_ + 1); }
  uint32_t nbest_tokens(uint32_t i) const { return fin_n_[fin_order_[i]]; }
  int32_t nbest_score_q10(uint32_t i) const { return fin_score_[fin_order_[i]]; }
  // Valid until the next nbest_frames() call (made from the stored offsets).
  const uint32_t* nbest_frames(uint32_t i) const;
  const int32_t* nbest_logprobs(uint32_t i) const { return fin_lp_ + size_t{fin_order_[i]} * max_chars_; }

  // The LM is not used while a grammar is set: the grammar already says what may follow.
  void set_grammar(const Grammar* g) override {
    grammar_ = g;
    if (ctc_weight_by_mode_) set_ctc_weight(g ? kDefaultGrammarCtcWeightPct : kDefaultCtcWeightPct);
  }
  // Between utterances; only when laid out with CTC scoring (w was > 0). w in 1..100.
  void set_ctc_weight(uint32_t w) {
    if (ctc_w_) ctc_w_ = w;
  }
  const BeamDecoder* as_beam() const override { return this; }
  uint32_t steps() const { return steps_; }
  // Diagnostics (tests, bench): windows that reached below the ring's oldest
  // frame (always 0: the ring bound holds), and hypotheses dropped for
  // straying more than max_spread() from the best-ranked one.
  uint64_t window_misses() const { return window_misses_; }
  uint64_t dropped_laggards() const { return dropped_; }
  uint64_t ctc_misses() const { return ctc_.misses(); }
  uint32_t ctc_weight_pct() const { return ctc_w_; }

 private:
  // One buffer of hypotheses (struct of arrays, `width` slots; the live ones
  // are slots 0..n_live_-1 in rank order).
  struct Hyps {
    int8_t* x = nullptr;        // [B][E + H]: embed[y] ‖ ctx8
    int8_t* h8 = nullptr;       // [B][Hd]
    int16_t* c16 = nullptr;     // [B][Hd]
    int64_t* p = nullptr;       // [B] window centre, Q8
    int32_t* y = nullptr;       // [B] previous token
    uint32_t* g = nullptr;      // [B] grammar state
    int32_t* score = nullptr;   // [B] sum of log-softmax Q10
    uint32_t* n = nullptr;      // [B] tokens so far
    uint8_t* tokens = nullptr;  // [B][max_chars]
    uint8_t* frames = nullptr;  // [B][max_chars] of fs_ bytes: token frames - frame0_ (put_frame)
    int32_t* lp = nullptr;      // [B][max_chars]: each token's log-softmax, Q10
    int32_t* ctc = nullptr;     // [B] CTC prefix score (log, Q10) of the tokens so far
    CtcState* cs = nullptr;     // [B] CTC state (arrays of ctc_frames() each)
    int32_t* lm = nullptr;      // [B] character LM log-probability (Q10) of the tokens so far
  };
  void take(ArenaCarver& a, Hyps& h);
  void copy_hyp(const Hyps& from, uint32_t i, Hyps& to, uint32_t j) const;
  void step_head(kernels::Isa isa, void* scratch);
  bool step_tail(const FrameRing& ring, bool ended, kernels::Isa isa, void* scratch);
  void add_finished(const Hyps& h, uint32_t i, int32_t tok, uint32_t frame, int32_t score, int64_t joint, int32_t ctc);
  void swap_hyp(Hyps& h, uint32_t a, uint32_t b) const;
  void extend_child(Hyps& h, uint32_t i, uint32_t j, uint32_t c, int64_t n);
  static uint32_t token_frame(int64_t p, int64_t n);
  int64_t match_score(int32_t att, int32_t ctc, uint64_t upto) const;
  bool finished_beats_live() const;
  int64_t joint(int32_t att, int32_t ctc, int32_t lm) const {
    return int64_t{100 - int32_t(ctc_w_)} * att + int64_t{ctc_w_} * ctc + int64_t{lm_w_} * lm;
  }
  bool lm_on() const { return lm_w_ && !grammar_; }
  void finish_search();
  void update_partial();

  const Model* model_ = nullptr;
  const ModelHparams* hp_ = nullptr;
  uint32_t max_chars_ = 0, width_ = 1;
  Hyps hyp_;  // one set, updated in place (step_tail)
  uint32_t n_live_ = 0;
  int8_t* q8_ = nullptr;          // [B][H]
  int16_t* logits_ = nullptr;     // [B][V]
  int16_t* adv_ = nullptr;        // [B]
  int32_t* lsm_ = nullptr;        // [V] log-softmax of one hypothesis
  int32_t* allowed_val_ = nullptr;// [V]
  int32_t* allowed_tok_ = nullptr;// [V]
  int32_t* top_idx_ = nullptr;    // [B]
  int32_t* top_val_ = nullptr;    // [B]
  // The best B candidates of one step (selected as they are made: step_tail).
  int32_t* cand_score_ = nullptr; // [B] attention score
  int32_t* cand_ctc_ = nullptr;   // [B] CTC prefix score
  int32_t* cand_lm_ = nullptr;    // [B] LM score (when lm_w_)
  int64_t* cand_joint_ = nullptr; // [B] the rank
  uint16_t* cand_parent_ = nullptr;
  uint16_t* cand_token_ = nullptr;
  uint16_t* cand_order_ = nullptr;
  // Finished hypotheses (slots; fin_order_ ranks them best first).
  uint8_t* fin_tokens_ = nullptr;  // [B][max_chars]
  uint8_t* fin_frames_ = nullptr;  // [B][max_chars] of fs_ bytes, as Hyps::frames
  int32_t* fin_lp_ = nullptr;      // [B][max_chars]
  char* fin_text_ = nullptr;       // [B][max_chars + 1]
  int32_t* fin_score_ = nullptr;   // [B]
  int64_t* fin_joint_ = nullptr;   // [B]
  int64_t* fin_match_ = nullptr;   // [B] match_score_q10()
  uint32_t* fin_n_ = nullptr;      // [B]
  uint32_t* fin_order_ = nullptr;  // [B]
  uint32_t n_fin_ = 0;
  char* partial_ = nullptr;        // [max_chars + 1]: the best live hypothesis's text
  // Token frames are stored as offsets from the utterance's first decoder frame
  // frame0_, in fs_ = 2 bytes where max_chars and the model's advance bound
  // them below 2^16 (layout()), else 4. The API's uint32 frames are made on demand:
  mutable uint32_t* out_frames_ = nullptr;  // [max_chars]: token_frames()
  mutable uint32_t* nb_frames_ = nullptr;   // [max_chars]: nbest_frames()
  uint32_t fs_ = 4;
  uint64_t frame0_ = 0;
  uint32_t get_frame(const uint8_t* base, size_t k) const;
  void put_frame(uint8_t* base, size_t k, uint32_t frame) const;
  void frames_out(const uint8_t* base, uint32_t n, uint32_t* out) const;

  uint32_t ctc_w_ = 0, ctc_R_ = 0;
  bool ctc_weight_by_mode_ = false;
  uint32_t lm_w_ = 0;
  const CharLm* lm_ = nullptr;
  int64_t last_speech_ = -1;  // L: the last frame whose CTC token is not blank
  int64_t ctc_best0_ = 0;  // best_before(s) of this utterance's first frame
  CtcFrames ctc_frames_;
  CtcPrefixScorer ctc_;

  uint32_t steps_ = 0;
  uint64_t window_misses_ = 0, dropped_ = 0;
};

}  // namespace earshot
