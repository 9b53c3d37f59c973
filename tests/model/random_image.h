// Random-weight `earshot-las-v1` images built directly from lib/model/MODEL.md
// (no converter, no checkpoint): the fixtures of the runtime's tests, bench and
// the C API test. Weights are uniform int8, and every requantization multiplier
// is chosen from the layer's fan-in so pre-activations land in range (gates
// ~ +-2 in Q12, logits ~ +-2 nats): the network is lively, neither saturated
// nor silent. A pure function of the spec (own PRNG), so every target builds
// the same bytes.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "pack/image_writer.h"

namespace earshot::test {

struct RandomModelSpec {
  std::string arch = "earshot-las-v1";
  std::string name = "random";
  uint32_t n_mels = 40, stack = 3;
  uint32_t layers = 1, hidden = 32;          // encoder L, H
  uint32_t dec_hidden = 32, embed = 8;       // Hd, E
  uint32_t half_window = 8, max_advance_q8 = 3072, max_chars = 200, onset_back = 2;
  uint32_t prime_ms = 0;                     // encoder.prime_ms, written when not 0
  uint64_t seed = 2;
  // Biases in natural-log units added to logits: blank (CTC token 0) and
  // <eos> (decoder token 0). The defaults (with seed 2) give both fixtures a
  // CTC onset after some blank frames and an <eos> after 10-30 characters of
  // tests/golden/speech (a random decoder is bistable: it tends to stop at
  // once or never). A very negative eos_bias makes the decoder run to
  // max_chars, following the audio (bench, long-stream tests).
  double blank_bias = 5.0, eos_bias = 1.5;
  double advance_frames = 2.5;               // mean window advance per character

  static RandomModelSpec tiny();     // H = Hd = 32, E = 8, L = 1: ~40 k parameters
  static RandomModelSpec target();   // 3 x 192 encoder, 192 decoder, E = 32: ~1.2 M parameters
};

// The pieces of an image before it is written, so defect tests can remove or
// replace one and build again.
struct ImageParts {
  struct Meta {
    MetaType type;
    std::string key;
    std::vector<uint8_t> value;
  };
  std::vector<Meta> meta;
  std::vector<ImageWriter::Tensor> tensors;

  void set_u32(const std::string& key, uint32_t v);
  void set_string(const std::string& key, const std::string& v);
  bool remove_meta(const std::string& key);
  ImageWriter::Tensor* tensor(const std::string& name);
  bool remove_tensor(const std::string& name);
  std::vector<uint8_t> build() const;
};

ImageParts random_model_parts(const RandomModelSpec& spec);
inline std::vector<uint8_t> random_model_image(const RandomModelSpec& spec) { return random_model_parts(spec).build(); }

// One packed s8 matrix tensor (layout o16k4) of random weights with the given
// shape: defect tests swap these in with a wrong shape.
ImageWriter::Tensor random_blob(const std::string& name, int32_t rows, int32_t cols0, int32_t cols1, uint64_t seed);

// Parameters (weights + biases) of the spec, for reports.
uint64_t parameter_count(const RandomModelSpec& spec);

}  // namespace earshot::test
