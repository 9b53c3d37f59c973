// The C API (earshot.h) over Model and Recognizer: argument checks, handles in
// caller memory, and the last-error message.
#include "earshot/earshot.h"

#include <cstdint>
#include <algorithm>
#include <cstring>
#include <new>

#include "api/internal.h"
#include "common/error.h"
#include "model/model.h"
#include "model/recognizer.h"

#include <cstdarg>
#include <cstdio>

using earshot::Error;
using earshot::Model;
using earshot::Recognizer;

struct earshot_model {
  Model model;
  char name[64];  // model.name, NUL-terminated (the image holds it without a NUL)
};
static_assert(sizeof(earshot_model) + alignof(earshot_model) - 1 <= EARSHOT_MODEL_HANDLE_BYTES,
              "EARSHOT_MODEL_HANDLE_BYTES is a promise to callers with static buffers");

static Recognizer* rec_of(earshot_recognizer* r) { return &earshot::recognizer_of(r); }
static const Recognizer* rec_of(const earshot_recognizer* r) { return &earshot::recognizer_of(r); }

namespace {

// Hosted targets may call from many threads; bare metal has one.
#if defined(__linux__) || defined(__APPLE__) || defined(_WIN32)
thread_local Error g_last;
#else
Error g_last;
#endif

// Records a failure for earshot_last_error() and returns its status.
earshot_status fail(const Error& err) {
  g_last = err;
  return err.status;
}

earshot_status invalid(const char* what) {
  Error e;
  e.set(EARSHOT_ERR_INVALID_ARGUMENT, "%s", what);
  return fail(e);
}

earshot::RecognizerConfig to_cpp(const earshot_recognizer_config* c) {
  earshot::RecognizerConfig r;
  if (c) {
    r.max_chars = c->max_chars;
    r.beam = c->beam;
    r.endpoint_ms = c->endpoint_ms;
    r.reject_q15 = c->reject_q15;
    r.ctc_weight_pct = c->ctc_weight_pct;
    r.lm_weight_pct = c->lm_weight_pct;
    r.ctc_search = c->ctc_search != 0;
  }
  return r;
}

}  // namespace

earshot_status earshot::record_error(earshot_status status, const char* fmt, ...) {
  Error e;
  e.status = status;
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(e.message, sizeof e.message, fmt, ap);
  va_end(ap);
  return fail(e);
}

