// The device app: transcribes audio with the model from the board's flash, or
// runs the front-end golden self-test.
//
// Arguments (board_cmdline(); under QEMU -append "..." or semihosting arg=):
//   FILE.wav ...   transcribe each file (read through semihosting) with the
//                  model in flash: one JSON line per file (transcriber.h)
//   arena=BYTES    use only this much of the static arena (tests: an arena
//                  too small for the model must be reported at start-up)
//   phrases=FILE   constrain the text to this phrase list (one phrase a line,
//                  or JSGF; read through semihosting, app/phrase_list.h) and
//                  decode with the CTC search of EARSHOT_FW_CTC_WIDTH prefixes
//                  (beam-search builds only, EARSHOT_BEAM_SEARCH=ON: presets
//                  firmware-*-beam), as the host does with a grammar
//   beam=N         beam search of width N instead (beam-search builds; without
//                  a phrase list the default is 1, greedy, as the greedy firmware)
//   golden         the front-end golden check (also what runs with no
//                  arguments at all, e.g. on a board without a debugger)
//   corrupt=NAME   golden check, with one feature of signal NAME flipped (must fail)
//   fault=undef    execute an undefined instruction (must report and exit 3)
//   fault=align    misaligned LDM: a data abort (must report and exit 3)
//
// Memory: everything static. The model is read in place from flash; the
// recognizer lives in g_arena (EARSHOT_FW_ARENA_BYTES), after the compiled
// phrase list when there is one, its model handle in g_model_handle; no heap
// (newlib_glue.cpp refuses one).
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "app/console.h"
#include "app/flash.h"
#include "app/golden_check.h"
#include "app/phrase_list.h"
#include "app/stack_paint.h"
#include "app/transcriber.h"
#include "app/wav_file_source.h"
#include "boards/board.h"
#include "earshot/earshot.h"
#include "image/crc32.h"

#ifndef EARSHOT_FW_ARENA_BYTES
#error "EARSHOT_FW_ARENA_BYTES (bytes of the recognizer's arena) is set by firmware/CMakeLists.txt"
#endif
#if EARSHOT_BEAM_SEARCH && !defined(EARSHOT_FW_CTC_WIDTH)
#error "EARSHOT_FW_CTC_WIDTH (the phrase list's CTC search width) is set by firmware/CMakeLists.txt"
#endif

