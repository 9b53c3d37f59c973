// Greedy local-attention decoder (MODEL.md steps 4-5) as a resumable state
// machine over the ring of encoder frames.
//
// A step runs in two halves: the LSTM and the window advance (5.1-5.2), then
// the attention and output (5.4-5.5) once the window's last frame exists or
// the input has ended (the wait rule, 5.3). Between the halves the step's
// state is kept, so whatever chunks the audio arrives in, every step sees the
// same frames and the tokens and logits are the same bits.
//
// The Search (search.h) of beam width 0 or 1. With a grammar, each step takes
// the best token the automaton allows (<eos> only where a phrase may end).
#pragma once
#include <cstdint>

#include "decoder/search.h"
#include "kernels/attention/attention.h"
#include "kernels/isa.h"
#include "model/arena.h"
#include "model/frame_ring.h"
#include "model/model.h"

namespace earshot {

// MODEL.md step 5.3: once the input has ended, a window centre past the last
// frame reads that frame alone; after this many characters read at the last
// frame (centre at or past it), such a step's only token is <eos>. Legit
// endings read up to 3 there (the model's centre runs ahead of the audio at
// the end); a runaway would read on to max_chars.
inline constexpr uint32_t kMaxCharsAtEnd = 3;
// Trailing tokens (of n_tokens, frames as recorded: clamped to the input) at
// the last frame of an input of n_frames, counted up to limit.
uint32_t chars_at_end(const uint32_t* frames, uint32_t n_tokens, int64_t n_frames, uint32_t limit);

class GreedyDecoder final : public Search {
 public:
  // Encoder frames the ring must hold so every window this decoder can ask
  // for is still there (see the .cpp for the bound).
  static uint32_t ring_frames(const ModelHparams& hp);
  static size_t scratch_size(const Model& m);
  void layout(ArenaCarver& a, const Model& m, uint32_t max_chars);
  void reset() override;

  void on_frame(const FrameRing& ring, int32_t ctc_token, const int16_t* ctc_logits, kernels::Isa isa,
                void* scratch) override;
  void on_end(const FrameRing& ring, kernels::Isa isa, void* scratch) override;

  uint32_t num_tokens() const { return n_tokens_; }
  const uint8_t* tokens() const { return tokens_; }        // token ids, 1..V-1
  const uint32_t* token_frames() const { return frames_; } // window centre of each token (encoder frames)
  const int32_t* token_logprobs() const { return lp_; }    // Q10 log-softmax of each chosen token (<= 0)
  const char* text() const { return text_; }               // NUL-terminated
  // Sum of the Q10 log-softmax values of the chosen tokens, <eos> included
  // (the beam decoder's score of the same path; MODEL.md "Beam search").
  int32_t score_q10() const { return score_; }

  void best(Hypothesis& out) const override {
    out.text = text_;
    out.num_tokens = n_tokens_;
    out.tokens = tokens_;
    out.token_frames = frames_;
    out.token_logprobs = lp_;
    out.score_q10 = score_;
  }
  int64_t match_score_q10() const override { return score_; }
  // One entry once done (the text), none after a no-match.
  uint32_t num_nbest() const override { return done() && !no_match_ ? 1 : 0; }
  void nbest(uint32_t, Hypothesis& out) const override { best(out); }

 private:
  void step_head(kernels::Isa isa, void* scratch);
  bool step_tail(const FrameRing& ring, bool ended, kernels::Isa isa, void* scratch);

  const Model* model_ = nullptr;
  const ModelHparams* hp_ = nullptr;
  uint32_t max_chars_ = 0;
  int8_t* x_ = nullptr;        // E + H: embed[y] ‖ ctx8 (the decoder LSTM input)
  int8_t* h8_ = nullptr;       // Hd, Q7
  int16_t* c16_ = nullptr;     // Hd, Q11
  int8_t* q8_ = nullptr;       // H, the attention query
  int16_t* logits_ = nullptr;  // V, Q10
  uint8_t* tokens_ = nullptr;  // max_chars
  uint32_t* frames_ = nullptr; // max_chars
  int32_t* lp_ = nullptr;      // max_chars
  char* text_ = nullptr;       // max_chars + 1

  int32_t y_ = 0;              // previous token (0 = <eos> as the start symbol)
  int64_t p_ = 0;              // window centre, Q8 encoder frames (only grows)
  uint32_t steps_ = 0, n_tokens_ = 0;
  int32_t score_ = 0;
  uint32_t gstate_ = 0;        // automaton state after the tokens so far

  int32_t choose(int32_t V) const;
};

}  // namespace earshot
