// earshot transcribe: audio files (or folders of them, or stdin) to text through
// the C API, one recognizer in an arena of the board's size. Plain `file: text`
// lines, JSON lines (--json) or SubRip subtitles (--srt).
#include <sndfile.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "earshot/earshot_audio.h"
#include "recognize.h"

namespace earshot::cli {
namespace {

namespace fs = std::filesystem;

constexpr size_t kReadBlock = 16000;  // samples per read: 1 s, far below a file's length

struct Options {
  ModelOptions model;
  std::vector<std::string> inputs;
  bool json = false, srt = false;
  std::string srt_dir;
  uint32_t nbest = 0;  // --nbest K: that many alternatives in --json (beam width at least K)
};

// File extensions libsndfile reads (its major formats, "raw" excepted: headerless PCM
// has no rate), plus common aliases.
const std::set<std::string>& audio_extensions() {
  static const std::set<std::string> exts = [] {
    std::set<std::string> e{"wav", "wave", "aif", "aiff", "aifc", "flac", "ogg", "oga", "opus", "mp3", "caf", "w64", "rf64", "au", "snd"};
    int count = 0;
    sf_command(nullptr, SFC_GET_FORMAT_MAJOR_COUNT, &count, sizeof count);
    for (int i = 0; i < count; ++i) {
      SF_FORMAT_INFO info{};
      info.format = i;
      if (sf_command(nullptr, SFC_GET_FORMAT_MAJOR, &info, sizeof info) == 0 && info.extension &&
          std::string(info.extension) != "raw")
        e.insert(info.extension);
    }
    return e;
  }();
  return exts;
}

bool is_audio_name(const fs::path& p) {
  std::string ext = p.extension().string();
  if (ext.size() < 2) return false;
  ext.erase(0, 1);
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return audio_extensions().count(ext) != 0;
}

// FILE, DIR (its audio files, sorted, not recursive) or '-' -> the list to run.
// A folder that cannot be listed or holds no audio is an error of its own.
void expand_inputs(const std::vector<std::string>& in, std::vector<std::string>& out, int& status) {
  for (const auto& arg : in) {
    std::error_code ec;
    if (arg != "-" && fs::is_directory(arg, ec)) {
      std::vector<std::string> files;
      for (fs::directory_iterator it(arg, ec), end; !ec && it != end; it.increment(ec)) {
        std::error_code e2;
        if (it->is_regular_file(e2) && is_audio_name(it->path())) files.push_back(it->path().string());
      }
      if (ec) {
        std::fprintf(stderr, "earshot transcribe: %s: cannot list folder (%s)\n", arg.c_str(), ec.message().c_str());
        status = kExitFailure;
        continue;
      }
      if (files.empty()) {
        std::fprintf(stderr, "earshot transcribe: %s: no audio files in this folder\n", arg.c_str());
        status = kExitFailure;
        continue;
      }
      std::sort(files.begin(), files.end());
      out.insert(out.end(), files.begin(), files.end());
    } else {
      out.push_back(arg);
    }
  }
}

// SubRip time: HH:MM:SS,mmm
std::string srt_time(double s) {
  const long long ms = std::llround(std::max(0.0, s) * 1000.0);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02lld:%02lld:%02lld,%03lld", ms / 3600000, ms / 60000 % 60, ms / 1000 % 60, ms % 1000);
  return buf;
}

// Cues: words (split at spaces) are filled into lines of at most kSrtLine
// characters (a longer word stands alone). A cue starts at the time of its
// first character and ends where the next cue starts; the last one ends
// kSrtTail after its last character, at most at the end of the audio, and
// every cue lasts at least one encoder frame.
constexpr size_t kSrtLine = 42;
constexpr double kSrtTail = 0.5;

std::string make_srt(const Transcript& t, const earshot_model_info& info) {
  struct Cue { size_t first, last; };  // character indices, inclusive
  std::vector<Cue> cues;
  const std::string& s = t.text;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && s[i] == ' ') ++i;
    if (i == s.size()) break;
    const size_t start = i;
    size_t end = i;  // one past the last character of the cue
    while (end < s.size()) {
      size_t w = end;
      while (w < s.size() && s[w] == ' ') ++w;
      if (w == s.size()) break;
      size_t we = w;
      while (we < s.size() && s[we] != ' ') ++we;
      if (end > start && we - start > kSrtLine) break;
      end = we;
    }
    cues.push_back({start, end - 1});
    i = end;
  }
  const double frame_s = static_cast<double>(info.encoder_frame_samples) / info.sample_rate_hz;
  std::string out;
  for (size_t c = 0; c < cues.size(); ++c) {
    const double start = token_time(info, t.token_frames[cues[c].first]);
    double end = c + 1 < cues.size() ? token_time(info, t.token_frames[cues[c + 1].first])
                                      : std::min(token_time(info, t.token_frames[cues[c].last]) + kSrtTail, t.audio_s);
    end = std::max(end, start + frame_s);
    out += std::to_string(c + 1) + "\n" + srt_time(start) + " --> " + srt_time(end) + "\n" +
           s.substr(cues[c].first, cues[c].last - cues[c].first + 1) + "\n\n";
  }
  return out;
}

