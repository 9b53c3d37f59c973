#include "decoder/greedy_decoder.h"

#include <algorithm>
#include <cassert>
#include <cstring>

#include "kernels/logsoftmax/logsoftmax.h"
#include "model/decoder_step.h"
#include "model/encoder.h"  // argmax_s16

namespace earshot {

using namespace kernels;

uint32_t chars_at_end(const uint32_t* frames, uint32_t n_tokens, int64_t n_frames, uint32_t limit) {
  uint32_t k = 0;
  while (k < limit && k < n_tokens && int64_t{frames[n_tokens - 1 - k]} >= n_frames - 1) ++k;
  return k;
}

uint32_t GreedyDecoder::ring_frames(const ModelHparams& hp) {
  // Window low ends c - W never decrease (p only grows). After each encoder
  // frame the decoder is idle, done, or waiting with N <= c + W, so when the
  // next frame arrives it needs [c - W, c + W]: 2W + 1 frames. At the onset
  // n0 (N = n0 + 1) the first window may start onset_back + W frames before
  // n0: onset_back + W + 1 frames. The ring holds the larger of the two.
  return hp.half_window + 1 + std::max(hp.half_window, hp.onset_back);
}

size_t GreedyDecoder::scratch_size(const Model& m) { return DecoderStep::scratch_size(m.hparams(), 1); }

void GreedyDecoder::layout(ArenaCarver& a, const Model& m, uint32_t max_chars) {
  model_ = &m;
  hp_ = &m.hparams();
  max_chars_ = max_chars;
  x_ = a.take<int8_t>(hp_->dec_embed + hp_->enc_hidden);
  h8_ = a.take<int8_t>(hp_->dec_hidden);
  c16_ = a.take<int16_t>(hp_->dec_hidden);
  q8_ = a.take<int8_t>(hp_->enc_hidden);
  logits_ = a.take<int16_t>(hp_->vocab_size);
  tokens_ = a.take<uint8_t>(max_chars);
  frames_ = a.take<uint32_t>(max_chars);
  lp_ = a.take<int32_t>(max_chars);
  text_ = a.take<char>(size_t{max_chars} + 1);
}

void GreedyDecoder::reset() {
  // Step 4's start state: y = <eos>, ctx8 = 0, h8 = c16 = 0.
  std::memset(x_, 0, hp_->dec_embed + hp_->enc_hidden);
  std::memset(h8_, 0, hp_->dec_hidden);
  std::memset(c16_, 0, hp_->dec_hidden * sizeof(int16_t));
  text_[0] = '\0';
  phase_ = Phase::kWaitOnset;
  y_ = 0;
  p_ = 0;
  onset_ = -1;
  steps_ = n_tokens_ = 0;
  score_ = 0;
  gstate_ = grammar_ ? grammar_->start() : 0;
  no_match_ = false;
}

// The next token: argmax of the logits (lowest index on ties), restricted to
// what the grammar allows from the current state when there is one. <eos> is
// allowed where a phrase may end, and before the first character (nothing
// said that the grammar knows: "no match").
int32_t GreedyDecoder::choose(int32_t V) const {
  if (!grammar_) return argmax_s16(logits_, V);
  int32_t best = -1;
  if (gstate_ == grammar_->start() || grammar_->accepting(gstate_)) best = 0;
  uint32_t n = 0;
  const GrammarEdge* e = grammar_->edges(gstate_, &n);
  for (uint32_t i = 0; i < n; ++i)  // edges are sorted by token: ties keep the lowest
    if (best < 0 || logits_[e[i].token] > logits_[best]) best = e[i].token;
  return best < 0 ? 0 : best;
}

void GreedyDecoder::on_frame(const FrameRing& ring, int32_t ctc_token, const int16_t*, Isa isa, void* scratch) {
  if (phase_ == Phase::kWaitOnset) {
    if (ctc_token == 0) return;  // blank: silence and noise decode nothing
    onset_ = static_cast<int64_t>(ring.count()) - 1;
    p_ = static_cast<int64_t>(first_frame(hp_->onset_back)) * 256;
    step_head(isa, scratch);
  }
  while (phase_ == Phase::kWaitWindow && step_tail(ring, false, isa, scratch)) {
  }
}

void GreedyDecoder::on_end(const FrameRing& ring, Isa isa, void* scratch) {
  while (phase_ == Phase::kWaitWindow && step_tail(ring, true, isa, scratch)) {
  }
}

// Steps 5.1-5.2: the LSTM on embed[y] ‖ ctx8, then the window advance.
void GreedyDecoder::step_head(Isa isa, void* scratch) {
  int16_t adv = 0;
  DecoderStep(model_).head(&y_, 1, DecoderRows{x_, h8_, c16_, &p_}, &adv, isa, scratch);
  phase_ = Phase::kWaitWindow;
}

// Steps 5.3-5.5. Returns false while the window is incomplete (the step waits
// with its state kept) or once the utterance is final.
bool GreedyDecoder::step_tail(const FrameRing& ring, bool ended, Isa isa, void* scratch) {
  const auto n = static_cast<int64_t>(ring.count());
  const int64_t c = p_ >> 8, W = hp_->half_window;
  if (!ended && n <= c + W) return false;  // 5.3: wait for frame c + W
  // Window [max(0, c - W), min(N - 1, c + W)]; a centre beyond the end (only
  // after the input ended: until then N > c + W) leaves the last frame alone,
  // and once kMaxCharsAtEnd characters were read at the last frame (centre at
  // or past it) the step's only token is <eos> (5.5) — with a grammar, once its
  // phrase is complete: a phrase the end cut short would be lost, and the
  // grammar itself bounds what remains (MODEL.md 5.3).
  const bool must_end = c > n - 1 && (!grammar_ || grammar_->accepting(gstate_)) &&
                        chars_at_end(frames_, n_tokens_, n, kMaxCharsAtEnd) >= kMaxCharsAtEnd;
  const DecoderWindow w = DecoderStep::window(c, n, W);

  // 5.4-5.5: attention over the window, then the output logits.
  int16_t probs[kAttnMaxFrames];  // the weights, only for an observer
  DecoderStep(model_).tail(ring, &w, 1, DecoderRows{x_, h8_, c16_, &p_}, q8_, logits_, observer_ ? probs : nullptr,
                           isa, scratch);
  const auto V = static_cast<int32_t>(hp_->vocab_size);
  const int32_t y = must_end ? 0 : choose(V);
  int32_t lp = 0;
  {
    int32_t mx = 0;
    const int32_t lse = log_sum_exp_q10(logits_, V, &mx);
    lp = logits_[y] - mx - lse;  // = log_softmax_q10(logits)[y]
    score_ += lp;
  }
  if (observer_)
    observer_(observer_user_, DecoderStepInfo{steps_, logits_, y, p_, w.first, static_cast<uint32_t>(w.frames), 0,
                                              probs});
  ++steps_;
  if (y == 0) {
    if (grammar_ && n_tokens_ && !grammar_->accepting(gstate_)) no_match_ = true;
    phase_ = Phase::kDone;
    if (no_match_) text_[n_tokens_ = 0] = '\0';
    return false;
  }
  if (grammar_) gstate_ = grammar_->next(gstate_, static_cast<uint32_t>(y));
  tokens_[n_tokens_] = static_cast<uint8_t>(y);
  frames_[n_tokens_] = static_cast<uint32_t>(std::min<int64_t>(std::min(c, n - 1), UINT32_MAX));  // within the input
  lp_[n_tokens_] = lp;
  text_[n_tokens_] = hp_->vocab_chars[y];
  text_[++n_tokens_] = '\0';
  if (n_tokens_ == max_chars_) {
    phase_ = Phase::kDone;
    if (grammar_ && !grammar_->accepting(gstate_)) {  // cut off inside a phrase
      no_match_ = true;
      text_[n_tokens_ = 0] = '\0';
    }
    return false;
  }
  y_ = y;
  step_head(isa, scratch);
  return true;
}

}  // namespace earshot
