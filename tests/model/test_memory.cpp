// Memory contract of the recognizer: the arena size is exact (at any
// alignment), one byte less fails cleanly at create, nothing is allocated
// after create, nothing is written outside the arena, and recognizers on
// several threads sharing one Model give the sequential results.
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>
#include <thread>

#include "doctest.h"
#include "harness.h"
#include "signals.h"

using namespace earshot;
using namespace earshot::test;

// Counts heap allocations (all threads) so a test can prove a section makes none.
static std::atomic<size_t> g_allocations{0};
void* operator new(size_t n) {
  ++g_allocations;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
// GCC 12 (-O1 with TSan) warns that free() meets operator new's pointer: this
// operator new is malloc, so the pair matches.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
#pragma GCC diagnostic pop

namespace {

RandomModelSpec endless_tiny() {
  RandomModelSpec s = RandomModelSpec::tiny();
  s.eos_bias = -40;
  s.max_chars = 4096;
  return s;
}

constexpr uint8_t kFill = 0xA5;

}  // namespace

TEST_CASE("arena: the exact size works at every alignment, one byte less fails at create and touches nothing") {
  for (const RandomModelSpec& spec : {RandomModelSpec::tiny(), RandomModelSpec::target()}) {
    OpenModel m(spec);
    Error err;
    const size_t need = Recognizer::arena_size(m.model, {}, err);
    REQUIRE(need > 0);
    MESSAGE("H=" << spec.hidden << " L=" << spec.layers << ": arena " << need << " bytes");
    std::vector<uint8_t> buf(need + 128);
    const auto speech = golden_pcm("speech");
    std::string first_text;
    for (size_t off = 0; off < 64; off += 7) {
      uint8_t* arena = buf.data() + off;
      std::memset(buf.data(), kFill, buf.size());
      Recognizer* r = Recognizer::create(m.model, {}, arena, need - 1, err);
      CHECK(r == nullptr);
      CHECK(err.status == EARSHOT_ERR_MEMORY_TOO_SMALL);
      CHECK(std::string(err.message).find(std::to_string(need)) != std::string::npos);
      bool untouched = true;
      for (uint8_t v : buf) untouched &= v == kFill;
      CHECK(untouched);

      r = Recognizer::create(m.model, {}, arena, need, err);
      REQUIRE(r != nullptr);
      REQUIRE(r->push(speech.data(), speech.size(), err) == EARSHOT_OK);
      REQUIRE(r->finish(err) == EARSHOT_OK);
      if (off == 0) first_text = r->result().text;
      CHECK(first_text == r->result().text);
      // Nothing outside [arena, arena + need) was written.
      bool outside = false;
      for (size_t i = 0; i < off; ++i) outside |= buf[i] != kFill;
      for (size_t i = off + need; i < buf.size(); ++i) outside |= buf[i] != kFill;
      CHECK_FALSE(outside);
    }
    CHECK(Recognizer::create(m.model, {}, nullptr, need, err) == nullptr);
    CHECK(err.status == EARSHOT_ERR_MEMORY_TOO_SMALL);
  }
}

TEST_CASE("arena: larger configs need more, the size grows with max_chars only") {
  OpenModel m(RandomModelSpec::tiny());
  Error err;
  RecognizerConfig small, large;
  small.max_chars = 10;
  large.max_chars = 4000;
  CHECK(Recognizer::arena_size(m.model, small, err) < Recognizer::arena_size(m.model, large, err));
  Model closed;
  CHECK(Recognizer::arena_size(closed, {}, err) == 0);
  CHECK(err.status == EARSHOT_ERR_INVALID_ARGUMENT);
}

TEST_CASE("no heap use after create: push, finish, result, reset over a long stream") {
  OpenModel m(endless_tiny());
  Error err;
  const size_t need = Recognizer::arena_size(m.model, {}, err);
  std::vector<uint8_t> arena(need + 4096, kFill);
  std::vector<int16_t> pcm = golden_pcm("speech");
  const auto noise = testsig::noise(32000, 2000, 3);
  pcm.insert(pcm.end(), noise.begin(), noise.end());
  Recognizer* r = Recognizer::create(m.model, {}, arena.data(), need, err);
  REQUIRE(r != nullptr);
  const size_t before = g_allocations.load();
  size_t frames = 0;
  for (int round = 0; round < 3; ++round) {
    // ~60 s of audio per round in odd chunks, then finish and reset.
    for (int rep = 0; rep < 14; ++rep)
      for (size_t at = 0; at < pcm.size(); at += 999)
        REQUIRE(r->push(pcm.data() + at, std::min<size_t>(999, pcm.size() - at), err) == EARSHOT_OK);
    REQUIRE(r->finish(err) == EARSHOT_OK);
    frames += r->result().encoder_frames;
    CHECK(r->result().num_tokens > 0);
    r->reset();
  }
  CHECK(g_allocations.load() == before);
  bool guard = true;
  for (size_t i = need; i < arena.size(); ++i) guard &= arena[i] == kFill;
  CHECK(guard);
  MESSAGE(frames << " encoder frames (" << frames * 3 / 100 << " s) without an allocation");
}

TEST_CASE("beam: no heap use during push, finish, result, n-best, reset") {
  OpenModel m(endless_tiny());
  RecognizerConfig cfg;
  cfg.beam = 8;
  Error err;
  const size_t need = Recognizer::arena_size(m.model, cfg, err);
  std::vector<uint8_t> arena(need);
  std::vector<int16_t> pcm = golden_pcm("speech");
  const auto noise = testsig::noise(32000, 2000, 3);
  pcm.insert(pcm.end(), noise.begin(), noise.end());
  Recognizer* r = Recognizer::create(m.model, cfg, arena.data(), need, err);
  REQUIRE(r != nullptr);
  const size_t before = g_allocations.load();
  uint32_t tokens = 0;
  for (int round = 0; round < 2; ++round) {
    for (int rep = 0; rep < 4; ++rep)
      for (size_t at = 0; at < pcm.size(); at += 999)
        REQUIRE(r->push(pcm.data() + at, std::min<size_t>(999, pcm.size() - at), err) == EARSHOT_OK);
    REQUIRE(r->finish(err) == EARSHOT_OK);
    const RecognizerResult res = r->result();
    tokens += res.num_tokens;
    NBestEntry e;
    for (uint32_t i = 0; i < res.num_nbest; ++i) REQUIRE(r->nbest(i, e));
    r->reset();
  }
  CHECK(g_allocations.load() == before);
  CHECK(tokens > 0);
}

TEST_CASE("threads sharing one Model give the sequential results") {
  OpenModel m(endless_tiny());
  OpenModel big(RandomModelSpec::target());
  const auto speech = golden_pcm("speech");
  std::vector<int16_t> mixed = speech;
  const auto n = testsig::noise(8000, 500, 9);
  mixed.insert(mixed.end(), n.begin(), n.end());
  mixed.insert(mixed.end(), speech.begin(), speech.end());
  const std::vector<std::vector<size_t>> chunkings = {{}, {1}, {160}, {333, 1}, {4096}, {7, 70, 700}};

  for (const Model* model : {&m.model, &big.model}) {
    Trace want;
    {
      Session s(*model);
      want = s.run_pcm(mixed);
    }
    constexpr int kThreads = 6;
    std::vector<std::string> diffs(kThreads);
    std::vector<std::thread> pool;
    for (int i = 0; i < kThreads; ++i)
      pool.emplace_back([&, i] {
        Session s(*model);
        for (int rep = 0; rep < 2; ++rep) {  // and reset in between
          s.reset();
          const std::string d = trace_diff(s.run_pcm(mixed, chunkings[i % chunkings.size()]), want);
          if (!d.empty()) diffs[i] = d;
        }
      });
    for (auto& t : pool) t.join();
    for (int i = 0; i < kThreads; ++i) CHECK_MESSAGE(diffs[i].empty(), "thread " << i << ": " << diffs[i]);
  }
}
