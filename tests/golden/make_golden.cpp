// Writes the golden inputs and features into the given folder:
//   earshot-golden tests/golden
// speech.pcm is taken from speech.wav (made by `espeak-ng`, see README there);
// the other signals come from tests/unit/signals.h.
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "audio/wav.h"
#include "frontend/frontend.h"
#include "golden_list.h"
#include "signals.h"

using namespace earshot;

static bool write_i16(const std::string& path, const std::vector<int16_t>& v) {
  std::ofstream f(path, std::ios::binary);
  for (int16_t s : v) {
    const char b[2] = {static_cast<char>(s & 0xFF), static_cast<char>((s >> 8) & 0xFF)};
    f.write(b, 2);
  }
  return f.good();
}

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: earshot-golden DIR\n");
    return 2;
  }
  const std::string dir = argv[1];
  std::ifstream wf(dir + "/speech.wav", std::ios::binary);
  std::vector<uint8_t> wav{std::istreambuf_iterator<char>(wf), {}};
  WavAudio audio;
  Error err;
  if (wav_parse(wav, audio, err) != EARSHOT_OK) {
    std::fprintf(stderr, "earshot-golden: %s/speech.wav: %s\n", dir.c_str(), err.message);
    return 1;
  }
  std::vector<int16_t> speech(audio.num_samples);
  audio.copy(0, speech);

  auto quiet = testsig::chirp(8000, 60, 7800, 40);
  const auto hiss = testsig::noise(quiet.size(), 3, 21);
  for (size_t i = 0; i < quiet.size(); ++i) quiet[i] = testsig::clip16(quiet[i] + hiss[i]);
  const std::vector<std::pair<const char*, std::vector<int16_t>>> sigs = {
      {"speech", speech},
      {"chirp", testsig::chirp(16000, 40, 7990, 12000)},
      {"square", testsig::square(8000, 333)},
      {"noise", testsig::clipped_noise(8000, 17)},
      {"quiet", quiet},
  };
  FrontendConfig cfg;
  std::vector<uint64_t> mem(Frontend::memory_size(cfg) / 8 + 1);
  Frontend fe;
  if (fe.init(cfg, mem.data(), mem.size() * 8, err) != EARSHOT_OK) return 1;
  for (auto& [name, pcm] : sigs) {
    std::vector<int16_t> feat(pcm.size() / cfg.hop_samples * cfg.num_mels + cfg.num_mels);
    fe.reset();
    feat.resize(frontend_run(fe, pcm, feat) * cfg.num_mels);
    if (!write_i16(dir + "/" + name + ".pcm", pcm) || !write_i16(dir + "/" + name + ".feat", feat)) return 1;
    std::printf("%-8s %7zu samples %4zu frames\n", name, pcm.size(), feat.size() / cfg.num_mels);
  }
  return 0;
}
