// Beam search over the local-attention decoder (MODEL.md "Beam search"): width 1
// is the greedy decoder exactly; any chunking and every ISA level give the same
// bits; with a grammar every n-best entry is a phrase (or nothing); the beam
// finds a path at least as good as greedy's in the model's own scoring in the
// vast majority of random models; the arena is exact and grows with the width;
// push/finish never allocate (test_memory.cpp, where the allocation counter is).
#include <cstring>
#include <string>
#include <vector>

#include "decoder/grammar.h"
#include "doctest.h"
#include "fixtures.h"
#include "harness.h"
#include "signals.h"

using namespace earshot;
using namespace earshot::test;

namespace {



// The random models the width-1 and evidence-bound tests sweep: three seeds of
// the tiny and the target shape, each also endless.
template <class F>
void for_each_swept_model(F&& f) {
  for (uint64_t seed : {2u, 3u, 5u}) {
    for (const RandomModelSpec& base : {RandomModelSpec::tiny(), endless(RandomModelSpec::tiny()),
                                        RandomModelSpec::target(), endless(RandomModelSpec::target())}) {
      RandomModelSpec spec = base;
      spec.seed = seed;
      f(spec);
    }
  }
}

// a / (na + 1) >= b / (nb + 1), exactly.
bool norm_at_least(int32_t a, uint32_t na, int32_t b, uint32_t nb) {
  return int64_t{a} * (int64_t{nb} + 1) >= int64_t{b} * (int64_t{na} + 1);
}

}  // namespace

TEST_CASE("beam width 1 without CTC prefix scores is greedy exactly (trace, text, frames, score, grammar)") {
  const char* kPhrases = "turn on the lights\nturn off the lights\nset a timer\nstop\nyes\nno\n";
  int runs = 0;
  for_each_swept_model([&](const RandomModelSpec& spec) {
    OpenModel m(spec);
    Compiled c(m.model, kPhrases);
    for (const Grammar* g : {static_cast<const Grammar*>(nullptr), c.g}) {
      for (const char* sig : {"speech", "chirp"}) {
        const auto pcm = golden_pcm(sig);
        Error err;
        Session greedy(m.model);
        RecognizerConfig cfg;
        cfg.beam_decoder_at_width_1 = true;
        cfg.ctc_weight_pct = kCtcOff;  // with it, the evidence bound holds centres greedy does not
        Session beam(m.model, cfg);
        REQUIRE(greedy.rec().set_grammar(g, err) == EARSHOT_OK);
        REQUIRE(beam.rec().set_grammar(g, err) == EARSHOT_OK);
        REQUIRE(beam.rec().beam_decoder() != nullptr);
        const Trace want = greedy.run_pcm(pcm, {1000});
        const Trace got = beam.run_pcm(pcm, {333});
        INFO("seed " << spec.seed << " H=" << spec.hidden << " eos_bias " << spec.eos_bias << " grammar "
                     << (g != nullptr) << " " << sig);
        CHECK(trace_diff(got, want) == "");
        const RecognizerResult a = greedy.rec().result(), b = beam.rec().result();
        CHECK(a.score_q10 == b.score_q10);
        CHECK(a.no_match == b.no_match);
        CHECK(a.num_nbest == b.num_nbest);
        CHECK(std::string(a.text) == b.text);
        ++runs;
      }
    }
  });
  MESSAGE(runs << " runs: the beam decoder at width 1 equals the greedy decoder");
  // beam = 0 and beam = 1 in the config are the greedy decoder itself.
  OpenModel m(RandomModelSpec::tiny());
  Error err;
  CHECK(Recognizer::arena_size(m.model, beam_cfg(0), err) == Recognizer::arena_size(m.model, beam_cfg(1), err));
  Session s(m.model, beam_cfg(1));
  CHECK(s.rec().beam_decoder() == nullptr);
}

