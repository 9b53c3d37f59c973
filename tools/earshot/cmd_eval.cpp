// earshot eval: word/character/sentence error rates and RTF over a JSONL
// manifest of {"audio": path, "text": reference}, through the C API.
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "earshot/audio_file.h"
#include "recognize.h"
#include "text_metrics.h"

namespace earshot::cli {
namespace {

namespace fs = std::filesystem;
using ojson = nlohmann::ordered_json;

struct Options {
  ModelOptions model;
  std::string manifest;
  bool json = false, details = false, no_progress = false;
};

struct Entry {
  size_t line;
  std::string audio;  // resolved against the manifest's folder
  std::string text;
};

// Reads every line; bad ones are reported (MANIFEST:LINE: why) and counted.
bool read_manifest(const std::string& path, std::vector<Entry>& out, size_t& bad) {
  std::ifstream f(path, std::ios::binary);
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    std::fprintf(stderr, "earshot eval: %s: is a directory, not a manifest\n", path.c_str());
    return false;
  }
  if (!f) {
    std::fprintf(stderr, "earshot eval: %s: %s\n", path.c_str(), std::strerror(errno));
    return false;
  }
  const fs::path base = fs::path(path).parent_path();
  std::string line;
  size_t n = 0;
  while (std::getline(f, line)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    auto fail = [&](const std::string& why) {
      std::fprintf(stderr, "earshot eval: %s:%zu: %s\n", path.c_str(), n, why.c_str());
      ++bad;
    };
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(line);
    } catch (const nlohmann::json::parse_error& e) {
      // e.what() is "[json.exception.parse_error.101] parse error at line 1, column 7: ..."
      std::string w = e.what();
      if (const auto p = w.find("] "); p != std::string::npos) w = w.substr(p + 2);
      fail("not valid JSON (" + w + ")");
      continue;
    }
    if (!j.is_object()) { fail("expected a JSON object {\"audio\": path, \"text\": reference}"); continue; }
    const auto a = j.find("audio"), t = j.find("text");
    if (a == j.end() || !a->is_string() || a->get<std::string>().empty()) { fail("missing \"audio\" (a non-empty string)"); continue; }
    if (t == j.end() || !t->is_string()) { fail("missing \"text\" (a string)"); continue; }
    fs::path audio = a->get<std::string>();
    if (audio.is_relative()) audio = base / audio;
    out.push_back({n, audio.string(), t->get<std::string>()});
  }
  if (f.bad()) {
    std::fprintf(stderr, "earshot eval: %s: read error\n", path.c_str());
    return false;
  }
  return true;
}

struct Totals {
  size_t utterances = 0, words = 0, sub = 0, del = 0, ins = 0, chars = 0, char_errors = 0, wrong = 0;
  double audio_s = 0, compute_s = 0;
};

// A rate, or null when there is nothing to divide by.
ojson rate(size_t num, size_t den) { return den ? ojson(static_cast<double>(num) / den) : ojson(nullptr); }
std::string pct(size_t num, size_t den) {
  if (!den) return "  n/a  ";
  char b[32];
  std::snprintf(b, sizeof b, "%6.2f%%", 100.0 * num / den);
  return b;
}

class Progress {
 public:
  Progress(size_t total, bool on) : total_(total), on_(on) {}
  void show(size_t done, const std::string& name) {
    if (!on_) return;
    constexpr int kWidth = 30;
    const int fill = total_ ? static_cast<int>(kWidth * done / total_) : kWidth;
    std::string bar(fill, '#');
    bar.resize(kWidth, '.');
    std::string shown = name.size() > 40 ? "..." + name.substr(name.size() - 37) : name;
    std::fprintf(stderr, "\r\033[K[%s] %zu/%zu %s", bar.c_str(), done, total_, shown.c_str());
    std::fflush(stderr);
  }
  void clear() {
    if (on_) std::fprintf(stderr, "\r\033[K"), std::fflush(stderr);
  }

 private:
  size_t total_;
  bool on_;
};

