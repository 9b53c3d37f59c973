// earshot plot FILE -o out.png: the log-mel spectrogram the recognizer sees
// (the model's own front-end), the decoder's attention alignment (each step's
// window and centre from the decoder's step observer, and its attention
// weights as the runtime computed them) and the recognized words on the time axis.
// --features dumps the features for debugging.
#include <algorithm>
#include <cmath>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "commands.h"
#include "earshot/audio_file.h"
#include "frontend/frontend.h"
#include "internals.h"
#include "plot_image.h"
#include "recognize.h"

namespace earshot::cli {
namespace {

struct Options {
  ModelOptions model;
  std::string file, output, features;
};

// One decoder step as the recognizer's observer reports it (greedy: one
// hypothesis, with its attention weights; beam search: the leading one's
// window, without weights).
struct ObservedStep {
  uint32_t step;                // 0 at each utterance's first step
  int32_t token;                // the decoder's choice (0 = <eos>)
  int64_t position_q8;          // window centre, Q8 encoder frames
  uint64_t window_first;        // first encoder frame of the window
  uint32_t window_frames;
  std::vector<int16_t> logits;  // V, Q10
  std::vector<int16_t> probs;   // window_frames Q15 attention weights, or empty
};

struct Observed {
  uint32_t vocab = 0;
  std::vector<ObservedStep> steps;
};

void on_step(void* user, const DecoderStepInfo& s) {
  auto& o = *static_cast<Observed*>(user);
  if (s.hypothesis != 0) return;
  o.steps.push_back({s.step, s.token, s.position_q8, s.window_first, s.window_frames,
                     std::vector<int16_t>(s.logits, s.logits + o.vocab),
                     s.attn_probs ? std::vector<int16_t>(s.attn_probs, s.attn_probs + s.window_frames)
                                  : std::vector<int16_t>()});
}

// Softmax probability of the chosen token (the logits are Q10 natural-log units).
double token_prob(const ObservedStep& s) {
  const int32_t mx = *std::max_element(s.logits.begin(), s.logits.end());
  double sum = 0;
  for (int16_t l : s.logits) sum += std::exp((l - mx) / 1024.0);
  return std::exp((s.logits[s.token] - mx) / 1024.0) / sum;
}

bool write_features(const std::string& path, const std::vector<int16_t>& f, size_t mels, std::string& why) {
  std::ofstream out(path, std::ios::binary);
  if (!out) return why = "cannot write " + path + ": " + std::strerror(errno), false;
  const size_t frames = mels ? f.size() / mels : 0;
  if (path.size() >= 4 && path.compare(path.size() - 4, 4, ".npy") == 0) {
    std::string hdr = "{'descr': '<i2', 'fortran_order': False, 'shape': (" + std::to_string(frames) + ", " +
                      std::to_string(mels) + "), }";
    hdr.append(64 - (10 + hdr.size() + 1) % 64, ' ');
    hdr.push_back('\n');
    out.write("\x93NUMPY\x01\x00", 8);
    out.put(static_cast<char>(hdr.size() & 0xFF)).put(static_cast<char>(hdr.size() >> 8));
    out << hdr;
    for (int16_t s : f) out.put(static_cast<char>(s & 0xFF)).put(static_cast<char>((s >> 8) & 0xFF));
  } else {
    out << "# earshot features: " << frames << " frames x " << mels
        << " mel bands, log-mel dB (Q8 / 256), one frame (10 ms hop) per line\n";
    char b[32];
    for (size_t i = 0; i < f.size(); ++i) {
      std::snprintf(b, sizeof b, "%.3f", f[i] / 256.0);
      out << b << ((i + 1) % mels ? ' ' : '\n');
    }
  }
  out.flush();
  if (!out) return why = "cannot write " + path + ": " + std::strerror(errno), false;
  return true;
}

// Tick step for [0, span] so ticks are at least `min_px` apart at `px_per_unit`.
double tick_step(double px_per_unit, double min_px) {
  for (double s : {0.05, 0.1, 0.2, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0})
    if (s * px_per_unit >= min_px) return s;
  return 1800.0;
}

std::string tick_label(double v, double step) {
  char b[32];
  std::snprintf(b, sizeof b, step < 0.1 ? "%.2f" : step < 1 ? "%.1f" : "%.0f", v);
  return b;
}

std::string fit(const std::string& s, int max_px, int scale) {
  if (Image::text_width(s, scale) <= max_px) return s;
  std::string t = s;
  while (!t.empty() && Image::text_width(t + "...", scale) > max_px) t.pop_back();
  return t + "...";
}

int run(Options o) {
  std::string why;
  if (!o.features.empty()) {
    const auto ext = std::filesystem::path(o.features).extension();
    if (ext != ".npy" && ext != ".txt") {
      std::fprintf(stderr, "earshot plot: --features %s: the name must end in .npy or .txt\n", o.features.c_str());
      return kExitUsage;
    }
  }
  if (!select_isa(o.model.isa, why)) {
    std::fprintf(stderr, "earshot plot: %s\n", why.c_str());
    return kExitUsage;
  }
  OpenModel m;
  Session s;
  if (!o.model.beam) o.model.beam = 1;  // the attention weights of one path: greedy unless --beam says otherwise
  if (!m.open(o.model, why) || !s.create(m, o.model, why)) {
    std::fprintf(stderr, "earshot plot: %s\n", why.c_str());
    return kExitFailure;
  }
  s.report("plot", m, o.model);
  LoadedAudio audio;
  Error err;
  if (load_audio(o.file, audio, err) != EARSHOT_OK) {
    std::fprintf(stderr, "earshot plot: %s\n", err.message);
    return kExitFailure;
  }
  Recognizer& rec = internal_recognizer(s.rec());
  const ModelHparams& hp = rec.model().hparams();
  const FrontendConfig& fc = hp.frontend;

  // The features the recognizer computes (its front-end configuration, the whole file).
  std::vector<uint64_t> fe_mem(Frontend::memory_size(fc) / 8 + 1);
  Frontend fe;
  if (fe.init(fc, fe_mem.data(), fe_mem.size() * 8, err) != EARSHOT_OK) {
    std::fprintf(stderr, "earshot plot: %s\n", err.message);
    return kExitFailure;
  }
  const size_t M = fc.num_mels;
  std::vector<int16_t> feats((audio.samples.size() / fc.hop_samples + 1) * M);
  feats.resize(frontend_run(fe, audio.samples, feats) * M);
  const size_t F = feats.size() / M;
  if (!o.features.empty() && !write_features(o.features, feats, M, why)) {
    std::fprintf(stderr, "earshot plot: %s\n", why.c_str());
    return kExitFailure;
  }
  if (F == 0) {
    std::fprintf(stderr, "earshot plot: %s: shorter than one %u-sample window, nothing to plot\n", o.file.c_str(),
                 fc.window_samples);
    return kExitFailure;
  }

  // Recognize with the decoder's steps observed.
  Observed obs;
  obs.vocab = hp.vocab_size;
  rec.set_decoder_observer(on_step, &obs);
  Transcript tr;
  const bool ok = recognize(s, audio.samples, fc.sample_rate_hz, tr, why);
  rec.set_decoder_observer(nullptr, nullptr);
  if (!ok) {
    std::fprintf(stderr, "earshot plot: %s: %s\n", o.file.c_str(), why.c_str());
    return kExitFailure;
  }
  const bool greedy = rec.beam_width() == 1;
  const std::vector<ObservedStep>& steps = obs.steps;

  // ---- layout --------------------------------------------------------------------
  const double hop_s = static_cast<double>(fc.hop_samples) / fc.sample_rate_hz;
  const double enc_s = static_cast<double>(rec.model().encoder_frame_samples()) / fc.sample_rate_hz;
  const double T = F * hop_s;  // seconds the spectrogram spans
  const int plot_w = std::clamp(static_cast<int>(F) * std::max(1, static_cast<int>(std::lround(900.0 / F))), 240, 3000);
  const int band_h = M <= 64 ? 6 : 3, spec_h = static_cast<int>(M) * band_h;
  const int left = 60, right = 76, x0 = left;
  const int title_y = 6, sub_y = 26, spec_y = 44;
  const size_t nsteps = greedy ? steps.size() : 0;
  // One row per decoder step, up to 9 pixels each; many steps share pixel rows (at most 320 in all).
  const int row_h = nsteps ? std::clamp(224 / static_cast<int>(nsteps), 1, 9) : 0;
  const int align_y = spec_y + spec_h + 8, align_h = std::min(static_cast<int>(nsteps) * row_h, 320);
  const int words_y = align_y + align_h + (nsteps ? 8 : 0), words_h = 28;
  const int axis_y = words_y + words_h;
  const int W = left + plot_w + right, H = axis_y + 48;
  auto x_of = [&](double t) { return x0 + static_cast<int>(std::lround(t / T * plot_w)); };
  const Rgb bg{255, 255, 255}, ink{20, 20, 20}, grey{120, 120, 120}, light{225, 225, 225}, white{255, 255, 255},
      accent{0, 160, 255};

  Image img(W, H, bg);
  // Title: file and text; subtitle: what ran.
  const std::string shown = tr.no_match ? std::string(kNoMatch) : tr.text.empty() ? "(nothing recognized)" : tr.text;
  img.text(left, title_y,
           fit(std::filesystem::path(o.file).filename().string() + ": \"" + shown + "\"", W - left - 8, 2), ink, 2);
  char sub[256];
  std::snprintf(sub, sizeof sub, "model %s, kernels %s, %s; %.2f s, %zu frames x %zu mel bands (%.0f ms hop), %llu encoder frames",
                m.info().name, active_isa_name(), greedy ? "greedy" : ("beam " + std::to_string(rec.beam_width())).c_str(),
                audio.samples.size() / static_cast<double>(fc.sample_rate_hz), F, M, hop_s * 1000,
                static_cast<unsigned long long>(tr.encoder_frames));
  img.text(left, sub_y, fit(sub, W - left - 8, 1), grey, 1);

  // Spectrogram: low bands at the bottom; each pixel column the loudest of its frames.
  int16_t lo = *std::min_element(feats.begin(), feats.end()), hi = *std::max_element(feats.begin(), feats.end());
  lo = static_cast<int16_t>(std::max<int>(lo, hi - 80 * 256));
  const double range = std::max(1, hi - lo);
  for (int x = 0; x < plot_w; ++x) {
    const size_t f0 = static_cast<size_t>(x) * F / plot_w, f1 = std::max(f0 + 1, static_cast<size_t>(x + 1) * F / plot_w);
    for (size_t b = 0; b < M; ++b) {
      int v = INT16_MIN;
      for (size_t f = f0; f < f1 && f < F; ++f) v = std::max<int>(v, feats[f * M + b]);
      const Rgb c = heat_colour((v - lo) / range);
      const int y = spec_y + spec_h - static_cast<int>(b + 1) * band_h;
      img.fill(x0 + x, y, x0 + x + 1, y + band_h, c);
    }
  }
  img.frame(x0 - 1, spec_y - 1, x0 + plot_w + 1, spec_y + spec_h + 1, ink);
  // Y axis: mel bands.
  const int band_step = M > 20 ? 10 : 5;
  for (size_t b = 0; b < M; b += band_step) {
    const int y = spec_y + spec_h - static_cast<int>(b) * band_h - band_h / 2;
    img.line(x0 - 5, y, x0 - 2, y, ink);
    const std::string l = std::to_string(b);
    img.text(x0 - 8 - Image::text_width(l), y - 3, l, ink);
  }
  img.text(4, spec_y + spec_h / 2 - 10, "mel", ink);
  img.text(4, spec_y + spec_h / 2 + 1, "band", ink);
  // Colour scale.
  const int cb_x = x0 + plot_w + 10;
  for (int y = 0; y < spec_h; ++y) img.fill(cb_x, spec_y + y, cb_x + 10, spec_y + y + 1, heat_colour(1.0 - double(y) / (spec_h - 1)));
  img.frame(cb_x - 1, spec_y - 1, cb_x + 11, spec_y + spec_h + 1, ink);
  for (int k = 0; k <= 4; ++k) {
    const double db = (lo + (hi - lo) * k / 4.0) / 256.0;
    const int y = spec_y + spec_h - 1 - (spec_h - 1) * k / 4;
    img.line(cb_x + 11, y, cb_x + 13, y, ink);
    char b[16];
    std::snprintf(b, sizeof b, "%.0f", db);
    img.text(cb_x + 15, y - 3, b, ink);
  }
  img.text(cb_x, spec_y - 10, "dB", ink);

  // Overlay: the window centre of each decoded character (as transcribe's token_times), labelled at the top.
  int last_label = -100;
  for (size_t i = 0; i < tr.token_frames.size(); ++i) {
    const double t = tr.token_frames[i] * enc_s;
    if (t > T) break;
    const int x = x_of(t);
    for (int y = spec_y; y < spec_y + spec_h; ++y) img.blend(x, y, white, y % 4 < 2 ? 0.7 : 0.25);
    if (tr.text[i] != ' ' && x - last_label >= 7) {
      img.fill(x - 3, spec_y + 1, x + 4, spec_y + 10, {0, 0, 0}, 0.55);
      img.text(x - 2, spec_y + 2, std::string(1, tr.text[i]), white);
      last_label = x;
    }
  }

  // Alignment: one row per decoder step over its attention window: each frame
  // coloured by its attention weight (or, without weights, the window coloured
  // by its character's probability); the window centre in white.
  const bool have_weights =
      nsteps && std::all_of(steps.begin(), steps.end(), [](const ObservedStep& st) { return st.probs.size() == st.window_frames; });
  if (nsteps) {
    img.fill(x0, align_y, x0 + plot_w, align_y + align_h, {245, 245, 245});
    for (size_t i = 0; i < nsteps; ++i) {
      const ObservedStep& st = steps[i];
      const int y = align_y + static_cast<int>(i * align_h / nsteps),
                y1 = std::max(y + 1, align_y + static_cast<int>((i + 1) * align_h / nsteps) - (row_h >= 3 ? 1 : 0));
      for (uint32_t j = 0; j < st.window_frames; ++j) {
        const int xa = x_of((st.window_first + j) * enc_s), xb = std::max(xa + 1, x_of((st.window_first + j + 1) * enc_s));
        const double v = have_weights ? 0.06 + 0.94 * st.probs[j] / 32768.0 : 0.25 + 0.7 * token_prob(st);
        img.fill(std::max(xa, x0), y, std::min(xb, x0 + plot_w), y1, heat_colour(v));
      }
      const double tc = st.position_q8 / 256.0 * enc_s;
      if (tc <= T) img.fill(x_of(tc) - 1, y, x_of(tc) + 1, y1, white);
      // Each step's character at the left; with rows under 8 pixels, every few steps.
      const size_t every = (8 * nsteps + align_h - 1) / align_h;
      if (i % every == 0) {
        const std::string l = st.token == 0 ? "end" : std::string(1, hp.vocab_chars[st.token] == ' ' ? '_' : hp.vocab_chars[st.token]);
        img.text(x0 - 6 - Image::text_width(l), y, l, grey);
      }
    }
    img.frame(x0 - 1, align_y - 1, x0 + plot_w + 1, align_y + align_h + 1, ink);
    img.text(4, align_y + align_h / 2 - 10, "step", ink);
    img.text(4, align_y + align_h / 2 + 1, std::to_string(nsteps), grey);
    // Its colour scale: attention weight 0..1 (or character probability).
    const int sb_h = align_h;
    for (int y = 0; y < sb_h && sb_h >= 20; ++y)
      img.fill(cb_x, align_y + y, cb_x + 10, align_y + y + 1,
               heat_colour(have_weights ? 0.06 + 0.94 * (1.0 - double(y) / (sb_h - 1)) : 0.25 + 0.7 * (1.0 - double(y) / (sb_h - 1))));
    if (sb_h >= 20) {
      img.frame(cb_x - 1, align_y - 1, cb_x + 11, align_y + sb_h + 1, ink);
      img.text(cb_x + 15, align_y - 1, "1", ink);
      img.text(cb_x + 15, align_y + sb_h - 7, "0", ink);
      img.text(cb_x + 15, align_y + sb_h / 2 - 3, have_weights ? "w" : "p", ink);
    }
  }

  // Words on the time axis: from the first to the last character's window centre.
  img.text(4, words_y + 4, "words", ink);
  {
    int row_end[2] = {-1000, -1000};
    size_t i = 0;
    while (i < tr.text.size()) {
      while (i < tr.text.size() && tr.text[i] == ' ') ++i;
      const size_t j0 = i;
      while (i < tr.text.size() && tr.text[i] != ' ') ++i;
      if (j0 == i) break;
      const std::string w = tr.text.substr(j0, i - j0);
      const double t0 = tr.token_frames[j0] * enc_s, t1 = (tr.token_frames[i - 1] + 1) * enc_s;
      if (t0 > T) break;
      const int xa = x_of(t0), xb = std::min(x0 + plot_w, std::max(xa + 2, x_of(t1)));
      const int tw = Image::text_width(w), tx = std::max(x0, (xa + xb) / 2 - tw / 2);
      const int row = tx > row_end[0] + 4 ? 0 : tx > row_end[1] + 4 ? 1 : (row_end[0] < row_end[1] ? 0 : 1);
      const int y = words_y + 2 + row * 13;
      img.line(xa, y + 9, xb, y + 9, accent);
      img.line(xa, y + 6, xa, y + 9, accent);
      img.line(xb, y + 6, xb, y + 9, accent);
      img.text(tx, y, w, ink);
      row_end[row] = tx + tw;
    }
  }

  // X axis: seconds.
  img.line(x0, axis_y, x0 + plot_w, axis_y, ink);
  const double ts = tick_step(plot_w / T, 56);
  for (double t = 0; t <= T + 1e-9; t += ts) {
    const int x = x_of(t);
    img.line(x, axis_y, x, axis_y + 4, ink);
    for (int y = spec_y + spec_h + 1; y < axis_y; y += 3) img.blend(x, y, light, 1.0);
    const std::string l = tick_label(t, ts);
    img.text(x - Image::text_width(l) / 2, axis_y + 7, l, ink);
  }
  const std::string xl = "time (s)";
  img.text(x0 + plot_w / 2 - Image::text_width(xl) / 2, axis_y + 20, xl, ink);
  const std::string legend =
      !greedy        ? "white: window centre per character (attention rows: greedy decoding only)"
      : have_weights ? "white: window centre per character; rows: decoder steps, colour w = attention weight of each frame"
                     : "white: window centre per character (the decoder took no steps)";
  img.text(left, axis_y + 33, fit(legend, W - left - 8, 1), grey);

  if (!img.write_png(o.output, why)) {
    std::fprintf(stderr, "earshot plot: %s\n", why.c_str());
    return kExitFailure;
  }
  std::printf("%s: wrote %s (%dx%d pixels): %.2f s, %zu frames x %zu mel bands, %zu decoder steps%s: \"%s\"\n",
              o.file.c_str(), o.output.c_str(), W, H, audio.samples.size() / static_cast<double>(fc.sample_rate_hz), F,
              M, steps.size(), have_weights ? " with attention weights" : "", shown.c_str());
  return kExitOk;
}

}  // namespace

Runner add_plot(CLI::App& app) {
  auto o = std::make_shared<Options>();
  auto* sub = app.add_subcommand("plot", "Draw the log-mel spectrogram, the decoder's attention alignment and the words");
  sub->add_option("file", o->file, "Audio file (any format libsndfile reads; '-' for stdin)")->required();
  sub->add_option("-o,--output", o->output, "PNG to write")->required();
  sub->add_option("--features", o->features, "Also write the features: .npy (int16 Q8 dB, frames x mels) or .txt (dB)");
  add_model_options(sub, o->model);
  sub->footer("Time runs left to right in seconds; mel bands bottom (low) to top (high), colour = dB.\n"
              "Prints one line: the file, the PNG's size in pixels, the frames and the text.");
  return [o] { return run(*o); };
}

}  // namespace earshot::cli
