// Many recognizers on threads sharing one model give what one recognizer gives
// alone: greedy, beam and beam under a shared compiled grammar, all running at
// the same time on one Model, through the C++ runtime and through the C API
// (whose last-error message is per thread). Built by every host preset and run
// under ThreadSanitizer by preset host-tsan, which is what makes a data race on
// the shared model, image or grammar (or on a static inside the kernels) fail
// here instead of passing by luck.
//
// Threads only record what they saw; doctest's CHECK runs on the main thread
// (its assertion machinery is not meant to be called from many threads).
#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "doctest.h"
#include "earshot/earshot.h"
#include "fixtures.h"
#include "harness.h"
#include "signals.h"

using namespace earshot;
using namespace earshot::test;

namespace {

// What one utterance produced: the full trace, the final text and the n-best list.
struct Outcome {
  Trace trace;
  std::vector<std::string> nbest;
  std::vector<int32_t> scores;
  bool no_match = false;
  bool operator==(const Outcome&) const = default;
};

struct Job {
  RecognizerConfig cfg;
  const Grammar* grammar = nullptr;
  const char* what = "";
};

Outcome run(Session& s, const Job& job, const std::vector<int16_t>& pcm, const std::vector<size_t>& chunks) {
  Error err;
  s.reset();
  if (s.rec().set_grammar(job.grammar, err) != EARSHOT_OK) throw std::runtime_error(err.message);
  Outcome o;
  o.trace = s.run_pcm(pcm, chunks);
  const RecognizerResult r = s.rec().result();
  o.no_match = r.no_match;
  for (uint32_t i = 0; i < r.num_nbest; ++i) {
    NBestEntry e;
    if (!s.rec().nbest(i, e)) throw std::runtime_error("nbest entry missing");
    o.nbest.emplace_back(e.text);
    o.scores.push_back(e.score_q10);
  }
  return o;
}

std::vector<int16_t> test_audio() {
  std::vector<int16_t> a = golden_pcm("speech");
  const auto n = testsig::noise(4000, 500, 9);
  a.insert(a.end(), n.begin(), n.end());
  const auto s = golden_pcm("speech");
  a.insert(a.end(), s.begin(), s.end());
  return a;
}

const std::vector<std::vector<size_t>> kChunkings = {{}, {1, 511}, {160}, {333, 1}, {4096}, {7, 70, 700}};

}  // namespace

TEST_CASE("greedy, beam and beam+grammar recognizers on threads sharing one Model give the sequential results") {
  // A decoder that follows the audio to the end (endless) runs many steps per
  // utterance, so the threads overlap for the whole run.
  OpenModel m(endless(RandomModelSpec::tiny()));
  const Compiled g(m.model, "turn on the lights\nturn off the lights\nstop\nset a timer for ten minutes\n");
  std::vector<Job> jobs(3);
  jobs[0].what = "greedy";
  jobs[1].cfg.beam = 4;
  jobs[1].what = "beam 4";
  jobs[2].cfg.beam = 3;
  jobs[2].grammar = g.g;
  jobs[2].what = "beam 3 + grammar";
  const auto audio = test_audio();

  std::vector<Outcome> want;
  for (const Job& j : jobs) {
    Session s(m.model, j.cfg);
    want.push_back(run(s, j, audio, {}));
  }
  CHECK(want[0].trace.text.size() > 10);  // the decoder really ran
  CHECK(want[1].nbest.size() > 1);        // a real beam, with alternatives
  CHECK(want[0].trace.dec_tokens != want[1].trace.dec_tokens);  // the jobs differ: a mix-up would show

  constexpr int kThreads = 6;
  std::vector<std::string> diffs(kThreads);
  std::vector<std::thread> pool;
  for (int i = 0; i < kThreads; ++i)
    pool.emplace_back([&, i] {
      try {
        const Job& job = jobs[i % jobs.size()];
        Session s(m.model, job.cfg);
        for (int rep = 0; rep < 2; ++rep) {  // and reset in between
          const Outcome got = run(s, job, audio, kChunkings[(i + rep) % kChunkings.size()]);
          const Outcome& w = want[i % jobs.size()];
          if (!(got == w)) {
            const std::string d = trace_diff(got.trace, w.trace);
            diffs[i] = std::string(job.what) + " rep " + std::to_string(rep) + ": " +
                       (d.empty() ? "n-best differs" : d);
          }
        }
      } catch (const std::exception& e) {
        diffs[i] = e.what();
      }
    });
  for (auto& t : pool) t.join();
  for (int i = 0; i < kThreads; ++i) CHECK_MESSAGE(diffs[i].empty(), "thread " << i << ": " << diffs[i]);
}