int run(const Options& o) {
  std::string why;
  if (!select_isa(o.model.isa, why)) {
    std::fprintf(stderr, "earshot eval: %s\n", why.c_str());
    return kExitUsage;
  }
  std::vector<Entry> entries;
  size_t failed = 0;
  if (!read_manifest(o.manifest, entries, failed)) return kExitFailure;
  if (entries.empty() && failed == 0) {
    std::fprintf(stderr, "earshot eval: %s: no utterances (expected JSON lines {\"audio\": path, \"text\": ...})\n",
                 o.manifest.c_str());
    return kExitFailure;
  }
  OpenModel model;
  Session session;
  if (!model.open(o.model, why) || !session.create(model, o.model, why)) {
    std::fprintf(stderr, "earshot eval: %s\n", why.c_str());
    return kExitFailure;
  }
  session.report("eval", model, o.model);
  const earshot_model_info& info = model.info();

  Totals tot;
  ojson details = ojson::array();
  std::string details_text;
  Progress progress(entries.size(), !o.no_progress && isatty(STDERR_FILENO));
  for (size_t k = 0; k < entries.size(); ++k) {
    const Entry& e = entries[k];
    progress.show(k, e.audio);
    LoadedAudio audio;
    Error err;
    Transcript t;
    if (load_audio(e.audio, audio, err) != EARSHOT_OK || !recognize(session, audio.samples, info.sample_rate_hz, t, why)) {
      progress.clear();
      std::fprintf(stderr, "earshot eval: %s:%zu: %s\n", o.manifest.c_str(), e.line,
                   err.ok() ? (e.audio + ": " + why).c_str() : err.message);
      ++failed;
      continue;
    }
    const std::string ref = normalize_text(e.text, model.alphabet());
    const std::string hyp = normalize_text(t.text, model.alphabet());
    const auto rw = split_words(ref), hw = split_words(hyp);
    const Alignment a = align(rw, hw);
    const EditCounts c = char_errors(ref, hyp);
    ++tot.utterances;
    tot.words += rw.size();
    tot.sub += a.counts.sub, tot.del += a.counts.del, tot.ins += a.counts.ins;
    tot.chars += ref.size();
    tot.char_errors += c.errors();
    tot.wrong += ref != hyp;
    tot.audio_s += t.audio_s;
    tot.compute_s += t.compute_s;
    if (!o.details) continue;
    if (o.json) {
      std::string ops;
      for (Op op : a.ops) ops.push_back(op == Op::kCorrect ? 'C' : static_cast<char>(op));
      ojson d;
      d["line"] = e.line;
      d["audio"] = e.audio;
      d["ref"] = ref;
      d["hyp"] = hyp;
      d["words"] = rw.size();
      d["substitutions"] = a.counts.sub;
      d["deletions"] = a.counts.del;
      d["insertions"] = a.counts.ins;
      d["chars"] = ref.size();
      d["char_errors"] = c.errors();
      d["ops"] = ops;
      details.push_back(std::move(d));
    } else {
      char head[512];
      std::snprintf(head, sizeof head, "%s  WER %s (%zu words: %zu sub, %zu del, %zu ins)  CER %s\n", e.audio.c_str(),
                    pct(a.counts.errors(), rw.size()).c_str(), rw.size(), a.counts.sub, a.counts.del, a.counts.ins,
                    pct(c.errors(), ref.size()).c_str());
      details_text += head + format_alignment(a, rw, hw, "  ") + "\n";
    }
  }
  progress.clear();

  const size_t werr = tot.sub + tot.del + tot.ins;
  if (o.json) {
    ojson j;
    j["manifest"] = o.manifest;
    j["model"] = model.path();
    j["utterances"] = tot.utterances;
    j["failed"] = failed;
    j["words"] = tot.words;
    j["word_errors"] = werr;
    j["substitutions"] = tot.sub;
    j["deletions"] = tot.del;
    j["insertions"] = tot.ins;
    j["wer"] = rate(werr, tot.words);
    j["chars"] = tot.chars;
    j["char_errors"] = tot.char_errors;
    j["cer"] = rate(tot.char_errors, tot.chars);
    j["sentences_wrong"] = tot.wrong;
    j["ser"] = rate(tot.wrong, tot.utterances);
    j["audio_s"] = std::round(tot.audio_s * 1e3) / 1e3;
    j["compute_s"] = std::round(tot.compute_s * 1e6) / 1e6;
    j["rtf"] = tot.audio_s > 0 ? ojson(std::round(tot.compute_s / tot.audio_s * 1e6) / 1e6) : ojson(nullptr);
    if (o.details) j["details"] = std::move(details);
    std::printf("%s\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  } else if (tot.utterances > 0) {
    std::fputs(details_text.c_str(), stdout);
    std::printf("%s: %zu utterances%s, %.1f s of audio, model %s\n", o.manifest.c_str(), tot.utterances,
                failed ? (" (" + std::to_string(failed) + " failed, not counted)").c_str() : "", tot.audio_s,
                model.path().c_str());
    std::printf("WER %s  (%zu errors / %zu words: %zu sub, %zu del, %zu ins)\n", pct(werr, tot.words).c_str(), werr,
                tot.words, tot.sub, tot.del, tot.ins);
    std::printf("CER %s  (%zu errors / %zu characters)\n", pct(tot.char_errors, tot.chars).c_str(), tot.char_errors,
                tot.chars);
    std::printf("SER %s  (%zu of %zu utterances not exactly right)\n", pct(tot.wrong, tot.utterances).c_str(),
                tot.wrong, tot.utterances);
    if (tot.audio_s > 0)
      std::printf("RTF %.4f   (%.3f s of compute, kernels %s)\n", tot.compute_s / tot.audio_s, tot.compute_s,
                  active_isa_name());
  }
  return failed ? kExitFailure : kExitOk;
}

}  // namespace

Runner add_eval(CLI::App& app) {
  auto o = std::make_shared<Options>();
  auto* sub = app.add_subcommand("eval", "Word/character/sentence error rates and RTF over a manifest");
  sub->add_option("manifest", o->manifest,
                  "JSON lines {\"audio\": path (relative to the manifest's folder), \"text\": reference}")
      ->required();
  add_model_options(sub, o->model);
  sub->add_flag("--json", o->json, "One JSON summary object (with --details: a 'details' array per utterance)");
  sub->add_flag("--details", o->details, "Per-utterance alignment: REF/HYP words with S(ub)/I(ns)/D(el) marks");
  sub->add_flag("--no-progress", o->no_progress, "No progress bar (it is shown on stderr only when that is a terminal)");
  sub->footer(
      "Text normalisation (references and hypotheses alike): lowercase; keep the model's characters\n"
      "(a-z, space, apostrophe); whitespace, '-', '_' and '/' separate words; any other character\n"
      "(punctuation, digits, non-ASCII) is dropped; spaces collapse. Write numbers as words.\n"
      "With --grammar/--words a no-match result counts as empty text.\n"
      "WER = (sub + del + ins) / reference words over all utterances; CER the same over characters\n"
      "(spaces included); SER = utterances whose normalised text differs; RTF = compute / audio time.\n"
      "Exit: 0 evaluated (whatever the error rates), 1 a manifest line, audio file or the model failed\n"
      "(each on stderr with its line number; the rest are still evaluated, failures not counted), 2 usage.");
  return [o] { return run(*o); };
}

}  // namespace earshot::cli
