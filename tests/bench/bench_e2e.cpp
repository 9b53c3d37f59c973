// End-to-end benchmark of the recognizer (not a test): PCM in, front-end,
// encoder and decoder, on the ~1.2 M-parameter random model (3 x 192 encoder,
// 192 decoder, E = 32; tests/model/random_image.h) per ISA level. Reports the
// real-time factor (processing time / audio time, one core), the arena bytes
// and their breakdown, and callgrind instructions per second of audio.
//   bench-e2e [--json] [--seconds S] [--no-callgrind]
// The decoder never emits <eos> here (eos_bias -40), so it follows the audio
// at its predicted rate (~2.5 encoder frames, 75 ms, per character) for the
// whole run: the load of continuous speech, not of a decoder that stopped.
// Only push() is timed: the steps finish() runs after the end of the input
// are the end of an utterance, not streaming cost.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "frontend/frontend.h"
#include "harness.h"
#include "callgrind.h"
#include "kernels/isa.h"
#include "model/encoder.h"
#include "decoder/greedy_decoder.h"
#include "model/recognizer.h"
#include "signals.h"

using namespace earshot;
using namespace earshot::test;
using Clock = std::chrono::steady_clock;

namespace {

RandomModelSpec bench_spec() {
  RandomModelSpec s = RandomModelSpec::target();
  s.eos_bias = -40;
  s.max_chars = 4096;
  return s;
}

// Speech, noise and a chirp, tiled to `seconds`.
std::vector<int16_t> audio(double seconds) {
  std::vector<int16_t> piece = golden_pcm("speech");
  const auto n = testsig::noise(8000, 400, 11);
  piece.insert(piece.end(), n.begin(), n.end());
  const auto c = testsig::chirp(8000, 300, 3000, 5000);
  piece.insert(piece.end(), c.begin(), c.end());
  std::vector<int16_t> a;
  const size_t want = static_cast<size_t>(seconds * 16000);
  while (a.size() < want) a.insert(a.end(), piece.begin(), piece.end());
  a.resize(want);
  return a;
}

struct Measure {
  double push_s = 0;       // best wall time of push() over the audio
  uint64_t steps = 0;      // decoder steps during push()
  uint64_t frames = 0;     // encoder frames
};

uint64_t g_steps = 0;

// One recognizer, pushed in 10 ms chunks as a live stream would (best of `reps`).
Measure run(const Model& m, const std::vector<int16_t>& pcm, int reps, const RecognizerConfig& cfg = {}) {
  Error err;
  std::vector<uint8_t> arena(Recognizer::arena_size(m, cfg, err));
  Recognizer* r = Recognizer::create(m, cfg, arena.data(), arena.size(), err);
  if (!r) { std::fprintf(stderr, "bench-e2e: %s\n", err.message); std::exit(1); }
  r->set_decoder_observer([](void*, const DecoderStepInfo&) { ++g_steps; }, nullptr);
  Measure best;
  best.push_s = 1e30;
  for (int rep = 0; rep < reps; ++rep) {
    r->reset();
    g_steps = 0;
    const auto t0 = Clock::now();
    for (size_t at = 0; at < pcm.size(); at += 160) r->push(pcm.data() + at, std::min<size_t>(160, pcm.size() - at), err);
    const double s = std::chrono::duration<double>(Clock::now() - t0).count();
    if (s < best.push_s) best = Measure{s, g_steps, r->result().encoder_frames};
    r->finish(err);
  }
  return best;
}

// callgrind child: pushes `seconds` of audio once; the parent subtracts two runs.
int child(const char* isa_s, double seconds) {
  kernels::Isa isa;
  Error err;
  if (!kernels::isa_parse(isa_s, &isa) || kernels::isa_force(isa, err) != EARSHOT_OK) return 3;
  OpenModel m(bench_spec());
  const auto pcm = audio(seconds);
  if (seconds > 0) run(m.model, pcm, 1);
  std::fprintf(stderr, "child-ran\n");
  return 0;
}

// Instructions per second of audio on `isa` (-1 if valgrind cannot run it).
double callgrind_per_second(const char* self, kernels::Isa isa, double seconds) {
  auto count = [&](double s) {
    return bench::callgrind_instructions(std::string(self) + " --child " + kernels::isa_name(isa) + " " +
                                         std::to_string(s));
  };
  const double a = count(0), b = count(seconds);
  return a < 0 || b < 0 ? -1 : (b - a) / seconds;
}

std::string fmt(double v, const char* f) {
  if (v < 0) return "null";
  char b[64];
  std::snprintf(b, sizeof b, f, v);
  return b;
}

}  // namespace

