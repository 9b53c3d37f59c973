// earshot features: run the integer front-end on audio files and print feature
// statistics, or write the features (.npy int16 frames x mels, or raw s16le).
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "commands.h"
#include "earshot/audio_file.h"
#include "frontend/frontend.h"

namespace earshot::cli {
namespace {

struct Options {
  std::vector<std::string> files;
  std::string output;
  std::string format = "npy";
};

bool write_npy(const std::string& path, const std::vector<int16_t>& v, size_t cols) {
  std::ofstream f(path, std::ios::binary);
  std::string hdr = "{'descr': '<i2', 'fortran_order': False, 'shape': (" + std::to_string(v.size() / cols) + ", " +
                    std::to_string(cols) + "), }";
  hdr.append(64 - (10 + hdr.size() + 1) % 64, ' ');
  hdr.push_back('\n');
  const uint16_t hlen = static_cast<uint16_t>(hdr.size());
  f.write("\x93NUMPY\x01\x00", 8);
  f.put(static_cast<char>(hlen & 0xFF)).put(static_cast<char>(hlen >> 8));
  f << hdr;
  for (int16_t s : v) f.put(static_cast<char>(s & 0xFF)).put(static_cast<char>((s >> 8) & 0xFF));
  return f.good();
}

int run(const Options& o) {
  const FrontendConfig cfg;
  std::vector<uint64_t> mem(Frontend::memory_size(cfg) / 8 + 1);
  Frontend fe;
  Error err;
  if (fe.init(cfg, mem.data(), mem.size() * 8, err) != EARSHOT_OK) {
    std::fprintf(stderr, "earshot features: %s\n", err.message);
    return kExitFailure;
  }
  const bool to_dir = !o.output.empty() && (o.files.size() > 1 || std::filesystem::is_directory(o.output));
  int status = kExitOk;
  for (const auto& path : o.files) {
    LoadedAudio audio;
    if (load_audio(path, audio, err) != EARSHOT_OK) {
      std::fprintf(stderr, "earshot features: %s\n", err.message);
      status = kExitFailure;
      continue;
    }
    std::vector<int16_t> feats(audio.samples.size() / cfg.hop_samples * cfg.num_mels + cfg.num_mels);
    fe.reset();
    feats.resize(frontend_run(fe, audio.samples, feats) * cfg.num_mels);
    const size_t frames = feats.size() / cfg.num_mels;
    if (o.output.empty()) {
      std::printf("%s: %.2f s (%d Hz, %d ch), %zu frames x %u mels", path.c_str(), audio.samples.size() / 16000.0,
                  audio.source_rate, audio.source_channels, frames, cfg.num_mels);
      if (frames) {
        const auto [lo, hi] = std::minmax_element(feats.begin(), feats.end());
        double mean = 0;
        for (auto v : feats) mean += v;
        mean /= static_cast<double>(feats.size());
        std::printf(", log-mel dB min %.1f mean %.1f max %.1f\n", *lo / 256.0, mean / 256.0, *hi / 256.0);
        // A coarse picture: loudest of each 5-band group (low to high frequency), one row per 100 ms.
        static const char* shades = " .:-=+*#%@";
        for (size_t f = 0; f < frames; f += 10) {
          std::printf("  %5.1fs |", f / 100.0);
          for (uint32_t g = 0; g < cfg.num_mels; g += 5) {
            int v = 0;
            for (uint32_t m = g; m < g + 5; ++m) v = std::max<int>(v, feats[f * cfg.num_mels + m]);
            const int idx = std::clamp((v / 256 + 40) / 11, 0, 9);  // -40..70 dB
            std::printf("%c%c", shades[idx], shades[idx]);
          }
          std::printf("|\n");
        }
      } else {
        std::printf(" (shorter than one 25 ms window)\n");
      }
      continue;
    }
    std::string out = o.output;
    if (to_dir) out = (std::filesystem::path(o.output) / std::filesystem::path(path).stem()).string() + "." + o.format;
    bool ok;
    if (o.format == "npy") {
      ok = write_npy(out, feats, cfg.num_mels);
    } else {
      std::ofstream f(out, std::ios::binary);
      for (int16_t s : feats) f.put(static_cast<char>(s & 0xFF)).put(static_cast<char>((s >> 8) & 0xFF));
      ok = f.good();
    }
    if (!ok) {
      std::fprintf(stderr, "earshot features: cannot write %s\n", out.c_str());
      status = kExitFailure;
    }
  }
  return status;
}

}  // namespace

Runner add_features(CLI::App& app) {
  auto o = std::make_shared<Options>();
  auto* sub = app.add_subcommand("features", "Run the integer front-end: print log-mel statistics or write features");
  sub->add_option("files", o->files, "Audio files (any format libsndfile reads; '-' for stdin)")->required();
  sub->add_option("-o,--output", o->output, "Write features here (a file, or a folder for several inputs)");
  sub->add_option("--format", o->format, "Output format: npy (int16, frames x mels) or raw (s16le)")
      ->check(CLI::IsMember({"npy", "raw"}));
  sub->footer("Features are Q8 dB (value / 256 = dB) of 40 mel bands every 10 ms; see lib/frontend/SPEC.md.");
  return [o] { return run(*o); };
}

}  // namespace earshot::cli
