#include "harness.h"

#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "frontend/frontend.h"
#include "kernels/activation.h"
#include "kernels/attention/attention.h"
#include "kernels/lstm-step/lstm_step.h"
#include "kernels/quant.h"
#include "kernels/s8-gemm/s8_gemm.h"
#include "model/encoder.h"
#include "decoder/greedy_decoder.h"

#ifndef EARSHOT_GOLDEN_DIR
#error "EARSHOT_GOLDEN_DIR must point at tests/golden"
#endif

namespace earshot::test {

using namespace kernels;

std::string trace_diff(const Trace& a, const Trace& b) {
  char buf[200];
  if (a.ctc_tokens.size() != b.ctc_tokens.size())
    return std::snprintf(buf, sizeof buf, "encoder frames %zu vs %zu", a.ctc_tokens.size(), b.ctc_tokens.size()), buf;
  if (a.enc != b.enc) {
    for (size_t i = 0; i < a.enc.size(); ++i)
      if (a.enc[i] != b.enc[i]) return std::snprintf(buf, sizeof buf, "encoder output differs at element %zu", i), buf;
  }
  if (a.ctc_logits != b.ctc_logits) return "CTC logits differ";
  if (a.ctc_tokens != b.ctc_tokens) return "CTC tokens differ";
  if (a.onset != b.onset) return std::snprintf(buf, sizeof buf, "onset %lld vs %lld", (long long)a.onset, (long long)b.onset), buf;
  if (a.dec_logits.size() != b.dec_logits.size())
    return std::snprintf(buf, sizeof buf, "decoder steps %zu vs %zu", a.dec_logits.size(), b.dec_logits.size()), buf;
  for (size_t s = 0; s < a.dec_logits.size(); ++s) {
    if (a.positions_q8[s] != b.positions_q8[s])
      return std::snprintf(buf, sizeof buf, "step %zu: position %lld vs %lld", s, (long long)a.positions_q8[s],
                           (long long)b.positions_q8[s]), buf;
    if (a.dec_logits[s] != b.dec_logits[s]) return std::snprintf(buf, sizeof buf, "step %zu: logits differ", s), buf;
  }
  if (a.text != b.text) return "text '" + a.text + "' vs '" + b.text + "'";
  if (a.token_frames != b.token_frames) return "token frames differ";
  if (!(a == b)) return "traces differ";
  return "";
}

uint64_t trace_hash(const Trace& t) {
  uint64_t h = 1469598103934665603ull;
  auto bytes = [&](const void* p, size_t n) {
    for (size_t i = 0; i < n; ++i) h = (h ^ static_cast<const uint8_t*>(p)[i]) * 1099511628211ull;
  };
  auto i64 = [&](int64_t v) {  // little-endian bytes whatever the host
    for (int k = 0; k < 8; ++k) {
      const auto b = static_cast<uint8_t>(static_cast<uint64_t>(v) >> (8 * k));
      bytes(&b, 1);
    }
  };
  for (int8_t v : t.enc) i64(v);
  for (int16_t v : t.ctc_logits) i64(v);
  for (const auto& step : t.dec_logits)
    for (int16_t v : step) i64(v);
  for (int64_t v : t.positions_q8) i64(v);
  for (uint32_t v : t.token_frames) i64(v);
  bytes(t.text.data(), t.text.size());
  i64(t.onset);
  return h;
}

uint32_t enc_checksum(const Trace& t, uint32_t H) {
  uint32_t sum = 0;
  for (size_t i = 0; i < t.enc.size(); ++i) {
    const uint32_t n = static_cast<uint32_t>(i / H) + 1, k = static_cast<uint32_t>(i % H) + 1;
    sum += n * k * static_cast<uint32_t>(static_cast<int32_t>(t.enc[i]));
  }
  return sum;
}

OpenModel::OpenModel(const RandomModelSpec& spec) : OpenModel(random_model_image(spec)) {}

OpenModel::OpenModel(const std::vector<uint8_t>& image) : bytes(image) {
  Error err;
  if (model.open(bytes.span(), err) != EARSHOT_OK) throw std::runtime_error(err.message);
}

// ---------------------------------------------------------------- Session

Session::Session(const Model& m, RecognizerConfig cfg) {
  Error err;
  const size_t n = Recognizer::arena_size(m, cfg, err);
  if (!n) throw std::runtime_error(err.message);
  arena_.resize(n);
  rec_ = Recognizer::create(m, cfg, arena_.data(), arena_.size(), err);
  if (!rec_) throw std::runtime_error(err.message);
  H_ = m.hparams().enc_hidden;
  V_ = m.hparams().vocab_size;
  rec_->set_encoder_observer(
      [](void* u, const EncoderFrameInfo& f) {
        auto* s = static_cast<Session*>(u);
        Trace& t = s->trace_;
        t.enc.insert(t.enc.end(), f.output, f.output + s->H_);
        t.ctc_logits.insert(t.ctc_logits.end(), f.ctc_logits, f.ctc_logits + s->V_);
        t.ctc_tokens.push_back(f.ctc_token);
      },
      this);
  rec_->set_decoder_observer(
      [](void* u, const DecoderStepInfo& d) {
        auto* s = static_cast<Session*>(u);
        Trace& t = s->trace_;
        t.dec_logits.emplace_back(d.logits, d.logits + s->V_);
        t.dec_tokens.push_back(d.token);
        t.positions_q8.push_back(d.position_q8);
      },
      this);
}

void Session::collect() {
  const RecognizerResult r = rec_->result();
  trace_.text = r.text;
  trace_.token_frames.assign(r.token_frames, r.token_frames + r.num_tokens);
  trace_.onset = r.onset;
}

void Session::reset() {
  rec_->reset();
  trace_ = Trace{};
}

template <typename Push>
static void chunked(size_t total, const std::vector<size_t>& chunks, Push push) {
  size_t at = 0, k = 0;
  while (at < total) {
    size_t n = chunks.empty() ? total : chunks[k++ % chunks.size()];
    if (n > total - at) n = total - at;
    push(at, n);
    at += n;
  }
}

Trace Session::run_pcm(const std::vector<int16_t>& pcm, const std::vector<size_t>& chunks) {
  Error err;
  chunked(pcm.size(), chunks, [&](size_t at, size_t n) {
    if (rec_->push(pcm.data() + at, n, err) != EARSHOT_OK) throw std::runtime_error(err.message);
  });
  if (rec_->finish(err) != EARSHOT_OK) throw std::runtime_error(err.message);
  collect();
  return trace_;
}

Trace Session::run_features(const std::vector<int16_t>& feats, const std::vector<size_t>& chunks) {
  Error err;
  const size_t M = rec_->model().hparams().n_mels;
  chunked(feats.size() / M, chunks, [&](size_t at, size_t n) {
    if (rec_->push_features(feats.data() + at * M, n, err) != EARSHOT_OK) throw std::runtime_error(err.message);
  });
  if (rec_->finish(err) != EARSHOT_OK) throw std::runtime_error(err.message);
  collect();
  return trace_;
}

std::vector<int16_t> features_of(const Model& m, const std::vector<int16_t>& pcm) {
  const FrontendConfig& fc = m.hparams().frontend;
  std::vector<uint64_t> mem(Frontend::memory_size(fc) / 8 + 1);
  Frontend fe;
  Error err;
  if (fe.init(fc, mem.data(), mem.size() * 8, err) != EARSHOT_OK) throw std::runtime_error(err.message);
  std::vector<int16_t> out((pcm.size() / fc.hop_samples + 1) * fc.num_mels);
  out.resize(frontend_run(fe, pcm, out) * fc.num_mels);
  return out;
}

// ---------------------------------------------------------------- reference

Trace offline_reference(const Model& m, const std::vector<int16_t>& feats, Isa isa, uint32_t max_chars,
                        uint32_t endpoint_ms) {
  const ModelHparams& hp = m.hparams();
  const ModelTensors& t = m.tensors();
  const uint32_t M = hp.n_mels, H = hp.enc_hidden, Hd = hp.dec_hidden, E = hp.dec_embed, V = hp.vocab_size;
  std::vector<uint8_t> scratch(1 << 16);
  Trace tr;

  const uint64_t ms = endpoint_ms ? endpoint_ms : kDefaultEndpointMs, fs = m.encoder_frame_samples();
  // A duration in encoder frames, rounded up, at least one (computed here, not
  // by Model::encoder_frames_for_ms, so the reference stands on its own).
  auto frames_for_ms = [&](uint64_t t_ms) {
    return std::max<uint64_t>(1, (t_ms * hp.frontend.sample_rate_hz + 1000 * fs - 1) / (1000 * fs));
  };
  const uint64_t endpoint = frames_for_ms(ms);
  uint64_t blank_run = 0;
  // Steps 1-3 over the whole input.
  const size_t T = feats.size() / M;
  size_t N = T / hp.stack;
  std::vector<std::vector<int8_t>> h(hp.enc_layers, std::vector<int8_t>(H));
  std::vector<std::vector<int16_t>> c(hp.enc_layers, std::vector<int16_t>(H));
  // Every stacked encoder input, kept for the idle reset's replay.
  const size_t SM = size_t{hp.stack} * M;
  std::vector<int8_t> xs(N * SM);
  std::vector<int16_t> z(V);
  // The LSTM stack on one stacked input from state (hs, cs); returns the top layer's h8.
  auto stack_step = [&](const int8_t* in, std::vector<std::vector<int8_t>>& hs, std::vector<std::vector<int16_t>>& cs) {
    for (uint32_t l = 0; l < hp.enc_layers; ++l) {
      LstmStepArgs a;
      a.x = in;
      a.x_stride = l ? H : SM;
      a.h8_prev = hs[l].data();
      a.c16 = cs[l].data();
      a.h8 = hs[l].data();
      lstm_step_with(isa, t.enc[l], a, scratch.data());
      in = hs[l].data();
    }
    return in;
  };
  auto layers = [&](size_t n) { return stack_step(xs.data() + n * SM, h, c); };
  const uint64_t replay = frames_for_ms(kIdleReplayMs);  // the idle reset's replay
  // The stream-start state (MODEL.md step 2): zero, or for a primed model the
  // state after hp.prime_ms of the front-end's floor in every band from zero.
  std::vector<std::vector<int8_t>> h0 = h;
  std::vector<std::vector<int16_t>> c0 = c;
  if (hp.prime_ms) {
    std::vector<int8_t> silence(SM);
    for (size_t k = 0; k < SM; ++k)
      silence[k] = requant_s8(int32_t{hp.frontend.floor_db_q8} - t.input_mean_q8[k % M], t.input_mult[k % M],
                              t.input_shift[k % M]);
    for (uint64_t k = 0; k < frames_for_ms(hp.prime_ms); ++k) stack_step(silence.data(), h0, c0);
    h = h0;
    c = c0;
  }
  for (size_t n = 0; n < N; ++n) {
    for (size_t k = 0; k < SM; ++k) {
      const size_t mm = k % M, frame = n * hp.stack + k / M;
      xs[n * SM + k] = requant_s8(feats[frame * M + mm] - t.input_mean_q8[mm], t.input_mult[mm], t.input_shift[mm]);
    }
    const int8_t* in = layers(n);
    tr.enc.insert(tr.enc.end(), in, in + H);
    S8GemmArgs g;
    g.x[0] = in;
    g.x_stride[0] = H;
    g.y = z.data();
    g.y_stride = V;
    s8_gemm_with(isa, t.ctc, g, scratch.data());
    tr.ctc_logits.insert(tr.ctc_logits.end(), z.begin(), z.end());
    tr.ctc_tokens.push_back(argmax_s16(z.data(), V));
    // The idle reset (Recognizer): before the onset, every E blank frames, the
    // stream-start state, then the last `replay` inputs (this one included) run again.
    if (tr.onset < 0) {
      if (tr.ctc_tokens.back() != 0) {
        tr.onset = static_cast<int64_t>(n);
      } else if (++blank_run % endpoint == 0) {
        h = h0;
        c = c0;
        for (size_t k = n + 1 - std::min<size_t>(n + 1, replay); k <= n; ++k) layers(k);
      }
    }
  }

  // Steps 4-5, every frame already known (the onset was found above).
  if (tr.onset < 0) return tr;
  // End of utterance on silence (RecognizerConfig::endpoint_ms): the input
  // ends at the frame completing a run of E blank CTC frames after the onset.
  {
    uint64_t run = 0;
    for (size_t n = static_cast<size_t>(tr.onset) + 1; n < N; ++n) {
      run = tr.ctc_tokens[n] == 0 ? run + 1 : 0;
      if (run >= endpoint) {
        N = n + 1;
        break;
      }
    }
  }
  const uint32_t limit = max_chars ? max_chars : hp.max_chars;
  const int64_t W = hp.half_window;
  int64_t p = std::max<int64_t>(0, tr.onset - hp.onset_back) * 256;
  int32_t y = 0;
  uint32_t at_end = 0;  // characters read at or past the last frame
  std::vector<int8_t> ctx(H), dh(Hd), xin(E + H), q(H);
  std::vector<int16_t> dc(Hd), logits(V);
  for (uint32_t step = 0; step < limit; ++step) {
    std::memcpy(xin.data(), t.dec_embed + size_t(y) * E, E);
    std::memcpy(xin.data() + E, ctx.data(), H);
    LstmStepArgs a;
    a.x = xin.data();
    a.x_stride = E + H;
    a.h8_prev = dh.data();
    a.c16 = dc.data();
    a.h8 = dh.data();
    lstm_step_with(isa, t.dec_lstm, a, scratch.data());
    int16_t adv = 0;
    S8GemmArgs g;
    g.x[0] = dh.data();
    g.x_stride[0] = Hd;
    g.y = &adv;
    g.y_stride = 1;
    s8_gemm_with(isa, t.dec_advance, g, scratch.data());
    p += (int64_t{hp.max_advance_q8} * sigmoid_q15(adv) + (1 << 14)) >> 15;
    const int64_t cc = p >> 8;
    const int64_t lo = std::min<int64_t>(std::max<int64_t>(0, cc - W), int64_t(N) - 1);
    const int64_t hi = std::min<int64_t>(int64_t(N) - 1, cc + W);
    g.out_type = OutType::s8;
    g.y = q.data();
    g.y_stride = H;
    s8_gemm_with(isa, t.dec_query, g, scratch.data());
    AttnParams ap = t.attn;
    ap.frames = static_cast<int32_t>(hi - lo + 1);
    AttnDotArgs at;
    at.q = q.data();
    at.keys = at.values = tr.enc.data() + lo * H;
    at.key_stride = at.value_stride = H;
    at.ctx = ctx.data();
    attn_kernels(isa)->dot(ap, at, align64(scratch.data()));
    g = S8GemmArgs{};
    g.x[0] = dh.data();
    g.x_stride[0] = Hd;
    g.x[1] = ctx.data();
    g.x_stride[1] = H;
    g.y = logits.data();
    g.y_stride = V;
    s8_gemm_with(isa, t.dec_out, g, scratch.data());
    // 5.3/5.5: past the last frame with kMaxCharsAtEnd characters read there, only <eos>.
    y = cc > int64_t(N) - 1 && at_end >= kMaxCharsAtEnd ? 0 : argmax_s16(logits.data(), V);
    tr.dec_logits.push_back(logits);
    tr.dec_tokens.push_back(y);
    tr.positions_q8.push_back(p);
    if (y == 0) break;
    tr.text += hp.vocab_chars[y];
    tr.token_frames.push_back(static_cast<uint32_t>(std::min<int64_t>(cc, int64_t(N) - 1)));
    if (cc >= int64_t(N) - 1) ++at_end;
  }
  return tr;
}

std::vector<int16_t> golden_pcm(const char* name) {
  const std::string path = std::string(EARSHOT_GOLDEN_DIR) + "/" + name + ".pcm";
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) throw std::runtime_error("cannot open " + path);
  std::vector<int16_t> v;
  int16_t buf[4096];
  size_t n;
  while ((n = std::fread(buf, 2, 4096, f)) > 0) v.insert(v.end(), buf, buf + n);  // hosts are little-endian
  std::fclose(f);
  return v;
}

std::vector<Isa> supported_isas() {
  std::vector<Isa> v;
  for (int i = 0; i < kIsaCount; ++i)
    if (isa_supported(static_cast<Isa>(i))) v.push_back(static_cast<Isa>(i));
  return v;
}

}  // namespace earshot::test
