// A whole file from the semihosting host (QEMU's file system, or a debugger's)
// copied into a caller's static buffer: how the firmware under test gets its
// inputs (WAV files, a phrase list). Test and demo plumbing: a product reads a
// microphone and keeps its phrase list in flash.
#pragma once
#include <cstddef>
#include <cstdint>

#include "common/error.h"

namespace earshot::fw {

// Reads `path` into buf[0, cap) and sets *len. False with err set: it cannot
// be opened (no such file, no semihosting host), it is larger than `cap` (the
// message names `cap_option`, the build option that sizes the buffer), or
// the host read less than it said.
bool read_host_file(const char* path, uint8_t* buf, size_t cap, const char* cap_option, size_t* len, Error& err);

}  // namespace earshot::fw
