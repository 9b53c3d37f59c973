#include "model/decoder_step.h"

#include <algorithm>
#include <cassert>
#include <cstring>

#include "kernels/activation.h"
#include "kernels/attention/attention.h"
#include "kernels/lstm-step/lstm_step.h"
#include "kernels/quant.h"
#include "kernels/s8-gemm/s8_gemm.h"
#include "model/arena.h"

namespace earshot {

using namespace kernels;

size_t DecoderStep::scratch_size(const ModelHparams& hp, uint32_t batch) {
  const auto H = static_cast<int32_t>(hp.enc_hidden), Hd = static_cast<int32_t>(hp.dec_hidden),
             E = static_cast<int32_t>(hp.dec_embed), B = static_cast<int32_t>(batch);
  size_t s = lstm_scratch_size(E + H, Hd, B);
  s = std::max(s, s8_gemm_scratch_size(Hd, 0, B));  // dec.advance, dec.query
  s = std::max(s, s8_gemm_scratch_size(Hd, H, B));  // dec.out
  // The attention kernels get the scratch 64-byte aligned (align64).
  s = std::max(s, attn_scratch_size(static_cast<int32_t>(2 * hp.half_window + 1), H, H) + kArenaAlign);
  return s;
}

DecoderWindow DecoderStep::window(int64_t c, int64_t n, int64_t W) {
  const int64_t last = std::min(n - 1, c + W);
  const int64_t first = std::min(std::max<int64_t>(0, c - W), n - 1);
  return DecoderWindow{static_cast<uint64_t>(first), static_cast<int32_t>(last - first + 1)};
}

void DecoderStep::head(const int32_t* y, uint32_t B, const DecoderRows& s, int16_t* adv, Isa isa,
                       void* scratch) const {
  const ModelTensors& t = model_->tensors();
  const ModelHparams& hp = model_->hparams();
  const size_t X = hp.dec_embed + hp.enc_hidden;
  for (uint32_t i = 0; i < B; ++i)  // ctx8 already follows (the last tail wrote it)
    std::memcpy(s.x + i * X, t.dec_embed + size_t(y[i]) * hp.dec_embed, hp.dec_embed);
  LstmStepArgs a;
  a.batch = static_cast<int32_t>(B);
  a.x = s.x;
  a.x_stride = static_cast<ptrdiff_t>(X);
  a.h8_prev = s.h8;
  a.c16 = s.c16;
  a.h8 = s.h8;
  lstm_step_with(isa, t.dec_lstm, a, scratch);

  S8GemmArgs g;  // Q12 advance logits
  g.batch = static_cast<int32_t>(B);
  g.x[0] = s.h8;
  g.x_stride[0] = static_cast<ptrdiff_t>(hp.dec_hidden);
  g.out_type = OutType::s16;
  g.y = adv;
  g.y_stride = 1;
  s8_gemm_with(isa, t.dec_advance, g, scratch);
  for (uint32_t i = 0; i < B; ++i) s.p[i] += (int64_t{hp.max_advance_q8} * sigmoid_q15(adv[i]) + (1 << 14)) >> 15;
}

void DecoderStep::tail(const FrameRing& ring, const DecoderWindow* win, uint32_t B, const DecoderRows& s,
                       int8_t* q8, int16_t* logits, int16_t* probs, Isa isa, void* scratch) const {
  const ModelTensors& t = model_->tensors();
  const ModelHparams& hp = model_->hparams();
  const auto H = static_cast<ptrdiff_t>(hp.enc_hidden), Hd = static_cast<ptrdiff_t>(hp.dec_hidden),
             E = static_cast<ptrdiff_t>(hp.dec_embed);
  const auto V = static_cast<int32_t>(hp.vocab_size);
  // 5.4: query, then dot-product attention with keys = values = e[j]; ctx8 is
  // written where the next head's LSTM reads it.
  S8GemmArgs g;
  g.batch = static_cast<int32_t>(B);
  g.x[0] = s.h8;
  g.x_stride[0] = Hd;
  g.out_type = OutType::s8;
  g.y = q8;
  g.y_stride = H;
  s8_gemm_with(isa, t.dec_query, g, scratch);
  for (uint32_t i = 0; i < B; ++i) {
    assert(win[i].first >= ring.oldest() && win[i].frames >= 1 && win[i].frames <= 2 * int32_t(hp.half_window) + 1);
    AttnParams ap = t.attn;
    ap.frames = win[i].frames;
    AttnDotArgs at;
    at.q = q8 + i * H;
    at.keys = at.values = ring.window(win[i].first);
    at.key_stride = at.value_stride = H;
    at.ctx = s.x + i * (E + H) + E;
    if (probs) at.probs = probs + size_t{i} * kAttnMaxFrames;
    attn_kernels(isa)->dot(ap, at, align64(scratch));
  }
  // 5.5: output logits over h8 ‖ ctx8.
  g = S8GemmArgs{};
  g.batch = static_cast<int32_t>(B);
  g.x[0] = s.h8;
  g.x_stride[0] = Hd;
  g.x[1] = s.x + E;
  g.x_stride[1] = E + H;
  g.out_type = OutType::s16;
  g.y = logits;
  g.y_stride = V;
  s8_gemm_with(isa, t.dec_out, g, scratch);
}

}  // namespace earshot
