// QEMU mps3-an547 (Arm MPS3 FPGA image AN547: Corstone SSE-300, Cortex-M55): CMSDK UART0,
// SysTick cycle counter, semihosting for the command line and the exit
// status, the flash file in the QSPI flash (README.md). Everything runs in
// the Secure state the core resets into, so the Secure aliases are used. The
// board functions are arch/armv7m/cmsdk_board.cpp's; this is where they point.
#include "arch/armv7m/cmsdk_board.h"
#include "image/flash_layout.h"

namespace fl = earshot::flash;

// UART0, Secure alias (0x4930_3000 Non-secure); 25 MHz peripheral clock / 115 200 baud.
const armv7m::CmsdkBoard armv7m::kCmsdkBoard{0x59303000, 25000000 / 115200, fl::kMps3An547FlashAddress,
                                             fl::kMps3An547FlashBytes, static_cast<uint32_t>(fl::Board::kMps3An547)};
