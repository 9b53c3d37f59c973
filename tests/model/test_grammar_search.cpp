// Grammar-constrained decoding: whatever the model would say, the text is a
// phrase of the grammar or nothing (no_match), on random models that freely
// emit junk; the constraint is set between utterances only.
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "decoder/grammar.h"
#include "doctest.h"
#include "fixtures.h"
#include "harness.h"

using namespace earshot;
using namespace earshot::test;

namespace {

struct Run {
  std::string text;
  bool no_match = false, final = false;
  int32_t score = 0, confidence = 0, match = 0;
};

// reject_q15 = 1: no out-of-grammar rejection (these tests are about the constraint).
Run recognize(const Model& m, const Grammar* g, const std::vector<int16_t>& pcm, uint32_t max_chars = 0,
              uint32_t reject_q15 = 1, uint32_t beam = 0, uint32_t ctc_weight_pct = 0) {
  Error err;
  RecognizerConfig cfg;
  cfg.max_chars = max_chars;
  cfg.reject_q15 = reject_q15;
  cfg.beam = beam;
  cfg.ctc_weight_pct = ctc_weight_pct;
  const size_t bytes = Recognizer::arena_size(m, cfg, err);
  std::vector<uint64_t> arena(bytes / 8 + 1);
  Recognizer* r = Recognizer::create(m, cfg, arena.data(), bytes, err);
  REQUIRE(r);
  REQUIRE(r->set_grammar(g, err) == EARSHOT_OK);
  REQUIRE(r->push(pcm.data(), pcm.size(), err) == EARSHOT_OK);
  REQUIRE(r->finish(err) == EARSHOT_OK);
  const RecognizerResult res = r->result();
  return {res.text, res.no_match, res.is_final, res.score_q10, res.confidence_q15, res.match_q15};
}


}  // namespace

TEST_CASE("only grammar phrases (or nothing) come out of junk-emitting random models") {
  const char* kPhrases = "turn on the lights\nturn off the lights\nset a timer\nstop\nyes\nno\n";
  const char* kJsgf = "#JSGF V1.0;\npublic <c> = (go | turn) (left | right) [now];\n";
  int constrained_words = 0, free_differs = 0, runs = 0;
  for (uint64_t seed : {2u, 3u, 5u, 7u, 11u}) {
    for (bool target : {false, true}) {
      RandomModelSpec spec = target ? RandomModelSpec::target() : RandomModelSpec::tiny();
      spec.seed = seed;
      OpenModel om(spec);
      for (const char* src : {kPhrases, kJsgf}) {
        Compiled c(om.model, src);
        for (const char* sig : {"speech", "chirp", "noise"}) {
          const auto pcm = golden_pcm(sig);
          const Run free_run = recognize(om.model, nullptr, pcm);
          const Run run = recognize(om.model, c.g, pcm);
          const auto& hp = om.model.hparams();
          INFO("seed " << seed << " target " << target << " " << sig << ": '" << run.text << "' free '" << free_run.text << "'");
          CHECK(run.final);
          if (!run.text.empty()) {
            CHECK(c.g->accepts(run.text, hp.vocab_chars, hp.vocab_size));
            ++constrained_words;
          }
          if (run.no_match) CHECK(run.text.empty());
          free_differs += free_run.text != run.text;
          ++runs;
        }
      }
    }
  }
  MESSAGE(constrained_words << " of " << runs << " constrained runs produced a phrase; " << free_differs
                            << " differ from free decoding");
  CHECK(constrained_words > 0);   // the constraint does not just silence the model
  CHECK(free_differs > runs / 2); // and it really changes what comes out
}

TEST_CASE("a phrase cut off by the character limit is no match, not a fragment") {
  RandomModelSpec spec = RandomModelSpec::tiny();
  spec.eos_bias = -50;  // never ends by itself
  OpenModel om(spec);
  Compiled c(om.model, "red\ngreen blue\n");  // phrase list, short phrases
  const Run run = recognize(om.model, c.g, golden_pcm("speech"), 3);
  CHECK(run.final);
  if (run.text.empty()) CHECK(run.no_match);
  else CHECK(c.g->accepts(run.text, om.model.hparams().vocab_chars, om.model.hparams().vocab_size));
}

TEST_CASE("the grammar is set between utterances only") {
  OpenModel om(RandomModelSpec::tiny());
  Compiled c(om.model, "stop\n");
  Error err;
  const size_t bytes = Recognizer::arena_size(om.model, {}, err);
  std::vector<uint64_t> arena(bytes / 8 + 1);
  Recognizer* r = Recognizer::create(om.model, {}, arena.data(), bytes, err);
  REQUIRE(r);
  const auto pcm = golden_pcm("speech");
  REQUIRE(r->push(pcm.data(), pcm.size(), err) == EARSHOT_OK);
  if (r->result().onset >= 0) {
    CHECK(r->set_grammar(c.g, err) == EARSHOT_ERR_INVALID_ARGUMENT);
    CHECK(std::string(err.message).find("between utterances") != std::string::npos);
  }
  r->reset();
  CHECK(r->set_grammar(c.g, err) == EARSHOT_OK);
  CHECK(r->set_grammar(nullptr, err) == EARSHOT_OK);
}

