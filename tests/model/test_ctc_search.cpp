// The CTC search (lib/decoder/ctc_search.h): with room for every prefix it
// is exact — the shipped model's phrase and n-best equal scoring every
// phrase of the list with the plain CTC forward recursion over the same
// integer frames; whatever a junk-emitting model says, only grammar
// sentences come out; chunking, ISA level and a tiny width (pool
// compaction, forced prunes) do not break it.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "decoder/ctc_prefix.h"
#include "decoder/ctc_search.h"
#include "doctest.h"
#include "fixtures.h"
#include "harness.h"
#include "kernels/isa.h"

using namespace earshot;
using namespace earshot::test;

namespace {

RecognizerConfig ctc_cfg(uint32_t width = 0, uint32_t max_chars = 0) {
  RecognizerConfig c;
  c.ctc_search = true;
  c.beam = width;
  c.max_chars = max_chars;
  c.reject_q15 = 1;          // these tests are about the search, not rejection
  c.endpoint_ms = 60000;     // one utterance per input
  return c;
}

std::vector<uint8_t> read_file(const char* path) {
  std::ifstream f(path, std::ios::binary);
  REQUIRE_MESSAGE(f.good(), "cannot read " << path);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

struct Scored {
  std::string text;
  int64_t rank = 0;  // CTC log-probability + kCtcCharBonusQ10 per character
  int64_t rel = 0;   // min(0, log-probability - best path - kCtcMatchOffsetQ10)
};

// Every phrase scored on its own with the CTC prefix recursion (MODEL.md "CTC
// prefix scoring") over the run's frames [s0, F), in the library's integers.
std::vector<Scored> score_all(const Model& m, const Trace& t, const std::vector<std::string>& phrases) {
  const auto& hp = m.hparams();
  const uint32_t V = hp.vocab_size, F = static_cast<uint32_t>(t.ctc_tokens.size());
  std::vector<int16_t> lpmem(size_t{F} * V);
  std::vector<int64_t> bestmem(F);
  CtcFrames frames;
  frames.layout(lpmem.data(), bestmem.data(), F, V);
  frames.reset();
  for (uint32_t f = 0; f < F; ++f) frames.push(t.ctc_logits.data() + size_t{f} * V);
  uint32_t onset = 0;
  while (onset < F && t.ctc_tokens[onset] == 0) ++onset;
  REQUIRE(onset < F);
  const uint32_t s0 = onset > hp.onset_back ? onset - hp.onset_back : 0;
  const int64_t best = frames.best_before(F) - frames.best_before(s0);
  std::vector<Scored> out;
  for (const std::string& p : phrases) {
    std::vector<int32_t> y;
    for (char ch : p) {
      uint32_t v = 1;
      while (v < V && hp.vocab_chars[v] != ch) ++v;
      REQUIRE(v < V);
      y.push_back(static_cast<int32_t>(v));
    }
    const size_t L = y.size();
    std::vector<int32_t> pb(L + 1, kLogZeroQ10), pn(L + 1, kLogZeroQ10), nb(L + 1), nn(L + 1);
    pb[0] = 0;
    for (uint32_t f = s0; f < F; ++f) {
      const int16_t* lp = frames.at(f);
      for (size_t j = 0; j <= L; ++j) {
        nb[j] = add_lp_q10(log_add_q10(pb[j], pn[j]), lp[0]);
        nn[j] = j ? add_lp_q10(pn[j], lp[y[j - 1]]) : kLogZeroQ10;
        if (j) {
          const int32_t from = j >= 2 && y[j - 1] == y[j - 2] ? pb[j - 1] : log_add_q10(pb[j - 1], pn[j - 1]);
          nn[j] = log_add_q10(nn[j], add_lp_q10(from, lp[y[j - 1]]));
        }
      }
      pb.swap(nb);
      pn.swap(nn);
    }
    const int64_t psi = log_add_q10(pb[L], pn[L]);
    out.push_back({p, psi + int64_t{kCtcCharBonusQ10} * static_cast<int64_t>(L), std::min<int64_t>(0, psi - best - kCtcMatchOffsetQ10)});
  }
  std::stable_sort(out.begin(), out.end(), [](const Scored& a, const Scored& b) { return a.rank > b.rank; });
  return out;
}

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += x + "\n";
  return s;
}

}  // namespace

