// LSTM cell, Helium (MVE): 4 units a step as int32 lanes (VLDRH.S32 widens
// the int16 gates, VSTRH.32 / VSTRB.32 narrow the results), the activation
// tables read by 32-bit gathers (VLDRW.U32 Q, [table, Qidx, UXTW #2]), the
// last 1..3 units tail-predicated (VCTP32). The arithmetic of cell.h lane by
// lane (every product fits int32, shifts are arithmetic, as in the scalar
// reference), so the same bits.
#include "kernels/lstm-step/cell.h"
#include "kernels/lstm-step/ukernels.h"

#if defined(__ARM_FEATURE_MVE)
#include <arm_mve.h>

namespace earshot::kernels {
namespace {

// act_q12_to_q15 on 4 lanes.
inline int32x4_t act(const int32_t* pairs, int32x4_t x) {
  const int32x4_t u = vaddq_n_s32(x, 32768);                 // 0..65535
  const uint32x4_t idx = vreinterpretq_u32_s32(vshrq_n_s32(u, 8));  // 0..255
  const int32x4_t e = vldrwq_gather_shifted_offset_s32(pairs, idx);
  const int32x4_t base = vshrq_n_s32(vshlq_n_s32(e, 16), 16);
  const int32x4_t delta = vshrq_n_s32(e, 16);
  const int32x4_t frac = vandq_s32(u, vdupq_n_s32(255));
  return vaddq_s32(base, vshrq_n_s32(vaddq_n_s32(vmulq_s32(delta, frac), 128), 8));
}

inline int32x4_t clamp(int32x4_t v, int32_t lo, int32_t hi) {
  return vminq_s32(vmaxq_s32(v, vdupq_n_s32(lo)), vdupq_n_s32(hi));
}

}  // namespace

void lstm_cell__mve(const int16_t* gates, int32_t H, int16_t* c16, int16_t* h16, int8_t* h8) {
  const int32_t* sig = tables::kSigmoidPairs.data();
  const int32_t* tnh = tables::kTanhPairs.data();
  for (int32_t j = 0; j < H; j += 4) {
    // Inactive lanes load 0 (a valid table index after the offset) and store nothing.
    const mve_pred16_t p = vctp32q(static_cast<uint32_t>(H - j));
    const int32x4_t i = act(sig, vldrhq_z_s32(gates + j, p));
    const int32x4_t f = act(sig, vldrhq_z_s32(gates + H + j, p));
    const int32x4_t g = act(tnh, vldrhq_z_s32(gates + 2 * H + j, p));
    const int32x4_t o = act(sig, vldrhq_z_s32(gates + 3 * H + j, p));
    const int32x4_t c = vldrhq_z_s32(c16 + j, p);
    const int32x4_t ig = vshrq_n_s32(vmulq_s32(i, g), 4);
    const int32x4_t sum = vaddq_n_s32(vaddq_s32(vmulq_s32(f, c), ig), 1 << 14);
    const int32x4_t cn = clamp(vshrq_n_s32(sum, 15), -32768, 32767);
    const int32x4_t t = act(tnh, clamp(vshlq_n_s32(cn, 1), -32768, 32767));
    const int32x4_t h = vshrq_n_s32(vaddq_n_s32(vmulq_s32(o, t), 1 << 14), 15);
    const int32x4_t q = clamp(vshrq_n_s32(vaddq_n_s32(h, 128), 8), -128, 127);
    vstrhq_p_s32(c16 + j, cn, p);
    if (h16) vstrhq_p_s32(h16 + j, h, p);
    vstrbq_p_s32(h8 + j, q, p);
  }
}

}  // namespace earshot::kernels
#endif  // __ARM_FEATURE_MVE
