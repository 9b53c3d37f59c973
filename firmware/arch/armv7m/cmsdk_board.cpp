#include "arch/armv7m/cmsdk_board.h"

#include "arch/armv7a/semihosting.h"  // BKPT 0xAB on M profile
#include "arch/armv7m/cmsdk_uart.h"
#include "arch/armv7m/scb.h"
#include "boards/board.h"

namespace {
char g_cmdline[2048];
}  // namespace

// link.ld: the image QEMU loaded (earshot-fw.bin's bytes, .data's load copy last).
extern "C" const uint8_t __image_start[], __image_end[];

extern "C" void board_init() { armv7m::cycles_start(); }

extern "C" void board_putc(char c) {
  const armv7m::CmsdkUart uart(armv7m::kCmsdkBoard.uart_base, armv7m::kCmsdkBoard.uart_baud_div);
  uart.putc(c);
}

extern "C" uint64_t board_cycles() { return armv7m::cycles(); }

extern "C" const char* board_cmdline() {
  const char* args = semihosting::cmdline_args(g_cmdline, sizeof g_cmdline);
  return args ? args : "";
}

extern "C" BoardFlash board_flash() {
  const armv7m::CmsdkBoard& b = armv7m::kCmsdkBoard;
  return {reinterpret_cast<const uint8_t*>(b.flash_address), b.flash_bytes, 0, b.board_id, __image_start,
          static_cast<size_t>(__image_end - __image_start)};
}

extern "C" void board_exit(int status) { semihosting::exit(status); }
