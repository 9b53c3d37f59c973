// libearshot-audio: audio files to the model's PCM in blocks (earshot_audio.h).
// Why blocks: `earshot transcribe` held a whole file as float and int16 (10 minutes
// of audio: 102 MB resident); here memory is a few blocks, whatever the length.
#include "earshot/earshot_audio.h"

#include <sndfile.h>
#include <soxr.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <new>
#include <string>
#include <vector>

namespace {

thread_local char g_error[256];

earshot_status fail(earshot_status s, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
earshot_status fail(earshot_status s, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(g_error, sizeof g_error, fmt, ap);
  va_end(ap);
  return s;
}

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

constexpr sf_count_t kBlockFrames = 8192;  // source frames read at a time

}  // namespace

struct earshot_audio {
  std::string path;
  MemFile mem;
  SNDFILE* sf = nullptr;
  SF_INFO sfi{};
  soxr_t soxr = nullptr;  // null when the file is at the output rate
  // 16-bit PCM, mono, at the output rate: read as int16 straight into the
  // caller's buffer. The float route gives the same samples (libsndfile's float
  // of a 16-bit sample is s / 32768, exact, and back is s * 32768, exact).
  bool direct = false;
  int16_t first[kBlockFrames];  // the block open() reads, delivered first
  size_t first_pos = 0, first_len = 0;
  uint32_t rate = 16000;
  std::vector<float> inter, mono;  // one block as read, and down-mixed
  size_t mono_pos = 0, mono_len = 0;
  std::vector<float> out;  // resampled (or passed through), not yet delivered
  size_t out_pos = 0, out_len = 0;
  bool file_done = false, flushed = false, any_frames = false;

  ~earshot_audio() {
    if (soxr) soxr_delete(soxr);
    if (sf) sf_close(sf);
  }

  // Reads and down-mixes the next block; false at the end of the file.
  bool read_block() {
    const sf_count_t got = sf_readf_float(sf, inter.data(), kBlockFrames);
    if (got <= 0) return false;
    const int ch = sfi.channels;
    for (sf_count_t i = 0; i < got; ++i) {
      float s = 0;
      for (int c = 0; c < ch; ++c) s += inter[static_cast<size_t>(i) * ch + c];
      mono[static_cast<size_t>(i)] = s / ch;
    }
    mono_pos = 0;
    mono_len = static_cast<size_t>(got);
    any_frames = true;
    return true;
  }

