// Helium real FFT equal to KissFFT's int32 kiss_fftr (see fft_mve.h).
//
// KissFFT's fixed-point arithmetic (FIXED_POINT=32, FRACBITS 31) and the MVE
// instruction that computes each, exactly:
//   C_FIXDIV(c, d): c = (c * (INT32_MAX / d) + 2^30) >> 31 (int64)  = VQRDMULH by
//     INT32_MAX / d: (2ab + 2^31) >> 32 is the same integer, and it saturates
//     only for INT32_MIN * INT32_MIN, which a positive constant never is;
//   C_MUL(m, a, b): m.r = (a.r b.r - a.i b.i + 2^30) >> 31, m.i = (a.r b.i +
//     a.i b.r + 2^30) >> 31 (one 64-bit sum, one rounding) = VQRDMLSDH (even
//     lanes) then VQRDMLADHX (odd lanes) on {re, im} pairs; they saturate only
//     where the sum leaves int32, which |in| <= 2^30 rules out (fft.h);
//   the butterflies' C_ADD / C_SUB / +-j rotations: VADD, VSUB, VCADD #90/#270
//     (wrapping int32, as C's int arithmetic within its range); HALF_OF: VSHR #1.
// Twiddles are computed as kiss_fft_alloc / kiss_fftr_alloc compute theirs
// (floor(.5 + INT32_MAX * cos(phase)), cos and sin from detmath, as KissFFT's
// are through kissfft_detmath.h), laid out per stage for contiguous loads.
#include "frontend/fft_mve.h"

#include "frontend/detmath.h"
#include "frontend/fftr_split.h"

namespace earshot::fft_mve {
namespace {

// The transform the tables are built for: the front-end's 512-point real FFT
// (a 256-point complex one, 4^4). Other sizes run KissFFT.
constexpr uint32_t kN = 512, kNc = kN / 2, kDigits = 4;

// Table layout (in flash, computed at compile time):
//   stage m = 4, 16, 64: m / 2 blocks of 6: tw1[k], tw1[k+1], tw2[k], tw2[k+1],
//     tw3[k], tw3[k+1] (twj[k] = twiddle j k fstride, fstride = Nc / 4m)
//   super twiddles: Nc / 2 (kiss_fftr's)
//   digit reversal: Nc / 4 uint64 (input index of group g's leg 0)
constexpr uint32_t stage_entries(uint32_t nc) {
  uint32_t e = 0;
  for (uint32_t m = 4; m < nc; m *= 4) e += 3 * m;
  return e;
}

struct Tables {
  Complex32 stage[stage_entries(kNc)];
  Complex32 super[kNc / 2];
  uint64_t rev[kNc / 4];
};

// kf_cexp under FIXED_POINT: floor(.5 + SAMP_MAX * cos(phase)), assigned to
// int32, with cos and sin as KissFFT gets them (kissfft_detmath.h):
// earshot_det_cos = detmath::cos, earshot_det_sin(x) = detmath::cos(x - pi/2).
// round_half_up(x) is floor(x + .5), the same IEEE operations.
constexpr Complex32 kiss_cexp(double phase) {
  return {static_cast<int32_t>(detmath::round_half_up(INT32_MAX * detmath::cos(phase))),
          static_cast<int32_t>(detmath::round_half_up(INT32_MAX * detmath::cos(phase - detmath::kPi / 2)))};
}

constexpr Complex32 twiddle(int i, int nfft) {
  const double pi = 3.141592653589793238462643383279502884197169399375105820974944;
  return kiss_cexp(-2 * pi * i / nfft);  // kiss_fft_alloc's expression, same order
}

constexpr Complex32 super_twiddle(int i, int nfft) {
  return kiss_cexp(-3.14159265358979323846264338327 * ((double)(i + 1) / nfft + .5));  // kiss_fftr_alloc's
}

// Input index (complex) of output position o of the leaf level: kf_work's
// recursion takes the most significant base-4 digit of o as the least
// significant of the input index (base-4 digit reversal).
constexpr uint32_t digit_reverse(uint32_t o, uint32_t digits) {
  uint32_t r = 0;
  for (uint32_t i = 0; i < digits; ++i, o /= 4) r = r * 4 + o % 4;
  return r;
}

constexpr Tables make_tables() {
  Tables t{};
  uint32_t e = 0;
  for (uint32_t m = 4; m < kNc; m *= 4) {
    const uint32_t fs = kNc / (4 * m);
    for (uint32_t k = 0; k < m; k += 2)
      for (uint32_t j = 1; j <= 3; ++j) {
        t.stage[e++] = twiddle(static_cast<int>(j * k * fs), static_cast<int>(kNc));
        t.stage[e++] = twiddle(static_cast<int>(j * (k + 1) * fs), static_cast<int>(kNc));
      }
  }
  for (uint32_t i = 0; i < kNc / 2; ++i) t.super[i] = super_twiddle(static_cast<int>(i), static_cast<int>(kNc));
  for (uint32_t g = 0; g < kNc / 4; ++g) t.rev[g] = digit_reverse(4 * g, kDigits);
  return t;
}

alignas(16) constexpr Tables kTables = make_tables();

// Stage m = 1 multiplies by twiddle 0 alone; forward() relies on it being (INT32_MAX, 0).
static_assert(twiddle(0, kNc).re == INT32_MAX && twiddle(0, kNc).im == 0);
static_assert(sizeof(Tables) == (stage_entries(kNc) + kNc / 2) * sizeof(Complex32) + kNc / 4 * sizeof(uint64_t));

}  // namespace

const void* tables(uint32_t n) { return n == kN ? &kTables : nullptr; }

}  // namespace earshot::fft_mve

