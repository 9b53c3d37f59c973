// The character n-gram language model beam search fuses with the acoustic
// scores (lib/model/MODEL.md "Character LM"), read in place from the image's
// optional `lm.*` entries (built by tools/train/charlm.py from training text).
//
// Stored pruned: K contexts, each with its whole next-token distribution, so a
// lookup is the longest stored suffix of the history and every row sums to 1
// (up to rounding). A context's key holds its tokens, oldest first, as base-32
// digits (token + 1), the newest least significant: the key of the suffix of
// length L is the key mod 32^L, and the empty context is key 0. Token 0
// (<eos>) in a context is the sentence start.
#pragma once
#include <cstddef>
#include <cstdint>

namespace earshot {

inline constexpr uint32_t kLmMaxOrder = 7;   // 6 tokens of context: 30 bits of key
inline constexpr int32_t kLmQ10PerUnit = 64;  // lm.logp is -ln p in 1/16 nat: Q10 = 64 x that

struct CharLm {
  const int32_t* keys = nullptr;  // [K] ascending
  const uint8_t* logp = nullptr;  // [K][V] -ln P(token | context), 1/16 nat
  uint32_t contexts = 0;          // K; 0: no LM
  uint32_t vocab = 0;             // V
  uint32_t order = 0;             // n of the n-gram, 1..kLmMaxOrder

  bool present() const { return contexts != 0; }
  // The distribution after `n` tokens (ids 1..V-1) that follow the sentence
  // start: the row of the longest stored suffix of [<eos>] + tokens.
  const uint8_t* row(const uint8_t* tokens, uint32_t n) const;
  // Q10 log-probability (<= 0) of `token` in a row.
  static int32_t logprob_q10(const uint8_t* row, uint32_t token) { return -kLmQ10PerUnit * row[token]; }
};

// Checks the tables (keys ascending and unique, key 0 first, every key a
// context of at most order - 1 tokens of the vocabulary). On failure writes
// a message naming the first bad entry into why (n bytes) and returns false.
bool char_lm_valid(const CharLm& lm, char* why, size_t n);

}  // namespace earshot