nlohmann::ordered_json to_json(const std::string& file, const Transcript& t, const earshot_model_info& info,
                               bool constrained, uint32_t nbest) {
  using ojson = nlohmann::ordered_json;
  ojson j;
  j["file"] = file;
  j["text"] = t.text;
  j["confidence"] = confidence_value(t.confidence_q15);
  if (constrained) j["no_match"] = t.no_match, j["match"] = confidence_value(t.match_q15);
  j["words"] = words_json(t);
  auto segs = ojson::array();
  for (const auto& g : t.segments) {
    ojson e{{"text", g.text}, {"start", g.start_ms / 1000.0}, {"end", g.end_ms / 1000.0},
            {"confidence", confidence_value(g.confidence_q15)}};
    if (constrained) e["no_match"] = g.no_match, e["match"] = confidence_value(g.match_q15);
    segs.push_back(std::move(e));
  }
  j["utterances"] = std::move(segs);
  j["tokens"] = t.token_frames.size();
  j["rtf"] = t.audio_s > 0 ? std::round(t.compute_s / t.audio_s * 1e6) / 1e6 : 0.0;
  j["encoder_frames"] = t.encoder_frames;
  j["token_times"] = token_times_json(info, t);
  if (nbest) {  // the alternatives, best first, log-probability in nats
    auto nb = ojson::array();
    for (const auto& a : t.nbest) {
      if (nb.size() == nbest) break;
      nb.push_back({{"text", a.text}, {"logprob", a.score_q10 / 1024.0}, {"confidence", confidence_value(a.confidence_q15)}});
    }
    j["nbest"] = std::move(nb);
  }
  return j;
}

