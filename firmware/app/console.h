// Text output for the app over board_putc: JSON lines and decimal numbers.
// Not printf: newlib-nano's stdio allocates stdout's buffer from the heap on
// first use, and the firmware has none.
#pragma once
#include <cstddef>
#include <cstdint>

namespace earshot::fw {

void put(const char* s);
void put(int64_t v);
// num / den as a decimal: the exact value when it has at most 9 fraction
// digits (no trailing zeros: 0.03, 1.5, 2), else rounded down to 9. Prints
// what a shortest-round-trip double printer prints for such values, e.g. the
// host tool's token times (frame * 480 / 16000 seconds); `real` adds ".0" to
// whole numbers as such printers do (3.0).
void put_decimal(uint64_t num, uint64_t den, bool real = false);

// One JSON object on one line, keys in call order:
//   JsonLine().str("golden", "speech").num("frames", 208).end();
// Strings are escaped for quotes, backslashes and control characters.
class JsonLine {
 public:
  JsonLine() { put("{"); }
  JsonLine& str(const char* key, const char* value);
  JsonLine& num(const char* key, int64_t value);
  JsonLine& flag(const char* key, bool value);  // true / false
  // [v0 * mul / div, ...] with put_decimal (div = 1: integers, else reals).
  JsonLine& nums(const char* key, const uint32_t* values, size_t n, uint64_t mul = 1, uint64_t div = 1);
  // num / den as a JSON real (put_decimal), e.g. real("start", 960, 1000) -> 0.96
  JsonLine& real(const char* key, uint64_t num, uint64_t den);
  // Arrays of objects: begin_array("words").begin_object().str(...).end_object()...end_array()
  JsonLine& begin_array(const char* key);
  JsonLine& end_array();
  JsonLine& begin_object();
  JsonLine& end_object();
  void end() { put("}\n"); }

 private:
  void key(const char* k);
  bool first_ = true;
};

}  // namespace earshot::fw
