#include "app/phrase_list.h"

#include "app/console.h"
#include "app/host_file.h"
#include "boards/board.h"

#ifndef EARSHOT_FW_PHRASES_BYTES
#error "EARSHOT_FW_PHRASES_BYTES (bytes of the phrase-list file buffer) is set by firmware/CMakeLists.txt"
#endif

namespace earshot::fw {
namespace {

// The file's text, needed only while it compiles: beside the WAV buffer in the
// test-only NOLOAD section (a product keeps its phrase list in flash).
[[gnu::section(".audio_file")]] char g_text[EARSHOT_FW_PHRASES_BYTES];

int fail(const char* path, const char* what, const char* detail) {
  JsonLine().str("error", what).str("phrases", path).str("detail", detail).end();
  return kExitError;
}

}  // namespace

int compile_phrase_list(const earshot_model* model, const char* path, uint8_t* mem, size_t mem_bytes,
                        const earshot_grammar** grammar, size_t* used) {
  *grammar = nullptr;
  *used = 0;
  size_t len = 0;
  Error err;
  if (!read_host_file(path, reinterpret_cast<uint8_t*>(g_text), sizeof g_text, "EARSHOT_FW_PHRASES_BYTES", &len, err))
    return fail(path, "cannot read the phrase list", err.message);
  size_t needed = 0;
  const earshot_status st =
      earshot_grammar_compile(model, g_text, len, EARSHOT_GRAMMAR_AUTO, mem, mem_bytes, &needed, grammar);
  if (st == EARSHOT_ERR_MEMORY_TOO_SMALL) {
    // `needed` is only a larger size to try here, not the exact need.
    JsonLine()
        .str("error", "the phrase list does not compile in the arena (build option EARSHOT_FW_ARENA_BYTES)")
        .str("phrases", path)
        .num("arena_bytes", static_cast<int64_t>(mem_bytes))
        .num("try_bytes", static_cast<int64_t>(needed))
        .end();
    return kExitError;
  }
  if (st != EARSHOT_OK) return fail(path, "the phrase list is not usable", earshot_last_error());
  *used = (needed + 63) & ~size_t{63};
  if (*used > mem_bytes) *used = mem_bytes;  // an arena=BYTES limit that is not a multiple of 64
  return kExitOk;
}

}  // namespace earshot::fw
