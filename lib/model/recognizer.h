// Streaming recognizer: 16 kHz PCM -> front-end -> encoder -> local-attention
// decoder under a search, greedy or beam (MODEL.md; lib/decoder/search.h),
// with every byte of state in one caller-given arena.
//
// Memory: arena_size(model, config) bytes (any alignment); create() places the
// Recognizer object itself at the start of the arena and carves the rest, so
// the arena is the whole footprint. Nothing is allocated, ever: the size is
// fixed by the model and the config, and a 10-minute stream uses the same
// bytes as a 2-second one (encoder frames live in a ring, FrameRing).
//
// Lifetime: the Model (and its image buffer) must outlive the Recognizer; the
// arena is the caller's and holds the Recognizer until the caller reuses it
// (no destroy: nothing else is held). One thread at a time per Recognizer;
// recognizers sharing a Model need no locking.
//
// Results do not depend on how the input is chunked (one sample at a time or
// all at once give the same bits), nor on the kernels' ISA level.
#pragma once
#include <cstddef>
#include <cstdint>

#include "common/error.h"
#include "decoder/beam_decoder.h"
#include "decoder/greedy_decoder.h"
#include "decoder/search.h"
#include "frontend/frontend.h"
#include "kernels/isa.h"
#include "model/encoder.h"
#include "model/frame_ring.h"
#include "model/model.h"

