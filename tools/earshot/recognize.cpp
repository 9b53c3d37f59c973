#include "recognize.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "image/image.h"
#include "kernels/isa.h"

namespace earshot::cli {
namespace {

constexpr const char* kDefaultModel = "models/en-small.esm";
constexpr size_t kMaxImageBytes = size_t{1} << 30;

// models/en-small.esm in the checkout this binary was built in: the first
// ancestor of the executable's folder that has it (build/<preset>/bin/earshot
// -> the repository root).
std::string find_default_model(std::string& looked) {
  std::error_code ec;
  std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  for (auto d = exe.parent_path(); !d.empty(); d = d.parent_path()) {
    const auto cand = d / kDefaultModel;
    if (std::filesystem::exists(cand, ec)) return cand.string();
    if (looked.empty() && std::filesystem::exists(d / "models", ec)) looked = cand.string();
    if (d == d.root_path()) break;
  }
  return {};
}

bool read_image(const std::string& path, std::unique_ptr<uint8_t[], void (*)(void*)>& out, size_t& bytes,
                std::string& why) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return why = "model " + path + ": " + std::strerror(errno), false;
  struct stat st {};
  if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    ::close(fd);
    return why = "model " + path + ": is a directory, not a model image", false;
  }
  std::vector<uint8_t> data;
  uint8_t buf[1 << 16];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) {
    data.insert(data.end(), buf, buf + n);
    if (data.size() > kMaxImageBytes) break;
  }
  const int e = errno;
  ::close(fd);
  if (n < 0) return why = "model " + path + ": " + std::strerror(e), false;
  if (data.empty()) return why = "model " + path + ": empty file, not a model image", false;
  if (data.size() > kMaxImageBytes) return why = "model " + path + ": larger than 1 GiB, not a model image", false;
  // 64-byte aligned like an image in flash (the API needs 16).
  auto* p = static_cast<uint8_t*>(std::aligned_alloc(64, (data.size() + 63) / 64 * 64));
  if (!p) return why = "model " + path + ": out of memory", false;
  std::memcpy(p, data.data(), data.size());
  out = std::unique_ptr<uint8_t[], void (*)(void*)>(p, std::free);
  bytes = data.size();
  return true;
}

}  // namespace

void add_model_options(CLI::App* sub, ModelOptions& o) {
  sub->add_option("-m,--model", o.model,
                  "Model image (.esm); default $EARSHOT_MODEL, else models/en-small.esm of this checkout");
  sub->add_option("--arena-kb", o.arena_kb,
                  "Simulate a board with this many KiB of recognizer arena (default: exactly what the model needs)")
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 22));
  sub->add_option("--isa", o.isa, "Force the kernels' instruction-set level (default $EARSHOT_ISA, else the best)")
      ->check(CLI::IsMember({"scalar", "avx2", "avx512vnni", "neon", "neondot"}));
  auto* g = sub->add_option("-g,--grammar", o.grammar,
                             "Constrain the text to a grammar: a phrase list (one phrase a line) or JSGF (file starts "
                             "with #JSGF); see lib/decoder/GRAMMAR.md");
  auto* w = sub->add_option("-w,--words", o.words, "Constrain the text to any sequence of these words (one or more a line)");
  g->excludes(w);
  sub->add_option("--beam", o.beam, "Beam width: 1 greedy (default), 2..8 beam search (more arena, n-best)")
      ->check(CLI::Range(1u, 8u));
  sub->add_flag("-v,--verbose", o.verbose, "Say on stderr which model, arena size and kernel level run");
}

bool OpenModel::open(const ModelOptions& o, std::string& why) {
  path_ = o.model;
  if (path_.empty())
    if (const char* e = std::getenv("EARSHOT_MODEL"); e && *e) path_ = e;
  if (path_.empty()) {
    std::string looked;
    path_ = find_default_model(looked);
    if (path_.empty()) {
      why = std::string("no model: ") + (looked.empty() ? kDefaultModel : looked) +
            " does not exist (the trained model ships later); pass --model M.esm or set EARSHOT_MODEL";
      return false;
    }
  }
  if (!read_image(path_, image_, bytes_, why)) return false;
  const earshot_status st = earshot_model_open(image_.get(), bytes_, handle_mem_, sizeof handle_mem_, &model_);
  if (st != EARSHOT_OK) {
    why = path_ + ": " + earshot_last_error();
    return false;
  }
  earshot_model_get_info(model_, &info_);
  // The vocabulary for text normalisation (eval): the image is valid, so this read cannot fail.
  ModelImage img;
  Error err;
  std::string_view vocab;
  if (img.open({image_.get(), bytes_}, err) == EARSHOT_OK && img.get_string("vocab", vocab, err)) {
    size_t start = 0;
    for (int i = 0; start <= vocab.size(); ++i) {
      size_t end = vocab.find('\n', start);
      if (end == std::string_view::npos) end = vocab.size();
      if (i > 0 && end - start == 1) alphabet_.push_back(vocab[start]);
      start = end + 1;
    }
  }
  return true;
}

bool Session::create(const OpenModel& m, const ModelOptions& o, std::string& why) {
  earshot_recognizer_config cfg{};
  cfg.beam = o.beam;
  earshot_status st = earshot_arena_size(m.handle(), &cfg, &needed_);
  if (st != EARSHOT_OK) return why = api_error("earshot_arena_size", st), false;
  const size_t budget = o.arena_kb ? static_cast<size_t>(o.arena_kb) * 1024 : needed_;
  arena_.assign(budget, 0);
  st = earshot_recognizer_create(m.handle(), &cfg, arena_.data(), arena_.size(), &rec_);
  if (st == EARSHOT_ERR_MEMORY_TOO_SMALL) {
    why = "model " + m.path() + " does not fit an arena of " + std::to_string(o.arena_kb) + " KiB: it needs " +
          std::to_string(needed_) + " bytes (--arena-kb " + std::to_string((needed_ + 1023) / 1024) +
          " or more) [" + earshot_last_error() + "]";
    return false;
  }
  if (st != EARSHOT_OK) return why = api_error("earshot_recognizer_create", st), false;
  return !o.constrained() || set_grammar(m, o, why);
}

