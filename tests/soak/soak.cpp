// Soak test: minutes of continuous audio through ONE recognizer, through the
// public C API, checking what only a long run shows:
//
//   - memory: the arena size never changes and the bytes around the arena are
//     never written; the process's anonymous RSS (/proc/self/statm resident -
//     shared) and the heap in use (mallinfo2) are the same at every minute
//     after the first (warm-up) as at minute 1;
//   - no drift: every loop's utterance (the same audio each time) gives the
//     text it gave in the loop that started at minute 1 (and minute N's is
//     printed beside it);
//   - no missed or invented boundaries: exactly one final utterance per loop,
//     starting inside that loop's speech, and nothing final on the silence or
//     the noise between.
//
// One loop = the speech utterance, 1.5 s of silence (past the 900 ms endpoint),
// 2 s of white noise (about -40 dBFS, a new seed every loop), 1 s of silence.
// It is pushed in chunks of varying size.
//
//   earshot-soak [--model M.esm | --model-if-present M.esm] --speech S.wav [--minutes N] [--beam B]
//                [--mode continuous|reset] [--same-noise 0|1] [--chunk N] [--noise-peak N] [--verbose 0|1]
//
// Modes: `continuous` (default where earshot.h has it) drives
// earshot_push_some / earshot_next_utterance: one stream for the whole run,
// the encoder's state carried across utterances. `reset` is the fallback for a
// library without the continuous API: each loop is pushed, finished and reset.
// It cannot see a missed boundary (the loop is the boundary), only memory and
// drift. The model defaults to models/en-small.esm if present, else a tiny
// random-weight image (tests/model/random_image.h).
//
// Exit 0 if every check holds, 1 if one failed, 2 on bad arguments or files.
// The last line is a JSON summary.
#include <fcntl.h>
#include <malloc.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "earshot/audio_file.h"
#include "earshot/earshot.h"
#include "random_image.h"

// The continuous-stream API arrived with C API 0.2 (earshot_push_some,
// earshot_next_utterance). With an older header only `reset` mode builds.
#if EARSHOT_VERSION_MAJOR > 0 || EARSHOT_VERSION_MINOR >= 2
#define SOAK_HAS_CONTINUOUS 1
#else
#define SOAK_HAS_CONTINUOUS 0
#endif

#if defined(__SANITIZE_ADDRESS__)
#define SOAK_ASAN 1
// libasan's (sanitizer/allocator_interface.h, which GCC does not install).
extern "C" size_t __sanitizer_get_current_allocated_bytes();
#else
#define SOAK_ASAN 0
#endif

namespace {

struct Options {
  std::string model, speech;
  double minutes = 3;
  uint32_t beam = 0;
  bool continuous = SOAK_HAS_CONTINUOUS;
  bool same_noise = false;  // the same noise in every loop: the whole input is periodic
  bool verbose = false;     // print every utterance
  size_t chunk = 0;         // push this many samples at a time (0: a cycle of 1 to 4000)
  int32_t noise_peak = 300; // white noise in [-peak, peak] (300: about -40 dBFS)
};

struct Memory {
  long anon_pages = 0;   // resident - shared (/proc/self/statm)
  size_t heap_used = 0;  // mallinfo2().uordblks
};

// Measuring must not allocate (fopen would, and under ASan every freed block
// sits in quarantine, so the measurement itself would grow RSS): plain
// read() into a stack buffer.
Memory memory_now() {
  Memory m;
  char buf[256];
  const int fd = ::open("/proc/self/statm", O_RDONLY);
  if (fd >= 0) {
    const ssize_t n = ::read(fd, buf, sizeof buf - 1);
    ::close(fd);
    if (n > 0) {
      buf[n] = '\0';
      char* p = buf;
      std::strtol(p, &p, 10);  // size
      const long resident = std::strtol(p, &p, 10), shared = std::strtol(p, &p, 10);
      m.anon_pages = resident - shared;
    }
  }
#if SOAK_ASAN
  m.heap_used = __sanitizer_get_current_allocated_bytes();  // ASan's allocator has no mallinfo
#else
  m.heap_used = mallinfo2().uordblks;
#endif
  return m;
}

uint32_t lcg(uint32_t& s) {
  s = s * 1664525u + 1013904223u;
  return s >> 8;
}

// A 16-byte aligned copy (the image is read in place and must be aligned).
struct Aligned {
  std::vector<uint64_t> words;
  size_t bytes = 0;
  explicit Aligned(const std::vector<uint8_t>& b) : words(b.size() / 8 + 2), bytes(b.size()) {
    unsigned char* p = reinterpret_cast<unsigned char*>(words.data());
    p += (16 - reinterpret_cast<uintptr_t>(p) % 16) % 16;
    std::memcpy(p, b.data(), b.size());
    data = p;
  }
  const unsigned char* data = nullptr;
};

bool read_file(const std::string& path, std::vector<uint8_t>& out) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return false;
  out.assign(std::istreambuf_iterator<char>(f), {});
  return true;
}