  // Refills `out`; false (with g_error set) on a resampler error. out_len 0 at the end.
  earshot_status refill() {
    out_pos = out_len = 0;
    while (out_len == 0 && !flushed) {
      if (mono_pos == mono_len && !file_done && !read_block()) file_done = true;
      if (!soxr) {  // at the output rate: the block is the output
        if (file_done && mono_pos == mono_len) {
          flushed = true;
          break;
        }
        std::copy(mono.begin() + mono_pos, mono.begin() + mono_len, out.begin());
        out_len = mono_len - mono_pos;
        mono_pos = mono_len;
        break;
      }
      size_t idone = 0, odone = 0;
      soxr_error_t e;
      if (mono_pos < mono_len) {
        e = soxr_process(soxr, mono.data() + mono_pos, mono_len - mono_pos, &idone, out.data(), out.size(), &odone);
        mono_pos += idone;
      } else {  // the file has ended: drain the resampler's delay line
        e = soxr_process(soxr, nullptr, 0, nullptr, out.data(), out.size(), &odone);
        if (!e && odone == 0) flushed = true;
      }
      if (e) return fail(EARSHOT_ERR_BAD_AUDIO, "%s: resampling failed (%s)", path.c_str(), e);
      out_len = odone;
    }
    return EARSHOT_OK;
  }
};

extern "C" {

earshot_status earshot_audio_open(const char* path, uint32_t sample_rate_hz, earshot_audio** audio) {
  if (!audio) return fail(EARSHOT_ERR_INVALID_ARGUMENT, "earshot_audio_open: audio is NULL");
  *audio = nullptr;
  if (!path) return fail(EARSHOT_ERR_INVALID_ARGUMENT, "earshot_audio_open: path is NULL");
  if (sample_rate_hz == 0) sample_rate_hz = 16000;
  if (sample_rate_hz < 1000 || sample_rate_hz > 192000)
    return fail(EARSHOT_ERR_INVALID_ARGUMENT, "earshot_audio_open: output rate %u Hz is outside 1000..192000",
                sample_rate_hz);
  auto* a = new (std::nothrow) earshot_audio;
  if (!a) return fail(EARSHOT_ERR_IO, "%s: out of memory", path);
  a->path = path;
  a->rate = sample_rate_hz;
  SF_VIRTUAL_IO vio{vlen, vseek, vread, vwrite, vtell};
  const std::string p = path;
  earshot_status st = EARSHOT_OK;
  if (p == "-") {
    unsigned char buf[65536];
    ssize_t n;
    while ((n = read(0, buf, sizeof buf)) > 0) a->mem.data.insert(a->mem.data.end(), buf, buf + n);
    if (a->mem.data.empty()) st = fail(EARSHOT_ERR_BAD_AUDIO, "-: standard input is empty");
    else a->sf = sf_open_virtual(&vio, SFM_READ, &a->sfi, &a->mem);
  } else {
    struct stat sb {};
    if (access(path, R_OK) != 0) st = fail(EARSHOT_ERR_IO, "%s: %s", path, std::strerror(errno));
    else if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) st = fail(EARSHOT_ERR_IO, "%s: is a directory", path);
    else if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size == 0)
      st = fail(EARSHOT_ERR_BAD_AUDIO, "%s: empty file (no audio)", path);
    else a->sf = sf_open(path, SFM_READ, &a->sfi);
  }
  if (st == EARSHOT_OK && !a->sf)
    st = fail(EARSHOT_ERR_BAD_AUDIO, "%s: not a readable audio file (%s)", path, sf_strerror(nullptr));
  if (st == EARSHOT_OK && (a->sfi.channels < 1 || a->sfi.samplerate < 1000 || a->sfi.samplerate > 768000))
    st = fail(EARSHOT_ERR_BAD_AUDIO, "%s: unsupported audio (%d channels, %d Hz)", path, a->sfi.channels,
              a->sfi.samplerate);
  if (st == EARSHOT_OK && a->sfi.frames <= 0) st = fail(EARSHOT_ERR_BAD_AUDIO, "%s: no audio samples", path);
  if (st == EARSHOT_OK) {
    a->inter.resize(static_cast<size_t>(kBlockFrames) * a->sfi.channels);
    a->mono.resize(static_cast<size_t>(kBlockFrames));
    const double ratio = static_cast<double>(sample_rate_hz) / a->sfi.samplerate;
    a->out.resize(static_cast<size_t>(std::ceil(kBlockFrames * std::max(1.0, ratio))) + 64);
    a->direct = a->sfi.channels == 1 && (a->sfi.format & SF_FORMAT_SUBMASK) == SF_FORMAT_PCM_16 &&
                static_cast<uint32_t>(a->sfi.samplerate) == sample_rate_hz;
    if (static_cast<uint32_t>(a->sfi.samplerate) != sample_rate_hz) {
      soxr_error_t e = nullptr;
      const soxr_quality_spec_t q = soxr_quality_spec(SOXR_HQ, 0);
      a->soxr = soxr_create(a->sfi.samplerate, sample_rate_hz, 1, &e, nullptr, &q, nullptr);
      if (e || !a->soxr) st = fail(EARSHOT_ERR_BAD_AUDIO, "%s: resampler set-up failed (%s)", path, e ? e : "?");
    }
  }
  // The first block now, so that a file whose header promises samples it does not have fails here.
  if (st == EARSHOT_OK && a->direct) {
    const sf_count_t got = sf_readf_short(a->sf, a->first, kBlockFrames);
    a->first_len = got > 0 ? static_cast<size_t>(got) : 0;
    a->any_frames = got > 0;
    if (got <= 0) a->flushed = true;
    if (!a->any_frames) st = fail(EARSHOT_ERR_BAD_AUDIO, "%s: could not decode audio", path);
  } else if (st == EARSHOT_OK && (st = a->refill()) == EARSHOT_OK && !a->any_frames)
    st = fail(EARSHOT_ERR_BAD_AUDIO, "%s: could not decode audio", path);
  if (st != EARSHOT_OK) {
    delete a;
    return st;
  }
  *audio = a;
  return EARSHOT_OK;
}

earshot_status earshot_audio_get_info(const earshot_audio* audio, earshot_audio_info* info) {
  if (!audio || !info) return fail(EARSHOT_ERR_INVALID_ARGUMENT, "earshot_audio_get_info: NULL argument");
  info->source_rate_hz = static_cast<uint32_t>(audio->sfi.samplerate);
  info->source_channels = static_cast<uint32_t>(audio->sfi.channels);
  info->source_frames = audio->sfi.frames > 0 ? static_cast<uint64_t>(audio->sfi.frames) : 0;
  info->sample_rate_hz = audio->rate;
  return EARSHOT_OK;
}

earshot_status earshot_audio_read(earshot_audio* audio, int16_t* pcm, size_t max, size_t* got) {
  if (!audio || !got || (!pcm && max)) return fail(EARSHOT_ERR_INVALID_ARGUMENT, "earshot_audio_read: NULL argument");
  size_t n = 0;
  if (audio->direct) {
    const size_t k = std::min(max, audio->first_len - audio->first_pos);
    std::memcpy(pcm, audio->first + audio->first_pos, k * sizeof(int16_t));
    audio->first_pos += k;
    n = k;
    while (n < max && !audio->flushed) {
      const sf_count_t got = sf_readf_short(audio->sf, pcm + n, static_cast<sf_count_t>(max - n));
      if (got <= 0) audio->flushed = true;
      else n += static_cast<size_t>(got);
    }
    *got = n;
    return EARSHOT_OK;
  }
  while (n < max) {
    if (audio->out_pos == audio->out_len) {
      if (audio->flushed) break;
      const earshot_status st = audio->refill();
      if (st != EARSHOT_OK) {
        *got = n;
        return st;
      }
      continue;
    }
    const size_t k = std::min(max - n, audio->out_len - audio->out_pos);
    const float* src = audio->out.data() + audio->out_pos;
    for (size_t i = 0; i < k; ++i) {
      const float v = std::nearbyint(src[i] * 32768.0f);
      pcm[n + i] = static_cast<int16_t>(v > 32767.f ? 32767.f : v < -32768.f ? -32768.f : v);
    }
    audio->out_pos += k;
    n += k;
  }
  *got = n;
  return EARSHOT_OK;
}

void earshot_audio_close(earshot_audio* audio) { delete audio; }

const char* earshot_audio_last_error(void) { return g_error; }

}  // extern "C"
