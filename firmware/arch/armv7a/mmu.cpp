#include "arch/armv7a/mmu.h"

namespace armv7a {
namespace {

// Short-descriptor first-level section entries (ARMv7-A ARM B3.5.1), with
// TEX remap and the access flag off (SCTLR.TRE = SCTLR.AFE = 0).
constexpr uint32_t kSection = 0b10;
constexpr uint32_t kB = 1u << 2, kC = 1u << 3, kXN = 1u << 4;
constexpr uint32_t kApFull = 0b11u << 10;  // read/write at PL0 and PL1
constexpr uint32_t kTex1 = 0b001u << 12;
// TEX=001 C=1 B=1: Normal, inner and outer write-back write-allocate,
// non-shareable (one core uses it). Domain 0.
constexpr uint32_t kNormalAttrs = kSection | kTex1 | kC | kB | kApFull;
// TEX=000 C=0 B=1: Shareable Device; execute never.
constexpr uint32_t kDeviceAttrs = kSection | kB | kXN | kApFull;

// TTBR0 with the Multiprocessing Extensions (Cortex-A7): table walks
// inner (IRGN = 01, bit 6) and outer (RGN = 01, bit 3) write-back
// write-allocate, non-shareable.
constexpr uint32_t kTtbrWalkAttrs = (1u << 6) | (1u << 3);
constexpr uint32_t kDacrDomain0Client = 0b01;  // domain 0: check AP bits

constexpr uint32_t kSctlrM = 1u << 0, kSctlrA = 1u << 1, kSctlrC = 1u << 2;
constexpr uint32_t kSctlrZ = 1u << 11, kSctlrI = 1u << 12;
constexpr uint32_t kSctlrTre = 1u << 28, kSctlrAfe = 1u << 29;
constexpr uint32_t kActlrSmp = 1u << 6;  // Cortex-A7/A15: must be set before caches/MMU

#define ARMV7A_MRC(op1, crn, crm, op2, var) \
  asm volatile("mrc p15, " #op1 ", %0, " #crn ", " #crm ", " #op2 : "=r"(var))
#define ARMV7A_MCR(op1, crn, crm, op2, val) \
  asm volatile("mcr p15, " #op1 ", %0, " #crn ", " #crm ", " #op2 : : "r"(val) : "memory")

inline void dsb() { asm volatile("dsb" ::: "memory"); }
inline void isb() { asm volatile("isb" ::: "memory"); }

// Invalidates (without cleaning) every data/unified cache level up to the
// Level of Coherency by set/way. Only safe while the data cache is off and
// has never been on since reset, which is the case here.
void dcache_invalidate_all() {
  uint32_t clidr;
  ARMV7A_MRC(1, c0, c0, 1, clidr);
  const uint32_t loc = (clidr >> 24) & 7;
  for (uint32_t level = 0; level < loc; ++level) {
    const uint32_t ctype = (clidr >> (3 * level)) & 7;
    if (ctype < 2) continue;  // no cache, or instruction cache only
    ARMV7A_MCR(2, c0, c0, 0, level << 1);  // CSSELR: this level's data cache
    isb();
    uint32_t ccsidr;
    ARMV7A_MRC(1, c0, c0, 0, ccsidr);
    const uint32_t line_shift = (ccsidr & 7) + 4;
    const uint32_t ways = ((ccsidr >> 3) & 0x3ff) + 1;
    const uint32_t sets = ((ccsidr >> 13) & 0x7fff) + 1;
    const uint32_t way_shift = ways > 1 ? __builtin_clz(ways - 1) : 0;
    for (uint32_t way = 0; way < ways; ++way)
      for (uint32_t set = 0; set < sets; ++set)
        ARMV7A_MCR(0, c7, c6, 2, (way << way_shift) | (set << line_shift) | (level << 1));  // DCISW
  }
  dsb();
}

}  // namespace

void mmu_enable_flat(uint32_t* table, const MemRegion* regions, size_t count) {
  // One computed store per entry (not a clear then a fill): a zeroing loop
  // could become a memset call, and this runs before the C runtime.
  for (uint32_t mib = 0; mib < kTranslationTableEntries; ++mib) {
    uint32_t d = 0;  // fault
    for (size_t r = 0; r < count; ++r) {
      if (mib < regions[r].first_mib || mib >= regions[r].end_mib) continue;
      switch (regions[r].type) {
        case MemType::kFault: d = 0; break;
        case MemType::kNormal: d = (mib << 20) | kNormalAttrs; break;
        case MemType::kDevice: d = (mib << 20) | kDeviceAttrs; break;
      }
    }
    table[mib] = d;
  }
  dsb();  // the table is in memory (caches are off) before any walk

  // ACTLR is implementation defined: only on a Cortex-A7 or A15 (MIDR
  // primary part number 0xC07 / 0xC0F) is bit 6 the SMP bit. Written only if
  // clear: in Non-secure state (a Pi enters the kernel in HYP, reset.S drops
  // to Non-secure SVC) it may be read-only, and the Pi's boot stub sets it.
  uint32_t midr, actlr;
  ARMV7A_MRC(0, c0, c0, 0, midr);
  const uint32_t part = (midr >> 4) & 0xfff;
  ARMV7A_MRC(0, c1, c0, 1, actlr);
  if ((part == 0xc07 || part == 0xc0f) && !(actlr & kActlrSmp))
    ARMV7A_MCR(0, c1, c0, 1, actlr | kActlrSmp);

  ARMV7A_MCR(0, c7, c5, 0, 0u);  // ICIALLU: instruction cache
  ARMV7A_MCR(0, c7, c5, 6, 0u);  // BPIALL: branch predictor
  ARMV7A_MCR(0, c8, c7, 0, 0u);  // TLBIALL
  dcache_invalidate_all();

  ARMV7A_MCR(0, c2, c0, 2, 0u);  // TTBCR: TTBR0 only, short descriptors
  ARMV7A_MCR(0, c2, c0, 0, reinterpret_cast<uint32_t>(table) | kTtbrWalkAttrs);
  ARMV7A_MCR(0, c3, c0, 0, kDacrDomain0Client);
  dsb();
  isb();

  uint32_t sctlr;
  ARMV7A_MRC(0, c1, c0, 0, sctlr);
  sctlr &= ~(kSctlrA | kSctlrTre | kSctlrAfe);
  sctlr |= kSctlrM | kSctlrC | kSctlrZ | kSctlrI;
  ARMV7A_MCR(0, c1, c0, 0, sctlr);
  isb();
}

}  // namespace armv7a
