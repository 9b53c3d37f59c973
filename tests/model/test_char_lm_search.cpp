// Shallow fusion of the image's character LM in open-vocabulary beam search
// (MODEL.md "Character LM"): the n-best list is ranked by the fused score,
// recomputed here from the LM tables with the test's own lookup; the LM off
// (or under a grammar) gives exactly the bits of the image without it; any
// chunking and ISA level, and every target (pinned hash), give the same bits;
// the arena is exact; a defective LM section is a named schema error.
#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "decoder/char_lm.h"
#include "decoder/grammar.h"
#include "doctest.h"
#include "fixtures.h"
#include "harness.h"
#include "model/schema.h"

using namespace earshot;
using namespace earshot::test;

namespace {

// The pinned hash of the chunking test's trace and n-best (host x86-64; the
// ARM presets run this test under QEMU and must match it).
constexpr uint64_t kPinnedLmHash = 2083674531061087541ull;

struct Lm {
  uint32_t order = 4;
  std::vector<int32_t> keys;
  std::vector<uint8_t> logp;
  std::map<std::vector<uint32_t>, size_t> index;  // context (oldest first) -> row
};

int32_t key_of(const std::vector<uint32_t>& ctx) {
  uint32_t k = 0;
  for (uint32_t t : ctx) k = k * 32 + t + 1;
  return static_cast<int32_t>(k);
}

// Every context of up to two tokens and a random third of the three-token
// ones; rows of random costs 0..12 (1/16 nat), some near-forbidden (200).
Lm random_lm(uint32_t V, uint32_t seed) {
  std::mt19937 rng(seed);
  Lm lm;
  std::vector<std::vector<uint32_t>> ctx = {{}};
  for (size_t i = 0; i < ctx.size(); ++i)
    if (ctx[i].size() < lm.order - 1)
      for (uint32_t t = 0; t < V; ++t) {
        auto c = ctx[i];
        c.push_back(t);
        if (c.size() < 3 || rng() % 3 == 0) ctx.push_back(c);
      }
  std::vector<std::pair<int32_t, std::vector<uint32_t>>> kept;
  for (const auto& c : ctx) kept.push_back({key_of(c), c});
  std::sort(kept.begin(), kept.end());
  for (size_t i = 0; i < kept.size(); ++i) {
    lm.keys.push_back(kept[i].first);
    lm.index[kept[i].second] = i;
    for (uint32_t v = 0; v < V; ++v) lm.logp.push_back(static_cast<uint8_t>(rng() % 8 == 0 ? 200 : rng() % 13));
  }
  return lm;
}

ImageParts with_lm(const RandomModelSpec& spec, const Lm& lm) {
  ImageParts p = random_model_parts(spec);
  p.set_u32("lm.order", lm.order);
  ImageWriter::Tensor k;
  k.name = "lm.keys";
  k.dtype = DType::kInt32;
  k.dims = {static_cast<uint32_t>(lm.keys.size())};
  k.data = to_bytes(lm.keys);
  ImageWriter::Tensor l;
  l.name = "lm.logp";
  l.dtype = DType::kUInt8;
  l.dims = {static_cast<uint32_t>(lm.keys.size()), static_cast<uint32_t>(lm.logp.size() / lm.keys.size())};
  l.data = lm.logp;
  p.tensors.push_back(k);
  p.tensors.push_back(l);
  return p;
}

// The LM score (Q10) of a whole text and its <eos>, by MODEL.md's lookup (a
// text cut off by the character limit has no <eos>, as its attention score).
int64_t lm_score(const Lm& lm, const Model& m, const std::string& text) {
  const ModelHparams& hp = m.hparams();
  const uint32_t V = hp.vocab_size;
  std::vector<uint32_t> hist = {0};
  int64_t s = 0;
  auto next = [&](uint32_t tok) {
    size_t row = lm.index.at({});
    for (size_t l = 1; l <= std::min<size_t>(lm.order - 1, hist.size()); ++l) {
      const auto it = lm.index.find(std::vector<uint32_t>(hist.end() - static_cast<long>(l), hist.end()));
      if (it != lm.index.end()) row = it->second;
    }
    s -= 64 * lm.logp[row * V + tok];
    hist.push_back(tok);
  };
  for (char ch : text) {
    uint32_t tok = 0;
    for (uint32_t v = 1; v < V; ++v)
      if (hp.vocab_chars[v] == ch) tok = v;
    REQUIRE(tok != 0);
    next(tok);
  }
  if (text.size() < hp.max_chars) next(0);
  return s;
}

}  // namespace

