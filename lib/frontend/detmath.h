// Deterministic double-precision cos, ln and exp built from + - * / only.
//
// Why: the front-end's tables (Hann window, mel filterbank) are rounded to
// integers, and glibc's and newlib's libm may differ in the last bit, which could
// flip a rounding and break bit-exactness between host and board. IEEE basic
// operations are correctly rounded everywhere, so these series give the same
// bits on every target (the library builds with -ffp-contract=off).
// Accuracy: a few ulp, far below the Q15 rounding of the tables they feed.
#pragma once
#include <cstdint>

namespace earshot::detmath {

inline constexpr double kPi = 3.14159265358979323846;
inline constexpr double kLn2 = 0.69314718055994530942;

constexpr double round_half_up(double x) {
  // floor(x + 0.5) without libm; valid for |x| < 2^62.
  double y = x + 0.5;
  auto i = static_cast<int64_t>(y);
  if (static_cast<double>(i) > y) --i;
  return static_cast<double>(i);
}

constexpr double cos(double x) {
  const double two_pi = 2.0 * kPi;
  x -= two_pi * round_half_up(x / two_pi);  // now |x| <= pi (+ rounding)
  double term = 1.0, sum = 1.0;
  const double x2 = x * x;
  for (int n = 1; n <= 24; ++n) {
    term *= -x2 / static_cast<double>((2 * n - 1) * (2 * n));
    sum += term;
  }
  return sum;
}

constexpr double ln(double x) {  // x > 0
  int e = 0;
  while (x >= 2.0) { x *= 0.5; ++e; }
  while (x < 1.0) { x *= 2.0; --e; }
  // ln(m) = 2 atanh(z), z = (m-1)/(m+1) in [0, 1/3]
  const double z = (x - 1.0) / (x + 1.0), z2 = z * z;
  double term = z, sum = 0.0;
  for (int n = 0; n < 40; ++n) {
    sum += term / static_cast<double>(2 * n + 1);
    term *= z2;
  }
  return 2.0 * sum + static_cast<double>(e) * kLn2;
}

constexpr double exp(double x) {
  const double k = round_half_up(x / kLn2);
  const double r = x - k * kLn2;  // |r| <= ln2/2
  double term = 1.0, sum = 1.0;
  for (int n = 1; n <= 30; ++n) {
    term *= r / static_cast<double>(n);
    sum += term;
  }
  for (int i = 0; i < static_cast<int>(k); ++i) sum *= 2.0;
  for (int i = 0; i < -static_cast<int>(k); ++i) sum *= 0.5;
  return sum;
}

constexpr double log2(double x) { return ln(x) / kLn2; }

}  // namespace earshot::detmath