TEST_CASE("with room for every prefix, the shipped model's phrase and n-best are those of scoring every phrase") {
  OpenModel om(read_file(EARSHOT_SHIPPED_MODEL));
  int exact = 0;
  for (const char* sig : {"speech", "quiet"}) {
    const auto pcm = golden_pcm(sig);
    // What the model hears, then neighbours that share its first words, and others.
    std::string heard;
    {
      Session s(om.model, ctc_cfg());
      heard = s.run_pcm(pcm).text;
    }
    if (heard.empty()) continue;
    std::vector<std::string> phrases = {heard, "turn on the kitchen lights", "set a timer for ten minutes",
                                        "go forward two meters", "stop", "yes", "no"};
    const size_t sp = heard.find(' ');
    if (sp != std::string::npos) phrases.push_back(heard.substr(0, sp) + " stop now");
    phrases.push_back(heard + " please");
    Compiled c(om.model, joined(phrases).c_str());
    Session s(om.model, ctc_cfg());
    Error err;
    REQUIRE(s.rec().set_grammar(c.g, err) == EARSHOT_OK);
    const Trace t = s.run_pcm(pcm);
    const std::vector<Scored> ref = score_all(om.model, t, phrases);
    const NBest nb = nbest_of(s.rec());
    INFO(sig << ": heard '" << heard << "', search '" << t.text << "', reference '" << ref[0].text << "'");
    REQUIRE(ref.size() >= 2);
    REQUIRE(ref[0].rank != ref[1].rank);  // no tie for the first place
    CHECK(t.text == ref[0].text);
    CHECK(s.rec().result().score_q10 == ref[0].rel);
    REQUIRE(nb.text.size() == std::min<size_t>(kCtcSearchNBest, phrases.size()));
    for (size_t i = 0; i < nb.text.size(); ++i) {
      CHECK(nb.text[i] == ref[i].text);
      CHECK(nb.score[i] == ref[i].rel);
    }
    const CtcSearch* cs = s.rec().ctc_search();
    REQUIRE(cs);
    CHECK(cs->forced_prunes() == 0);
    ++exact;
  }
  CHECK(exact >= 1);
}

TEST_CASE("only grammar sentences (or nothing) come out of junk-emitting random models") {
  const char* kGrammars[] = {"turn on the lights\nturn off the lights\nset a timer\nstop\nyes\nno\n",
                             "#JSGF V1.0;\npublic <c> = (go | turn) (left | right) [now];\n",
                             "#JSGF V1.0;\npublic <c> = (left | right | go)+ stop;\n"};  // loops: merged states
  int phrases = 0, runs = 0;
  for (uint64_t seed : {2u, 3u, 5u}) {
    for (bool target : {false, true}) {
      RandomModelSpec spec = target ? RandomModelSpec::target() : RandomModelSpec::tiny();
      spec.seed = seed;
      OpenModel om(spec);
      const auto& hp = om.model.hparams();
      for (const char* src : kGrammars) {
        Compiled c(om.model, src);
        for (uint32_t width : {0u, 3u}) {
          for (const char* sig : {"speech", "chirp", "noise"}) {
            Session s(om.model, ctc_cfg(width));
            Error err;
            REQUIRE(s.rec().set_grammar(c.g, err) == EARSHOT_OK);
            const Trace t = s.run_pcm(golden_pcm(sig));
            const RecognizerResult r = s.rec().result();
            INFO("seed " << seed << " target " << target << " width " << width << " " << sig << ": '" << t.text << "'");
            CHECK(r.is_final);
            for (uint32_t i = 0; i < r.num_nbest; ++i) {
              NBestEntry e;
              REQUIRE(s.rec().nbest(i, e));
              CHECK(c.g->accepts(e.text, hp.vocab_chars, hp.vocab_size));
              CHECK(e.score_q10 <= 0);
              if (i) CHECK(std::string(e.text) != t.text);
            }
            if (!t.text.empty()) {
              CHECK(c.g->accepts(t.text, hp.vocab_chars, hp.vocab_size));
              ++phrases;
            } else if (r.onset >= 0) {
              CHECK(r.no_match);
            }
            ++runs;
          }
        }
      }
    }
  }
  MESSAGE(phrases << " of " << runs << " runs produced a sentence");
  CHECK(phrases > runs / 2);
}

