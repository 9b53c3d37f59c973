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

// SYS_EXIT_EXTENDED: QEMU exits with `status` (plain SYS_EXIT on AArch32 can
// only say "success" or "failure"). With no host it waits forever (wfi).
[[noreturn]] void exit(int status);

// True once a semihosting call has trapped because nothing intercepted it
// (only possible with semihosting_optional.S linked).
bool host_absent();

}  // namespace semihosting