namespace earshot {

inline constexpr uint32_t kDefaultEndpointMs = 900;
inline constexpr uint32_t kCtcOff = 1000;  // = EARSHOT_CTC_OFF
inline constexpr uint32_t kLmOff = 1000;   // = EARSHOT_LM_OFF
inline constexpr uint32_t kMaxEndpointMs = 60000;
// A pause while the search's best hypothesis is inside a phrase (Search::mid_phrase:
// the CTC search with a grammar) ends the utterance only after this many endpoint
// times (MODEL.md step 6).
inline constexpr uint32_t kMidPhraseEndpoints = 2;
// Out-of-grammar rejection thresholds on RecognizerResult::match_q15, tuned by
// tools/train/eval_split.py --calibrate on the real dev characters (people the
// model never trained on; the lowest threshold with at most 5 % out-of-list
// accepts; models/README.md "Out-of-grammar rejection"): greedy (or beam
// without CTC), where the match is the confidence, and beam search with CTC
// prefix scoring, where it weighs the phrase's CTC score against the best path.
inline constexpr uint32_t kDefaultRejectQ15 = 10302;      // 0.314
inline constexpr uint32_t kDefaultRejectJointQ15 = 9080;  // 0.277
// The CTC search (ctc_search), where the match is the phrase's CTC score
// against the best path alone, less kCtcMatchOffsetQ10 (real dev characters
// at width 1024: in-list sentence error 11.4 % at 5.0 % out-of-list accepts).
inline constexpr uint32_t kDefaultRejectCtcQ15 = 6685;  // 0.204

// Confidence of a span of tokens: the geometric mean of their posteriors,
// exp(sum of Q10 log-probabilities / count), in Q15 (32768 = 1). Integer
// only, so every target prints the same figure.
int32_t confidence_q15(int64_t sum_logprob_q10, uint32_t count);

struct RecognizerConfig {
  uint32_t max_chars = 0;  // 0: the model's decoder.max_chars; else 1..kMaxCharsLimit
  // 0 or 1: greedy decoding (GreedyDecoder); 2..kMaxBeam: beam search of that
  // width (BeamDecoder, MODEL.md "Beam search"). The arena grows with it.
  uint32_t beam = 0;
  // End of utterance on silence: once the decoder has started, this many ms of
  // blank CTC frames end the utterance as if the input ended there (the
  // decoder runs its remaining steps to <eos>). 0: kDefaultEndpointMs.
  uint32_t endpoint_ms = 0;
  // Out-of-grammar rejection: with a grammar, a final text whose match_q15
  // (RecognizerResult) is below this is "no match". 0: kDefaultRejectQ15, or
  // kDefaultRejectJointQ15 for beam search with CTC scoring; 1 rejects nothing.
  uint32_t reject_q15 = 0;
  // Beam search: weight of the CTC prefix score in percent (MODEL.md "CTC
  // prefix scoring"). 0: kDefaultCtcWeightPct, or kDefaultGrammarCtcWeightPct
  // while a grammar is set; 1..100; kCtcOff: attention only.
  uint32_t ctc_weight_pct = 0;
  // Beam search without a grammar: weight of the image's character LM in
  // percent (MODEL.md "Character LM"). 0: kDefaultLmWeightPct; 1..100; kLmOff:
  // none. Ignored (no LM memory) when the image has no LM.
  uint32_t lm_weight_pct = 0;
  // Decode with the CTC head alone (CtcSearch, MODEL.md "CTC search"): a
  // frame-synchronous prefix search over the grammar, no decoder steps. `beam`
  // is then the live prefixes kept per frame (0 or 1: kDefaultCtcSearchWidth;
  // at most kMaxCtcSearchWidth). Not in greedy-only builds.
  bool ctc_search = false;
  // Tests only: run the beam decoder even at width 1 (it then gives exactly
  // the greedy decoder's result).
  bool beam_decoder_at_width_1 = false;
};

// One entry of the n-best list (best first), valid like RecognizerResult:
// text, tokens, their frames and Q10 log-probabilities, and score_q10 (the sum
// of the Q10 log-probabilities of its tokens and <eos>, <= 0).
using NBestEntry = Hypothesis;

// One word of the result text (a run of non-space characters).
struct RecognizerWord {
  uint32_t first_char = 0, num_chars = 0;   // characters [first_char, first_char + num_chars)
  uint32_t start_frame = 0, end_frame = 0;  // encoder frames [first token's, last token's + 1)
  int32_t confidence_q15 = 0;               // confidence_q15 of the word's tokens
};

// Optional observer of every encoder frame (tests, parity dumps).
struct EncoderFrameInfo {
  uint64_t frame;            // n
  const int8_t* output;      // e[n]: H int8 Q7, valid during the call
  const int16_t* ctc_logits; // V int16 Q10
  int32_t ctc_token;
};

struct RecognizerResult {
  const char* text = "";               // NUL-terminated; valid until the next push/finish/reset
  uint32_t num_tokens = 0;             // = strlen(text): one character per token
  const uint8_t* tokens = nullptr;     // token ids (1..V-1)
  const uint32_t* token_frames = nullptr;  // encoder frame of each token's window centre
  const int32_t* token_logprobs = nullptr; // Q10 log-probability of each token (<= 0)
  uint64_t encoder_frames = 0;         // encoder frames so far
  int64_t onset = -1;                  // first non-blank CTC frame, or -1
  bool is_final = false;               // the text can no longer change
  bool no_match = false;               // a grammar is set and no phrase of it fit
  int32_t score_q10 = 0;               // the text's score (NBestEntry::score_q10); partial while decoding
  int32_t confidence_q15 = 0;          // confidence_q15(score_q10, tokens + 1) once final, else of the
                                       // tokens so far; kept on a rejection (no_match) for the caller
  int32_t match_q15 = 0;               // what out-of-grammar rejection tests (Q15): once final with beam
                                       // search, confidence_q15 of BeamDecoder::match_score_q10() (the
                                       // CTC part relative to the best CTC path); else = confidence_q15
  uint32_t utterance = 0;              // 0-based index of this utterance in the stream
  uint32_t num_nbest = 0;              // entries of nbest(): once final, 0 with no_match or when
                                       // nothing was decoded (no onset); greedy: 1 (the text)
};

class Recognizer {
 public:
  // Bytes of arena the pair needs; 0 and err set when the config is invalid.
  static size_t arena_size(const Model& model, const RecognizerConfig& cfg, Error& err);
  // Builds a recognizer inside `arena` (>= arena_size bytes). Null and err
  // (EARSHOT_ERR_MEMORY_TOO_SMALL, ..._INVALID_ARGUMENT) on failure. The
  // kernels' ISA is the one active now (kernels::isa_active()).
  static Recognizer* create(const Model& model, const RecognizerConfig& cfg, void* arena, size_t arena_bytes,
                            Error& err);

