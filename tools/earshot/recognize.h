// What transcribe, eval and stream share: finding and opening the model image,
// the kernels' ISA level, and a recognizer in an arena of the board's size,
// all through the public C API (earshot.h) — the device code path.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "earshot/earshot.h"
#include "xnn_override.h"

namespace earshot::cli {

// --model, --arena-kb and --isa, added to each recognizing subcommand.
struct ModelOptions {
  std::string model;     // empty: $EARSHOT_MODEL, then models/en-small.esm of this checkout
  uint64_t arena_kb = 0; // 0: exactly earshot_arena_size() (what the firmware reserves)
  std::string isa;       // empty: $EARSHOT_ISA, then the best level this CPU runs
  std::string backend;   // --backend ref|simd|xnnpack (resolve_backend); empty: as --isa says
  bool verbose = false;  // one line on stderr: model, arena bytes, kernels' level
  std::string grammar;   // phrase list or JSGF (#JSGF first) file: the text is one of its sentences
  std::string words;     // word list file: any sequence of its words
  uint32_t beam = 0;     // 1: greedy; 2..32: beam search of that width; 0 (not given): beam_width()'s default
  bool ctc = false;      // --ctc: the CTC search (beam = its live prefixes, up to 4096)
  uint32_t endpoint_ms = 0;  // 0: the library's default (earshot_recognizer_config.endpoint_ms)
  double reject = -1;        // out-of-grammar threshold on confidence 0..1; < 0: the calibrated default
  int ctc_weight = -1;       // beam search: CTC prefix score weight in percent; < 0: the library's default
  int lm_weight = -1;        // beam search without a grammar: character LM weight in percent; < 0: the library's default
  bool constrained() const { return !grammar.empty() || !words.empty(); }
  // Beam search by default: on a PC it costs little (RTF ~0.002) and the joint
  // CTC-attention search halves the word errors of greedy decoding (calibration
  // set, commands: 56 % -> 29 % WER at 8). A grammar gets a wider beam: the
  // right phrase is often not among few early prefixes, and rejection uses
  // the CTC evidence only beam search has (models/README.md).
  // With --grammar the default is the CTC search (--ctc): on real voices it
  // cuts beam search's phrase-list errors by two thirds (models/README.md
  // "CTC search"); an explicit --beam N or --ctc-weight there asks for beam
  // search. Word lists keep beam 16: there the CTC search's character bonus
  // inserts words (real dev characters, each list's words: WER 75.9 % at
  // beam 16, 89.8 % with the CTC search).
  static constexpr uint32_t kFreeBeam = 8, kGrammarBeam = 16, kCtcWidth = 1024;
  bool use_ctc() const { return ctc || (!grammar.empty() && beam == 0 && ctc_weight < 0); }
  uint32_t beam_width() const {
    return beam ? beam : use_ctc() ? kCtcWidth : constrained() ? kGrammarBeam : kFreeBeam;
  }
};
void add_model_options(CLI::App* sub, ModelOptions& o);

// An opened model image: the file's bytes (64-byte aligned, read in place as
// from flash), the C API's model handle and what the CLI needs to know of it.
class OpenModel {
 public:
  OpenModel() = default;
  OpenModel(const OpenModel&) = delete;  // the handle lives inside this object
  OpenModel& operator=(const OpenModel&) = delete;

  // Resolves the path, reads the image and validates it (earshot_model_open).
  // On failure returns false and `why` is one line naming the file and defect.
  bool open(const ModelOptions& o, std::string& why);

  const earshot_model* handle() const { return model_; }
  const earshot_model_info& info() const { return info_; }
  const std::string& path() const { return path_; }
  // The model's output characters (vocabulary without <eos>), e.g. "abc...z '".
  const std::string& alphabet() const { return alphabet_; }
  size_t image_bytes() const { return bytes_; }

 private:
  std::unique_ptr<uint8_t[], void (*)(void*)> image_{nullptr, nullptr};
  size_t bytes_ = 0;
  alignas(16) unsigned char handle_mem_[EARSHOT_MODEL_HANDLE_BYTES];
  earshot_model* model_ = nullptr;
  earshot_model_info info_{};
  std::string path_, alphabet_;
};

// One recognizer in an arena of the board's size (or --arena-kb).
class Session {
 public:
  Session() = default;
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  ~Session();  // with --backend xnnpack and -v: how many products XNNPACK ran
  // On failure `why` is one line (e.g. the arena does not fit the model).
  bool create(const OpenModel& m, const ModelOptions& o, std::string& why);
  earshot_recognizer* rec() const { return rec_; }
  const earshot_model_info* info() const { return info_; }
  size_t arena_bytes() const { return arena_.size(); }
  size_t arena_needed() const { return needed_; }
  // --grammar / --words: compiles the file for this model and sets it (once: it stays across resets).
  bool set_grammar(const OpenModel& m, const ModelOptions& o, std::string& why);
  // With --verbose: "<cmd>: model M (name, N bytes), arena A bytes (needs B), kernels ISA" on stderr.
  void report(const char* cmd, const OpenModel& m, const ModelOptions& o) const;

