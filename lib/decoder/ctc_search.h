// Frame-synchronous CTC prefix search (MODEL.md "CTC search"): the encoder's
// CTC head alone, no decoder steps. Every live prefix is a token in a state
// of the grammar's automaton (one implicit state without a grammar), carrying
// the CTC prefix probabilities r_b / r_n of the frames so far; each frame every
// token stays (blank, or its last character repeated) or moves along each
// edge the automaton allows. Tokens with the same state and the same text are
// one prefix (their probabilities add); the best `width` survive a frame.
//
// Why: with a phrase list the label-synchronous beam search loses the right
// phrase early (its prefixes are ranked with the attention decoder's scores,
// which are weak on real voices: MODEL.md "CTC search"), while a phrase
// list's automaton is a tree, so with enough width this search is exact — it
// gives the phrase of the highest CTC probability. It also costs no decoder
// steps at all.
//
// Scores are integer Q10 (log_add_q10), tie-breaks are total orders, so every
// target gives the same bits. Memory is fixed at layout: tokens, a hash table,
// and a pool of character records (the texts, shared by prefix) that is
// compacted when it fills.
#pragma once
#include <cstdint>

#include "decoder/ctc_prefix.h"
#include "decoder/search.h"

namespace earshot {

// Live prefixes kept per frame (RecognizerConfig.beam with ctc_search).
inline constexpr uint32_t kDefaultCtcSearchWidth = 1024;
inline constexpr uint32_t kMaxCtcSearchWidth = 4096;
// Prefixes are ranked by their CTC log-probability plus this much per
// character (Q10; 2 nats). On real voices the CTC head drops characters it is
// unsure of, so among a list's phrases the shorter ones win without it: real
// dev characters, float model, every phrase scored, list error 16.0 % at 0,
// 9.9 % at 0.5, 5.9 % at 1, 4.2 % at 1.5, 3.0 % at 2, 3.7 % at 3, 5.6 % at 4
// nats (lib/model/MODEL.md "CTC search").
inline constexpr int32_t kCtcCharBonusQ10 = 2048;
// A text's score (and match, which rejection tests) is its CTC log-probability
// against the best path's, less this much (Q10; 4 nats), over its characters
// + 1: a fixed cost weighs more on a short phrase, and short phrases are what
// out-of-list speech is most often taken for. Real dev characters, float
// model, in-list error at 5 % out-of-list accepts by offset: 0 16.6 %, 1 nat
// 12.8 %, 2 10.9 %, 3 9.0 %, 4 8.3 %, 6 9.4 %, 8 9.6 % (lib/model/MODEL.md).
inline constexpr int32_t kCtcMatchOffsetQ10 = 4096;
// Finished texts kept for the n-best list.
inline constexpr uint32_t kCtcSearchNBest = 8;

class CtcSearch final : public Search {
 public:
  static uint32_t ring_frames(const ModelHparams&) { return 1; }  // reads no encoder frames
  static size_t scratch_size(const Model&) { return 0; }
  void layout(ArenaCarver& a, const Model& m, uint32_t max_chars, uint32_t width);
  void reset() override;
  void reset_stream() override {  // a new stream: frame numbers start again at 0
    frames_.reset();
    Search::reset_stream();
  }

  void on_frame(const FrameRing& ring, int32_t ctc_token, const int16_t* ctc_logits, kernels::Isa isa,
                void* scratch) override;
  void on_end(const FrameRing& ring, kernels::Isa isa, void* scratch) override;

  // score_q10 (and match_score_q10) of a text: its CTC log-probability over
  // the utterance's frames minus the best CTC path's over the same frames,
  // minus kCtcMatchOffsetQ10 (<= 0); token_logprobs: each character's log-probability at the frame it
  // was emitted minus that frame's best (<= 0); token_frames: those frames.
  void best(Hypothesis& out) const override;
  int64_t match_score_q10() const override { return done() && n_fin_ ? fin_score_[0] : 0; }
  uint32_t num_nbest() const override { return done() ? n_fin_ : 0; }
  // Entry i >= 1's tokens, frames and values are valid until the next call
  // (its text like the result's).
  void nbest(uint32_t i, Hypothesis& out) const override;

  const CtcSearch* as_ctc() const override { return this; }
  // With a grammar: the best-ranked live prefix is non-empty and not in an accepting state.
  bool mid_phrase() const override {
    return grammar_ && phase_ == Phase::kWaitWindow && n_cur_ && cur_[0].len && !grammar_->accepting(cur_[0].state);
  }
  // Diagnostics (tests, bench): the live prefixes now, the most a frame kept,
  // and the times the record pool was compacted / forced a prune.
  uint32_t live() const { return n_cur_; }
  uint32_t peak_live() const { return peak_; }
  uint64_t compactions() const { return compactions_; }
  uint64_t forced_prunes() const { return forced_prunes_; }