#if defined(__ARM_FEATURE_MVE)
#include <arm_mve.h>

namespace earshot::fft_mve {
namespace {

constexpr int32_t kDiv4 = INT32_MAX / 4, kDiv2 = INT32_MAX / 2;

// {a, b} as a vector, loaded from memory (GCC 12 dropped a vcreateq_u64 of
// two run-time values here: the vector was never set).
inline uint64x2_t u64x2(uint64_t a, uint64_t b) {
  const uint64_t v[2] = {a, b};
  return vreinterpretq_u64_u32(vld1q_u32(reinterpret_cast<const uint32_t*>(v)));
}

inline int32x4_t cmul(int32x4_t a, int32x4_t b) {  // C_MUL on two complex pairs
  const int32x4_t re = vqrdmlsdhq_s32(vdupq_n_s32(0), a, b);
  return vqrdmladhxq_s32(re, a, b);
}

// Radix-4 butterfly (kf_bfly4, forward) on two butterflies at once: each
// vector holds one leg of two butterflies.
inline void bfly4(int32x4_t& f0, int32x4_t& f1, int32x4_t& f2, int32x4_t& f3, int32x4_t t1, int32x4_t t2,
                  int32x4_t t3) {
  f0 = vqrdmulhq_n_s32(f0, kDiv4);
  f1 = vqrdmulhq_n_s32(f1, kDiv4);
  f2 = vqrdmulhq_n_s32(f2, kDiv4);
  f3 = vqrdmulhq_n_s32(f3, kDiv4);
  const int32x4_t s0 = cmul(f1, t1), s1 = cmul(f2, t2), s2 = cmul(f3, t3);
  const int32x4_t s5 = vsubq_s32(f0, s1), a0 = vaddq_s32(f0, s1);
  const int32x4_t s3 = vaddq_s32(s0, s2), s4 = vsubq_s32(s0, s2);
  f2 = vsubq_s32(a0, s3);
  f0 = vaddq_s32(a0, s3);
  f1 = vcaddq_rot270_s32(s5, s4);  // {s5.r + s4.i, s5.i - s4.r}
  f3 = vcaddq_rot90_s32(s5, s4);   // {s5.r - s4.i, s5.i + s4.r}
}

}  // namespace

void forward(const void* tables, uint32_t n, const int32_t* in, Complex32* out) {
  const uint32_t nc = n / 2, q = nc / 4;
  const auto* tw = static_cast<const int32_t*>(tables);
  const int32_t* super = tw + 2 * stage_entries(nc);
  const auto* rev = reinterpret_cast<const uint64_t*>(super + nc);
  auto* o = reinterpret_cast<int32_t*>(out);

  // Stage m = 1 on the digit-reversed input: group g's leg l is input complex
  // rev[g] + l q. Two groups a step; twiddle 0 = (INT32_MAX, 0), so C_MUL by it
  // is a VQRDMULH by INT32_MAX of both parts. Outputs go to out[4g + l].
  {
    const auto* b0 = reinterpret_cast<const int64_t*>(in);
    const int64_t *b1 = b0 + q, *b2 = b0 + 2 * q, *b3 = b0 + 3 * q;
    const uint64x2_t pair = u64x2(0, 4);  // groups g and g+1: 4 complex apart
    auto* dst = reinterpret_cast<int64_t*>(o);
    for (uint32_t g = 0; g < q; g += 2) {
      const uint64x2_t idx = vreinterpretq_u64_u32(vld1q_u32(reinterpret_cast<const uint32_t*>(rev + g)));
      int32x4_t f0 = vreinterpretq_s32_s64(vldrdq_gather_shifted_offset_s64(b0, idx));
      int32x4_t f1 = vreinterpretq_s32_s64(vldrdq_gather_shifted_offset_s64(b1, idx));
      int32x4_t f2 = vreinterpretq_s32_s64(vldrdq_gather_shifted_offset_s64(b2, idx));
      int32x4_t f3 = vreinterpretq_s32_s64(vldrdq_gather_shifted_offset_s64(b3, idx));
      f0 = vqrdmulhq_n_s32(f0, kDiv4);
      f1 = vqrdmulhq_n_s32(vqrdmulhq_n_s32(f1, kDiv4), INT32_MAX);
      f2 = vqrdmulhq_n_s32(vqrdmulhq_n_s32(f2, kDiv4), INT32_MAX);
      f3 = vqrdmulhq_n_s32(vqrdmulhq_n_s32(f3, kDiv4), INT32_MAX);
      const int32x4_t s5 = vsubq_s32(f0, f2), a0 = vaddq_s32(f0, f2);
      const int32x4_t s3 = vaddq_s32(f1, f3), s4 = vsubq_s32(f1, f3);
      vstrdq_scatter_shifted_offset_s64(dst, pair, vreinterpretq_s64_s32(vaddq_s32(a0, s3)));
      vstrdq_scatter_shifted_offset_s64(dst + 1, pair, vreinterpretq_s64_s32(vcaddq_rot270_s32(s5, s4)));
      vstrdq_scatter_shifted_offset_s64(dst + 2, pair, vreinterpretq_s64_s32(vsubq_s32(a0, s3)));
      vstrdq_scatter_shifted_offset_s64(dst + 3, pair, vreinterpretq_s64_s32(vcaddq_rot90_s32(s5, s4)));
      dst += 8;
    }
  }

  // Stages m = 4, 16, ..., N/4: groups of 4m, butterflies k and k+1 together.
  for (uint32_t m = 4; m < nc; m *= 4) {
    for (uint32_t g = 0; g < nc; g += 4 * m) {
      int32_t* p = o + 2 * g;
      const int32_t* t = tw;
      for (uint32_t k = 0; k < m; k += 2, p += 4, t += 12) {
        int32x4_t f0 = vld1q_s32(p), f1 = vld1q_s32(p + 2 * m), f2 = vld1q_s32(p + 4 * m), f3 = vld1q_s32(p + 6 * m);
        bfly4(f0, f1, f2, f3, vld1q_s32(t), vld1q_s32(t + 4), vld1q_s32(t + 8));
        vst1q_s32(p, f0);
        vst1q_s32(p + 2 * m, f1);
        vst1q_s32(p + 4 * m, f2);
        vst1q_s32(p + 6 * m, f3);
      }
    }
    tw += 6 * m;
  }

  // kiss_fftr's split, in place: bins k, k+1 (contiguous) with N-k, N-k-1
  // (a gather / scatter of the two complex in reverse order).
  fftr_split_ends(o, nc);
  // Negating the imaginary lanes: a multiply by {1, -1, 1, -1} (the same wrapping
  // result; GCC 12 loaded a predicate constant 0xF0F0 as 0xFFF0 for VNEGT).
  static const int32_t kConj[4] = {1, -1, 1, -1};
  const int32x4_t conj = vld1q_s32(kConj);
  auto* oc = reinterpret_cast<int64_t*>(out);
  uint64x2_t ridx = u64x2(nc - 1, nc - 2);
  const uint64x2_t two = u64x2(2, 2);
  for (uint32_t k = 1; k <= nc / 2; k += 2, super += 4) {
    int32x4_t fpk = vld1q_s32(o + 2 * k);
    int32x4_t fpnk = vreinterpretq_s32_s64(vldrdq_gather_shifted_offset_s64(oc, ridx));
    fpnk = vmulq_s32(fpnk, conj);
    fpk = vqrdmulhq_n_s32(fpk, kDiv2);
    fpnk = vqrdmulhq_n_s32(fpnk, kDiv2);
    const int32x4_t f1k = vaddq_s32(fpk, fpnk), f2k = vsubq_s32(fpk, fpnk);
    const int32x4_t t = cmul(f2k, vld1q_s32(super));
    vst1q_s32(o + 2 * k, vshrq_n_s32(vaddq_s32(f1k, t), 1));
    int32x4_t d = vsubq_s32(f1k, t);
    d = vmulq_s32(d, conj);
    vstrdq_scatter_shifted_offset_s64(oc, ridx, vreinterpretq_s64_s32(vshrq_n_s32(d, 1)));
    ridx = vreinterpretq_u64_u32(vsubq_u32(vreinterpretq_u32_u64(ridx), vreinterpretq_u32_u64(two)));
  }
}

}  // namespace earshot::fft_mve
#endif  // __ARM_FEATURE_MVE
