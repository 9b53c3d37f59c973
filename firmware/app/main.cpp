// The device app. For now it runs the front-end golden check; the recognizer
// (model from flash, audio in, transcript out) grows here.
//
// Arguments (board_cmdline(); under QEMU: -append "..."), for the tests:
//   corrupt=NAME   flip one computed feature of golden signal NAME (must fail)
//   fault=undef    execute an undefined instruction (must report and exit 3)
//   fault=align    misaligned LDM: a data abort (must report and exit 3)
#include <cstdint>
#include <cstring>

#include "app/console.h"
#include "app/golden_check.h"
#include "boards/board.h"

namespace {

using earshot::fw::JsonLine;

struct Options {
  char corrupt[32] = {};
  char fault[16] = {};
  bool ok = true;
};

// Copies the value of `arg` into `out` if arg is "<key>=<value>".
bool take(const char* arg, size_t len, const char* key, char* out, size_t size) {
  const size_t klen = std::strlen(key);
  if (len <= klen || std::strncmp(arg, key, klen) != 0 || arg[klen] != '=') return false;
  const size_t vlen = len - klen - 1;
  if (vlen >= size) return false;
  std::memcpy(out, arg + klen + 1, vlen);
  out[vlen] = '\0';
  return true;
}

Options parse(const char* cmdline) {
  Options o;
  for (const char* p = cmdline; *p;) {
    if (*p == ' ') { ++p; continue; }
    const size_t len = std::strcspn(p, " ");
    if (!take(p, len, "corrupt", o.corrupt, sizeof o.corrupt) &&
        !take(p, len, "fault", o.fault, sizeof o.fault)) {
      JsonLine().str("error", "unknown argument (expected corrupt=NAME or fault=undef|align)").end();
      o.ok = false;
    }
    p += len;
  }
  return o;
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

}  // namespace

int main() {
  board_init();
  const Options opt = parse(board_cmdline());
  if (!opt.ok) return kExitError;
  if (opt.fault[0]) return provoke_fault(opt.fault);
  return earshot::fw::run_golden_check(opt.corrupt[0] ? opt.corrupt : nullptr);
}
