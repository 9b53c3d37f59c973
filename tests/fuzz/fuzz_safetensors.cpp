// libFuzzer target: earshot-pack's safetensors reader trusts nothing in the
// file. Any bytes either parse, and then every tensor's range lies inside the
// data section and converting it (floats()) reads only that range, or are
// rejected with a PackError that says what is wrong. Any other exception
// (out_of_range from a json accessor, bad_alloc from a size taken on trust,
// length_error) escapes to libFuzzer and counts as a crash.
#include <cstdint>
#include <string>
#include <vector>

#include "pack/safetensors.h"

using earshot::pack::PackError;
using earshot::pack::Safetensors;
using earshot::pack::StTensor;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // parse() takes the file by value and keeps it: an exact-size vector, so
  // ASan sees a read past the end of the file.
  std::vector<uint8_t> file(data, data + size);
  file.shrink_to_fit();
  Safetensors st;
  try {
    st = Safetensors::parse(std::move(file));
  } catch (const PackError& e) {
    if (std::string(e.what()).empty()) __builtin_trap();  // a rejection must say why
    return 0;
  }
  const uint64_t data_bytes = size;  // an upper bound on every range
  for (const StTensor& t : st.tensors) {
    if (t.begin > t.end || t.end > data_bytes) __builtin_trap();
    if (st.find(t.name) == nullptr) __builtin_trap();
    (void)t.shape_str();
    try {
      const std::vector<double> v = st.floats(t);
      if (v.size() != t.elements()) __builtin_trap();
    } catch (const PackError& e) {  // not a float dtype, or NaN / Inf: named
      if (std::string(e.what()).find(t.name) == std::string::npos) __builtin_trap();
    }
  }
  return 0;
}
