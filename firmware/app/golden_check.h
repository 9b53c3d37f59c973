// The front-end golden check: the firmware's counterpart of the host's
// tests/unit/test_golden.cpp, on the same committed vectors.
#pragma once

namespace earshot::fw {

// For each embedded golden signal: reset the front-end, run it over the whole
// PCM (frontend_run, as the host test does), compare every int16 feature with
// the .feat file, print one JSON line; then print a summary line.
// `corrupt`: name of a signal whose computed features get one LSB flipped
// before the comparison (proves a mismatch is caught), or nullptr.
// Returns kExitOk if all match, kExitCheckFailed if any differ, kExitError if
// the check could not run.
int run_golden_check(const char* corrupt);

}  // namespace earshot::fw
