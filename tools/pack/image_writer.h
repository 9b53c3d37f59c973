// Builds `.esm` images (lib/image/FORMAT.md) on the host: the converter
// `earshot-pack` and the tests use it; the device only ever reads.
#pragma once
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "image/image.h"

namespace earshot {

class ImageWriter {
 public:
  void meta_u32(const std::string& key, uint32_t v);
  void meta_i32(const std::string& key, int32_t v);
  void meta_string(const std::string& key, const std::string& v);
  void meta_u32_array(const std::string& key, const std::vector<uint32_t>& v);
  void meta_i32_array(const std::string& key, const std::vector<int32_t>& v);
  void meta_i16_array(const std::string& key, const std::vector<int16_t>& v);
  // Any type with its value bytes as stored (tests copy entries between images).
  void meta_raw(MetaType type, const std::string& key, std::span<const uint8_t> value) {
    meta(type, key, value.data(), value.size());
  }

  struct Tensor {
    std::string name;
    DType dtype = DType::kInt8;
    std::vector<uint32_t> dims;
    uint16_t layout = 0;
    std::vector<uint8_t> data;  // little-endian element bytes
    float scale = 0.0f;
    int32_t zero_point = 0;
    uint32_t quant_index = kNoQuant;
  };
  // Returns the tensor's index (for quant_index references).
  uint32_t add_tensor(Tensor t);
  size_t tensor_count() const { return tensors_.size(); }

  std::vector<uint8_t> finish() const;

 private:
  void meta(MetaType type, const std::string& key, const void* value, size_t bytes);
  std::vector<uint8_t> meta_;
  std::vector<Tensor> tensors_;
};

// Host storage for an image to be read in place: 16-byte aligned, as the reader
// requires (std::vector<uint8_t> guarantees less, and 8 bytes on 32-bit ARM).
class AlignedBytes {
 public:
  AlignedBytes() = default;
  explicit AlignedBytes(std::span<const uint8_t> b) { assign(b); }
  void assign(std::span<const uint8_t> b) {
    blocks_.assign(b.size() / 16 + 1, Block{});
    size_ = b.size();
    if (size_) std::memcpy(blocks_.data(), b.data(), size_);
  }
  std::span<const uint8_t> span() const { return {blocks_.data()->b, size_}; }

 private:
  struct alignas(16) Block { uint8_t b[16]; };
  std::vector<Block> blocks_;
  size_t size_ = 0;
};

template <typename T>
std::vector<uint8_t> to_bytes(const std::vector<T>& v) {  // hosts are little-endian
  std::vector<uint8_t> b(v.size() * sizeof(T));
  if (!b.empty()) std::memcpy(b.data(), v.data(), b.size());
  return b;
}

}  // namespace earshot
