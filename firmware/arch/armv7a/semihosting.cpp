#include "arch/armv7a/semihosting.h"

#include <cstdint>

// Set (to a non-zero value) by semihosting_optional.S when a semihosting call
// traps instead of reaching a host. Zero-initialised in .bss.
extern "C" volatile uint32_t armv7a_semihosting_absent;
volatile uint32_t armv7a_semihosting_absent = 0;

namespace semihosting {
namespace {

constexpr uint32_t kSysOpen = 0x01;
constexpr uint32_t kSysClose = 0x02;
constexpr uint32_t kSysRead = 0x06;
constexpr uint32_t kSysFlen = 0x0C;
constexpr uint32_t kSysGetCmdline = 0x15;
constexpr uint32_t kOpenModeRb = 1;  // fopen mode "rb" (modes are indices into a table)
constexpr uint32_t kSysExitExtended = 0x20;
constexpr uint32_t kAdpStoppedApplicationExit = 0x20026;

uint32_t call(uint32_t op, const void* block) {
  register uint32_t r0 asm("r0") = op;
  register const void* r1 asm("r1") = block;
  // lr: if the call becomes a real SVC exception it is taken in SVC mode,
  // which overwrites LR_svc.
#if defined(__ARM_ARCH_PROFILE) && __ARM_ARCH_PROFILE == 'M'
  // M profile (boards mps2-an500, mps3-an547): BKPT 0xAB; without a debugger
  // or QEMU it is a HardFault (DEBUGEVT), which arch/armv7m/fault.cpp reports.
  asm volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
#elif defined(__thumb__)
  asm volatile("svc 0xab" : "+r"(r0) : "r"(r1) : "memory", "lr");
#else
  asm volatile("svc 0x123456" : "+r"(r0) : "r"(r1) : "memory", "lr");
#endif
  return r0;
}

}  // namespace

bool host_absent() { return armv7a_semihosting_absent != 0; }

bool get_cmdline(char* buf, size_t size) {
  // In: buffer and its size; out: the length written (without the NUL).
  uint32_t block[2] = {reinterpret_cast<uintptr_t>(buf), static_cast<uint32_t>(size)};
  return size > 0 && call(kSysGetCmdline, block) == 0;
}

const char* cmdline_args(char* buf, size_t size) {
  if (!get_cmdline(buf, size)) return nullptr;
  const char* p = buf;
  while (*p && *p != ' ') ++p;
  return *p ? p + 1 : p;
}

int open_read(const char* path) {
  size_t len = 0;
  while (path[len]) ++len;
  const uint32_t block[3] = {reinterpret_cast<uintptr_t>(path), kOpenModeRb, static_cast<uint32_t>(len)};
  return static_cast<int>(call(kSysOpen, block));
}

long file_length(int handle) {
  const uint32_t block[1] = {static_cast<uint32_t>(handle)};
  return static_cast<long>(static_cast<int32_t>(call(kSysFlen, block)));
}

long read(int handle, void* buf, size_t size) {
  // Returns the number of bytes *not* read (0: all of them).
  const uint32_t block[3] = {static_cast<uint32_t>(handle), reinterpret_cast<uintptr_t>(buf), static_cast<uint32_t>(size)};
  const uint32_t left = call(kSysRead, block);
  if (left > size) return -1;
  return static_cast<long>(size - left);
}

void close(int handle) {
  const uint32_t block[1] = {static_cast<uint32_t>(handle)};
  call(kSysClose, block);
}

void exit(int status) {
  const uint32_t block[2] = {kAdpStoppedApplicationExit, static_cast<uint32_t>(status)};
  call(kSysExitExtended, block);
  for (;;) asm volatile("wfi");  // only reached if the host ignored the request
}

}  // namespace semihosting
