/* Force-included into KissFFT's sources (see lib/kissfft.cmake): KissFFT computes
 * its fixed-point twiddles as floor(.5 + SAMP_MAX * cos(phase)). libm's cos may
 * differ by an ulp between glibc and newlib, which could flip a rounding, so the
 * twiddles come from earshot's deterministic series instead (frontend/detmath.h). */
#ifndef EARSHOT_KISSFFT_DETMATH_H
#define EARSHOT_KISSFFT_DETMATH_H
#include <math.h>
#ifdef __cplusplus
extern "C" {
#endif
double earshot_det_cos(double x);
double earshot_det_sin(double x);
#ifdef __cplusplus
}
#endif
#define cos earshot_det_cos
#define sin earshot_det_sin
#endif