TEST_CASE("beam: any chunking and every ISA level give the same bits and the same n-best") {
  const auto pcm = mixed_audio();
  for (uint32_t width : {2u, 4u, 8u}) {
    for (const RandomModelSpec& spec : {RandomModelSpec::tiny(), endless(RandomModelSpec::tiny())}) {
      OpenModel m(spec);
      Session whole(m.model, beam_cfg(width));
      const Trace want = whole.run_pcm(pcm);
      const NBest want_nb = nbest_of(whole.rec());
      REQUIRE(!want.dec_logits.empty());
      CHECK(whole.rec().beam_decoder()->window_misses() == 0);
      for (const std::vector<size_t>& p : {std::vector<size_t>{1}, {159}, {160, 1}, {4000}, {1, 1000, 7, 33333}}) {
        Session s(m.model, beam_cfg(width));
        INFO("width " << width << " eos_bias " << spec.eos_bias << " chunks " << p[0]);
        CHECK(trace_diff(s.run_pcm(pcm, p), want) == "");
        CHECK(nbest_of(s.rec()) == want_nb);
      }
      const auto feats = features_of(m.model, pcm);
      Session f(m.model, beam_cfg(width));
      CHECK(trace_diff(f.run_features(feats, {5, 1, 7}), want) == "");
    }
  }
  for (const RandomModelSpec& spec : {endless(RandomModelSpec::tiny()), RandomModelSpec::target()}) {
    OpenModel m(spec);
    const kernels::Isa before = kernels::isa_active();
    Error err;
    REQUIRE(kernels::isa_force(kernels::Isa::scalar, err) == EARSHOT_OK);
    Trace want;
    NBest want_nb;
    {
      Session s(m.model, beam_cfg(5));
      want = s.run_pcm(pcm, {777});
      want_nb = nbest_of(s.rec());
    }
    for (kernels::Isa isa : supported_isas()) {
      REQUIRE(kernels::isa_force(isa, err) == EARSHOT_OK);
      Session s(m.model, beam_cfg(5));
      INFO("isa " << kernels::isa_name(isa) << " H=" << spec.hidden);
      CHECK(trace_diff(s.run_pcm(pcm, {777}), want) == "");
      CHECK(nbest_of(s.rec()) == want_nb);
    }
    REQUIRE(kernels::isa_force(before, err) == EARSHOT_OK);
  }
}

TEST_CASE("beam: the ring holds every live window (window and look-back extremes, long stream)") {
  const auto pcm = mixed_audio();
  struct Shape {
    uint32_t W, back;
  };
  for (const Shape sh : {Shape{0, 0}, Shape{0, 5}, Shape{2, 6}, Shape{8, 64}, Shape{31, 0}}) {
    RandomModelSpec spec = endless(RandomModelSpec::tiny());
    spec.half_window = sh.W;
    spec.onset_back = sh.back;
    spec.blank_bias = 7;
    OpenModel m(spec);
    // The longest endpoint: a hypothesis past the evidence bound waits until the
    // rings, not the end of the utterance, make it step.
    for (uint32_t endpoint_ms : {0u, kMaxEndpointMs}) {
      RecognizerConfig cfg = beam_cfg(6);
      cfg.endpoint_ms = endpoint_ms;
      Session s(m.model, cfg);
      const Trace a = s.run_pcm(pcm, {2000, 3});
      const BeamDecoder* d = s.rec().beam_decoder();
      INFO("W=" << sh.W << " onset_back=" << sh.back << " endpoint_ms " << endpoint_ms);
      CHECK(d->window_misses() == 0);
      CHECK(d->ctc_misses() == 0);
      Session t(m.model, cfg);
      CHECK(trace_diff(t.run_pcm(pcm), a) == "");
      MESSAGE("W=" << sh.W << " back=" << sh.back << " endpoint " << endpoint_ms << " ms: " << d->steps()
                   << " beam steps, " << d->dropped_laggards() << " laggards dropped, text "
                   << s.rec().result().num_tokens << " chars");
    }
  }
}

