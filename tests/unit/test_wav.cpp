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
void tag(std::vector<uint8_t>& b, const char* t) {
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<uint8_t>(t[i]));  // not insert(): GCC 12 -Wstringop-overflow false alarm
}

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

// Every byte of a plain and of an extensible WAV (with an odd-sized chunk
// before fmt), flipped one bit, all bits, or set to 0xFF: each variant is
// rejected with EARSHOT_ERR_BAD_AUDIO and a message, or parses to samples that
// lie inside the buffer and are read back in full (an exact-size heap block,
// so ASan in host-debug sees any overread). "garbled headers" above samples
// random multi-byte damage; this is the exhaustive single-byte sweep.
TEST_CASE("every single-byte change of a WAV is rejected with a message or reads in bounds") {
  std::vector<uint8_t> ext = make_wav(testsig::noise(40, 1000, 4), 16000, 1, 16, 1, true);
  {  // the same file with a WAVE_FORMAT_EXTENSIBLE fmt chunk (40 bytes, sub-format PCM)
    std::vector<uint8_t> e(ext.begin(), ext.begin() + 24);  // RIFF, WAVE, LIST chunk
    tag(e, "fmt ");
    put32(e, 40);
    put16(e, 0xFFFE);
    put16(e, 1);
    put32(e, 16000);
    put32(e, 32000);
    put16(e, 2);
    put16(e, 16);
    put16(e, 22);
    put16(e, 16);
    put32(e, 4);
    put16(e, 1);
    for (int i = 0; i < 14; ++i) e.push_back(0);
    e.insert(e.end(), ext.begin() + 48, ext.end());  // the data chunk
    const uint32_t riff = static_cast<uint32_t>(e.size() - 8);
    std::memcpy(e.data() + 4, &riff, 4);
    ext = e;
  }
  const std::vector<std::vector<uint8_t>> files = {make_wav(testsig::noise(40, 1000, 3)), ext};
  size_t variants = 0, parsed = 0;
  for (const auto& good : files) {
    WavAudio a;
    Error err;
    REQUIRE(wav_parse(good, a, err) == EARSHOT_OK);
    REQUIRE(a.num_samples == 40);
    for (size_t k = 0; k < good.size(); ++k) {
      for (int how = 0; how < 3; ++how) {
        std::vector<uint8_t> b = good;
        b[k] = how == 0 ? b[k] ^ static_cast<uint8_t>(1u << (k % 8)) : how == 1 ? b[k] ^ 0xFF : 0xFF;
        if (b == good) continue;
        b.shrink_to_fit();
        ++variants;
        WavAudio w;
        Error e;
        const auto st = wav_parse(b, w, e);
        if (st != EARSHOT_OK) {
          CHECK(st == EARSHOT_ERR_BAD_AUDIO);
          CHECK(e.message[0] != '\0');
          continue;
        }
        ++parsed;
        REQUIRE(w.data >= b.data());
        REQUIRE(w.data + w.num_samples * 2 <= b.data() + b.size());
        std::vector<int16_t> s(w.num_samples);
        w.copy(0, s);
        for (size_t i = 0; i < w.num_samples; ++i) CHECK(s[i] == w.sample(i));
      }
    }
  }
  MESSAGE(variants << " single-byte variants: " << parsed << " parsed in bounds, the rest rejected with a message");
  CHECK(parsed > 0);  // sample bytes and the RIFF size (not relied on) are free to change
}
