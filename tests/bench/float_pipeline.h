// The usual float log-mel pipeline on KissFFT's float build, as a baseline for
// the benchmark: float window, float real FFT, float mel, log10f.
#pragma once
#include <cstdint>
#include <vector>

#include "frontend/config.h"

namespace earshot {

class FloatPipeline {
 public:
  explicit FloatPipeline(const FrontendConfig& cfg);
  ~FloatPipeline();
  FloatPipeline(const FloatPipeline&) = delete;
  FloatPipeline& operator=(const FloatPipeline&) = delete;
  void compute(const int16_t* frame, float* features_db);

 private:
  FrontendConfig cfg_;
  void* fft_ = nullptr;
  std::vector<float> window_, in_, out_, power_;
  std::vector<uint16_t> first_, count_;
  std::vector<float> weights_;
};

}  // namespace earshot
