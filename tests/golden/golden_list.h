// The golden signals (tests/golden/<name>.pcm, s16le 16 kHz mono) and their
// expected features (<name>.feat, s16le, frames x 40, Q8 dB).
#pragma once
namespace earshot::golden {
inline constexpr const char* kNames[] = {"speech", "chirp", "square", "noise", "quiet"};
}
