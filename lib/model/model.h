// A validated, read-only view of an `earshot-las-v1` model image (MODEL.md).
//
// open() runs the container checks (lib/image) and the model schema
// (schema.h: arch, hyperparameters, every tensor's dtype and shape, every
// packed blob through the kernels' view functions, the vocabulary). After it
// returns OK every pointer the runtime uses points into the caller's image
// buffer: weights are read in place (flash on the board), never copied.
//
// Lifetime: the image buffer must outlive the Model, and the Model must outlive
// every Recognizer created from it. A Model is never written after open(), so
// any number of recognizers on any number of threads may share one.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>

#include "common/error.h"
#include "image/image.h"
#include "model/schema.h"

namespace earshot {

class Model {
 public:
  // Validates `image` (16-byte aligned, FORMAT.md); on failure `err` names the
  // defect (EARSHOT_ERR_BAD_MODEL) and the Model stays unusable.
  earshot_status open(std::span<const uint8_t> image, Error& err);
  bool is_open() const { return open_; }

  const ModelImage& image() const { return image_; }
  const ModelHparams& hparams() const { return hp_; }
  const ModelTensors& tensors() const { return t_; }

  // Samples of audio per encoder frame (stack x hop): token positions are in
  // encoder frames, so frame * this / sample_rate is a time in seconds.
  uint32_t encoder_frame_samples() const { return hp_.stack * hp_.frontend.hop_samples; }
  // A duration in whole encoder frames, rounded up, at least one (the
  // endpoint and the idle reset's replay are both counted so).
  uint32_t encoder_frames_for_ms(uint64_t ms) const {
    const uint64_t per_frame = uint64_t{1000} * encoder_frame_samples();  // ms x sample rate
    const uint64_t n = (ms * hp_.frontend.sample_rate_hz + per_frame - 1) / per_frame;
    return static_cast<uint32_t>(n < 1 ? 1 : n);
  }

 private:
  ModelImage image_;
  ModelHparams hp_;
  ModelTensors t_;
  bool open_ = false;
};

}  // namespace earshot
