// Run-time grammars: a phrase list, a JSGF subset or a word list compiled into a
// character-level deterministic automaton over the model's vocabulary, which
// the search follows so that only allowed text can come out (new commands
// without retraining). Spec and examples: lib/decoder/GRAMMAR.md.
//
// Memory: compile() works entirely in the caller's buffer (a bump allocator;
// nothing else is allocated) and the compiled Grammar lives at its start. If the
// buffer is too small, compile() fails with EARSHOT_ERR_MEMORY_TOO_SMALL and
// `needed` is a larger size to try (twice what the failing step wanted); on
// success `needed` is the compact size the Grammar occupies at the start of
// the buffer (the rest was scratch). The source text may be freed after.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/error.h"

namespace earshot {

enum class GrammarKind : uint8_t {
  kAuto = 0,        // JSGF if the text starts with "#JSGF" (any case), else a phrase list
  kPhraseList = 1,  // one phrase a line
  kJsgf = 2,
  kWordList = 3,    // one word a line; any sequence of them (at least one word)
};

struct GrammarState {
  uint32_t first_edge;
  uint16_t num_edges;
  uint8_t accepting;  // the text may end here (end-of-utterance token allowed)
  uint8_t reserved;
};

struct GrammarEdge {
  uint8_t token;  // vocabulary index (never 0: index 0 is the end token)
  uint8_t pad[3];
  uint32_t target;
};

class Grammar {
 public:
  // `vocab[i]` is the character of token i (i >= 1); vocab[0] is the end token.
  // Characters are a-z, space and apostrophe in the shipped models.
  static earshot_status compile(std::string_view text, GrammarKind kind, const char* vocab, uint32_t vocab_size,
                                void* mem, size_t mem_size, const Grammar** out, size_t* needed, Error& err);

  static constexpr uint32_t kNoState = 0xFFFFFFFFu;
  uint32_t start() const { return 0; }
  // The state after `token` from `state`, or kNoState if the grammar forbids it.
  uint32_t next(uint32_t state, uint32_t token) const;
  bool accepting(uint32_t state) const { return states_[state].accepting != 0; }
  uint32_t num_states() const { return num_states_; }
  uint32_t num_edges() const { return num_edges_; }
  // Tokens allowed from `state` (for search: expand only these).
  const GrammarEdge* edges(uint32_t state, uint32_t* count) const {
    *count = states_[state].num_edges;
    return edges_ + states_[state].first_edge;
  }
  // Does the automaton accept exactly this text? (tests, n-best filtering)
  bool accepts(std::string_view text, const char* vocab, uint32_t vocab_size) const;

 private:
  const GrammarState* states_ = nullptr;
  const GrammarEdge* edges_ = nullptr;
  uint32_t num_states_ = 0, num_edges_ = 0;
};

}  // namespace earshot
