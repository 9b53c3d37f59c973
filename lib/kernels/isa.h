// Instruction-set levels of the integer kernels and their selection.
//
// x86-64: every level is compiled into one binary and chosen at run time from
// cpuid (scalar -> avx2 -> avx512vnni); EARSHOT_ISA=scalar|avx2|avx512vnni (read
// at first use) or isa_force() overrides it. AArch64 Linux: neon, or neondot
// when the kernel reports HWCAP_ASIMDDP. ARMv7 / bare metal: neon when the
// compiler targets NEON, else scalar. Cortex-M: dsp (ARMv7E-M / v8-M DSP
// extension: SMLAD, SXTB16) when the compiler targets it, mve (Helium) on
// v8.1-M with MVE, chosen at build time like neon. The scalar reference is always linked so
// tests compare every variant in one binary. Every level gives the same bits.
#pragma once
#include <cstdint>

#include "common/error.h"

namespace earshot::kernels {

enum class Isa : uint8_t { scalar = 0, avx2 = 1, avx512vnni = 2, neon = 3, neondot = 4, dsp = 5, mve = 6 };
inline constexpr int kIsaCount = 7;

const char* isa_name(Isa isa);                // "scalar", "avx2", ...
bool isa_parse(const char* name, Isa* out);   // inverse of isa_name
bool isa_compiled(Isa isa);                   // built into this binary
bool isa_supported(Isa isa);                  // compiled, and this CPU runs it
Isa isa_best();                               // best supported level

// The level the kernels' plain entry points use. First call: EARSHOT_ISA when
// set to a supported level, otherwise isa_best().
Isa isa_active();
// Selects a level for all later calls (not thread-safe against running kernels).
earshot_status isa_force(Isa isa, Error& err);
// Re-reads EARSHOT_ISA: unset -> isa_best(); unknown or unsupported -> error,
// selection unchanged.
earshot_status isa_select_from_env(Error& err);

}  // namespace earshot::kernels
