// QEMU mps3-an547 (Arm MPS3 FPGA image AN547: Corstone SSE-300, Cortex-M55): CMSDK UART0,
// SysTick cycle counter, semihosting for the command line and the exit
// status, the flash file in the QSPI flash (README.md). Everything runs in
// the Secure state the core resets into, so the Secure aliases are used.
#include <cstdint>
#include <cstring>

#include "image/flash_layout.h"
#include "arch/armv7a/semihosting.h"
#include "arch/armv7m/cmsdk_uart.h"
#include "arch/armv7m/scb.h"
#include "boards/board.h"

namespace {

// UART0, Secure alias (0x4930_3000 Non-secure); 25 MHz peripheral clock / 115 200 baud.
constexpr armv7m::CmsdkUart kUart(0x59303000, 25000000 / 115200);

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
  return {reinterpret_cast<const uint8_t*>(fl::kMps3An547FlashAddress),
          fl::kMps3An547FlashBytes,
          0,
          static_cast<uint32_t>(fl::Board::kMps3An547),
          __image_start,
          static_cast<size_t>(__image_end - __image_start)};
}

extern "C" void board_exit(int status) { semihosting::exit(status); }
