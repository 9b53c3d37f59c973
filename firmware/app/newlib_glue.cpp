// newlib's system calls, mapped onto the board interface. Linked as object
// files (not from an archive) so they win over libnosys's stubs, and
// extern "C" or the C++ names would not replace them at all.
#include <cstddef>

#include "app/console.h"
#include "boards/board.h"

extern "C" {

// Anything newlib writes (stdout, stderr, assert) goes to the console.
int _write(int, const char* buf, int len) {
  for (int i = 0; i < len; ++i) board_putc(buf[i]);
  return len;
}

// No heap: every buffer is static, so any malloc is a bug. Failing loudly here
// (malloc's first call always asks sbrk) finds it at once, where libnosys's
// sbrk would grow silently towards the stack.
void* _sbrk(ptrdiff_t) {
  earshot::fw::JsonLine().str("error", "heap use (malloc) in the firmware").end();
  board_exit(kExitError);
}

[[noreturn]] void _exit(int status) { board_exit(status); }

}  // extern "C"
