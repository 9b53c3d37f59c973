// Raspberry Pi 2 (BCM2836): PL011 UART0 console, MMU flat map with caches,
// PMU cycle counter, semihosting (arguments and exit status) when QEMU or a
// debugger provides it, console exit report when nothing does.
#include <cstdint>
#include <iterator>

#include "image/flash_layout.h"
#include "arch/armv7a/mmu.h"
#include "arch/armv7a/pmu.h"
#include "arch/armv7a/semihosting.h"
#include "boards/board.h"

namespace {

// PL011 UART0 (BCM2835 peripherals at 0x3F000000 on the BCM2836). On a real
// Pi the GPU firmware configures it before the kernel starts (GPIO14/15 ALT0,
// 115200 8N1, from enable_uart=1, the Pi 2 default): reprogramming the baud
// rate here would need the UART clock, which depends on the firmware version
// and config.txt. QEMU's model transmits without any set-up.
auto* const kUartData = reinterpret_cast<volatile uint32_t*>(0x3F201000);
auto* const kUartFlags = reinterpret_cast<volatile uint32_t*>(0x3F201018);
constexpr uint32_t kTxFifoFull = 1u << 5;

// Why the MMU (armv7a/mmu.h): with it off, all data accesses are
// Strongly-ordered and a real Cortex-A7 faults on every unaligned one, which
// GCC (-munaligned-access is the ARMv7-A default) and newlib's string
// functions emit; QEMU does not model that fault, so only a board would show
// it. The alternative, -mno-unaligned-access, would have to cover newlib's
// prebuilt library too and leaves the caches off, which costs a real board
// several times its speed. Caches change no result: one core, no DMA.
constexpr armv7a::MemRegion kMemoryMap[] = {
    // SDRAM, ARM and GPU parts alike (the split is config.txt's gpu_mem).
    {0x000, 0x3f0, armv7a::MemType::kNormal},
    // BCM2835 peripherals 0x3F000000-0x3FFFFFFF and the ARM-local block
    // (mailboxes, timers) at 0x40000000.
    {0x3f0, 0x410, armv7a::MemType::kDevice},
    // Everything above faults.
};

// The first-level translation table: 16 KiB, in its own NOLOAD section
// (link.ld) because it is in use before crt0 clears .bss.
[[gnu::section(".mmu_table"), gnu::aligned(armv7a::kTranslationTableAlign)]]
uint32_t g_translation_table[armv7a::kTranslationTableEntries];

char g_cmdline[2048];
const char* g_args = "";

}  // namespace

// link.ld: the loaded image (earshot-fw.bin's bytes), the header slot right
// after it (4 KiB aligned) and the start of the RAM the image does not own.
extern "C" const uint8_t __image_start[], __image_end[], __flash_header[], __ram_start[];

// Called by reset.S on core 0 before newlib's crt0: .bss is not cleared yet
// and constructors have not run, so only constants and the table are used.
extern "C" void raspi2b_early_init() {
  armv7a::mmu_enable_flat(g_translation_table, kMemoryMap, std::size(kMemoryMap));
}

extern "C" void board_init() {
  armv7a::pmu_start();
  // Probe for a semihosting host with the call we need anyway. With none
  // (a real board), semihosting_optional.S makes it fail and marks the host
  // absent, so board_exit() reports on the console instead.
  if (const char* args = semihosting::cmdline_args(g_cmdline, sizeof g_cmdline)) g_args = args;
}

extern "C" void board_putc(char c) {
  while (*kUartFlags & kTxFifoFull) {
  }
  *kUartData = static_cast<uint8_t>(c);
}

extern "C" uint64_t board_cycles() { return armv7a::pmu_cycles(); }

extern "C" const char* board_cmdline() { return g_args; }

extern "C" BoardFlash board_flash() {
  // kernel7.img as earshot-pack flash --board raspi2b writes it: this image,
  // then the header at the next 4 KiB boundary, then the model; the boot
  // loader loads all of it at 0x8000. It may fill everything up to __ram_start
  // (.bss and the stacks live above, link.ld), which is what may be read.
  return {__image_start,
          static_cast<size_t>(__ram_start - __image_start),
          static_cast<size_t>(__flash_header - __image_start),
          static_cast<uint32_t>(earshot::flash::Board::kRaspi2b),
          __image_start,
          static_cast<size_t>(__image_end - __image_start)};
}

extern "C" void board_exit(int status) {
  if (!semihosting::host_absent()) semihosting::exit(status);  // QEMU: its exit status
  // No host to hand the status to: say it on the console and stop. (Own
  // output, like arch/armv7a/fault.cpp: this may run after a fault.)
  for (const char* s = "{\"exit\":"; *s; ++s) board_putc(*s);
  if (status < 0) board_putc('-');
  const uint32_t u = status < 0 ? 0u - static_cast<uint32_t>(status) : static_cast<uint32_t>(status);
  char digits[10];
  int n = 0;
  for (uint32_t v = u; n == 0 || v; v /= 10) digits[n++] = static_cast<char>('0' + v % 10);
  while (n) board_putc(digits[--n]);
  board_putc('}');
  board_putc('\n');
  for (;;) asm volatile("wfi");
}
