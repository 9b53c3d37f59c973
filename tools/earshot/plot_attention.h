// The decoder's attention weights for `earshot plot`. The library's step
// observer (DecoderStepInfo) reports each step's window, token and logits but
// not the attention probabilities, so they are recomputed here: the greedy
// decoder's step (MODEL.md 5.1, 5.4, 5.5) replayed with the library's own
// kernels over the encoder frames and the tokens the decoder chose. Each
// replayed step's logits must equal the decoder's bit for bit; otherwise the
// weights are withheld (a drift between this replay and the library shows as
// "not available", never as wrong weights).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "model/model.h"

namespace earshot::cli {

struct ObservedStep {
  uint32_t step;               // 0 at each utterance's first step
  int32_t token;               // the decoder's choice (0 = <eos>)
  int64_t position_q8;         // window centre, Q8 encoder frames
  uint64_t window_first;       // first encoder frame of the window
  uint32_t window_frames;
  std::vector<int16_t> logits; // V, Q10
};

// probs[i]: Q15 attention weight of each frame of step i's window. False
// (probs cleared, `why` set) when a replayed step's logits differ from the
// decoder's or a window lies outside the encoder frames.
bool replay_attention(const Model& m, const std::vector<int8_t>& encoder_frames, const std::vector<ObservedStep>& steps,
                      std::vector<std::vector<int16_t>>& probs, std::string& why);

}  // namespace earshot::cli