TEST_CASE("chunking and ISA level do not change the result; a tiny width compacts and prunes") {
  RandomModelSpec spec = endless(RandomModelSpec::target());
  spec.seed = 7;
  OpenModel om(spec);
  const auto pcm = mixed_audio();
  Compiled c(om.model, "#JSGF V1.0;\npublic <c> = (left | right | go | stop)+;\n");
  for (const Grammar* g : {static_cast<const Grammar*>(nullptr), c.g}) {
    for (uint32_t width : {0u, 2u, 5u}) {
      Trace first;
      NBest first_nb;
      bool have = false;
      Error err;
      const kernels::Isa before = kernels::isa_active();
      for (kernels::Isa isa : supported_isas()) {
        REQUIRE(kernels::isa_force(isa, err) == EARSHOT_OK);
        for (const std::vector<size_t>& chunks : {std::vector<size_t>{}, std::vector<size_t>{1, 777, 160, 4099}}) {
          Session s(om.model, ctc_cfg(width, 64));
          REQUIRE(s.rec().set_grammar(g, err) == EARSHOT_OK);
          const Trace t = s.run_pcm(pcm, chunks);
          const NBest nb = nbest_of(s.rec());
          const CtcSearch* cs = s.rec().ctc_search();
          REQUIRE(cs);
          CHECK(cs->peak_live() <= (width ? width : kDefaultCtcSearchWidth));
          if (width == 2 && g == nullptr) {
            INFO("grammar " << (g != nullptr) << " text " << t.text.size() << " frames " << t.ctc_tokens.size() << " peak " << cs->peak_live());
            CHECK(cs->compactions() > 0);  // the record pool (4 x width + max_chars + 1 = 73) filled up
          }
          if (!have) {
            first = t, first_nb = nb, have = true;
            INFO("grammar " << (g != nullptr) << " width " << width << ": '" << t.text.substr(0, 80) << "'");
            if (width == 0 || g == nullptr) CHECK(t.text.size() > 10);  // 2 prefixes may all end mid-word
            CHECK(t.text.size() <= 64);
          } else {
            INFO("grammar " << (g != nullptr) << " width " << width << " isa " << kernels::isa_name(isa));
            CHECK(trace_diff(first, t) == "");
            CHECK(nb == first_nb);
          }
        }
      }
      REQUIRE(kernels::isa_force(before, err) == EARSHOT_OK);
    }
  }
}

TEST_CASE("configuration: width bounds, default rejection, and continuous streams") {
  OpenModel om(RandomModelSpec::tiny());
  Error err;
  RecognizerConfig cfg = ctc_cfg(kMaxCtcSearchWidth);
  CHECK(Recognizer::arena_size(om.model, cfg, err) > 0);
  cfg.beam = kMaxCtcSearchWidth + 1;
  CHECK(Recognizer::arena_size(om.model, cfg, err) == 0);
  CHECK(err.status == EARSHOT_ERR_INVALID_ARGUMENT);
  // The arena grows with the width; beam search's 32 limit does not apply.
  RecognizerConfig small = ctc_cfg(64), big = ctc_cfg(1024);
  CHECK(Recognizer::arena_size(om.model, small, err) < Recognizer::arena_size(om.model, big, err));

  // Continuous streams: the first utterance ends on silence (the default
  // endpoint) with what a fresh recognizer gives for the same samples, and
  // the next is searched from its own onset.
  const auto a = golden_pcm("speech");
  std::vector<int16_t> one = a;
  one.insert(one.end(), 32000, 0);
  RecognizerConfig dflt = ctc_cfg();
  dflt.endpoint_ms = 0;
  Session alone(om.model, dflt);
  const Trace t1 = alone.run_pcm(one);
  std::vector<int16_t> two = one;
  two.insert(two.end(), a.begin(), a.end());
  Session stream(om.model, dflt);
  Recognizer& r = stream.rec();
  size_t used = 0;
  REQUIRE(r.push_some(two.data(), two.size(), &used, err) == EARSHOT_OK);
  CHECK(used < one.size());  // stopped on the silence
  const RecognizerResult r1 = r.result();
  CHECK(r1.is_final);
  CHECK(std::string(r1.text) == t1.text);
  REQUIRE(r.next_utterance(err) == EARSHOT_OK);
  REQUIRE(r.push(two.data() + used, two.size() - used, err) == EARSHOT_OK);
  REQUIRE(r.finish(err) == EARSHOT_OK);
  const RecognizerResult r2 = r.result();
  CHECK(r2.onset >= static_cast<int64_t>(one.size() / 480));
  CHECK(r2.num_tokens > 0);
}