TEST_CASE("char LM: the n-best list is ranked by attention + LM, recomputed from the tables") {
  const auto speech = golden_pcm("speech");
  int lists = 0, changed = 0;
  for (uint64_t seed : {2u, 3u, 5u, 7u}) {
    RandomModelSpec spec = RandomModelSpec::tiny();
    spec.seed = seed;
    const Lm lm = random_lm(29, static_cast<uint32_t>(seed));
    OpenModel plain(random_model_image(spec));
    OpenModel m(with_lm(spec, lm).build());
    REQUIRE(m.model.tensors().lm.present());
    for (uint32_t u : {20u, 60u, 100u}) {
      Session s(m.model, beam_cfg(8, 0, kCtcOff, u));  // attention only: the rank is 100 s + u lm
      s.run_pcm(speech, {480});
      const NBest o = nbest_of(s.rec());
      Session p(plain.model, beam_cfg(8, 0, kCtcOff, 0));
      p.run_pcm(speech, {480});
      changed += !(nbest_of(p.rec()) == o);
      INFO("seed " << seed << " weight " << u);
      for (size_t i = 0; i + 1 < o.text.size(); ++i) {
        // Scored before the check: its message must not run lm_score's REQUIRE, since doctest
        // builds the message inside its own assertion handling (a nested assertion deadlocks
        // there, so a failure, or -s, hung instead of reporting).
        const int64_t la = lm_score(lm, m.model, o.text[i]);
        const int64_t lb = lm_score(lm, m.model, o.text[i + 1]);
        const int64_t a = 100 * int64_t{o.score[i]} + u * la;
        const int64_t b = 100 * int64_t{o.score[i + 1]} + u * lb;
        // a / (n_a + 1) >= b / (n_b + 1)
        CHECK_MESSAGE(a * int64_t(o.text[i + 1].size() + 1) >= b * int64_t(o.text[i].size() + 1),
                      "[" << o.text[i] << "] " << o.score[i] << " " << la << " vs [" << o.text[i + 1] << "] "
                          << o.score[i + 1] << " " << lb);
      }
      lists += o.text.size() > 1;
    }
  }
  CHECK(lists >= 8);    // the ranking check saw real lists
  CHECK(changed >= 6);  // and the LM changed most of them
}

TEST_CASE("char LM: off, or under a grammar, gives exactly the bits of the image without it") {
  const auto speech = golden_pcm("speech");
  for (const RandomModelSpec& spec : {RandomModelSpec::tiny(), endless(RandomModelSpec::tiny())}) {
    const Lm lm = random_lm(29, 11);
    OpenModel plain(random_model_image(spec));
    OpenModel m(with_lm(spec, lm).build());
    Session want(plain.model, beam_cfg(6, 0, 0, 0));
    const Trace t = want.run_pcm(speech, {480});
    Session off(m.model, beam_cfg(6, 0, 0, kLmOff));
    CHECK(trace_diff(off.run_pcm(speech, {480}), t) == "");
    CHECK(nbest_of(off.rec()) == nbest_of(want.rec()));
    CHECK(off.arena_bytes() == want.arena_bytes());  // no LM memory when off

    Compiled c(m.model, "turn on the lights\nstop\nyes\nno\n");
    Error err;
    Session gp(plain.model, beam_cfg(6, 0, 0, 0));
    REQUIRE(gp.rec().set_grammar(c.g, err) == EARSHOT_OK);
    const Trace tg = gp.run_pcm(speech, {480});
    Session gl(m.model, beam_cfg(6, 0, 0, 0));
    REQUIRE(gl.rec().set_grammar(c.g, err) == EARSHOT_OK);
    CHECK(trace_diff(gl.run_pcm(speech, {480}), tg) == "");
    CHECK(nbest_of(gl.rec()) == nbest_of(gp.rec()));
  }
}

TEST_CASE("char LM: any chunking and every ISA level give the same bits; pinned across targets") {
  const auto pcm = mixed_audio();
  RandomModelSpec spec = RandomModelSpec::tiny();
  const Lm lm = random_lm(29, 5);
  OpenModel m(with_lm(spec, lm).build());
  Session whole(m.model, beam_cfg(8, 0, 0, 40));
  const Trace want = whole.run_pcm(pcm);
  const NBest want_nb = nbest_of(whole.rec());
  for (const std::vector<size_t>& p : {std::vector<size_t>{1}, {160, 1}, {1, 1000, 7, 33333}}) {
    Session s(m.model, beam_cfg(8, 0, 0, 40));
    INFO("chunks " << p[0]);
    CHECK(trace_diff(s.run_pcm(pcm, p), want) == "");
    CHECK(nbest_of(s.rec()) == want_nb);
  }
  const kernels::Isa before = kernels::isa_active();
  Error err;
  for (kernels::Isa isa : supported_isas()) {
    REQUIRE(kernels::isa_force(isa, err) == EARSHOT_OK);
    Session s(m.model, beam_cfg(8, 0, 0, 40));
    INFO("isa " << kernels::isa_name(isa));
    CHECK(trace_diff(s.run_pcm(pcm), want) == "");
    CHECK(nbest_of(s.rec()) == want_nb);
  }
  REQUIRE(kernels::isa_force(before, err) == EARSHOT_OK);

  uint64_t h = trace_hash(want);
  for (size_t i = 0; i < want_nb.text.size(); ++i) {
    for (char ch : want_nb.text[i]) h = (h ^ static_cast<uint8_t>(ch)) * 1099511628211ull;
    h = (h ^ static_cast<uint32_t>(want_nb.score[i])) * 1099511628211ull;
  }
  MESSAGE("char LM beam 8 hash " << h);
  CHECK(h == kPinnedLmHash);
}

