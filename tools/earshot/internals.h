// What bench and plot reach below the C API: the host tool may use the
// library's C++ internals for diagnostics (kernel shapes, decoder steps),
// through the library's own internal header.
#pragma once
#include "api/internal.h"

namespace earshot::cli {

inline Recognizer& internal_recognizer(earshot_recognizer* r) { return recognizer_of(r); }

}  // namespace earshot::cli
