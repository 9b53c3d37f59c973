#include "image/image.h"

#include <cstdarg>
#include <cstdio>
#include <cstring>

#include "image/crc32.h"

namespace earshot {
namespace {

uint16_t rd16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
uint32_t rd32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) | (static_cast<uint32_t>(p[2]) << 16) |
         (static_cast<uint32_t>(p[3]) << 24);
}
uint64_t rd64(const uint8_t* p) { return rd32(p) | (static_cast<uint64_t>(rd32(p + 4)) << 32); }

bool name_char_ok(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.'; }

bool valid_dtype(uint8_t t) { return t >= 1 && t <= 6; }

// Element size of metadata arrays (0 for scalars/strings handled separately).
size_t meta_elem(MetaType t) {
  switch (t) {
    case MetaType::kU32: case MetaType::kI32: case MetaType::kU32Array: case MetaType::kI32Array: return 4;
    case MetaType::kI16Array: return 2;
    case MetaType::kString: return 1;
  }
  return 0;
}

constexpr const char* kPrefix = "model image: ";

__attribute__((format(printf, 2, 3))) earshot_status bad_image(Error& err, const char* fmt, ...) {
  char msg[160];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return err.set(EARSHOT_ERR_BAD_MODEL, "%s%s", kPrefix, msg);
}

}  // namespace

size_t dtype_size(DType t) {
  switch (t) {
    case DType::kInt8: case DType::kUInt8: return 1;
    case DType::kInt16: case DType::kUInt16: return 2;
    case DType::kInt32: case DType::kFloat32: return 4;
  }
  return 0;
}

const char* dtype_name(DType t) {
  switch (t) {
    case DType::kInt8: return "int8";
    case DType::kInt16: return "int16";
    case DType::kInt32: return "int32";
    case DType::kUInt8: return "uint8";
    case DType::kFloat32: return "float32";
    case DType::kUInt16: return "uint16";
  }
  return "?";
}

