#include <cstring>
#include <string>
#include <vector>

#include "doctest.h"
#include "image/crc32.h"
#include "image/image.h"
#include "pack/image_writer.h"

using namespace earshot;

namespace {

using Buf = AlignedBytes;  // the reader requires 16-byte alignment, as flash and host loaders give

std::vector<uint8_t> sample_image() {
  ImageWriter w;
  w.meta_u32("encoder.layers", 3);
  w.meta_i32("frontend.floor_db_q8", -10240);
  w.meta_string("vocab", "_ 'abcdefghijklmnopqrstuvwxyz");
  w.meta_i16_array("input.mean", {1, -2, 3});
  ImageWriter::Tensor q{"enc.0.w.requant", DType::kInt32, {8, 2}, 0, to_bytes(std::vector<int32_t>(16, 7))};
  const uint32_t qi = w.add_tensor(q);
  std::vector<int8_t> wt(8 * 5);
  for (size_t i = 0; i < wt.size(); ++i) wt[i] = static_cast<int8_t>(i * 7 - 100);
  ImageWriter::Tensor t{"enc.0.w", DType::kInt8, {8, 5}, 0, to_bytes(wt), 0.01f, 0, qi};
  w.add_tensor(t);
  w.add_tensor({"bias", DType::kInt32, {3}, 0, to_bytes(std::vector<int32_t>{1, 2, 3})});
  return w.finish();
}

void fix_crc(std::vector<uint8_t>& b) {
  const uint32_t c = crc32(b.data(), b.size() - 4);
  std::memcpy(b.data() + b.size() - 4, &c, 4);
}

// CRC-32 one bit at a time, straight from the polynomial: the check for the
// table loop and the host's carry-less multiply path alike.
uint32_t crc32_bitwise(const uint8_t* p, size_t n, uint32_t crc = 0) {
  crc = ~crc;
  for (size_t i = 0; i < n; ++i) {
    crc ^= p[i];
    for (int k = 0; k < 8; ++k) crc = (crc & 1) ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
  }
  return ~crc;
}

std::string open_error(const std::vector<uint8_t>& b) {
  Buf buf(b);
  ModelImage img;
  Error err;
  if (img.open(buf.span(), err) == EARSHOT_OK) return "";
  CHECK(err.status == EARSHOT_ERR_BAD_MODEL);
  return err.message;
}

bool has(const std::string& s, const char* what) { return s.find(what) != std::string::npos; }

}  // namespace

TEST_CASE("a valid image opens and reads back in place") {
  const auto b = sample_image();
  Buf buf(b);
  ModelImage img;
  Error err;
  REQUIRE(img.open(buf.span(), err) == EARSHOT_OK);
  CHECK(img.tensor_count() == 3);
  CHECK(img.meta_count() == 4);
  uint32_t layers = 0;
  CHECK(img.get_u32("encoder.layers", layers, err));
  CHECK(layers == 3);
  int32_t floor = 0;
  CHECK(img.get_i32("frontend.floor_db_q8", floor, err));
  CHECK(floor == -10240);
  std::string_view vocab;
  CHECK(img.get_string("vocab", vocab, err));
  CHECK(vocab == "_ 'abcdefghijklmnopqrstuvwxyz");
  CHECK_FALSE(img.get_u32("vocab", layers, err));  // wrong type
  CHECK(has(err.message, "vocab"));
  TensorView t;
  REQUIRE(img.find_tensor("enc.0.w", t));
  CHECK(t.dtype == DType::kInt8);
  CHECK(t.dims[0] == 8);
  CHECK(t.dims[1] == 5);
  CHECK(t.scale == 0.01f);
  CHECK(t.quant_index == 0);
  CHECK(static_cast<int8_t>(t.data[1]) == -93);
  CHECK((t.data - buf.span().data()) % 64 == 0);  // in place, aligned, not copied
  CHECK(t.data >= buf.span().data());
  CHECK(t.data + t.bytes <= buf.span().data() + buf.span().size());
  CHECK_FALSE(img.find_tensor("nope", t));
}

