#include "common/error.h"

#include <cstdarg>
#include <cstdio>

namespace earshot {

earshot_status Error::set(earshot_status s, const char* fmt, ...) {
  status = s;
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(message, sizeof message, fmt, ap);
  va_end(ap);
  return s;
}

}  // namespace earshot

extern "C" const char* earshot_status_string(earshot_status status) {
  switch (status) {
    case EARSHOT_OK: return "ok";
    case EARSHOT_ERR_INVALID_ARGUMENT: return "invalid argument";
    case EARSHOT_ERR_BAD_AUDIO: return "bad audio";
    case EARSHOT_ERR_BAD_MODEL: return "bad model image";
    case EARSHOT_ERR_MEMORY_TOO_SMALL: return "memory too small";
    case EARSHOT_ERR_BAD_GRAMMAR: return "bad grammar";
    case EARSHOT_ERR_IO: return "I/O error";
  }
  return "unknown status";
}
