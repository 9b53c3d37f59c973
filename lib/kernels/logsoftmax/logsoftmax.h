// Integer log-softmax over the output vocabulary and top-k for beam search
// (NUMERICS.md, "Log-softmax"). Logits are int16 Q10 (natural-log units, from
// the output layer's requantization); log-probabilities are int32 Q10 so beam
// scores add without saturation. Scalar on every target: the vocabulary is
// ~30 entries and the cost is a few hundred cycles, below SIMD set-up cost.
#pragma once
#include <cstdint>

namespace earshot::kernels {

inline constexpr int kLogitFracBits = 10;
inline constexpr int kLogSoftmaxMaxN = 65535;

// ln(sum_v exp((z[v] - max) / 1024)) in Q10, >= 0 (n in 1..65535).
int32_t log_sum_exp_q10(const int16_t* z, int32_t n, int32_t* max_out);
// out[v] = z[v] - max - log_sum_exp (Q10, <= 0).
void log_softmax_q10(const int16_t* z, int32_t n, int32_t* out);
// The k largest of x[0..n) in descending order, ties to the lower index
// (1 <= k <= n). idx and val (may be null) receive k entries.
void top_k(const int32_t* x, int32_t n, int32_t k, int32_t* idx, int32_t* val);

}  // namespace earshot::kernels
