// The board interface: all the device app needs from a board. Each board is
// one folder under firmware/boards/ implementing these six calls plus its
// start-up and linker script, so adding one (Raspberry Pi 2 next) touches
// nothing in firmware/app/.
//
// board_init() comes first; after it every call works at any time, allocates
// nothing and cannot fail. extern "C" keeps the names plain for assembly and
// for the linker map.
#pragma once
#include <cstddef>
#include <cstdint>

// Exit statuses: what QEMU hands back and what ctest and tools/run-firmware check.
inline constexpr int kExitOk = 0;
inline constexpr int kExitCheckFailed = 1;  // a check ran and found a difference,
                                            // or an audio file could not be transcribed
inline constexpr int kExitError = 2;        // bad arguments, set-up failure (flash, model,
                                            // arena), heap use
inline constexpr int kExitFault = 3;        // CPU exception (arch/armv7a/fault.cpp)

// Where the file `earshot-pack flash` wrote (flash_layout.h) lies in the
// address space, and the running image. Constant for the whole run.
struct BoardFlash {
  const uint8_t* file;     // start of the flash file (virt: pflash bank 1;
                           // raspi2b: kernel7.img's load address)
  size_t file_bytes;       // how many bytes from `file` may be read
  size_t header_offset;    // where in the file the header must be
  uint32_t board;          // earshot::flash::Board
  const uint8_t* image;    // the running firmware: earshot-fw.bin's bytes as loaded
  size_t image_bytes;      //   (from the linker script: image start to end of .data)
};

extern "C" {

void board_init();

// Blocking write of one byte to the console UART. '\n' goes out unchanged
// (the output is JSON lines for tools, not a terminal session).
void board_putc(char c);

// Monotonic 64-bit cycle count since board_init(). What a "cycle" is under
// emulation is the board's business: see its README section.
uint64_t board_cycles();

// The firmware's arguments, space separated, program name removed; "" when
// the board has no way to pass any. Static storage, valid for the whole run.
const char* board_cmdline();

// The board's flash layout; the app validates everything it says.
BoardFlash board_flash();

// Ends the run with `status` (one of kExit*); never returns.
[[noreturn]] void board_exit(int status);

}  // extern "C"
