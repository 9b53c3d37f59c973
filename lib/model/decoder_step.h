// The decoder's network step (MODEL.md steps 5.1-5.2 and 5.4-5.5) for B
// hypotheses at once, on the batched kernels. The searches (lib/decoder/)
// decide which hypotheses live and which token each follows; this is the one
// place the decoder's tensors are run. Greedy is B = 1 of it, beam search
// B = the live hypotheses, so both give the same bits for the same state.
//
// A step runs in two halves, as the searches need them: head() (5.1-5.2: the
// LSTM on embed[y] ‖ ctx8, then the window advance) and, once each window's
// last frame exists (the wait rule 5.3, the search's business), tail() (5.4:
// query and attention over the window; 5.5: the output logits).
#pragma once
#include <cstddef>
#include <cstdint>

#include "kernels/isa.h"
#include "model/frame_ring.h"
#include "model/model.h"

namespace earshot {

// The state of B hypotheses, row i of each array being hypothesis i's.
struct DecoderRows {
  int8_t* x = nullptr;    // [B][E + H]: embed[y] ‖ ctx8, the LSTM's input (tail() writes ctx8 here)
  int8_t* h8 = nullptr;   // [B][Hd], Q7
  int16_t* c16 = nullptr; // [B][Hd], Q11
  int64_t* p = nullptr;   // [B]: window centre, Q8 encoder frames
};

// One hypothesis's attention window, [first, first + frames).
struct DecoderWindow {
  uint64_t first = 0;
  int32_t frames = 0;
};

class DecoderStep {
 public:
  // Kernel scratch bytes for a step of up to `batch` rows.
  static size_t scratch_size(const ModelHparams& hp, uint32_t batch);
  // MODEL.md 5.4's window around centre c (encoder frames) with n frames so
  // far: [max(0, c - W), min(n - 1, c + W)], a centre past the end reading the
  // last frame alone.
  static DecoderWindow window(int64_t c, int64_t n, int64_t half_window);

  explicit DecoderStep(const Model* m = nullptr) : model_(m) {}
  void set_model(const Model& m) { model_ = &m; }

  // 5.1-5.2 for rows 0..B-1: x[i] <- embed[y[i]] ‖ ctx8[i], the LSTM, then
  // p[i] += the advance. adv: B int16 of room.
  void head(const int32_t* y, uint32_t B, const DecoderRows& s, int16_t* adv, kernels::Isa isa,
            void* scratch) const;
  // 5.4-5.5 for rows 0..B-1 over the frames in `ring`: the query (q8, [B][H]),
  // attention over each row's window (win[i], DecoderStep::window of its
  // centre) into its ctx8, then the logits ([B][V], Q10). probs: null, or room
  // for B x kAttnMaxFrames attention weights (Q15), row i's at i x kAttnMaxFrames.
  void tail(const FrameRing& ring, const DecoderWindow* win, uint32_t B, const DecoderRows& s, int8_t* q8,
            int16_t* logits, int16_t* probs, kernels::Isa isa, void* scratch) const;

 private:
  const Model* model_;
};

}  // namespace earshot
