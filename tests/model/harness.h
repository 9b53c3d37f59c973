// Shared by the runtime's tests and bench: an opened random model, a
// recognizer in a heap arena, a record of everything a run produced (so two
// runs compare bit for bit), and the plain non-streaming reference decoder.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "kernels/isa.h"
#include "model/model.h"
#include "model/recognizer.h"
#include "pack/image_writer.h"
#include "random_image.h"

namespace earshot::test {

// What a run produced: every encoder frame, every decoder step.
struct Trace {
  std::vector<int8_t> enc;                 // frames x H
  std::vector<int16_t> ctc_logits;         // frames x V
  std::vector<int32_t> ctc_tokens;
  std::vector<std::vector<int16_t>> dec_logits;
  std::vector<int32_t> dec_tokens;         // per step (0 = <eos> ends)
  std::vector<int64_t> positions_q8;       // per step
  std::string text;
  std::vector<uint32_t> token_frames;
  int64_t onset = -1;
  bool operator==(const Trace&) const = default;
};
// First difference between two traces, "" if none (for doctest messages).
std::string trace_diff(const Trace& a, const Trace& b);
// FNV-1a over everything in a trace (pinned in tests: the same on every target).
uint64_t trace_hash(const Trace& t);
// enc_checksum of the parity dump: sum (n+1)(k+1) e[n][k] mod 2^32.
uint32_t enc_checksum(const Trace& t, uint32_t hidden);

struct OpenModel {
  AlignedBytes bytes;
  Model model;
  explicit OpenModel(const RandomModelSpec& spec);
  explicit OpenModel(const std::vector<uint8_t>& image);
};

// A recognizer in its own arena (exactly arena_size bytes) that records a Trace.
class Session {
 public:
  explicit Session(const Model& m, RecognizerConfig cfg = {});
  Session(const Session&) = delete;  // the observers hold `this`
  Session& operator=(const Session&) = delete;
  Recognizer& rec() { return *rec_; }
  Trace& trace() { return trace_; }
  // Pushes `pcm` in chunks of the given sizes (cycled), then finish(); returns the trace.
  Trace run_pcm(const std::vector<int16_t>& pcm, const std::vector<size_t>& chunks = {});
  Trace run_features(const std::vector<int16_t>& feats, const std::vector<size_t>& chunks = {});
  void reset();  // recognizer and trace
  size_t arena_bytes() const { return arena_.size(); }

 private:
  void collect();
  std::vector<uint8_t> arena_;
  Recognizer* rec_ = nullptr;
  Trace trace_;
  uint32_t H_ = 0, V_ = 0;
};

// Features of `pcm` through the model's front-end, all at once.
std::vector<int16_t> features_of(const Model& m, const std::vector<int16_t>& pcm);

// MODEL.md's algorithm written plainly: encode every frame, keep them all,
// then decode greedily over the full sequence (no ring, no waiting). Uses the
// given ISA's kernels. The endpoint rule ends the input early (0: the default).
Trace offline_reference(const Model& m, const std::vector<int16_t>& feats, kernels::Isa isa, uint32_t max_chars = 0,
                        uint32_t endpoint_ms = 0);

// tests/golden/<name>.pcm
std::vector<int16_t> golden_pcm(const char* name);

// All compiled ISA levels this CPU runs.
std::vector<kernels::Isa> supported_isas();

}  // namespace earshot::test
