// Kernel timing shared by bench-kernels (random weights) and `earshot bench`
// (the weights of an opened model image): our kernels at any ISA level, and
// the baselines on the same weights — XNNPACK qs8 (per-tensor fully-connected,
// the figure DESIGN.md quotes), the project's XNNPACK backend (per-channel qc8,
// kernels/xnnpack) and float (XNNPACK f32). Baselines return -1 where XNNPACK
// is not built (have_xnnpack() false) or refuses the shape: never a made-up
// number. Library earshot_benchkit (tools/CMakeLists.txt).
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "kernels/attention/attention.h"
#include "kernels/isa.h"
#include "kernels/lstm-step/lstm_step.h"
#include "kernels/s8-gemm/s8_gemm.h"

namespace earshot::bench {

// How long each timing runs: a loop of >= budget_ns, best of `reps` loops
// (the least disturbed by neighbours). Defaults: 3 ms, 5 repetitions.
void set_timing(double budget_ns, int reps);
double ns_per_call(const std::function<void()>& fn);

// This CPU's int8 peak (GMAC/s) from a register-only loop of its best int8
// instruction; 0 where there is no loop for the ISA (`what` says which).
double peak_gmacs(std::string& what);

// A packed matrix's weights row-major ([rows][c0 + c1]) with its bias: what
// XNNPACK's operators and the float baseline take.
struct Dense {
  int32_t rows = 0, c0 = 0, c1 = 0;
  std::vector<int8_t> w;
  std::vector<int32_t> bias;
  int32_t cols() const { return c0 + c1; }
};
Dense dense_of(const kernels::S8Matrix& m);

// Our kernels on one matrix / layer / window, inputs pseudo-random. run(isa)
// is one call (the ISA must be supported).
class GemvBench {
 public:
  GemvBench(const kernels::S8Matrix& m, int32_t batch, kernels::OutType out = kernels::OutType::s16);
  void run(kernels::Isa isa);

 private:
  const kernels::S8Matrix* m_;
  int32_t batch_;
  kernels::OutType out_;
  std::vector<int8_t> x0_, x1_;
  std::vector<int32_t> y_;
  std::vector<uint8_t> scratch_;
};

class LstmBench {
 public:
  LstmBench(const kernels::LstmLayer& l, int32_t batch = 1);
  void run(kernels::Isa isa);

 private:
  const kernels::LstmLayer* l_;
  int32_t batch_;
  std::vector<int8_t> x_, h8_;
  std::vector<int16_t> c16_, h16_;
  std::vector<uint8_t> scratch_;
};

class AttnBench {
 public:
  AttnBench(const kernels::AttnParams& p, bool additive);
  void run(kernels::Isa isa);

 private:
  kernels::AttnParams p_;
  bool additive_;
  std::vector<int8_t> q_, keys_, values_, v_, ctx_;
  std::vector<int16_t> uq_, wk_, probs_;
  std::vector<uint8_t> scratch_;
};

// The decoder's per-step score: log-sum-exp of V logits, then top-k of the log-softmax.
class LogSoftmaxBench {
 public:
  explicit LogSoftmaxBench(int32_t vocab, int32_t k = 8);
  void run();

 private:
  std::vector<int16_t> z_;
  std::vector<int32_t> lp_, idx_;
  int32_t k_;
};

// ---- baselines (ns per call; -1 = not available) --------------------------
bool have_xnnpack();
// XNNPACK qs8 fully-connected (per-tensor scale, the operator its API offers), batch B.
double xnn_qs8_fc_ns(const Dense& d, int32_t batch);
// XNNPACK f32 fully-connected on the same weights (as floats).
double xnn_f32_fc_ns(const Dense& d, int32_t batch);
// One LSTM step composed of XNNPACK qs8 operators: [x | h] copy, FC to int8
// gates, sigmoid/tanh, products and sum: nine operator runs.
double xnn_qs8_lstm_ns(const Dense& gates, int32_t input, int32_t hidden);
// Float LSTM step: XNNPACK f32 FC for the gates + a float cell loop.
double f32_lstm_ns(const Dense& gates, int32_t input, int32_t hidden);
// The project's XNNPACK backend (kernels/xnnpack: per-channel qc8, not bit-exact).
double xnn_backend_fc_ns(const kernels::S8Matrix& m, int32_t batch, kernels::OutType out);
double xnn_backend_lstm_ns(const kernels::LstmLayer& l);

}  // namespace earshot::bench
