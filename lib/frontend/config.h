// Front-end parameters. They are stored in the model image (so nothing about a
// model lives in code); the defaults are what the shipped models use.
#pragma once
#include <cstdint>

#include "common/error.h"

namespace earshot {

struct FrontendConfig {
  uint32_t sample_rate_hz = 16000;
  uint16_t window_samples = 400;  // 25 ms periodic Hann window
  uint16_t hop_samples = 160;     // 10 ms between frames
  uint16_t fft_size = 512;        // power of two >= window_samples
  uint16_t num_mels = 40;         // HTK-style triangular mel bands
  uint16_t mel_low_hz = 20;
  uint16_t mel_high_hz = 7600;
  int16_t floor_db_q8 = -40 * 256;  // clamp (Q8 dB): below 16-bit dither, so it
                                    // only ever marks digital silence
};

// Limits the integer pipeline is proven for (see frontend/SPEC.md).
inline constexpr uint16_t kMaxFftSize = 4096;
inline constexpr uint16_t kMaxMels = 128;

// Checks every field; on failure fills `err` with the field and the allowed range.
earshot_status validate(const FrontendConfig& cfg, Error& err);

}  // namespace earshot
