#include "app/transcriber.h"

#include "app/console.h"
#include "app/stack_paint.h"
#include "boards/board.h"

namespace earshot::fw {
namespace {

constexpr size_t kMaxChunk = 480;  // 10 ms at up to 48 kHz
// Grammars and beam widths come only with the beam-search build's phrase
// lists (app/phrase_list.h): in the greedy build their paths fold away.
constexpr bool kBeamBuild = EARSHOT_BEAM_SEARCH;

int fail_setup(const char* what) {
  JsonLine().str("error", what).str("detail", earshot_last_error()).end();
  return kExitError;
}

int fail_file(const char* file, const char* what) {
  JsonLine().str("file", file).str("error", what).str("detail", earshot_last_error()).end();
  return kExitCheckFailed;
}

}  // namespace

int Transcriber::open(const FlashModel& m, void* handle, size_t handle_bytes) {
  if (earshot_model_open(m.image, m.bytes, handle, handle_bytes, &model_) != EARSHOT_OK)
    return fail_setup("the model in flash is not usable");
  if (earshot_model_get_info(model_, &info_) != EARSHOT_OK) return fail_setup("earshot_model_get_info failed");
  return kExitOk;
}

int Transcriber::start(void* arena, size_t arena_bytes, uint32_t beam, bool ctc, const earshot_grammar* grammar,
                       size_t grammar_bytes) {
  // Only the search and its width differ from the defaults: the same config as
  // the host's `earshot transcribe [--ctc] --beam N [--grammar FILE]`.
  earshot_recognizer_config cfg = {};
  cfg.beam = beam;
  cfg.ctc_search = kBeamBuild && ctc ? 1 : 0;
  beam_ = beam;
  ctc_ = kBeamBuild && ctc;
  grammar_ = grammar;
  grammar_bytes_ = grammar_bytes;
  if (earshot_arena_size(model_, &cfg, &arena_needed_) != EARSHOT_OK) return fail_setup("earshot_arena_size failed");
  if (arena_needed_ > arena_bytes) {
    // Said at start-up, before any audio: the build's arena does not fit the model.
    JsonLine line;
    line.str("error",
             "arena too small for the model (build option EARSHOT_FW_ARENA_BYTES, or the arena=BYTES argument)")
        .num("arena_needed", static_cast<int64_t>(arena_needed_))
        .num("arena_bytes", static_cast<int64_t>(arena_bytes));
    // The phrase list's bytes, taken from the arena before the recognizer's.
    if (kBeamBuild && grammar) line.num("grammar_bytes", static_cast<int64_t>(grammar_bytes));
    line.end();
    return kExitError;
  }
  if (earshot_recognizer_create(model_, &cfg, arena, arena_bytes, &rec_) != EARSHOT_OK)
    return fail_setup("earshot_recognizer_create failed");
  if (kBeamBuild && grammar && earshot_set_grammar(rec_, grammar) != EARSHOT_OK)
    return fail_setup("earshot_set_grammar failed");
  return kExitOk;
}

// The host's recognize() (tools/earshot/recognize.cpp) in static buffers:
// utterances with text join with a space (timed at the next one's first
// character), and the file's confidence is that of all their characters and
// end tokens together.
bool Transcriber::collect() {
  earshot_result r;
  if (earshot_get_result(rec_, &r) != EARSHOT_OK) return false;
  last_frames_ = r.encoder_frames;
  if (kBeamBuild && r.no_match) {
    // Rejected by the grammar: no text, timed where the utterance ended, left
    // out of the file's score (the host's copy_result and recognize()).
    if (n_utts_ == kMaxUtterances) return false;
    const uint32_t ms = static_cast<uint32_t>(uint64_t{r.encoder_frames} * 1000 * info_.encoder_frame_samples /
                                              info_.sample_rate_hz);
    utt_match_q15_[n_utts_] = r.match_q15;
    utt_no_match_[n_utts_] = true;
    utts_[n_utts_++] = Span{n_chars_, 0, ms, ms, r.confidence_q15};
    return true;
  }
  if (r.num_tokens == 0) return true;  // nothing said
  const uint32_t join = n_chars_ ? 1 : 0;
  if (n_chars_ + join + r.num_tokens > kMaxChars || n_utts_ == kMaxUtterances || n_words_ + r.num_words > kMaxWords)
    return false;
  if (join) {
    frames_[n_chars_] = r.token_frames[0];
    text_[n_chars_++] = ' ';
  }
  const uint32_t first = n_chars_;
  for (uint32_t i = 0; i < r.num_tokens; ++i) {
    text_[n_chars_] = r.text[i];
    frames_[n_chars_++] = r.token_frames[i];
  }
  text_[n_chars_] = '\0';
  utt_match_q15_[n_utts_] = r.match_q15;
  utt_no_match_[n_utts_] = false;
  Span& u = utts_[n_utts_++];
  u = Span{first, r.num_tokens, 0, 0, r.confidence_q15};
  for (uint32_t i = 0; i < r.num_words; ++i) {
    earshot_word w;
    if (earshot_get_word(rec_, i, &w) != EARSHOT_OK) return false;
    words_[n_words_++] = Span{first + w.first_char, w.num_chars, w.start_ms, w.end_ms, w.confidence_q15};
    if (i == 0) u.start_ms = w.start_ms;
    u.end_ms = w.end_ms;
  }
  score_ += r.score_q10;
  count_ += r.num_tokens + 1;
  return true;
}

int Transcriber::run(AudioSource& src, const char* file) {
  if (src.sample_rate_hz() != info_.sample_rate_hz) {
    JsonLine()
        .str("file", file)
        .str("error", "the audio's sample rate is not the model's")
        .num("audio_hz", src.sample_rate_hz())
        .num("model_hz", info_.sample_rate_hz)
        .end();
    return kExitCheckFailed;
  }
  if (used_ && earshot_reset(rec_) != EARSHOT_OK) return fail_file(file, "earshot_reset failed");
  used_ = true;

  n_chars_ = n_words_ = n_utts_ = last_frames_ = 0;
  score_ = 0;
  count_ = 0;
  text_[0] = '\0';

  int16_t chunk[kMaxChunk];
  size_t chunk_samples = info_.sample_rate_hz / 100;
  if (chunk_samples == 0 || chunk_samples > kMaxChunk) chunk_samples = kMaxChunk;
  uint64_t samples = 0;
  const uint64_t start = board_cycles();
  for (;;) {
    const long n = src.read(chunk, chunk_samples);
    if (n < 0) {
      JsonLine().str("file", file).str("error", src.error()).end();
      return kExitCheckFailed;
    }
    if (n == 0) break;
    for (size_t off = 0; off < static_cast<size_t>(n);) {
      size_t k = 0;
      if (earshot_push_some(rec_, chunk + off, static_cast<size_t>(n) - off, &k) != EARSHOT_OK)
        return fail_file(file, "earshot_push_some failed");
      off += k;
      earshot_result r;
      if (earshot_get_result(rec_, &r) != EARSHOT_OK) return fail_file(file, "earshot_get_result failed");
      if (!r.is_final) continue;
      if (!collect()) return fail_file(file, "the transcript is longer than the firmware's buffers");
      if (earshot_next_utterance(rec_) != EARSHOT_OK) return fail_file(file, "earshot_next_utterance failed");
    }
    samples += static_cast<uint64_t>(n);
  }
  if (earshot_finish(rec_) != EARSHOT_OK) return fail_file(file, "earshot_finish failed");
  if (!collect()) return fail_file(file, "the transcript is longer than the firmware's buffers");
  const uint64_t cycles = board_cycles() - start;

  // Confidence as the host prints it: the Q15 value rounded to 4 decimals.
  auto conf = [](int32_t q15) { return (static_cast<uint64_t>(q15) * 10000 + 16384) >> 15; };
  // The file's confidence: of its matched utterances' characters; with none,
  // the best rejected utterance's (what the nearest phrase scored), as the host.
  // Its match: the best utterance's; no_match: some rejected and none matched.
  int32_t confidence = count_ ? earshot_confidence_q15(static_cast<int32_t>(score_), count_) : 0;
  int32_t match = 0;
  bool any_match = false, any_rejected = false;
  for (uint32_t i = 0; kBeamBuild && i < n_utts_; ++i) {
    if (!count_ && utts_[i].confidence_q15 >= confidence) confidence = utts_[i].confidence_q15;
    if (utt_match_q15_[i] > match) match = utt_match_q15_[i];
    any_rejected = any_rejected || utt_no_match_[i];
    any_match = any_match || !utt_no_match_[i];
  }
  JsonLine line;
  line.str("file", file).str("text", text_);
  line.real("confidence", conf(confidence), 10000);
  if (kBeamBuild && grammar_) line.flag("no_match", any_rejected && !any_match).real("match", conf(match), 10000);
  // words: {"word", start, end, confidence}; utterances: the same with "text"
  // (and with a grammar "no_match", "match").
  auto spans = [&](const char* key, const char* text_key, const Span* sp, uint32_t n, bool utterances) {
    line.begin_array(key);
    for (uint32_t i = 0; i < n; ++i) {
      char piece[kMaxChars + 1];
      for (uint32_t j = 0; j < sp[i].len; ++j) piece[j] = text_[sp[i].first + j];
      piece[sp[i].len] = '\0';
      line.begin_object().str(text_key, piece).real("start", sp[i].start_ms, 1000).real("end", sp[i].end_ms, 1000);
      line.real("confidence", conf(sp[i].confidence_q15), 10000);
      if (kBeamBuild && utterances && grammar_)
        line.flag("no_match", utt_no_match_[i]).real("match", conf(utt_match_q15_[i]), 10000);
      line.end_object();
    }
    line.end_array();
  };
  spans("words", "word", words_, n_words_, false);
  spans("utterances", "text", utts_, n_utts_, true);
  line.num("tokens", n_chars_)
      .num("encoder_frames", last_frames_)
      .nums("token_times", frames_, n_chars_, info_.encoder_frame_samples, info_.sample_rate_hz)
      .num("samples", static_cast<int64_t>(samples))
      .num("cycles", static_cast<int64_t>(cycles))
      .num("arena_bytes", static_cast<int64_t>(arena_needed_))
      .num("stack_bytes", static_cast<int64_t>(stack_peak_bytes()));
  if (kBeamBuild && ctc_) line.num("ctc", beam_);
  else if (kBeamBuild && beam_ > 1) line.num("beam", beam_);
  if (kBeamBuild && grammar_) line.num("grammar_bytes", static_cast<int64_t>(grammar_bytes_));
  line.end();
  return kExitOk;
}

}  // namespace earshot::fw
