// AudioSource over a WAV file on the semihosting host (QEMU's file system):
// read_host_file (app/host_file.h) copies the whole file into one static buffer
// (EARSHOT_FW_AUDIO_BYTES, build option), lib/audio/wav.h validates it (RIFF,
// 16-bit PCM, mono, 16 kHz) and read() hands out the samples from there.
// Test and demo plumbing: a board's microphone driver needs none of this.
#pragma once
#include <cstddef>
#include <cstdint>

#include "app/audio_source.h"
#include "audio/wav.h"
#include "common/error.h"

namespace earshot::fw {

class WavFileSource final : public AudioSource {
 public:
  // Reads and validates `path`. False with err set (message names the file's
  // defect: missing, too big for the buffer, not 16 kHz mono 16-bit PCM).
  // Only one WavFileSource can be open at a time: they share the buffer.
  bool open(const char* path, Error& err);

  uint32_t sample_rate_hz() const override { return 16000; }  // wav_parse accepts nothing else
  long read(int16_t* pcm, size_t max) override;
  const char* error() const override { return ""; }  // reading from RAM cannot fail

  size_t num_samples() const { return wav_.num_samples; }

 private:
  WavAudio wav_;
  size_t next_ = 0;
};

// Size of the file buffer (bytes), for the footprint report.
size_t wav_file_buffer_bytes();

}  // namespace earshot::fw
