// The XNNPACK backend as a whole (earshot_xnnpack.h, `earshot --backend xnnpack`):
// the recognizer's matrix products (encoder LSTM layers,
// CTC head, decoder LSTM, advance/query/output heads) run on XNNPACK's qc8
// operators through the per-thread matrix override (lib/kernels/matrix_override.h);
// attention, log-softmax and the front-end stay earshot's. Operators are made
// the first time a weight matrix is used and live as long as this object.
// Not bit-exact with earshot's kernels (lib/kernels/xnnpack/xnn_backend.h).
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "kernels/matrix_override.h"

namespace earshot {

class XnnOverride {
 public:
  XnnOverride() = default;
  XnnOverride(const XnnOverride&) = delete;
  XnnOverride& operator=(const XnnOverride&) = delete;
  ~XnnOverride();
  // Initializes XNNPACK and routes this thread's matrix products to it.
  bool install(std::string& why);
  size_t operators() const { return fc_.size() + lstm_.size(); }
  uint64_t calls() const { return calls_; }
  uint64_t fallbacks() const { return fallbacks_; }  // calls XNNPACK refused (run by earshot's kernels)

 private:
  static bool gemm(void* self, const kernels::S8Matrix& m, const kernels::S8GemmArgs& a);
  static bool lstm(void* self, const kernels::LstmLayer& l, const kernels::LstmStepArgs& a);
  void* scratch(size_t bytes);
  kernels::MatrixOverride hook_;
  bool installed_ = false;
  std::map<std::pair<const void*, int>, void*> fc_;  // (matrix, out type) -> xnn::Fc*
  std::map<const void*, void*> lstm_;                // layer -> xnn::Lstm*
  std::vector<uint8_t> scratch_;
  uint64_t calls_ = 0, fallbacks_ = 0;
};

}  // namespace earshot
