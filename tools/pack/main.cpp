// earshot-pack: the weight conversion tool. Reads and writes `.esm` model images.
//   earshot-pack inspect M.esm     header, metadata, tensor table, sizes, checksum
//   earshot-pack verify M.esm      full validation; non-zero exit naming any defect
#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "image/image.h"
#include "pack/image_writer.h"

using namespace earshot;

namespace {

using Loaded = AlignedBytes;

bool load(const std::string& path, Loaded& out) {
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    std::fprintf(stderr, "earshot-pack: %s: cannot open\n", path.c_str());
    return false;
  }
  const std::vector<char> b{std::istreambuf_iterator<char>(f), {}};
  out.assign({reinterpret_cast<const uint8_t*>(b.data()), b.size()});
  return true;
}

bool open_image(const std::string& path, Loaded& buf, ModelImage& img) {
  if (!load(path, buf)) return false;
  Error err;
  if (img.open(buf.span(), err) != EARSHOT_OK) {
    std::fprintf(stderr, "earshot-pack: %s: %s\n", path.c_str(), err.message);
    return false;
  }
  return true;
}

void print_meta(const MetaView& m) {
  std::printf("  %-32s ", std::string(m.key).c_str());
  auto i32 = [&](size_t i) {
    int32_t v;
    std::memcpy(&v, m.value.data() + 4 * i, 4);
    return v;
  };
  switch (m.type) {
    case MetaType::kU32: std::printf("u32 %u\n", static_cast<uint32_t>(i32(0))); break;
    case MetaType::kI32: std::printf("i32 %d\n", i32(0)); break;
    case MetaType::kString: std::printf("\"%.*s\"\n", static_cast<int>(m.value.size()), reinterpret_cast<const char*>(m.value.data())); break;
    case MetaType::kU32Array:
    case MetaType::kI32Array:
    case MetaType::kI16Array: {
      const size_t es = m.type == MetaType::kI16Array ? 2 : 4, n = m.value.size() / es;
      std::printf("%s[%zu] {", m.type == MetaType::kI16Array ? "i16" : m.type == MetaType::kU32Array ? "u32" : "i32", n);
      for (size_t k = 0; k < n && k < 8; ++k) {
        if (es == 2) {
          int16_t v;
          std::memcpy(&v, m.value.data() + 2 * k, 2);
          std::printf("%s%d", k ? ", " : "", v);
        } else {
          std::printf("%s%d", k ? ", " : "", i32(k));
        }
      }
      std::printf("%s}\n", n > 8 ? ", ..." : "");
      break;
    }
  }
}

int inspect(const std::string& path) {
  Loaded buf;
  ModelImage img;
  if (!open_image(path, buf, img)) return 1;
  std::printf("%s: earshot model image, format %u.%u, %u bytes, CRC-32 %08x\n", path.c_str(), kImageVersionMajor,
              img.version_minor(), img.file_bytes(), img.crc());
  std::printf("metadata (%u entries)\n", img.meta_count());
  for (uint32_t i = 0; i < img.meta_count(); ++i) print_meta(img.meta(i));
  std::printf("tensors (%u)\n  %-34s %-7s %-18s %6s %9s %10s %s\n", img.tensor_count(), "name", "dtype", "shape", "layout",
              "bytes", "scale", "quant");
  size_t total = 0, params = 0;
  for (uint32_t i = 0; i < img.tensor_count(); ++i) {
    const TensorView t = img.tensor(i);
    std::string shape;
    for (int d = 0; d < t.ndim; ++d) shape += (d ? "x" : "") + std::to_string(t.dims[d]);
    std::printf("  %-34s %-7s %-18s %6u %9u %10.3g %s\n", std::string(t.name).c_str(), dtype_name(t.dtype), shape.c_str(),
                t.layout, t.bytes, t.scale,
                t.quant_index == kNoQuant ? "-" : std::string(img.tensor(t.quant_index).name).c_str());
    total += t.bytes;
    if (t.dtype == DType::kInt8) params += t.elements();
  }
  std::printf("tensor data %zu bytes, %zu int8 weights\n", total, params);
  return 0;
}

int verify(const std::string& path) {
  Loaded buf;
  ModelImage img;
  if (!open_image(path, buf, img)) return 1;
  std::printf("%s: OK (format %u.%u, %u tensors, %u bytes, CRC-32 %08x)\n", path.c_str(), kImageVersionMajor,
              img.version_minor(), img.tensor_count(), img.file_bytes(), img.crc());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"earshot-pack: convert trained weights into earshot model images (.esm) and check them"};
  app.set_version_flag("--version", std::string("earshot-pack ") + EARSHOT_VERSION + " (image format " +
                                        std::to_string(kImageVersionMajor) + "." + std::to_string(kImageVersionMinor) + ")");
  app.require_subcommand(1);
  std::string file;
  auto* ins = app.add_subcommand("inspect", "Print header, metadata, tensor table, sizes and checksum");
  ins->add_option("image", file, "Model image (.esm)")->required();
  auto* ver = app.add_subcommand("verify", "Validate an image; non-zero exit and a message naming any defect");
  ver->add_option("image", file, "Model image (.esm)")->required();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (ins->parsed()) return inspect(file);
  if (ver->parsed()) return verify(file);
  return 2;
}
