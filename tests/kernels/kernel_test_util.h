// Helpers of the kernel tests: deterministic random data, misaligned buffers
// and a loop over the ISA levels this binary and CPU have.
#pragma once
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "doctest.h"
#include "kernels/isa.h"
#include "signals.h"

namespace ktest {

using earshot::kernels::Isa;

// Runs f(isa) for every non-scalar level compiled in; levels the CPU lacks
// are skipped with a message (once per test case).
template <typename F>
void for_each_simd_isa(F&& f) {
  for (int i = 1; i < earshot::kernels::kIsaCount; ++i) {
    const Isa isa = static_cast<Isa>(i);
    if (!earshot::kernels::isa_compiled(isa)) continue;
    if (!earshot::kernels::isa_supported(isa)) {
      MESSAGE("skipped ISA " << std::string(earshot::kernels::isa_name(isa)) << ": this CPU lacks it");
      continue;
    }
    f(isa);
  }
}

struct Rng : earshot::testsig::Lcg {
  explicit Rng(uint32_t seed) : Lcg{seed} {}
  // Mostly uniform, sometimes an extreme: what SIMD edge cases need.
  int8_t s8(int lo = -128, int hi = 127) {
    const uint32_t r = next() >> 24;
    if (r < 8) return static_cast<int8_t>(lo);
    if (r < 16) return static_cast<int8_t>(hi);
    return static_cast<int8_t>(uniform(lo, hi));
  }
};

// A byte buffer whose data() starts `offset` bytes past a 64-byte boundary.
template <typename T>
struct Buf {
  std::vector<uint8_t> raw;
  size_t off;
  // Room for the alignment skip, the offset and 64 guard bytes after the end.
  Buf(size_t n, size_t offset_bytes, uint8_t fill = 0xA5) : raw(n * sizeof(T) + 128 + offset_bytes, fill), off(0) {
    const auto base = reinterpret_cast<uintptr_t>(raw.data());
    off = ((64 - base % 64) % 64) + offset_bytes;
  }
  T* data() { return reinterpret_cast<T*>(raw.data() + off); }
  T& operator[](size_t i) { return data()[i]; }
  size_t capacity() const { return (raw.size() - off) / sizeof(T); }
};

}  // namespace ktest
