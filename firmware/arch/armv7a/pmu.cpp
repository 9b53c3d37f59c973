#include "arch/armv7a/pmu.h"

namespace armv7a {
namespace {

constexpr uint32_t kPmcrEnable = 1u << 0;      // PMCR.E
constexpr uint32_t kPmcrResetCycles = 1u << 2; // PMCR.C
constexpr uint32_t kCycleCounter = 1u << 31;   // bit C in PMCNTENSET / PMOVSR

uint32_t g_high = 0;  // wraps of the 32-bit counter seen so far

uint32_t read_pmccntr() {
  uint32_t v;
  asm volatile("mrc p15, 0, %0, c9, c13, 0" : "=r"(v));
  return v;
}

}  // namespace

void pmu_start() {
  asm volatile("mcr p15, 0, %0, c9, c12, 2" : : "r"(kCycleCounter));  // PMCNTENCLR: stop
  asm volatile("mcr p15, 0, %0, c9, c12, 3" : : "r"(kCycleCounter));  // PMOVSR: clear wrap
  asm volatile("mcr p15, 0, %0, c9, c12, 0" : : "r"(kPmcrEnable | kPmcrResetCycles));
  asm volatile("mcr p15, 0, %0, c9, c12, 1" : : "r"(kCycleCounter));  // PMCNTENSET: run
  asm volatile("isb" ::: "memory");
  g_high = 0;
}

uint64_t pmu_cycles() {
  uint32_t lo = read_pmccntr();
  uint32_t overflow;
  asm volatile("mrc p15, 0, %0, c9, c12, 3" : "=r"(overflow));
  if (overflow & kCycleCounter) {
    asm volatile("mcr p15, 0, %0, c9, c12, 3" : : "r"(kCycleCounter));
    ++g_high;
    lo = read_pmccntr();  // re-read: the wrap may have come after the first read
  }
  return (static_cast<uint64_t>(g_high) << 32) | lo;
}

}  // namespace armv7a
