// The recognizer on the device: the model read in place from flash, all state
// in one static arena, audio pulled from an AudioSource in 10 ms chunks, one
// JSON line per utterance on the console. Uses only the C API (earshot.h).
#pragma once
#include <cstddef>
#include <cstdint>

#include "app/audio_source.h"
#include "app/flash.h"
#include "earshot/earshot.h"

namespace earshot::fw {

class Transcriber {
 public:
  // Opens the model (full validation: format, CRC, schema) with its handle in
  // `handle`. On failure prints {"error":...} and returns kExitError.
  int open(const FlashModel& model, void* handle, size_t handle_bytes);

  // Builds the recognizer at the start of `arena`: greedy for beam <= 1, else
  // beam search of that width (EARSHOT_BEAM_SEARCH=ON builds), constrained to
  // `grammar` when not null (compiled elsewhere in `grammar_bytes` bytes,
  // reported only). On failure prints {"error":...} and returns kExitError:
  // an arena smaller than earshot_arena_size() says this config needs, or a
  // beam width the build does not decode.
  // beam: the width (with ctc: the CTC search's prefixes, lib/model/MODEL.md "CTC search").
  int start(void* arena, size_t arena_bytes, uint32_t beam, bool ctc, const earshot_grammar* grammar,
            size_t grammar_bytes);

  const earshot_model* model() const { return model_; }

  // One file: reads `src` to its end in 10 ms chunks through the recognizer,
  // utterance after utterance (earshot_push_some), and prints
  //   {"file","text","confidence","words","utterances","tokens",
  //    "encoder_frames","token_times","samples","cycles","arena_bytes","stack_bytes"}
  // (the host's `earshot transcribe --json` fields, less rtf and the n-best
  // list, plus the device's); with a grammar also "no_match" and "match", as
  // the host prints them, and the device's "beam" and "grammar_bytes".
  // `cycles`: board_cycles() from the first push to the final result. On failure prints {"file","error"} and returns kExitCheckFailed.
  int run(AudioSource& src, const char* file);

  size_t arena_needed() const { return arena_needed_; }

 private:
  earshot_model* model_ = nullptr;
  earshot_recognizer* rec_ = nullptr;
  earshot_model_info info_ = {};
  const earshot_grammar* grammar_ = nullptr;
  size_t arena_needed_ = 0, grammar_bytes_ = 0;
  uint32_t beam_ = 0;  // > 1: beam search (zero-initialised: the object stays in .bss)
  bool ctc_ = false;   // the CTC search of beam_ prefixes
  bool used_ = false;

  // The file's transcript, joined over its utterances (static: no heap). With
  // a grammar an utterance that matched no phrase is kept too (text "", timed
  // where it ended), as the host keeps it.
  static constexpr uint32_t kMaxChars = 512, kMaxWords = 128, kMaxUtterances = 16;
  struct Span {
    uint32_t first, len, start_ms, end_ms;
    int32_t confidence_q15;
  };
  bool collect();  // appends the current (final) utterance; false when a buffer is full
  char text_[kMaxChars + 1] = {};
  uint32_t frames_[kMaxChars] = {};
  Span words_[kMaxWords] = {}, utts_[kMaxUtterances] = {};
  int32_t utt_match_q15_[kMaxUtterances] = {};  // with a grammar: each utterance's match score,
  bool utt_no_match_[kMaxUtterances] = {};      // and whether it was rejected
  uint32_t n_chars_ = 0, n_words_ = 0, n_utts_ = 0, last_frames_ = 0;
  int64_t score_ = 0;
  uint32_t count_ = 0;
};

}  // namespace earshot::fw
