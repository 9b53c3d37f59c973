// A fixed-size error message that travels with a status code: no heap, safe on
// the firmware, and specific ("expected 16000 Hz, found 44100 Hz").
#pragma once
#include <cstddef>
#include "earshot/earshot.h"

namespace earshot {

struct Error {
  earshot_status status = EARSHOT_OK;
  char message[192] = {};

  // printf-style; returns the status so call sites can `return err.set(...)`.
  earshot_status set(earshot_status s, const char* fmt, ...) __attribute__((format(printf, 3, 4)));
  void clear() { status = EARSHOT_OK; message[0] = '\0'; }
  bool ok() const { return status == EARSHOT_OK; }
};

}  // namespace earshot
