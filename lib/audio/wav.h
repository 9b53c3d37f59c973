// RIFF/WAVE reader for the library and firmware: 16-bit PCM, mono, 16 kHz only
// (the host tool converts anything else before it gets here). Works on a byte
// buffer in place, never reads outside it, allocates nothing.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>

#include "common/error.h"

namespace earshot {

struct WavAudio {
  const uint8_t* data = nullptr;  // little-endian int16 samples, maybe unaligned
  size_t num_samples = 0;

  int16_t sample(size_t i) const {
    return static_cast<int16_t>(static_cast<uint16_t>(data[2 * i] | (data[2 * i + 1] << 8)));
  }
  // Copies samples [first, first + out.size()) into out (which must fit).
  void copy(size_t first, std::span<int16_t> out) const;
};

// Parses `bytes`; on failure says what was found and what is needed.
earshot_status wav_parse(std::span<const uint8_t> bytes, WavAudio& out, Error& err);

}  // namespace earshot