namespace {

using earshot::fw::JsonLine;

alignas(64) uint8_t g_arena[EARSHOT_FW_ARENA_BYTES];
alignas(8) uint8_t g_model_handle[EARSHOT_MODEL_HANDLE_BYTES];

constexpr int kMaxFiles = 32;

struct Options {
  char args[2048] = {};  // a copy of the command line, NUL between arguments
  const char* files[kMaxFiles] = {};
  int num_files = 0;
  bool golden = false;
  const char* corrupt = nullptr;
  const char* fault = nullptr;
  size_t arena_limit = 0;  // 0: all of g_arena
  const char* phrases = nullptr;
  uint32_t beam = 0;       // 0: the default (the CTC search with a phrase list, else greedy)
  bool bad = false;        // an argument was refused (all zero: .bss, not .data)
};

Options g_opt;  // static: 2 KiB of command line stays off the stack
earshot::fw::Transcriber g_transcriber;
earshot::fw::WavFileSource g_wav;

void bad_argument(const char* arg, const char* why) {
  JsonLine().str("error", why).str("argument", arg).end();
  g_opt.bad = true;
}

// "key=value" -> value if the key matches, else nullptr.
const char* value_of(const char* arg, const char* key) {
  const size_t n = std::strlen(key);
  return std::strncmp(arg, key, n) == 0 && arg[n] == '=' ? arg + n + 1 : nullptr;
}

// phrases=FILE and beam=N: the beam-search build's. The greedy build refuses
// them here rather than in the library: it has no phrase-list code at all (and
// a beam width would only fail once the recognizer is made).
void parse_search(const char* arg) {
#if EARSHOT_BEAM_SEARCH
  if (const char* v = value_of(arg, "phrases")) {
    g_opt.phrases = v;
    return;
  }
  const char* v = value_of(arg, "beam");
  char* end;
  const unsigned long n = std::strtoul(v, &end, 10);
  if (*v == '\0' || *end != '\0' || n == 0 || n > 32) bad_argument(arg, "beam=N needs a width from 1 to 32");
  else g_opt.beam = static_cast<uint32_t>(n);
#else
  bad_argument(arg, "this firmware decodes greedily only: phrase lists and beam search need the beam-search build "
                    "(build option EARSHOT_BEAM_SEARCH=ON, presets firmware-*-beam)");
#endif
}

void parse(const char* cmdline) {
  Options& o = g_opt;
  const size_t len = std::strlen(cmdline);
  if (len >= sizeof o.args) {
    JsonLine().str("error", "command line too long").num("bytes", static_cast<int64_t>(len)).end();
    o.bad = true;
    return;
  }
  std::memcpy(o.args, cmdline, len + 1);
  for (char* p = o.args; *p;) {
    if (*p == ' ') {
      *p++ = '\0';
      continue;
    }
    char* arg = p;
    p += std::strcspn(p, " ");
    if (*p) *p++ = '\0';
    const char* v;
    if (std::strcmp(arg, "golden") == 0) {
      o.golden = true;
    } else if ((v = value_of(arg, "corrupt"))) {
      o.golden = true;
      o.corrupt = v;
    } else if ((v = value_of(arg, "fault"))) {
      o.fault = v;
    } else if ((v = value_of(arg, "arena"))) {
      char* end;
      const unsigned long n = std::strtoul(v, &end, 10);
      if (*v == '\0' || *end != '\0' || n == 0) bad_argument(arg, "arena=BYTES needs a positive number");
      else o.arena_limit = n;
    } else if (value_of(arg, "phrases") || value_of(arg, "beam")) {
      parse_search(arg);
    } else if (std::strchr(arg, '=')) {
      bad_argument(arg, "unknown argument (FILE.wav, arena=BYTES, phrases=FILE, beam=N, golden, corrupt=NAME, "
                        "fault=undef|align)");
    } else if (o.num_files == kMaxFiles) {
      bad_argument(arg, "too many files for one run");
    } else {
      o.files[o.num_files++] = arg;
    }
  }
  if (o.golden && o.num_files) bad_argument(o.files[0], "golden and audio files do not go together");
  if (o.phrases && !o.num_files) bad_argument(o.phrases, "a phrase list needs audio files to decode");
}

// Faults on purpose so the tests see the vector table report real exceptions.
int provoke_fault(const char* kind) {
  if (std::strcmp(kind, "undef") == 0) __builtin_trap();
  if (std::strcmp(kind, "align") == 0) {
    // LDM needs a word-aligned address on every ARMv7-A, whatever SCTLR.A says.
    static uint32_t words[3];
    const char* p = reinterpret_cast<const char*>(words) + 1;
    asm volatile("ldm %0, {r2, r3}" : : "r"(p) : "r2", "r3", "memory");
  }
  JsonLine().str("error", "fault=KIND did not fault (KIND: undef or align)").end();
  return kExitError;
}

// CRC-32 of the running image as loaded, taken before main writes anything
// (some of it is .data): what the flash file's firmware part must match.
uint32_t g_image_crc;

int transcribe_files(size_t arena_bytes) {
  using namespace earshot::fw;
  // Set-up: flash layout, model, arena. Any failure here is the whole run's.
  FlashModel model;
  earshot::Error err;
  if (!flash_find_model(board_flash(), g_image_crc, model, err)) {
    JsonLine().str("error", err.message).end();
    return kExitError;
  }
  Transcriber& transcriber = g_transcriber;
  if (const int st = transcriber.open(model, g_model_handle, sizeof g_model_handle)) return st;
  // The phrase list compiles at the start of the arena; the recognizer takes
  // what follows (app/phrase_list.h: the compiler's scratch is reused).
  const earshot_grammar* grammar = nullptr;
  size_t grammar_bytes = 0;
  uint32_t beam = g_opt.beam;
  bool ctc = false;
#if EARSHOT_BEAM_SEARCH
  if (g_opt.phrases) {
    if (const int st = compile_phrase_list(transcriber.model(), g_opt.phrases, g_arena, arena_bytes, &grammar,
                                           &grammar_bytes))
      return st;
    if (!beam) beam = EARSHOT_FW_CTC_WIDTH, ctc = true;
  }
#endif
  if (const int st = transcriber.start(g_arena + grammar_bytes, arena_bytes - grammar_bytes, beam, ctc, grammar,
                                       grammar_bytes))
    return st;
  int status = kExitOk;
  for (int i = 0; i < g_opt.num_files; ++i) {
    WavFileSource& wav = g_wav;
    if (!wav.open(g_opt.files[i], err)) {
      JsonLine().str("file", g_opt.files[i]).str("error", err.message).end();
      status = kExitCheckFailed;
      continue;
    }
    if (transcriber.run(wav, g_opt.files[i]) != kExitOk) status = kExitCheckFailed;
  }
  return status;
}

}  // namespace

int main() {
  const BoardFlash flash = board_flash();
  g_image_crc = earshot::crc32(flash.image, flash.image_bytes);
  board_init();
  earshot::fw::stack_paint();
  parse(board_cmdline());
  if (g_opt.bad) return kExitError;
  if (g_opt.fault) return provoke_fault(g_opt.fault);
  size_t arena_bytes = sizeof g_arena;
  if (g_opt.arena_limit && g_opt.arena_limit < arena_bytes) arena_bytes = g_opt.arena_limit;
  if (g_opt.num_files == 0) return earshot::fw::run_golden_check(g_opt.corrupt, g_arena, arena_bytes);
  return transcribe_files(arena_bytes);
}
