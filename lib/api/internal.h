// What the library's own add-ons (the XNNPACK backend's C API) and the host tool's
// diagnostics (bench, plot) may reach below earshot.h. The library owns this
// knowledge: a recognizer handle is the Recognizer at the start of its arena.
// Not installed; not part of the C API.
#pragma once
#include "earshot/earshot.h"
#include "model/recognizer.h"

namespace earshot {

inline Recognizer& recognizer_of(earshot_recognizer* r) { return *reinterpret_cast<Recognizer*>(r); }
inline const Recognizer& recognizer_of(const earshot_recognizer* r) { return *reinterpret_cast<const Recognizer*>(r); }

// Records a failure for earshot_last_error() (printf-style) and returns `status`.
earshot_status record_error(earshot_status status, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

}  // namespace earshot
