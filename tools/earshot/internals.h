// What bench and plot reach below the C API: the host tool may use the
// library's C++ internals for diagnostics (kernel shapes, decoder steps).
#pragma once
#include "earshot/earshot.h"
#include "model/recognizer.h"

namespace earshot::cli {

// A C API recognizer handle is the Recognizer at the start of its arena
// (lib/api/earshot.cpp, rec_of), so the handle of a Session is one.
inline Recognizer& internal_recognizer(earshot_recognizer* r) { return *reinterpret_cast<Recognizer*>(r); }

}  // namespace earshot::cli