TEST_CASE("beam with a grammar: every n-best entry is a phrase of it (or nothing)") {
  const char* kPhrases = "turn on the lights\nturn off the lights\nset a timer\nstop\nyes\nno\n";
  const char* kJsgf = "#JSGF V1.0;\npublic <c> = (go | turn) (left | right) [now];\n";
  int entries = 0, runs = 0, multi = 0;
  for (uint64_t seed : {2u, 3u, 5u, 7u, 11u}) {
    for (bool target : {false, true}) {
      RandomModelSpec spec = target ? RandomModelSpec::target() : RandomModelSpec::tiny();
      spec.seed = seed;
      OpenModel om(spec);
      const auto& hp = om.model.hparams();
      for (const char* src : {kPhrases, kJsgf}) {
        Compiled c(om.model, src);
        for (const char* sig : {"speech", "chirp", "noise"}) {
          for (uint32_t width : {3u, 8u}) {
            // Joint CTC scoring ranks by a score the n-best does not expose: the ranking
            // check below runs on the attention-only search (odd seeds), phrases on both.
            const bool att_only = seed % 2 == 1;
            Session s(om.model, beam_cfg(width, 0, att_only ? kCtcOff : 0));
            Error err;
            REQUIRE(s.rec().set_grammar(c.g, err) == EARSHOT_OK);
            s.run_pcm(golden_pcm(sig));
            const RecognizerResult r = s.rec().result();
            const NBest nb = nbest_of(s.rec());
            INFO("seed " << seed << " target " << target << " " << sig << " width " << width << ": '" << r.text << "'");
            CHECK(r.is_final);
            CHECK(nb.text.size() <= width);
            if (r.no_match) CHECK(std::string(r.text).empty());
            if (!nb.text.empty()) CHECK(nb.text[0] == r.text);
            for (const std::string& t : nb.text) {
              if (!t.empty()) CHECK(c.g->accepts(t, hp.vocab_chars, hp.vocab_size));
              ++entries;
            }
            for (size_t i = 1; att_only && i < nb.text.size(); ++i)  // ranked best first, distinct
              CHECK(norm_at_least(nb.score[i - 1], nb.tokens[i - 1], nb.score[i], nb.tokens[i]));
            multi += nb.text.size() > 1;
            ++runs;
          }
        }
      }
    }
  }
  MESSAGE(runs << " constrained beam runs, " << entries << " n-best entries, " << multi << " with more than one");
  CHECK(multi > 0);
}

TEST_CASE("a phrase cut off by the character limit is no match under beam search too") {
  RandomModelSpec spec = RandomModelSpec::tiny();
  spec.eos_bias = -50;
  OpenModel om(spec);
  Compiled c(om.model, "red\ngreen blue\n");
  for (uint32_t width : {2u, 4u, 8u}) {
    Session s(om.model, beam_cfg(width, 3));
    Error err;
    REQUIRE(s.rec().set_grammar(c.g, err) == EARSHOT_OK);
    s.run_pcm(golden_pcm("speech"));
    const RecognizerResult r = s.rec().result();
    CHECK(r.is_final);
    if (std::string(r.text).empty())
      CHECK((r.no_match || r.num_nbest > 0));
    else
      CHECK(c.g->accepts(r.text, om.model.hparams().vocab_chars, om.model.hparams().vocab_size));
    for (const std::string& t : nbest_of(s.rec()).text)
      if (!t.empty()) CHECK(c.g->accepts(t, om.model.hparams().vocab_chars, om.model.hparams().vocab_size));
  }
}

TEST_CASE("beam finds a path at least as good as greedy's (normalised model score) in most random models") {
  int runs = 0, at_least = 0, strictly = 0, texts_differ = 0;
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    for (double eos_bias : {0.0, 1.5, 3.0}) {
      RandomModelSpec spec = RandomModelSpec::tiny();
      spec.seed = seed;
      spec.eos_bias = eos_bias;
      spec.max_chars = 60;
      OpenModel m(spec);
      const auto pcm = golden_pcm(seed % 2 ? "speech" : "chirp");
      Session g(m.model);
      g.run_pcm(pcm);
      const RecognizerResult gr = g.rec().result();
      if (gr.onset < 0) continue;
      Session b(m.model, beam_cfg(4, 0, kCtcOff));  // the attention decoder's own score
      b.run_pcm(pcm);
      const RecognizerResult br = b.rec().result();
      ++runs;
      const bool ok = norm_at_least(br.score_q10, br.num_tokens, gr.score_q10, gr.num_tokens);
      at_least += ok;
      strictly += ok && !norm_at_least(gr.score_q10, gr.num_tokens, br.score_q10, br.num_tokens);
      texts_differ += std::string(gr.text) != br.text;
    }
  }
  MESSAGE("beam 4 vs greedy over " << runs << " random models: beam >= greedy in " << at_least << " ("
                                   << (100.0 * at_least / runs) << "%), strictly better in " << strictly
                                   << ", texts differ in " << texts_differ);
  REQUIRE(runs >= 60);
  CHECK(at_least * 10 >= runs * 9);  // >= 90 %
  CHECK(strictly > 0);
}

