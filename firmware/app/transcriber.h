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
  // `handle`, and builds the recognizer at the start of `arena`. On failure
  // prints {"error":...} and returns kExitError: a bad model, or an arena
  // smaller than earshot_arena_size() says the model needs.
  int open(const FlashModel& model, void* handle, size_t handle_bytes, void* arena, size_t arena_bytes);

  // One file: reads `src` to its end in 10 ms chunks through the recognizer,
  // utterance after utterance (earshot_push_some), and prints
  //   {"file","text","confidence","words","utterances","tokens",
  //    "encoder_frames","token_times","samples","cycles","arena_bytes","stack_bytes"}
  // (the host's `earshot transcribe --json` fields, less rtf, plus the
  // device's). `cycles`: board_cycles() from the first push to the final
  // result. On failure prints {"file","error"} and returns kExitCheckFailed.
  int run(AudioSource& src, const char* file);

  size_t arena_needed() const { return arena_needed_; }

 private:
  earshot_model* model_ = nullptr;
  earshot_recognizer* rec_ = nullptr;
  earshot_model_info info_ = {};
  size_t arena_needed_ = 0;
  bool used_ = false;

  // The file's transcript, joined over its utterances (static: no heap).
  static constexpr uint32_t kMaxChars = 512, kMaxWords = 128, kMaxUtterances = 16;
  struct Span {
    uint32_t first, len, start_ms, end_ms;
    int32_t confidence_q15;
  };
  bool collect();  // appends the current (final) utterance; false when a buffer is full
  char text_[kMaxChars + 1] = {};
  uint32_t frames_[kMaxChars] = {};
  Span words_[kMaxWords] = {}, utts_[kMaxUtterances] = {};
  uint32_t n_chars_ = 0, n_words_ = 0, n_utts_ = 0, last_frames_ = 0;
  int64_t score_ = 0;
  uint32_t count_ = 0;
};

}  // namespace earshot::fw
