// Host-side audio loading: any file libsndfile reads (WAV, FLAC, OGG, AIFF, ...),
// down-mixed to mono and resampled to 16 kHz with libsoxr, as int16.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "common/error.h"

namespace earshot {

struct LoadedAudio {
  std::vector<int16_t> samples;  // 16 kHz mono
  int source_rate = 0;
  int source_channels = 0;
};

// path "-" reads from standard input. Fails with EARSHOT_ERR_IO / _BAD_AUDIO and a
// message naming the file.
earshot_status load_audio(const std::string& path, LoadedAudio& out, Error& err);

}  // namespace earshot
