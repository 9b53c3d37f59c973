// libFuzzer target: the WAV reader must reject or accept any bytes without
// reading outside them (ASan checks every access).
#include <cstdint>
#include <vector>

#include "audio/wav.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // An exact-size heap copy so ASan sees any overread past `size`.
  std::vector<uint8_t> buf(data, data + size);
  earshot::WavAudio audio;
  earshot::Error err;
  if (earshot::wav_parse(buf, audio, err) == EARSHOT_OK) {
    int64_t sum = 0;
    for (size_t i = 0; i < audio.num_samples; ++i) sum += audio.sample(i);
    if (audio.data + audio.num_samples * 2 > buf.data() + buf.size()) __builtin_trap();
    (void)sum;
  } else if (err.message[0] == '\0') {
    __builtin_trap();  // every rejection must say why
  }
  return 0;
}