bool Session::set_grammar(const OpenModel& m, const ModelOptions& o, std::string& why) {
  const std::string& path = o.grammar.empty() ? o.words : o.grammar;
  const char* what = o.grammar.empty() ? "word list" : "grammar";
  std::ifstream f(path, std::ios::binary);
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return why = std::string(what) + " " + path + ": is a directory", false;
  if (!f) return why = std::string(what) + " " + path + ": " + std::strerror(errno), false;
  const std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  const earshot_grammar_kind kind = o.grammar.empty() ? EARSHOT_GRAMMAR_WORDS : EARSHOT_GRAMMAR_AUTO;
  grammar_mem_.assign(8192, 0);
  const earshot_grammar* g = nullptr;
  earshot_status st;
  for (int tries = 0;; ++tries) {
    size_t need = 0;
    st = earshot_grammar_compile(m.handle(), text.data(), text.size(), kind, grammar_mem_.data(),
                                 grammar_mem_.size() * 8, &need, &g);
    if (st != EARSHOT_ERR_MEMORY_TOO_SMALL || tries == 8 || need <= grammar_mem_.size() * 8) {
      grammar_bytes_ = need;
      break;
    }
    grammar_mem_.assign(need / 8 + 1, 0);
  }
  if (st != EARSHOT_OK) {
    std::string msg = earshot_last_error();
    if (msg.rfind("grammar: ", 0) == 0) msg.erase(0, 9);  // we already say "grammar FILE:"
    return why = std::string(what) + " " + path + ": " + msg, false;
  }
  if ((st = earshot_set_grammar(rec_, g)) != EARSHOT_OK) return why = api_error("earshot_set_grammar", st), false;
  return true;
}

void Session::report(const char* cmd, const OpenModel& m, const ModelOptions& o) const {
  if (!o.verbose) return;
  std::string g;
  if (o.constrained())
    g = ", " + std::string(o.grammar.empty() ? "word list " + o.words : "grammar " + o.grammar) + " (" +
        std::to_string(grammar_bytes_) + " bytes)";
  std::fprintf(stderr, "earshot %s: model %s ('%s', %zu bytes), arena %zu bytes (the model needs %zu), kernels %s%s\n",
               cmd, m.path().c_str(), m.info().name, m.image_bytes(), arena_.size(), needed_, active_isa_name(),
               g.c_str());
}

bool select_isa(const std::string& isa, std::string& why) {
  Error err;
  if (isa.empty()) {
    if (kernels::isa_select_from_env(err) != EARSHOT_OK) return why = err.message, false;
    return true;
  }
  kernels::Isa level;
  if (!kernels::isa_parse(isa.c_str(), &level))
    return why = "--isa " + isa + ": expected scalar, avx2, avx512vnni, neon or neondot", false;
  if (kernels::isa_force(level, err) != EARSHOT_OK) return why = std::string("--isa ") + isa + ": " + err.message, false;
  return true;
}

const char* active_isa_name() { return kernels::isa_name(kernels::isa_active()); }

Transcript copy_result(const earshot_result& r) {
  Transcript t;
  t.text.assign(r.text, r.num_tokens);
  t.token_frames.assign(r.token_frames, r.token_frames + r.num_tokens);
  t.encoder_frames = r.encoder_frames;
  t.is_final = r.is_final != 0;
  t.no_match = r.no_match != 0;
  t.score_q10 = r.score_q10;
  return t;
}

bool recognize(Session& s, const std::vector<int16_t>& pcm, uint32_t sample_rate, Transcript& out, std::string& why) {
  earshot_recognizer* rec = s.rec();
  earshot_status st = earshot_reset(rec);
  if (st != EARSHOT_OK) return why = api_error("earshot_reset", st), false;
  const double t0 = now_seconds();
  if ((st = earshot_push(rec, pcm.data(), pcm.size())) != EARSHOT_OK) return why = api_error("earshot_push", st), false;
  if ((st = earshot_finish(rec)) != EARSHOT_OK) return why = api_error("earshot_finish", st), false;
  const double t1 = now_seconds();
  earshot_result r{};
  if ((st = earshot_get_result(rec, &r)) != EARSHOT_OK) return why = api_error("earshot_get_result", st), false;
  out = copy_result(r);
  for (uint32_t i = 0; i < r.num_nbest; ++i) {
    const char* text = nullptr;
    int32_t score = 0;
    if ((st = earshot_get_nbest(rec, i, &text, &score, nullptr)) != EARSHOT_OK)
      return why = api_error("earshot_get_nbest", st), false;
    out.nbest.push_back({text, score});
  }
  out.compute_s = t1 - t0;
  out.audio_s = static_cast<double>(pcm.size()) / sample_rate;
  return true;
}

double token_time(const earshot_model_info& info, uint32_t frame) {
  // One product and one division: exact multiples of the frame time print short (0.09, not 0.09000000000000001).
  return static_cast<double>(uint64_t{frame} * info.encoder_frame_samples) / info.sample_rate_hz;
}

std::string api_error(const char* what, earshot_status st) {
  return std::string(what) + ": " + earshot_status_string(st) + ": " + earshot_last_error();
}

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace earshot::cli
