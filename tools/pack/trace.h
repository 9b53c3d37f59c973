// The C++ runtime's trace of one utterance (CTC tokens, onset, tokens, every
// decoder step's logits, an encoder checksum) as the JSON dump that the Python
// integer reference (tools/train/intref.py --dump) writes byte for byte: what
// `earshot-pack verify --reference` and the parity test (earshot-run) compare.
#pragma once
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "model/model.h"

namespace earshot::trace {

bool read_file(const char* path, std::vector<uint8_t>& out);
// .npy (version 1-3, '<i2', C order, 2-D with n_mels columns) or raw s16le.
bool load_features(const std::string& path, uint32_t n_mels, std::vector<int16_t>& feats, std::string& why);

struct Trace {
  std::vector<int32_t> ctc_tokens;
  int64_t onset = -1;
  std::vector<int32_t> tokens;
  std::string text;
  std::vector<std::vector<int16_t>> logits;  // per decoder step
  uint32_t checksum = 0;                     // sum over n,k of (n+1)(k+1) e[n][k] mod 2^32
};
// Greedy recognition of the features (push_features, default config) with the active ISA.
bool run(const Model& model, const std::vector<int16_t>& feats, Trace& out, std::string& why);
// The dump, one line: {"ctc_tokens", "onset", "tokens", "text", "dec_logits", "enc_checksum"}.
void write_dump(FILE* f, const Trace& t);

}  // namespace earshot::trace
