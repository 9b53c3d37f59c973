#include "pack/image_writer.h"

#include <cstring>

#include "image/crc32.h"

namespace earshot {
namespace {
void put16(std::vector<uint8_t>& b, size_t at, uint16_t v) { b[at] = v & 0xFF; b[at + 1] = v >> 8; }
void put32(std::vector<uint8_t>& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = static_cast<uint8_t>(v >> (8 * i));
}
size_t align(size_t v, size_t a) { return (v + a - 1) / a * a; }
}  // namespace

void ImageWriter::meta(MetaType type, const std::string& key, const void* value, size_t bytes) {
  const size_t at = meta_.size();
  meta_.resize(align(at + 8 + key.size() + bytes, 4), 0);
  meta_[at] = static_cast<uint8_t>(type);
  meta_[at + 1] = static_cast<uint8_t>(key.size());
  put32(meta_, at + 4, static_cast<uint32_t>(bytes));
  std::memcpy(meta_.data() + at + 8, key.data(), key.size());
  if (bytes) std::memcpy(meta_.data() + at + 8 + key.size(), value, bytes);
}

void ImageWriter::meta_u32(const std::string& k, uint32_t v) { meta(MetaType::kU32, k, &v, 4); }
void ImageWriter::meta_i32(const std::string& k, int32_t v) { meta(MetaType::kI32, k, &v, 4); }
void ImageWriter::meta_string(const std::string& k, const std::string& v) { meta(MetaType::kString, k, v.data(), v.size()); }
void ImageWriter::meta_u32_array(const std::string& k, const std::vector<uint32_t>& v) { meta(MetaType::kU32Array, k, v.data(), v.size() * 4); }
void ImageWriter::meta_i32_array(const std::string& k, const std::vector<int32_t>& v) { meta(MetaType::kI32Array, k, v.data(), v.size() * 4); }
void ImageWriter::meta_i16_array(const std::string& k, const std::vector<int16_t>& v) { meta(MetaType::kI16Array, k, v.data(), v.size() * 2); }

uint32_t ImageWriter::add_tensor(Tensor t) {
  tensors_.push_back(std::move(t));
  return static_cast<uint32_t>(tensors_.size() - 1);
}

std::vector<uint8_t> ImageWriter::finish() const {
  const size_t meta_off = kImageHeaderBytes, table_off = align(meta_off + meta_.size(), 4);
  const size_t data_off = align(table_off + tensors_.size() * kTensorEntryBytes, kTensorAlign);
  std::vector<size_t> offs;
  size_t data_bytes = 0;
  for (const auto& t : tensors_) {
    offs.push_back(data_bytes);
    data_bytes = align(data_bytes + t.data.size(), kTensorAlign);
  }
  const size_t file_bytes = data_off + data_bytes + 4;
  std::vector<uint8_t> b(file_bytes, 0);
  std::memcpy(b.data(), kImageMagic, 8);
  put16(b, 8, kImageVersionMajor);
  put16(b, 10, kImageVersionMinor);
  put32(b, 12, kImageHeaderBytes);
  put32(b, 16, static_cast<uint32_t>(file_bytes));
  put32(b, 20, 0);
  put32(b, 24, static_cast<uint32_t>(meta_off));
  put32(b, 28, static_cast<uint32_t>(meta_.size()));
  put32(b, 32, static_cast<uint32_t>(table_off));
  put32(b, 36, static_cast<uint32_t>(tensors_.size()));
  put32(b, 40, static_cast<uint32_t>(data_off));
  put32(b, 44, static_cast<uint32_t>(data_bytes));
  if (!meta_.empty()) std::memcpy(b.data() + meta_off, meta_.data(), meta_.size());
  for (size_t i = 0; i < tensors_.size(); ++i) {
    const auto& t = tensors_[i];
    const size_t e = table_off + i * kTensorEntryBytes;
    std::memcpy(b.data() + e, t.name.data(), std::min<size_t>(t.name.size(), 47));
    b[e + 48] = static_cast<uint8_t>(t.dtype);
    b[e + 49] = static_cast<uint8_t>(t.dims.size());
    put16(b, e + 50, t.layout);
    for (size_t d = 0; d < 4; ++d) put32(b, e + 52 + 4 * d, d < t.dims.size() ? t.dims[d] : 1);
    put32(b, e + 68, static_cast<uint32_t>(offs[i]));
    put32(b, e + 72, static_cast<uint32_t>(t.data.size()));
    uint32_t s;
    std::memcpy(&s, &t.scale, 4);
    put32(b, e + 76, s);
    put32(b, e + 80, static_cast<uint32_t>(t.zero_point));
    put32(b, e + 84, t.quant_index);
    if (!t.data.empty()) std::memcpy(b.data() + data_off + offs[i], t.data.data(), t.data.size());
  }
  put32(b, file_bytes - 4, crc32(b.data(), file_bytes - 4));
  return b;
}

}  // namespace earshot
