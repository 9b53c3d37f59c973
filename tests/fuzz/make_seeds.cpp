// Writes the seed corpora under the given folder (tests/fuzz/corpus):
//   earshot-fuzz-seeds tests/fuzz/corpus
#include <cstdio>
#include <cstring>
#include <filesystem>
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

// safetensors: u64 LE header length, the JSON header, then the data section.
static std::vector<uint8_t> safetensors(const std::string& header, const std::vector<uint8_t>& data) {
  std::vector<uint8_t> b;
  for (int i = 0; i < 8; ++i) b.push_back(static_cast<uint8_t>(static_cast<uint64_t>(header.size()) >> (8 * i)));
  b.insert(b.end(), header.begin(), header.end());
  b.insert(b.end(), data.begin(), data.end());
  return b;
}

// A valid file with every float dtype the converter reads (F32 [2, 3], F16,
// BF16, F64), an integer tensor it refuses to convert, an empty tensor and
// metadata; then one defect per file, so the fuzzer starts next to each check.
static void safetensors_seeds(const std::string& dir) {
  std::filesystem::create_directories(dir);
  std::vector<uint8_t> d;
  auto f32 = [&](float f) { uint8_t b[4]; std::memcpy(b, &f, 4); d.insert(d.end(), b, b + 4); };
  for (int i = 0; i < 6; ++i) f32(0.25f * static_cast<float>(i - 3));  // "w" [0, 24)
  d.insert(d.end(), {0x00, 0x3C, 0x00, 0xC0});                        // "h" F16 1, -2 [24, 28)
  d.insert(d.end(), {0x80, 0x3F, 0x40, 0x40});                        // "b" BF16 1, 3 [28, 32)
  const double one = 1.0;
  uint8_t b8[8];
  std::memcpy(b8, &one, 8);
  d.insert(d.end(), b8, b8 + 8);                                       // "x" F64 [32, 40)
  d.insert(d.end(), {1, 2, 3, 4});                                     // "i" I8 [40, 44)
  const std::string tensors =
      R"("w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},)"
      R"("h":{"dtype":"F16","shape":[2],"data_offsets":[24,28]},)"
      R"("b":{"dtype":"BF16","shape":[2],"data_offsets":[28,32]},)"
      R"("x":{"dtype":"F64","shape":[1],"data_offsets":[32,40]},)"
      R"("i":{"dtype":"I8","shape":[4],"data_offsets":[40,44]},)"
      R"("e":{"dtype":"F32","shape":[0,5],"data_offsets":[44,44]})";
  write(dir + "/valid.safetensors", safetensors("{" + tensors + R"(,"__metadata__":{"format":"pt"}})", d));
  std::vector<uint8_t> nan = d;
  nan[4 * 4 + 2] = 0xC0;  // w[1][1] = 0x7FC0xxxx: NaN
  nan[4 * 4 + 3] = 0x7F;
  write(dir + "/nan.safetensors", safetensors("{" + tensors + "}", nan));
  const std::vector<std::pair<const char*, std::string>> bad = {
      {"overlap", R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})"},
      {"past-end", R"({"a":{"dtype":"F32","shape":[16],"data_offsets":[0,64]}})"},
      {"size-mismatch", R"({"a":{"dtype":"F16","shape":[3,2],"data_offsets":[0,8]}})"},
      {"huge-shape", R"({"a":{"dtype":"F64","shape":[4294967296,4294967296,16],"data_offsets":[0,8]}})"},
      {"types", R"({"a":{"dtype":7,"shape":"[2]","data_offsets":[-1,1.5]},"__metadata__":{"k":1}})"},
      {"not-object", R"([{"dtype":"F32"}])"},
      {"deep", std::string(200, '[') + std::string(200, ']')},
  };
  for (const auto& [name, header] : bad) write(dir + "/" + name + ".safetensors", safetensors(header, d));
  std::vector<uint8_t> len = safetensors("{}", {});
  len[5] = 0x7F;  // header length far past the file
  write(dir + "/bad-length.safetensors", len);
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
  safetensors_seeds(d + "/safetensors");
  return 0;
}