 private:
  // A prefix. Its last character is kept in the token (with the frame where
  // the CTC head was surest of it so far: the character's time), the ones
  // before it in the record pool, shared by prefix.
  struct Tok {
    uint64_t hash;    // FNV-1a of the text's tokens: with the state, the prefix's identity
    int32_t pb, pnb;  // Q10 log-probabilities: the CTC paths end in blank / in the last character
    int32_t score;    // rank(): what the prefixes are ordered by
    uint32_t state;   // automaton state (0 without a grammar)
    uint32_t rec;     // record of the character before the last (0: none); fresh: not yet made
    uint32_t from;    // fresh: the parent's index in cur_ (its last character becomes `rec`)
    uint32_t frame;   // the last character's frame: where lp[last] - max lp was highest
    int16_t lp;       // that lp[last] - max lp (Q10, <= 0)
    uint16_t len;     // characters
    uint8_t last;     // last character's token (0: none)
    uint8_t fresh;    // moved along an edge this frame: `rec` is made at the frame's end
  };
  struct Rec {
    uint32_t parent;  // previous character's record (0: none)
    uint32_t frame;   // as Tok::frame
    int16_t lp;       // as Tok::lp
    uint8_t token;
    uint8_t pad;
  };

  void start(uint64_t s0);
  void advance(uint64_t t);
  static bool better(const Tok& a, const Tok& b);
  uint32_t slot_of(uint32_t state, uint64_t hash) const;
  void insert(const Tok& k);
  void prune(uint32_t keep);
  void commit_records();
  void compact();
  // The text (if `text`) and tokens, frames and values (if `tokens`) of k.
  void write_out(const Tok& k, char* text, uint8_t* tokens, uint32_t* frames, int32_t* lps) const;
  // The best CTC path's log-probability over [s0, upto_).
  int64_t best_path() const { return frames_.best_before(upto_) - best0_; }
  // What prefixes are ranked by: log_add(pb, pnb) + kCtcCharBonusQ10 per character.
  static int32_t rank(const Tok& k) { return log_add_q10(k.pb, k.pnb) + kCtcCharBonusQ10 * int32_t{k.len}; }
  // min(0, a prefix's CTC log-probability (without the bonus) - the best path's - kCtcMatchOffsetQ10).
  int32_t rel_score(const Tok& k) const;

  const ModelHparams* hp_ = nullptr;
  uint32_t V_ = 0, width_ = 0, max_chars_ = 0;
  CtcFrames frames_;       // the last onset_back + 1 frames' log-probabilities and best-path sums
  Tok* cur_ = nullptr;     // [width]: this frame's prefixes, best first
  Tok* nxt_ = nullptr;     // [cand_cap_]: the next frame's candidates
  uint32_t n_cur_ = 0, n_nxt_ = 0, cand_cap_ = 0;
  // [table_mask_ + 1]: by (state, hash), the generation (high 16 bits) and nxt_
  // index + 1 (low 16); a slot of another generation is empty. A new frame or
  // a prune empties the table by a new generation, not a memset of every slot
  // (the table is sized for 2 x width candidates; a short phrase list has far fewer).
  uint32_t* table_ = nullptr;
  uint32_t table_mask_ = 0;
  uint32_t gen_ = 1;  // 1..0xffff
  uint32_t entry(uint32_t slot) const { return table_[slot] >> 16 == gen_ ? table_[slot] & 0xffff : 0; }
  void clear_table();
  int32_t floor_ = kLogZeroQ10;  // candidates not above it are dropped (set by a full prune)
  Rec* pool_ = nullptr;
  uint32_t* remap_ = nullptr;
  uint32_t* made_ = nullptr;  // [width]: record made this frame for cur_[i]'s last character + 1, or 0
  uint32_t pool_cap_ = 0, n_pool_ = 1;  // record 0 is the empty text
  uint64_t upto_ = 0;    // frames [s0, upto_) are in the prefixes
  int64_t norm_ = 0;     // what was subtracted from every score so far (the best's, each frame)
  int64_t best0_ = 0;    // best_before(s0)
  uint32_t peak_ = 0;
  uint64_t compactions_ = 0, forced_prunes_ = 0;
  // The best live prefix (partial result), rewritten each frame.
  char* text_ = nullptr;
  uint8_t* tokens_ = nullptr;
  uint32_t* tframes_ = nullptr;
  int32_t* tlp_ = nullptr;
  uint32_t n_out_ = 0;
  int32_t score_out_ = 0;
  // Finished texts, best first (on_end): the best's tokens, frames and values
  // go to the buffers above; the others' are written on demand (nbest()) from
  // the record pool, which does not change once done.
  Tok* fin_tok_ = nullptr;         // [K]
  char* fin_text_ = nullptr;       // [K][max_chars + 1]
  int32_t* fin_score_ = nullptr;   // [K]
  mutable uint8_t* nb_tokens_ = nullptr;  // [max_chars]: nbest(i >= 1), valid until the next nbest() call
  mutable uint32_t* nb_frames_ = nullptr;
  mutable int32_t* nb_lp_ = nullptr;
  uint32_t n_fin_ = 0;
};

}  // namespace earshot
