// Golden vectors: committed inputs and the integer features every target must
// reproduce bit for bit (host, aarch64/armv7 under qemu-user; the firmware runs
// the same check under qemu-system-arm). Regenerate only on a deliberate change
// of the front-end: build/host/bin/earshot-golden tests/golden
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "doctest.h"
#include "frontend/frontend.h"
#include "golden_list.h"

using namespace earshot;

namespace {
std::vector<uint8_t> slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  REQUIRE_MESSAGE(f.good(), "cannot open " << path);
  return {std::istreambuf_iterator<char>(f), {}};
}
std::vector<int16_t> as_i16(const std::vector<uint8_t>& b) {
  std::vector<int16_t> v(b.size() / 2);
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<int16_t>(b[2 * i] | (b[2 * i + 1] << 8));
  return v;
}
}  // namespace

TEST_CASE("front-end reproduces the golden features bit for bit") {
  FrontendConfig cfg;
  std::vector<uint64_t> mem(Frontend::memory_size(cfg) / 8 + 1);
  Frontend fe;
  Error err;
  REQUIRE(fe.init(cfg, mem.data(), mem.size() * 8, err) == EARSHOT_OK);
  for (const char* name : golden::kNames) {
    const auto pcm = as_i16(slurp(std::string(EARSHOT_GOLDEN_DIR) + "/" + name + ".pcm"));
    const auto expect = as_i16(slurp(std::string(EARSHOT_GOLDEN_DIR) + "/" + name + ".feat"));
    std::vector<int16_t> got(expect.size() + 40);
    fe.reset();
    got.resize(frontend_run(fe, pcm, got) * fe.num_features());
    INFO(name);
    REQUIRE(got.size() == expect.size());
    size_t diff = 0;
    for (size_t i = 0; i < got.size(); ++i) diff += got[i] != expect[i];
    CHECK(diff == 0);
  }
}
