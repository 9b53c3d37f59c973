// The search over the decoder's steps, behind one interface: the Recognizer
// (lib/model/recognizer.h) drives a Search and does not know which one it has.
// Three implement it: GreedyDecoder (greedy_decoder.h: beam width 0 or 1),
// BeamDecoder (beam_decoder.h: width 2..kMaxBeam, MODEL.md "Beam search") and
// CtcSearch (ctc_search.h: the CTC head alone, frame-synchronous; MODEL.md
// "CTC search").
//
// make_search() lays a search out in the recognizer's arena (the object and
// all its state), so a recognizer carries only the search it uses. What both
// searches keep alike (phase, onset, start floor, grammar, no-match flag,
// observer) is here, read without a virtual call; the rest is virtual. No
// virtual destructor: a search lives in the arena and is never deleted (and a
// deleting destructor would pull operator delete into the firmware).
//
// EARSHOT_BEAM_SEARCH=OFF (the greedy-only firmware): make_search() never
// builds a BeamDecoder or a CtcSearch, so their vtables and code are not linked, and the
// Recognizer holds the search as a GreedyDecoder (SearchImpl), whose calls
// bind statically.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "decoder/grammar.h"
#include "kernels/isa.h"
#include "model/arena.h"
#include "model/frame_ring.h"
#include "model/model.h"

// CMake option EARSHOT_BEAM_SEARCH (ON, except for the greedy-only firmware,
// which so drops the beam decoder's ~15 KB of code): OFF, a beam width above 1
// is EARSHOT_ERR_INVALID_ARGUMENT.
#ifndef EARSHOT_BEAM_SEARCH
#define EARSHOT_BEAM_SEARCH 1
#endif

namespace earshot {

inline constexpr bool kBeamSearch = EARSHOT_BEAM_SEARCH;

class BeamDecoder;
class CtcSearch;

// Optional observer of every decoder step (tests, parity dumps); called
// synchronously from push/finish, on the caller's thread.
struct DecoderStepInfo {
  uint32_t step;            // 0-based
  const int16_t* logits;    // V int16 Q10 (dec.out), valid during the call
  int32_t token;            // argmax; 0 = <eos>
  int64_t position_q8;      // window centre p (Q8 encoder frames)
  uint64_t window_first;    // first frame of the attention window
  uint32_t window_frames;
  uint32_t hypothesis = 0;  // beam search: the live hypothesis (rank order); greedy: 0
  // Greedy: the step's attention weights (window_frames, Q15), as the runtime
  // computed them, valid during the call (`earshot plot` draws them). Beam
  // search: null (B windows a step would need B x 64 more stack on a board).
  const int16_t* attn_probs = nullptr;
};

// One hypothesis: the best one (Search::best) or an n-best entry. Its pointers
// stay valid until the search changes (the next frame, end, reset or grammar);
// CtcSearch's n-best entries after the first keep their tokens, frames and
// values only until the next nbest() call (their text as long as the others).
struct Hypothesis {
  const char* text = "";                    // NUL-terminated, num_tokens characters
  uint32_t num_tokens = 0;
  const uint8_t* tokens = nullptr;          // token ids (1..V-1)
  const uint32_t* token_frames = nullptr;   // encoder frame of each token's window centre
  const int32_t* token_logprobs = nullptr;  // Q10 log-probability of each token (<= 0)
  int32_t score_q10 = 0;  // sum of Q10 log-probabilities of its tokens (and <eos> once finished; <= 0)
};

// How to lay a search out (Recognizer::create resolves it from its config).
struct SearchConfig {
  uint32_t max_chars = 0;
  uint32_t width = 1;          // beam width (1 with beam: the tests' beam search at width 1)
  bool beam = false;           // BeamDecoder (kBeamSearch builds only); else GreedyDecoder
  uint32_t ctc_weight_pct = 0; // beam: 0 (attention only) or 1..100
  bool ctc_weight_by_mode = false;  // beam: the config left the CTC weight to the grammar (set_grammar)
  uint32_t lm_weight_pct = 0;  // beam: 0 (none) or 1..100, with a model that has a character LM
  bool ctc = false;            // CtcSearch (kBeamSearch builds only): width = live prefixes
};

class Search {
 public:
  // The next utterance: back to waiting for its onset (a beam search keeps the
  // stream's CTC frames).
  virtual void reset() = 0;
  // A new stream: frame numbers start again at 0, no start floor.
  virtual void reset_stream() {
    start_floor_ = 0;
    reset();
  }
  // Continuous streaming: the next utterance's first window may not start
  // before this encoder frame (the frames before it belonged to the last one).
  void set_start_floor(uint64_t frame) { start_floor_ = frame; }

