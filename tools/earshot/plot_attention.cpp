#include "plot_attention.h"

#include <cstring>

#include "kernels/attention/attention.h"
#include "kernels/isa.h"
#include "kernels/lstm-step/lstm_step.h"
#include "kernels/quant.h"
#include "kernels/s8-gemm/s8_gemm.h"
#include "model/greedy_decoder.h"

namespace earshot::cli {

using namespace kernels;

bool replay_attention(const Model& m, const std::vector<int8_t>& enc, const std::vector<ObservedStep>& steps,
                      std::vector<std::vector<int16_t>>& probs, std::string& why) {
  probs.clear();
  const ModelHparams& hp = m.hparams();
  const ModelTensors& t = m.tensors();
  const size_t H = hp.enc_hidden, E = hp.dec_embed, Hd = hp.dec_hidden, V = hp.vocab_size;
  const uint64_t frames = enc.size() / H;
  const Isa isa = isa_active();
  std::vector<uint8_t> scratch_mem(GreedyDecoder::scratch_size(m) + 64);
  void* scratch = align64(scratch_mem.data());
  std::vector<int8_t> x(E + H), h8(Hd), q8(H);
  std::vector<int16_t> c16(Hd), logits(V);
  int32_t y = 0;
  for (const ObservedStep& s : steps) {
    if (s.step == 0) {  // a new utterance: the decoder's start state (step 4)
      std::fill(x.begin(), x.end(), 0);
      std::fill(h8.begin(), h8.end(), 0);
      std::fill(c16.begin(), c16.end(), 0);
      y = 0;
    }
    if (s.window_frames == 0 || s.window_first + s.window_frames > frames || s.logits.size() != V) {
      probs.clear();
      return why = "step " + std::to_string(s.step) + ": window outside the encoder frames", false;
    }
    // 5.1: the LSTM on embed[y] ‖ ctx8.
    std::memcpy(x.data(), t.dec_embed + static_cast<size_t>(y) * E, E);
    LstmStepArgs a;
    a.x = x.data();
    a.x_stride = static_cast<ptrdiff_t>(E + H);
    a.h8_prev = h8.data();
    a.c16 = c16.data();
    a.h8 = h8.data();
    lstm_step_with(isa, t.dec_lstm, a, scratch);
    // 5.4: query and dot-product attention over the window the decoder used.
    S8GemmArgs g;
    g.x[0] = h8.data();
    g.x_stride[0] = static_cast<ptrdiff_t>(Hd);
    g.out_type = OutType::s8;
    g.y = q8.data();
    g.y_stride = static_cast<ptrdiff_t>(H);
    s8_gemm_with(isa, t.dec_query, g, scratch);
    AttnParams ap = t.attn;
    ap.frames = static_cast<int32_t>(s.window_frames);
    std::vector<int16_t> p(s.window_frames);
    AttnDotArgs at;
    at.q = q8.data();
    at.keys = at.values = enc.data() + s.window_first * H;
    at.key_stride = at.value_stride = static_cast<ptrdiff_t>(H);
    at.probs = p.data();
    at.ctx = x.data() + E;
    attn_kernels(isa)->dot(ap, at, align64(scratch));
    // 5.5: the output logits, which must be the decoder's.
    g = S8GemmArgs{};
    g.x[0] = h8.data();
    g.x_stride[0] = static_cast<ptrdiff_t>(Hd);
    g.x[1] = x.data() + E;
    g.x_stride[1] = static_cast<ptrdiff_t>(H);
    g.out_type = OutType::s16;
    g.y = logits.data();
    g.y_stride = static_cast<ptrdiff_t>(V);
    s8_gemm_with(isa, t.dec_out, g, scratch);
    if (std::memcmp(logits.data(), s.logits.data(), V * sizeof(int16_t)) != 0) {
      probs.clear();
      return why = "step " + std::to_string(s.step) + ": the replayed logits differ from the decoder's", false;
    }
    probs.push_back(std::move(p));
    y = s.token;
  }
  return true;
}

}  // namespace earshot::cli
