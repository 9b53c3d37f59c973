// QEMU mps2-an500 (Arm MPS2 FPGA image AN500: Cortex-M7): CMSDK UART0,
// SysTick cycle counter, semihosting for the command line and the exit
// status, the flash file in SSRAM1 above the firmware (README.md). The board
// functions are arch/armv7m/cmsdk_board.cpp's; this is where they point.
#include "arch/armv7m/cmsdk_board.h"
#include "image/flash_layout.h"

namespace fl = earshot::flash;

// UART0; the FPGA's 25 MHz system clock / 115 200 baud.
const armv7m::CmsdkBoard armv7m::kCmsdkBoard{0x40004000, 25000000 / 115200, fl::kMps2An500FlashAddress,
                                             fl::kMps2An500FlashBytes, static_cast<uint32_t>(fl::Board::kMps2An500)};
