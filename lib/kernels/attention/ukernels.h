// Per-ISA attention kernels (internal). Scratch is 64-byte aligned.
#pragma once
#include "kernels/attention/attention.h"

namespace earshot::kernels {

void attn_dot__scalar(const AttnParams& p, const AttnDotArgs& a, void* scratch);
void attn_additive__scalar(const AttnParams& p, const AttnAddArgs& a, void* scratch);
void attn_dot__avx2(const AttnParams& p, const AttnDotArgs& a, void* scratch);
void attn_additive__avx2(const AttnParams& p, const AttnAddArgs& a, void* scratch);
void attn_dot__avx512vnni(const AttnParams& p, const AttnDotArgs& a, void* scratch);
void attn_additive__avx512vnni(const AttnParams& p, const AttnAddArgs& a, void* scratch);
void attn_dot__neon(const AttnParams& p, const AttnDotArgs& a, void* scratch);
void attn_dot__neondot(const AttnParams& p, const AttnDotArgs& a, void* scratch);
void attn_dot__dsp(const AttnParams& p, const AttnDotArgs& a, void* scratch);
void attn_dot__mve(const AttnParams& p, const AttnDotArgs& a, void* scratch);

// Shared scalar pieces (scalar.cpp).
void attn_context__scalar(const AttnParams& p, const int16_t* probs, const int8_t* values, ptrdiff_t stride,
                          int8_t* ctx);
// From the scores z (p.frames, Q10) on, as the reference does it: softmax, the
// context, and the weights copied out when the caller asked for them.
void attn_finish__scalar(const AttnParams& p, const int16_t* z, const int8_t* values, ptrdiff_t stride, int8_t* ctx,
                         int16_t* probs);

}  // namespace earshot::kernels
