// libFuzzer target: the streaming push/pop API. The input's first bytes choose
// chunk sizes, the rest is PCM; any chunking must give exactly the features of
// one whole-buffer run, and nothing may read or write out of bounds.
#include <cstdint>
#include <cstring>
#include <vector>

#include "frontend/frontend.h"

namespace {
struct Fe {
  std::vector<uint64_t> mem;
  earshot::Frontend fe;
  Fe() : mem(earshot::Frontend::memory_size({}) / 8 + 1) {
    earshot::Error err;
    if (fe.init({}, mem.data(), mem.size() * 8, err) != EARSHOT_OK) __builtin_trap();
  }
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 8) return 0;
  const uint8_t* sizes = data;
  std::vector<int16_t> pcm((size - 8) / 2);
  if (!pcm.empty()) std::memcpy(pcm.data(), data + 8, pcm.size() * 2);
  static Fe a, b;
  a.fe.reset();
  b.fe.reset();
  std::vector<int16_t> whole(pcm.size() / 160 * 40 + 40), chunked;
  whole.resize(earshot::frontend_run(a.fe, pcm, whole) * 40);
  std::span<const int16_t> rest(pcm);
  int16_t feat[40];
  for (size_t i = 0; !rest.empty(); ++i) {
    size_t n = 1 + sizes[i % 8] * (1 + sizes[(i + 3) % 8] % 16);
    n = n < rest.size() ? n : rest.size();
    auto chunk = rest.first(n);
    rest = rest.subspan(n);
    while (!chunk.empty()) {
      chunk = chunk.subspan(b.fe.push(chunk));
      while (b.fe.pop(feat)) chunked.insert(chunked.end(), feat, feat + 40);
    }
  }
  if (chunked != whole) __builtin_trap();
  return 0;
}
