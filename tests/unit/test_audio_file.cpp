// Host audio loading: any libsndfile format, down-mixed and resampled to 16 kHz.
#include <sndfile.h>
#include <soxr.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "doctest.h"
#include "earshot/audio_file.h"
#include "earshot/earshot_audio.h"

using namespace earshot;

namespace {

std::string write_tone(const char* name, int format, int rate, int channels, double hz, double seconds) {
  const std::string path = std::string("/tmp/earshot-test-") + name;
  SF_INFO info{};
  info.samplerate = rate;
  info.channels = channels;
  info.format = format;
  SNDFILE* f = sf_open(path.c_str(), SFM_WRITE, &info);
  REQUIRE(f);
  const size_t n = static_cast<size_t>(rate * seconds);
  std::vector<float> buf(n * channels);
  for (size_t i = 0; i < n; ++i)
    for (int c = 0; c < channels; ++c)  // channel 1 is inverted: a naive "take channel 0" would pass, a sum cancels
      buf[i * channels + c] = static_cast<float>((c == 0 ? 0.5 : 0.25) * std::sin(2 * M_PI * hz * i / rate));
  sf_writef_float(f, buf.data(), static_cast<sf_count_t>(n));
  sf_close(f);
  return path;
}

// Frequency estimate from zero crossings.
double zero_cross_hz(const std::vector<int16_t>& x) {
  size_t z = 0;
  for (size_t i = 1; i < x.size(); ++i) z += (x[i - 1] < 0) != (x[i] < 0);
  return z / 2.0 / (x.size() / 16000.0);
}

}  // namespace

