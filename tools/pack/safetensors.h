// A strict reader (and a small writer, for tests) of the safetensors format:
//   u64 little-endian header length N | N bytes of JSON header | data
//   header = {"<name>": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...,
//             "__metadata__": {"key": "string value", ...}}
// Offsets are relative to the start of the data. The converter trusts nothing in
// the file: every defect is a PackError naming the tensor and the problem.
#pragma once
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace earshot::pack {

struct PackError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct StTensor {
  std::string name;
  std::string dtype;             // safetensors dtype string ("F32", "BF16", ...)
  std::vector<uint64_t> shape;
  uint64_t begin = 0, end = 0;   // byte range in the data section
  uint64_t elements() const;
  std::string shape_str() const;  // "[768, 120]"
};

class Safetensors {
 public:
  static Safetensors parse(std::vector<uint8_t> file);
  static Safetensors load(const std::string& path);

  const StTensor* find(const std::string& name) const;
  // The values as double. Float dtypes only (F16, BF16, F32, F64); NaN or Inf
  // is a PackError naming the tensor and the element.
  std::vector<double> floats(const StTensor& t) const;
  // The element bytes as stored (little-endian), any dtype.
  std::vector<uint8_t> raw(const StTensor& t) const;

  std::vector<StTensor> tensors;                  // sorted by name
  std::map<std::string, std::string> metadata;    // "__metadata__"

 private:
  std::vector<uint8_t> bytes_;
  size_t data_offset_ = 0;
};

// Bytes per element of a safetensors dtype; 0 if the dtype is unknown.
size_t st_dtype_size(const std::string& dtype);

// Writer (tests, fixtures). `data` holds the element bytes, little-endian.
struct StEntry {
  std::string name, dtype;
  std::vector<uint64_t> shape;
  std::vector<uint8_t> data;
};
std::vector<uint8_t> st_serialize(const std::vector<StEntry>& tensors, const std::map<std::string, std::string>& meta);
StEntry st_f32(const std::string& name, std::vector<uint64_t> shape, const std::vector<float>& v);

}  // namespace earshot::pack