  // After each new encoder frame (already in `ring`, with its CTC token and
  // logits, V int16 Q10): starts at the CTC onset and runs every step whose
  // window is complete (MODEL.md steps 4-5).
  virtual void on_frame(const FrameRing& ring, int32_t ctc_token, const int16_t* ctc_logits, kernels::Isa isa,
                        void* scratch) = 0;
  // End of input (or of the utterance): no more frames will come, so the wait
  // rule lets every remaining step run until <eos> or max_chars.
  virtual void on_end(const FrameRing& ring, kernels::Isa isa, void* scratch) = 0;

  bool started() const { return phase_ != Phase::kWaitOnset; }
  bool done() const { return phase_ == Phase::kDone; }
  int64_t onset() const { return onset_; }  // n0, or -1

  // While decoding, the best path so far (partial); once done, the result
  // (empty when nothing finished).
  virtual void best(Hypothesis& out) const = 0;
  // What out-of-grammar rejection tests once done (Q10 sum over the tokens and
  // <eos>, <= 0): greedy, the score; beam, BeamDecoder::match_score_q10().
  virtual int64_t match_score_q10() const = 0;
  // Finished hypotheses, best first: none before done or after a no-match.
  virtual uint32_t num_nbest() const = 0;
  // The i-th of them (i < num_nbest()).
  virtual void nbest(uint32_t i, Hypothesis& out) const = 0;

  // Constrains the output to a grammar (lib/decoder/grammar.h) from the next
  // reset() on; null removes it. An utterance that cannot finish a phrase gives
  // no text (no_match()).
  virtual void set_grammar(const Grammar* g) { grammar_ = g; }
  const Grammar* grammar() const { return grammar_; }
  bool no_match() const { return no_match_; }

  // Endpointing (the Recognizer): the best live hypothesis is inside a phrase
  // of the grammar, so a pause there is more likely mid-phrase than the end of
  // the utterance. Only the CTC search says so (its live prefixes are the
  // phrases' prefixes); the decoder-step searches always say false.
  virtual bool mid_phrase() const { return false; }

  // Diagnostics (tests, bench): the beam search, or null.
  virtual const BeamDecoder* as_beam() const { return nullptr; }
  virtual const CtcSearch* as_ctc() const { return nullptr; }

  void set_observer(void (*fn)(void* user, const DecoderStepInfo& s), void* user) {
    observer_ = fn;
    observer_user_ = user;
  }

 protected:
  Search() = default;
  ~Search() = default;
  Search(const Search&) = delete;
  Search& operator=(const Search&) = delete;

  // MODEL.md step 4: the utterance's first frame once onset_ is known,
  // max(start floor, onset - onset_back) (the floor is at most the onset).
  uint64_t first_frame(uint32_t onset_back) const {
    return static_cast<uint64_t>(std::max<int64_t>(static_cast<int64_t>(start_floor_), onset_ - int64_t{onset_back}));
  }

  enum class Phase : uint8_t { kWaitOnset, kWaitWindow, kDone };
  Phase phase_ = Phase::kWaitOnset;
  bool no_match_ = false;  // the grammar could not be satisfied
  int64_t onset_ = -1;
  uint64_t start_floor_ = 0;
  const Grammar* grammar_ = nullptr;
  void (*observer_)(void*, const DecoderStepInfo&) = nullptr;
  void* observer_user_ = nullptr;
};

// Encoder frames the ring must hold, and kernel scratch bytes, for this search.
uint32_t search_ring_frames(const ModelHparams& hp, const SearchConfig& c);
size_t search_scratch_size(const Model& m, const SearchConfig& c);
// Takes the search's regions of the arena (the object first, then its state).
// The real pass constructs the search there and returns it; the measuring pass
// (no base) lays out a temporary and returns null.
Search* make_search(ArenaCarver& a, const Model& m, const SearchConfig& c);

class GreedyDecoder;
// The type the Recognizer holds its search as: the interface, or in a
// greedy-only build the one search there is (final, so no virtual calls).
using SearchImpl = std::conditional_t<kBeamSearch, Search, GreedyDecoder>;

}  // namespace earshot
