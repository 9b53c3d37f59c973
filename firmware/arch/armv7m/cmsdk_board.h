// The board functions (boards/board.h) of the QEMU MPS2/MPS3 FPGA images, which
// differ only in addresses: a CMSDK UART, the SysTick cycle counter (scb.h),
// semihosting for the command line and the exit status, and the flash file
// where QEMU loaded it. Each board's board.cpp defines kCmsdkBoard.
#pragma once
#include <cstddef>
#include <cstdint>

namespace armv7m {

struct CmsdkBoard {
  uintptr_t uart_base;   // UART0's registers (the Secure alias where the core runs Secure)
  uint32_t uart_baud_div; // its clock / 115 200
  uintptr_t flash_address; // the flash file earshot-pack flash wrote (image/flash_layout.h)
  size_t flash_bytes;
  uint32_t board_id;     // earshot::flash::Board
};

extern const CmsdkBoard kCmsdkBoard;

}  // namespace armv7m
