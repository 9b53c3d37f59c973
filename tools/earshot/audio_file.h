// A whole audio file in memory, for the commands that need all of it at once
// (features, plot, eval's scoring, bench); built on libearshot-audio's block
// reader (tools/audio, earshot_audio.h), which `earshot transcribe` uses directly.
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
