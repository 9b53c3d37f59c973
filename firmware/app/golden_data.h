// The golden vectors embedded in the image by golden_data.S.
#pragma once
#include <cstdint>

namespace earshot::fw {

struct GoldenBlob {
  const char* name;      // tests/golden/<name>.pcm / .feat
  const int16_t* pcm;    // s16le 16 kHz mono samples, 8-byte aligned
  uint32_t pcm_bytes;
  const int16_t* feat;   // s16le features, frames x 40, Q8 dB, 8-byte aligned
  uint32_t feat_bytes;
};

}  // namespace earshot::fw

extern "C" const earshot::fw::GoldenBlob earshot_golden_blobs[];
extern "C" const uint32_t earshot_golden_count;
