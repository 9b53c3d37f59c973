// Kernel tests as bare-metal firmware (Cortex-M presets): the same doctest
// sources as on the host (tests/kernels/test_*.cpp), linked with a board's
// start-up and console. qemu-user cannot run M-profile code, so these run
// under qemu-system-arm like the firmware itself.
//
// Unlike the product firmware this test program has a heap (the tests use
// std::vector and std::string): _sbrk hands out a static block in the
// board's .audio_file region (PSRAM / DDR, not cleared, test plumbing there
// too). doctest's output goes to the UART through _write; the exit status,
// through board_exit, is doctest's (0 all passed).
#define DOCTEST_CONFIG_IMPLEMENT
#include "doctest.h"

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "boards/board.h"

namespace {
// 3 MiB: far more than the largest test case's buffers.
alignas(16) __attribute__((section(".audio_file"))) uint8_t g_heap[3u << 20];
size_t g_used = 0;
}  // namespace

extern "C" {

int _write(int, const char* buf, int len) {
  for (int i = 0; i < len; ++i) board_putc(buf[i]);
  return len;
}

void* _sbrk(ptrdiff_t incr) {
  if (incr < 0 || g_used + static_cast<size_t>(incr) > sizeof g_heap) {
    const char msg[] = "\nkernel test firmware: heap exhausted\n";
    _write(1, msg, sizeof msg - 1);
    board_exit(kExitError);
  }
  void* p = g_heap + g_used;
  g_used += static_cast<size_t>(incr);
  return p;
}

[[noreturn]] void _exit(int status) { board_exit(status); }

}  // extern "C"

int main() {
  board_init();
  doctest::Context ctx;
  ctx.setOption("no-colors", true);
  // Any further filters from the command line (QEMU -append): -tc=NAME etc.
  const char* args = board_cmdline();
  static char buf[512];
  std::strncpy(buf, args, sizeof buf - 1);
  const char* argv[16] = {"kernel-test"};
  int argc = 1;
  for (char* tok = std::strtok(buf, " "); tok && argc < 16; tok = std::strtok(nullptr, " ")) argv[argc++] = tok;
  ctx.applyCommandLine(argc, argv);
  const int failed = ctx.run();
  return failed ? kExitCheckFailed : kExitOk;
}
