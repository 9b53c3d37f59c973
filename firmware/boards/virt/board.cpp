// QEMU virt: PL011 console, PMU cycle counter, semihosting for the command
// line (-append) and the exit status, the flash layout in pflash bank 1.
#include <cstdint>

#include "image/flash_layout.h"
#include "arch/armv7a/pmu.h"
#include "arch/armv7a/semihosting.h"
#include "boards/board.h"

namespace {

// PL011 UART0 in QEMU's virt memory map. QEMU's model transmits without
// baud-rate or enable set-up, so there is none here.
auto* const kUartData = reinterpret_cast<volatile uint32_t*>(0x09000000);
auto* const kUartFlags = reinterpret_cast<volatile uint32_t*>(0x09000018);
constexpr uint32_t kTxFifoFull = 1u << 5;

char g_cmdline[2048];

}  // namespace

// link.ld: the image QEMU loaded (earshot-fw.bin's bytes).
extern "C" const uint8_t __image_start[], __image_end[];

extern "C" void board_init() { armv7a::pmu_start(); }

extern "C" void board_putc(char c) {
  while (*kUartFlags & kTxFifoFull) {
  }
  *kUartData = static_cast<uint8_t>(c);
}

extern "C" uint64_t board_cycles() { return armv7a::pmu_cycles(); }

extern "C" const char* board_cmdline() {
  const char* args = semihosting::cmdline_args(g_cmdline, sizeof g_cmdline);
  return args ? args : "";
}

extern "C" BoardFlash board_flash() {
  // The second flash bank (QEMU -drive if=pflash,unit=1,...): the whole
  // 64 MiB file earshot-pack flash --board virt wrote, header first.
  namespace fl = earshot::flash;
  return {reinterpret_cast<const uint8_t*>(fl::kVirtFlashAddress),
          fl::kVirtFlashBytes,
          0,
          static_cast<uint32_t>(fl::Board::kVirt),
          __image_start,
          static_cast<size_t>(__image_end - __image_start)};
}

extern "C" void board_exit(int status) { semihosting::exit(status); }