TEST_CASE("beam arena: grows with the width; the exact size works, one byte less fails") {
  for (const RandomModelSpec& spec : {RandomModelSpec::tiny(), RandomModelSpec::target()}) {
    OpenModel m(spec);
    Error err;
    size_t prev = Recognizer::arena_size(m.model, beam_cfg(1), err);
    std::string sizes = std::to_string(prev);
    const auto speech = golden_pcm("speech");
    for (uint32_t w = 2; w <= kMaxBeam; ++w) {
      const size_t need = Recognizer::arena_size(m.model, beam_cfg(w), err);
      CHECK(need > prev);
      prev = need;
      sizes += ' ';
      sizes += std::to_string(need);
      std::vector<uint8_t> buf(need + 64, 0xA5);
      uint8_t* arena = buf.data() + 5;
      CHECK(Recognizer::create(m.model, beam_cfg(w), arena, need - 1, err) == nullptr);
      CHECK(err.status == EARSHOT_ERR_MEMORY_TOO_SMALL);
      Recognizer* r = Recognizer::create(m.model, beam_cfg(w), arena, need, err);
      REQUIRE(r != nullptr);
      REQUIRE(r->push(speech.data(), speech.size(), err) == EARSHOT_OK);
      REQUIRE(r->finish(err) == EARSHOT_OK);
      bool outside = false;
      for (size_t i = 0; i < 5; ++i) outside |= buf[i] != 0xA5;
      for (size_t i = 5 + need; i < buf.size(); ++i) outside |= buf[i] != 0xA5;
      CHECK_FALSE(outside);
    }
    MESSAGE("H=" << spec.hidden << " arena bytes for beam 1..8: " << sizes);
    CHECK(Recognizer::arena_size(m.model, beam_cfg(kMaxBeam + 1), err) == 0);
    CHECK(err.status == EARSHOT_ERR_INVALID_ARGUMENT);
  }
}

// The evidence bound (MODEL.md "Beam search"): with CTC prefix scores no
// character is read from a window centred more than W past the last frame
// whose CTC token is not blank. Without them the same random models do run on
// past it, so the check can fail. (Speech followed by 0.6 s of silence, under
// the endpoint time, shows it: on the bare recordings the decoders ran on past
// the end of the input, which step 5.3's end rule now cuts short, and token
// frames lie within the input.)
TEST_CASE("beam with CTC prefix scores: no character centred more than W past the CTC evidence") {
  int runs = 0, beyond_without = 0;
  auto padded = golden_pcm("speech");
  padded.resize(padded.size() + 9600, 0);
  for_each_swept_model([&](const RandomModelSpec& spec) {
    OpenModel m(spec);
    const int64_t W = m.model.hparams().half_window;
    for (const char* sig : {"speech", "chirp", "speech + 0.6 s silence"}) {
      const auto pcm = std::strchr(sig, '+') ? padded : golden_pcm(sig);
      for (uint32_t ctc : {0u, kCtcOff}) {
        Session s(m.model, beam_cfg(4, 0, ctc));
        const Trace t = s.run_pcm(pcm, {800});
        int64_t last = -1;
        for (size_t f = 0; f < t.ctc_tokens.size(); ++f)
          if (t.ctc_tokens[f] != 0) last = static_cast<int64_t>(f);
        int64_t over = 0;
        for (uint32_t f : t.token_frames) over = std::max<int64_t>(over, int64_t{f} - (last + W));
        INFO("seed " << spec.seed << " H=" << spec.hidden << " eos_bias " << spec.eos_bias << " " << sig << " ctc "
                     << ctc << " last CTC token at " << last << ", " << t.token_frames.size() << " characters");
        if (ctc == kCtcOff) {
          beyond_without += over > 0;
        } else {
          CHECK(over == 0);
          ++runs;
        }
      }
    }
  });
  CHECK(runs == 36);
  MESSAGE("without CTC prefix scores " << beyond_without << " of 36 runs read past the bound");
  CHECK(beyond_without > 0);
}