TEST_CASE("C API: one earshot_model shared by threads; each thread's last error is its own") {
  const std::vector<uint8_t> bytes = random_model_image(RandomModelSpec::tiny());
  AlignedBytes image(bytes);
  std::vector<unsigned char> handle(earshot_model_handle_size());
  earshot_model* model = nullptr;
  REQUIRE(earshot_model_open(image.span().data(), image.span().size(), handle.data(), handle.size(), &model) ==
          EARSHOT_OK);
  const auto audio = test_audio();

  // One utterance on its own recognizer; returns text + n-best + score, or the error.
  auto recognize = [&](uint32_t beam, size_t chunk) -> std::string {
    earshot_recognizer_config cfg{};
    cfg.beam = beam;
    size_t need = 0;
    if (earshot_arena_size(model, &cfg, &need) != EARSHOT_OK) return std::string("error: ") + earshot_last_error();
    std::vector<unsigned char> arena(need);
    earshot_recognizer* rec = nullptr;
    if (earshot_recognizer_create(model, &cfg, arena.data(), arena.size(), &rec) != EARSHOT_OK)
      return std::string("error: ") + earshot_last_error();
    for (size_t at = 0; at < audio.size(); at += chunk)
      if (earshot_push(rec, audio.data() + at, std::min(chunk, audio.size() - at)) != EARSHOT_OK)
        return std::string("error: ") + earshot_last_error();
    if (earshot_finish(rec) != EARSHOT_OK) return std::string("error: ") + earshot_last_error();
    earshot_result r;
    if (earshot_get_result(rec, &r) != EARSHOT_OK) return "error: get_result";
    std::string out = std::string(r.text) + "|" + std::to_string(r.score_q10);
    for (uint32_t i = 0; i < r.num_nbest; ++i) {
      const char* t = nullptr;
      int32_t sc = 0;
      if (earshot_get_nbest(rec, i, &t, &sc, nullptr) != EARSHOT_OK) return "error: nbest";
      out.append("|").append(t).append(":").append(std::to_string(sc));  // not "|" + string: GCC 12's -Wrestrict false alarm
    }
    return out;
  };
  const std::string want_greedy = recognize(0, audio.size()), want_beam = recognize(4, audio.size());
  REQUIRE(want_greedy.rfind("error", 0) != 0);
  REQUIRE(want_beam.rfind("error", 0) != 0);

  constexpr int kThreads = 4;
  std::vector<std::string> diffs(kThreads);
  std::vector<std::thread> pool;
  for (int i = 0; i < kThreads; ++i)
    pool.emplace_back([&, i] {
      const bool beam = i % 2;
      const std::string got = recognize(beam ? 4 : 0, 160 + 97 * i);
      if (got != (beam ? want_beam : want_greedy)) diffs[i] = "result: " + got;
      // A failure with a message naming this thread's own number, then a
      // check that the message read back is that one, not another thread's.
      size_t need = 0;
      earshot_recognizer_config cfg{};
      cfg.beam = 33 + i;  // above the limit: EARSHOT_ERR_INVALID_ARGUMENT naming the width
      if (earshot_arena_size(model, &cfg, &need) != EARSHOT_ERR_INVALID_ARGUMENT) diffs[i] += " beam not rejected";
      const std::string msg = earshot_last_error();
      if (msg.find(std::to_string(33 + i)) == std::string::npos) diffs[i] += " last error not this thread's: " + msg;
    });
  for (auto& t : pool) t.join();
  for (int i = 0; i < kThreads; ++i) CHECK_MESSAGE(diffs[i].empty(), "thread " << i << ": " << diffs[i]);
}