TEST_CASE("out-of-grammar rejection: below the threshold the phrase is no match, its score and match kept") {
  const char* kPhrases = "turn on the lights\nturn off the lights\nset a timer\nstop\nyes\nno\n";
  int checked = 0, joint = 0, match_differs = 0;
  for (uint64_t seed : {2u, 3u, 5u, 7u, 11u}) {
    RandomModelSpec spec = RandomModelSpec::tiny();
    spec.seed = seed;
    OpenModel om(spec);
    Compiled c(om.model, kPhrases);
    for (const char* sig : {"speech", "chirp", "noise"}) {
      // Greedy, beam with CTC scoring (the default weight), beam attention only.
      for (auto [beam, ctc] : {std::pair{0u, 0u}, std::pair{3u, 0u}, std::pair{3u, kCtcOff}}) {
        const auto pcm = golden_pcm(sig);
        const Run open = recognize(om.model, c.g, pcm, 0, 1, beam, ctc);
        if (open.text.empty()) continue;
        INFO("seed " << seed << " " << sig << " beam " << beam << " ctc " << ctc << ": '" << open.text
                     << "' confidence " << open.confidence << " match " << open.match);
        const uint32_t n = static_cast<uint32_t>(open.text.size());
        CHECK(open.confidence == confidence_q15(open.score, n + 1));
        CHECK(open.confidence > 0);
        CHECK(open.match > 0);
        if (beam == 0 || ctc == kCtcOff) {
          CHECK(open.match == open.confidence);  // without CTC the match is the confidence
        } else {
          ++joint;
          match_differs += open.match != open.confidence;
        }
        // At the match: kept; one step above: rejected, with the same score, confidence and match.
        const Run at = recognize(om.model, c.g, pcm, 0, static_cast<uint32_t>(open.match), beam, ctc);
        CHECK(at.text == open.text);
        CHECK_FALSE(at.no_match);
        const Run above = recognize(om.model, c.g, pcm, 0, static_cast<uint32_t>(open.match) + 1, beam, ctc);
        CHECK(above.no_match);
        CHECK(above.text.empty());
        CHECK(above.final);
        CHECK(above.score == open.score);
        CHECK(above.confidence == open.confidence);
        CHECK(above.match == open.match);
        // Free text is never rejected, whatever the threshold.
        const Run free_run = recognize(om.model, nullptr, pcm, 0, 32768, beam, ctc);
        CHECK_FALSE(free_run.no_match);
        ++checked;
      }
    }
  }
  CHECK(checked >= 8);
  CHECK(joint >= 3);
  CHECK(match_differs >= 1);  // the CTC part is really in it
}

TEST_CASE("confidence: the geometric mean of the probabilities, in integers") {
  CHECK(confidence_q15(0, 1) == 32768);
  CHECK(confidence_q15(0, 0) == 0);
  // exp(-1) = 0.36788 -> 12055 in Q15 (within a unit of rounding)
  CHECK(std::abs(confidence_q15(-1024 * 3, 3) - 12055) <= 1);
  CHECK(std::abs(confidence_q15(-710, 1) - 16381) <= 1);  // exp(-710/1024) = 0.49989
  CHECK(confidence_q15(-100000, 1) == 0);
  CHECK(confidence_q15(-4, 10) == 32768);  // a mean of 0.4 rounds to 0
  CHECK(confidence_q15(-5, 10) == confidence_q15(-1, 1));  // 0.5 rounds up
}

TEST_CASE("the default CTC weight follows the grammar: 70 with one, 30 without") {
  const char* kPhrases = "turn on the lights\nturn off the lights\nset a timer\nstop\nyes\nno\n";
  int differs = 0, runs = 0;
  for (uint64_t seed : {2u, 3u, 5u, 7u, 11u}) {
    RandomModelSpec spec = RandomModelSpec::tiny();
    spec.seed = seed;
    OpenModel om(spec);
    Compiled c(om.model, kPhrases);
    for (const char* sig : {"speech", "chirp", "noise"}) {
      const auto pcm = golden_pcm(sig);
      const Run g_default = recognize(om.model, c.g, pcm, 0, 1, 3, 0);
      const Run g_70 = recognize(om.model, c.g, pcm, 0, 1, 3, kDefaultGrammarCtcWeightPct);
      const Run g_30 = recognize(om.model, c.g, pcm, 0, 1, 3, kDefaultCtcWeightPct);
      const Run f_default = recognize(om.model, nullptr, pcm, 0, 1, 3, 0);
      const Run f_30 = recognize(om.model, nullptr, pcm, 0, 1, 3, kDefaultCtcWeightPct);
      INFO("seed " << seed << " " << sig);
      CHECK(g_default.text == g_70.text);
      CHECK(g_default.score == g_70.score);
      CHECK(g_default.match == g_70.match);
      CHECK(f_default.text == f_30.text);
      CHECK(f_default.score == f_30.score);
      differs += g_70.text != g_30.text || g_70.match != g_30.match;
      ++runs;
    }
  }
  CHECK(runs == 15);
  CHECK(differs >= 1);  // the weight really changed
}
