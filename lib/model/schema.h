// The `earshot-las-v1` image schema (MODEL.md "Metadata" and "Tensors"):
// reads the hyperparameters out of a validated ModelImage, checks that every
// tensor the integer algorithm needs is present with the dtype, layout and
// shape the hyperparameters imply, validates every packed blob, and returns
// views into the image. `earshot-pack verify` and the runtime share it, so a
// model the converter accepts is exactly a model the runtime can run.
// No heap, no exceptions: usable on the firmware.
#pragma once
#include <cstdint>
#include <string_view>

#include "common/error.h"
#include "decoder/char_lm.h"
#include "frontend/config.h"
#include "image/image.h"
#include "kernels/attention/attention.h"
#include "kernels/lstm-step/lstm_step.h"
#include "kernels/s8-gemm/s8_gemm.h"

namespace earshot {

inline constexpr char kModelArch[] = "earshot-las-v1";
inline constexpr uint16_t kLayoutO16K4 = 1;  // packed s8 matrix blob (NUMERICS.md)
inline constexpr int kMaxEncoderLayers = 8;
inline constexpr int kMaxVocab = 64;

// Plausibility limits checked by model_schema_open (each names its key on failure).
inline constexpr uint32_t kMaxStack = 16;
inline constexpr uint32_t kMaxHidden = 512;      // encoder H: attention dim (kAttnMaxDim)
inline constexpr uint32_t kMaxDecHidden = 2048;
inline constexpr uint32_t kMaxEmbed = 512;
inline constexpr uint32_t kMaxHalfWindow = (kernels::kAttnMaxFrames - 1) / 2;  // 2W + 1 <= 64
inline constexpr uint32_t kMaxCharsLimit = 4096;
inline constexpr uint32_t kMaxOnsetBack = 64;
inline constexpr uint32_t kMaxPrimeMs = 2000;
inline constexpr uint32_t kMaxAdvanceQ8 = 64 * 256;  // 64 encoder frames per character

struct ModelHparams {
  std::string_view name;             // model.name
  FrontendConfig frontend;
  uint32_t n_mels = 0;               // = frontend.num_mels
  uint32_t stack = 0;                // encoder.stack
  uint32_t enc_layers = 0, enc_hidden = 0;     // L, H
  uint32_t dec_hidden = 0, dec_embed = 0;      // Hd, E
  uint32_t half_window = 0;          // W
  uint32_t max_advance_q8 = 0;       // A
  uint32_t max_chars = 0;
  uint32_t onset_back = 0;
  uint32_t prime_ms = 0;             // encoder.prime_ms (optional): silence run before the stream
  uint32_t vocab_size = 0;           // V; token 0 is <eos> (= CTC blank)
  std::string_view vocab;            // the raw metadata string (tokens joined by '\n')
  char vocab_chars[kMaxVocab] = {};  // character of token i (i >= 1); 0 for <eos>
};

// Views into the image (valid while the image buffer lives).
struct ModelTensors {
  const int32_t* input_mean_q8 = nullptr;  // [n_mels]
  const int32_t* input_mult = nullptr;     // [n_mels]
  const int32_t* input_shift = nullptr;    // [n_mels]
  kernels::LstmLayer enc[kMaxEncoderLayers];
  kernels::S8Matrix ctc;                   // rows V, segment [H]
  const int8_t* dec_embed = nullptr;       // [V][E]
  kernels::LstmLayer dec_lstm;             // rows 4Hd, segments [E + H, Hd]
  kernels::S8Matrix dec_advance;           // rows 1, segment [Hd]
  kernels::S8Matrix dec_query;             // rows H, segment [Hd]
  kernels::S8Matrix dec_out;               // rows V, segments [Hd, H]
  kernels::AttnParams attn;                // frames = 2W + 1, dim = value_dim = H, dec.attn constants
  CharLm lm;                               // optional (metadata lm.order): the character LM; contexts 0 if absent
};

// Checks `img` (already opened) against the schema. On failure `err` names the
// key or tensor and the problem; on success fills both outputs.
earshot_status model_schema_open(const ModelImage& img, ModelHparams& hp, ModelTensors& t, Error& err);

}  // namespace earshot