int main(int argc, char** argv) {
  bool json = false, callgrind = true;
  double seconds = 60;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--json")) json = true;
    else if (!std::strcmp(argv[i], "--no-callgrind")) callgrind = false;
    else if (!std::strcmp(argv[i], "--seconds") && i + 1 < argc) seconds = std::atof(argv[++i]);
    else if (!std::strcmp(argv[i], "--child") && i + 2 < argc) return child(argv[i + 1], std::atof(argv[i + 2]));
    else {
      std::fprintf(stderr, "usage: bench-e2e [--json] [--seconds S] [--no-callgrind]\n");
      return 2;
    }
  }
  const RandomModelSpec spec = bench_spec();
  OpenModel m(spec);
  const ModelHparams& hp = m.model.hparams();
  Error err;
  const size_t arena = Recognizer::arena_size(m.model, {}, err);
  RecognizerConfig dflt;
  dflt.max_chars = 200;
  const size_t arena200 = Recognizer::arena_size(m.model, dflt, err);
  const size_t fe = Frontend::memory_size(hp.frontend);
  const size_t ring = size_t{2} * GreedyDecoder::ring_frames(hp) * hp.enc_hidden;
  const size_t scratch = std::max(StreamingEncoder::scratch_size(m.model), GreedyDecoder::scratch_size(m.model));
  const auto pcm = audio(seconds);

  struct Row {
    std::string isa;
    Measure m;
    double cg = -1;
  };
  std::vector<Row> rows;
  const kernels::Isa before = kernels::isa_active();
  for (kernels::Isa isa : supported_isas()) {
    kernels::isa_force(isa, err);
    rows.push_back({kernels::isa_name(isa), run(m.model, pcm, 3)});
  }
  kernels::isa_force(before, err);
  // Beam widths on the active ISA (steps = hypothesis steps: one per live
  // hypothesis per beam step).
  struct BeamRow {
    uint32_t width;
    Measure m;
    size_t arena200;
  };
  std::vector<BeamRow> beams;
  for (uint32_t w : {1u, 2u, 4u, 8u}) {
    RecognizerConfig c;
    c.beam = w;
    RecognizerConfig c200 = c;
    c200.max_chars = 200;
    beams.push_back({w, run(m.model, pcm, 2, c), Recognizer::arena_size(m.model, c200, err)});
  }
  const bool have_vg = callgrind && std::system("valgrind --version > /dev/null 2>&1") == 0;
  if (have_vg)
    for (Row& r : rows) {
      kernels::Isa isa;
      kernels::isa_parse(r.isa.c_str(), &isa);
      r.cg = callgrind_per_second(argv[0], isa, 10);
    }

  if (json) {
    std::printf("{\"model\": {\"parameters\": %llu, \"encoder\": \"%ux%u\", \"decoder\": %u, \"embed\": %u},\n",
                static_cast<unsigned long long>(parameter_count(spec)), hp.enc_layers, hp.enc_hidden, hp.dec_hidden,
                hp.dec_embed);
    std::printf(" \"arena\": {\"bytes\": %zu, \"bytes_max_chars_200\": %zu, \"frontend\": %zu, \"ring\": %zu, "
                "\"scratch\": %zu},\n \"audio_seconds\": %.1f,\n \"e2e\": [",
                arena, arena200, fe, ring, scratch, seconds);
    for (size_t i = 0; i < rows.size(); ++i)
      std::printf("%s\n  {\"isa\": \"%s\", \"rtf\": %.5f, \"encoder_frames\": %llu, \"decoder_steps\": %llu, "
                  "\"instructions_per_audio_second\": %s}",
                  i ? "," : "", rows[i].isa.c_str(), rows[i].m.push_s / seconds,
                  static_cast<unsigned long long>(rows[i].m.frames), static_cast<unsigned long long>(rows[i].m.steps),
                  fmt(rows[i].cg, "%.0f").c_str());
    std::printf("\n ],\n \"beam\": [");
    for (size_t i = 0; i < beams.size(); ++i)
      std::printf("%s\n  {\"isa\": \"%s\", \"width\": %u, \"rtf\": %.5f, \"hypothesis_steps\": %llu, "
                  "\"arena_bytes_max_chars_200\": %zu}",
                  i ? "," : "", kernels::isa_name(before), beams[i].width, beams[i].m.push_s / seconds,
                  static_cast<unsigned long long>(beams[i].m.steps), beams[i].arena200);
    std::printf("\n ]}\n");
    return 0;
  }
  std::printf("model: %llu parameters (encoder %ux%u, decoder %u, embed %u), %.0f s of audio, 10 ms chunks\n",
              static_cast<unsigned long long>(parameter_count(spec)), hp.enc_layers, hp.enc_hidden, hp.dec_hidden,
              hp.dec_embed, seconds);
  std::printf("arena: %zu bytes at max_chars 4096 (%zu at the default 200): front-end %zu, ring %zu, scratch %zu\n",
              arena, arena200, fe, ring, scratch);
  std::printf("%-11s %9s %10s %10s %14s %18s\n", "isa", "RTF", "ms/audio-s", "enc frames", "decoder steps",
              "instr/audio-s");
  for (const Row& r : rows)
    std::printf("%-11s %9.5f %10.3f %10llu %14llu %18s\n", r.isa.c_str(), r.m.push_s / seconds,
                1000 * r.m.push_s / seconds, static_cast<unsigned long long>(r.m.frames),
                static_cast<unsigned long long>(r.m.steps), r.cg < 0 ? "n/a" : fmt(r.cg / 1e6, "%.1f M").c_str());
  std::printf("beam search on %s (arena at max_chars 200):\n%-6s %9s %16s %12s\n", kernels::isa_name(before), "width",
              "RTF", "hypothesis steps", "arena bytes");
  for (const BeamRow& b : beams)
    std::printf("%-6u %9.5f %16llu %12zu\n", b.width, b.m.push_s / seconds, static_cast<unsigned long long>(b.m.steps),
                b.arena200);
  std::printf("goals: RTF <= 0.002 with AVX-512 VNNI on one core; arena <= 65536 bytes\n");
  return 0;
}
