// M-profile fault report: one JSON line on the console, then exit with
// kExitFault. Self-contained (the hex output of arch/fault_report.h, no app code), like
// arch/armv7a/fault.cpp, whose names it keeps where the cause is the same
// ("undefined instruction"), so the common tests read both.
#include <cstdint>

#include "arch/armv7m/scb.h"
#include "arch/fault_report.h"
#include "boards/board.h"

namespace {

using fault_report::put;
using fault_report::put_hex;

const char* exception_name(uint32_t ipsr) {
  switch (ipsr) {
    case 2: return "nmi";
    case 3: return "hard fault";
    case 4: return "memory management fault";
    case 5: return "bus fault";
    case 6: return "usage fault";
    case 7: return "secure fault";
    case 11: return "svc";
    case 12: return "debug monitor";
    case 14: return "pendsv";
    default: return ipsr >= 16 ? "irq" : "reserved exception";
  }
}

// The cause, from CFSR's usage-fault bits where one is set (ARMv7-M ARM B3.2.15).
const char* cause(uint32_t ipsr, uint32_t cfsr, uint32_t hfsr) {
  const uint32_t ufsr = cfsr >> 16;
  if (ufsr & (1u << 0)) return "undefined instruction";
  if (ufsr & (1u << 1)) return "invalid state";
  if (ufsr & (1u << 2)) return "invalid exception return";
  if (ufsr & (1u << 3)) return "no coprocessor";  // FPU/MVE off in CPACR
  if (ufsr & (1u << 4)) return "stack overflow";  // v8-M MSPLIM
  if (ufsr & (1u << 8)) return "unaligned access";
  if (ufsr & (1u << 9)) return "division by zero";
  if (ipsr == 3 && (hfsr & (1u << 31))) return "debug event";  // BKPT without a debugger (semihosting)
  if (ipsr == 3 && (hfsr & (1u << 1))) return "vector table read";
  return exception_name(ipsr);
}

bool g_reporting = false;

}  // namespace

// link.ld: RAM from .data to the fault stack's top, where a stacked frame can be.
extern "C" uint32_t __data_start__[], __fault_stack_top[];

// From reset.S's armv7m_fault_entry, on the fault stack. frame: the
// exception's stacked r0-r3, r12, lr, pc, xPSR (may be garbage after a stack
// fault: read only to report).
extern "C" [[noreturn]] void armv7m_fault(const uint32_t* frame, uint32_t ipsr, uint32_t exc_return) {
  if (g_reporting)  // a fault while reporting (say board_exit's semihosting call
    for (;;) asm volatile("wfi");  // traps without a host): stop; the caller's timeout ends it
  g_reporting = true;
  using namespace armv7m;
  ipsr &= 0x1FF;
  const uint32_t cfsr = reg(kCfsr), hfsr = reg(kHfsr);
  // A frame outside RAM (the stack pointer itself went wild: a stacking
  // BusFault, BFSR.STKERR) is not read: that would fault again, mid-report.
  const bool frame_ok = frame >= __data_start__ && frame + 8 <= __fault_stack_top;
  put("\n{\"fault\":\"");
  put(cause(ipsr, cfsr, hfsr));
  board_putc('"');
  if (frame_ok) put_hex("pc", frame[6]);
  put(",\"exception\":\"");
  put(exception_name(ipsr));
  board_putc('"');
  if (frame_ok) {
    put_hex("xpsr", frame[7]);
    put_hex("lr", frame[5]);
  } else {
    put_hex("sp", reinterpret_cast<uintptr_t>(frame));  // no frame: where the stack pointer was
  }
  put_hex("exc_return", exc_return);
  put_hex("cfsr", cfsr);
  put_hex("hfsr", hfsr);
  if (cfsr & (1u << 7)) put_hex("mmfar", reg(kMmfar));   // MMARVALID
  if (cfsr & (1u << 15)) put_hex("bfar", reg(kBfar));    // BFARVALID
#if defined(__ARM_ARCH_8M_MAIN__) || defined(__ARM_ARCH_8_1M_MAIN__)
  if (ipsr == 7) {
    put_hex("sfsr", reg(kSfsr));
    put_hex("sfar", reg(kSfar));
  }
#endif
  put("}\n");
  board_exit(kExitFault);
}
