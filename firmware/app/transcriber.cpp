#include "app/transcriber.h"

#include "app/console.h"
#include "app/stack_paint.h"
#include "boards/board.h"

namespace earshot::fw {
namespace {

constexpr size_t kMaxChunk = 480;  // 10 ms at up to 48 kHz

int fail_setup(const char* what) {
  JsonLine().str("error", what).str("detail", earshot_last_error()).end();
  return kExitError;
}

int fail_file(const char* file, const char* what) {
  JsonLine().str("file", file).str("error", what).str("detail", earshot_last_error()).end();
  return kExitCheckFailed;
}

}  // namespace

int Transcriber::open(const FlashModel& m, void* handle, size_t handle_bytes, void* arena, size_t arena_bytes) {
  if (earshot_model_open(m.image, m.bytes, handle, handle_bytes, &model_) != EARSHOT_OK)
    return fail_setup("the model in flash is not usable");
  if (earshot_model_get_info(model_, &info_) != EARSHOT_OK) return fail_setup("earshot_model_get_info failed");
  if (earshot_arena_size(model_, nullptr, &arena_needed_) != EARSHOT_OK) return fail_setup("earshot_arena_size failed");
  if (arena_needed_ > arena_bytes) {
    // Said at start-up, before any audio: the build's arena does not fit the model.
    JsonLine()
        .str("error", "arena too small for the model (build option EARSHOT_FW_ARENA_BYTES, or the arena=BYTES argument)")
        .num("arena_needed", static_cast<int64_t>(arena_needed_))
        .num("arena_bytes", static_cast<int64_t>(arena_bytes))
        .end();
    return kExitError;
  }
  if (earshot_recognizer_create(model_, nullptr, arena, arena_bytes, &rec_) != EARSHOT_OK)
    return fail_setup("earshot_recognizer_create failed");
  return kExitOk;
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
    if (earshot_push(rec_, chunk, static_cast<size_t>(n)) != EARSHOT_OK) return fail_file(file, "earshot_push failed");
    samples += static_cast<uint64_t>(n);
  }
  earshot_result r;
  if (earshot_finish(rec_) != EARSHOT_OK) return fail_file(file, "earshot_finish failed");
  if (earshot_get_result(rec_, &r) != EARSHOT_OK) return fail_file(file, "earshot_get_result failed");
  const uint64_t cycles = board_cycles() - start;

  JsonLine()
      .str("file", file)
      .str("text", r.text)
      .num("tokens", r.num_tokens)
      .num("encoder_frames", r.encoder_frames)
      .nums("token_times", r.token_frames, r.num_tokens, info_.encoder_frame_samples, info_.sample_rate_hz)
      .num("samples", static_cast<int64_t>(samples))
      .num("cycles", static_cast<int64_t>(cycles))
      .num("arena_bytes", static_cast<int64_t>(arena_needed_))
      .num("stack_bytes", static_cast<int64_t>(stack_peak_bytes()))
      .end();
  return kExitOk;
}

}  // namespace earshot::fw