earshot_status ModelImage::open(std::span<const uint8_t> b, Error& err) {
  bytes_ = {};
#define bad(...) bad_image(err, __VA_ARGS__)
  if (b.data() == nullptr || b.size() < kImageHeaderBytes + 4)
    return bad("truncated: %zu bytes, smaller than the 64-byte header", b.size());
  if (std::memcmp(b.data(), kImageMagic, 8) != 0) return bad("wrong magic (not an earshot .esm image)");
  if (reinterpret_cast<uintptr_t>(b.data()) % 16 != 0) return bad("buffer is not 16-byte aligned");
  const uint8_t* h = b.data();
  const uint16_t major = rd16(h + 8);
  if (major != kImageVersionMajor)
    return bad("unsupported format version %u.%u (this reader reads %u.x)", major, rd16(h + 10), kImageVersionMajor);
  if (rd32(h + 12) != kImageHeaderBytes) return bad("header_bytes is %u, expected 64", rd32(h + 12));
  const uint64_t file_bytes = rd64(h + 16);
  if (file_bytes > b.size())
    return bad("truncated: header says %llu bytes, buffer holds %zu", static_cast<unsigned long long>(file_bytes), b.size());
  if (file_bytes < kImageHeaderBytes + 4 || file_bytes > 0x7FFFFFFFu)
    return bad("file_bytes %llu out of range", static_cast<unsigned long long>(file_bytes));
  for (int i = 48; i < 64; ++i)
    if (h[i]) return bad("reserved header byte %d is not zero", i);
  const uint32_t end = static_cast<uint32_t>(file_bytes) - 4;
  const uint32_t mo = rd32(h + 24), mb = rd32(h + 28), to = rd32(h + 32), tc = rd32(h + 36), dof = rd32(h + 40),
                 db = rd32(h + 44);
  auto in_range = [&](uint64_t off, uint64_t len, uint64_t lo) { return off >= lo && off + len <= end; };
  if (!in_range(mo, mb, kImageHeaderBytes)) return bad("metadata section [%u, +%u) outside the image", mo, mb);
  if (mo % 4) return bad("metadata offset %u not 4-byte aligned", mo);
  if (tc > 65535) return bad("tensor_count %u is implausible", tc);
  if (!in_range(to, uint64_t{tc} * kTensorEntryBytes, uint64_t{mo} + mb))
    return bad("tensor table [%u, +%u x 96) outside the image or overlapping metadata", to, tc);
  if (to % 4) return bad("tensor table offset %u not 4-byte aligned", to);
  if (dof % kTensorAlign) return bad("data offset %u is not a multiple of 64 (misaligned)", dof);
  if (!in_range(dof, db, uint64_t{to} + uint64_t{tc} * kTensorEntryBytes))
    return bad("data section [%u, +%u) outside the image or overlapping the table", dof, db);
  const uint32_t stored_crc = rd32(h + end);
  const uint32_t actual_crc = crc32(h, end);
  if (stored_crc != actual_crc) return bad("CRC mismatch (stored %08x, computed %08x): the image is corrupt", stored_crc, actual_crc);

  // Metadata entries.
  uint32_t pos = mo, count = 0;
  while (pos < mo + mb) {
    if (mo + mb - pos < 8) return bad("metadata entry %u truncated", count);
    const uint8_t* e = h + pos;
    const uint8_t type = e[0], klen = e[1];
    const uint32_t vlen = rd32(e + 4);
    if (type < 1 || type > 6) return bad("metadata entry %u has unknown type %u", count, type);
    if (klen < 1 || klen > 63) return bad("metadata entry %u key length %u not in 1..63", count, klen);
    if (rd16(e + 2)) return bad("metadata entry %u reserved field not zero", count);
    const uint64_t total = (8ull + klen + vlen + 3) & ~3ull;
    if (total > mo + mb - pos) return bad("metadata entry %u extends past the metadata section", count);
    for (uint32_t i = 0; i < klen; ++i)
      if (!name_char_ok(static_cast<char>(e[8 + i]))) return bad("metadata entry %u key has a character outside [a-z0-9_.]", count);
    const auto mt = static_cast<MetaType>(type);
    if ((mt == MetaType::kU32 || mt == MetaType::kI32) && vlen != 4)
      return bad("metadata '%.*s' is a scalar of %u bytes (expected 4)", klen, reinterpret_cast<const char*>(e + 8), vlen);
    if (vlen % meta_elem(mt)) return bad("metadata '%.*s' size %u not a multiple of its element", klen, reinterpret_cast<const char*>(e + 8), vlen);
    pos += static_cast<uint32_t>(total);
    ++count;
  }
  meta_count_ = count;

  // Tensor entries.
  bytes_ = b.first(static_cast<size_t>(file_bytes));
  meta_offset_ = mo; meta_bytes_ = mb; table_offset_ = to; tensor_count_ = tc; data_offset_ = dof; data_bytes_ = db;
  minor_ = rd16(h + 10);
  for (uint32_t i = 0; i < tc; ++i) {
    const uint8_t* e = h + to + i * kTensorEntryBytes;
    const void* nul = std::memchr(e, 0, 48);
    if (!nul || nul == e) { bytes_ = {}; return bad("tensor %u has an empty or unterminated name", i); }
    const size_t nlen = static_cast<size_t>(static_cast<const uint8_t*>(nul) - e);
    for (size_t k = 0; k < nlen; ++k)
      if (!name_char_ok(static_cast<char>(e[k]))) { bytes_ = {}; return bad("tensor %u name has a character outside [a-z0-9_.]", i); }
    const char* nm = reinterpret_cast<const char*>(e);
    const int nl = static_cast<int>(nlen);
    if (!valid_dtype(e[48])) { bytes_ = {}; return bad("tensor '%.*s' has unknown dtype %u", nl, nm, e[48]); }
    if (e[49] < 1 || e[49] > 4) { bytes_ = {}; return bad("tensor '%.*s' has ndim %u (1..4)", nl, nm, e[49]); }
    uint64_t elems = 1;
    for (int d = 0; d < 4; ++d) {
      const uint32_t dim = rd32(e + 52 + 4 * d);
      if (dim == 0) { bytes_ = {}; return bad("tensor '%.*s' has a zero dimension", nl, nm); }
      if (d >= e[49] && dim != 1) { bytes_ = {}; return bad("tensor '%.*s' has dims beyond ndim that are not 1", nl, nm); }
      elems *= dim;
    }
    const uint32_t off = rd32(e + 68), nbytes = rd32(e + 72);
    const uint64_t need = elems * dtype_size(static_cast<DType>(e[48]));
    const uint16_t layout = rd16(e + 50);
    if ((layout == 0 && nbytes != need) || (layout != 0 && nbytes < need)) {
      bytes_ = {};
      return bad("tensor '%.*s' is %u bytes but its shape needs %llu", nl, nm, nbytes, static_cast<unsigned long long>(need));
    }
    if (off % kTensorAlign) { bytes_ = {}; return bad("tensor '%.*s' offset %u is not 64-byte aligned", nl, nm, off); }
    if (uint64_t{off} + nbytes > db) {
      bytes_ = {};
      return bad("tensor '%.*s' extends past the data section (%u + %u > %u)", nl, nm, off, nbytes, db);
    }
    const uint32_t q = rd32(e + 84);
    if (q != kNoQuant && q >= tc) { bytes_ = {}; return bad("tensor '%.*s' refers to quant tensor %u of %u", nl, nm, q, tc); }
    if (rd32(e + 88) || rd32(e + 92)) { bytes_ = {}; return bad("tensor '%.*s' reserved fields not zero", nl, nm); }
    for (uint32_t j = 0; j < i; ++j) {
      const uint8_t* o = h + to + j * kTensorEntryBytes;
      if (std::strncmp(reinterpret_cast<const char*>(o), nm, 48) == 0) { bytes_ = {}; return bad("duplicate tensor name '%.*s'", nl, nm); }
    }
  }
  // Unique metadata keys.
  for (uint32_t i = 0; i < meta_count_; ++i)
    for (uint32_t j = 0; j < i; ++j)
      if (meta(i).key == meta(j).key) {
        const auto k = meta(i).key;
        bytes_ = {};
        return bad("duplicate metadata key '%.*s'", static_cast<int>(k.size()), k.data());
      }
  err.clear();
  return EARSHOT_OK;
#undef bad
}

