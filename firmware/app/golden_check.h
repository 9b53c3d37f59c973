// The front-end golden check: the firmware's counterpart of the host's
// tests/unit/test_golden.cpp, on the same committed vectors.
#pragma once
#include <cstddef>

namespace earshot::fw {

// For each embedded golden signal: reset the front-end, run it over the whole
// PCM (frontend_run, as the host test does), compare every int16 feature with
// the .feat file, print one JSON line; then print a summary line.
// `corrupt`: name of a signal whose computed features get one LSB flipped
// before the comparison (proves a mismatch is caught), or nullptr.
// `memory`: scratch for the front-end and the computed features (the app's
// arena, idle in this mode), 8-byte aligned.
// Returns kExitOk if all match, kExitCheckFailed if any differ, kExitError if
// the check could not run.
int run_golden_check(const char* corrupt, void* memory, size_t memory_bytes);

}  // namespace earshot::fw
