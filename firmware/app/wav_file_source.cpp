#include "app/wav_file_source.h"

#include <span>

#include "app/host_file.h"

#ifndef EARSHOT_FW_AUDIO_BYTES
#error "EARSHOT_FW_AUDIO_BYTES (bytes of the WAV file buffer) is set by firmware/CMakeLists.txt"
#endif

namespace earshot::fw {
namespace {

// In its own NOLOAD section (the boards' link.ld): not cleared at start-up,
// and listed apart from .bss in the size report, because a board with a
// microphone does not have it.
[[gnu::section(".audio_file")]] alignas(8) uint8_t g_file[EARSHOT_FW_AUDIO_BYTES];

}  // namespace

size_t wav_file_buffer_bytes() { return sizeof g_file; }

bool WavFileSource::open(const char* path, Error& err) {
  wav_ = {};
  next_ = 0;
  size_t len = 0;
  if (!read_host_file(path, g_file, sizeof g_file, "EARSHOT_FW_AUDIO_BYTES", &len, err)) return false;
  return wav_parse(std::span<const uint8_t>(g_file, len), wav_, err) == EARSHOT_OK;
}

long WavFileSource::read(int16_t* pcm, size_t max) {
  const size_t n = wav_.num_samples - next_ < max ? wav_.num_samples - next_ : max;
  wav_.copy(next_, std::span<int16_t>(pcm, n));
  next_ += n;
  return static_cast<long>(n);
}

}  // namespace earshot::fw
