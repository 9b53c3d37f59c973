// The beam-search firmware's phrase list (EARSHOT_BEAM_SEARCH=ON builds only):
// a text file from the semihosting host, one phrase a line (or a JSGF grammar:
// the host's --grammar rules, lib/decoder/GRAMMAR.md), compiled with
// earshot_grammar_compile at the start of the static arena.
//
// Why there: the compiler works in its buffer as a bump allocator and needs
// about 8 times the compiled size as scratch (23.8 KB for the 8 phrases of
// tests/firmware/phrases.txt, which compile to 2.9 KB), and the C API keeps
// only the compiled grammar at the buffer's start. So the scratch is the bytes
// the recognizer takes next, and RAM holds the compiled grammar and the
// recognizer, never a separate compile buffer.
#pragma once
#include <cstddef>
#include <cstdint>

#include "earshot/earshot.h"

namespace earshot::fw {

// Reads `path` and compiles it in mem[0, mem_bytes). On success *grammar is at
// `mem` and the first *used bytes (its compiled size rounded up to 64, so what
// follows starts aligned) must stay untouched while it is in use; the rest is
// free again. On failure prints {"error","phrases","detail"} and returns
// kExitError: the file cannot be read, is empty, has a character outside the
// model's alphabet or a syntax error, or does not compile in mem_bytes.
int compile_phrase_list(const earshot_model* model, const char* path, uint8_t* mem, size_t mem_bytes,
                        const earshot_grammar** grammar, size_t* used);

}  // namespace earshot::fw
