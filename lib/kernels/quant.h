// The one requantization rule and the fixed-point helpers every kernel shares
// (NUMERICS.md states the contract; SIMD variants must reproduce these bits).
#pragma once
#include <cstdint>

namespace earshot::kernels {

// What a matrix product writes per output: the raw int32 accumulator (bias
// included), or the accumulator requantized to int16 / int8.
enum class OutType : uint8_t { s32 = 0, s16 = 1, s8 = 2 };

// Requantization parameters: out = sat((int64(acc) * mult + 2^(shift-1)) >> shift).
// mult in [0, 2^31 - 1], shift in [1, 62]. Round half up (towards +inf), one
// rounding, arithmetic shift; then saturation to the output type.
inline constexpr int32_t kShiftMin = 1;
inline constexpr int32_t kShiftMax = 62;

inline int64_t requant_wide(int32_t acc, int32_t mult, int32_t shift) {
  return (static_cast<int64_t>(acc) * mult + (static_cast<int64_t>(1) << (shift - 1))) >> shift;
}
inline int32_t clamp64(int64_t v, int32_t lo, int32_t hi) {
  return v < lo ? lo : v > hi ? hi : static_cast<int32_t>(v);
}
inline int16_t requant_s16(int32_t acc, int32_t mult, int32_t shift) {
  return static_cast<int16_t>(clamp64(requant_wide(acc, mult, shift), -32768, 32767));
}
inline int8_t requant_s8(int32_t acc, int32_t mult, int32_t shift) {
  return static_cast<int8_t>(clamp64(requant_wide(acc, mult, shift), -128, 127));
}
inline int16_t sat16(int32_t v) { return static_cast<int16_t>(v < -32768 ? -32768 : v > 32767 ? 32767 : v); }
inline int8_t sat8(int32_t v) { return static_cast<int8_t>(v < -128 ? -128 : v > 127 ? 127 : v); }

inline constexpr int round_up(int v, int m) { return (v + m - 1) / m * m; }

// Aligns a caller's scratch pointer up to 64 bytes (every *_scratch_size()
// includes the 63 bytes this may skip).
inline uint8_t* align64(void* p) {
  const auto a = reinterpret_cast<uintptr_t>(p);
  return reinterpret_cast<uint8_t*>((a + 63) & ~static_cast<uintptr_t>(63));
}

}  // namespace earshot::kernels
