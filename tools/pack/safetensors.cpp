#include "pack/safetensors.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <nlohmann/json.hpp>

namespace earshot::pack {
namespace {

using nlohmann::json;

// Header lengths beyond this are treated as corrupt (a real header is a few KiB).
constexpr uint64_t kMaxHeaderBytes = 100u << 20;

double half_to_double(uint16_t h) {
  const int sign = h >> 15, exp = (h >> 10) & 31, man = h & 1023;
  double v;
  if (exp == 0) v = std::ldexp(man, -24);
  else if (exp == 31) v = man ? std::numeric_limits<double>::quiet_NaN() : std::numeric_limits<double>::infinity();
  else v = std::ldexp(man + 1024, exp - 25);
  return sign ? -v : v;
}

uint64_t as_u64(const json& j, const std::string& what) {
  if (!j.is_number_unsigned() && !(j.is_number_integer() && j.get<int64_t>() >= 0))
    throw PackError(what + " is not a non-negative integer");
  return j.get<uint64_t>();
}

}  // namespace

size_t st_dtype_size(const std::string& d) {
  static const std::map<std::string, size_t> sizes = {
      {"BOOL", 1}, {"U8", 1},  {"I8", 1},  {"F8_E4M3", 1}, {"F8_E5M2", 1}, {"I16", 2},  {"U16", 2}, {"F16", 2},
      {"BF16", 2}, {"I32", 4}, {"U32", 4}, {"F32", 4},     {"F64", 8},     {"I64", 8},  {"U64", 8}};
  const auto it = sizes.find(d);
  return it == sizes.end() ? 0 : it->second;
}

uint64_t StTensor::elements() const {
  uint64_t n = 1;
  for (uint64_t d : shape) n *= d;
  return n;
}

std::string StTensor::shape_str() const {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

Safetensors Safetensors::load(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw PackError("cannot open " + path);
  std::vector<uint8_t> b{std::istreambuf_iterator<char>(f), {}};
  return parse(std::move(b));
}

Safetensors Safetensors::parse(std::vector<uint8_t> file) {
  Safetensors st;
  if (file.size() < 8)
    throw PackError("safetensors: truncated (" + std::to_string(file.size()) + " bytes, no 8-byte header length)");
  uint64_t n = 0;
  for (int i = 0; i < 8; ++i) n |= static_cast<uint64_t>(file[i]) << (8 * i);
  if (n < 2 || n > kMaxHeaderBytes || n > file.size() - 8)
    throw PackError("safetensors: header length " + std::to_string(n) + " does not fit the file (" +
                    std::to_string(file.size()) + " bytes)");
  json h;
  try {
    h = json::parse(file.begin() + 8, file.begin() + 8 + static_cast<ptrdiff_t>(n));
  } catch (const json::exception& e) {
    throw PackError(std::string("safetensors: header is not valid JSON (") + e.what() + ")");
  }
  if (!h.is_object()) throw PackError("safetensors: header is not a JSON object");
  st.data_offset_ = 8 + static_cast<size_t>(n);
  const uint64_t data_bytes = file.size() - st.data_offset_;

  for (auto it = h.begin(); it != h.end(); ++it) {
    const std::string& name = it.key();
    const json& v = it.value();
    if (name == "__metadata__") {
      if (!v.is_object()) throw PackError("safetensors: __metadata__ is not an object");
      for (auto m = v.begin(); m != v.end(); ++m) {
        if (!m.value().is_string()) throw PackError("safetensors: metadata '" + m.key() + "' is not a string");
        st.metadata[m.key()] = m.value().get<std::string>();
      }
      continue;
    }
    const std::string what = "safetensors: tensor '" + name + "'";
    if (!v.is_object() || !v.contains("dtype") || !v.contains("shape") || !v.contains("data_offsets"))
      throw PackError(what + " lacks dtype, shape or data_offsets");
    StTensor t;
    t.name = name;
    if (!v["dtype"].is_string()) throw PackError(what + ": dtype is not a string");
    t.dtype = v["dtype"].get<std::string>();
    const size_t es = st_dtype_size(t.dtype);
    if (es == 0) throw PackError(what + " has unknown dtype '" + t.dtype + "'");
    if (!v["shape"].is_array()) throw PackError(what + ": shape is not an array");
    uint64_t elems = 1;
    for (const json& d : v["shape"]) {
      const uint64_t dim = as_u64(d, what + ": a shape entry");
      if (dim > (uint64_t{1} << 32) || (dim && elems > (uint64_t{1} << 40) / dim))
        throw PackError(what + " has an implausible shape");
      elems *= dim;
      t.shape.push_back(dim);
    }
    const json& off = v["data_offsets"];
    if (!off.is_array() || off.size() != 2) throw PackError(what + ": data_offsets is not [begin, end]");
    t.begin = as_u64(off[0], what + ": data_offsets[0]");
    t.end = as_u64(off[1], what + ": data_offsets[1]");
    if (t.begin > t.end || t.end > data_bytes)
      throw PackError(what + " data_offsets [" + std::to_string(t.begin) + ", " + std::to_string(t.end) +
                      ") lie outside the data section (" + std::to_string(data_bytes) + " bytes)");
    if (t.end - t.begin != elems * es)
      throw PackError(what + " holds " + std::to_string(t.end - t.begin) + " bytes but " + t.dtype + " " + t.shape_str() +
                      " needs " + std::to_string(elems * es));
    st.tensors.push_back(std::move(t));
  }
  // Byte ranges must not overlap (a crafted file could alias two tensors).
  std::vector<const StTensor*> by_off;
  for (const auto& t : st.tensors) by_off.push_back(&t);
  std::sort(by_off.begin(), by_off.end(), [](auto* a, auto* b) { return a->begin < b->begin; });
  for (size_t i = 1; i < by_off.size(); ++i)
    if (by_off[i]->begin < by_off[i - 1]->end)
      throw PackError("safetensors: tensors '" + by_off[i - 1]->name + "' and '" + by_off[i]->name +
                      "' overlap in the data section");
  st.bytes_ = std::move(file);
  return st;
}

const StTensor* Safetensors::find(const std::string& name) const {
  for (const auto& t : tensors)
    if (t.name == name) return &t;
  return nullptr;
}

std::vector<uint8_t> Safetensors::raw(const StTensor& t) const {
  const uint8_t* p = bytes_.data() + data_offset_ + t.begin;
  return std::vector<uint8_t>(p, p + (t.end - t.begin));
}

std::vector<double> Safetensors::floats(const StTensor& t) const {
  const uint8_t* p = bytes_.data() + data_offset_ + t.begin;
  const size_t n = static_cast<size_t>(t.elements());
  std::vector<double> v(n);
  if (t.dtype == "F32") {
    for (size_t i = 0; i < n; ++i) {
      float f;
      std::memcpy(&f, p + 4 * i, 4);
      v[i] = f;
    }
  } else if (t.dtype == "F64") {
    // An empty tensor has no buffer: memcpy with a null destination is UB even for 0 bytes.
    if (n) std::memcpy(v.data(), p, 8 * n);
  } else if (t.dtype == "F16") {
    for (size_t i = 0; i < n; ++i) v[i] = half_to_double(static_cast<uint16_t>(p[2 * i] | (p[2 * i + 1] << 8)));
  } else if (t.dtype == "BF16") {
    for (size_t i = 0; i < n; ++i) {
      const uint32_t bits = static_cast<uint32_t>(p[2 * i] | (p[2 * i + 1] << 8)) << 16;
      float f;
      std::memcpy(&f, &bits, 4);
      v[i] = f;
    }
  } else {
    throw PackError("tensor '" + t.name + "' has dtype " + t.dtype +
                    ", which earshot-pack does not convert (float weights expected: F32, F16, BF16 or F64)");
  }
  for (size_t i = 0; i < n; ++i)
    if (!std::isfinite(v[i])) {
      std::string where = "element " + std::to_string(i);
      if (t.shape.size() == 2 && t.shape[1])
        where += " (row " + std::to_string(i / t.shape[1]) + ", column " + std::to_string(i % t.shape[1]) + ")";
      throw PackError("tensor '" + t.name + "' has a " + (std::isnan(v[i]) ? "NaN" : "infinite") + " value at " + where);
    }
  return v;
}

std::vector<uint8_t> st_serialize(const std::vector<StEntry>& tensors, const std::map<std::string, std::string>& meta) {
  json h = json::object();
  uint64_t off = 0;
  for (const auto& t : tensors) {
    h[t.name] = {{"dtype", t.dtype}, {"shape", t.shape}, {"data_offsets", {off, off + t.data.size()}}};
    off += t.data.size();
  }
  if (!meta.empty()) h["__metadata__"] = meta;
  std::string hs = h.dump();
  hs.append((8 - hs.size() % 8) % 8, ' ');
  // (memcpy into a sized vector: GCC 12 warns falsely on vector::insert here, bug 107852.)
  std::vector<uint8_t> out(8 + hs.size() + off);
  for (int i = 0; i < 8; ++i) out[i] = static_cast<uint8_t>(static_cast<uint64_t>(hs.size()) >> (8 * i));
  std::memcpy(out.data() + 8, hs.data(), hs.size());
  size_t at = 8 + hs.size();
  for (const auto& t : tensors) {
    if (!t.data.empty()) std::memcpy(out.data() + at, t.data.data(), t.data.size());
    at += t.data.size();
  }
  return out;
}

StEntry st_f32(const std::string& name, std::vector<uint64_t> shape, const std::vector<float>& v) {
  StEntry e{name, "F32", std::move(shape), std::vector<uint8_t>(v.size() * 4)};
  if (!v.empty()) std::memcpy(e.data.data(), v.data(), e.data.size());
  return e;
}

}  // namespace earshot::pack