 private:
  std::vector<uint8_t> arena_;
  std::vector<uint64_t> grammar_mem_;  // the compiled grammar (outlives the recognizer's use of it)
  size_t grammar_bytes_ = 0;
  size_t needed_ = 0;
  earshot_recognizer* rec_ = nullptr;
  const earshot_model_info* info_ = nullptr;
  std::unique_ptr<XnnOverride> xnn_;  // --backend xnnpack
  bool xnn_verbose_ = false;
};

// Applies --isa (or validates $EARSHOT_ISA) before any recognizer exists.
// False with `why` when the level is unknown, not built in or not run by this CPU.
bool select_isa(const std::string& isa, std::string& why);
// --backend: ref sets --isa scalar (the reference kernels), simd the best
// level this CPU runs unless --isa names one; xnnpack is refused with `why`
// (not built, or the recognizer has no XNNPACK path yet). add_model_options
// runs it when parsing ends, so a refusal is a usage error.
bool resolve_backend(ModelOptions& o, std::string& why);
bool xnnpack_built();  // the XNNPACK backend (earshot_xnnpack) is linked in
const char* active_isa_name();

// A finished (or partial) result copied out of the arena.
struct Transcript {
  std::string text;
  std::vector<uint32_t> token_frames;
  uint32_t encoder_frames = 0;
  bool is_final = false;
  bool no_match = false;  // a grammar is set and no phrase of it fit (text is empty)
  int32_t score_q10 = 0;  // sum of the characters' log-probabilities (Q10 natural log)
  int32_t confidence_q15 = 0;  // earshot_confidence_q15 of the text (0..32768)
  int32_t match_q15 = 0;       // what rejection tests (earshot_result.match_q15); a file: its best utterance's
  struct Alternative {
    std::string text;
    int32_t score_q10;
    int32_t confidence_q15;
  };
  std::vector<Alternative> nbest;  // with --beam: best first (earshot_get_nbest)
  struct Word {
    std::string text;
    uint32_t start_ms, end_ms;
    int32_t confidence_q15;
  };
  std::vector<Word> words;
  // A file is one or more utterances (earshot_push_some / earshot_next_utterance):
  // the text above joins theirs with spaces.
  struct Segment {
    std::string text;
    bool no_match = false;
    uint32_t start_ms = 0, end_ms = 0;
    int32_t score_q10 = 0, confidence_q15 = 0, match_q15 = 0;
    uint32_t tokens = 0;
  };
  std::vector<Segment> segments;
  double audio_s = 0, compute_s = 0;  // input length; wall time of push + finish
};
// One utterance's result (text, frames, score, confidence, words, n-best)
// copied out of the recognizer.
bool copy_result(earshot_recognizer* rec, const earshot_model_info& info, Transcript& t, std::string& why);
// Q15 confidence as a number in [0, 1] with 4 decimals (the same on every target).
double confidence_value(int32_t q15);
// The JSON pieces transcribe and stream share: [{"word", "start", "end",
// "confidence"}...] and the token times in seconds.
nlohmann::ordered_json words_json(const Transcript& t);
nlohmann::ordered_json token_times_json(const earshot_model_info& info, const Transcript& t);
// Plain output in place of the text when a grammar fits nothing (no model character is '<').
inline constexpr const char* kNoMatch = "<no match>";

// Resets the recognizer and runs all samples through it as a stream of
// utterances (end-of-utterance detection), then finishes. False with `why` on
// a C API failure.
bool recognize(Session& s, const std::vector<int16_t>& pcm, uint32_t sample_rate, Transcript& out, std::string& why);
// The same over blocks: `next` points `block` at the next `n` samples (n = 0: the
// end; false with `why`: a read error). Memory stays that of one block, so a
// two-hour file costs what a short one does (transcribe reads files this way).
using PcmSource = std::function<bool(const int16_t*& block, size_t& n, std::string& why)>;
bool recognize(Session& s, const PcmSource& next, uint32_t sample_rate, Transcript& out, std::string& why);

// Seconds of token i: token_frames[i] * encoder_frame_samples / sample_rate.
double token_time(const earshot_model_info& info, uint32_t frame);

// "C API call failed: <status>: <last error>" in one line.
std::string api_error(const char* what, earshot_status st);

double now_seconds();

}  // namespace earshot::cli
