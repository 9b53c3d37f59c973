#include "model/recognizer.h"

#include <algorithm>
#include <new>

namespace earshot {

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
  out = cfg.max_chars ? cfg.max_chars : m.hparams().max_chars;
  return true;
}

}  // namespace

void Recognizer::layout(ArenaCarver& a, const Model& model, uint32_t max_chars) {
  const ModelHparams& hp = model.hparams();
  a.skip_object<Recognizer>();  // this object: the first region (create() constructs it there)
  frontend_mem_ = a.take<uint8_t>(Frontend::memory_size(hp.frontend));
  features_ = a.take<int16_t>(hp.n_mels);
  scratch_ = a.take<uint8_t>(std::max(StreamingEncoder::scratch_size(model), GreedyDecoder::scratch_size(model)));
  encoder_.layout(a, model);
  ring_.layout(a, GreedyDecoder::ring_frames(hp), hp.enc_hidden);
  decoder_.layout(a, model, max_chars);
}

size_t Recognizer::arena_size(const Model& model, const RecognizerConfig& cfg, Error& err) {
  uint32_t max_chars = 0;
  if (!resolve_max_chars(model, cfg, max_chars, err)) return 0;
  Recognizer probe;
  ArenaCarver measure;
  probe.layout(measure, model, max_chars);
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
  r->layout(carve, model, max_chars);
  r->model_ = &model;
  r->isa_ = kernels::isa_active();
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
  decoder_.reset();
  finished_ = false;
}

void Recognizer::feature_frame(const int16_t* f) {
  if (!encoder_.push_features(f, isa_, scratch_)) return;
  ring_.push(encoder_.output());
  if (enc_observer_)
    enc_observer_(enc_observer_user_,
                  EncoderFrameInfo{ring_.count() - 1, encoder_.output(), encoder_.ctc_logits(), encoder_.ctc_token()});
  decoder_.on_frame(ring_, encoder_.ctc_token(), isa_, scratch_);
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
  decoder_.on_end(ring_, isa_, scratch_);
  return EARSHOT_OK;
}

earshot_status Recognizer::set_grammar(const Grammar* g, Error& err) {
  if (decoder_.started() || finished_)
    return err.set(EARSHOT_ERR_INVALID_ARGUMENT,
                   "set the grammar between utterances (after reset, before speech starts)");
  decoder_.set_grammar(g);
  decoder_.reset();  // the automaton starts with the utterance
  return EARSHOT_OK;
}

RecognizerResult Recognizer::result() const {
  RecognizerResult r;
  r.text = decoder_.text();
  r.num_tokens = decoder_.num_tokens();
  r.tokens = decoder_.tokens();
  r.token_frames = decoder_.token_frames();
  r.encoder_frames = ring_.count();
  r.onset = decoder_.onset();
  r.is_final = finished_ || decoder_.done();
  r.no_match = decoder_.no_match();
  return r;
}

}  // namespace earshot
