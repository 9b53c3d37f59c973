// M-profile start-up after reset.S: .data copied from flash, .bss cleared,
// the vector table installed, faults enabled, caches on, constructors, main,
// exit. (newlib's crt0 _start is not used: it neither copies .data from flash
// nor knows the M-profile stack.) Also the vector table and the SysTick
// cycle counter.
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "arch/armv7m/scb.h"

extern "C" {
// link.ld
extern uint32_t __stack[], __data_load__[], __data_start__[], __data_end__[], __bss_start__[], __bss_end__[];
void armv7m_reset();
void armv7m_fault_entry();
void armv7m_systick();
void __libc_init_array();
int main();
}

// Vector table (ARMv7-M ARM B1.5.3): 16 system entries and a few interrupt
// lines. Nothing enables an interrupt, so any IRQ is a fault as well.
// Placed first in flash by link.ld; VTOR is set to it all the same.
using Handler = void (*)();
extern "C" __attribute__((section(".vectors"), used)) const Handler armv7m_vectors[32] = {
    reinterpret_cast<Handler>(__stack),  // 0: initial MSP
    armv7m_reset,                        // 1: reset
    armv7m_fault_entry,                  // 2: NMI
    armv7m_fault_entry,                  // 3: HardFault
    armv7m_fault_entry,                  // 4: MemManage
    armv7m_fault_entry,                  // 5: BusFault
    armv7m_fault_entry,                  // 6: UsageFault
    armv7m_fault_entry,                  // 7: SecureFault (v8-M; reserved on v7-M)
    nullptr, nullptr, nullptr,           // 8-10: reserved
    armv7m_fault_entry,                  // 11: SVCall (semihosting uses BKPT, never SVC)
    armv7m_fault_entry,                  // 12: DebugMonitor
    nullptr,                             // 13: reserved
    armv7m_fault_entry,                  // 14: PendSV
    armv7m_systick,                      // 15: SysTick: the cycle counter's high word
    armv7m_fault_entry, armv7m_fault_entry, armv7m_fault_entry, armv7m_fault_entry,  // IRQ 0..15
    armv7m_fault_entry, armv7m_fault_entry, armv7m_fault_entry, armv7m_fault_entry,
    armv7m_fault_entry, armv7m_fault_entry, armv7m_fault_entry, armv7m_fault_entry,
    armv7m_fault_entry, armv7m_fault_entry, armv7m_fault_entry, armv7m_fault_entry,
};

namespace armv7m {

uint32_t caches_on() {
  const uint32_t ctype1 = reg(kClidr) & 7;  // level 1: bit 0 I-cache, bit 1 D-cache
  if (ctype1 & 2) {
    reg(kCsselr) = 0;  // level 1 data cache
    dsb();
    const uint32_t ccsidr = reg(kCcsidr);
    const uint32_t sets = ((ccsidr >> 13) & 0x7FFF) + 1, ways = ((ccsidr >> 3) & 0x3FF) + 1;
    const uint32_t line_shift = (ccsidr & 7) + 4;
    const uint32_t way_shift = ways > 1 ? static_cast<uint32_t>(__builtin_clz(ways - 1)) : 0;
    for (uint32_t s = 0; s < sets; ++s)
      for (uint32_t w = 0; w < ways; ++w) reg(kDcisw) = (w << way_shift) | (s << line_shift);
    dsb();
  }
  if (ctype1 & 1) {
    reg(kIciallu) = 0;
    dsb();
    isb();
  }
  if (ctype1) {
    reg(kCcr) |= (ctype1 & 1 ? kCcrIc : 0) | (ctype1 & 2 ? kCcrDc : 0);
    dsb();
    isb();
  }
  return reg(kCcr) & (kCcrIc | kCcrDc);
}

namespace {
volatile uint32_t g_wraps = 0;  // SysTick periods of 2^24 cycles
uint64_t g_last = 0;            // cycles() last returned (thread mode only)
constexpr uint32_t kReload = 0xFFFFFF;
constexpr uint32_t kPendStSet = 1u << 26;  // ICSR: SysTick exception pending
}  // namespace

void cycles_start() {
  reg(kSystCsr) = 0;
  reg(kSystRvr) = kReload;
  reg(kSystCvr) = 0;  // any write clears it; counting starts at the reload value
  g_wraps = 0;
  g_last = 0;
  reg(kSystCsr) = 7;  // enable, exception on wrap (TICKINT), processor clock
}

uint64_t cycles() {
  // A wrap between reading the count and the wrap counter shows as a pending
  // SysTick exception not yet taken (QEMU takes it at the next block): read again.
  uint64_t t;
  for (;;) {
    const uint32_t hi = g_wraps;
    const uint32_t val = reg(kSystCvr);
    if (!(reg(kIcsr) & kPendStSet) && hi == g_wraps) {
      t = (static_cast<uint64_t>(hi) << 24) + (kReload - val);
      break;
    }
  }
  // QEMU without -icount computes the count from the clock when it is read,
  // but raises the wrap's exception from a host timer, which can come later:
  // a count that went back has wrapped without its exception yet.
  if (t < g_last) t += uint64_t{1} << 24;
  g_last = t;
  return t;
}

}  // namespace armv7m

extern "C" void armv7m_systick() { armv7m::g_wraps = armv7m::g_wraps + 1; }

// CCR's IC|DC bits as read back after caches_on(): 0 under QEMU 7.2, which
// models no caches (kept for a debugger to look at).
extern "C" uint32_t armv7m_cache_bits;
uint32_t armv7m_cache_bits = 0;

extern "C" [[noreturn]] void armv7m_start() {
  // .data from its load address in flash; .bss cleared. Word loops: the
  // linker script aligns all four symbols to 4 bytes.
  for (uint32_t *s = __data_load__, *d = __data_start__; d < __data_end__;) *d++ = *s++;
  for (uint32_t* d = __bss_start__; d < __bss_end__;) *d++ = 0;
  using namespace armv7m;
  reg(kVtor) = reinterpret_cast<uintptr_t>(armv7m_vectors);
  // Handlers' FP state as thread mode's: AHP, DN, FZ, RMode, FZ16 clear
  // (v8.1-M: LTPSIZE, bits 18:16, left at its reset value 4).
  reg(kFpdscr) = reg(kFpdscr) & ~0x07C80000u;
  // MemManage, BusFault, UsageFault (and SecureFault on v8-M) as their own
  // exceptions, so the report names the cause instead of a forced HardFault.
  uint32_t shcsr = (1u << 16) | (1u << 17) | (1u << 18);
#if defined(__ARM_ARCH_8M_MAIN__) || defined(__ARM_ARCH_8_1M_MAIN__)
  shcsr |= 1u << 19;
#endif
  reg(kShcsr) |= shcsr;
  dsb();
  isb();
  armv7m_cache_bits = caches_on();
  __libc_init_array();
  std::exit(main());
}