uint32_t ModelImage::crc() const { return bytes_.empty() ? 0 : rd32(bytes_.data() + bytes_.size() - 4); }

TensorView ModelImage::tensor(uint32_t i) const {
  const uint8_t* e = bytes_.data() + table_offset_ + i * kTensorEntryBytes;
  TensorView t{};
  t.name = std::string_view(reinterpret_cast<const char*>(e), 48);  // NUL-padded (strnlen: not in newlib's strict C++)
  t.name = t.name.substr(0, t.name.find('\0'));
  t.dtype = static_cast<DType>(e[48]);
  t.ndim = e[49];
  t.layout = rd16(e + 50);
  for (int d = 0; d < 4; ++d) t.dims[d] = rd32(e + 52 + 4 * d);
  t.data = bytes_.data() + data_offset_ + rd32(e + 68);
  t.bytes = rd32(e + 72);
  const uint32_t s = rd32(e + 76);
  std::memcpy(&t.scale, &s, 4);
  t.zero_point = static_cast<int32_t>(rd32(e + 80));
  t.quant_index = rd32(e + 84);
  return t;
}

bool ModelImage::find_tensor(std::string_view name, TensorView& out) const {
  for (uint32_t i = 0; i < tensor_count_; ++i) {
    TensorView t = tensor(i);
    if (t.name == name) { out = t; return true; }
  }
  return false;
}

MetaView ModelImage::meta(uint32_t index) const {
  uint32_t pos = meta_offset_;
  for (uint32_t i = 0;; ++i) {
    const uint8_t* e = bytes_.data() + pos;
    const uint8_t klen = e[1];
    const uint32_t vlen = rd32(e + 4);
    if (i == index)
      return {std::string_view(reinterpret_cast<const char*>(e + 8), klen), static_cast<MetaType>(e[0]),
              std::span<const uint8_t>(e + 8 + klen, vlen)};
    pos += (8u + klen + vlen + 3u) & ~3u;
  }
}

bool ModelImage::find_meta(std::string_view key, MetaView& out) const {
  for (uint32_t i = 0; i < meta_count_; ++i) {
    MetaView m = meta(i);
    if (m.key == key) { out = m; return true; }
  }
  return false;
}

bool ModelImage::get_u32(std::string_view key, uint32_t& out, Error& err) const {
  MetaView m;
  if (!find_meta(key, m) || m.type != MetaType::kU32) {
    err.set(EARSHOT_ERR_BAD_MODEL, "%smissing u32 metadata '%.*s'", kPrefix, static_cast<int>(key.size()), key.data());
    return false;
  }
  out = rd32(m.value.data());
  return true;
}

bool ModelImage::get_i32(std::string_view key, int32_t& out, Error& err) const {
  MetaView m;
  if (!find_meta(key, m) || m.type != MetaType::kI32) {
    err.set(EARSHOT_ERR_BAD_MODEL, "%smissing i32 metadata '%.*s'", kPrefix, static_cast<int>(key.size()), key.data());
    return false;
  }
  out = static_cast<int32_t>(rd32(m.value.data()));
  return true;
}

bool ModelImage::get_string(std::string_view key, std::string_view& out, Error& err) const {
  MetaView m;
  if (!find_meta(key, m) || m.type != MetaType::kString) {
    err.set(EARSHOT_ERR_BAD_MODEL, "%smissing string metadata '%.*s'", kPrefix, static_cast<int>(key.size()), key.data());
    return false;
  }
  out = std::string_view(reinterpret_cast<const char*>(m.value.data()), m.value.size());
  return true;
}

}  // namespace earshot
