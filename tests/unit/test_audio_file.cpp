// Host audio loading: any libsndfile format, down-mixed and resampled to 16 kHz.
#include <sndfile.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "doctest.h"
#include "earshot/audio_file.h"

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