TEST_CASE("44.1 kHz stereo FLAC becomes 16 kHz mono with pitch and level kept") {
  const auto path = write_tone("a.flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_16, 44100, 2, 440, 1.0);
  LoadedAudio a;
  Error err;
  REQUIRE(load_audio(path, a, err) == EARSHOT_OK);
  CHECK(a.source_rate == 44100);
  CHECK(a.source_channels == 2);
  CHECK(std::abs(static_cast<long>(a.samples.size()) - 16000) <= 2);
  CHECK(zero_cross_hz(a.samples) == doctest::Approx(440).epsilon(0.01));
  int peak = 0;
  for (auto s : a.samples) peak = std::max(peak, std::abs(static_cast<int>(s)));
  CHECK(peak == doctest::Approx(0.375 * 32768).epsilon(0.02));  // mean of 0.5 and 0.25
  std::remove(path.c_str());
}

TEST_CASE("8 kHz 24-bit WAV and 16 kHz float WAV") {
  LoadedAudio a;
  Error err;
  auto p = write_tone("b.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_24, 8000, 1, 300, 0.5);
  REQUIRE(load_audio(p, a, err) == EARSHOT_OK);
  CHECK(std::abs(static_cast<long>(a.samples.size()) - 8000) <= 2);
  CHECK(zero_cross_hz(a.samples) == doctest::Approx(300).epsilon(0.02));
  std::remove(p.c_str());
  p = write_tone("c.wav", SF_FORMAT_WAV | SF_FORMAT_FLOAT, 16000, 1, 1000, 0.25);
  REQUIRE(load_audio(p, a, err) == EARSHOT_OK);
  CHECK(a.samples.size() == 4000);
  std::remove(p.c_str());
}

TEST_CASE("missing, empty and non-audio files give errors naming the file") {
  LoadedAudio a;
  Error err;
  CHECK(load_audio("/nonexistent/x.wav", a, err) == EARSHOT_ERR_IO);
  CHECK(std::string(err.message).find("/nonexistent/x.wav") != std::string::npos);
  const std::string junk = "/tmp/earshot-test-junk.wav";
  FILE* f = std::fopen(junk.c_str(), "wb");
  std::fputs("this is not audio", f);
  std::fclose(f);
  CHECK(load_audio(junk, a, err) == EARSHOT_ERR_BAD_AUDIO);
  CHECK(std::string(err.message).find("not a readable audio file") != std::string::npos);
  f = std::fopen(junk.c_str(), "wb");
  std::fclose(f);
  CHECK(load_audio(junk, a, err) == EARSHOT_ERR_BAD_AUDIO);
  std::remove(junk.c_str());
}

namespace {

// The whole file at once through libsoxr's one-shot call: how `earshot transcribe`
// read files before the block reader, kept here as the reference it must equal.
std::vector<int16_t> oneshot_reference(const std::string& path) {
  SF_INFO info{};
  SNDFILE* f = sf_open(path.c_str(), SFM_READ, &info);
  REQUIRE(f);
  std::vector<float> inter(static_cast<size_t>(info.frames) * info.channels);
  const sf_count_t got = sf_readf_float(f, inter.data(), info.frames);
  sf_close(f);
  std::vector<float> mono(static_cast<size_t>(got));
  for (sf_count_t i = 0; i < got; ++i) {
    float s = 0;
    for (int c = 0; c < info.channels; ++c) s += inter[static_cast<size_t>(i) * info.channels + c];
    mono[static_cast<size_t>(i)] = s / info.channels;
  }
  std::vector<float> res(static_cast<size_t>(std::ceil(mono.size() * 16000.0 / info.samplerate)) + 16);
  size_t done = 0;
  soxr_quality_spec_t q = soxr_quality_spec(SOXR_HQ, 0);
  REQUIRE(!soxr_oneshot(info.samplerate, 16000, 1, mono.data(), mono.size(), nullptr, res.data(), res.size(), &done,
                        nullptr, &q, nullptr));
  std::vector<int16_t> out(done);
  for (size_t i = 0; i < done; ++i) {
    const float v = std::nearbyint(res[i] * 32768.0f);
    out[i] = static_cast<int16_t>(v > 32767.f ? 32767.f : v < -32768.f ? -32768.f : v);
  }
  return out;
}

std::vector<int16_t> read_in_blocks(const std::string& path, size_t block) {
  earshot_audio* a = nullptr;
  REQUIRE(earshot_audio_open(path.c_str(), 16000, &a) == EARSHOT_OK);
  std::vector<int16_t> out, buf(block);
  size_t got = 0;
  do {
    REQUIRE(earshot_audio_read(a, buf.data(), block, &got) == EARSHOT_OK);
    out.insert(out.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(got));
  } while (got);
  earshot_audio_close(a);
  return out;
}

}  // namespace

TEST_CASE("the block reader equals the one-shot resampler for any block size") {
  // 20 s at 44.1 kHz stereo: many of the reader's 8192-frame blocks, and a rate soxr
  // resamples with a long filter (its delay line crosses block boundaries).
  const auto p44 = write_tone("d.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 44100, 2, 523.25, 20.0);
  const auto p8 = write_tone("e.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 8000, 1, 350, 7.3);
  const auto p16 = write_tone("f.flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_24, 16000, 2, 700, 3.1);
  for (const auto& p : {p44, p8, p16}) {
    CAPTURE(p);
    const auto ref = oneshot_reference(p);
    for (size_t block : {size_t{1}, size_t{7}, size_t{4096}, size_t{65536}, size_t{1} << 22}) {
      CAPTURE(block);
      if (block == 1 && ref.size() > 200000) continue;  // one sample a call: the short files show it
      CHECK(read_in_blocks(p, block) == ref);
    }
    std::remove(p.c_str());
  }
}

TEST_CASE("the block reader reports its source and refuses bad arguments") {
  const auto p = write_tone("g.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 22050, 2, 440, 0.5);
  earshot_audio* a = nullptr;
  REQUIRE(earshot_audio_open(p.c_str(), 0, &a) == EARSHOT_OK);
  earshot_audio_info info{};
  REQUIRE(earshot_audio_get_info(a, &info) == EARSHOT_OK);
  CHECK(info.source_rate_hz == 22050);
  CHECK(info.source_channels == 2);
  CHECK(info.source_frames == 11025);
  CHECK(info.sample_rate_hz == 16000);
  size_t got = 1;
  CHECK(earshot_audio_read(a, nullptr, 0, &got) == EARSHOT_OK);
  CHECK(got == 0);
  CHECK(earshot_audio_read(a, nullptr, 5, &got) == EARSHOT_ERR_INVALID_ARGUMENT);
  earshot_audio_close(a);
  a = reinterpret_cast<earshot_audio*>(1);
  CHECK(earshot_audio_open("/nonexistent/y.wav", 16000, &a) == EARSHOT_ERR_IO);
  CHECK(a == nullptr);
  CHECK(std::string(earshot_audio_last_error()).find("/nonexistent/y.wav") != std::string::npos);
  CHECK(earshot_audio_open(p.c_str(), 500, &a) == EARSHOT_ERR_INVALID_ARGUMENT);
  // A WAV header that promises more samples than the file holds: what is there, then the end.
  std::FILE* f = std::fopen(p.c_str(), "r+b");
  REQUIRE(f);
  std::fseek(f, 0, SEEK_END);
  const long size = std::ftell(f);
  std::fclose(f);
  REQUIRE(truncate(p.c_str(), size / 2) == 0);
  REQUIRE(earshot_audio_open(p.c_str(), 16000, &a) == EARSHOT_OK);
  std::vector<int16_t> buf(100000);
  REQUIRE(earshot_audio_read(a, buf.data(), buf.size(), &got) == EARSHOT_OK);
  CHECK(got > 3000);
  CHECK(got < 6000);
  earshot_audio_close(a);
  std::remove(p.c_str());
}