// Pinned: every target (x86-64 at every ISA level, aarch64, armv7) must give
// these bits for beam search too (trace of every hypothesis step + n-best).
TEST_CASE("beam: the same bits on every target (pinned hashes)") {
  struct Pin {
    RandomModelSpec spec;
    uint32_t width;
    uint32_t ctc;
    uint64_t hash;
  };
  const Pin pins[] = {
      {RandomModelSpec::tiny(), 4, kCtcOff, 170157528854366738ull},
      {endless(RandomModelSpec::tiny()), 8, kCtcOff, 17122901184729388414ull},
      {RandomModelSpec::target(), 3, kCtcOff, 16771521437583589899ull},
      // joint CTC-attention scoring (the default weight, and CTC-heavy)
      {RandomModelSpec::tiny(), 4, 0, 16554670908306898583ull},
      {endless(RandomModelSpec::tiny()), 8, 0, 17892988317366871782ull},
      {RandomModelSpec::target(), 3, 80, 6717005978093559584ull},
  };
  const auto speech = golden_pcm("speech");
  for (const Pin& p : pins) {
    OpenModel m(p.spec);
    Session s(m.model, beam_cfg(p.width, 0, p.ctc));
    uint64_t h = trace_hash(s.run_pcm(speech, {480}));
    const NBest nb = nbest_of(s.rec());
    for (size_t i = 0; i < nb.text.size(); ++i) {
      for (char ch : nb.text[i]) h = (h ^ static_cast<uint8_t>(ch)) * 1099511628211ull;
      h = (h ^ static_cast<uint32_t>(nb.score[i])) * 1099511628211ull;
      for (uint32_t f : nb.frames[i]) h = (h ^ f) * 1099511628211ull;
    }
    MESSAGE("H=" << p.spec.hidden << " eos_bias=" << p.spec.eos_bias << " beam " << p.width << " ctc " << p.ctc
                 << " hash " << h);
    CHECK(h == p.hash);
  }
}

TEST_CASE("beam: partial results are consistent while streaming; silence decodes nothing") {
  OpenModel m(RandomModelSpec::tiny());
  const auto& hp = m.model.hparams();
  const auto pcm = mixed_audio();
  Session s(m.model, beam_cfg(4));
  Recognizer& r = s.rec();
  Error err;
  int partials = 0;
  for (size_t at = 0; at < pcm.size(); at += 800) {
    REQUIRE(r.push(pcm.data() + at, std::min<size_t>(800, pcm.size() - at), err) == EARSHOT_OK);
    const RecognizerResult res = r.result();
    REQUIRE(std::strlen(res.text) == res.num_tokens);
    for (uint32_t k = 0; k < res.num_tokens; ++k) CHECK(res.text[k] == hp.vocab_chars[res.tokens[k]]);
    if (!res.is_final) CHECK(res.num_nbest == 0);
    partials += res.num_tokens > 0 && !res.is_final;
  }
  REQUIRE(r.finish(err) == EARSHOT_OK);
  CHECK(r.result().is_final);
  CHECK(r.result().num_nbest >= 1);
  CHECK(partials > 0);

  RandomModelSpec quiet = RandomModelSpec::tiny();
  quiet.blank_bias = 40;
  OpenModel q(quiet);
  Session t(q.model, beam_cfg(4));
  const Trace tr = t.run_pcm(golden_pcm("speech"));
  CHECK(tr.onset == -1);
  CHECK(tr.text.empty());
  CHECK(t.rec().result().num_nbest == 0);
  CHECK_FALSE(t.rec().result().no_match);
}
