#include "app/wav_file_source.h"

#include <span>

#include "arch/armv7a/semihosting.h"

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
  const int fd = semihosting::open_read(path);
  if (fd < 0) {
    err.set(EARSHOT_ERR_IO,
            semihosting::host_absent() ? "cannot open: no semihosting host (files need QEMU or a debugger)"
                                       : "cannot open (no such file on the semihosting host?)");
    return false;
  }
  const long len = semihosting::file_length(fd);
  if (len < 0) {
    semihosting::close(fd);
    err.set(EARSHOT_ERR_IO, "cannot get the file's length (SYS_FLEN)");
    return false;
  }
  if (static_cast<unsigned long>(len) > sizeof g_file) {
    semihosting::close(fd);
    err.set(EARSHOT_ERR_BAD_AUDIO, "file is %ld bytes, the firmware's audio buffer holds %lu (build option EARSHOT_FW_AUDIO_BYTES)",
            len, static_cast<unsigned long>(sizeof g_file));
    return false;
  }
  const long got = semihosting::read(fd, g_file, static_cast<size_t>(len));
  semihosting::close(fd);
  if (got != len) {
    err.set(EARSHOT_ERR_IO, "read %ld of %ld bytes (SYS_READ)", got, len);
    return false;
  }
  return wav_parse(std::span<const uint8_t>(g_file, static_cast<size_t>(len)), wav_, err) == EARSHOT_OK;
}

long WavFileSource::read(int16_t* pcm, size_t max) {
  const size_t n = wav_.num_samples - next_ < max ? wav_.num_samples - next_ : max;
  wav_.copy(next_, std::span<int16_t>(pcm, n));
  next_ += n;
  return static_cast<long>(n);
}

}  // namespace earshot::fw
