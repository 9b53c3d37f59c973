// `--backend xnnpack`: the library's XNNPACK backend (lib/kernels/xnnpack/xnn_override.h)
// where it is built, else a stand-in whose install() says why not.
#pragma once
#include <cstdint>
#include <string>

#if defined(EARSHOT_HAVE_XNNPACK)
#include "kernels/xnnpack/xnn_override.h"
namespace earshot::cli {
using earshot::XnnOverride;
}  // namespace earshot::cli
#else
namespace earshot::cli {
class XnnOverride {
 public:
  bool install(std::string& why) {
    return why = "XNNPACK is not built into this earshot (libxnnpack-dev was not found when it was configured)", false;
  }
  size_t operators() const { return 0; }
  uint64_t calls() const { return 0; }
  uint64_t fallbacks() const { return 0; }
};
}  // namespace earshot::cli
#endif
