// Reader of the `.esm` model image (FORMAT.md). open() validates everything
// before returning OK; afterwards every accessor is bounds-safe and returns
// views into the caller's buffer, which must outlive the ModelImage.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "common/error.h"

namespace earshot {

inline constexpr uint8_t kImageMagic[8] = {'E', 'A', 'R', 'S', 'H', 'O', 'T', 0x1A};
inline constexpr uint16_t kImageVersionMajor = 1;
inline constexpr uint16_t kImageVersionMinor = 0;
inline constexpr uint32_t kImageHeaderBytes = 64;
inline constexpr uint32_t kTensorEntryBytes = 96;
inline constexpr uint32_t kTensorAlign = 64;
inline constexpr uint32_t kNoQuant = 0xFFFFFFFFu;

enum class DType : uint8_t { kInt8 = 1, kInt16 = 2, kInt32 = 3, kUInt8 = 4, kFloat32 = 5, kUInt16 = 6 };
enum class MetaType : uint8_t { kU32 = 1, kI32 = 2, kString = 3, kU32Array = 4, kI32Array = 5, kI16Array = 6 };

size_t dtype_size(DType t);
const char* dtype_name(DType t);

struct TensorView {
  std::string_view name;
  DType dtype;
  uint8_t ndim;
  uint16_t layout;
  uint32_t dims[4];
  const uint8_t* data;  // 64-byte aligned relative to the image start
  uint32_t bytes;
  float scale;
  int32_t zero_point;
  uint32_t quant_index;
  size_t elements() const { return size_t{dims[0]} * dims[1] * dims[2] * dims[3]; }
};

struct MetaView {
  std::string_view key;
  MetaType type;
  std::span<const uint8_t> value;
};

class ModelImage {
 public:
  // Validates `bytes` (FORMAT.md "Validation"); on failure err names the defect.
  earshot_status open(std::span<const uint8_t> bytes, Error& err);

  uint16_t version_minor() const { return minor_; }
  uint32_t tensor_count() const { return tensor_count_; }
  uint32_t meta_count() const { return meta_count_; }
  uint32_t file_bytes() const { return static_cast<uint32_t>(bytes_.size()); }
  uint32_t crc() const;

  TensorView tensor(uint32_t index) const;               // index < tensor_count()
  bool find_tensor(std::string_view name, TensorView& out) const;
  MetaView meta(uint32_t index) const;                    // index < meta_count()
  bool find_meta(std::string_view key, MetaView& out) const;
  // Typed lookups; false (and err set) if missing or of another type.
  bool get_u32(std::string_view key, uint32_t& out, Error& err) const;
  bool get_i32(std::string_view key, int32_t& out, Error& err) const;
  bool get_string(std::string_view key, std::string_view& out, Error& err) const;

 private:
  std::span<const uint8_t> bytes_;
  uint16_t minor_ = 0;
  uint32_t meta_offset_ = 0, meta_bytes_ = 0, table_offset_ = 0, tensor_count_ = 0;
  uint32_t data_offset_ = 0, data_bytes_ = 0, meta_count_ = 0;
};

}  // namespace earshot
