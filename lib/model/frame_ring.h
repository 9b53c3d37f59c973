// Ring of the most recent encoder frames (MODEL.md step 6).
//
// R frames at slots n % R, plus a copy of the first M slots after the last
// (slot s < M is written at s and at R + s), so any run of up to M + 1
// consecutive frames still in the ring is one contiguous block: the attention
// kernel reads its window (M + 1 = 2W + 1 frames at most) in place, with no
// gather and no copy. Memory is (R + M) H bytes whatever the utterance length.
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstring>

#include "model/arena.h"

namespace earshot {

class FrameRing {
 public:
  // capacity: R frames of `dim` int8 each; max_window: the longest run window()
  // is asked for (<= R).
  void layout(ArenaCarver& a, uint32_t capacity, uint32_t dim, uint32_t max_window) {
    cap_ = capacity;
    dim_ = dim;
    mirror_ = max_window > 0 ? std::min(max_window, capacity) - 1 : 0;
    buf_ = a.take<int8_t>(size_t{capacity + mirror_} * dim);
  }
  void reset() { count_ = 0; }

  void push(const int8_t* frame) {
    const uint32_t slot = static_cast<uint32_t>(count_ % cap_);
    std::memcpy(buf_ + size_t{slot} * dim_, frame, dim_);
    if (slot < mirror_) std::memcpy(buf_ + size_t{slot + cap_} * dim_, frame, dim_);
    ++count_;
  }

  uint64_t count() const { return count_; }        // N: frames pushed since reset
  uint64_t oldest() const { return count_ > cap_ ? count_ - cap_ : 0; }
  // Frames [first, first + n) as one block of n rows, dim_ apart. The caller
  // guarantees oldest() <= first and first + n <= count() and n <= max_window.
  const int8_t* window(uint64_t first) const { return buf_ + size_t(first % cap_) * dim_; }
  uint32_t capacity() const { return cap_; }

 private:
  int8_t* buf_ = nullptr;
  uint32_t cap_ = 1, dim_ = 0, mirror_ = 0;
  uint64_t count_ = 0;
};

}  // namespace earshot
