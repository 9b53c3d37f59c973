#include "decoder/beam_decoder.h"

#include <algorithm>
#include <cassert>
#include <cstring>

#include "kernels/logsoftmax/logsoftmax.h"
#include "model/decoder_step.h"

namespace earshot {

using namespace kernels;

uint32_t BeamDecoder::ring_frames(const ModelHparams& hp, uint32_t width) {
  // As GreedyDecoder::ring_frames, with the spread of the live hypotheses:
  // after every step head the centres of the live hypotheses lie within
  // S = max_spread() frames of the best-ranked one's (the others are dropped),
  // so within 2S of each other, and the lowest centre never decreases
  // (children start at their parent's centre). A step waits while
  // N <= c_max + W, so when the next frame arrives it needs [c_min - W,
  // c_max + W]: at most 2S + 2W + 1 frames; at the onset, as for greedy,
  // onset_back + W + 1. Several steps in one frame only raise c_min.
  if (width <= 1) return GreedyDecoder::ring_frames(hp);
  return hp.half_window + 1 + std::max(hp.half_window + 2 * max_spread(hp), hp.onset_back);
}

uint32_t BeamDecoder::ctc_frames(const ModelHparams& hp, uint32_t width) {
  return ring_frames(hp, width) + (hp.max_advance_q8 + 255) / 256 + 2;
}

size_t BeamDecoder::scratch_size(const Model& m, uint32_t width) {
  return DecoderStep::scratch_size(m.hparams(), width);
}

void BeamDecoder::take(ArenaCarver& a, Hyps& h) {
  const size_t B = width_;
  h.x = a.take<int8_t>(B * (hp_->dec_embed + hp_->enc_hidden));
  h.h8 = a.take<int8_t>(B * hp_->dec_hidden);
  h.c16 = a.take<int16_t>(B * hp_->dec_hidden);
  h.p = a.take<int64_t>(B);
  h.y = a.take<int32_t>(B);
  h.g = a.take<uint32_t>(B);
  h.score = a.take<int32_t>(B);
  h.n = a.take<uint32_t>(B);
  h.tokens = a.take<uint8_t>(B * max_chars_);
  h.frames = a.take<uint8_t>(B * max_chars_ * fs_);
  h.lp = a.take<int32_t>(B * max_chars_);
  if (ctc_w_) {
    h.ctc = a.take<int32_t>(B);
    h.cs = a.take<CtcState>(B);
    for (size_t i = 0; i < B; ++i) {
      int32_t* rn = a.take<int32_t>(ctc_R_);
      int32_t* rb = a.take<int32_t>(ctc_R_);
      if (h.cs) h.cs[i] = CtcState{rn, rb, 0, 0, -1};
    }
  }
  if (lm_w_) h.lm = a.take<int32_t>(B);
}

void BeamDecoder::layout(ArenaCarver& a, const Model& m, uint32_t max_chars, uint32_t width,
                         uint32_t ctc_weight_pct, uint32_t lm_weight_pct, bool ctc_weight_by_mode) {
  model_ = &m;
  ctc_weight_by_mode_ = ctc_weight_by_mode;
  lm_ = &m.tensors().lm;
  lm_w_ = lm_->present() ? lm_weight_pct : 0;
  hp_ = &m.hparams();
  max_chars_ = max_chars;
  width_ = width;
  // Token frames as offsets from frame0_ = the first window centre s0 (MODEL.md
  // step 4: max(start floor, onset - onset_back), the floor at most the onset).
  // Every centre stays >= 256 s0 (advances are >= 0; the evidence bound holds
  // a centre at L + W >= onset + W > s0) and a token's frame is
  // min(centre, N - 1) with N - 1 >= onset >= s0. Token k is read after k + 1
  // advances of at most max_advance_q8 each ((A sigmoid_q15 + 2^14) >> 15 <= A),
  // from 256 s0: its offset is at most max_chars * A / 256 (en-small: 200 * 12
  // = 2 400; 4 096 * 12 = 49 152 at the max_chars limit).
  fs_ = uint64_t{max_chars} * hp_->max_advance_q8 / 256 <= 0xffff ? 2 : 4;
  ctc_w_ = ctc_weight_pct;
  ctc_R_ = ctc_frames(*hp_, width);
  const size_t B = width, V = hp_->vocab_size;
  if (ctc_w_) {
    int16_t* lp = a.take<int16_t>(size_t{ctc_R_} * V);
    int64_t* best = a.take<int64_t>(ctc_R_);
    ctc_frames_.layout(lp, best, ctc_R_, static_cast<uint32_t>(V));
    ctc_.init(&ctc_frames_, ctc_R_, 0);
  }
  take(a, hyp_);
  q8_ = a.take<int8_t>(B * hp_->enc_hidden);
  logits_ = a.take<int16_t>(B * V);
  adv_ = a.take<int16_t>(B);
  lsm_ = a.take<int32_t>(V);
  allowed_val_ = a.take<int32_t>(V);
  allowed_tok_ = a.take<int32_t>(V);
  top_idx_ = a.take<int32_t>(B);
  top_val_ = a.take<int32_t>(B);
  cand_score_ = a.take<int32_t>(B);
  cand_ctc_ = a.take<int32_t>(B);
  if (lm_w_) cand_lm_ = a.take<int32_t>(B);
  cand_joint_ = a.take<int64_t>(B);
  cand_parent_ = a.take<uint16_t>(B);
  cand_token_ = a.take<uint16_t>(B);
  cand_order_ = a.take<uint16_t>(B);
  fin_tokens_ = a.take<uint8_t>(B * max_chars);
  fin_frames_ = a.take<uint8_t>(B * max_chars * fs_);
  fin_lp_ = a.take<int32_t>(B * max_chars);
  fin_text_ = a.take<char>(B * (size_t{max_chars} + 1));
  fin_score_ = a.take<int32_t>(B);
  fin_joint_ = a.take<int64_t>(B);
  fin_match_ = a.take<int64_t>(B);
  fin_n_ = a.take<uint32_t>(B);
  fin_order_ = a.take<uint32_t>(B);
  partial_ = a.take<char>(size_t{max_chars} + 1);
  out_frames_ = a.take<uint32_t>(max_chars);
  nb_frames_ = a.take<uint32_t>(max_chars);
}

void BeamDecoder::reset() {
  phase_ = Phase::kWaitOnset;
  onset_ = last_speech_ = -1;
  steps_ = 0;
  n_live_ = 0;
  n_fin_ = 0;
  no_match_ = false;
  window_misses_ = dropped_ = 0;
  partial_[0] = '\0';
}

uint32_t BeamDecoder::num_tokens() const {
  if (done()) return n_fin_ ? fin_n_[fin_order_[0]] : 0;
  return n_live_ ? hyp_.n[0] : 0;
}
const uint8_t* BeamDecoder::tokens() const {
  return done() && n_fin_ ? fin_tokens_ + size_t{fin_order_[0]} * max_chars_ : hyp_.tokens;
}
uint32_t BeamDecoder::get_frame(const uint8_t* base, size_t k) const {
  if (fs_ == 2) {
    uint16_t v;
    std::memcpy(&v, base + 2 * k, 2);
    return static_cast<uint32_t>(frame0_ + v);
  }
  uint32_t v;
  std::memcpy(&v, base + 4 * k, 4);
  return static_cast<uint32_t>(frame0_ + v);
}
void BeamDecoder::put_frame(uint8_t* base, size_t k, uint32_t frame) const {
  assert(frame >= frame0_ && (fs_ == 4 || frame - frame0_ <= 0xffff));
  if (fs_ == 2) {
    const auto v = static_cast<uint16_t>(frame - frame0_);
    std::memcpy(base + 2 * k, &v, 2);
  } else {
    const auto v = static_cast<uint32_t>(frame - frame0_);
    std::memcpy(base + 4 * k, &v, 4);
  }
}
void BeamDecoder::frames_out(const uint8_t* base, uint32_t n, uint32_t* out) const {
  for (uint32_t k = 0; k < n; ++k) out[k] = get_frame(base, k);
}
const uint32_t* BeamDecoder::token_frames() const {
  if (done()) {
    if (n_fin_) frames_out(fin_frames_ + size_t{fin_order_[0]} * max_chars_ * fs_, fin_n_[fin_order_[0]], out_frames_);
  } else if (n_live_) {
    frames_out(hyp_.frames, hyp_.n[0], out_frames_);
  }
  return out_frames_;
}
const uint32_t* BeamDecoder::nbest_frames(uint32_t i) const {
  frames_out(fin_frames_ + size_t{fin_order_[i]} * max_chars_ * fs_, fin_n_[fin_order_[i]], nb_frames_);
  return nb_frames_;
}
const int32_t* BeamDecoder::token_logprobs() const {
  return done() && n_fin_ ? fin_lp_ + size_t{fin_order_[0]} * max_chars_ : hyp_.lp;
}
const char* BeamDecoder::text() const {
  if (done()) return n_fin_ ? nbest_text(0) : "";
  return partial_;
}
int32_t BeamDecoder::score_q10() const {
  if (done()) return n_fin_ ? fin_score_[fin_order_[0]] : 0;
  return n_live_ ? hyp_.score[0] : 0;
}
void BeamDecoder::best(Hypothesis& out) const {
  out.text = text();
  out.num_tokens = num_tokens();
  out.tokens = tokens();
  out.token_frames = token_frames();
  out.token_logprobs = token_logprobs();
  out.score_q10 = score_q10();
}
void BeamDecoder::nbest(uint32_t i, Hypothesis& out) const {
  out.text = nbest_text(i);
  out.num_tokens = nbest_tokens(i);
  out.tokens = fin_tokens_ + size_t{fin_order_[i]} * max_chars_;
  out.token_frames = nbest_frames(i);
  out.token_logprobs = nbest_logprobs(i);
  out.score_q10 = nbest_score_q10(i);
}

void BeamDecoder::copy_hyp(const Hyps& f, uint32_t i, Hyps& t, uint32_t j) const {
  const size_t X = hp_->dec_embed + hp_->enc_hidden, Hd = hp_->dec_hidden;
  std::memcpy(t.x + j * X, f.x + i * X, X);
  std::memcpy(t.h8 + j * Hd, f.h8 + i * Hd, Hd);
  std::memcpy(t.c16 + j * Hd, f.c16 + i * Hd, Hd * sizeof(int16_t));
  t.p[j] = f.p[i];
  t.y[j] = f.y[i];
  t.g[j] = f.g[i];
  t.score[j] = f.score[i];
  t.n[j] = f.n[i];
  std::memcpy(t.tokens + size_t{j} * max_chars_, f.tokens + size_t{i} * max_chars_, f.n[i]);
  std::memcpy(t.frames + size_t{j} * max_chars_ * fs_, f.frames + size_t{i} * max_chars_ * fs_, f.n[i] * fs_);
  std::memcpy(t.lp + size_t{j} * max_chars_, f.lp + size_t{i} * max_chars_, f.n[i] * sizeof(int32_t));
  if (ctc_w_ && (&f != &t || i != j)) {
    t.ctc[j] = f.ctc[i];
    ctc_.copy(f.cs[i], t.cs[j]);
  }
  if (lm_w_) t.lm[j] = f.lm[i];
}

void BeamDecoder::swap_hyp(Hyps& h, uint32_t a, uint32_t b) const {
  const size_t X = hp_->dec_embed + hp_->enc_hidden, Hd = hp_->dec_hidden;
  std::swap_ranges(h.x + a * X, h.x + (a + 1) * X, h.x + b * X);
  std::swap_ranges(h.h8 + a * Hd, h.h8 + (a + 1) * Hd, h.h8 + b * Hd);
  std::swap_ranges(h.c16 + a * Hd, h.c16 + (a + 1) * Hd, h.c16 + b * Hd);
  std::swap(h.p[a], h.p[b]);
  std::swap(h.y[a], h.y[b]);
  std::swap(h.g[a], h.g[b]);
  std::swap(h.score[a], h.score[b]);
  const size_t m = std::max(h.n[a], h.n[b]), A = size_t{a} * max_chars_, Bo = size_t{b} * max_chars_;
  std::swap(h.n[a], h.n[b]);
  std::swap_ranges(h.tokens + A, h.tokens + A + m, h.tokens + Bo);
  std::swap_ranges(h.frames + A * fs_, h.frames + (A + m) * fs_, h.frames + Bo * fs_);
  std::swap_ranges(h.lp + A, h.lp + A + m, h.lp + Bo);
  if (ctc_w_) {
    std::swap(h.ctc[a], h.ctc[b]);
    std::swap(h.cs[a], h.cs[b]);  // the states own their arrays by pointer
  }
  if (lm_w_) std::swap(h.lm[a], h.lm[b]);
}

// The token's frame: the window centre, within the input.
uint32_t BeamDecoder::token_frame(int64_t p, int64_t n) {
  return static_cast<uint32_t>(std::min<int64_t>(std::min(p >> 8, n - 1), UINT32_MAX));
}

// Slot j (a copy of parent i, or i itself) becomes parent i + the candidate's
// token. Reads parent i's fields before it writes slot j's.
void BeamDecoder::extend_child(Hyps& h, uint32_t i, uint32_t j, uint32_t c, int64_t n) {
  const uint32_t tok = cand_token_[c];
  const int32_t s = cand_score_[c];
  if (ctc_w_) {
    ctc_.child(h.cs[i], static_cast<int32_t>(tok), h.cs[j]);  // may be in place (j == i)
    h.ctc[j] = cand_ctc_[c];
  }
  if (lm_w_) h.lm[j] = cand_lm_[c];
  const uint32_t len = h.n[i];
  h.tokens[size_t{j} * max_chars_ + len] = static_cast<uint8_t>(tok);
  put_frame(h.frames + size_t{j} * max_chars_ * fs_, len, token_frame(h.p[i], n));
  h.lp[size_t{j} * max_chars_ + len] = s - h.score[i];
  if (grammar_) h.g[j] = grammar_->next(h.g[i], tok);
  h.n[j] = len + 1;
  h.y[j] = static_cast<int32_t>(tok);
  h.score[j] = s;
}

void BeamDecoder::on_frame(const FrameRing& ring, int32_t ctc_token, const int16_t* ctc_logits, Isa isa,
                           void* scratch) {
  if (ctc_w_) ctc_frames_.push(ctc_logits);  // frame ring.count() - 1
  if (ctc_token != 0) last_speech_ = static_cast<int64_t>(ring.count()) - 1;
  if (phase_ == Phase::kWaitOnset) {
    if (ctc_token == 0) return;
    onset_ = static_cast<int64_t>(ring.count()) - 1;
    // One live hypothesis in the start state of MODEL.md step 4.
    Hyps& h = hyp_;
    std::memset(h.x, 0, hp_->dec_embed + hp_->enc_hidden);
    std::memset(h.h8, 0, hp_->dec_hidden);
    std::memset(h.c16, 0, hp_->dec_hidden * sizeof(int16_t));
    h.p[0] = static_cast<int64_t>(first_frame(hp_->onset_back)) * 256;
    frame0_ = static_cast<uint64_t>(h.p[0] >> 8);
    h.y[0] = 0;
    h.g[0] = grammar_ ? grammar_->start() : 0;
    h.score[0] = 0;
    h.n[0] = 0;
    if (lm_w_) h.lm[0] = 0;
    if (ctc_w_) {
      // The empty prefix from the decoder's first frame (frames before it count as silence).
      ctc_.start(h.cs[0], static_cast<uint64_t>(h.p[0] >> 8), static_cast<uint64_t>(h.p[0] >> 8));
      h.ctc[0] = 0;
      ctc_best0_ = ctc_frames_.best_before(h.cs[0].start);
    }
    n_live_ = 1;
    step_head(isa, scratch);
  }
  while (phase_ == Phase::kWaitWindow && step_tail(ring, false, isa, scratch)) {
  }
}

void BeamDecoder::on_end(const FrameRing& ring, Isa isa, void* scratch) {
  while (phase_ == Phase::kWaitWindow && step_tail(ring, true, isa, scratch)) {
  }
}

// Steps 5.1-5.2 for every live hypothesis in one batched LSTM step and one
// batched advance; then the strays (centre more than max_spread() frames from
// the best-ranked hypothesis's, slot 0) are dropped, which bounds the ring.
// Anchoring on the best, not the leader, keeps a wrong phrase whose window
// races ahead (a grammar can force one) from pushing out the right one.
void BeamDecoder::step_head(Isa isa, void* scratch) {
  Hyps& h = hyp_;
  DecoderStep(model_).head(h.y, n_live_, DecoderRows{h.x, h.h8, h.c16, h.p}, adv_, isa, scratch);
  const int64_t anchor = h.p[0] >> 8, S = max_spread(*hp_);
  uint32_t kept = 0;
  for (uint32_t i = 0; i < n_live_; ++i) {
    const int64_t c = h.p[i] >> 8;
    if (c < anchor - S || c > anchor + S) continue;
    if (kept != i) copy_hyp(h, i, h, kept);
    ++kept;
  }
  dropped_ += n_live_ - kept;
  n_live_ = kept;
  update_partial();  // slot 0 (the best live one) may have changed
  phase_ = Phase::kWaitWindow;
}

namespace {

// a / (na + 1) > b / (nb + 1), exactly (denominators are positive; |a|, |b|
// < 2^37 and n + 1 <= 4097, so the products fit).
bool norm_better(int64_t a, uint32_t na, int64_t b, uint32_t nb) {
  return a * (int64_t{nb} + 1) > b * (int64_t{na} + 1);
}

}  // namespace

// Finishes hypothesis i's tokens, plus `tok` at `frame` when tok >= 0 (a
// child that reached max_chars; its log-prob is score - h.score[i]).
void BeamDecoder::add_finished(const Hyps& h, uint32_t i, int32_t tok, uint32_t frame, int32_t score, int64_t jnt,
                               int32_t ctc) {
  const uint32_t n = h.n[i] + (tok >= 0 ? 1 : 0);
  // Rank: length-normalised joint score, ties to the one finished first.
  uint32_t pos = 0;
  while (pos < n_fin_ && !norm_better(jnt, n, fin_joint_[fin_order_[pos]], fin_n_[fin_order_[pos]])) ++pos;
  if (pos == width_) return;  // full, and not better than any
  uint32_t slot;
  if (n_fin_ < width_) {
    slot = n_fin_++;
  } else {
    slot = fin_order_[width_ - 1];  // the worst is dropped
  }
  for (uint32_t r = n_fin_ - 1; r > pos; --r) fin_order_[r] = fin_order_[r - 1];
  fin_order_[pos] = slot;
  const uint32_t np = h.n[i];
  uint8_t* ft = fin_tokens_ + size_t{slot} * max_chars_;
  uint8_t* ff = fin_frames_ + size_t{slot} * max_chars_ * fs_;
  int32_t* fl = fin_lp_ + size_t{slot} * max_chars_;
  std::memcpy(ft, h.tokens + size_t{i} * max_chars_, np);
  std::memcpy(ff, h.frames + size_t{i} * max_chars_ * fs_, np * fs_);
  std::memcpy(fl, h.lp + size_t{i} * max_chars_, np * sizeof(int32_t));
  if (tok >= 0) {
    ft[np] = static_cast<uint8_t>(tok);
    put_frame(ff, np, frame);
    fl[np] = score - h.score[i];
  }
  char* txt = fin_text_ + size_t{slot} * (max_chars_ + 1);
  for (uint32_t k = 0; k < n; ++k) txt[k] = hp_->vocab_chars[ft[k]];
  txt[n] = '\0';
  fin_score_[slot] = score;
  fin_joint_[slot] = jnt;
  // A child's CTC state is at its parent's frame (CtcPrefixScorer::child).
  fin_match_[slot] = match_score(score, ctc, ctc_w_ ? h.cs[i].upto : 0);
  fin_n_[slot] = n;
}

// Out-of-grammar evidence: the joint score with the CTC part measured against
// the best path over the same frames [s, F). A phrase the audio did not say
// falls far below the best path; the attention score alone does not, because
// under a grammar the decoder is only asked about allowed characters.
int64_t BeamDecoder::match_score(int32_t att, int32_t ctc, uint64_t upto) const {
  if (!ctc_w_) return att;
  const int64_t best = ctc_frames_.best_before(upto) - ctc_best0_;
  const int64_t rel = std::min<int64_t>(0, int64_t{ctc} - best);
  return (int64_t{100 - int32_t(ctc_w_)} * att + int64_t{ctc_w_} * rel) / 100;
}

// Log-probabilities are <= 0, so a live hypothesis with score s can finish
// at best with s / (max_chars + 1): the search may stop once the best
// finished one beats that bound for every live one.
bool BeamDecoder::finished_beats_live() const {
  if (n_fin_ == 0) return false;
  const int64_t fs = fin_joint_[fin_order_[0]];
  const uint32_t fn = fin_n_[fin_order_[0]];
  const Hyps& h = hyp_;
  for (uint32_t i = 0; i < n_live_; ++i)
    if (!norm_better(fs, fn, joint(h.score[i], ctc_w_ ? h.ctc[i] : 0, lm_on() ? h.lm[i] : 0), max_chars_)) return false;
  return true;
}

void BeamDecoder::finish_search() {
  phase_ = Phase::kDone;
  n_live_ = 0;
  no_match_ = grammar_ != nullptr && n_fin_ == 0;
}

void BeamDecoder::update_partial() {
  const Hyps& h = hyp_;
  const uint32_t n = n_live_ ? h.n[0] : 0;
  for (uint32_t k = 0; k < n; ++k) partial_[k] = hp_->vocab_chars[h.tokens[k]];
  partial_[n] = '\0';
}

// Steps 5.3-5.5 for all live hypotheses, then the beam update. Returns false
// while some window is incomplete or once the search is over.
bool BeamDecoder::step_tail(const FrameRing& ring, bool ended, Isa isa, void* scratch) {
  Hyps& h = hyp_;
  const auto n = static_cast<int64_t>(ring.count());
  const int64_t W = hp_->half_window;
  // The evidence bound (MODEL.md "Beam search"). With CTC prefix scores a
  // hypothesis can live on after its attention has left the speech (the CTC
  // head vouches for its characters) and read on into the silence: its centre
  // is held at most W past L, the last frame with a non-blank CTC token, so
  // its window keeps that frame. One past L + W waits for more evidence, or
  // for the end of the input, while every window (and every CTC state) is
  // still in the rings after the next frame; only then does it step, held.
  const int64_t lim = ctc_w_ ? last_speech_ + W : INT64_MAX >> 9;
  if (!ended) {
    bool past = false;
    int64_t keep = INT64_MAX;  // the oldest frame the waiting hypotheses need, as a ring bound
    for (uint32_t i = 0; i < n_live_; ++i) {
      const int64_t c = h.p[i] >> 8, held = std::min(c, lim);
      if (n <= held + W) return false;  // the wait rule, for every live hypothesis
      past |= c > lim;
      keep = std::min(keep, held - W + static_cast<int64_t>(ring.capacity()));
      if (ctc_w_) keep = std::min(keep, static_cast<int64_t>(h.cs[i].upto + ctc_frames_.window()));
    }
    if (past && n < keep) return false;
  }
  if (ctc_w_)
    for (uint32_t i = 0; i < n_live_; ++i) h.p[i] = std::min(h.p[i], lim << 8);

  const auto V = static_cast<int32_t>(hp_->vocab_size);
  const auto B = static_cast<int32_t>(n_live_);
  DecoderWindow win[kMaxBeam];
  for (int32_t i = 0; i < B; ++i) {
    win[i] = DecoderStep::window(h.p[i] >> 8, n, W);
    window_misses_ += win[i].first < ring.oldest();
  }
  DecoderStep(model_).tail(ring, win, n_live_, DecoderRows{h.x, h.h8, h.c16, h.p}, q8_, logits_, nullptr, isa,
                           scratch);

  // CTC prefix states up to the frames this step may see: through the leader's
  // window (the same for every chunking), or all frames once the input ended.
  if (ctc_w_) {
    int64_t cmax = 0;
    for (int32_t i = 0; i < B; ++i) cmax = std::max(cmax, h.p[i] >> 8);
    const auto F = static_cast<uint64_t>(ended ? n : std::min(n, cmax + W + 1));
    for (int32_t i = 0; i < B; ++i) ctc_.extend(h.cs[i], std::max(F, h.cs[i].upto));
  }

  // Expansions: per hypothesis the top `width` tokens the grammar allows
  // (every token without one; <eos> at the start or where a phrase may end),
  // ranked by log-softmax, ties to the lower token.
  // The best `width` candidates, selected as they are made: joint score
  // descending; candidates are made in (parent, rank) order and a later one
  // enters only above an equal one, so ties go to the lower parent, then the
  // lower token (equal scores of one parent mean equal log-probs, which top_k
  // ranks by the lower token). Storage: `width` candidate slots; a new one
  // takes a fresh slot, or, once all are kept, the slot of the one it pushes out.
  uint32_t kept = 0;
  for (int32_t i = 0; i < B; ++i) {
    const int16_t* z = logits_ + size_t(i) * V;
    log_softmax_q10(z, V, lsm_);
    // 5.3 at the end of input: a centre past the last frame that has already
    // read kMaxCharsAtEnd characters there may only end (<eos>); with a grammar,
    // once its phrase is complete (until then it may finish the phrase).
    // (chars_at_end over the stored frames: trailing tokens at frame N - 1.)
    uint32_t at_end = 0;
    if ((h.p[i] >> 8) > n - 1)
      while (at_end < kMaxCharsAtEnd && at_end < h.n[i] &&
             int64_t{get_frame(h.frames + size_t(i) * max_chars_ * fs_, h.n[i] - 1 - at_end)} >= n - 1)
        ++at_end;
    const bool must_end = at_end >= kMaxCharsAtEnd && (!grammar_ || grammar_->accepting(h.g[i]));
    int32_t m = 0;
    if (!grammar_) {
      for (int32_t v = 0; v < V; ++v) allowed_val_[v] = lsm_[v], allowed_tok_[v] = v;
      m = must_end ? 1 : V;
    } else {
      if (h.g[i] == grammar_->start() || grammar_->accepting(h.g[i])) allowed_val_[m] = lsm_[0], allowed_tok_[m++] = 0;
      uint32_t ne = 0;
      const GrammarEdge* e = must_end ? nullptr : grammar_->edges(h.g[i], &ne);
      for (uint32_t k = 0; k < ne; ++k) allowed_val_[m] = lsm_[e[k].token], allowed_tok_[m++] = e[k].token;
    }
    const int32_t k = std::min<int32_t>(static_cast<int32_t>(width_), m);
    if (k > 0) top_k(allowed_val_, m, k, top_idx_, top_val_);
    if (observer_)
      observer_(observer_user_,
                DecoderStepInfo{steps_, z, k > 0 ? allowed_tok_[top_idx_[0]] : 0, h.p[i], win[i].first,
                                static_cast<uint32_t>(win[i].frames), static_cast<uint32_t>(i)});
    // The LM's next-token row for this hypothesis (MODEL.md "Character LM").
    const uint8_t* lm_row = lm_on() ? lm_->row(h.tokens + size_t(i) * max_chars_, h.n[i]) : nullptr;
    // CTC prefix scores eight candidates at a time (one pass over the window;
    // hosted targets: the boards' beam builds have under 1 KB of code to spare).
#if defined(__linux__) || defined(__APPLE__) || defined(_WIN32)
    constexpr int32_t kChunk = 8;
    int32_t ctc_of[kChunk];
#endif
    for (int32_t j = 0; j < k; ++j) {
      const int32_t tok = allowed_tok_[top_idx_[j]];
      const int32_t sc = h.score[i] + top_val_[j];
#if defined(__linux__) || defined(__APPLE__) || defined(_WIN32)
      if (ctc_w_ && j % kChunk == 0) {
        int32_t toks[kChunk];
        const int32_t cnt = std::min(kChunk, k - j);
        for (int32_t q = 0; q < cnt; ++q) toks[q] = allowed_tok_[top_idx_[j + q]];
        ctc_.score_many(h.cs[i], toks, cnt, ctc_of);
      }
      const int32_t ctc = ctc_w_ ? ctc_of[j % kChunk] : 0;
#else
      const int32_t ctc = ctc_w_ ? ctc_.score(h.cs[i], tok) : 0;
#endif
      const int32_t lm = lm_row ? h.lm[i] + CharLm::logprob_q10(lm_row, static_cast<uint32_t>(tok)) : 0;
      const int64_t jn = joint(sc, ctc, lm);
      if (kept == width_ && jn <= cand_joint_[cand_order_[kept - 1]]) continue;
      const uint32_t c = kept < width_ ? kept : cand_order_[width_ - 1];
      cand_score_[c] = sc;
      cand_ctc_[c] = ctc;
      if (lm_w_) cand_lm_[c] = lm;
      cand_joint_[c] = jn;
      cand_parent_[c] = static_cast<uint16_t>(i);
      cand_token_[c] = static_cast<uint16_t>(tok);
      uint32_t pos = kept < width_ ? kept++ : width_ - 1;
      while (pos > 0 && cand_joint_[cand_order_[pos - 1]] < jn) {
        cand_order_[pos] = cand_order_[pos - 1];
        --pos;
      }
      cand_order_[pos] = static_cast<uint16_t>(c);
    }
  }
  ++steps_;

  // The beam update, in place (no second set of hypotheses). Each kept
  // candidate comes from a live parent (rank order, slot = rank), and a child
  // is its parent plus one token. First everything that finishes, in rank
  // order (the finished list's ties go to the one added first), from the
  // untouched parents. Then the live children: a parent's first child takes
  // the parent's own slot; its other children take the slots of parents that
  // got no child (or unused slots), copied from their parent before any parent
  // is changed; then the parents that kept their slot are extended in place.
  // Last, swaps put child k (rank order) in slot k, as before.
  uint32_t n_next = 0;
  uint16_t child_cand[kMaxBeam];
  for (uint32_t r = 0; r < kept; ++r) {
    const uint32_t c = cand_order_[r], i = cand_parent_[c], tok = cand_token_[c];
    if (tok == 0) {
      add_finished(h, i, -1, 0, cand_score_[c], cand_joint_[c], cand_ctc_[c]);
    } else if (h.n[i] + 1 == max_chars_) {  // the character limit ends it
      if (!grammar_ || grammar_->accepting(grammar_->next(h.g[i], tok)))
        add_finished(h, i, static_cast<int32_t>(tok), token_frame(h.p[i], n), cand_score_[c], cand_joint_[c],
                     cand_ctc_[c]);
    } else {
      child_cand[n_next++] = static_cast<uint16_t>(c);
    }
  }
  uint8_t slot_of[kMaxBeam];            // child k (rank) -> its slot
  int8_t child_at[kMaxBeam];            // slot -> the child in it (-1: none)
  bool taken[kMaxBeam] = {};
  for (uint32_t k = 0; k < n_next; ++k) {
    const uint32_t i = cand_parent_[child_cand[k]];
    slot_of[k] = taken[i] ? uint8_t{0xff} : static_cast<uint8_t>(i);
    taken[i] = true;
  }
  uint32_t free_slot = 0;
  for (uint32_t k = 0; k < n_next; ++k) {
    if (slot_of[k] != 0xff) continue;
    while (taken[free_slot]) ++free_slot;  // n_next <= width slots, so one is free
    taken[free_slot] = true;
    slot_of[k] = static_cast<uint8_t>(free_slot);
    copy_hyp(h, cand_parent_[child_cand[k]], h, free_slot);
    extend_child(h, cand_parent_[child_cand[k]], free_slot, child_cand[k], n);
  }
  for (uint32_t k = 0; k < n_next; ++k) {
    const uint32_t i = cand_parent_[child_cand[k]];
    if (slot_of[k] == i) extend_child(h, i, i, child_cand[k], n);
  }
  for (uint32_t j = 0; j < width_; ++j) child_at[j] = -1;
  for (uint32_t k = 0; k < n_next; ++k) child_at[slot_of[k]] = static_cast<int8_t>(k);
  for (uint32_t k = 0; k < n_next; ++k) {
    const uint32_t j = slot_of[k];
    if (j == k) continue;
    swap_hyp(h, k, j);  // whatever was in slot k goes to slot j
    const int8_t other = child_at[k];
    if (other >= 0) slot_of[other] = static_cast<uint8_t>(j);
    child_at[j] = other;
    child_at[k] = static_cast<int8_t>(k);
    slot_of[k] = static_cast<uint8_t>(k);
  }
  n_live_ = n_next;
  if (n_live_ == 0 || finished_beats_live()) {
    finish_search();
    return false;
  }
  step_head(isa, scratch);
  return true;
}

}  // namespace earshot
