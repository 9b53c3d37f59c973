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
#include "decoder/beam_decoder.h"

namespace earshot::cli {
namespace {

constexpr const char* kDefaultModel = "models/en-small.esm";
constexpr size_t kMaxImageBytes = size_t{1} << 30;

// models/en-small.esm in the checkout this binary was built in: the first
// ancestor of the executable's folder that has it (build/<preset>/bin/earshot
// -> the repository root), or share/earshot/models/en-small.esm of the
// prefix it was installed to.
std::string find_default_model(std::string& looked) {
  std::error_code ec;
  std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  for (auto d = exe.parent_path(); !d.empty(); d = d.parent_path()) {
    const auto cand = d / kDefaultModel;
    if (std::filesystem::exists(cand, ec)) return cand.string();
    // An installed tree (cmake --install): P/bin/earshot and P/share/earshot/models/.
    if (const auto inst = d / "share/earshot" / kDefaultModel; std::filesystem::exists(inst, ec)) return inst.string();
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
  // A regular file of known size goes straight into the aligned buffer; anything
  // else (a pipe, a file that changes size under us) through a growing vector.
  if (S_ISREG(st.st_mode) && st.st_size > 0 && static_cast<uint64_t>(st.st_size) <= kMaxImageBytes) {
    const size_t size = static_cast<size_t>(st.st_size);
    auto* p = static_cast<uint8_t*>(std::aligned_alloc(64, (size + 63) / 64 * 64));
    if (!p) {
      ::close(fd);
      return why = "model " + path + ": out of memory", false;
    }
    size_t got = 0;
    ssize_t n = 1;
    while (got < size && (n = ::read(fd, p + got, size - got)) > 0) got += static_cast<size_t>(n);
    uint8_t extra;
    if (got == size && n >= 0 && ::read(fd, &extra, 1) == 0) {  // all of it, and nothing more
      ::close(fd);
      out = std::unique_ptr<uint8_t[], void (*)(void*)>(p, std::free);
      bytes = size;
      return true;
    }
    std::free(p);
    if (n < 0) {
      const int e = errno;
      ::close(fd);
      return why = "model " + path + ": " + std::strerror(e), false;
    }
    if (::lseek(fd, 0, SEEK_SET) != 0) {
      const int e = errno;
      ::close(fd);
      return why = "model " + path + ": " + std::strerror(e), false;
    }
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
                  "Model image (.esm); default $EARSHOT_MODEL, else models/en-small.esm of this checkout (installed: PREFIX/share/earshot/models/)");
  sub->add_option("--arena-kb", o.arena_kb,
                  "Simulate a board with this many KiB of recognizer arena (default: exactly what the model needs)")
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 22));
  sub->add_option("--isa", o.isa, "Force the kernels' instruction-set level (default $EARSHOT_ISA, else the best)")
      ->check(CLI::IsMember({"scalar", "avx2", "avx512vnni", "neon", "neondot"}));
  sub->add_option("--backend", o.backend,
                  "Kernels: ref (scalar reference), simd (best ISA level; the default) or xnnpack (where built)")
      ->check(CLI::IsMember({"ref", "simd", "xnnpack"}));
  // One callback for the subcommand (a second would replace it).
  sub->parse_complete_callback([&o] {
    std::string why;
    if (!resolve_backend(o, why)) throw CLI::ValidationError("--backend " + o.backend, why);
    if (!o.ctc && o.beam > 32) throw CLI::ValidationError("--beam", "beam search is 1..32 wide (up to 4096 with --ctc)");
    if (o.ctc && o.ctc_weight >= 0) throw CLI::ValidationError("--ctc-weight", "--ctc decodes with the CTC head alone");
  });
  auto* g = sub->add_option("-g,--grammar", o.grammar,
                             "Constrain the text to a grammar: a phrase list (one phrase a line) or JSGF (file starts "
                             "with #JSGF); see lib/decoder/GRAMMAR.md");
  auto* w = sub->add_option("-w,--words", o.words, "Constrain the text to any sequence of these words (one or more a line)");
  g->excludes(w);
  sub->add_option("--beam", o.beam,
                  "Beam width: 1 greedy (as the firmware decodes), 2..32 joint CTC-attention beam search (more arena). "
                  "Default: 8, 16 with --words; with --grammar the CTC search (--ctc), which --beam N there replaces by "
                  "beam search. With --ctc: the prefixes kept per frame, 2..4096 (default 1024)")
      ->check(CLI::Range(1u, 4096u));
  sub->add_flag("--ctc", o.ctc,
                "Decode with the CTC head alone: a frame-synchronous prefix search over the grammar, no decoder steps "
                "(exact for a phrase list whose prefixes fit --beam; lib/model/MODEL.md \"CTC search\"). The default "
                "with --grammar unless --beam or --ctc-weight is given (word lists: beam 16)");

