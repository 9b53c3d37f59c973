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

// Static memory only. Frontend::memory_size() is not constexpr (it asks
// KissFFT), so the arena has a fixed size and init() checks it is enough.
alignas(8) uint8_t g_frontend_memory[24 * 1024];
// Features of the longest golden signal plus one spare frame, so an extra
// frame shows up as a mismatch instead of being cut off.
int16_t g_features[16 * 1024];

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

int run_golden_check(const char* corrupt) {
  if (!golden_tables_agree()) return error("golden_data.S and tests/golden/golden_list.h list different signals");

  const FrontendConfig cfg;
  Frontend fe;
  Error err;
  if (fe.init(cfg, g_frontend_memory, sizeof g_frontend_memory, err) != EARSHOT_OK) return error(err.message);
  const size_t nf = fe.num_features();

  uint32_t failed = 0;
  for (uint32_t i = 0; i < earshot_golden_count; ++i) {
    const GoldenBlob& g = earshot_golden_blobs[i];
    const std::span<const int16_t> pcm(g.pcm, g.pcm_bytes / 2);
    const std::span<const int16_t> expect(g.feat, g.feat_bytes / 2);
    if (expect.size() + nf > std::size(g_features)) return error("golden signal longer than the feature buffer");

    fe.reset();
    const uint64_t start = board_cycles();
    const size_t frames = frontend_run(fe, pcm, std::span(g_features, expect.size() + nf));
    const uint64_t cycles = board_cycles() - start;

    const size_t got = frames * nf;
    if (corrupt && std::strcmp(corrupt, g.name) == 0 && got > 0) g_features[got / 2] ^= 1;
    // Missing or extra values count as mismatches too.
    size_t mismatches = got > expect.size() ? got - expect.size() : expect.size() - got;
    for (size_t k = 0; k < got && k < expect.size(); ++k) mismatches += g_features[k] != expect[k];
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