TEST_CASE("each defect is rejected with a message naming it") {
  const auto good = sample_image();
  auto b = good;
  b[0] = 'X';
  CHECK(has(open_error(b), "wrong magic"));
  b = good;
  b[8] = 2;
  CHECK(has(open_error(b), "unsupported format version 2.0"));
  b = good;
  b.resize(b.size() - 1);
  CHECK(has(open_error(b), "truncated"));
  CHECK(has(open_error(std::vector<uint8_t>(good.begin(), good.begin() + 30)), "truncated"));
  b = good;
  b[b.size() - 10] ^= 1;
  CHECK(has(open_error(b), "CRC mismatch"));

  // Structural defects with a valid CRC (as a buggy writer would produce).
  Buf gb(good);
  ModelImage img;
  Error err;
  REQUIRE(img.open(gb.span(), err) == EARSHOT_OK);
  uint32_t table = 0;
  std::memcpy(&table, good.data() + 32, 4);
  const size_t e1 = table + kTensorEntryBytes;  // entry of "enc.0.w"
  b = good;
  b[e1 + 68] = 8;  // offset 8 + old: not a multiple of 64
  fix_crc(b);
  CHECK(has(open_error(b), "not 64-byte aligned"));
  b = good;
  b[e1 + 72 + 1] = 0x10;  // bytes 4096+: past the section and inconsistent with shape
  fix_crc(b);
  CHECK(has(open_error(b), "needs 40"));
  b = good;
  std::memcpy(b.data() + e1 + 68, "\x00\x10\x00\x00", 4);  // offset 4096
  fix_crc(b);
  CHECK(has(open_error(b), "extends past the data section"));
  b = good;
  b[e1 + 48] = 9;
  fix_crc(b);
  CHECK(has(open_error(b), "unknown dtype"));
  b = good;
  std::memcpy(b.data() + e1, "bias", 5);
  fix_crc(b);
  CHECK(has(open_error(b), "duplicate tensor name"));
  b = good;
  b[e1 + 84] = 9;
  fix_crc(b);
  CHECK(has(open_error(b), "quant tensor"));
  b = good;
  b[40] = 65;  // data offset not a multiple of 64
  fix_crc(b);
  CHECK(has(open_error(b), "misaligned"));
  b = good;
  b[64] = 17;  // metadata type
  fix_crc(b);
  CHECK(has(open_error(b), "unknown type"));
  b = good;
  b[50] = 1;  // reserved header byte
  fix_crc(b);
  CHECK(has(open_error(b), "reserved header byte"));
}

TEST_CASE("every truncation and every single-byte flip is rejected or stays in bounds") {
  const auto good = sample_image();
  for (size_t len = 0; len < good.size(); ++len)
    CHECK_FALSE(open_error(std::vector<uint8_t>(good.begin(), good.begin() + static_cast<long>(len))).empty());
  size_t accepted = 0;
  for (size_t i = 0; i < good.size(); ++i) {
    for (uint8_t x : {0x01, 0x80, 0xFF}) {
      auto b = good;
      b[i] ^= x;
      for (bool recrc : {false, true}) {
        if (recrc) fix_crc(b);
        Buf buf(b);
        ModelImage img;
        Error err;
        if (img.open(buf.span(), err) != EARSHOT_OK) continue;
        ++accepted;  // only possible with a re-computed CRC (e.g. a scale or a weight byte)
        CHECK(recrc);
        for (uint32_t t = 0; t < img.tensor_count(); ++t) {
          const TensorView v = img.tensor(t);
          CHECK(v.data + v.bytes <= buf.span().data() + buf.span().size());
        }
        for (uint32_t m = 0; m < img.meta_count(); ++m) {
          const MetaView v = img.meta(m);
          CHECK(v.value.data() + v.value.size() <= buf.span().data() + buf.span().size());
        }
      }
    }
  }
  MESSAGE("flips accepted after CRC repair (payload bytes): " << accepted);
}

TEST_CASE("crc32 equals the bitwise CRC for every length, offset and chaining") {
  std::vector<uint8_t> b(4096 + 64);
  uint32_t x = 12345;
  for (auto& v : b) v = static_cast<uint8_t>((x = x * 1103515245u + 12345u) >> 23);
  CHECK(crc32(reinterpret_cast<const uint8_t*>("123456789"), 9) == 0xCBF43926u);  // the check value
  for (size_t off = 0; off < 17; off += 3)
    for (size_t n = 0; n <= 1100; n += (n < 300 ? 1 : 37)) {
      REQUIRE(crc32(b.data() + off, n) == crc32_bitwise(b.data() + off, n));
      const size_t cut = n / 3;
      REQUIRE(crc32(b.data() + off + cut, n - cut, crc32(b.data() + off, cut)) == crc32_bitwise(b.data() + off, n));
    }
  CHECK(crc32(b.data(), b.size(), 0x12345678u) == crc32_bitwise(b.data(), b.size(), 0x12345678u));
}
