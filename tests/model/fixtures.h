// Inputs and small helpers shared by the runtime's doctest files (header-only:
// they use doctest's REQUIRE, which the testkit library does not link).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "decoder/grammar.h"
#include "doctest.h"
#include "harness.h"
#include "signals.h"

namespace earshot::test {

// Speech, then noise, a chirp and speech again: onsets, pauses, windows
// crossing the ring's wrap, and an end while the decoder still runs.
inline std::vector<int16_t> mixed_audio() {
  std::vector<int16_t> a = golden_pcm("speech");
  const auto n = testsig::noise(16000, 300, 5);
  a.insert(a.end(), n.begin(), n.end());
  const auto c = testsig::chirp(8000, 200, 3000, 6000);
  a.insert(a.end(), c.begin(), c.end());
  const auto s = golden_pcm("speech");
  a.insert(a.end(), s.begin(), s.end());
  return a;
}

// A decoder that never emits <eos>: it follows the audio to the end (or to
// max_chars), so every step of the wait rule and the ring is exercised.
inline RandomModelSpec endless(RandomModelSpec s) {
  s.eos_bias = -40;
  s.max_chars = 4096;
  return s;
}

// Beam search of `width`; ctc / lm: the CTC prefix score and character LM
// weights (0: the defaults; kCtcOff / kLmOff: off).
inline RecognizerConfig beam_cfg(uint32_t width, uint32_t max_chars = 0, uint32_t ctc = 0, uint32_t lm = 0) {
  RecognizerConfig c;
  c.beam = width;
  c.max_chars = max_chars;
  c.ctc_weight_pct = ctc;
  c.lm_weight_pct = lm;
  return c;
}

// A finished recognizer's n-best list (best first).
struct NBest {
  std::vector<std::string> text;
  std::vector<int32_t> score;
  std::vector<uint32_t> tokens;
  std::vector<std::vector<uint32_t>> frames;
  bool no_match = false;
  bool operator==(const NBest&) const = default;
};

inline NBest nbest_of(const Recognizer& r) {
  NBest out;
  const RecognizerResult res = r.result();
  out.no_match = res.no_match;
  for (uint32_t i = 0; i < res.num_nbest; ++i) {
    NBestEntry e;
    REQUIRE(r.nbest(i, e));
    out.text.emplace_back(e.text);
    out.score.push_back(e.score_q10);
    out.tokens.push_back(e.num_tokens);
    out.frames.emplace_back(e.token_frames, e.token_frames + e.num_tokens);
  }
  NBestEntry none;
  CHECK_FALSE(r.nbest(res.num_nbest, none));
  return out;
}

// A grammar compiled for `m` in its own 512 KiB buffer.
struct Compiled {
  std::vector<uint64_t> mem = std::vector<uint64_t>(1 << 16);
  const Grammar* g = nullptr;
  Compiled(const Model& m, const char* text) {
    Error err;
    size_t need = 0;
    const auto& hp = m.hparams();
    REQUIRE(Grammar::compile(text, GrammarKind::kAuto, hp.vocab_chars, hp.vocab_size, mem.data(), mem.size() * 8, &g,
                             &need, err) == EARSHOT_OK);
  }
};

}  // namespace earshot::test