  // 16-bit PCM at the model's sample rate, any number of samples per call.
  earshot_status push(const int16_t* pcm, size_t samples, Error& err);
  // Front-end features directly (frames x n_mels, int16 Q8 dB), bypassing the
  // front-end: the entry point of parity tools (earshot-run). Do not mix with
  // push() in one utterance.
  earshot_status push_features(const int16_t* features, size_t frames, Error& err);
  // Continuous streaming: like push(), but returns as soon as the utterance
  // becomes final (end token, endpoint silence or character limit), with
  // *consumed samples taken; the rest is for after next_utterance().
  earshot_status push_some(const int16_t* pcm, size_t samples, size_t* consumed, Error& err);
  // Starts the next utterance of the same stream: the front-end and encoder
  // keep their state (no audio is lost); the decoder waits for the next onset
  // at or after the frames already heard. After finish(), use reset().
  earshot_status next_utterance(Error& err);
  // End of input: the decoder runs its remaining steps; the result is final.
  earshot_status finish(Error& err);
  // Back to the state of a new recognizer (same model, config and arena).
  void reset();
  // Constrains the text to a compiled grammar (null: free text). Only between
  // utterances (before the decoder starts); the grammar must outlive its use.
  earshot_status set_grammar(const Grammar* g, Error& err);

  RecognizerResult result() const;
  // The i-th best finished hypothesis (i < result().num_nbest); false if none.
  // Greedy decoding has one entry, the text.
  bool nbest(uint32_t i, NBestEntry& out) const;
  // The words of result().text, split once per result change: on the first
  // call after it, into the kernel scratch (unused between calls, so the split
  // takes no arena of its own). Then num_words() is O(1) and word(i) O(its
  // length). Not from an observer (the kernels own the scratch during a call).
  uint32_t num_words() const;
  // The i-th word (i < num_words()); false if none.
  bool word(uint32_t i, RecognizerWord& out) const;
  uint32_t beam_width() const { return beam_width_; }
  const BeamDecoder* beam_decoder() const { return kBeamSearch ? search_->as_beam() : nullptr; }  // diagnostics; null when greedy
  const CtcSearch* ctc_search() const { return kBeamSearch ? search_->as_ctc() : nullptr; }  // diagnostics; null unless ctc_search
  const Model& model() const { return *model_; }
  kernels::Isa isa() const { return isa_; }

  void set_encoder_observer(void (*fn)(void* user, const EncoderFrameInfo& f), void* user) {
    enc_observer_ = fn;
    enc_observer_user_ = user;
  }
  void set_decoder_observer(void (*fn)(void* user, const DecoderStepInfo& s), void* user) {
    search_->set_observer(fn, user);
  }

 private:
  Recognizer() = default;
  // The word split, in the kernel scratch between calls: this header, then
  // first_chars(): the first character of each word (uint16: max_chars <=
  // kMaxCharsLimit < 2^16), at most max_chars / 2 + 1 of them. words() builds it when words_ready_ is
  // false; every call that runs the kernels or changes the result clears that.
  struct WordIndex {
    const char* text;  // the result's, valid as long as the index
    const uint32_t* token_frames;
    const int32_t* token_logprobs;
    uint32_t num_tokens, num_words;
    const uint16_t* first_chars() const { return reinterpret_cast<const uint16_t*>(this + 1); }
  };
  static size_t word_index_bytes(uint32_t max_chars);
  const WordIndex& words() const;

  // Takes every region of the arena in order (measuring when `a` has no base).
  void layout(ArenaCarver& a, const Model& model, const SearchConfig& sc);
  void feature_frame(const int16_t* features);

  const Model* model_ = nullptr;
  kernels::Isa isa_ = kernels::Isa::scalar;
  Frontend frontend_;
  void* frontend_mem_ = nullptr;
  int16_t* features_ = nullptr;  // n_mels: one front-end frame
  void* scratch_ = nullptr;      // kernel scratch shared by encoder and decoder
  StreamingEncoder encoder_;
  FrameRing ring_;
  // Greedy or beam: the object and its state are in the arena (make_search).
  SearchImpl* search_ = nullptr;
  uint32_t beam_width_ = 1;
  bool finished_ = false;
  mutable bool words_ready_ = false;  // the scratch holds the current result's WordIndex
  uint32_t endpoint_frames_ = 0;
  uint32_t reject_q15_ = 0;
  uint32_t blank_run_ = 0;     // consecutive blank CTC frames
  uint32_t utterance_ = 0;
  void (*enc_observer_)(void*, const EncoderFrameInfo&) = nullptr;
  void* enc_observer_user_ = nullptr;
};

}  // namespace earshot
