#include "image/crc32.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define EARSHOT_CRC32_CLMUL 1
#endif

namespace earshot {
namespace {

constexpr auto kTable = [] {
  struct T { uint32_t v[256]; } t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    t.v[i] = c;
  }
  return t;
}();

uint32_t bytewise(const uint8_t* p, size_t n, uint32_t reg) {
  for (size_t i = 0; i < n; ++i) reg = kTable.v[(reg ^ p[i]) & 0xFF] ^ (reg >> 8);
  return reg;
}

#if EARSHOT_CRC32_CLMUL
// The same CRC of whole 16-byte blocks by carry-less multiplication (Gopal et
// al., "Fast CRC Computation for Generic Polynomials Using PCLMULQDQ
// Instruction", Intel 2009): fold four 128-bit lanes by x^512 mod P, then into
// one, then Barrett-reduce to 32 bits. The constants are that paper's for the
// reflected IEEE polynomial (x^k mod P, bit-reflected, shifted by one). A CRC
// is a function of the bytes, so this gives the table's result exactly
// (tests/unit/test_image.cpp compares both on random buffers and lengths).
// reg: the running (inverted) register; n >= 64, a multiple of 16. Only the
// host reads an image this way: the boards keep the table loop.
#define EARSHOT_CLMUL_TARGET __attribute__((target("pclmul,sse4.1")))
EARSHOT_CLMUL_TARGET inline __m128i load(const uint8_t* q) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(q)); }
// x * x^128 (or x^512, per k) mod P, plus the next block.
EARSHOT_CLMUL_TARGET inline __m128i fold(__m128i x, __m128i k, __m128i next) {
  return _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(x, k, 0x11), _mm_clmulepi64_si128(x, k, 0x00)), next);
}

EARSHOT_CLMUL_TARGET uint32_t folded(const uint8_t* p, size_t n, uint32_t reg) {
  const __m128i k1k2 = _mm_set_epi64x(0x01c6e41596, 0x0154442bd4);
  const __m128i k3k4 = _mm_set_epi64x(0x00ccaa009e, 0x01751997d0);
  const __m128i k5 = _mm_set_epi64x(0, 0x0163cd6124);
  const __m128i poly = _mm_set_epi64x(0x01f7011641, 0x01db710641);
  const __m128i lo32 = _mm_setr_epi32(-1, 0, -1, 0);
  __m128i x1 = _mm_xor_si128(load(p), _mm_cvtsi32_si128(static_cast<int>(reg)));
  __m128i x2 = load(p + 16), x3 = load(p + 32), x4 = load(p + 48);
  p += 64, n -= 64;
  for (; n >= 64; p += 64, n -= 64) {
    x1 = fold(x1, k1k2, load(p));
    x2 = fold(x2, k1k2, load(p + 16));
    x3 = fold(x3, k1k2, load(p + 32));
    x4 = fold(x4, k1k2, load(p + 48));
  }
  x1 = fold(x1, k3k4, x2);
  x1 = fold(x1, k3k4, x3);
  x1 = fold(x1, k3k4, x4);
  for (; n >= 16; p += 16, n -= 16) x1 = fold(x1, k3k4, load(p));
  // 128 -> 64 bits.
  x1 = _mm_xor_si128(_mm_srli_si128(x1, 8), _mm_clmulepi64_si128(x1, k3k4, 0x10));
  x1 = _mm_xor_si128(_mm_srli_si128(x1, 4), _mm_clmulepi64_si128(_mm_and_si128(x1, lo32), k5, 0x00));
  // Barrett reduction to 32 bits.
  __m128i t = _mm_clmulepi64_si128(_mm_and_si128(x1, lo32), poly, 0x10);
  t = _mm_clmulepi64_si128(_mm_and_si128(t, lo32), poly, 0x00);
  return static_cast<uint32_t>(_mm_extract_epi32(_mm_xor_si128(x1, t), 1));
}

bool have_clmul() {
  static const bool yes = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
  return yes;
}
#endif

}  // namespace

uint32_t crc32(const uint8_t* p, size_t n, uint32_t crc) {
  uint32_t reg = ~crc;
#if EARSHOT_CRC32_CLMUL
  if (n >= 64 && have_clmul()) {
    const size_t whole = n & ~size_t{15};
    reg = folded(p, whole, reg);
    p += whole, n -= whole;
  }
#endif
  return ~bytewise(p, n, reg);
}

}  // namespace earshot