TEST_CASE("a pause inside a phrase waits up to two endpoint times; a finished phrase ends at one") {
  // MODEL.md step 6: with the CTC search's best prefix inside a phrase
  // (Search::mid_phrase), the utterance ends on silence only after
  // kMidPhraseEndpoints endpoint times. Shipped model, real grammar use.
  OpenModel om(read_file(EARSHOT_SHIPPED_MODEL));
  const auto speech = golden_pcm("speech");
  RecognizerConfig cfg = ctc_cfg();
  cfg.endpoint_ms = 0;  // the default, 900 ms
  cfg.reject_q15 = 0;   // and the default rejection: a phrase cut short is not the phrase
  const std::vector<std::string> others = {"turn on the kitchen lights", "go forward two meters", "stop", "yes"};
  std::string heard;
  std::vector<uint32_t> frames;
  {
    Session s(om.model, cfg);
    heard = s.run_pcm(speech).text;
    frames = s.trace().token_frames;
  }
  REQUIRE(heard.size() >= 5);
  std::vector<std::string> phrases = others;
  phrases.push_back(heard);
  Compiled c(om.model, joined(phrases).c_str());
  // The word boundary nearest the middle: between the frames of the characters around that space.
  size_t sp = std::string::npos;
  for (size_t i = 1; i + 1 < heard.size(); ++i)
    if (heard[i] == ' ' && (sp == std::string::npos || (i > sp ? i - heard.size() / 2 : heard.size() / 2 - i) <
                                                           (sp > heard.size() / 2 ? sp - heard.size() / 2
                                                                                  : heard.size() / 2 - sp)))
      sp = i;
  REQUIRE(sp != std::string::npos);
  REQUIRE(frames.size() == heard.size());
  const size_t kSamplesPerFrame = 480;  // 3 feature hops of 10 ms at 16 kHz
  const size_t cut = (size_t{frames[sp - 1]} + frames[sp + 1]) / 2 * kSamplesPerFrame;
  const size_t E = 900 * 16;  // the endpoint time in samples

  auto run = [&](size_t pause, size_t* used, std::string* text, bool* is_final) {
    std::vector<int16_t> pcm(speech.begin(), speech.begin() + static_cast<ptrdiff_t>(cut));
    pcm.insert(pcm.end(), pause, 0);
    pcm.insert(pcm.end(), speech.begin() + static_cast<ptrdiff_t>(cut), speech.end());
    pcm.insert(pcm.end(), 3 * E, 0);
    Session s(om.model, cfg);
    Error err;
    REQUIRE(s.rec().set_grammar(c.g, err) == EARSHOT_OK);
    REQUIRE(s.rec().push_some(pcm.data(), pcm.size(), used, err) == EARSHOT_OK);
    const RecognizerResult r = s.rec().result();
    *text = r.no_match ? "(no match)" : r.text;
    *is_final = r.is_final;
    return cut + pause;  // where the speech goes on
  };
  size_t used = 0;
  std::string text;
  bool fin = false;
  // No pause: the phrase, ended one endpoint time (and a little) after its last character.
  run(0, &used, &text, &fin);
  CHECK(fin);
  CHECK(text == heard);
  CHECK(used <= size_t{frames.back() + 2} * kSamplesPerFrame + E + 4 * kSamplesPerFrame);
  // A pause of 1.5 endpoint times after the middle word: still the whole phrase, in one utterance.
  size_t resume = run(E * 3 / 2, &used, &text, &fin);
  INFO("heard '" << heard << "', cut after '" << heard.substr(0, sp) << "'");
  CHECK(fin);
  CHECK(used > resume);
  CHECK(text == heard);
  // A pause of 2.5 endpoint times: the utterance ends inside it, and its first
  // half is not the phrase (the phrase's own prefix there scores far below the
  // best path: rejected).
  resume = run(E * 5 / 2, &used, &text, &fin);
  CHECK(fin);
  CHECK(used < resume);
  CHECK(text != heard);
}
