#include "app/stack_paint.h"

#include <cstdint>

// link.ld: the lowest address of the main (SVC) stack.
extern "C" uint32_t __stack_bottom[];

namespace earshot::fw {
namespace {

constexpr uint32_t kPaint = 0x5A7AC4EDu;
// Left unpainted below the stack pointer: stack_paint's own frame and the
// calls it makes (none) live above sp anyway; this only keeps clear of them.
constexpr size_t kMargin = 64;

uint32_t* g_top = nullptr;  // first word above the painted range

uintptr_t stack_pointer() {
  uintptr_t sp;
  asm volatile("mov %0, sp" : "=r"(sp));
  return sp;
}

}  // namespace

void stack_paint() {
  const uintptr_t top = (stack_pointer() - kMargin) & ~uintptr_t{7};
  g_top = reinterpret_cast<uint32_t*>(top);
  // volatile: a plain loop could become a memset call, whose frame would lie
  // in the range being painted.
  for (volatile uint32_t* p = __stack_bottom; p < g_top; ++p) *p = kPaint;
}

size_t stack_peak_bytes() {
  if (!g_top) return 0;
  const volatile uint32_t* p = __stack_bottom;
  while (p < g_top && *p == kPaint) ++p;
  return static_cast<size_t>(reinterpret_cast<uintptr_t>(g_top) - reinterpret_cast<uintptr_t>(p)) + kMargin;
}

size_t stack_painted_bytes() {
  return g_top ? static_cast<size_t>(reinterpret_cast<uintptr_t>(g_top) - reinterpret_cast<uintptr_t>(__stack_bottom)) : 0;
}

}  // namespace earshot::fw
