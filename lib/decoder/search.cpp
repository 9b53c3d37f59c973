#include "decoder/search.h"

#include <new>

#include "decoder/beam_decoder.h"
#include "decoder/ctc_search.h"
#include "decoder/greedy_decoder.h"

namespace earshot {

namespace {

// Beam search only where the build has it: in a greedy-only build every beam
// path below folds away and BeamDecoder is never referenced.
bool beam(const SearchConfig& c) { return kBeamSearch && c.beam && !c.ctc; }
bool ctc(const SearchConfig& c) { return kBeamSearch && c.ctc; }

// The search object's region, then its state. The measuring pass lays out a
// temporary (a search's layout() records sizes in the object as it goes).
template <typename S, typename... Args>
Search* place(ArenaCarver& a, const Args&... args) {
  if (uint8_t* mem = a.take<uint8_t>(sizeof(S))) {
    S* s = new (mem) S();
    s->layout(a, args...);
    return s;
  }
  alignas(S) uint8_t measuring[sizeof(S)];
  (new (measuring) S())->layout(a, args...);
  return nullptr;
}

}  // namespace

uint32_t search_ring_frames(const ModelHparams& hp, const SearchConfig& c) {
  if (ctc(c)) return CtcSearch::ring_frames(hp);
  return beam(c) ? BeamDecoder::ring_frames(hp, c.width) : GreedyDecoder::ring_frames(hp);
}

size_t search_scratch_size(const Model& m, const SearchConfig& c) {
  if (ctc(c)) return CtcSearch::scratch_size(m);
  return beam(c) ? BeamDecoder::scratch_size(m, c.width) : GreedyDecoder::scratch_size(m);
}

Search* make_search(ArenaCarver& a, const Model& m, const SearchConfig& c) {
  if (ctc(c)) return place<CtcSearch>(a, m, c.max_chars, c.width);
  if (beam(c))
    return place<BeamDecoder>(a, m, c.max_chars, c.width, c.ctc_weight_pct, c.lm_weight_pct, c.ctc_weight_by_mode);
  return place<GreedyDecoder>(a, m, c.max_chars);
}

}  // namespace earshot
