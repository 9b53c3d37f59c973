// Fatal exception report: one JSON line on the console, then exit with
// kExitFault. Deliberately self-contained (arch/fault_report.h's output, no app code): it
// runs when the rest of the program may be in any state.
#include <cstdint>

#include "arch/fault_report.h"
#include "boards/board.h"

namespace {

using fault_report::put;
using fault_report::put_hex;

struct VectorInfo {
  const char* name;
  uint8_t arm_offset, thumb_offset;  // lr minus this = the instruction that trapped
};

// Indexed by vector offset / 4 (vectors.S passes the index).
constexpr VectorInfo kVectors[] = {
    {"reset", 0, 0},          {"undefined instruction", 4, 2}, {"svc", 4, 2},
    {"prefetch abort", 4, 4}, {"data abort", 8, 8},            {"reserved vector 0x14", 4, 4},
    {"irq", 4, 4},            {"fiq", 4, 4},
};

uint32_t dfsr() { uint32_t v; asm volatile("mrc p15, 0, %0, c5, c0, 0" : "=r"(v)); return v; }
uint32_t dfar() { uint32_t v; asm volatile("mrc p15, 0, %0, c6, c0, 0" : "=r"(v)); return v; }
uint32_t ifsr() { uint32_t v; asm volatile("mrc p15, 0, %0, c5, c0, 1" : "=r"(v)); return v; }
uint32_t ifar() { uint32_t v; asm volatile("mrc p15, 0, %0, c6, c0, 2" : "=r"(v)); return v; }

bool g_reporting = false;

}  // namespace

// Entered from vectors.S on the fault stack, in the exception's mode.
extern "C" [[noreturn]] void armv7a_fault(uint32_t index, uint32_t lr, uint32_t spsr) {
  // A fault while reporting one (say semihosting is off, so board_exit's SVC
  // traps too) must not loop printing: stop and let the caller's timeout end it.
  if (g_reporting)
    for (;;) asm volatile("wfi");
  g_reporting = true;

  const VectorInfo& v = kVectors[index & 7];
  const bool thumb = spsr & (1u << 5);
  put("\n{\"fault\":\"");
  put(v.name);
  board_putc('"');
  put_hex("pc", lr - (thumb ? v.thumb_offset : v.arm_offset));
  put_hex("spsr", spsr);
  if (index == 4) {  // data abort: the address accessed and why (DFSR)
    put_hex("dfar", dfar());
    put_hex("dfsr", dfsr());
  } else if (index == 3) {  // prefetch abort: the instruction address and why
    put_hex("ifar", ifar());
    put_hex("ifsr", ifsr());
  }
  put("}\n");
  board_exit(kExitFault);
}