int usage(const char* msg) {
  std::fprintf(stderr,
               "earshot-soak: %s\nusage: earshot-soak [--model M.esm | --model-if-present M.esm] --speech S.wav "
               "[--minutes N] [--beam B] [--mode continuous|reset] [--same-noise 0|1] [--chunk N] [--noise-peak N] "
               "[--verbose 0|1]\n",
               msg);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) return usage(("missing value after " + a).c_str());
    const char* v = argv[++i];
    if (a == "--model") o.model = v;
    else if (a == "--model-if-present") {  // ctest: the shipped model where it exists, else random
      if (std::FILE* f = std::fopen(v, "rb")) {
        std::fclose(f);
        o.model = v;
      }
    }
    else if (a == "--speech") o.speech = v;
    else if (a == "--minutes") o.minutes = std::atof(v);
    else if (a == "--same-noise") o.same_noise = std::atoi(v) != 0;
    else if (a == "--verbose") o.verbose = std::atoi(v) != 0;
    else if (a == "--chunk") o.chunk = static_cast<size_t>(std::atol(v));
    else if (a == "--noise-peak") o.noise_peak = std::atoi(v);
    else if (a == "--beam") o.beam = static_cast<uint32_t>(std::atoi(v));
    else if (a == "--mode" && std::string(v) == "reset") o.continuous = false;
    else if (a == "--mode" && std::string(v) == "continuous") {
      if (!SOAK_HAS_CONTINUOUS) return usage("this earshot.h has no earshot_push_some (continuous mode)");
      o.continuous = true;
    } else return usage(("unknown argument " + a).c_str());
  }
  if (o.speech.empty()) return usage("--speech is required");
  if (!(o.minutes > 0)) return usage("--minutes must be positive");

  // ---- model
  std::vector<uint8_t> image_bytes;
  std::string model_name = o.model;
  if (!o.model.empty()) {
    if (!read_file(o.model, image_bytes)) return usage(("cannot read " + o.model).c_str());
  } else {
    // Random weights invent text on noise and have no real end of utterance,
    // so boundaries cannot be judged on a stream: each loop is its own
    // utterance (reset mode) with the same noise, which leaves the memory
    // checks and an exact drift check (identical input, identical text).
    image_bytes = earshot::test::random_model_image(earshot::test::RandomModelSpec::tiny());
    model_name = "random tiny (no trained model: reset mode, same noise every loop)";
    o.continuous = false;
    o.same_noise = true;
  }
  const Aligned image(image_bytes);
  std::vector<unsigned char> handle(earshot_model_handle_size());
  earshot_model* model = nullptr;
  if (earshot_model_open(image.data, image.bytes, handle.data(), handle.size(), &model) != EARSHOT_OK)
    return usage((std::string("model: ") + earshot_last_error()).c_str());
  earshot_model_info info;
  earshot_model_get_info(model, &info);

  // ---- audio: one loop, built once
  earshot::LoadedAudio speech;
  earshot::Error lerr;
  if (earshot::load_audio(o.speech, speech, lerr) != EARSHOT_OK) return usage(lerr.message);
  const size_t rate = info.sample_rate_hz;
  const size_t speech_n = speech.samples.size(), gap1 = rate * 3 / 2, noise_n = 2 * rate;
  // A whole number of encoder frames per loop, so every loop meets the same
  // frame phase: with a fractional one the stacking (3 front-end frames per
  // encoder frame) sees the speech shifted by 10 or 20 ms from loop to loop.
  const size_t efs = info.encoder_frame_samples ? info.encoder_frame_samples : 1;
  size_t gap2 = rate;
  gap2 += (efs - (speech_n + gap1 + noise_n + gap2) % efs) % efs;
  const size_t loop_n = speech_n + gap1 + noise_n + gap2;
  const size_t loops = static_cast<size_t>(o.minutes * 60 * static_cast<double>(rate) / static_cast<double>(loop_n)) + 1;
  const size_t loops_per_minute = 60 * rate / loop_n;
  std::vector<int16_t> loop(loop_n, 0);
  std::copy(speech.samples.begin(), speech.samples.end(), loop.begin());
  const size_t noise_at = speech_n + gap1;

  // ---- recognizer between guard bytes
  earshot_recognizer_config cfg{};
  cfg.beam = o.beam;
  size_t arena_n = 0;
  if (earshot_arena_size(model, &cfg, &arena_n) != EARSHOT_OK) return usage(earshot_last_error());
  constexpr size_t kGuard = 4096;
  constexpr unsigned char kGuardByte = 0x5A;
  std::vector<unsigned char> arena(arena_n + 2 * kGuard, kGuardByte);
  earshot_recognizer* rec = nullptr;
  if (earshot_recognizer_create(model, &cfg, arena.data() + kGuard, arena_n, &rec) != EARSHOT_OK)
    return usage(earshot_last_error());

  std::printf("soak: model %s, speech %s (%.2f s), %zu loops of %.2f s = %.1f min of audio, mode %s, beam %u, arena %zu bytes\n",
              model_name.c_str(), o.speech.c_str(), double(speech_n) / rate, loops, double(loop_n) / rate,
              double(loops * loop_n) / rate / 60, o.continuous ? "continuous" : "reset", o.beam, arena_n);

  // ---- state (sized now: the loop itself allocates nothing)
  int failures = 0;
  auto fail = [&](const char* what, size_t at_loop) {
    if (++failures <= 20) std::printf("FAIL loop %zu: %s\n", at_loop, what);
  };
  constexpr size_t kTextCap = 8192;
  char ref_text[kTextCap] = "", first_text[kTextCap] = "", last_text[kTextCap] = "";
  size_t ref_loop = loops_per_minute < loops ? loops_per_minute : 0;  // the loop starting at minute 1
  size_t found = 0, spurious = 0, differing = 0, empty_finals = 0;
  std::vector<int> per_loop(loops, 0);
  Memory warm{}, worst{};
  long rss_grew_pages = 0;
  size_t heap_grew = 0;
  const size_t chunks[] = {160, 1024, 37, 4000, 512, 1, 2048};
  size_t chunk_k = 0;
  uint32_t noise_seed = 1;

  // One final utterance: check where it starts and what it says.
  auto on_final = [&](size_t current_loop) {
    earshot_result r;
    if (earshot_get_result(rec, &r) != EARSHOT_OK || !r.is_final) {
      fail("no final result after the utterance ended", current_loop);
      return;
    }
    if (r.num_tokens == 0) {  // an end with nothing decoded: an onset on noise that came to nothing
      ++empty_finals;
      return;
    }
    // The utterance's loop and place in it, from its first character's frame
    // (frames count from the start of the stream in continuous mode, from
    // the start of the loop after a reset).
    const uint64_t at = static_cast<uint64_t>(r.token_frames[0]) * info.encoder_frame_samples +
                        (o.continuous ? 0 : current_loop * loop_n);
    const size_t l = static_cast<size_t>(at / loop_n), in_loop = static_cast<size_t>(at % loop_n);
    if (l >= loops || in_loop >= speech_n + rate / 4) {  // not in a speech block (+ 250 ms of attention spread)
      ++spurious;
      if (spurious <= 10) std::printf("spurious utterance at %.2f s: \"%s\"\n", double(at) / rate, r.text);
      return;
    }
    ++found;
    if (o.verbose) std::printf("loop %zu at %.2f s: \"%s\"\n", l, double(at) / rate, r.text);
    if (++per_loop[l] > 1) fail("a second utterance in one speech block (a boundary inside the utterance)", l);
    if (l == 0) std::snprintf(first_text, kTextCap, "%s", r.text);
    if (l == ref_loop) std::snprintf(ref_text, kTextCap, "%s", r.text);
    std::snprintf(last_text, kTextCap, "%s", r.text);
    if (l > ref_loop && std::strcmp(r.text, ref_text) != 0) {
      ++differing;
      if (differing <= 5) std::printf("drift: loop %zu says \"%s\", minute 1 said \"%s\"\n", l, r.text, ref_text);
    }
  };

  for (size_t li = 0; li < loops; ++li) {
    if (o.same_noise) noise_seed = 1;
    for (size_t i = 0; i < noise_n; ++i)  // a new noise every loop
      loop[noise_at + i] = static_cast<int16_t>(
          static_cast<int32_t>(lcg(noise_seed) % static_cast<uint32_t>(2 * o.noise_peak + 1)) - o.noise_peak);
    const int16_t* p = loop.data();
    size_t left = loop_n;
    while (left) {
      size_t n = o.chunk ? o.chunk : chunks[chunk_k++ % (sizeof chunks / sizeof chunks[0])];
      if (n > left) n = left;
#if SOAK_HAS_CONTINUOUS
      if (o.continuous) {
        size_t took = 0;
        if (earshot_push_some(rec, p, n, &took) != EARSHOT_OK) {
          std::printf("push_some failed: %s\n", earshot_last_error());
          return 1;
        }
        earshot_result r;
        earshot_get_result(rec, &r);
        if (r.is_final) {
          on_final(li);
          if (earshot_next_utterance(rec) != EARSHOT_OK) {
            std::printf("next_utterance failed: %s\n", earshot_last_error());
            return 1;
          }
        } else if (took != n) {
          fail("push_some stopped early without a final result", li);
        }
        p += took;
        left -= took;
        continue;
      }
#endif
      if (earshot_push(rec, p, n) != EARSHOT_OK) {
        std::printf("push failed: %s\n", earshot_last_error());
        return 1;
      }
      p += n;
      left -= n;
    }
    if (!o.continuous) {
      if (earshot_finish(rec) != EARSHOT_OK) {
        std::printf("finish failed: %s\n", earshot_last_error());
        return 1;
      }
      on_final(li);
      earshot_reset(rec);
    }
    // ---- once a minute of audio: memory
    if ((li + 1) % (loops_per_minute ? loops_per_minute : 1) == 0 || li + 1 == loops) {
      size_t again = 0;
      if (earshot_arena_size(model, &cfg, &again) != EARSHOT_OK || again != arena_n) fail("arena size changed", li);
      for (size_t g = 0; g < kGuard; ++g)
        if (arena[g] != kGuardByte || arena[kGuard + arena_n + g] != kGuardByte) {
          fail("bytes next to the arena were written", li);
          break;
        }
      const Memory m = memory_now();
      if (li + 1 == loops_per_minute || (loops_per_minute == 0 && li == 0)) {
        warm = worst = m;
      } else if (li + 1 > loops_per_minute) {
        if (m.anon_pages > worst.anon_pages) worst.anon_pages = m.anon_pages;
        if (m.heap_used > worst.heap_used) worst.heap_used = m.heap_used;
      }
      std::printf("minute %.1f: %zu utterances, anon RSS %ld KiB, heap in use %zu bytes\n",
                  double((li + 1) * loop_n) / rate / 60, found, m.anon_pages * 4, m.heap_used);
      std::fflush(stdout);
    }
  }
  // Anything left at the end is one more final.
