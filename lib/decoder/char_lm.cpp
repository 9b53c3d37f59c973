#include "decoder/char_lm.h"

#include <algorithm>
#include <cstdio>

namespace earshot {

const uint8_t* CharLm::row(const uint8_t* tokens, uint32_t n) const {
  // History [<eos>] + tokens, newest first into the key's low digits.
  const uint32_t L = std::min(order - 1, n + 1);
  uint32_t key = 0;
  for (uint32_t j = 0; j < L; ++j) {
    const uint32_t tok = j < n ? tokens[n - 1 - j] : 0;
    key |= (tok + 1) << (5 * j);
  }
  for (uint32_t l = L;; --l) {
    const auto k = static_cast<int32_t>(l == 0 ? 0 : key & ((uint32_t{1} << (5 * l)) - 1));
    const int32_t* end = keys + contexts;
    const int32_t* it = std::lower_bound(keys, end, k);
    if (it != end && *it == k) return logp + static_cast<size_t>(it - keys) * vocab;
    if (l == 0) break;
  }
  return logp;  // unreachable for a valid model: key 0 is stored
}

bool char_lm_valid(const CharLm& lm, char* why, size_t n) {
  if (lm.order < 1 || lm.order > kLmMaxOrder) return std::snprintf(why, n, "lm.order = %u is outside [1, %u]", lm.order, kLmMaxOrder), false;
  if (lm.vocab < 2 || lm.vocab > 31) return std::snprintf(why, n, "vocab of %u tokens does not fit a 5-bit key digit", lm.vocab), false;
  if (lm.contexts == 0 || lm.keys[0] != 0)
    return std::snprintf(why, n, "tensor 'lm.keys' does not start with the empty context (key 0)"), false;
  for (uint32_t i = 0; i < lm.contexts; ++i) {
    const int32_t k = lm.keys[i];
    if (i > 0 && k <= lm.keys[i - 1])
      return std::snprintf(why, n, "tensor 'lm.keys' entry %u (%d) is not above entry %u (%d)", i, k, i - 1, lm.keys[i - 1]), false;
    uint32_t len = 0;
    for (auto u = static_cast<uint32_t>(k); u; u >>= 5, ++len) {
      const uint32_t d = u & 31;
      if (d == 0 || d > lm.vocab)
        return std::snprintf(why, n, "tensor 'lm.keys' entry %u (%d) holds digit %u, not a token + 1 of %u", i, k, d, lm.vocab), false;
    }
    if (len > lm.order - 1)
      return std::snprintf(why, n, "tensor 'lm.keys' entry %u (%d) is a context of %u tokens; lm.order %u allows %u", i, k,
                           len, lm.order, lm.order - 1), false;
  }
  return true;
}

}  // namespace earshot
