// Streaming encoder (MODEL.md steps 1-3): front-end features in, one encoder
// frame out per `stack` features: input quantization, frame stacking, the
// int8 LSTM stack (one lstm_step per layer per encoder frame) and the CTC
// head's logits and greedy token.
//
// State lives in the recognizer's arena (layout()); nothing is allocated.
#pragma once
#include <cstdint>

#include "kernels/isa.h"
#include "model/arena.h"
#include "model/model.h"

namespace earshot {

// How much of the latest input the idle reset runs again from zero state
// (MODEL.md step 2): more than CTC's delay between the start of speech and its
// first non-blank frame, so speech that began just before a reset is not cut.
inline constexpr uint32_t kIdleReplayMs = 300;

class StreamingEncoder {
 public:
  // Scratch bytes the encoder's kernels need (shared with the decoder).
  static size_t scratch_size(const Model& m);
  void layout(ArenaCarver& a, const Model& m);
  void reset();
  // The recognizer's idle reset between utterances (MODEL.md step 2): the LSTM
  // state returns to its stream-start value, then the layers run again over the
  // last kIdleReplayMs of encoder inputs (those since reset() if fewer), as if
  // the stream had begun there.
  // The stacking of the next frame goes on; output() and the CTC results of
  // the frame just pushed are left as they were.
  void idle_reset(kernels::Isa isa, void* scratch);

  // One feature frame (n_mels int16, Q8 dB). Returns true when it completed
  // an encoder frame: output(), ctc_logits() and ctc_token() then describe it.
  bool push_features(const int16_t* features, kernels::Isa isa, void* scratch);

  const int8_t* output() const { return h8_[hp_->enc_layers - 1]; }  // e[n]: H int8, Q7
  const int16_t* ctc_logits() const { return ctc_; }                 // V int16, Q10
  int32_t ctc_token() const { return ctc_token_; }                    // argmax, lowest index on ties

 private:
  void zero_state();
  void start_state(kernels::Isa isa, void* scratch);  // zero, or primed (below)
  void run_layers(const int8_t* stacked, kernels::Isa isa, void* scratch);

  const Model* model_ = nullptr;
  const ModelHparams* hp_ = nullptr;
  int8_t* history_ = nullptr;                // replay_ slots of stack x n_mels int8 (encoder inputs)
  int8_t* stacked_ = nullptr;                // the slot being filled, oldest frame first
  uint32_t replay_ = 1;                      // slots in history_
  uint64_t steps_ = 0;                       // encoder frames since reset()
  int8_t* h8_[kMaxEncoderLayers] = {};       // per layer H, Q7
  int16_t* c16_[kMaxEncoderLayers] = {};     // per layer H, Q11
  int16_t* ctc_ = nullptr;                   // V
  uint32_t filled_ = 0;                      // feature frames in stacked_
  // Primed models (hparams prime_ms > 0) start every stream, and every idle
  // reset, from the state the layers reach over prime_ms of digital silence
  // from zero: computed at the first input, then copied (stream-start state).
  uint32_t prime_steps_ = 0;                 // encoder frames of silence (0: zero start)
  int8_t* start_h8_[kMaxEncoderLayers] = {};
  int16_t* start_c16_[kMaxEncoderLayers] = {};
  bool start_ready_ = false;                 // start_* hold the primed state
  bool at_start_ = true;                     // no input since reset(): state not yet set
  int32_t ctc_token_ = 0;
};

// argmax with ties to the lowest index (MODEL.md steps 3 and 5.5).
inline int32_t argmax_s16(const int16_t* z, int32_t n) {
  int32_t best = 0;
  for (int32_t i = 1; i < n; ++i)
    if (z[i] > z[best]) best = i;
  return best;
}

}  // namespace earshot
