#include "app/console.h"

#include "boards/board.h"

namespace earshot::fw {
namespace {

void put_quoted(const char* s) {
  board_putc('"');
  for (; *s; ++s) {
    const auto c = static_cast<unsigned char>(*s);
    if (c == '"' || c == '\\') {
      board_putc('\\');
      board_putc(static_cast<char>(c));
    } else if (c < 0x20) {
      put("\\u00");
      board_putc("0123456789abcdef"[c >> 4]);
      board_putc("0123456789abcdef"[c & 0xF]);
    } else {
      board_putc(static_cast<char>(c));
    }
  }
  board_putc('"');
}

}  // namespace

void put(const char* s) {
  while (*s) board_putc(*s++);
}

void put(int64_t v) {
  // Magnitude as unsigned so INT64_MIN works too.
  uint64_t u = v < 0 ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
  char digits[20];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + u % 10);
    u /= 10;
  } while (u);
  if (v < 0) board_putc('-');
  while (n) board_putc(digits[--n]);
}

void put_decimal(uint64_t num, uint64_t den, bool real) {
  if (den == 0) den = 1;
  put(static_cast<int64_t>(num / den));
  uint64_t rem = num % den;
  if (rem == 0) {
    if (real) put(".0");
    return;
  }
  board_putc('.');
  for (int digits = 0; rem && digits < 9; ++digits) {
    rem *= 10;
    board_putc(static_cast<char>('0' + rem / den));
    rem %= den;
  }
}

void JsonLine::key(const char* k) {
  if (!first_) board_putc(',');
  first_ = false;
  put_quoted(k);
  board_putc(':');
}

JsonLine& JsonLine::str(const char* k, const char* value) {
  key(k);
  put_quoted(value);
  return *this;
}

JsonLine& JsonLine::num(const char* k, int64_t value) {
  key(k);
  put(value);
  return *this;
}

JsonLine& JsonLine::flag(const char* k, bool value) {
  key(k);
  put(value ? "true" : "false");
  return *this;
}

JsonLine& JsonLine::real(const char* k, uint64_t num, uint64_t den) {
  key(k);
  put_decimal(num, den, true);
  return *this;
}

JsonLine& JsonLine::begin_array(const char* k) {
  key(k);
  board_putc('[');
  first_ = true;
  return *this;
}

JsonLine& JsonLine::end_array() {
  board_putc(']');
  first_ = false;
  return *this;
}

JsonLine& JsonLine::begin_object() {
  if (!first_) board_putc(',');
  board_putc('{');
  first_ = true;
  return *this;
}

JsonLine& JsonLine::end_object() {
  board_putc('}');
  first_ = false;
  return *this;
}

JsonLine& JsonLine::nums(const char* k, const uint32_t* values, size_t n, uint64_t mul, uint64_t div) {
  key(k);
  board_putc('[');
  for (size_t i = 0; i < n; ++i) {
    if (i) board_putc(',');
    put_decimal(uint64_t{values[i]} * mul, div, div != 1);
  }
  board_putc(']');
  return *this;
}

}  // namespace earshot::fw
