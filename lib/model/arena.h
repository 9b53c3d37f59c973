// Carving one caller-given block into 64-byte aligned regions.
//
// The same layout code runs twice: once over a null base to measure (the
// arena size a model and config need), once over the real block. Both passes
// take the same regions in the same order, so the measured size is exactly
// what the real pass uses and cannot drift from it.
#pragma once
#include <cstddef>
#include <cstdint>

namespace earshot {

inline constexpr size_t kArenaAlign = 64;  // cache line; what the kernels prefer

class ArenaCarver {
 public:
  // Measuring pass: no memory behind it; take() returns null.
  ArenaCarver() = default;
  // Real pass over [base, base + bytes); base must be kArenaAlign-aligned.
  ArenaCarver(void* base, size_t bytes) : base_(static_cast<uint8_t*>(base)), cap_(bytes) {}

  // `count` elements of T at the next aligned offset (zeroed in the real pass).
  template <typename T>
  T* take(size_t count) {
    const size_t at = used_;
    used_ = round_up(at + count * sizeof(T));
    if (!base_) return nullptr;
    if (used_ > cap_) { overflow_ = true; return nullptr; }
    uint8_t* p = base_ + at;
    for (size_t i = 0; i < used_ - at; ++i) p[i] = 0;
    return reinterpret_cast<T*>(p);
  }

  // Room for one T that the caller constructs itself (not zeroed: it may
  // already live there).
  template <typename T>
  void skip_object() {
    used_ = round_up(used_ + sizeof(T));
    if (base_ && used_ > cap_) overflow_ = true;
  }

  size_t used() const { return used_; }
  bool overflow() const { return overflow_; }
  static size_t round_up(size_t n) { return (n + kArenaAlign - 1) & ~(kArenaAlign - 1); }

 private:
  uint8_t* base_ = nullptr;
  size_t cap_ = 0, used_ = 0;
  bool overflow_ = false;
};

inline uint8_t* arena_align(void* p) {
  const auto a = reinterpret_cast<uintptr_t>(p);
  return reinterpret_cast<uint8_t*>((a + kArenaAlign - 1) & ~static_cast<uintptr_t>(kArenaAlign - 1));
}

}  // namespace earshot