extern "C" {

const char* earshot_last_error(void) { return g_last.message; }

size_t earshot_model_handle_size(void) { return sizeof(earshot_model) + alignof(earshot_model) - 1; }

earshot_status earshot_model_open(const void* image, size_t image_bytes, void* handle_mem, size_t handle_mem_bytes,
                                  earshot_model** model) {
  if (!model) return invalid("earshot_model_open: model is NULL");
  *model = nullptr;
  if (!image) return invalid("earshot_model_open: image is NULL");
  if (!handle_mem || handle_mem_bytes < earshot_model_handle_size()) {
    Error e;
    e.set(EARSHOT_ERR_MEMORY_TOO_SMALL, "earshot_model_open: handle memory is %zu bytes, needs %zu", handle_mem_bytes,
          earshot_model_handle_size());
    return fail(e);
  }
  const auto a = reinterpret_cast<uintptr_t>(handle_mem);
  void* at = reinterpret_cast<void*>((a + alignof(earshot_model) - 1) & ~uintptr_t{alignof(earshot_model) - 1});
  auto* m = new (at) earshot_model();
  Error err;
  if (m->model.open({static_cast<const uint8_t*>(image), image_bytes}, err) != EARSHOT_OK) return fail(err);
  const std::string_view n = m->model.hparams().name;
  const size_t len = n.size() < sizeof m->name ? n.size() : sizeof m->name - 1;
  std::memcpy(m->name, n.data(), len);
  m->name[len] = '\0';
  *model = m;
  return EARSHOT_OK;
}

earshot_status earshot_model_get_info(const earshot_model* model, earshot_model_info* info) {
  if (!model || !info) return invalid("earshot_model_get_info: NULL argument");
  const earshot::ModelHparams& hp = model->model.hparams();
  info->name = model->name;
  info->sample_rate_hz = hp.frontend.sample_rate_hz;
  info->encoder_frame_samples = model->model.encoder_frame_samples();
  info->vocab_size = hp.vocab_size;
  info->max_chars = hp.max_chars;
  info->lm_contexts = model->model.tensors().lm.contexts;
  info->lm_order = model->model.tensors().lm.order;
  return EARSHOT_OK;
}

earshot_status earshot_arena_size(const earshot_model* model, const earshot_recognizer_config* config, size_t* bytes) {
  if (!model || !bytes) return invalid("earshot_arena_size: NULL argument");
  Error err;
  *bytes = Recognizer::arena_size(model->model, to_cpp(config), err);
  return *bytes ? EARSHOT_OK : fail(err);
}

earshot_status earshot_recognizer_create(const earshot_model* model, const earshot_recognizer_config* config,
                                         void* arena, size_t arena_bytes, earshot_recognizer** recognizer) {
  if (!recognizer) return invalid("earshot_recognizer_create: recognizer is NULL");
  *recognizer = nullptr;
  if (!model) return invalid("earshot_recognizer_create: model is NULL");
  Error err;
  Recognizer* r = Recognizer::create(model->model, to_cpp(config), arena, arena_bytes, err);
  if (!r) return fail(err);
  *recognizer = reinterpret_cast<earshot_recognizer*>(r);
  return EARSHOT_OK;
}

earshot_status earshot_push(earshot_recognizer* recognizer, const int16_t* pcm, size_t n) {
  if (!recognizer) return invalid("earshot_push: recognizer is NULL");
  Error err;
  return rec_of(recognizer)->push(pcm, n, err) == EARSHOT_OK ? EARSHOT_OK : fail(err);
}

earshot_status earshot_push_some(earshot_recognizer* recognizer, const int16_t* pcm, size_t n, size_t* consumed) {
  if (consumed) *consumed = 0;
  if (!recognizer) return invalid("earshot_push_some: recognizer is NULL");
  Error err;
  return rec_of(recognizer)->push_some(pcm, n, consumed, err) == EARSHOT_OK ? EARSHOT_OK : fail(err);
}

earshot_status earshot_next_utterance(earshot_recognizer* recognizer) {
  if (!recognizer) return invalid("earshot_next_utterance: recognizer is NULL");
  Error err;
  return rec_of(recognizer)->next_utterance(err) == EARSHOT_OK ? EARSHOT_OK : fail(err);
}

earshot_status earshot_finish(earshot_recognizer* recognizer) {
  if (!recognizer) return invalid("earshot_finish: recognizer is NULL");
  Error err;
  return rec_of(recognizer)->finish(err) == EARSHOT_OK ? EARSHOT_OK : fail(err);
}

earshot_status earshot_get_result(const earshot_recognizer* recognizer, earshot_result* result) {
  if (!recognizer || !result) return invalid("earshot_get_result: NULL argument");
  const earshot::RecognizerResult r = rec_of(recognizer)->result();
  result->text = r.text;
  result->num_tokens = r.num_tokens;
  result->token_frames = r.token_frames;
  result->encoder_frames = r.encoder_frames > UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(r.encoder_frames);
  result->is_final = r.is_final ? 1 : 0;
  result->no_match = r.no_match ? 1 : 0;
  result->score_q10 = r.score_q10;
  result->num_nbest = r.num_nbest;
  result->token_logprobs_q10 = r.token_logprobs;
  result->confidence_q15 = r.confidence_q15;
  result->utterance = r.utterance;
  result->match_q15 = r.match_q15;
  result->num_words = rec_of(recognizer)->num_words();  // split once per result change
  return EARSHOT_OK;
}

earshot_status earshot_get_word(const earshot_recognizer* recognizer, uint32_t index, earshot_word* word) {
  if (!recognizer || !word) return invalid("earshot_get_word: NULL argument");
  const Recognizer& rec = *rec_of(recognizer);
  earshot::RecognizerWord w;
  if (!rec.word(index, w)) {
    Error err;
    err.set(EARSHOT_ERR_INVALID_ARGUMENT, "earshot_get_word: index %u is not below num_words %u", index,
            rec.num_words());
    return fail(err);
  }
  const uint64_t fs = rec.model().encoder_frame_samples(), rate = rec.model().hparams().frontend.sample_rate_hz;
  word->first_char = w.first_char;
  word->num_chars = w.num_chars;
  word->start_frame = w.start_frame;
  word->end_frame = w.end_frame;
  word->start_ms = static_cast<uint32_t>(std::min<uint64_t>(UINT32_MAX, word->start_frame * fs * 1000 / rate));
  word->end_ms = static_cast<uint32_t>(std::min<uint64_t>(UINT32_MAX, word->end_frame * fs * 1000 / rate));
  word->confidence_q15 = w.confidence_q15;
  return EARSHOT_OK;
}

int32_t earshot_confidence_q15(int32_t score_q10, uint32_t count) { return earshot::confidence_q15(score_q10, count); }

earshot_status earshot_get_nbest(const earshot_recognizer* recognizer, uint32_t index, const char** text,
                                 int32_t* score_q10, uint32_t* num_tokens) {
  if (!recognizer || !text) return invalid("earshot_get_nbest: NULL argument");
  earshot::NBestEntry e;
  if (!rec_of(recognizer)->nbest(index, e)) {
    Error err;
    err.set(EARSHOT_ERR_INVALID_ARGUMENT, "earshot_get_nbest: index %u is not below num_nbest %u", index,
            rec_of(recognizer)->result().num_nbest);
    return fail(err);
  }
  *text = e.text;
  if (score_q10) *score_q10 = e.score_q10;
  if (num_tokens) *num_tokens = e.num_tokens;
  return EARSHOT_OK;
}

earshot_status earshot_reset(earshot_recognizer* recognizer) {
  if (!recognizer) return invalid("earshot_reset: recognizer is NULL");
  rec_of(recognizer)->reset();
  return EARSHOT_OK;
}

// A grammar handle is the Grammar at the start of its memory.
earshot_status earshot_grammar_compile(const earshot_model* model, const char* text, size_t length,
                                       earshot_grammar_kind kind, void* mem, size_t mem_bytes, size_t* needed,
                                       const earshot_grammar** grammar) {
  if (!grammar) return invalid("earshot_grammar_compile: grammar is NULL");
  *grammar = nullptr;
  if (!model || (!text && length)) return invalid("earshot_grammar_compile: NULL model or text");
  if (kind < EARSHOT_GRAMMAR_AUTO || kind > EARSHOT_GRAMMAR_WORDS) return invalid("earshot_grammar_compile: unknown kind");
  const earshot::ModelHparams& hp = model->model.hparams();
  const earshot::Grammar* g = nullptr;
  Error err;
  size_t need = 0;
  const earshot_status st = earshot::Grammar::compile(std::string_view(text ? text : "", length),
                                                      static_cast<earshot::GrammarKind>(kind), hp.vocab_chars,
                                                      hp.vocab_size, mem, mem_bytes, &g, &need, err);
  if (needed) *needed = need;
  if (st != EARSHOT_OK) return fail(err);
  *grammar = reinterpret_cast<const earshot_grammar*>(g);
  return EARSHOT_OK;
}

earshot_status earshot_set_grammar(earshot_recognizer* recognizer, const earshot_grammar* grammar) {
  if (!recognizer) return invalid("earshot_set_grammar: recognizer is NULL");
  Error err;
  const auto* g = reinterpret_cast<const earshot::Grammar*>(grammar);
  return rec_of(recognizer)->set_grammar(g, err) == EARSHOT_OK ? EARSHOT_OK : fail(err);
}

}  // extern "C"
static_assert(earshot::kCtcOff == EARSHOT_CTC_OFF, "the C and C++ off values agree");
