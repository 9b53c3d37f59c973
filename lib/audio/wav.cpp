#include "audio/wav.h"

#include <cstring>

namespace earshot {
namespace {

uint16_t le16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
uint32_t le32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}

constexpr uint16_t kFormatPcm = 1, kFormatExtensible = 0xFFFE;

}  // namespace

void WavAudio::copy(size_t first, std::span<int16_t> out) const {
  for (size_t i = 0; i < out.size(); ++i) out[i] = sample(first + i);
}

earshot_status wav_parse(std::span<const uint8_t> b, WavAudio& out, Error& err) {
  out = {};
  if (b.size() < 12) return err.set(EARSHOT_ERR_BAD_AUDIO, "WAV: file is %zu bytes, shorter than a RIFF header (12)", b.size());
  if (std::memcmp(b.data(), "RIFF", 4) != 0 || std::memcmp(b.data() + 8, "WAVE", 4) != 0)
    return err.set(EARSHOT_ERR_BAD_AUDIO, "WAV: not a RIFF/WAVE file (no 'RIFF'...'WAVE' header)");
  size_t pos = 12;
  bool have_fmt = false;
  while (pos + 8 <= b.size()) {
    const uint8_t* h = b.data() + pos;
    const uint32_t size = le32(h + 4);
    const size_t body = pos + 8, avail = b.size() - body;
    if (std::memcmp(h, "fmt ", 4) == 0) {
      if (size < 16 || size > avail)
        return err.set(EARSHOT_ERR_BAD_AUDIO, "WAV: fmt chunk is %u bytes (need >= 16, %zu available)", size, avail);
      const uint8_t* f = b.data() + body;
      uint16_t format = le16(f);
      const uint16_t channels = le16(f + 2), bits = le16(f + 14);
      const uint32_t rate = le32(f + 4);
      if (format == kFormatExtensible) {
        if (size < 40) return err.set(EARSHOT_ERR_BAD_AUDIO, "WAV: extensible fmt chunk is %u bytes (need 40)", size);
        format = le16(f + 24);  // first two bytes of the sub-format GUID
      }
      if (format != kFormatPcm)
        return err.set(EARSHOT_ERR_BAD_AUDIO, "WAV: sample format %u is not integer PCM (1); convert to 16-bit PCM", format);
      if (bits != 16) return err.set(EARSHOT_ERR_BAD_AUDIO, "WAV: %u-bit samples, need 16-bit", bits);
      if (channels != 1) return err.set(EARSHOT_ERR_BAD_AUDIO, "WAV: %u channels, need mono", channels);
      if (rate != 16000) return err.set(EARSHOT_ERR_BAD_AUDIO, "WAV: %u Hz, need 16000 Hz", rate);
      have_fmt = true;
    } else if (std::memcmp(h, "data", 4) == 0) {
      if (!have_fmt) return err.set(EARSHOT_ERR_BAD_AUDIO, "WAV: data chunk before fmt chunk");
      size_t n = size;
      // Streaming writers leave 0 or 0xFFFFFFFF: take what the file holds.
      if (size == 0 || size == 0xFFFFFFFFu) n = avail;
      else if (size > avail)
        return err.set(EARSHOT_ERR_BAD_AUDIO, "WAV: truncated, data chunk says %u bytes but %zu remain", size, avail);
      out.data = b.data() + body;
      out.num_samples = n / 2;
      err.clear();
      return EARSHOT_OK;
    }
    // Chunks are padded to even size; guard against wrap-around.
    const size_t step = 8 + static_cast<size_t>(size) + (size & 1u);
    if (step > b.size() - pos) break;
    pos += step;
  }
  return err.set(EARSHOT_ERR_BAD_AUDIO, have_fmt ? "WAV: no data chunk" : "WAV: no fmt chunk");
}

}  // namespace earshot
