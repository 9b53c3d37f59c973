// libFuzzer target: the model image reader validates before use and never reads
// outside the buffer; after a successful open every accessor stays in bounds.
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "image/image.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // 16-byte aligned, exact-size allocation (ASan reports any overread).
  const size_t alloc = (size + 15) / 16 * 16;
  auto* buf = static_cast<uint8_t*>(std::aligned_alloc(16, alloc ? alloc : 16));
  if (size) std::memcpy(buf, data, size);
  earshot::ModelImage img;
  earshot::Error err;
  if (img.open({buf, size}, err) == EARSHOT_OK) {
    uint32_t acc = 0;
    for (uint32_t i = 0; i < img.tensor_count(); ++i) {
      const auto t = img.tensor(i);
      if (t.data < buf || t.data + t.bytes > buf + size) __builtin_trap();
      for (uint32_t k = 0; k < t.bytes; ++k) acc += t.data[k];
      earshot::TensorView found;
      if (!img.find_tensor(t.name, found)) __builtin_trap();
    }
    for (uint32_t i = 0; i < img.meta_count(); ++i) {
      const auto m = img.meta(i);
      for (auto b : m.value) acc += b;
    }
    uint32_t u;
    (void)img.get_u32("encoder.layers", u, err);
    (void)acc;
  } else if (err.message[0] == '\0') {
    __builtin_trap();
  }
  std::free(buf);
  return 0;
}
