// ARMv7-A MMU with a flat (identity) map of 1 MiB sections, and the caches.
//
// Why a board turns the MMU on at all: with it off, every data access is
// Strongly-ordered, and Strongly-ordered / Device memory faults on any
// unaligned access whatever SCTLR.A says. GCC for ARMv7-A and newlib's
// memcpy/memset use unaligned LDR/STR freely, so a real board faults
// (QEMU does not model that fault). Mapping RAM as Normal memory makes
// unaligned accesses legal, and Normal write-back memory is what lets the
// data cache work, which real boards need for speed. Caches and MMU change
// no result: the code is the same and nothing else (DMA, other cores)
// touches the memory.
#pragma once
#include <cstddef>
#include <cstdint>

namespace armv7a {

enum class MemType : uint8_t {
  kFault,   // unmapped: any access is a translation fault (catches wild pointers)
  kNormal,  // RAM: Normal, inner/outer write-back write-allocate, executable
  kDevice,  // peripherals: Device (shareable), never executable
};

// [first_mib, end_mib) in 1 MiB units, e.g. {0x3f0, 0x410, MemType::kDevice}.
struct MemRegion {
  uint32_t first_mib, end_mib;
  MemType type;
};

// 4096 first-level descriptors, one per MiB of the 4 GiB address space.
inline constexpr size_t kTranslationTableEntries = 4096;
inline constexpr size_t kTranslationTableAlign = 16 * 1024;

// Fills `table` (16 KiB aligned; must not be in .bss, which crt0 clears
// later) with the flat map described by `regions` (later regions win; address
// ranges not listed fault), then invalidates caches and TLB, sets TTBR0 /
// TTBCR / DACR and enables MMU, data and instruction caches and branch
// prediction, with alignment checking off. Runs before the C runtime: needs
// a stack but no .bss, .data or constructors. Call once, on one core, with
// the MMU off.
void mmu_enable_flat(uint32_t* table, const MemRegion* regions, size_t count);

}  // namespace armv7a
