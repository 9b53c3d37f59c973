// ARM semihosting: requests to the debugger or to QEMU
// (-semihosting-config enable=on,target=native). Without one attached each
// call traps as an SVC and ends in the fault report, so only boards that run
// under QEMU or a debugger use it.
#pragma once
#include <cstddef>

namespace semihosting {

// Copies the command line (program name first) into buf, NUL-terminated.
// False if there is none or it does not fit.
bool get_cmdline(char* buf, size_t size);

// SYS_EXIT_EXTENDED: QEMU exits with `status` (plain SYS_EXIT on AArch32 can
// only say "success" or "failure").
[[noreturn]] void exit(int status);

}  // namespace semihosting
