// The fault reports' output (arch/*/fault.cpp): text and "key":"0x…" JSON
// fields straight to the board console, no formatting library (a fault may
// come from anywhere, stdio included).
#pragma once
#include <cstdint>

#include "boards/board.h"

namespace fault_report {

inline void put(const char* s) {
  while (*s) board_putc(*s++);
}

// ,"key":"0x%08x"
inline void put_hex(const char* key, uint32_t v) {
  put(",\"");
  put(key);
  put("\":\"0x");
  for (int shift = 28; shift >= 0; shift -= 4) board_putc("0123456789abcdef"[(v >> shift) & 0xF]);
  board_putc('"');
}

}  // namespace fault_report
