#include "app/golden_check.h"

#include <cstring>
#include <iterator>
#include <span>

#include "app/console.h"
#include "app/golden_data.h"
#include "boards/board.h"
#include "frontend/frontend.h"
#include "golden_list.h"

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the golden files are s16le, read in place");

namespace earshot::fw {
namespace {

bool golden_tables_agree() {
  if (earshot_golden_count != std::size(golden::kNames)) return false;
  for (uint32_t i = 0; i < earshot_golden_count; ++i)
    if (std::strcmp(earshot_golden_blobs[i].name, golden::kNames[i]) != 0) return false;
  return true;
}

int error(const char* message) {
  JsonLine().str("error", message).end();
  return kExitError;
}

}  // namespace

int run_golden_check(const char* corrupt, void* memory, size_t memory_bytes) {
  if (!golden_tables_agree()) return error("golden_data.S and tests/golden/golden_list.h list different signals");

  // The caller's memory: the front-end's block first, then the features (of
  // the longest signal plus one spare frame, so an extra frame shows up as a
  // mismatch instead of being cut off).
  const FrontendConfig cfg;
  const size_t fe_bytes = (Frontend::memory_size(cfg) + 7) & ~size_t{7};
  if (fe_bytes > memory_bytes) return error("memory too small for the front-end");
  Frontend fe;
  Error err;
  if (fe.init(cfg, memory, fe_bytes, err) != EARSHOT_OK) return error(err.message);
  const size_t nf = fe.num_features();
  const std::span<int16_t> features(reinterpret_cast<int16_t*>(static_cast<uint8_t*>(memory) + fe_bytes),
                                    (memory_bytes - fe_bytes) / sizeof(int16_t));

  uint32_t failed = 0;
  for (uint32_t i = 0; i < earshot_golden_count; ++i) {
    const GoldenBlob& g = earshot_golden_blobs[i];
    const std::span<const int16_t> pcm(g.pcm, g.pcm_bytes / 2);
    const std::span<const int16_t> expect(g.feat, g.feat_bytes / 2);
    if (expect.size() + nf > features.size()) return error("golden signal longer than the feature buffer (arena)");

    fe.reset();
    const uint64_t start = board_cycles();
    const size_t frames = frontend_run(fe, pcm, features.first(expect.size() + nf));
    const uint64_t cycles = board_cycles() - start;

    const size_t got = frames * nf;
    if (corrupt && std::strcmp(corrupt, g.name) == 0 && got > 0) features[got / 2] ^= 1;
    // Missing or extra values count as mismatches too.
    size_t mismatches = got > expect.size() ? got - expect.size() : expect.size() - got;
    for (size_t k = 0; k < got && k < expect.size(); ++k) mismatches += features[k] != expect[k];
    failed += mismatches != 0;

    JsonLine()
        .str("golden", g.name)
        .num("frames", static_cast<int64_t>(frames))
        .num("expected_frames", static_cast<int64_t>(expect.size() / nf))
        .num("mismatches", static_cast<int64_t>(mismatches))
        .num("cycles", static_cast<int64_t>(cycles))
        .end();
  }
  JsonLine()
      .num("golden_signals", earshot_golden_count)
      .num("failed", failed)
      .num("frontend_bytes", static_cast<int64_t>(Frontend::memory_size(cfg)))
      .str("result", failed ? "fail" : "pass")
      .end();
  return failed ? kExitCheckFailed : kExitOk;
}

}  // namespace earshot::fw
