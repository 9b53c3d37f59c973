#include "earshot/audio_file.h"

#include <sndfile.h>
#include <soxr.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <memory>

namespace earshot {
namespace {

struct SfClose {
  void operator()(SNDFILE* f) const { sf_close(f); }
};

// libsndfile virtual I/O over an in-memory buffer (for stdin, which cannot seek).
struct MemFile {
  std::vector<unsigned char> data;
  sf_count_t pos = 0;
};
sf_count_t vlen(void* u) { return static_cast<sf_count_t>(static_cast<MemFile*>(u)->data.size()); }
sf_count_t vseek(sf_count_t off, int whence, void* u) {
  auto* m = static_cast<MemFile*>(u);
  sf_count_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? m->pos : static_cast<sf_count_t>(m->data.size());
  m->pos = std::max<sf_count_t>(0, std::min<sf_count_t>(base + off, static_cast<sf_count_t>(m->data.size())));
  return m->pos;
}
sf_count_t vread(void* ptr, sf_count_t n, void* u) {
  auto* m = static_cast<MemFile*>(u);
  n = std::min<sf_count_t>(n, static_cast<sf_count_t>(m->data.size()) - m->pos);
  std::memcpy(ptr, m->data.data() + m->pos, static_cast<size_t>(n));
  m->pos += n;
  return n;
}
sf_count_t vwrite(const void*, sf_count_t, void*) { return 0; }
sf_count_t vtell(void* u) { return static_cast<MemFile*>(u)->pos; }

}  // namespace

earshot_status load_audio(const std::string& path, LoadedAudio& out, Error& err) {
  SF_INFO info{};
  std::unique_ptr<SNDFILE, SfClose> f;
  MemFile mem;
  SF_VIRTUAL_IO vio{vlen, vseek, vread, vwrite, vtell};
  if (path == "-") {
    unsigned char buf[65536];
    ssize_t n;
    while ((n = read(0, buf, sizeof buf)) > 0) mem.data.insert(mem.data.end(), buf, buf + n);
    if (mem.data.empty()) return err.set(EARSHOT_ERR_BAD_AUDIO, "-: standard input is empty");
    f.reset(sf_open_virtual(&vio, SFM_READ, &info, &mem));
  } else {
    if (access(path.c_str(), R_OK) != 0)
      return err.set(EARSHOT_ERR_IO, "%s: %s", path.c_str(), std::strerror(errno));
    struct stat st {};
    if (stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
      return err.set(EARSHOT_ERR_IO, "%s: is a directory", path.c_str());
    if (stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0)
      return err.set(EARSHOT_ERR_BAD_AUDIO, "%s: empty file (no audio)", path.c_str());
    f.reset(sf_open(path.c_str(), SFM_READ, &info));
  }
  if (!f) return err.set(EARSHOT_ERR_BAD_AUDIO, "%s: not a readable audio file (%s)", path.c_str(), sf_strerror(nullptr));
  if (info.channels < 1 || info.samplerate < 1000 || info.samplerate > 768000)
    return err.set(EARSHOT_ERR_BAD_AUDIO, "%s: unsupported audio (%d channels, %d Hz)", path.c_str(), info.channels, info.samplerate);
  if (info.frames <= 0) return err.set(EARSHOT_ERR_BAD_AUDIO, "%s: no audio samples", path.c_str());

  // Read as float and down-mix: libsndfile normalizes every format to [-1, 1].
  std::vector<float> inter(static_cast<size_t>(info.frames) * info.channels);
  const sf_count_t got = sf_readf_float(f.get(), inter.data(), info.frames);
  if (got <= 0) return err.set(EARSHOT_ERR_BAD_AUDIO, "%s: could not decode audio", path.c_str());
  std::vector<float> mono(static_cast<size_t>(got));
  for (sf_count_t i = 0; i < got; ++i) {
    float s = 0;
    for (int c = 0; c < info.channels; ++c) s += inter[static_cast<size_t>(i) * info.channels + c];
    mono[static_cast<size_t>(i)] = s / info.channels;
  }
  std::vector<float> res;
  if (info.samplerate == 16000) {
    res = std::move(mono);
  } else {
    const double ratio = 16000.0 / info.samplerate;
    res.resize(static_cast<size_t>(std::ceil(mono.size() * ratio)) + 16);
    size_t done = 0;
    soxr_quality_spec_t q = soxr_quality_spec(SOXR_HQ, 0);
    const soxr_error_t e = soxr_oneshot(info.samplerate, 16000, 1, mono.data(), mono.size(), nullptr,
                                        res.data(), res.size(), &done, nullptr, &q, nullptr);
    if (e) return err.set(EARSHOT_ERR_BAD_AUDIO, "%s: resampling failed (%s)", path.c_str(), e);
    res.resize(done);
  }
  out.samples.resize(res.size());
  for (size_t i = 0; i < res.size(); ++i) {
    const float v = std::nearbyint(res[i] * 32768.0f);
    out.samples[i] = static_cast<int16_t>(v > 32767.f ? 32767.f : v < -32768.f ? -32768.f : v);
  }
  out.source_rate = info.samplerate;
  out.source_channels = info.channels;
  err.clear();
  return EARSHOT_OK;
}

}  // namespace earshot