TEST_CASE("char LM: the arena is exact (one byte less fails) and holds the LM state only when used") {
  const Lm lm = random_lm(29, 3);
  OpenModel plain(random_model_image(RandomModelSpec::tiny()));
  OpenModel m(with_lm(RandomModelSpec::tiny(), lm).build());
  Error err;
  const size_t with = Recognizer::arena_size(m.model, beam_cfg(8, 0, 0, 0), err);
  const size_t without = Recognizer::arena_size(plain.model, beam_cfg(8, 0, 0, 0), err);
  CHECK(with > without);
  CHECK(Recognizer::arena_size(m.model, beam_cfg(8, 0, 0, kLmOff), err) == without);
  CHECK(Recognizer::arena_size(m.model, beam_cfg(1, 0, 0, 0), err) == Recognizer::arena_size(plain.model, beam_cfg(1, 0, 0, 0), err));
  std::vector<uint8_t> buf(with + 64, 0xA5);
  uint8_t* arena = buf.data() + 5;
  CHECK(Recognizer::create(m.model, beam_cfg(8, 0, 0, 0), arena, with - 1, err) == nullptr);
  CHECK(err.status == EARSHOT_ERR_MEMORY_TOO_SMALL);
  Recognizer* r = Recognizer::create(m.model, beam_cfg(8, 0, 0, 0), arena, with, err);
  REQUIRE(r != nullptr);
  const auto speech = golden_pcm("speech");
  REQUIRE(r->push(speech.data(), speech.size(), err) == EARSHOT_OK);
  REQUIRE(r->finish(err) == EARSHOT_OK);
  bool outside = false;
  for (size_t i = 0; i < 5; ++i) outside |= buf[i] != 0xA5;
  for (size_t i = 5 + with; i < buf.size(); ++i) outside |= buf[i] != 0xA5;
  CHECK_FALSE(outside);
  RecognizerConfig bad = beam_cfg(8, 0, 0, 101);
  CHECK(Recognizer::arena_size(m.model, bad, err) == 0);
  CHECK(std::string(err.message).find("lm_weight_pct 101") != std::string::npos);
}

TEST_CASE("char LM: a defective LM section is a named schema error") {
  const Lm lm = random_lm(29, 3);
  const RandomModelSpec spec = RandomModelSpec::tiny();
  auto fails = [](const ImageParts& p, const std::string& want) {
    const std::vector<uint8_t> img = p.build();
    AlignedBytes b(img);
    ModelImage mi;
    Error err;
    REQUIRE(mi.open(b.span(), err) == EARSHOT_OK);
    ModelHparams hp;
    ModelTensors t;
    CHECK(model_schema_open(mi, hp, t, err) == EARSHOT_ERR_BAD_MODEL);
    CHECK_MESSAGE(std::string(err.message).find(want) != std::string::npos, err.message);
  };
  ImageParts p = with_lm(spec, lm);
  p.remove_tensor("lm.logp");
  fails(p, "tensor 'lm.logp' is missing");
  p = with_lm(spec, lm);
  p.remove_meta("lm.order");
  fails(p, "present but metadata 'lm.order' is not");
  p = with_lm(spec, lm);
  p.set_u32("lm.order", 9);
  fails(p, "'lm.order' = 9 is outside [1, 7]");
  p = with_lm(spec, lm);
  p.set_u32("lm.order", 3);
  fails(p, "lm.order 3 allows 2");
  p = with_lm(spec, lm);
  p.tensor("lm.logp")->dims = {static_cast<uint32_t>(lm.keys.size()), 28};
  p.tensor("lm.logp")->data.resize(lm.keys.size() * 28);
  fails(p, "tensor 'lm.logp' has shape");
  p = with_lm(spec, lm);
  std::swap(p.tensor("lm.keys")->data[4], p.tensor("lm.keys")->data[8]);  // keys 1 and 2 swap
  fails(p, "is not above entry 1");
}