  sub->add_option("--ctc-weight", o.ctc_weight,
                  "With --beam: weight of the CTC prefix score in percent (0 = attention only; default 30, with a grammar 70)")
      ->check(CLI::Range(0, 100));
  sub->add_option("--lm-weight", o.lm_weight,
                  "With --beam and no grammar: weight of the model's character language model in percent (0 = none; default 30; "
                  "ignored when the model has none)")
      ->check(CLI::Range(0, 100));
  sub->add_option("--endpoint-ms", o.endpoint_ms,
                  "End an utterance after this much silence once speech started (default 900; a file may hold several; "
                  "with the CTC search and a grammar, a pause inside a phrase waits up to twice this)")
      ->check(CLI::Range(1u, 60000u));
  sub->add_option("--reject", o.reject,
                  "With --grammar/--words: 'no match' below this match score (the JSON's \"match\", 0..1; default: calibrated per decoding mode, models/README.md)")
      ->check(CLI::Range(0.0, 1.0));
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
  cfg.beam = o.beam_width();
  cfg.ctc_search = o.use_ctc() ? 1 : 0;
  cfg.endpoint_ms = o.endpoint_ms;
  // A threshold of 0 would mean "the default" to the C API: 1 (of 32768) rejects nothing.
  if (o.reject >= 0) cfg.reject_q15 = std::max<uint32_t>(1, static_cast<uint32_t>(std::lround(o.reject * 32768)));
  if (o.ctc_weight >= 0) cfg.ctc_weight_pct = o.ctc_weight == 0 ? EARSHOT_CTC_OFF : static_cast<uint32_t>(o.ctc_weight);
  if (o.lm_weight >= 0) cfg.lm_weight_pct = o.lm_weight == 0 ? EARSHOT_LM_OFF : static_cast<uint32_t>(o.lm_weight);
  info_ = &m.info();
  if (o.backend == "xnnpack") {
    xnn_ = std::make_unique<XnnOverride>();
    if (!xnn_->install(why)) return why = "--backend xnnpack: " + why, false;
    xnn_verbose_ = o.verbose;
  }
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

Session::~Session() {
  if (xnn_ && xnn_verbose_)
    std::fprintf(stderr, "earshot: XNNPACK ran %llu matrix products with %zu operators (%llu left to earshot's kernels)\n",
                 static_cast<unsigned long long>(xnn_->calls()), xnn_->operators(),
                 static_cast<unsigned long long>(xnn_->fallbacks()));
}

void Session::report(const char* cmd, const OpenModel& m, const ModelOptions& o) const {
  if (!o.verbose) return;
  std::string g;
  if (o.constrained())
    g = ", " + std::string(o.grammar.empty() ? "word list " + o.words : "grammar " + o.grammar) + " (" +
        std::to_string(grammar_bytes_) + " bytes)";
  std::string lm;
  if (m.info().lm_contexts) {
    const bool used = o.beam_width() > 1 && !o.use_ctc() && !o.constrained() && o.lm_weight != 0;
    lm = ", character LM (order " + std::to_string(m.info().lm_order) + ", " + std::to_string(m.info().lm_contexts) +
         " contexts) " + (used ? "at weight " + std::to_string(o.lm_weight > 0 ? o.lm_weight : static_cast<int>(earshot::kDefaultLmWeightPct)) + " %" : "unused");
  }
  const uint32_t w = o.beam_width();
  const std::string search = o.use_ctc() ? "CTC search of " + std::to_string(w) + " prefixes"
                             : w > 1     ? "beam search of width " + std::to_string(w)
                                         : std::string("greedy decoding");
  std::fprintf(stderr, "earshot %s: model %s ('%s', %zu bytes), arena %zu bytes (the model needs %zu), kernels %s%s, %s%s%s\n",
               cmd, m.path().c_str(), m.info().name, m.image_bytes(), arena_.size(), needed_, active_isa_name(),
               xnn_ ? " with matrix products on XNNPACK (not bit-exact)" : "", search.c_str(), g.c_str(), lm.c_str());
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

bool xnnpack_built() {
#if defined(EARSHOT_HAVE_XNNPACK)
  return true;
#else
  return false;
#endif
}

bool resolve_backend(ModelOptions& o, std::string& why) {
  if (o.backend.empty()) return true;
  if (o.backend == "ref") {
    if (!o.isa.empty() && o.isa != "scalar")
      return why = "runs the scalar reference kernels, --isa " + o.isa + " contradicts it", false;
    o.isa = "scalar";
    return true;
  }
  if (o.backend == "simd") {
    if (o.isa == "scalar") return why = "--isa scalar is the reference (--backend ref), not a SIMD level", false;
    if (o.isa.empty()) o.isa = kernels::isa_name(kernels::isa_best());
    return true;
  }
  if (o.backend == "xnnpack") {
    if (!xnnpack_built())
      return why = "XNNPACK is not built into this earshot (libxnnpack-dev was not found when it was configured)",
             false;
    // Matrix products on XNNPACK (Session installs it); the rest at --isa's level or the best.
    if (o.isa == "scalar") return why = "--isa scalar is the reference (--backend ref), not XNNPACK's", false;
    return true;
  }
  return why = "expected ref, simd or xnnpack", false;
}

const char* active_isa_name() { return kernels::isa_name(kernels::isa_active()); }

double confidence_value(int32_t q15) { return static_cast<double>((int64_t{q15} * 10000 + 16384) >> 15) / 10000.0; }

nlohmann::ordered_json words_json(const Transcript& t) {
  auto words = nlohmann::ordered_json::array();
  for (const auto& w : t.words)
    words.push_back({{"word", w.text}, {"start", w.start_ms / 1000.0}, {"end", w.end_ms / 1000.0},
                     {"confidence", confidence_value(w.confidence_q15)}});
  return words;
}

nlohmann::ordered_json token_times_json(const earshot_model_info& info, const Transcript& t) {
  auto times = nlohmann::ordered_json::array();
  for (uint32_t f : t.token_frames) times.push_back(token_time(info, f));
  return times;
}

bool copy_result(earshot_recognizer* rec, const earshot_model_info& info, Transcript& t, std::string& why) {
  earshot_result r{};
  earshot_status st = earshot_get_result(rec, &r);
  if (st != EARSHOT_OK) return why = api_error("earshot_get_result", st), false;
  t = Transcript{};
  t.text.assign(r.text, r.num_tokens);
  t.token_frames.assign(r.token_frames, r.token_frames + r.num_tokens);
  t.encoder_frames = r.encoder_frames;
  t.is_final = r.is_final != 0;
  t.no_match = r.no_match != 0;
  t.score_q10 = r.score_q10;
  t.confidence_q15 = r.confidence_q15;
  t.match_q15 = r.match_q15;
  for (uint32_t i = 0; i < r.num_words; ++i) {
    earshot_word w{};
    if ((st = earshot_get_word(rec, i, &w)) != EARSHOT_OK) return why = api_error("earshot_get_word", st), false;
    t.words.push_back({t.text.substr(w.first_char, w.num_chars), w.start_ms, w.end_ms, w.confidence_q15});
  }
  for (uint32_t i = 0; i < r.num_nbest; ++i) {
    const char* text = nullptr;
    int32_t score = 0;
    uint32_t n = 0;
    if ((st = earshot_get_nbest(rec, i, &text, &score, &n)) != EARSHOT_OK)
      return why = api_error("earshot_get_nbest", st), false;
    t.nbest.push_back({text, score, earshot_confidence_q15(score, n + 1)});
  }
  if (!t.text.empty() || t.no_match) {
    Transcript::Segment seg;
    seg.text = t.text;
    seg.no_match = t.no_match;
    seg.score_q10 = t.score_q10;
    seg.confidence_q15 = t.confidence_q15;
    seg.match_q15 = t.match_q15;
    seg.tokens = r.num_tokens;
    const double ms_per_frame = 1000.0 * info.encoder_frame_samples / info.sample_rate_hz;
    if (!t.words.empty()) {
      seg.start_ms = t.words.front().start_ms;
      seg.end_ms = t.words.back().end_ms;
    } else {  // rejected: when the utterance ended
      seg.start_ms = seg.end_ms = static_cast<uint32_t>(r.encoder_frames * ms_per_frame);
    }
    t.segments.push_back(seg);
  }
  return true;
}

namespace {

// Appends one utterance to the file's transcript.
void append(Transcript& all, Transcript&& u) {
  if (!u.text.empty()) {
    if (!all.text.empty()) {
      all.text += ' ';
      all.token_frames.push_back(u.token_frames.front());  // the joining space: where the next one starts
    }
    all.text += u.text;
    all.token_frames.insert(all.token_frames.end(), u.token_frames.begin(), u.token_frames.end());
    all.words.insert(all.words.end(), u.words.begin(), u.words.end());
  }
  all.segments.insert(all.segments.end(), u.segments.begin(), u.segments.end());
  all.nbest = std::move(u.nbest);  // meaningful with one utterance; see recognize()
  all.encoder_frames = u.encoder_frames;
}

}  // namespace

bool recognize(Session& s, const std::vector<int16_t>& pcm, uint32_t sample_rate, Transcript& out, std::string& why) {
  bool given = false;
  return recognize(
      s,
      [&](const int16_t*& block, size_t& n, std::string&) {
        block = pcm.data();
        n = given ? 0 : pcm.size();
        given = true;
        return true;
      },
      sample_rate, out, why);
}

bool recognize(Session& s, const PcmSource& next, uint32_t sample_rate, Transcript& out, std::string& why) {
  earshot_recognizer* rec = s.rec();
  const earshot_model_info& info = *s.info();
  earshot_status st = earshot_reset(rec);
  if (st != EARSHOT_OK) return why = api_error("earshot_reset", st), false;
  out = Transcript{};
  size_t nbest_segments = 0, samples = 0;
  Transcript u;
  double compute = 0;
  for (;;) {
    const int16_t* pcm = nullptr;
    size_t n = 0;
    if (!next(pcm, n, why)) return false;
    if (!n) break;
    samples += n;
    const double t0 = now_seconds();
    for (size_t off = 0; off < n;) {
      size_t k = 0;
      if ((st = earshot_push_some(rec, pcm + off, n - off, &k)) != EARSHOT_OK)
        return why = api_error("earshot_push_some", st), false;
      off += k;
      if (!copy_result(rec, info, u, why)) return false;
      if (!u.is_final) continue;  // all samples taken, the utterance goes on
      nbest_segments += !u.nbest.empty();
      append(out, std::move(u));
      if ((st = earshot_next_utterance(rec)) != EARSHOT_OK) return why = api_error("earshot_next_utterance", st), false;
    }
    compute += now_seconds() - t0;
  }
  const double t0 = now_seconds();
  if ((st = earshot_finish(rec)) != EARSHOT_OK) return why = api_error("earshot_finish", st), false;
  compute += now_seconds() - t0;
  if (!copy_result(rec, info, u, why)) return false;
  nbest_segments += !u.nbest.empty();
  append(out, std::move(u));
  if (nbest_segments != 1) out.nbest.clear();  // an n-best list of a whole multi-utterance file is not kept
  out.is_final = true;
  // The file's score and confidence: of all the characters (and end tokens) of
  // its utterances with text; with none, the best rejected one's (what the
  // grammar's nearest phrase scored).
  int64_t score = 0;
  uint32_t count = 0;
  bool any_match = false, any_rejected = false;
  for (const auto& seg : out.segments) {
    any_match = any_match || !seg.no_match;
    any_rejected = any_rejected || seg.no_match;
    if (seg.no_match) continue;
    score += seg.score_q10;
    count += seg.tokens + 1;
  }
  out.score_q10 = static_cast<int32_t>(std::max<int64_t>(INT32_MIN, score));
  out.confidence_q15 = count ? earshot_confidence_q15(out.score_q10, count) : 0;
  if (!count)
    for (const auto& seg : out.segments)
      if (seg.confidence_q15 >= out.confidence_q15) out.score_q10 = seg.score_q10, out.confidence_q15 = seg.confidence_q15;
  out.no_match = any_rejected && !any_match;
  for (const auto& seg : out.segments) out.match_q15 = std::max(out.match_q15, seg.match_q15);
  out.compute_s = compute;
  out.audio_s = static_cast<double>(samples) / sample_rate;
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
