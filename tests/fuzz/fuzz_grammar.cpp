// libFuzzer target: the grammar compiler (phrase list, JSGF subset, word list)
// on any text and any memory size: it compiles or rejects with a message, never
// touches memory outside its buffer, and a compiled automaton is well formed.
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "decoder/grammar.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  static const char kVocab[] = "\0 'abcdefghijklmnopqrstuvwxyz";
  const auto kind = static_cast<earshot::GrammarKind>(data[0] % 4);
  const size_t mem_size = 256u << (data[1] % 12);  // 256 B .. 512 KiB
  std::vector<uint64_t> mem(mem_size / 8);
  const std::string_view text(reinterpret_cast<const char*>(data + 2), size - 2);
  const earshot::Grammar* g = nullptr;
  earshot::Error err;
  size_t needed = 0;
  const auto st = earshot::Grammar::compile(text, kind, kVocab, 29, mem.data(), mem_size, &g, &needed, err);
  if (st != EARSHOT_OK) {
    if (err.message[0] == '\0' || g) __builtin_trap();
    return 0;
  }
  if (needed > mem_size) __builtin_trap();
  for (uint32_t s = 0; s < g->num_states(); ++s) {
    uint32_t n = 0;
    const earshot::GrammarEdge* e = g->edges(s, &n);
    for (uint32_t i = 0; i < n; ++i) {
      if (e[i].token == 0 || e[i].token >= 29 || e[i].target >= g->num_states()) __builtin_trap();
      if (i && e[i - 1].token >= e[i].token) __builtin_trap();  // sorted, deterministic
      if (g->next(s, e[i].token) != e[i].target) __builtin_trap();
    }
  }
  return 0;
}
