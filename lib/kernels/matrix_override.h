// A hosted program may route the model's matrix products (s8_gemm_with,
// lstm_step_with) to another backend for the calls made on its own thread:
// earshot's CLI does this for `--backend xnnpack`. Such a backend is not
// bit-exact with the kernels (see xnnpack/xnn_backend.h), allocates, and is
// host-only: bare-metal builds compile the hook out. Attention, log-softmax and
// the front-end always run earshot's own kernels.
#pragma once
#include "kernels/lstm-step/lstm_step.h"
#include "kernels/s8-gemm/s8_gemm.h"

namespace earshot::kernels {

struct MatrixOverride {
  void* self = nullptr;
  // Each returns false to let earshot's kernel run the call instead.
  bool (*gemm)(void* self, const S8Matrix& m, const S8GemmArgs& a) = nullptr;
  bool (*lstm)(void* self, const LstmLayer& l, const LstmStepArgs& a) = nullptr;
};

// Sets (null: clears) the calling thread's override; returns the previous one.
const MatrixOverride* set_thread_matrix_override(const MatrixOverride* o);
const MatrixOverride* thread_matrix_override();

}  // namespace earshot::kernels
