// The character LM's lookup (lib/decoder/char_lm.h) against a direct reading
// of MODEL.md "Character LM": the row of the longest stored suffix of
// [<eos>] + tokens; and its table check, one defect at a time.
#include <algorithm>
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "decoder/char_lm.h"
#include "doctest.h"

using namespace earshot;

namespace {

constexpr uint32_t kV = 6;

// A context (oldest first) as its key: base-32 digits token + 1, newest least significant.
int32_t key_of(const std::vector<uint32_t>& ctx) {
  uint32_t k = 0;
  for (uint32_t t : ctx) k = k * 32 + t + 1;
  return static_cast<int32_t>(k);
}

struct Tables {
  std::vector<int32_t> keys;
  std::vector<uint8_t> logp;
  CharLm lm(uint32_t order) const {
    CharLm m;
    m.keys = keys.data();
    m.logp = logp.data();
    m.contexts = static_cast<uint32_t>(keys.size());
    m.vocab = kV;
    m.order = order;
    return m;
  }
};

// Every context of length <= order - 1 over the vocabulary with probability
// `keep` (the empty one always); row i is filled with the value i % 251.
Tables random_tables(uint32_t order, double keep, uint32_t seed, std::map<std::vector<uint32_t>, size_t>& index) {
  std::mt19937 rng(seed);
  std::bernoulli_distribution take(keep);
  std::vector<std::vector<uint32_t>> all = {{}};
  for (size_t i = 0; i < all.size(); ++i)
    if (all[i].size() < order - 1)
      for (uint32_t t = 0; t < kV; ++t) {
        auto c = all[i];
        c.push_back(t);
        all.push_back(c);
      }
  std::vector<std::pair<int32_t, std::vector<uint32_t>>> kept;
  for (const auto& c : all)
    if (c.empty() || take(rng)) kept.push_back({key_of(c), c});
  std::sort(kept.begin(), kept.end());
  Tables t;
  for (size_t i = 0; i < kept.size(); ++i) {
    t.keys.push_back(kept[i].first);
    index[kept[i].second] = i;
    for (uint32_t v = 0; v < kV; ++v) t.logp.push_back(static_cast<uint8_t>((i * kV + v) % 251));
  }
  return t;
}

}  // namespace

TEST_CASE("char LM: the row is the longest stored suffix of [<eos>] + tokens (random tables, every order)") {
  for (uint32_t order = 1; order <= kLmMaxOrder; ++order) {
    std::map<std::vector<uint32_t>, size_t> index;
    const Tables t = random_tables(order, order >= 6 ? 0.05 : 0.5, 17 + order, index);
    const CharLm lm = t.lm(order);
    char why[128];
    REQUIRE(char_lm_valid(lm, why, sizeof why));
    std::mt19937 rng(order);
    std::uniform_int_distribution<uint32_t> tok(1, kV - 1), len(0, 12);
    for (int trial = 0; trial < 400; ++trial) {
      std::vector<uint8_t> toks(len(rng));
      for (auto& x : toks) x = static_cast<uint8_t>(tok(rng));
      std::vector<uint32_t> hist = {0};
      hist.insert(hist.end(), toks.begin(), toks.end());
      size_t want = index.at({});
      for (uint32_t l = 1; l <= std::min<size_t>(order - 1, hist.size()); ++l) {
        const std::vector<uint32_t> suf(hist.end() - l, hist.end());
        const auto it = index.find(suf);
        if (it != index.end()) want = it->second;
      }
      CAPTURE(order);
      CAPTURE(trial);
      CHECK(lm.row(toks.data(), static_cast<uint32_t>(toks.size())) == t.logp.data() + want * kV);
    }
  }
}

TEST_CASE("char LM: logprob_q10 is -64 x the stored 1/16 nat") {
  const uint8_t row[3] = {0, 16, 255};
  CHECK(CharLm::logprob_q10(row, 0) == 0);
  CHECK(CharLm::logprob_q10(row, 1) == -1024);  // 1 nat
  CHECK(CharLm::logprob_q10(row, 2) == -16320);
}

TEST_CASE("char LM: the table check names each defect") {
  std::map<std::vector<uint32_t>, size_t> index;
  const Tables good = random_tables(4, 0.5, 3, index);
  char why[160];
  REQUIRE(char_lm_valid(good.lm(4), why, sizeof why));
  auto fails = [&](Tables t, uint32_t order, const std::string& want) {
    const bool ok = char_lm_valid(t.lm(order), why, sizeof why);
    CHECK_FALSE(ok);
    CHECK_MESSAGE(std::string(why).find(want) != std::string::npos, why);
  };
  fails(good, 0, "lm.order = 0");
  fails(good, 8, "lm.order = 8");
  fails(good, 3, "context of 3 tokens");  // the 4-gram's contexts are too long for order 3
  Tables t = good;
  t.keys.erase(t.keys.begin());
  t.logp.erase(t.logp.begin(), t.logp.begin() + kV);
  fails(t, 4, "empty context");
  t = good;
  std::swap(t.keys[1], t.keys[2]);
  fails(t, 4, "is not above entry 1");
  t = good;
  t.keys[2] = t.keys[1];
  fails(t, 4, "is not above entry 1");
  t = good;
  t.keys.back() = key_of({kV, 0, 1});  // digit kV + 1 (not a token), above every valid key
  fails(t, 4, "holds digit 7");
  t = good;
  t.keys[1] = 32;  // digit 0 in a key: no token
  fails(t, 4, "holds digit 0");
}