#if SOAK_HAS_CONTINUOUS
  if (o.continuous) {
    if (earshot_finish(rec) != EARSHOT_OK) return std::printf("finish failed: %s\n", earshot_last_error()), 1;
    earshot_result r;
    earshot_get_result(rec, &r);
    if (r.num_tokens) on_final(loops - 1);
  }
#endif

  rss_grew_pages = worst.anon_pages - warm.anon_pages;
  heap_grew = worst.heap_used - warm.heap_used;
  // Exact in plain builds. Under ASan a stack page first touched after
  // minute 1 (its frames are padded with redzones) also maps shadow memory,
  // so up to 4 pages are let through there; the heap check stays exact.
  const long rss_slack_pages = SOAK_ASAN ? 4 : 0;
  if (rss_grew_pages > rss_slack_pages) fail("anonymous RSS grew after warm-up", loops - 1);
  if (heap_grew > 0) fail("heap in use grew after warm-up", loops - 1);
  size_t missed = 0;
  for (size_t l = 0; l < loops; ++l) missed += per_loop[l] == 0;
  if (missed) {
    fail("speech blocks without an utterance (missed)", loops - 1);
    for (size_t l = 0, shown = 0; l < loops && shown < 5; ++l)
      if (!per_loop[l]) std::printf("  missed loop %zu\n", l), ++shown;
  }
  if (spurious) fail("utterances outside the speech (invented on silence or noise)", loops - 1);
  if (differing) fail("the same audio gave other text after minute 1 (drift)", loops - 1);
  if (ref_text[0] == '\0') fail("nothing recognized in the reference loop", ref_loop);

  std::printf("first loop: \"%s\"\nminute 1:   \"%s\"\nlast loop:  \"%s\"\n", first_text, ref_text, last_text);
  std::printf(
      "{\"audio_minutes\": %.2f, \"loops\": %zu, \"pushed\": %zu, \"found\": %zu, \"missed\": %zu, \"spurious\": %zu, "
      "\"empty_finals\": %zu, \"drift\": %zu, \"arena_bytes\": %zu, \"anon_rss_kib\": %ld, \"rss_growth_kib\": %ld, "
      "\"heap_bytes\": %zu, \"heap_growth\": %zu, \"mode\": \"%s\", \"result\": \"%s\"}\n",
      double(loops * loop_n) / rate / 60, loops, loops, found, missed, spurious, empty_finals, differing, arena_n,
      warm.anon_pages * 4, rss_grew_pages * 4, warm.heap_used, heap_grew, o.continuous ? "continuous" : "reset",
      failures ? "fail" : "pass");
  return failures ? 1 : 0;
}
