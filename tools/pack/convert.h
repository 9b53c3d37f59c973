// Float checkpoint (safetensors from tools/train/export.py) -> `.esm` image of
// the model `earshot-las-v1`, following lib/model/MODEL.md "Quantization"
// exactly. The blobs are written by the kernels' own lstm_pack / s8_matrix_pack,
// so the packed layout is by construction the one the kernels read.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "pack/safetensors.h"

namespace earshot::pack {

// The output alphabet the runtime and the trainer agree on (tools/train/model.py VOCAB).
const std::vector<std::string>& expected_vocab();

struct Multiplier {
  int32_t mult = 0, shift = 0;
};
// MODEL.md quantize_multiplier: S with r * 2^S in [2^30, 2^31), M = round(r * 2^S)
// (M = 2^31 becomes 2^30, S - 1). r <= 0, non-finite, or S outside [1, 62] throws
// a PackError that starts with `what`.
Multiplier quantize_multiplier(double r, const std::string& what);
// r as the pair represents it: M / 2^S.
inline double multiplier_value(Multiplier m) { return static_cast<double>(m.mult) / static_cast<double>(uint64_t{1} << m.shift); }

struct PackOptions {
  std::string name = "model";   // model.name
  std::string lm;               // character LM (tools/train/charlm.py, .safetensors) to include; empty: none
};

// Per image tensor: how far the int8 weights are from the (folded) float
// weights, in units of each row's scale (<= 0.5 by construction).
struct QuantStat {
  std::string tensor;
  int32_t rows = 0, cols = 0;
  double max_err = 0;           // max |q * s_w - w| / s_w
  double rms_err = 0;           // RMS of the same
  double max_bias_err = 0;      // bias in accumulator units (<= 0.5)
  double rel_rms = 0;           // RMS of the dequantization error / RMS of the weights
  double scale_min = 0, scale_max = 0;  // s_w range over the rows
};

struct PackReport {
  double s_in = 0, s_d = 0, s_q = 0;
  bool input_calibrated = false, query_calibrated = false;
  std::vector<QuantStat> stats;
  uint64_t int8_weights = 0;
  size_t image_bytes = 0;
  uint32_t lm_contexts = 0, lm_order = 0;
};

// Validates the checkpoint against its own config and MODEL.md and builds the
// image bytes. Throws PackError naming the tensor / key and the problem.
// `lm`: the character LM to include (MODEL.md "Character LM"), or null.
std::vector<uint8_t> pack_model(const Safetensors& st, const PackOptions& opt, PackReport* report = nullptr,
                                const Safetensors* lm = nullptr);

// Load + pack + atomic write: the `earshot-pack pack` command. On any error it
// throws before `out` is touched (an existing file there stays as it was).
PackReport pack_file(const std::string& in, const std::string& out, const PackOptions& opt);

// Writes `path` via a temporary file in the same folder and a rename, so a
// reader never sees a half-written image and a failure leaves no file behind.
void write_file_atomic(const std::string& path, const std::vector<uint8_t>& bytes);

}  // namespace earshot::pack
