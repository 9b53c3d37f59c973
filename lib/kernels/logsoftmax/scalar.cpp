// Scalar integer log-softmax and top-k.
#include "kernels/activation.h"
#include "kernels/logsoftmax/logsoftmax.h"
#include "kernels/tables.h"

namespace earshot::kernels {

int32_t log_sum_exp_q10(const int16_t* z, int32_t n, int32_t* max_out) {
  int32_t m = z[0];
  for (int32_t v = 1; v < n; ++v) m = z[v] > m ? z[v] : m;
  int32_t sum = 0;  // < 65536 * 32768 = 2^31
  for (int32_t v = 0; v < n; ++v) sum += exp_neg_q10_to_q15(m - z[v]);
  // sum = 2^e * (1 + frac), frac in Q30; ln(sum / 2^15) = (e - 15) ln 2 + ln(1 + frac).
  // The highest set bit (sum >= 1: the maximum contributes exp(0)).
  const int32_t e = 31 - __builtin_clz(static_cast<uint32_t>(sum));
  const uint32_t frac = (static_cast<uint32_t>(sum) << (30 - e)) - (1u << 30);
  const int32_t i = static_cast<int32_t>(frac >> 22), r = static_cast<int32_t>((frac >> 14) & 255);
  const int32_t* L = tables::kLn1pQ20.data();
  const int32_t ln_frac = L[i] + (((L[i + 1] - L[i]) * r + 128) >> 8);
  const int32_t lse_q20 = (e - 15) * tables::kLn2Q20 + ln_frac;
  if (max_out) *max_out = m;
  return (lse_q20 + 512) >> 10;
}

void log_softmax_q10(const int16_t* z, int32_t n, int32_t* out) {
  int32_t m;
  const int32_t lse = log_sum_exp_q10(z, n, &m);
  for (int32_t v = 0; v < n; ++v) out[v] = z[v] - m - lse;
}

void top_k(const int32_t* x, int32_t n, int32_t k, int32_t* idx, int32_t* val) {
  int32_t count = 0;
  for (int32_t v = 0; v < n; ++v) {
    const int32_t xv = x[v];
    if (count == k && xv <= x[idx[k - 1]]) continue;  // equal value, higher index: loses
    int32_t pos = count < k ? count++ : k - 1;
    while (pos > 0 && x[idx[pos - 1]] < xv) {
      idx[pos] = idx[pos - 1];
      --pos;
    }
    idx[pos] = v;
  }
  if (val)
    for (int32_t j = 0; j < k; ++j) val[j] = x[idx[j]];
}

}  // namespace earshot::kernels
