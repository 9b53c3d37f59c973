#include "decoder/ctc_search.h"

#include <algorithm>
#include <cstring>

namespace earshot {

namespace {

constexpr uint64_t kFnvBasis = 1469598103934665603ull;
constexpr uint64_t kFnvPrime = 1099511628211ull;

}  // namespace

void CtcSearch::layout(ArenaCarver& a, const Model& m, uint32_t max_chars, uint32_t width) {
  hp_ = &m.hparams();
  V_ = hp_->vocab_size;
  width_ = std::max<uint32_t>(1, width);
  max_chars_ = max_chars;
  // At the onset n0 the search starts at s0 >= n0 - onset_back: those frames are kept.
  const uint32_t R = hp_->onset_back + 1;
  int16_t* lp = a.take<int16_t>(size_t{R} * V_);
  int64_t* best = a.take<int64_t>(R);
  frames_.layout(lp, best, R, V_);
  cur_ = a.take<Tok>(width_);
  // Candidates: a frame's prefixes stay or move along an edge; more than 2x
  // the width at once triggers a prune mid-frame (insert()).
  cand_cap_ = 2 * width_;
  nxt_ = a.take<Tok>(cand_cap_);
  uint32_t ts = 1;
  while (ts < 2 * cand_cap_) ts <<= 1;
  table_ = a.take<uint32_t>(ts);  // zeroed: generation 0, so empty for gen_ = 1
  table_mask_ = ts - 1;
  gen_ = 1;
  // Texts share their prefixes' records; 4 per live prefix before a
  // compaction, and room for one whole text beside a frame's new ones.
  pool_cap_ = 4 * width_ + max_chars + 1;
  pool_ = a.take<Rec>(pool_cap_);
  remap_ = a.take<uint32_t>(pool_cap_);
  made_ = a.take<uint32_t>(width_);
  text_ = a.take<char>(size_t{max_chars} + 1);
  tokens_ = a.take<uint8_t>(max_chars);
  tframes_ = a.take<uint32_t>(max_chars);
  tlp_ = a.take<int32_t>(max_chars);
  const size_t K = kCtcSearchNBest;
  // The n-best texts; their tokens, frames and values are written on demand
  // from the (then frozen) record pool, the best's into the result's buffers.
  fin_tok_ = a.take<Tok>(K);
  fin_text_ = a.take<char>(K * (size_t{max_chars} + 1));
  fin_score_ = a.take<int32_t>(K);
  nb_tokens_ = a.take<uint8_t>(max_chars);
  nb_frames_ = a.take<uint32_t>(max_chars);
  nb_lp_ = a.take<int32_t>(max_chars);
}

void CtcSearch::reset() {
  phase_ = Phase::kWaitOnset;
  onset_ = -1;
  no_match_ = false;
  n_cur_ = n_nxt_ = 0;
  n_pool_ = 1;
  n_out_ = 0;
  score_out_ = 0;
  n_fin_ = 0;
  norm_ = 0;
  if (text_) text_[0] = '\0';
}

void CtcSearch::start(uint64_t s0) {
  Tok& k = cur_[0];
  k = Tok{};
  k.hash = kFnvBasis;
  k.pb = 0;  // the empty prefix: frames before s0 count as silence
  k.pnb = kLogZeroQ10;
  k.state = grammar_ ? grammar_->start() : 0;
  n_cur_ = 1;
  n_pool_ = 1;
  norm_ = 0;
  upto_ = s0;
  best0_ = frames_.best_before(s0);
}

void CtcSearch::on_frame(const FrameRing& ring, int32_t ctc_token, const int16_t* ctc_logits, kernels::Isa,
                         void*) {
  frames_.push(ctc_logits);  // frame ring.count() - 1
  const uint64_t t = ring.count() - 1;
  if (phase_ == Phase::kWaitOnset) {
    if (ctc_token == 0) return;
    onset_ = static_cast<int64_t>(t);
    const uint64_t s0 = first_frame(hp_->onset_back);
    start(s0);
    phase_ = Phase::kWaitWindow;
    for (uint64_t u = s0; u <= t; ++u) advance(u);
    return;
  }
  if (phase_ == Phase::kWaitWindow) advance(t);
}

// One frame t: every prefix stays or moves along each allowed edge (the CTC
// prefix recursion, MODEL.md "CTC prefix scoring"), equal prefixes merge, the
// best width_ survive, and the new characters get their records.
void CtcSearch::advance(uint64_t t) {
  const int16_t* lp = frames_.at(t);
  int32_t mx = lp[0];
  for (uint32_t v = 1; v < V_; ++v) mx = std::max<int32_t>(mx, lp[v]);
  n_nxt_ = 0;
  clear_table();
  floor_ = kLogZeroQ10;
  for (uint32_t i = 0; i < n_cur_; ++i) {
    const Tok k = cur_[i];
    const int32_t tot = log_add_q10(k.pb, k.pnb);
    Tok s = k;  // stays: a blank, or its last character again
    s.pb = add_lp_q10(tot, lp[0]);
    s.pnb = k.last ? add_lp_q10(k.pnb, lp[k.last]) : kLogZeroQ10;
    if (k.last && lp[k.last] - mx > k.lp) s.frame = static_cast<uint32_t>(t), s.lp = static_cast<int16_t>(lp[k.last] - mx);
    insert(s);
    if (k.len >= max_chars_) continue;
    uint32_t n_edges = V_ - 1;
    const GrammarEdge* edges = grammar_ ? grammar_->edges(k.state, &n_edges) : nullptr;
    for (uint32_t j = 0; j < n_edges; ++j) {
      const uint32_t c = edges ? edges[j].token : j + 1;
      // A repeated character needs a blank between (only the blank-ending paths).
      const int32_t v = add_lp_q10(c == k.last ? k.pb : tot, lp[c]);
      if (v <= kLogZeroQ10) continue;
      Tok n;
      n.hash = (k.hash ^ c) * kFnvPrime;
      n.pb = kLogZeroQ10;
      n.pnb = v;
      n.state = edges ? edges[j].target : 0;
      n.rec = 0;
      n.from = i;
      n.frame = static_cast<uint32_t>(t);
      n.lp = static_cast<int16_t>(lp[c] - mx);
      n.len = static_cast<uint16_t>(k.len + 1);
      n.last = static_cast<uint8_t>(c);
      n.fresh = 1;
      insert(n);
    }
  }
  for (uint32_t i = 0; i < n_nxt_; ++i) nxt_[i].score = rank(nxt_[i]);
  if (n_nxt_ > width_) prune(width_);
  std::sort(nxt_, nxt_ + n_nxt_, better);
  commit_records();
  // Keep the scores near 0: subtract the best (kept in norm_), so a long
  // utterance never reaches log 0.
  const int32_t top = n_nxt_ ? nxt_[0].score : 0;
  norm_ += top;
  for (uint32_t i = 0; i < n_nxt_; ++i) {
    Tok& k = nxt_[i];
    if (k.pb > kLogZeroQ10) k.pb = std::max<int32_t>(kLogZeroQ10 + 1, k.pb - top);
    if (k.pnb > kLogZeroQ10) k.pnb = std::max<int32_t>(kLogZeroQ10 + 1, k.pnb - top);
    k.score -= top;
    cur_[i] = k;
  }
  n_cur_ = n_nxt_;
  peak_ = std::max(peak_, n_cur_);
  upto_ = t + 1;
  if (n_cur_) write_out(cur_[0], text_, tokens_, tframes_, tlp_);
  else text_[0] = '\0';
  n_out_ = n_cur_ ? cur_[0].len : 0;
  score_out_ = n_cur_ ? rel_score(cur_[0]) : 0;
}

bool CtcSearch::better(const Tok& a, const Tok& b) {
  if (a.score != b.score) return a.score > b.score;
  if (a.state != b.state) return a.state < b.state;
  return a.hash < b.hash;
}

static_assert(2 * kMaxCtcSearchWidth < 0xffff, "nxt_ indices + 1 must fit the table's low 16 bits");

void CtcSearch::clear_table() {
  if (++gen_ > 0xffff) {  // every 65 535 frames or prunes: really empty it, once
    std::memset(table_, 0, (size_t{table_mask_} + 1) * sizeof(uint32_t));
    gen_ = 1;
  }
}

uint32_t CtcSearch::slot_of(uint32_t state, uint64_t hash) const {
  uint64_t h = hash ^ (uint64_t{state} * 0x9E3779B97F4A7C15ull);
  h ^= h >> 29;
  uint32_t slot = static_cast<uint32_t>(h) & table_mask_;
  while (entry(slot)) {
    const Tok& e = nxt_[entry(slot) - 1];
    if (e.state == state && e.hash == hash) break;
    slot = (slot + 1) & table_mask_;
  }
  return slot;
}

void CtcSearch::insert(const Tok& k) {
  uint32_t slot = slot_of(k.state, k.hash);
  if (entry(slot)) {  // the same prefix: its paths add
    // Same text, so the scores add; the character times follow the more
    // probable of the two (staying, or the last character starting now).
    Tok& e = nxt_[entry(slot) - 1];
    if (log_add_q10(k.pb, k.pnb) > log_add_q10(e.pb, e.pnb))
      e.rec = k.rec, e.from = k.from, e.fresh = k.fresh, e.frame = k.frame, e.lp = k.lp;
    e.pb = log_add_q10(e.pb, k.pb);
    e.pnb = log_add_q10(e.pnb, k.pnb);
    return;
  }
  const int32_t score = rank(k);
  if (score <= floor_) return;
  if (n_nxt_ == cand_cap_) {
    for (uint32_t i = 0; i < n_nxt_; ++i) nxt_[i].score = rank(nxt_[i]);
    prune(width_);
    ++forced_prunes_;
    if (score <= floor_) return;
    slot = slot_of(k.state, k.hash);
  }
  nxt_[n_nxt_] = k;
  nxt_[n_nxt_].score = score;
  table_[slot] = gen_ << 16 | ++n_nxt_;
}

// Keeps the best `keep` candidates (by score; ties by state, then text hash:
// a total order, so the same set on every target); later candidates must beat
// the worst of them.
void CtcSearch::prune(uint32_t keep) {
  if (n_nxt_ <= keep) return;
  std::nth_element(nxt_, nxt_ + (keep - 1), nxt_ + n_nxt_, better);
  floor_ = std::max(floor_, nxt_[keep - 1].score);
  n_nxt_ = keep;
  clear_table();
  for (uint32_t i = 0; i < n_nxt_; ++i) table_[slot_of(nxt_[i].state, nxt_[i].hash)] = gen_ << 16 | (i + 1);
}

// Records for the parents' last characters of this frame's moved prefixes
// (nxt_, sorted; one record per parent, shared by its children). When the
// pool is full, the records no live prefix reaches are dropped, and if that
// is not enough, the worst half of the prefixes.
void CtcSearch::commit_records() {
  if (n_pool_ + n_nxt_ > pool_cap_) {
    compact();
    while (n_pool_ + n_nxt_ > pool_cap_) {
      n_nxt_ = std::max<uint32_t>(1, n_nxt_ / 2);
      ++forced_prunes_;
      compact();
    }
  }
  for (uint32_t i = 0; i < n_nxt_; ++i) {
    Tok& k = nxt_[i];
    if (!k.fresh) continue;
    const Tok& p = cur_[k.from];
    if (p.len == 0) {  // the parent is the empty prefix
      k.rec = 0;
    } else {
      if (!made_[k.from]) {
        Rec& r = pool_[n_pool_];
        r.parent = p.rec;
        r.frame = p.frame;
        r.lp = p.lp;
        r.token = p.last;
        r.pad = 0;
        made_[k.from] = ++n_pool_;  // index + 1
      }
      k.rec = made_[k.from] - 1;
    }
    k.fresh = 0;
  }
  std::memset(made_, 0, size_t{n_cur_} * sizeof(uint32_t));
}

// Keeps the records that the prefixes in nxt_ reach (a moved prefix reaches
// its parent's), renumbered in order.
void CtcSearch::compact() {
  ++compactions_;
  for (uint32_t i = 0; i < n_nxt_; ++i) {
    const uint32_t from = nxt_[i].fresh ? cur_[nxt_[i].from].rec : nxt_[i].rec;
    for (uint32_t r = from; r && !remap_[r]; r = pool_[r].parent) remap_[r] = 1;
  }
  // Parents precede children, so a parent's new index is known when its child moves.
  uint32_t m = 1;
  for (uint32_t i = 1; i < n_pool_; ++i) {
    if (!remap_[i]) continue;
    Rec r = pool_[i];
    r.parent = r.parent ? remap_[r.parent] : 0;
    pool_[m] = r;
    remap_[i] = m++;
  }
  for (uint32_t i = 0; i < n_nxt_; ++i)
    if (!nxt_[i].fresh) nxt_[i].rec = nxt_[i].rec ? remap_[nxt_[i].rec] : 0;
  for (uint32_t i = 0; i < n_cur_; ++i) cur_[i].rec = cur_[i].rec ? remap_[cur_[i].rec] : 0;  // 0: no child needs it
  std::memset(remap_, 0, size_t{n_pool_} * sizeof(uint32_t));
  n_pool_ = m;
}

int32_t CtcSearch::rel_score(const Tok& k) const {
  const int64_t rel = int64_t{k.score} - int64_t{kCtcCharBonusQ10} * k.len + norm_ - best_path() - kCtcMatchOffsetQ10;
  return static_cast<int32_t>(std::max<int64_t>(kLogZeroQ10, std::min<int64_t>(0, rel)));
}

void CtcSearch::write_out(const Tok& k, char* text, uint8_t* tokens, uint32_t* frames, int32_t* lps) const {
  if (text) text[k.len] = '\0';
  uint32_t r = k.rec;
  for (uint32_t i = k.len; i-- > 0;) {
    const bool last = i + 1 == k.len;  // kept in the token; the rest in records
    const uint8_t tok = last ? k.last : pool_[r].token;
    if (text) text[i] = hp_->vocab_chars[tok];
    if (tokens) {
      tokens[i] = tok;
      frames[i] = last ? k.frame : pool_[r].frame;
      lps[i] = last ? k.lp : pool_[r].lp;
    }
    if (!last) r = pool_[r].parent;
  }
}

void CtcSearch::on_end(const FrameRing&, kernels::Isa, void*) {
  if (phase_ != Phase::kWaitWindow) return;
  phase_ = Phase::kDone;
  n_fin_ = 0;
  for (uint32_t i = 0; i < n_cur_ && n_fin_ < kCtcSearchNBest; ++i) {
    const Tok& k = cur_[i];  // best first
    if (k.len == 0 || (grammar_ && !grammar_->accepting(k.state))) continue;
    const uint32_t f = n_fin_++;
    fin_tok_[f] = k;
    fin_score_[f] = rel_score(k);
    write_out(k, fin_text_ + f * (size_t{max_chars_} + 1), nullptr, nullptr, nullptr);
  }
  if (n_fin_) {
    write_out(fin_tok_[0], text_, tokens_, tframes_, tlp_);
    n_out_ = fin_tok_[0].len;
    score_out_ = fin_score_[0];
  } else {
    n_out_ = 0;
    text_[0] = '\0';
    score_out_ = 0;
    if (grammar_) no_match_ = true;
  }
}

void CtcSearch::best(Hypothesis& out) const {
  out.text = text_ ? text_ : "";
  out.num_tokens = n_out_;
  out.tokens = tokens_;
  out.token_frames = tframes_;
  out.token_logprobs = tlp_;
  out.score_q10 = score_out_;
}

void CtcSearch::nbest(uint32_t i, Hypothesis& out) const {
  if (i == 0) return best(out);
  const Tok& k = fin_tok_[i];
  write_out(k, nullptr, nb_tokens_, nb_frames_, nb_lp_);
  out.text = fin_text_ + i * (size_t{max_chars_} + 1);
  out.num_tokens = k.len;
  out.tokens = nb_tokens_;
  out.token_frames = nb_frames_;
  out.token_logprobs = nb_lp_;
  out.score_q10 = fin_score_[i];
}

}  // namespace earshot
