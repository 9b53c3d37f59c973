// Stack high-water mark by painting: fill the unused stack with a pattern,
// run, then find the lowest word that no longer holds it.
#pragma once
#include <cstddef>

namespace earshot::fw {

// Paints from the bottom of the stack (link.ld's __stack_bottom) up to a
// little below the caller's stack pointer. Call once, early in main.
void stack_paint();

// Bytes of stack used below the point stack_paint() started from, at the
// deepest so far. Approximate by at most a word; the mode stacks of crt0 and
// the fault stack are not included (nothing runs on them unless it faults).
size_t stack_peak_bytes();

// Bytes that were painted (the stack available below main).
size_t stack_painted_bytes();

}  // namespace earshot::fw
