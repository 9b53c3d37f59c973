// QEMU mps2-an500 (Arm MPS2 FPGA image AN500: Cortex-M7): CMSDK UART0,
// SysTick cycle counter, semihosting for the command line and the exit
// status, the flash file in SSRAM1 above the firmware (README.md).
#include <cstdint>
#include <cstring>

#include "image/flash_layout.h"
#include "arch/armv7a/semihosting.h"
#include "arch/armv7m/cmsdk_uart.h"
#include "arch/armv7m/scb.h"
#include "boards/board.h"

namespace {

// UART0; the FPGA's 25 MHz system clock / 115 200 baud.
constexpr armv7m::CmsdkUart kUart(0x40004000, 25000000 / 115200);

char g_cmdline[2048];

}  // namespace

// link.ld: the image QEMU loaded (earshot-fw.bin's bytes, .data's load copy last).
extern "C" const uint8_t __image_start[], __image_end[];

extern "C" void board_init() { armv7m::cycles_start(); }

extern "C" void board_putc(char c) { kUart.putc(c); }

extern "C" uint64_t board_cycles() { return armv7m::cycles(); }

extern "C" const char* board_cmdline() {
  if (!semihosting::get_cmdline(g_cmdline, sizeof g_cmdline)) return "";
  // "<kernel file> <-append text>" (or semihosting arg=...): drop the program name.
  const char* args = std::strchr(g_cmdline, ' ');
  return args ? args + 1 : "";
}

extern "C" BoardFlash board_flash() {
  namespace fl = earshot::flash;
  return {reinterpret_cast<const uint8_t*>(fl::kMps2An500FlashAddress),
          fl::kMps2An500FlashBytes,
          0,
          static_cast<uint32_t>(fl::Board::kMps2An500),
          __image_start,
          static_cast<size_t>(__image_end - __image_start)};
}

extern "C" void board_exit(int status) { semihosting::exit(status); }