int run(Options o) {
  std::string why;
  if (o.nbest > o.model.beam_width()) o.model.beam = o.nbest;
  // The n-best list when asked for: --nbest K, or an explicit --beam N.
  if (!select_isa(o.model.isa, why)) {
    std::fprintf(stderr, "earshot transcribe: %s\n", why.c_str());
    return kExitUsage;
  }
  int status = kExitOk;
  std::vector<std::string> files;
  expand_inputs(o.inputs, files, status);
  if (files.size() > 1 && o.srt && o.srt_dir.empty()) {
    std::fprintf(stderr, "earshot transcribe: --srt with several inputs needs -o DIR (one .srt file per input)\n");
    return kExitUsage;
  }
  if (std::count(files.begin(), files.end(), "-") > 1) {
    std::fprintf(stderr, "earshot transcribe: '-' (standard input) can be given once\n");
    return kExitUsage;
  }
  OpenModel model;
  Session session;
  if (!model.open(o.model, why) || !session.create(model, o.model, why)) {
    std::fprintf(stderr, "earshot transcribe: %s\n", why.c_str());
    return kExitFailure;
  }
  session.report("transcribe", model, o.model);
  const earshot_model_info& info = model.info();
  if (info.sample_rate_hz != 16000) {
    std::fprintf(stderr, "earshot transcribe: %s: the model takes %u Hz audio; this tool resamples to 16000 Hz only\n",
                 model.path().c_str(), info.sample_rate_hz);
    return kExitFailure;
  }
  std::set<std::string> written;
  for (const auto& path : files) {
    if (path == "-" && isatty(STDIN_FILENO)) {
      std::fprintf(stderr, "earshot transcribe: -: standard input is a terminal; pipe an audio file into it\n");
      status = kExitFailure;
      continue;
    }
    // Read in blocks (libearshot-audio): memory does not grow with the file's length.
    earshot_audio* raw = nullptr;
    if (earshot_audio_open(path.c_str(), info.sample_rate_hz, &raw) != EARSHOT_OK) {
      std::fprintf(stderr, "earshot transcribe: %s\n", earshot_audio_last_error());
      status = kExitFailure;
      continue;
    }
    std::unique_ptr<earshot_audio, void (*)(earshot_audio*)> audio(raw, earshot_audio_close);
    std::vector<int16_t> block(kReadBlock);
    const PcmSource next = [&](const int16_t*& pcm, size_t& n, std::string& e) {
      pcm = block.data();
      if (earshot_audio_read(audio.get(), block.data(), block.size(), &n) == EARSHOT_OK) return true;
      e = earshot_audio_last_error();
      return false;
    };
    Transcript t;
    if (!recognize(session, next, info.sample_rate_hz, t, why)) {
      std::fprintf(stderr, "earshot transcribe: %s: %s\n", path.c_str(), why.c_str());
      status = kExitFailure;
      continue;
    }
    if (o.json) {
      std::printf("%s\n", to_json(path, t, info, o.model.constrained(), o.nbest ? o.nbest : (o.model.beam > 1 ? o.model.beam : 0)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    } else if (o.srt && o.srt_dir.empty()) {
      std::fputs(make_srt(t, info).c_str(), stdout);
    } else if (o.srt) {
      const std::string stem = path == "-" ? "stdin" : fs::path(path).stem().string();
      const std::string out = (fs::path(o.srt_dir) / (stem + ".srt")).string();
      if (!written.insert(out).second) {
        std::fprintf(stderr, "earshot transcribe: %s: %s was already written for another input (same name)\n",
                     path.c_str(), out.c_str());
        status = kExitFailure;
        continue;
      }
      std::ofstream f(out, std::ios::binary);
      f << make_srt(t, info);
      f.close();
      if (!f) {
        std::fprintf(stderr, "earshot transcribe: %s: cannot write %s\n", path.c_str(), out.c_str());
        status = kExitFailure;
        continue;
      }
      std::printf("%s -> %s\n", path.c_str(), out.c_str());
    } else {
      std::printf("%s: %s\n", path.c_str(), t.no_match ? kNoMatch : t.text.c_str());
    }
    std::fflush(stdout);
  }
  return status;
}

}  // namespace

Runner add_transcribe(CLI::App& app) {
  auto o = std::make_shared<Options>();
  auto* sub = app.add_subcommand("transcribe", "Transcribe audio files (the device code path)");
  sub->add_option("inputs", o->inputs,
                  "Audio files (any format libsndfile reads; resampled to 16 kHz mono), folders (their audio files, "
                  "sorted, not recursive) or '-' for standard input")
      ->required();
  add_model_options(sub, o->model);
  auto* json = sub->add_flag("--json", o->json,
                             "JSON lines: file, text, confidence, no_match (with a grammar), words (word, start, end, "
                             "confidence), utterances, tokens, rtf, encoder_frames, token_times (seconds per character), "
                             "nbest (with --beam)");
  sub->add_option("--nbest", o->nbest, "With --json: up to K alternatives (beam search of width at least K)")
      ->check(CLI::Range(1u, 8u))
      ->needs(json);
  auto* srt = sub->add_flag("--srt", o->srt, "SubRip subtitles (to stdout, or one NAME.srt per input with -o DIR)");
  json->excludes(srt);
  sub->add_option("-o,--output-dir", o->srt_dir, "With --srt: write NAME.srt files into this folder")
      ->check(CLI::ExistingDirectory)
      ->needs(srt);
  sub->footer(
      "Output: 'FILE: text' per input ('FILE: <no match>' when a --grammar/--words constraint fits nothing).\n"
      "token_times are the decoder's attention position for each character (encoder frames of 30 ms;\n"
      "with the CTC search, the frame where the CTC head was surest of it).\n"
      "SRT cues: words filled into lines of at most 42 characters; a cue runs from its first character's\n"
      "time to the next cue's (the last: +0.5 s, at most to the end of the audio).\n"
      "A file may hold several utterances: each ends at the end token or after --endpoint-ms of silence,\n"
      "and the text joins them. Confidence: geometric-mean probability of the characters (0..1); word\n"
      "times come from the decoder's attention positions.\n"
      "Decoding is joint CTC-attention beam search of width 8; --beam N sets the width (and adds the\n"
      "n-best list to --json for a single utterance), --beam 1 decodes greedily as the firmware does.\n"
      "With --grammar the default is the CTC search (--ctc: the CTC head alone over the grammar, 1024\n"
      "prefixes; --beam N asks for beam search instead; --words: beam 16). With a grammar or word list\n"
      "--json adds no_match and match: the score out-of-grammar rejection (--reject) compares\n"
      "(lib/model/MODEL.md).\n"
      "Exit: 0 ok, 1 an input or the model failed (one line each on stderr; other inputs still run), 2 usage.");
  return [o] { return run(*o); };
}

}  // namespace earshot::cli
