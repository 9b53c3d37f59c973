// Double-precision reference of the front-end (hosted builds only): same
// config, same definition of the feature (frontend.h), no integer rounding.
// It bounds the integer front-end's error in tests and the benchmark.
#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include "frontend/config.h"

namespace earshot {

class ReferenceFrontend {
 public:
  explicit ReferenceFrontend(const FrontendConfig& cfg);
  // One frame of window_samples -> num_mels features in dB (floor applied).
  void compute(const int16_t* frame, double* features_db) const;
  // Whole signal, frames as the streaming front-end emits them.
  std::vector<double> run(std::span<const int16_t> pcm) const;

 private:
  FrontendConfig cfg_;
  std::vector<double> window_, cos_, sin_;  // cos_/sin_: (bins x window) DFT basis
  std::vector<std::vector<double>> mel_;     // [mel][bin]
};

}  // namespace earshot
