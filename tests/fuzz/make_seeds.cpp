// Writes the seed corpora under the given folder (tests/fuzz/corpus):
//   earshot-fuzz-seeds tests/fuzz/corpus
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "pack/image_writer.h"
#include "signals.h"

using namespace earshot;

static void write(const std::string& path, const std::vector<uint8_t>& b) {
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(b.data()), static_cast<long>(b.size()));
}

static std::vector<uint8_t> wav(const std::vector<int16_t>& s, uint16_t fmt_tag, bool extensible) {
  std::vector<uint8_t> b;
  auto p16 = [&](uint16_t v) { b.push_back(v & 0xFF); b.push_back(v >> 8); };
  auto p32 = [&](uint32_t v) { p16(v & 0xFFFF); p16(v >> 16); };
  auto tag = [&](const char* t) { b.insert(b.end(), t, t + 4); };
  tag("RIFF"); p32(0); tag("WAVE");
  tag("fmt "); p32(extensible ? 40 : 16); p16(extensible ? 0xFFFE : fmt_tag); p16(1); p32(16000); p32(32000); p16(2); p16(16);
  if (extensible) { p16(22); p16(16); p32(4); p16(fmt_tag); for (int i = 0; i < 14; ++i) b.push_back(0); }
  tag("LIST"); p32(3); b.insert(b.end(), {'x', 'y', 'z', 0});
  tag("data"); p32(static_cast<uint32_t>(s.size() * 2));
  for (auto v : s) p16(static_cast<uint16_t>(v));
  return b;
}

int main(int argc, char** argv) {
  if (argc != 2) { std::fprintf(stderr, "usage: earshot-fuzz-seeds DIR\n"); return 2; }
  const std::string d = argv[1];
  write(d + "/wav/pcm16.wav", wav(testsig::noise(64, 3000, 1), 1, false));
  write(d + "/wav/extensible.wav", wav(testsig::noise(32, 3000, 2), 1, true));
  write(d + "/wav/float.wav", wav(testsig::noise(16, 3000, 3), 3, false));
  ImageWriter w;
  w.meta_u32("encoder.layers", 3);
  w.meta_string("vocab", "_ 'abc");
  w.meta_i16_array("input.mean", {1, 2, 3});
  const uint32_t q = w.add_tensor({"w.requant", DType::kInt32, {4, 2}, 0, to_bytes(std::vector<int32_t>(8, 5))});
  w.add_tensor({"w", DType::kInt8, {4, 3}, 0, to_bytes(std::vector<int8_t>(12, -7)), 0.02f, 0, q});
  write(d + "/image/small.esm", w.finish());
  std::vector<uint8_t> s(8 + 2 * 1200);
  for (size_t i = 0; i < s.size(); ++i) s[i] = static_cast<uint8_t>(i * 37 + (i >> 3));
  write(d + "/stream/chirpish.bin", s);
  return 0;
}
