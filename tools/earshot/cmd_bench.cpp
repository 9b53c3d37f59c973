// earshot bench: in one run, the opened model's kernels on their real shapes
// (weights read from the image) — ours at every ISA level this CPU runs vs
// XNNPACK qs8 vs float — then end-to-end real-time factor per ISA level and
// backend, and the arena and model bytes. Table on a terminal, --json for
// scripts. Timing and baselines: tools/benchkit/kernel_bench.h (bench-kernels
// uses the same code on random weights).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "earshot/audio_file.h"
#include "internals.h"
#include "frontend/frontend.h"
#include "kernel_bench.h"
#include "kernels/isa.h"
#include "kernels/quant.h"
#include "model/arena.h"
#include "model/encoder.h"
#include "recognize.h"
#include "xnn_override.h"

namespace earshot::cli {
namespace {

using kernels::Isa;
using kernels::OutType;

struct Options {
  ModelOptions model;
  std::vector<std::string> audio;
  double seconds = 30;
  bool json = false;
  std::string backend;  // empty: all
};

// One kernel of the model: ns per call of ours per ISA level and the baselines (-1: not run / not available).
struct Entry {
  std::string name, shape, baseline;  // baseline: what the XNNPACK figure is
  double macs = 0;
  std::vector<std::pair<Isa, double>> ours;
  double xnn = -1, xnn_backend = -1, f32 = -1;
  double ours_at(Isa isa) const {
    for (auto& [i, ns] : ours)
      if (i == isa) return ns;
    return -1;
  }
};

struct E2eRow {
  std::string backend, isa;
  double rtf = -1, compute_s = 0, audio_s = 0;
  uint64_t chars = 0;
  double encoder_rtf = -1;  // the encoder stage alone (EncoderStage)
};

// The encoder stage (MODEL.md steps 1-3: input quantization, frame stacking,
// the LSTM stack, the CTC head) over precomputed features: the library's own
// StreamingEncoder (priming included), in an arena of its own, with our kernels
// at one level or with its matrix products on XNNPACK (the per-thread override
// `--backend xnnpack` uses). With our kernels its CTC tokens must equal the
// recognizer's (checked by the caller).
class EncoderStage {
 public:
  bool init(const Model& m, bool xnn, Isa isa, std::string& why) {
    m_ = &m;
    isa_ = isa;
    ArenaCarver measure;
    enc_.layout(measure, m);
    arena_.assign(measure.used() + kArenaAlign, 0);
    ArenaCarver carve(arena_align(arena_.data()), measure.used());
    enc_.layout(carve, m);
    if (carve.overflow()) return why = "encoder stage: arena layout overflowed", false;
    scratch_.assign(StreamingEncoder::scratch_size(m) + 64, 0);
    if (xnn) {
      xnn_ = std::make_unique<XnnOverride>();
      if (!xnn_->install(why)) return false;
    }
    return true;
  }

  // One utterance's features (frames x n_mels) from the stream-start state; appends each frame's CTC token.
  bool run(const std::vector<int16_t>& feats, std::vector<int32_t>& tokens, std::string&) {
    const uint32_t M = m_->hparams().n_mels;
    void* scratch = kernels::align64(scratch_.data());
    enc_.reset();
    for (size_t f = 0; f + M <= feats.size(); f += M)
      if (enc_.push_features(feats.data() + f, isa_, scratch)) tokens.push_back(enc_.ctc_token());
    return true;
  }

