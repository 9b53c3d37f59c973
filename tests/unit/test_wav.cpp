#include <cstring>
#include <string>
#include <vector>

#include "audio/wav.h"
#include "doctest.h"
#include "signals.h"

using namespace earshot;

namespace {

void put16(std::vector<uint8_t>& b, uint16_t v) { b.push_back(v & 0xFF); b.push_back(v >> 8); }
void put32(std::vector<uint8_t>& b, uint32_t v) { put16(b, v & 0xFFFF); put16(b, v >> 16); }
void tag(std::vector<uint8_t>& b, const char* t) { b.insert(b.end(), t, t + 4); }

std::vector<uint8_t> make_wav(const std::vector<int16_t>& s, uint32_t rate = 16000, uint16_t ch = 1,
                              uint16_t bits = 16, uint16_t fmt = 1, bool extra_chunk = false) {
  std::vector<uint8_t> b;
  tag(b, "RIFF");
  put32(b, 0);
  tag(b, "WAVE");
  if (extra_chunk) {  // odd-sized chunk: tests the pad byte
    tag(b, "LIST");
    put32(b, 3);
    b.insert(b.end(), {'a', 'b', 'c', 0});
  }
  tag(b, "fmt ");
  put32(b, 16);
  put16(b, fmt);
  put16(b, ch);
  put32(b, rate);
  put32(b, rate * ch * bits / 8);
  put16(b, ch * bits / 8);
  put16(b, bits);
  tag(b, "data");
  put32(b, static_cast<uint32_t>(s.size() * 2));
  for (auto v : s) put16(b, static_cast<uint16_t>(v));
  const uint32_t riff = static_cast<uint32_t>(b.size() - 8);
  std::memcpy(b.data() + 4, &riff, 4);
  return b;
}

bool mentions(const Error& e, const char* s) { return std::string(e.message).find(s) != std::string::npos; }

}  // namespace

TEST_CASE("reads 16 kHz mono PCM, with and without extra chunks") {
  const auto s = testsig::noise(1001, 32767, 1);
  for (bool extra : {false, true}) {
    auto b = make_wav(s, 16000, 1, 16, 1, extra);
    WavAudio a;
    Error err;
    REQUIRE(wav_parse(b, a, err) == EARSHOT_OK);
    REQUIRE(a.num_samples == s.size());
    std::vector<int16_t> got(s.size());
    a.copy(0, got);
    CHECK(got == s);
  }
}

TEST_CASE("rejects other formats and says what it found") {
  const std::vector<int16_t> s(100, 1);
  WavAudio a;
  Error err;
  auto b = make_wav(s, 44100);
  CHECK(wav_parse(b, a, err) == EARSHOT_ERR_BAD_AUDIO);
  CHECK(mentions(err, "44100 Hz, need 16000"));
  b = make_wav(s, 16000, 2);
  CHECK(wav_parse(b, a, err) == EARSHOT_ERR_BAD_AUDIO);
  CHECK(mentions(err, "2 channels"));
  b = make_wav(s, 16000, 1, 8);
  CHECK(wav_parse(b, a, err) == EARSHOT_ERR_BAD_AUDIO);
  CHECK(mentions(err, "8-bit"));
  b = make_wav(s, 16000, 1, 16, 3);
  CHECK(wav_parse(b, a, err) == EARSHOT_ERR_BAD_AUDIO);
  CHECK(mentions(err, "format 3"));
  const uint8_t junk[] = "RIFX....WAVEfmt ";
  CHECK(wav_parse(std::span<const uint8_t>(junk, 16), a, err) == EARSHOT_ERR_BAD_AUDIO);
  CHECK(mentions(err, "not a RIFF/WAVE"));
}

TEST_CASE("truncation at every offset is rejected or bounded, never read past the end") {
  const auto full = make_wav(testsig::noise(300, 1000, 2), 16000, 1, 16, 1, true);
  for (size_t len = 0; len < full.size(); ++len) {
    // A fresh heap block of exactly `len` bytes lets ASan catch any overread.
    std::vector<uint8_t> cut(full.begin(), full.begin() + static_cast<long>(len));
    cut.shrink_to_fit();
    WavAudio a;
    Error err;
    const auto st = wav_parse(cut, a, err);
    if (st == EARSHOT_OK) {
      CHECK(a.data + a.num_samples * 2 <= cut.data() + cut.size());
    } else {
      CHECK(st == EARSHOT_ERR_BAD_AUDIO);
      CHECK(err.message[0] != '\0');
    }
  }
  std::vector<uint8_t> cut(full.begin(), full.end() - 10);
  WavAudio a;
  Error err;
  CHECK(wav_parse(cut, a, err) == EARSHOT_ERR_BAD_AUDIO);
  CHECK(mentions(err, "truncated"));
}

TEST_CASE("garbled headers never crash") {
  const auto full = make_wav(testsig::noise(64, 1000, 3), 16000, 1, 16, 1, true);
  testsig::Lcg g{5};
  for (int i = 0; i < 20000; ++i) {
    auto b = full;
    const int flips = 1 + g.next() % 4;
    for (int f = 0; f < flips; ++f) b[g.next() % 64] = static_cast<uint8_t>(g.next());
    WavAudio a;
    Error err;
    if (wav_parse(b, a, err) == EARSHOT_OK) CHECK(a.data + a.num_samples * 2 <= b.data() + b.size());
  }
}
