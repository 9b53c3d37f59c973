// ARM semihosting: requests to the debugger or to QEMU
// (-semihosting-config enable=on,target=native). Without one attached each
// call traps as an SVC: by default that ends in the fault report (virt, which
// only ever runs under QEMU). A board that must also run without a host (a
// real Raspberry Pi) links semihosting_optional.S: a trapped call then returns
// failure and host_absent() turns true.
#pragma once
#include <cstddef>

namespace semihosting {

// Copies the command line (program name first) into buf, NUL-terminated.
// False if there is none, it does not fit, or there is no host.
bool get_cmdline(char* buf, size_t size);

// The command line's arguments: get_cmdline() into buf, then what follows the
// program name (QEMU passes "<kernel file> <-append text>", semihosting
// arg=... the same). Null if there is no command line (see get_cmdline).
const char* cmdline_args(char* buf, size_t size);

// SYS_EXIT_EXTENDED: QEMU exits with `status` (plain SYS_EXIT on AArch32 can
// only say "success" or "failure"). With no host it waits forever (wfi).
[[noreturn]] void exit(int status);

// Host files (SYS_OPEN / SYS_FLEN / SYS_READ / SYS_CLOSE), binary read-only:
// how the firmware under QEMU gets its audio. Paths are the host's (relative
// to QEMU's working directory).
// A handle (>= 0), or -1 if the host cannot open `path` (or there is no host).
int open_read(const char* path);
// Length of the open file in bytes, or -1.
long file_length(int handle);
// Reads up to `size` bytes into buf; returns how many were read (fewer only
// at end of file), or -1 on error.
long read(int handle, void* buf, size_t size);
void close(int handle);

// True once a semihosting call has trapped because nothing intercepted it
// (only possible with semihosting_optional.S linked).
bool host_absent();

}  // namespace semihosting