 private:
  const Model* m_ = nullptr;
  Isa isa_ = Isa::scalar;
  StreamingEncoder enc_;
  std::vector<uint8_t> arena_, scratch_;
  std::unique_ptr<XnnOverride> xnn_;  // routes this thread's matrix products while the stage lives
};

// Each piece's features (the model's front-end) and the recognizer's CTC token per encoder frame.
struct EncoderInput {
  std::vector<std::vector<int16_t>> feats;
  std::vector<std::vector<int32_t>> tokens;  // the library's, per piece
};

void on_encoder_frame(void* user, const EncoderFrameInfo& f) {
  static_cast<std::vector<int32_t>*>(user)->push_back(f.ctc_token);
}

bool encoder_input(const OpenModel& om, const Model& m, const std::vector<std::vector<int16_t>>& pcm, EncoderInput& in,
                   std::string& why) {
  const FrontendConfig& fc = m.hparams().frontend;
  std::vector<uint64_t> mem(Frontend::memory_size(fc) / 8 + 1);
  Frontend fe;
  Error err;
  if (fe.init(fc, mem.data(), mem.size() * 8, err) != EARSHOT_OK) return why = err.message, false;
  if (!select_isa("", why)) return false;
  Session s;
  ModelOptions mo;
  // One utterance per piece, as the stage runs it (no endpoint inside a sample).
  mo.endpoint_ms = 60000;
  if (!s.create(om, mo, why)) return false;
  Recognizer& rec = internal_recognizer(s.rec());
  for (const auto& p : pcm) {
    fe.reset();
    std::vector<int16_t> f((p.size() / fc.hop_samples + 1) * fc.num_mels);
    f.resize(frontend_run(fe, p, f) * fc.num_mels);
    in.feats.push_back(std::move(f));
    in.tokens.emplace_back();
    rec.set_encoder_observer(on_encoder_frame, &in.tokens.back());
    Transcript tr;
    const bool ok = recognize(s, p, m.hparams().frontend.sample_rate_hz, tr, why);
    rec.set_encoder_observer(nullptr, nullptr);
    if (!ok) return false;
  }
  return true;
}

// Encoder-stage RTF over `seconds` of the pieces (each from the start state,
// as the recognizer runs a file); `agree` = share of frames whose CTC token
// equals the recognizer's. Returns -1 with `why` on failure.
double encoder_rtf(const Model& m, const EncoderInput& in, bool xnn, Isa isa, double seconds, double& agree,
                   std::string& why) {
  EncoderStage st;
  if (!st.init(m, xnn, isa, why)) return -1;
  const double frame_s = static_cast<double>(m.hparams().frontend.hop_samples) / m.hparams().frontend.sample_rate_hz;
  uint64_t same = 0, total = 0;
  double audio = 0, compute = 0;
  std::vector<int32_t> tokens;
  for (size_t i = 0; i < in.feats.size(); ++i) {  // untimed: the agreement with the library
    tokens.clear();
    if (!st.run(in.feats[i], tokens, why)) return -1;
    for (size_t k = 0; k < tokens.size() && k < in.tokens[i].size(); ++k) same += tokens[k] == in.tokens[i][k];
    total += std::max(tokens.size(), in.tokens[i].size());
  }
  agree = total ? static_cast<double>(same) / total : 1.0;
  for (size_t i = 0; audio < seconds; i = (i + 1) % in.feats.size()) {
    tokens.clear();
    const double t0 = now_seconds();
    if (!st.run(in.feats[i], tokens, why)) return -1;
    compute += now_seconds() - t0;
    audio += in.feats[i].size() / m.hparams().n_mels * frame_s;
    if (in.feats[i].empty() && i + 1 == in.feats.size() && audio == 0) break;
  }
  return audio > 0 ? compute / audio : -1;
}

double ratio(double num, double den) { return num > 0 && den > 0 ? num / den : -1; }

nlohmann::json num(double v, int digits) {
  if (!(v >= 0) || !std::isfinite(v)) return nullptr;
  const double p = std::pow(10.0, digits);
  return std::round(v * p) / p;
}

// Small figures (RTF of a tiny model) keep `sig` significant digits rather than vanish to 0.
nlohmann::json sig(double v, int digits) {
  if (!(v >= 0) || !std::isfinite(v)) return nullptr;
  char b[64];
  std::snprintf(b, sizeof b, "%.*g", digits, v);
  return std::strtod(b, nullptr);
}

std::string fmt(double v, const char* f, const char* none = "-") {
  if (!(v >= 0)) return none;
  char b[64];
  std::snprintf(b, sizeof b, f, v);
  return b;
}

// The recorded audio for the end-to-end runs: --audio files, else the bundled
// samples beside the model (models/samples), else a synthetic voiced signal.
bool load_e2e_audio(const Options& o, const OpenModel& m, std::vector<std::vector<int16_t>>& pcm, std::string& what,
                    std::string& why) {
  std::vector<std::string> files = o.audio;
  if (files.empty()) {
    std::error_code ec;
    const auto dir = std::filesystem::path(m.path()).parent_path() / "samples";
    if (std::filesystem::is_directory(dir, ec))
      for (const auto& e : std::filesystem::directory_iterator(dir, ec))
        if (e.path().extension() == ".wav") files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
    if (!files.empty()) what = std::to_string(files.size()) + " samples from " + dir.string();
  } else {
    what = files.size() == 1 ? files[0] : std::to_string(files.size()) + " files";
  }
  for (const auto& f : files) {
    LoadedAudio a;
    Error err;
    if (load_audio(f, a, err) != EARSHOT_OK) return why = err.message, false;
    if (a.samples.empty()) return why = f + ": no audio", false;
    pcm.push_back(std::move(a.samples));
  }
  if (pcm.empty()) {
    // 2 s of a voiced, gliding harmonic signal with noise: what a recognizer
    // may start decoding on (a pure tone often decodes nothing at all).
    std::vector<int16_t> s(32000);
    uint32_t lcg = 1;
    double ph = 0;
    for (size_t n = 0; n < s.size(); ++n) {
      const double t = n / 16000.0, f0 = 110 + 40 * std::sin(2 * M_PI * 1.3 * t);
      ph += 2 * M_PI * f0 / 16000.0;
      double v = 0;
      for (int h = 1; h <= 20; ++h) v += std::sin(h * ph) / h * (1 + std::sin(2 * M_PI * (3.1 * t + h * 0.2)));
      lcg = lcg * 1664525u + 1013904223u;
      v = v * 2500 * (0.6 + 0.4 * std::sin(2 * M_PI * 4 * t)) + ((lcg >> 16) % 600) - 300.0;
      s[n] = static_cast<int16_t>(std::clamp(v, -32000.0, 32000.0));
    }
    pcm.push_back(std::move(s));
    what = "2 s of synthetic voiced audio, repeated";
  }
  return true;
}

// Transcribes the pieces in turn (as `transcribe` does, each its own
// utterance) until `seconds` of audio have gone through; RTF = push + finish
// time over audio time. The first piece runs once untimed (caches).
bool run_e2e(const OpenModel& m, const Options& o, const std::vector<std::vector<int16_t>>& pcm, E2eRow& row,
             std::string& why) {
  if (!select_isa(row.isa, why)) return false;
  Session s;
  ModelOptions mo = o.model;
  if (!s.create(m, mo, why)) return false;
  Transcript t;
  if (!recognize(s, pcm[0], m.info().sample_rate_hz, t, why)) return false;
  for (size_t i = 0; row.audio_s < o.seconds; i = (i + 1) % pcm.size()) {
    if (!recognize(s, pcm[i], m.info().sample_rate_hz, t, why)) return false;
    row.compute_s += t.compute_s;
    row.audio_s += t.audio_s;
    row.chars += t.text.size();
  }
  row.rtf = row.compute_s / row.audio_s;
  return true;
}

int run(Options& o) {
  std::string why;
  const bool all = o.backend.empty();
  if (o.backend == "xnnpack" && !xnnpack_built()) {
    std::fprintf(stderr, "earshot bench: --backend xnnpack: XNNPACK is not built into this earshot "
                         "(libxnnpack-dev was not found when it was configured)\n");
    return kExitUsage;
  }
  OpenModel m;
  if (!m.open(o.model, why)) {
    std::fprintf(stderr, "earshot bench: %s\n", why.c_str());
    return kExitFailure;
  }
  std::vector<std::vector<int16_t>> pcm;
  std::string audio_what;
  if (!load_e2e_audio(o, m, pcm, audio_what, why)) {
    std::fprintf(stderr, "earshot bench: %s\n", why.c_str());
    return kExitFailure;
  }
  // The model's tensors, through a recognizer of the C API (the weights are the image's, in place).
  Session probe;
  if (!probe.create(m, o.model, why)) {
    std::fprintf(stderr, "earshot bench: %s\n", why.c_str());
    return kExitFailure;
  }
  const Model& model = internal_recognizer(probe.rec()).model();
  const ModelHparams& hp = model.hparams();
  const ModelTensors& t = model.tensors();

  // Levels of ours to run.
  std::vector<Isa> levels;
  const Isa best = kernels::isa_best();
  for (int i = 0; i < kernels::kIsaCount; ++i) {
    const auto isa = static_cast<Isa>(i);
    if (!kernels::isa_supported(isa)) continue;
    if (all || (o.backend == "ref" && isa == Isa::scalar) || (o.backend == "simd" && isa != Isa::scalar))
      levels.push_back(isa);
  }
  if (o.backend == "simd" && levels.empty()) levels.push_back(best);  // a CPU without SIMD: its best is scalar
  const bool baselines = all || o.backend == "xnnpack";
  const bool xnn = baselines && bench::have_xnnpack();

  // Short runs (--seconds small, as in tests) time each kernel for less.
  bench::set_timing(std::clamp(o.seconds * 1e5, 5e4, 3e6), o.seconds < 5 ? 3 : 5);
  std::string peak_what;
  const double peak = bench::peak_gmacs(peak_what);

  std::vector<Entry> entries;
  auto add_lstm = [&](const std::string& name, const kernels::LstmLayer& l) {
    Entry e;
    e.name = name;
    e.shape = "H" + std::to_string(l.hidden_size) + " I" + std::to_string(l.input_size);
    e.baseline = "9 qs8 operators";
    e.macs = 4.0 * l.hidden_size * (l.input_size + l.hidden_size);
    bench::LstmBench b(l);
    for (Isa isa : levels) e.ours.push_back({isa, bench::ns_per_call([&] { b.run(isa); })});
    if (xnn) {
      const bench::Dense d = bench::dense_of(l.gates);
      e.xnn = bench::xnn_qs8_lstm_ns(d, l.input_size, l.hidden_size);
      e.xnn_backend = bench::xnn_backend_lstm_ns(l);
      e.f32 = bench::f32_lstm_ns(d, l.input_size, l.hidden_size);
    }
    entries.push_back(e);
  };
  auto add_gemv = [&](const std::string& name, const kernels::S8Matrix& mx, OutType out) {
    Entry e;
    e.name = name;
    e.shape = std::to_string(mx.rows) + "x" + std::to_string(mx.cols[0]);
    if (mx.nseg == 2) e.shape = std::to_string(mx.rows) + "x(" + std::to_string(mx.cols[0]) + "+" +
                                std::to_string(mx.cols[1]) + ")";
    e.baseline = "qs8 fully-connected";
    e.macs = double(mx.rows) * (mx.cols[0] + (mx.nseg == 2 ? mx.cols[1] : 0));
    bench::GemvBench b(mx, 1, out);
    for (Isa isa : levels) e.ours.push_back({isa, bench::ns_per_call([&] { b.run(isa); })});
    if (xnn) {
      const bench::Dense d = bench::dense_of(mx);
      e.xnn = bench::xnn_qs8_fc_ns(d, 1);
      e.xnn_backend = bench::xnn_backend_fc_ns(mx, 1, out);
      e.f32 = bench::xnn_f32_fc_ns(d, 1);
    }
    entries.push_back(e);
  };
  for (uint32_t l = 0; l < hp.enc_layers; ++l) add_lstm("enc.lstm" + std::to_string(l), t.enc[l]);
  add_gemv("ctc", t.ctc, OutType::s16);
  add_lstm("dec.lstm", t.dec_lstm);
  add_gemv("dec.advance", t.dec_advance, OutType::s16);
  add_gemv("dec.query", t.dec_query, OutType::s8);
  add_gemv("dec.out", t.dec_out, OutType::s16);
  {
    Entry e;
    e.name = "dec.attention";
    e.shape = "T" + std::to_string(t.attn.frames) + " D" + std::to_string(t.attn.dim);
    e.baseline = "none in XNNPACK";
    e.macs = double(t.attn.frames) * (t.attn.dim + t.attn.value_dim);
    bench::AttnBench b(t.attn, false);
    for (Isa isa : levels) e.ours.push_back({isa, bench::ns_per_call([&] { b.run(isa); })});
    entries.push_back(e);
  }
  if (!levels.empty()) {  // scalar only: one implementation on every level
    Entry e;
    e.name = "dec.logsoftmax";
    e.shape = "V" + std::to_string(hp.vocab_size) + " top8";
    e.baseline = "none in XNNPACK";
    bench::LogSoftmaxBench b(static_cast<int32_t>(hp.vocab_size));
    e.ours.push_back({Isa::scalar, bench::ns_per_call([&] { b.run(); })});
    entries.push_back(e);
  }
  const Isa top = levels.empty() ? best : levels.back();  // the fastest level of ours run
  auto ours_best = [&](const Entry& e) {
    const double v = e.ours_at(top);
    return v >= 0 ? v : (e.ours.empty() ? -1 : e.ours.back().second);
  };

  // End to end, and the encoder stage alone (which XNNPACK can run too).
  EncoderInput enc_in;
  if (!encoder_input(m, model, pcm, enc_in, why)) {
    std::fprintf(stderr, "earshot bench: %s\n", why.c_str());
    return kExitFailure;
  }
  std::string enc_note;  // why an encoder-stage figure is missing
  std::vector<E2eRow> e2e;
  for (Isa isa : levels) {
    E2eRow r;
    r.isa = kernels::isa_name(isa);
    r.backend = isa == Isa::scalar ? "ref" : "simd";
    if (!run_e2e(m, o, pcm, r, why)) {
      std::fprintf(stderr, "earshot bench: %s\n", why.c_str());
      return kExitFailure;
    }
    double agree = 0;
    r.encoder_rtf = encoder_rtf(model, enc_in, false, isa, o.seconds, agree, why);
    if (r.encoder_rtf >= 0 && agree != 1.0) {
      r.encoder_rtf = -1;
      enc_note = "the encoder-stage loop no longer matches the library's encoder (CTC tokens differ): not timed";
    } else if (r.encoder_rtf < 0) {
      enc_note = "encoder stage: " + why;
    }
    e2e.push_back(r);
  }
  double xnn_enc_rtf = -1, xnn_agree = -1;
  if (xnn) {
    xnn_enc_rtf = encoder_rtf(model, enc_in, true, best, o.seconds, xnn_agree, why);
    if (xnn_enc_rtf < 0) enc_note = "XNNPACK encoder stage: " + why, xnn_agree = -1;
  }
  // End to end with the matrix products on XNNPACK (--backend xnnpack), the rest at the best level.
  E2eRow xrow;
  bool have_xrow = false;
  if (xnn) {
    xrow.isa = kernels::isa_name(best);
    xrow.backend = "xnnpack";
    Options ox = o;
    ox.model.backend = "xnnpack";
    have_xrow = run_e2e(m, ox, pcm, xrow, why);
    if (!have_xrow) enc_note = "XNNPACK end to end: " + why;
  }
  const std::string xnn_e2e_note =
      !xnnpack_built() ? "XNNPACK is not built into this earshot"
                       : "rtf: end to end with the matrix products on XNNPACK qc8 (--backend xnnpack; attention, "
                         "log-softmax and front-end earshot's); encoder_rtf: the encoder stage alone";

  // Arena for each beam width, model bytes.
  std::vector<std::pair<uint32_t, size_t>> arenas;
  for (uint32_t w : {1u, 2u, 4u, 8u, 16u}) {
    earshot_recognizer_config cfg{};
    cfg.beam = w;
    size_t bytes = 0;
    if (earshot_arena_size(m.handle(), &cfg, &bytes) == EARSHOT_OK) arenas.push_back({w, bytes});
  }

  const std::string encoder = std::to_string(hp.enc_layers) + "x" + std::to_string(hp.enc_hidden);
  if (o.json) {
    nlohmann::ordered_json j;
    j["model"] = {{"path", m.path()},          {"name", m.info().name},     {"bytes", m.image_bytes()},
                  {"encoder", encoder},        {"decoder", hp.dec_hidden},  {"embed", hp.dec_embed},
                  {"vocab", hp.vocab_size},    {"window", 2 * hp.half_window + 1}};
    j["arena"] = {{"bytes", probe.arena_needed()}};
    for (auto& [w, b] : arenas) j["arena"]["beam"].push_back({{"width", w}, {"bytes", b}});
    j["isa_levels"] = nlohmann::json::array();
    for (Isa isa : levels) j["isa_levels"].push_back(kernels::isa_name(isa));
    j["xnnpack"] = {{"built", xnnpack_built()}, {"measured", xnn}};
    if (!xnnpack_built()) j["xnnpack"]["note"] = "XNNPACK is not built into this earshot: its fields are null";
    j["peak"] = {{"gmacs", num(peak > 0 ? peak : -1, 1)}, {"assumption", peak_what}};
    j["kernels"] = nlohmann::json::array();
    for (const Entry& e : entries) {
      nlohmann::ordered_json k;
      k["name"] = e.name;
      k["shape"] = e.shape;
      k["macs"] = static_cast<uint64_t>(e.macs);
      k["isa"] = e.ours.empty() ? nullptr : nlohmann::json(kernels::isa_name(e.ours_at(top) >= 0 ? top : e.ours.back().first));
      k["ns_ours"] = num(ours_best(e), 1);
      k["ns"] = nlohmann::ordered_json::object();
      for (auto& [isa, ns] : e.ours) k["ns"][kernels::isa_name(isa)] = num(ns, 1);
      k["ns_xnnpack"] = num(e.xnn, 1);
      k["xnnpack_baseline"] = e.baseline;
      k["ns_xnnpack_backend"] = num(e.xnn_backend, 1);
      k["ns_float"] = num(e.f32, 1);
      k["speedup_vs_xnnpack"] = num(ratio(e.xnn, ours_best(e)), 3);
      k["speedup_vs_float"] = num(ratio(e.f32, ours_best(e)), 3);
      const double g = e.macs > 0 ? ratio(e.macs, ours_best(e)) : -1;
      k["gmacs"] = num(g, 2);
      k["peak_fraction"] = num(peak > 0 ? ratio(g, peak) : -1, 4);
      j["kernels"].push_back(k);
    }
    nlohmann::ordered_json ej;
    ej["audio"] = audio_what;
    ej["audio_seconds"] = num(e2e.empty() ? 0 : e2e.front().audio_s, 3);
    ej["isa"] = e2e.empty() ? nullptr : nlohmann::json(e2e.back().isa);
    ej["rtf"] = e2e.empty() ? nullptr : sig(e2e.back().rtf, 4);
    ej["levels"] = nlohmann::json::array();
    for (const E2eRow& r : e2e)
      ej["levels"].push_back({{"backend", r.backend}, {"isa", r.isa}, {"rtf", sig(r.rtf, 4)},
                              {"compute_s", sig(r.compute_s, 4)}, {"audio_s", num(r.audio_s, 3)},
                              {"characters", r.chars}, {"encoder_rtf", sig(r.encoder_rtf, 4)}});
    if (baselines)
      ej["xnnpack"] = {{"rtf", have_xrow ? sig(xrow.rtf, 4) : nlohmann::json(nullptr)},
                       {"isa", have_xrow ? nlohmann::json(xrow.isa) : nlohmann::json(nullptr)},
                       {"encoder_rtf", sig(xnn_enc_rtf, 4)},
                       {"ctc_token_agreement", num(xnn_agree, 4)},
                       {"note", xnn_e2e_note}};
    if (!enc_note.empty()) ej["encoder_note"] = enc_note;
    j["e2e"] = ej;
    std::printf("%s\n", j.dump(1).c_str());
    return kExitOk;
  }

  std::printf("model %s ('%s', %zu bytes): encoder %s, decoder %u, embed %u, vocab %u, window %u frames\n",
              m.path().c_str(), m.info().name, m.image_bytes(), encoder.c_str(), hp.dec_hidden, hp.dec_embed,
              hp.vocab_size, 2 * hp.half_window + 1);
  std::printf("arena %zu bytes (greedy)", probe.arena_needed());
  for (auto& [w, b] : arenas)
    if (w > 1) std::printf(", beam %u: %zu", w, b);
  std::printf("\n\nkernels on the model's shapes, ns per call (best of repeated loops, one core):\n");
  std::printf("%-15s %-13s", "kernel", "shape");
  for (Isa isa : levels) std::printf(" %10s", kernels::isa_name(isa));
  std::printf(" %9s %9s %9s %8s %8s %7s\n", "xnn qs8", "xnn qc8", "float", "vs xnn", "vs float", "GMAC/s");
  for (const Entry& e : entries) {
    std::printf("%-15s %-13s", e.name.c_str(), e.shape.c_str());
    for (Isa isa : levels) std::printf(" %10s", fmt(e.ours_at(isa), "%.0f").c_str());
    const double ob = ours_best(e);
    std::printf(" %9s %9s %9s %8s %8s %7s\n", fmt(e.xnn, "%.0f").c_str(), fmt(e.xnn_backend, "%.0f").c_str(),
                fmt(e.f32, "%.0f").c_str(), (fmt(ratio(e.xnn, ob), "%.2f") + (e.xnn > 0 && ob > 0 ? "x" : "")).c_str(),
                (fmt(ratio(e.f32, ob), "%.2f") + (e.f32 > 0 && ob > 0 ? "x" : "")).c_str(),
                fmt(e.macs > 0 ? ratio(e.macs, ob) : -1, "%.1f").c_str());
  }
  if (!baselines)
    std::printf("(--backend %s: XNNPACK and float baselines not run)\n", o.backend.c_str());
  else if (!xnnpack_built())
    std::printf("XNNPACK is not built into this earshot (libxnnpack-dev missing at configure time): no baselines\n");
  else
    std::printf("xnn qs8: XNNPACK qs8 fully-connected (LSTM: 9 qs8 operators + concat); xnn qc8: earshot's XNNPACK\n"
                "backend (per-channel, not bit-exact); float: XNNPACK f32 (LSTM: + float cell); vs: its time / ours at %s\n",
                kernels::isa_name(top));
  if (peak > 0) std::printf("int8 peak of this core: %.1f GMAC/s (%s)\n", peak, peak_what.c_str());
  std::printf("\nend to end, %s, %.1f s of audio (push + finish, as transcribe):\n", audio_what.c_str(),
              e2e.empty() ? 0.0 : e2e.front().audio_s);
  std::printf("%-8s %-11s %10s %12s %12s\n", "backend", "isa", "RTF", "ms/audio-s", "encoder RTF");
  for (const E2eRow& r : e2e)
    std::printf("%-8s %-11s %10.5f %12.3f %12s\n", r.backend.c_str(), r.isa.c_str(), r.rtf, 1000 * r.rtf,
                fmt(r.encoder_rtf, "%.5f").c_str());
  if (baselines)
    std::printf("%-8s %-11s %10s %12s %12s\n", "xnnpack", have_xrow ? xrow.isa.c_str() : "-",
                fmt(have_xrow ? xrow.rtf : -1, "%.5f").c_str(), fmt(have_xrow ? 1000 * xrow.rtf : -1, "%.3f").c_str(),
                fmt(xnn_enc_rtf, "%.5f").c_str());
  std::printf("encoder RTF: the encoder stage alone (input quantization, LSTM stack, CTC head) on precomputed features\n");
  if (baselines && xnnpack_built())
    std::printf("xnnpack: the matrix products on XNNPACK qc8, the rest at the level shown (--backend xnnpack); its\n"
                "encoder stage's CTC tokens agree with ours on %s of frames (XNNPACK rounds differently)\n",
                xnn_agree >= 0 ? (fmt(100 * xnn_agree, "%.1f") + "%").c_str() : "-");
  else if (baselines)
    std::printf("xnnpack: %s\n", xnn_e2e_note.c_str());
  if (!enc_note.empty()) std::printf("note: %s\n", enc_note.c_str());
  return kExitOk;
}

}  // namespace

Runner add_bench(CLI::App& app) {
  auto o = std::make_shared<Options>();
  auto* sub = app.add_subcommand(
      "bench", "Time the model's kernels (ours per ISA level vs XNNPACK vs float) and end-to-end RTF, in one run");
  sub->add_option("-m,--model", o->model.model,
                  "Model image (.esm); default $EARSHOT_MODEL, else models/en-small.esm of this checkout");
  sub->add_option("--seconds", o->seconds, "Seconds of audio per end-to-end run (default 30; also scales kernel timing)")
      ->check(CLI::Range(0.1, 3600.0));
  sub->add_option("--audio", o->audio, "Audio for the end-to-end runs (default: the samples beside the model)");
  sub->add_option("--backend", o->backend, "Only this backend: ref (scalar), simd (SIMD levels) or xnnpack (baselines)")
      ->check(CLI::IsMember({"ref", "simd", "xnnpack"}));
  sub->add_flag("--json", o->json, "One JSON object: model, arena, kernels[] (speedup_vs_xnnpack), e2e (rtf)");
  sub->footer(
      "Kernels use the opened image's weights in place; ns = best of repeated loops on one core.\n"
      "speedup_vs_xnnpack = XNNPACK qs8 time / ours at the best level run; null where XNNPACK has no\n"
      "such operator or is not built. RTF = compute time / audio time (lower is faster).");
  return [o] { return run(*o); };
}

}  // namespace earshot::cli
