// Attention family: parameter checks and the kernel table.
#include "kernels/attention/ukernels.h"
#include "kernels/quant.h"

namespace earshot::kernels {

bool attn_params_ok(const AttnParams& p) {
  auto rq_ok = [](int32_t m, int32_t s) { return m >= 0 && s >= kShiftMin && s <= kShiftMax; };
  return p.frames >= 1 && p.frames <= kAttnMaxFrames && p.dim >= 1 && p.dim <= kAttnMaxDim && p.value_dim >= 1 &&
         p.value_dim <= kAttnMaxDim && rq_ok(p.score_mult, p.score_shift) && rq_ok(p.ctx_mult, p.ctx_shift);
}

size_t attn_scratch_size(int32_t, int32_t dim, int32_t value_dim) {
  // q (or v) widened / biased copies, plus context accumulators.
  return 64 + 4 * static_cast<size_t>(round_up(dim, 64)) + 4 * static_cast<size_t>(round_up(value_dim, 64));
}

const AttnKernels* attn_kernels(Isa isa) {
  static const AttnKernels scalar{attn_dot__scalar, attn_additive__scalar};
#if defined(EARSHOT_KERNELS_X86)
  static const AttnKernels avx2{attn_dot__avx2, attn_additive__avx2};
  static const AttnKernels avx512{attn_dot__avx512vnni, attn_additive__avx512vnni};
#endif
#if defined(EARSHOT_KERNELS_NEON)
  // The additive score is table lookups (NEON has no gather): scalar there.
  static const AttnKernels neon{attn_dot__neon, attn_additive__scalar};
#endif
#if defined(EARSHOT_KERNELS_NEONDOT)
  static const AttnKernels neondot{attn_dot__neondot, attn_additive__scalar};
#endif
  // Cortex-M: the additive score is table lookups (tanh): scalar there.
#if defined(EARSHOT_KERNELS_DSP)
  static const AttnKernels dsp{attn_dot__dsp, attn_additive__scalar};
#endif
#if defined(EARSHOT_KERNELS_MVE)
  static const AttnKernels mve{attn_dot__mve, attn_additive__scalar};
#endif
  switch (isa) {
    case Isa::scalar: return &scalar;
#if defined(EARSHOT_KERNELS_X86)
    case Isa::avx2: return &avx2;
    case Isa::avx512vnni: return &avx512;
#endif
#if defined(EARSHOT_KERNELS_NEON)
    case Isa::neon: return &neon;
#endif
#if defined(EARSHOT_KERNELS_NEONDOT)
    case Isa::neondot: return &neondot;
#endif
#if defined(EARSHOT_KERNELS_DSP)
    case Isa::dsp: return &dsp;
#endif
#if defined(EARSHOT_KERNELS_MVE)
    case Isa::mve: return &mve;
#endif
    default: return nullptr;
  }
}

void attn_dot(const AttnParams& p, const AttnDotArgs& a, void* scratch) {
  attn_kernels(isa_active())->dot(p, a, align64(scratch));
}
void attn_additive(const AttnParams& p, const AttnAddArgs& a, void* scratch) {
  attn_kernels(isa_active())->additive(p, a, align64(scratch));
}

}  // namespace earshot::kernels
