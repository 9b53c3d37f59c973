// Front-end benchmark (not a test): cost per 10 ms frame of the integer
// front-end against the double reference and a float KissFFT pipeline, in one
// run, plus callgrind instructions per frame when valgrind is installed.
//   bench-frontend [--json] [--no-callgrind]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "callgrind.h"
#include "float_pipeline.h"
#include "frontend/frontend.h"
#include "frontend/reference.h"
#include "signals.h"

using namespace earshot;
using Clock = std::chrono::steady_clock;

namespace {

std::vector<int16_t> test_signal() {  // 10 s: chirp + noise, speech-like level changes
  auto x = testsig::chirp(160000, 80, 7500, 6000);
  const auto n = testsig::noise(x.size(), 400, 3);
  for (size_t i = 0; i < x.size(); ++i) x[i] = testsig::clip16(x[i] * (1 + (i / 8000) % 4) / 4 + n[i]);
  return x;
}

template <typename F>
double ns_per_frame(size_t frames, F&& fn) {  // best of 5 passes: least disturbed by neighbours
  double best = 1e30;
  for (int rep = 0; rep < 5; ++rep) {
    const auto t0 = Clock::now();
    for (size_t f = 0; f < frames; ++f) fn(f);
    const double ns = std::chrono::duration<double, std::nano>(Clock::now() - t0).count() / frames;
    best = std::min(best, ns);
  }
  return best;
}

// Instructions of `self --count N` minus `self --count 0`, over N.
double callgrind_per_frame(const char* self) {
  if (std::system("valgrind --version >/dev/null 2>&1") != 0) return -1;
  auto run = [&](int frames) { return bench::callgrind_instructions(std::string(self) + " --count " + std::to_string(frames)); };
  const double a = run(0), b = run(1000);
  return a < 0 || b < 0 ? -1 : (b - a) / 1000.0;
}

}  // namespace

int main(int argc, char** argv) {
  bool json = false, callgrind = true;
  int count = -1;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--json")) json = true;
    else if (!std::strcmp(argv[i], "--no-callgrind")) callgrind = false;
    else if (!std::strcmp(argv[i], "--count") && i + 1 < argc) count = std::atoi(argv[++i]);
    else {
      std::fprintf(stderr, "usage: bench-frontend [--json] [--no-callgrind]\n");
      return 2;
    }
  }
  const FrontendConfig cfg;
  std::vector<uint64_t> mem(Frontend::memory_size(cfg) / 8 + 1);
  Frontend fe;
  Error err;
  if (fe.init(cfg, mem.data(), mem.size() * 8, err) != EARSHOT_OK) {
    std::fprintf(stderr, "bench-frontend: %s\n", err.message);
    return 1;
  }
  const auto x = test_signal();
  const size_t frames = (x.size() - cfg.window_samples) / cfg.hop_samples + 1;
  std::vector<int16_t> qf(cfg.num_mels);
  volatile int16_t sink = 0;

  if (count >= 0) {  // child mode for callgrind: only the integer front-end
    for (int f = 0; f < count; ++f) {
      fe.compute(x.data() + (f % frames) * cfg.hop_samples, qf.data());
      sink = sink + qf[0];
    }
    std::puts("child-ran");
    return 0;
  }

  ReferenceFrontend ref(cfg);
  FloatPipeline flt(cfg);
  std::vector<double> rf(cfg.num_mels);
  std::vector<float> ff(cfg.num_mels);
  const double ns_int = ns_per_frame(frames, [&](size_t f) {
    fe.compute(x.data() + f * cfg.hop_samples, qf.data());
    sink = sink + qf[0];
  });
  const double ns_flt = ns_per_frame(frames, [&](size_t f) {
    flt.compute(x.data() + f * cfg.hop_samples, ff.data());
    sink = sink + static_cast<int16_t>(ff[0]);
  });
  const size_t ref_frames = frames / 10;  // the reference is an O(N^2) DFT
  const double ns_ref = ns_per_frame(ref_frames, [&](size_t f) {
    ref.compute(x.data() + f * cfg.hop_samples, rf.data());
    sink = sink + static_cast<int16_t>(rf[0]);
  });
  const double instr = callgrind ? callgrind_per_frame(argv[0]) : -1;

  if (json) {
    std::printf("{\"frontend\": {\"ns_per_frame\": %.1f, \"ns_float_kissfft\": %.1f, \"ns_double_reference\": %.1f, "
                "\"ratio_vs_float_kissfft\": %.3f, \"ratio_vs_reference\": %.4f, \"instructions_per_frame\": %.0f, "
                "\"rtf\": %.6f}}\n",
                ns_int, ns_flt, ns_ref, ns_int / ns_flt, ns_int / ns_ref, instr, ns_int / 1e7);
  } else {
    std::printf("front-end, one 10 ms frame (25 ms window, 512-point FFT, 40 mels), %zu frames, best of 5\n", frames);
    std::printf("  %-28s %10.0f ns   1.00x\n", "integer (ours)", ns_int);
    std::printf("  %-28s %10.0f ns   %.2fx of ours\n", "float KissFFT pipeline", ns_flt, ns_flt / ns_int);
    std::printf("  %-28s %10.0f ns   %.1fx of ours\n", "double reference (DFT)", ns_ref, ns_ref / ns_int);
    if (instr >= 0) std::printf("  callgrind: %.0f instructions per frame (integer)\n", instr);
    else std::printf("  callgrind: %s\n", callgrind ? "valgrind not available" : "skipped (--no-callgrind)");
    std::printf("  real-time factor of the front-end alone: %.5f\n", ns_int / 1e7);
  }
  return 0;
}
