#include "model/encoder.h"

#include <algorithm>
#include <cstring>

#include "kernels/lstm-step/lstm_step.h"
#include "kernels/quant.h"
#include "kernels/s8-gemm/s8_gemm.h"

namespace earshot {

using namespace kernels;

size_t StreamingEncoder::scratch_size(const Model& m) {
  const ModelHparams& hp = m.hparams();
  const auto H = static_cast<int32_t>(hp.enc_hidden);
  size_t s = s8_gemm_scratch_size(H, 0, 1);  // CTC head
  for (uint32_t l = 0; l < hp.enc_layers; ++l)
    s = std::max(s, lstm_scratch_size(m.tensors().enc[l].input_size, H, 1));
  return s;
}

void StreamingEncoder::layout(ArenaCarver& a, const Model& m) {
  model_ = &m;
  hp_ = &m.hparams();
  replay_ = m.encoder_frames_for_ms(kIdleReplayMs);
  history_ = a.take<int8_t>(size_t{replay_} * hp_->stack * hp_->n_mels);
  stacked_ = history_;
  for (uint32_t l = 0; l < hp_->enc_layers; ++l) {
    h8_[l] = a.take<int8_t>(hp_->enc_hidden);
    c16_[l] = a.take<int16_t>(hp_->enc_hidden);
  }
  ctc_ = a.take<int16_t>(hp_->vocab_size);
  prime_steps_ = hp_->prime_ms ? m.encoder_frames_for_ms(hp_->prime_ms) : 0;
  start_ready_ = false;
  if (prime_steps_)
    for (uint32_t l = 0; l < hp_->enc_layers; ++l) {
      start_h8_[l] = a.take<int8_t>(hp_->enc_hidden);
      start_c16_[l] = a.take<int16_t>(hp_->enc_hidden);
    }
}

void StreamingEncoder::zero_state() {
  for (uint32_t l = 0; l < hp_->enc_layers; ++l) {
    std::memset(h8_[l], 0, hp_->enc_hidden);
    std::memset(c16_[l], 0, hp_->enc_hidden * sizeof(int16_t));
  }
}

void StreamingEncoder::start_state(Isa isa, void* scratch) {
  zero_state();
  if (!prime_steps_) return;
  const size_t H = hp_->enc_hidden;
  if (!start_ready_) {
    // Digital silence: the front-end's floor in every band (MODEL.md step 2).
    // Why: from a zero state the models heard speech in their first frames badly
    // (often no text at all); one trained after this silence (train.py
    // --prime-ms) hears such speech as after a pause. history_ is free to serve
    // as the silence here: this runs at the stream's first input, before it lands.
    const ModelTensors& t = model_->tensors();
    const uint32_t M = hp_->n_mels;
    for (uint32_t m = 0; m < M; ++m)
      history_[m] = requant_s8(int32_t{hp_->frontend.floor_db_q8} - t.input_mean_q8[m], t.input_mult[m],
                               t.input_shift[m]);
    for (uint32_t k = 1; k < hp_->stack; ++k) std::memcpy(history_ + size_t{k} * M, history_, M);
    for (uint32_t k = 0; k < prime_steps_; ++k) run_layers(history_, isa, scratch);
    for (uint32_t l = 0; l < hp_->enc_layers; ++l) {
      std::memcpy(start_h8_[l], h8_[l], H);
      std::memcpy(start_c16_[l], c16_[l], H * sizeof(int16_t));
    }
    start_ready_ = true;
    return;
  }
  for (uint32_t l = 0; l < hp_->enc_layers; ++l) {
    std::memcpy(h8_[l], start_h8_[l], H);
    std::memcpy(c16_[l], start_c16_[l], H * sizeof(int16_t));
  }
}

void StreamingEncoder::reset() {
  zero_state();  // the stream-start state is set at the first input (MODEL.md step 2)
  at_start_ = true;
  filled_ = 0;
  steps_ = 0;
  stacked_ = history_;
  ctc_token_ = 0;
}

void StreamingEncoder::idle_reset(Isa isa, void* scratch) {
  start_state(isa, scratch);
  const size_t slot = size_t{hp_->stack} * hp_->n_mels;
  for (uint64_t k = steps_ - std::min<uint64_t>(steps_, replay_); k < steps_; ++k)
    run_layers(history_ + (k % replay_) * slot, isa, scratch);
}

void StreamingEncoder::run_layers(const int8_t* stacked, Isa isa, void* scratch) {
  const ModelTensors& t = model_->tensors();
  const int8_t* x = stacked;
  ptrdiff_t x_stride = static_cast<ptrdiff_t>(hp_->stack * hp_->n_mels);
  for (uint32_t l = 0; l < hp_->enc_layers; ++l) {
    LstmStepArgs a;
    a.x = x;
    a.x_stride = x_stride;
    a.h8_prev = h8_[l];
    a.c16 = c16_[l];
    a.h8 = h8_[l];
    lstm_step_with(isa, t.enc[l], a, scratch);
    x = h8_[l];
    x_stride = static_cast<ptrdiff_t>(hp_->enc_hidden);
  }
}

bool StreamingEncoder::push_features(const int16_t* f, Isa isa, void* scratch) {
  if (at_start_) {  // before the input's first frame lands in history_ (start_state's scratch)
    start_state(isa, scratch);
    at_start_ = false;
  }
  const ModelTensors& t = model_->tensors();
  const uint32_t M = hp_->n_mels;
  // Step 1: per-band normalisation into the encoder's int8 input grid.
  int8_t* x8 = stacked_ + size_t{filled_} * M;
  for (uint32_t m = 0; m < M; ++m)
    x8[m] = requant_s8(int32_t{f[m]} - t.input_mean_q8[m], t.input_mult[m], t.input_shift[m]);
  if (++filled_ < hp_->stack) return false;
  filled_ = 0;

  // Step 2: the LSTM stack on the stacked frames; each layer's h8 feeds the next.
  // The input stays in history_ for a later idle reset's replay.
  run_layers(stacked_, isa, scratch);
  ++steps_;
  stacked_ = history_ + (steps_ % replay_) * size_t{hp_->stack} * M;

  // Step 3: CTC logits of e[n] and the greedy token.
  S8GemmArgs g;
  g.x[0] = output();
  g.x_stride[0] = static_cast<ptrdiff_t>(hp_->enc_hidden);
  g.out_type = OutType::s16;
  g.y = ctc_;
  g.y_stride = static_cast<ptrdiff_t>(hp_->vocab_size);
  s8_gemm_with(isa, t.ctc, g, scratch);
  ctc_token_ = argmax_s16(ctc_, static_cast<int32_t>(hp_->vocab_size));
  return true;
}

}  // namespace earshot
