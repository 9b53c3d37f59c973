#include "model/recognizer.h"

#include <algorithm>
#include <new>

#include "decoder/ctc_search.h"
#include "kernels/activation.h"

namespace earshot {

int32_t confidence_q15(int64_t sum_logprob_q10, uint32_t count) {
  if (count == 0) return 0;
  // Round the mean distance below log(1) = 0 to the nearest Q10 step.
  const int64_t mean = (-sum_logprob_q10 + count / 2) / count;
  return kernels::exp_neg_q10_to_q15(static_cast<int32_t>(std::min<int64_t>(mean, kernels::kExpCutoffQ10)));
}

namespace {

bool resolve_max_chars(const Model& m, const RecognizerConfig& cfg, uint32_t& out, Error& err) {
  if (!m.is_open()) {
    err.set(EARSHOT_ERR_INVALID_ARGUMENT, "recognizer: the model is not open");
    return false;
  }
  if (cfg.max_chars > kMaxCharsLimit) {
    err.set(EARSHOT_ERR_INVALID_ARGUMENT, "recognizer: max_chars %u is above %u", cfg.max_chars, kMaxCharsLimit);
    return false;
  }
  if (!kBeamSearch && cfg.ctc_search) {
    err.set(EARSHOT_ERR_INVALID_ARGUMENT, "recognizer: the CTC search is not in this build (EARSHOT_BEAM_SEARCH=OFF)");
    return false;
  }
  if (cfg.ctc_search && cfg.beam > kMaxCtcSearchWidth) {
    err.set(EARSHOT_ERR_INVALID_ARGUMENT, "recognizer: CTC search width %u is above %u", cfg.beam, kMaxCtcSearchWidth);
    return false;
  }
  if (!kBeamSearch && (cfg.beam > 1 || cfg.beam_decoder_at_width_1)) {
    err.set(EARSHOT_ERR_INVALID_ARGUMENT, "recognizer: beam width %u, but this build decodes greedily only (EARSHOT_BEAM_SEARCH=OFF)",
            cfg.beam);
    return false;
  }
  if (!cfg.ctc_search && cfg.beam > kMaxBeam) {
    err.set(EARSHOT_ERR_INVALID_ARGUMENT, "recognizer: beam width %u is above %u", cfg.beam, kMaxBeam);
    return false;
  }
  if (cfg.ctc_weight_pct > 100 && cfg.ctc_weight_pct != kCtcOff) {
    err.set(EARSHOT_ERR_INVALID_ARGUMENT, "recognizer: ctc_weight_pct %u is above 100 (and not the 'off' value %u)",
            cfg.ctc_weight_pct, kCtcOff);
    return false;
  }
  if (cfg.lm_weight_pct > 100 && cfg.lm_weight_pct != kLmOff) {
    err.set(EARSHOT_ERR_INVALID_ARGUMENT, "recognizer: lm_weight_pct %u is above 100 (and not the 'off' value %u)",
            cfg.lm_weight_pct, kLmOff);
    return false;
  }
  if (cfg.endpoint_ms > kMaxEndpointMs) {
    err.set(EARSHOT_ERR_INVALID_ARGUMENT, "recognizer: endpoint_ms %u is above %u", cfg.endpoint_ms, kMaxEndpointMs);
    return false;
  }
  if (cfg.reject_q15 > 32768) {
    err.set(EARSHOT_ERR_INVALID_ARGUMENT, "recognizer: reject_q15 %u is above 32768 (a confidence of 1)",
            cfg.reject_q15);
    return false;
  }
  out = cfg.max_chars ? cfg.max_chars : m.hparams().max_chars;
  return true;
}

uint32_t ctc_weight(const RecognizerConfig& cfg) {
  return cfg.ctc_weight_pct == kCtcOff ? 0 : cfg.ctc_weight_pct ? cfg.ctc_weight_pct : kDefaultCtcWeightPct;
}
// 0 for a model without a character LM: the beam decoder then takes no LM memory.
uint32_t lm_weight(const Model& m, const RecognizerConfig& cfg) {
  if (!m.tensors().lm.present()) return 0;
  return cfg.lm_weight_pct == kLmOff ? 0 : cfg.lm_weight_pct ? cfg.lm_weight_pct : kDefaultLmWeightPct;
}
bool uses_beam(const RecognizerConfig& cfg) { return cfg.beam > 1 || cfg.beam_decoder_at_width_1; }

SearchConfig search_config(const Model& m, const RecognizerConfig& cfg, uint32_t max_chars) {
  SearchConfig sc;
  sc.max_chars = max_chars;
  sc.ctc = kBeamSearch && cfg.ctc_search;
  sc.beam = kBeamSearch && uses_beam(cfg) && !sc.ctc;
  sc.width = sc.ctc ? (cfg.beam > 1 ? cfg.beam : kDefaultCtcSearchWidth) : sc.beam && cfg.beam ? cfg.beam : 1;
  sc.ctc_weight_pct = ctc_weight(cfg);
  sc.ctc_weight_by_mode = cfg.ctc_weight_pct == 0;
  sc.lm_weight_pct = lm_weight(m, cfg);
  return sc;
}

}  // namespace

size_t Recognizer::word_index_bytes(uint32_t max_chars) {
  return sizeof(WordIndex) + (size_t{max_chars} / 2 + 1) * sizeof(uint16_t);
}

void Recognizer::layout(ArenaCarver& a, const Model& model, const SearchConfig& sc) {
  const ModelHparams& hp = model.hparams();
  beam_width_ = sc.width;
  a.skip_object<Recognizer>();  // this object: the first region (create() constructs it there)
  frontend_mem_ = a.take<uint8_t>(Frontend::memory_size(hp.frontend));
  features_ = a.take<int16_t>(hp.n_mels);
  // Between calls the scratch holds the word split (words()).
  scratch_ = a.take<uint8_t>(std::max({StreamingEncoder::scratch_size(model), search_scratch_size(model, sc),
                                       word_index_bytes(sc.max_chars)}));
  encoder_.layout(a, model);
  // The decoders read windows of at most 2W + 1 frames (MODEL.md step 5.4).
  ring_.layout(a, search_ring_frames(hp, sc), hp.enc_hidden, 2 * hp.half_window + 1);
  search_ = static_cast<SearchImpl*>(make_search(a, model, sc));  // a GreedyDecoder where kBeamSearch is off
}

size_t Recognizer::arena_size(const Model& model, const RecognizerConfig& cfg, Error& err) {
  uint32_t max_chars = 0;
  if (!resolve_max_chars(model, cfg, max_chars, err)) return 0;
  Recognizer probe;
  ArenaCarver measure;
  probe.layout(measure, model, search_config(model, cfg, max_chars));
  return measure.used() + kArenaAlign - 1;  // the caller's arena may start anywhere
}

Recognizer* Recognizer::create(const Model& model, const RecognizerConfig& cfg, void* arena, size_t arena_bytes,
                               Error& err) {
  uint32_t max_chars = 0;
  if (!resolve_max_chars(model, cfg, max_chars, err)) return nullptr;
  const size_t need = arena_size(model, cfg, err);
  if (arena == nullptr || arena_bytes < need) {
    err.set(EARSHOT_ERR_MEMORY_TOO_SMALL, "recognizer: arena is %zu bytes, this model and config need %zu", arena_bytes,
            need);
    return nullptr;
  }
  uint8_t* base = arena_align(arena);
  auto* r = new (base) Recognizer();  // placement: the arena's first region
  ArenaCarver carve(base, arena_bytes - static_cast<size_t>(base - static_cast<uint8_t*>(arena)));
  r->layout(carve, model, search_config(model, cfg, max_chars));
  r->model_ = &model;
  r->isa_ = kernels::isa_active();
  r->endpoint_frames_ = model.encoder_frames_for_ms(cfg.endpoint_ms ? cfg.endpoint_ms : kDefaultEndpointMs);
  r->reject_q15_ = cfg.reject_q15                                  ? cfg.reject_q15
                   : cfg.ctc_search                                 ? kDefaultRejectCtcQ15
                   : uses_beam(cfg) && ctc_weight(cfg) != 0 ? kDefaultRejectJointQ15
                                                            : kDefaultRejectQ15;
  if (carve.overflow() ||
      r->frontend_.init(model.hparams().frontend, r->frontend_mem_, Frontend::memory_size(model.hparams().frontend),
                        err) != EARSHOT_OK) {
    if (carve.overflow()) err.set(EARSHOT_ERR_MEMORY_TOO_SMALL, "recognizer: arena layout overflow");
    return nullptr;
  }
  r->reset();
  err.clear();
  return r;
}

void Recognizer::reset() {
  frontend_.reset();
  encoder_.reset();
  ring_.reset();
  search_->reset_stream();
  finished_ = false;
  words_ready_ = false;
  blank_run_ = 0;
  utterance_ = 0;
}

earshot_status Recognizer::next_utterance(Error& err) {
  if (finished_) return err.set(EARSHOT_ERR_INVALID_ARGUMENT, "next_utterance after finish: use reset");
  // Frames already heard belonged to the last utterance (or to the silence
  // before this one): the next window starts at the first frame still to come.
  search_->set_start_floor(ring_.count());
  search_->reset();
  words_ready_ = false;
  ++utterance_;
  return EARSHOT_OK;
}

void Recognizer::feature_frame(const int16_t* f) {
  words_ready_ = false;  // the kernels take the scratch, and the result may change
  if (!encoder_.push_features(f, isa_, scratch_)) return;
  ring_.push(encoder_.output());
  if (enc_observer_)
    enc_observer_(enc_observer_user_,
                  EncoderFrameInfo{ring_.count() - 1, encoder_.output(), encoder_.ctc_logits(), encoder_.ctc_token()});
  const int32_t ctc = encoder_.ctc_token();
  blank_run_ = ctc == 0 ? blank_run_ + 1 : 0;
  search_->on_frame(ring_, ctc, encoder_.ctc_logits(), isa_, scratch_);
  // End of utterance on silence: the decoder has heard nothing new for the
  // endpoint time, so the utterance ends here as if the input did; a pause in
  // the middle of a phrase gets longer (speakers pause inside long lines: on the
  // real dev characters 11 of 625 in-list clips were cut in two at 900 ms).
  if (blank_run_ >= endpoint_frames_ && search_->started() && !search_->done() &&
      (blank_run_ >= kMidPhraseEndpoints * endpoint_frames_ || !search_->mid_phrase()))
    search_->on_end(ring_, isa_, scratch_);
  // Idle reset: while waiting for speech, every endpoint time of blank frames
  // the encoder's LSTM state returns to zero. The model learnt utterances that
  // start from zero state, so an utterance deep into a stream is heard as at
  // the start of one, not coloured by what came minutes before. The last
  // 300 ms are replayed from that zero state: CTC stays blank for a while after
  // speech begins, and a bare reset there cut the first sounds off (dev CER
  // 0.398 -> 0.455 with the step-10 421 model; with the replay 0.397).
  if (!search_->started() && blank_run_ > 0 && blank_run_ % endpoint_frames_ == 0) encoder_.idle_reset(isa_, scratch_);
}

earshot_status Recognizer::push(const int16_t* pcm, size_t n, Error& err) {
  if (finished_) return err.set(EARSHOT_ERR_INVALID_ARGUMENT, "push after finish: reset the recognizer first");
  if (pcm == nullptr && n) return err.set(EARSHOT_ERR_INVALID_ARGUMENT, "push: null samples");
  while (true) {
    while (frontend_.frame_ready()) {
      frontend_.pop({features_, model_->hparams().n_mels});
      feature_frame(features_);
    }
    if (n == 0) return EARSHOT_OK;
    const size_t took = frontend_.push({pcm, n});
    pcm += took;
    n -= took;
  }
}

earshot_status Recognizer::push_some(const int16_t* pcm, size_t n, size_t* consumed, Error& err) {
  size_t taken = 0;
  if (consumed) *consumed = 0;
  if (finished_) return err.set(EARSHOT_ERR_INVALID_ARGUMENT, "push after finish: reset the recognizer first");
  if (pcm == nullptr && n) return err.set(EARSHOT_ERR_INVALID_ARGUMENT, "push: null samples");
  // Frames the front-end already holds are decoded first; the samples they
  // came from were counted when taken.
  while (true) {
    while (!search_->done() && frontend_.frame_ready()) {
      frontend_.pop({features_, model_->hparams().n_mels});
      feature_frame(features_);
    }
    if (search_->done() || taken == n) break;
    taken += frontend_.push({pcm + taken, n - taken});
  }
  if (consumed) *consumed = taken;
  return EARSHOT_OK;
}

earshot_status Recognizer::push_features(const int16_t* f, size_t frames, Error& err) {
  if (finished_) return err.set(EARSHOT_ERR_INVALID_ARGUMENT, "push after finish: reset the recognizer first");
  if (f == nullptr && frames) return err.set(EARSHOT_ERR_INVALID_ARGUMENT, "push_features: null features");
  for (size_t i = 0; i < frames; ++i) feature_frame(f + i * model_->hparams().n_mels);
  return EARSHOT_OK;
}

earshot_status Recognizer::finish(Error& err) {
  if (finished_) return err.set(EARSHOT_ERR_INVALID_ARGUMENT, "finish called twice: reset the recognizer first");
  // A trailing partial window of samples, or fewer than `stack` features, make
  // no frame (MODEL.md: encoder step n needs all of its frames).
  finished_ = true;
  words_ready_ = false;
  search_->on_end(ring_, isa_, scratch_);
  return EARSHOT_OK;
}

earshot_status Recognizer::set_grammar(const Grammar* g, Error& err) {
  if (search_->started() || finished_)
    return err.set(EARSHOT_ERR_INVALID_ARGUMENT,
                   "set the grammar between utterances (after reset, before speech starts)");
  search_->set_grammar(g);
  search_->reset();  // the automaton starts with the utterance
  words_ready_ = false;
  return EARSHOT_OK;
}

RecognizerResult Recognizer::result() const {
  RecognizerResult r;
  r.encoder_frames = ring_.count();
  r.utterance = utterance_;
  Hypothesis h;
  search_->best(h);
  r.text = h.text;
  r.num_tokens = h.num_tokens;
  r.tokens = h.tokens;
  r.token_frames = h.token_frames;
  r.token_logprobs = h.token_logprobs;
  r.score_q10 = h.score_q10;
  r.onset = search_->onset();
  r.is_final = finished_ || search_->done();
  r.no_match = search_->no_match();
  r.num_nbest = search_->num_nbest();
  // Final: the score includes <eos>; partial: only the tokens so far.
  const bool with_eos = search_->done() && r.num_tokens > 0;
  r.confidence_q15 = r.num_tokens ? confidence_q15(r.score_q10, r.num_tokens + (with_eos ? 1 : 0)) : 0;
  r.match_q15 = with_eos ? confidence_q15(search_->match_score_q10(), r.num_tokens + 1) : r.confidence_q15;
  // With a grammar, a final phrase the model is not confident of is rejected.
  if (with_eos && search_->grammar() && static_cast<uint32_t>(r.match_q15) < reject_q15_) {
    r.no_match = true;
    r.text = "";
    r.num_tokens = 0;
    r.num_nbest = 0;
  }
  return r;
}

bool Recognizer::nbest(uint32_t i, NBestEntry& out) const {
  if (i >= result().num_nbest) return false;
  search_->nbest(i, out);
  return true;
}

const Recognizer::WordIndex& Recognizer::words() const {
  auto* w = static_cast<WordIndex*>(scratch_);
  if (words_ready_) return *w;
  const RecognizerResult r = result();
  w->text = r.text;
  w->token_frames = r.token_frames;
  w->token_logprobs = r.token_logprobs;
  w->num_tokens = r.num_tokens;
  auto* first = reinterpret_cast<uint16_t*>(w + 1);
  uint32_t n = 0;
  for (uint32_t i = 0; i < r.num_tokens; ++i)
    if (r.text[i] != ' ' && (i == 0 || r.text[i - 1] == ' ')) first[n++] = static_cast<uint16_t>(i);
  w->num_words = n;
  words_ready_ = true;
  return *w;
}

uint32_t Recognizer::num_words() const { return words().num_words; }

bool Recognizer::word(uint32_t i, RecognizerWord& out) const {
  const WordIndex& w = words();
  if (i >= w.num_words) return false;
  const uint32_t first = w.first_chars()[i];
  uint32_t end = first;
  int64_t sum = 0;
  while (end < w.num_tokens && w.text[end] != ' ') sum += w.token_logprobs[end++];
  out.first_char = first;
  out.num_chars = end - first;
  out.start_frame = w.token_frames[first];
  out.end_frame = w.token_frames[end - 1] + 1;
  out.confidence_q15 = confidence_q15(sum, end - first);
  return true;
}

}  // namespace earshot
