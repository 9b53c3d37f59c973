// Fixed-point log-mel front-end: 16 kHz int16 PCM in, int16 features out.
//
// Streaming: push() any number of samples, pop() each complete frame. Frame i
// covers samples [i*hop, i*hop + window); a trailing partial frame is never
// emitted. Chunking never changes the output (bit-identical to one big push).
// Feature unit: Q8 dB (1 LSB = 1/256 dB) of the mel-band energy
//   E[m] = sum_k W_m[k] |sum_n x[n] w[n] e^{-2 pi i k n / N}|^2 / N^2
// with x in int16 sample units, clamped below at config.floor_db_q8.
// See frontend/SPEC.md for the arithmetic, bounds and rounding.
//
// Memory: everything lives in the caller's block (memory_size() bytes, 8-byte
// aligned) which must outlive the Frontend; nothing is allocated.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>

#include "common/error.h"
#include "frontend/config.h"
#include "frontend/fft.h"

namespace earshot {

struct MelBand {
  uint16_t first_bin;  // first FFT bin with a non-zero weight
  uint16_t num_bins;
  uint16_t weight_offset;  // into the shared weight array
};

class Frontend {
 public:
  static size_t memory_size(const FrontendConfig& cfg);
  earshot_status init(const FrontendConfig& cfg, void* mem, size_t size, Error& err);

  // Copies samples until a frame is complete; returns how many were taken.
  // Call pop() when frame_ready(), then push the rest.
  size_t push(std::span<const int16_t> pcm);
  bool frame_ready() const { return fill_ == cfg_.window_samples; }
  // Writes num_mels features and advances by one hop; false if no frame is ready.
  bool pop(std::span<int16_t> features);
  // Forgets buffered samples (start of a new stream).
  void reset() { fill_ = 0; }

  const FrontendConfig& config() const { return cfg_; }
  size_t num_features() const { return cfg_.num_mels; }

  // One frame of exactly window_samples samples -> num_mels features (stateless).
  void compute(const int16_t* frame, int16_t* features) const;

 private:
  FrontendConfig cfg_{};
  const uint16_t* window_q15_ = nullptr;  // Hann, 32768 == 1.0
  const MelBand* bands_ = nullptr;
  const uint16_t* weights_q15_ = nullptr;
  int16_t* samples_ = nullptr;   // window_samples, oldest first
  int32_t* fft_in_ = nullptr;    // fft_size
  Complex32* fft_out_ = nullptr; // fft_size/2 + 1
  uint64_t* power_ = nullptr;    // fft_size/2 + 1, >> kPowerShift
  RealFft fft_;
  uint32_t fill_ = 0;
};

// Helper for whole buffers: runs push/pop over `pcm` and returns frames written
// (at most out.size() / num_features()).
size_t frontend_run(Frontend& fe, std::span<const int16_t> pcm, std::span<int16_t> out);

// Integer log2 in Q16 of x > 0 (exposed for tests).
int32_t log2_q16(uint64_t x);

}  // namespace earshot
