// Text output for the app over board_putc: JSON lines and decimal numbers.
// Not printf: newlib-nano's stdio allocates stdout's buffer from the heap on
// first use, and the firmware has none.
#pragma once
#include <cstdint>

namespace earshot::fw {

void put(const char* s);
void put(int64_t v);

// One JSON object on one line, keys in call order:
//   JsonLine().str("golden", "speech").num("frames", 208).end();
// Strings are escaped for quotes, backslashes and control characters.
class JsonLine {
 public:
  JsonLine() { put("{"); }
  JsonLine& str(const char* key, const char* value);
  JsonLine& num(const char* key, int64_t value);
  void end() { put("}\n"); }

 private:
  void key(const char* k);
  bool first_ = true;
};

}  // namespace earshot::fw
