// Local attention over a window of encoder frames (NUMERICS.md, "Attention").
//   dot:      score[t] = q . K[t]                         (int8 x int8 -> int32)
//   additive: score[t] = sum_a v[a] * tanh(sat16(Wk[t][a] + Uq[a]))  (Q12 in, Q15 tanh, int8 v)
//   logits z[t] = requant_s16(score[t], score_mult, score_shift)      Q10 (natural-log units)
//   p = softmax_q15(z)   (max-subtract, exp table, one division; p in Q15, sum ~ 32768)
//   ctx[d] = requant_s8(sum_t p[t] * V[t][d], ctx_mult, ctx_shift)    (p*V is Q15 x s_v)
#pragma once
#include <cstddef>
#include <cstdint>

#include "kernels/isa.h"

namespace earshot::kernels {

inline constexpr int kAttnMaxFrames = 64;
inline constexpr int kAttnMaxDim = 512;  // keys, values, additive dimension (keeps sums in int32)

struct AttnParams {
  int32_t frames = 0;      // T in 1..64 (the local window)
  int32_t dim = 0;         // key / query length D, or the additive dimension A (1..512)
  int32_t value_dim = 0;   // Dv (1..512)
  int32_t score_mult = 0, score_shift = 1;  // score -> Q10 logits (quant.h rule)
  int32_t ctx_mult = 0, ctx_shift = 1;      // sum p*V -> int8 context
};

struct AttnDotArgs {
  const int8_t* q = nullptr;       // [D]
  const int8_t* keys = nullptr;    // [T] rows of D, key_stride apart
  ptrdiff_t key_stride = 0;
  const int8_t* values = nullptr;  // [T] rows of Dv, value_stride apart
  ptrdiff_t value_stride = 0;
  int16_t* probs = nullptr;        // [T] Q15 out; may be null
  int8_t* ctx = nullptr;           // [Dv] out
};

struct AttnAddArgs {
  const int16_t* uq = nullptr;     // [A] Q12: U q of this decoder step
  const int16_t* wk = nullptr;     // [T] rows of A, Q12: W k of each frame (computed once per frame)
  ptrdiff_t wk_stride = 0;
  const int8_t* v = nullptr;       // [A] int8 scoring vector
  const int8_t* values = nullptr;  // [T] rows of Dv
  ptrdiff_t value_stride = 0;
  int16_t* probs = nullptr;        // [T] Q15 out; may be null
  int8_t* ctx = nullptr;           // [Dv] out
};

bool attn_params_ok(const AttnParams& p);
size_t attn_scratch_size(int32_t frames, int32_t dim, int32_t value_dim);
void attn_dot(const AttnParams& p, const AttnDotArgs& a, void* scratch);
void attn_additive(const AttnParams& p, const AttnAddArgs& a, void* scratch);

// Integer softmax of T <= 64 Q10 logits into Q15 probabilities (scalar; the
// SIMD kernels reproduce it): m = max z; e[t] = exp_q15(m - z[t]);
// s = sum e; inv = 2^30 / s (floor); p[t] = min(32767, (e[t] * inv + 2^14) >> 15).
void softmax_q10_to_q15(const int16_t* z, int32_t n, int16_t* p);

struct AttnKernels {
  void (*dot)(const AttnParams& p, const AttnDotArgs& a, void* scratch);
  void (*additive)(const AttnParams& p, const AttnAddArgs& a, void* scratch);
};
const AttnKernels* attn_kernels(Isa isa);  // null where not compiled

}  // namespace earshot::kernels
