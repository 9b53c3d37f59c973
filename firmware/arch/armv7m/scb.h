// The M-profile System Control Space registers the firmware uses (ARMv7-M
// and ARMv8-M ARM, chapter B3). No CMSIS: Debian packages no CMSIS headers.
#pragma once
#include <cstdint>

namespace armv7m {

inline volatile uint32_t& reg(uintptr_t a) { return *reinterpret_cast<volatile uint32_t*>(a); }

inline constexpr uintptr_t kIcsr = 0xE000ED04;   // interrupt control and state
inline constexpr uintptr_t kVtor = 0xE000ED08;   // vector table offset
inline constexpr uintptr_t kCcr = 0xE000ED14;    // configuration and control
inline constexpr uintptr_t kShcsr = 0xE000ED24;  // system handler control and state
inline constexpr uintptr_t kCfsr = 0xE000ED28;   // configurable fault status (MMFSR | BFSR | UFSR)
inline constexpr uintptr_t kHfsr = 0xE000ED2C;   // hard fault status
inline constexpr uintptr_t kMmfar = 0xE000ED34;  // memory management fault address
inline constexpr uintptr_t kBfar = 0xE000ED38;   // bus fault address
inline constexpr uintptr_t kSfsr = 0xE000EDE4;   // secure fault status (v8-M)
inline constexpr uintptr_t kSfar = 0xE000EDE8;   // secure fault address (v8-M)
inline constexpr uintptr_t kClidr = 0xE000ED78;  // cache level ID
inline constexpr uintptr_t kCcsidr = 0xE000ED80; // cache size ID (of the level CSSELR selects)
inline constexpr uintptr_t kCsselr = 0xE000ED84; // cache size selection
inline constexpr uintptr_t kFpdscr = 0xE000EF3C; // FP default status control (FPSCR of handlers)
inline constexpr uintptr_t kIciallu = 0xE000EF50;// I-cache invalidate all
inline constexpr uintptr_t kDcisw = 0xE000EF60;  // D-cache invalidate by set/way
inline constexpr uintptr_t kSystCsr = 0xE000E010;// SysTick control and status
inline constexpr uintptr_t kSystRvr = 0xE000E014;// SysTick reload
inline constexpr uintptr_t kSystCvr = 0xE000E018;// SysTick current value

inline constexpr uint32_t kCcrDc = 1u << 16, kCcrIc = 1u << 17;

inline void dsb() { asm volatile("dsb" ::: "memory"); }
inline void isb() { asm volatile("isb" ::: "memory"); }

// I- and D-cache on (Cortex-M7, Cortex-M55), after invalidating both, as the
// ARMv7-M ARM's set/way sequence. A core without caches (CLIDR level 1 type
// 0) is left alone. Returns CCR's IC and DC bits as read back afterwards: an
// emulator that models no caches (QEMU 7.2) keeps them at zero.
uint32_t caches_on();

// SysTick on the processor clock, free-running, its 24-bit count widened to
// 64 bits by the SysTick exception (one per 2^24 cycles). On hardware these
// are CPU clock cycles; under QEMU the processor clock is the board's nominal
// system clock, derived from QEMU's virtual clock (see the board READMEs).
void cycles_start();
uint64_t cycles();

}  // namespace armv7m
