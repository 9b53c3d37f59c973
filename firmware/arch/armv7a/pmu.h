// ARMv7-A PMU cycle counter (PMCCNTR), widened to 64 bits in software.
//
// On hardware it counts CPU clock cycles. Under QEMU TCG it is not a cycle
// count: QEMU derives it from its virtual clock at a nominal 1 GHz, so without
// -icount it reads host nanoseconds spent emulating (varies run to run), and
// with -icount shift=0 it reads executed guest instructions (deterministic).
#pragma once
#include <cstdint>

namespace armv7a {

// Enables the PMU and starts the cycle counter from zero (no divider).
void pmu_start();

// Cycles since pmu_start(). Must be called at least once per 2^32 cycles
// (4.3 s at 1 GHz) for the high word to see every wrap.
uint64_t pmu_cycles();

}  // namespace armv7a
