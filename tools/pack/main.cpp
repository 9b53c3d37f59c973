// earshot-pack: the weight conversion tool. Reads and writes `.esm` model images.
//   earshot-pack pack CKPT.safetensors -o M.esm   quantize and pack (lib/model/MODEL.md)
//   earshot-pack inspect M.esm     header, metadata, tensor table, sizes, checksum
//   earshot-pack verify M.esm      full validation incl. the model schema; non-zero exit naming any defect
//                [--reference F.npy]  ... and the C++ runtime = the Python integer reference on these features
//   earshot-pack tables --json     the kernels' compile-time tables (for tools/train/intref.py)
//   earshot-pack flash --firmware FW.bin --model M.esm -o FLASH [--board virt|raspi2b|mps2-an500|mps3-an547]
//                                  a board's flash file: firmware + model at the offsets of
//                                  lib/image/flash_layout.h (firmware/README.md "Flash layouts")
#include <CLI/CLI.hpp>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "image/flash_layout.h"
#include "image/crc32.h"
#include "image/image.h"
#include "kernels/activation.h"
#include "kernels/tables.h"
#include "model/model.h"
#include "model/schema.h"
#include "pack/convert.h"
#include "pack/image_writer.h"
#include "pack/trace.h"

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
    case MetaType::kString: {
      const std::string v(reinterpret_cast<const char*>(m.value.data()), m.value.size());
      if (m.key == "vocab") {  // tokens joined by '\n': show them as a list
        size_t n = 1;
        for (char c : v) n += c == '\n';
        std::printf("%zu tokens [", n);
        size_t pos = 0;
        for (size_t i = 0; i < n; ++i) {
          const size_t nl = v.find('\n', pos);
          std::printf("%s\"%s\"", i ? ", " : "", v.substr(pos, nl - pos).c_str());
          pos = nl + 1;
        }
        std::printf("]\n");
      } else {
        std::printf("\"%s\"\n", v.c_str());
      }
      break;
    }
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
  std::printf("tensors (%u)\n  %-34s %-7s %-18s %-6s %9s %10s %s\n", img.tensor_count(), "name", "dtype", "shape", "layout",
              "bytes", "scale", "quant");
  size_t total = 0, params = 0;
  for (uint32_t i = 0; i < img.tensor_count(); ++i) {
    const TensorView t = img.tensor(i);
    std::string shape;
    for (int d = 0; d < t.ndim; ++d) shape += (d ? "x" : "") + std::to_string(t.dims[d]);
    std::string layout = std::to_string(t.layout);
    kernels::S8Matrix m;
    Error e;
    if (t.layout == kLayoutO16K4 && kernels::s8_matrix_view(t.data, t.bytes, &m, e) == EARSHOT_OK) {
      // Packed blob: show its segments and count its int8 weights.
      layout = "o16k4";
      shape = std::to_string(m.rows) + "x" + std::to_string(m.cols[0]) + (m.nseg == 2 ? "+" + std::to_string(m.cols[1]) : "");
      params += static_cast<size_t>(m.rows) * (m.cols[0] + m.cols[1]);
    } else if (t.dtype == DType::kInt8) {
      params += t.elements();
    }
    std::printf("  %-34s %-7s %-18s %-6s %9u %10.3g %s\n", std::string(t.name).c_str(), dtype_name(t.dtype), shape.c_str(),
                layout.c_str(), t.bytes, t.scale,
                t.quant_index == kNoQuant ? "-" : std::string(img.tensor(t.quant_index).name).c_str());
    total += t.bytes;
  }
  std::printf("tensor data %zu bytes, %zu int8 weights\n", total, params);
  ModelHparams hp;
  ModelTensors mt;
  Error err;
  if (model_schema_open(img, hp, mt, err) == EARSHOT_OK) {
    std::printf("model %s \"%.*s\": %u stacked frames of %u mels (hop %u samples) -> encoder %u x LSTM %u -> CTC %u;\n"
                "  decoder LSTM %u (embed %u), local attention over %u frames, advance <= %.2f frames/char,\n"
                "  onset back %u frames, <= %u chars\n",
                kModelArch, static_cast<int>(hp.name.size()), hp.name.data(), hp.stack, hp.n_mels,
                hp.frontend.hop_samples, hp.enc_layers, hp.enc_hidden, hp.vocab_size, hp.dec_hidden, hp.dec_embed,
                2 * hp.half_window + 1, hp.max_advance_q8 / 256.0, hp.onset_back, hp.max_chars);
  } else {
    std::printf("model schema: %s\n", err.message);
  }
  return 0;
}

// The C++ runtime and the Python integer reference (tools/train/intref.py) on
// the same features must write the same dump, byte for byte.
bool verify_reference(const std::string& image_path, const Loaded& buf, const std::string& feats_path) {
  Model model;
  Error err;
  if (model.open(buf.span(), err) != EARSHOT_OK) {
    std::fprintf(stderr, "earshot-pack: %s: %s\n", image_path.c_str(), err.message);
    return false;
  }
  std::vector<int16_t> feats;
  std::string why;
  trace::Trace t;
  if (!trace::load_features(feats_path, model.hparams().n_mels, feats, why) || !trace::run(model, feats, t, why)) {
    std::fprintf(stderr, "earshot-pack: --reference %s: %s\n", feats_path.c_str(), why.c_str());
    return false;
  }
  char dir[] = "/tmp/earshot-verify-XXXXXX";
  if (!mkdtemp(dir)) {
    std::fprintf(stderr, "earshot-pack: cannot make a temporary folder\n");
    return false;
  }
  const std::string cpp = std::string(dir) + "/cpp.json", py = std::string(dir) + "/py.json";
  bool ok = false;
  if (FILE* f = std::fopen(cpp.c_str(), "w")) {
    trace::write_dump(f, t);
    ok = std::fclose(f) == 0;
  }
  const char* env_ref = std::getenv("EARSHOT_INTREF");
  const std::string intref = env_ref ? env_ref : std::string(EARSHOT_SOURCE_DIR) + "/tools/train/intref.py";
  const char* env_py = std::getenv("EARSHOT_PYTHON");
  const std::string python = env_py ? env_py : "/usr/bin/python3";
  auto quote = [](const std::string& s) {
    std::string q = "'";
    for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
  };
  char self[4096];
  const ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  self[n > 0 ? n : 0] = '\0';
  const std::string cmd = quote(python) + " " + quote(intref) + " " + quote(image_path) + " " + quote(feats_path) +
                          " --dump " + quote(py) + (n > 0 ? " --pack-bin " + quote(self) : "") + " >/dev/null";
  if (ok && std::system(cmd.c_str()) != 0) {
    std::fprintf(stderr, "earshot-pack: --reference: the Python integer reference failed (%s)\n", cmd.c_str());
    ok = false;
  }
  std::string a, b;
  if (ok) {
    std::vector<uint8_t> x, y;
    ok = trace::read_file(cpp.c_str(), x) && trace::read_file(py.c_str(), y);
    a.assign(x.begin(), x.end());
    b.assign(y.begin(), y.end());
  }
  std::remove(cpp.c_str());
  std::remove(py.c_str());
  rmdir(dir);
  if (!ok) return false;
  if (a != b) {
    size_t i = 0;
    while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
    const size_t from = i > 60 ? i - 60 : 0;
    std::fprintf(stderr,
                 "earshot-pack: --reference %s: the C++ runtime and the Python integer reference differ at byte %zu:\n"
                 "  C++:    ...%s\n  Python: ...%s\n",
                 feats_path.c_str(), i, a.substr(from, 120).c_str(), b.substr(from, 120).c_str());
    return false;
  }
  std::printf("%s: --reference %s: identical to the Python integer reference (%zu encoder frames, %zu decoder steps, "
              "text \"%s\")\n",
              image_path.c_str(), feats_path.c_str(), t.ctc_tokens.size(), t.logits.size(), t.text.c_str());
  return true;
}

int verify(const std::string& path, const std::vector<std::string>& references = {}) {
  Loaded buf;
  ModelImage img;
  if (!open_image(path, buf, img)) return 1;
  ModelHparams hp;
  ModelTensors mt;
  Error err;
  if (model_schema_open(img, hp, mt, err) != EARSHOT_OK) {
    std::fprintf(stderr, "earshot-pack: %s: %s\n", path.c_str(), err.message);
    return 1;
  }
  std::printf("%s: OK (format %u.%u, model %s, %u tensors, %u bytes, CRC-32 %08x)\n", path.c_str(), kImageVersionMajor,
              img.version_minor(), kModelArch, img.tensor_count(), img.file_bytes(), img.crc());
  for (const auto& r : references)
    if (!verify_reference(path, buf, r)) return 1;
  return 0;
}

int pack_cmd(const std::string& in, const std::string& out, std::string name, const std::string& lm, bool report) {
  namespace fs = std::filesystem;
  if (name.empty()) name = fs::path(out).stem().string();
  try {
    const auto t0 = std::chrono::steady_clock::now();
    pack::PackOptions opt;
    opt.name = name;
    opt.lm = lm;
    const pack::PackReport rep = pack::pack_file(in, out, opt);
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    std::printf("%s: %zu bytes, %zu int8 weights, s_in %.5g%s, s_d %.5g, s_q %.5g%s (%.0f ms)\n", out.c_str(), rep.image_bytes,
                static_cast<size_t>(rep.int8_weights), rep.s_in, rep.input_calibrated ? " (calibrated)" : "", rep.s_d,
                rep.s_q, rep.query_calibrated ? " (calibrated)" : "", ms);
    if (rep.lm_contexts) std::printf("  character LM: order %u, %u contexts\n", rep.lm_order, rep.lm_contexts);
    if (report) {
      std::printf("  %-12s %6s %6s %10s %10s %12s %12s %12s %9s\n", "tensor", "rows", "cols", "max_err", "rms_err",
                  "max_bias_err", "scale_min", "scale_max", "rel_rms");
      for (const auto& s : rep.stats)
        std::printf("  %-12s %6d %6d %10.6f %10.6f %12.6f %12.5g %12.5g %8.3f%%\n", s.tensor.c_str(), s.rows, s.cols,
                    s.max_err, s.rms_err, s.max_bias_err, s.scale_min, s.scale_max, 100 * s.rel_rms);
      std::printf("  (max_err, rms_err: weights, in units of the row's scale; max_bias_err: in accumulator units;\n"
                  "   rel_rms: RMS dequantization error / RMS weight)\n");
    }
  } catch (const pack::PackError& e) {
    std::fprintf(stderr, "earshot-pack: %s: %s (no image written)\n", in.c_str(), e.what());
    return 1;
  } catch (const std::exception& e) {  // e.g. out of memory on a huge file
    std::fprintf(stderr, "earshot-pack: %s: %s (no image written)\n", in.c_str(), e.what());
    return 1;
  }
  return 0;
}

// The tables the integer algorithm uses, so the Python reference computes with
// these exact constants instead of regenerating them.
int tables_cmd() {
  namespace t = kernels::tables;
  auto arr = [](const auto& a) { return nlohmann::json(std::vector<int64_t>(a.begin(), a.end())); };
  nlohmann::json j;
  j["sigmoid_q15"] = arr(t::kSigmoidQ15);
  j["tanh_q15"] = arr(t::kTanhQ15);
  j["sigmoid_pairs"] = arr(t::kSigmoidPairs);
  j["tanh_pairs"] = arr(t::kTanhPairs);
  j["exp_hi_q15"] = arr(t::kExpHiQ15);
  j["exp_lo_q15"] = arr(t::kExpLoQ15);
  j["exp_cutoff_q10"] = kernels::kExpCutoffQ10;
  j["ln1p_q20"] = arr(t::kLn1pQ20);
  j["ln2_q20"] = t::kLn2Q20;
  std::printf("%s\n", j.dump().c_str());
  return 0;
}

// The board's flash file (lib/image/flash_layout.h): validates both inputs
// first, writes nothing unless everything fits, and replaces `out` atomically.
int flash_cmd(const std::string& fw_path, const std::string& model_path, const std::string& out,
              const std::string& board_name) {
  namespace fl = earshot::flash;
  const fl::Board board = board_name == "raspi2b"      ? fl::Board::kRaspi2b
                          : board_name == "mps2-an500" ? fl::Board::kMps2An500
                          : board_name == "mps3-an547" ? fl::Board::kMps3An547
                                                       : fl::Board::kVirt;
  auto fail = [&](const std::string& what) {
    std::fprintf(stderr, "earshot-pack flash: %s (no flash file written)\n", what.c_str());
    return 1;
  };
  Loaded fw, model;
  if (!load(fw_path, fw) || !load(model_path, model)) return fail("missing input");
  if (fw.span().empty()) return fail(fw_path + ": firmware file is empty");
  if (fw.span().size() >= 4 && std::memcmp(fw.span().data(), "\x7f" "ELF", 4) == 0)
    return fail(fw_path + ": is an ELF file; give the raw image earshot-fw.bin (objcopy -O binary) beside it");
  ModelImage img;
  Error err;
  if (img.open(model.span(), err) != EARSHOT_OK) return fail(model_path + ": " + err.message);
  ModelHparams hp;
  ModelTensors mt;
  if (model_schema_open(img, hp, mt, err) != EARSHOT_OK) return fail(model_path + ": " + err.message);
  if (img.file_bytes() != model.span().size())
    return fail(model_path + ": " + std::to_string(model.span().size() - img.file_bytes()) +
                " bytes after the image's end (header file_bytes " + std::to_string(img.file_bytes()) + ")");
  fl::Plan p;
  if (fl::plan(board, fw.span().size(), img.file_bytes(), p, err) != EARSHOT_OK) return fail(err.message);

  std::vector<uint8_t> file(p.file_bytes, 0);  // virt: the rest of the 64 MiB bank stays zero
  fl::Header h{};
  std::memcpy(h.magic, fl::kMagic, sizeof h.magic);
  h.version = fl::kVersion;
  h.header_bytes = fl::kHeaderBytes;
  h.board = static_cast<uint32_t>(board);
  h.file_bytes = p.file_bytes;
  h.firmware_offset = p.firmware_offset;
  h.firmware_bytes = static_cast<uint32_t>(fw.span().size());
  h.firmware_crc32 = crc32(fw.span().data(), fw.span().size());
  h.model_offset = p.model_offset;
  h.model_bytes = img.file_bytes();
  h.model_crc32 = img.crc();
  h.header_crc32 = fl::header_crc(h);
  std::memcpy(file.data() + p.firmware_offset, fw.span().data(), fw.span().size());
  std::memcpy(file.data() + p.model_offset, model.span().data(), img.file_bytes());
  std::memcpy(file.data() + p.header_offset, &h, sizeof h);
  // Read back as the firmware will.
  fl::Header back;
  if (fl::read_header(file.data(), file.size(), p.header_offset, board, back, err) != EARSHOT_OK)
    return fail(std::string("internal: ") + err.message);

  const std::string tmp = out + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f.write(reinterpret_cast<const char*>(file.data()), static_cast<std::streamsize>(file.size()));
    if (!f.good()) {
      std::remove(tmp.c_str());
      return fail(out + ": cannot write");
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, out, ec);
  if (ec) {
    std::remove(tmp.c_str());
    return fail(out + ": " + ec.message());
  }
  uint32_t base = fl::kVirtFlashAddress;
  const char* how = " (QEMU: -drive if=pflash,format=raw,unit=1,readonly=on,file=...)";
  char loader[96];
  switch (board) {
    case fl::Board::kRaspi2b:
      base = fl::kRaspi2bLoadAddress;
      how = " (kernel7.img: the Pi's boot loader loads it at 0x8000)";
      break;
    case fl::Board::kMps2An500:
    case fl::Board::kMps3An547:
      base = board == fl::Board::kMps2An500 ? fl::kMps2An500FlashAddress : fl::kMps3An547FlashAddress;
      std::snprintf(loader, sizeof loader, " (QEMU: -device loader,file=...,addr=0x%08x,force-raw=on)",
                    static_cast<unsigned>(base));
      how = loader;
      break;
    default:
      break;
  }
  std::printf("%s: %s flash layout, %u bytes%s\n"
              "  header    @ 0x%08x (address 0x%08x), %u bytes, CRC-32 %08x\n"
              "  firmware  @ 0x%08x (address 0x%08x), %u bytes, CRC-32 %08x\n"
              "  model     @ 0x%08x (address 0x%08x), %u bytes, CRC-32 %08x, %u tensors\n",
              out.c_str(), fl::board_name(h.board), p.file_bytes,
              how,
              p.header_offset, base + p.header_offset, fl::kHeaderBytes, h.header_crc32, p.firmware_offset,
              base + p.firmware_offset, h.firmware_bytes, h.firmware_crc32, p.model_offset, base + p.model_offset,
              h.model_bytes, h.model_crc32, img.tensor_count());
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
  auto* ver = app.add_subcommand("verify", "Validate an image and its model schema; non-zero exit and a message naming any defect");
  ver->add_option("image", file, "Model image (.esm)")->required();
  std::vector<std::string> references;
  ver->add_option("--reference", references,
                  "Features (.npy int16 frames x mels, as 'earshot features -o' writes): the C++ runtime must give the "
                  "Python integer reference's (tools/train/intref.py) tokens and logits byte for byte; repeatable")
      ->check(CLI::ExistingFile);
  std::string out, name, lm;
  bool report = false;
  auto* pk = app.add_subcommand("pack", "Quantize a float checkpoint (safetensors from tools/train/export.py) into an image");
  pk->add_option("checkpoint", file, "Checkpoint (.safetensors)")->required();
  pk->add_option("-o,--output", out, "Image to write (.esm); written only if everything checks out")->required();
  pk->add_option("--name", name, "model.name (default: the output file's stem)");
  pk->add_option("--lm", lm, "Character language model to include (tools/train/charlm.py; lib/model/MODEL.md \"Character LM\")");
  pk->add_flag("--report", report, "Print per-tensor quantization error statistics");
  bool json = false;
  auto* tb = app.add_subcommand("tables", "Print the kernels' compile-time tables");
  tb->add_flag("--json", json, "As JSON (the only format)")->required();
  std::string fw_file, model_file, board = "virt";
  auto* fl = app.add_subcommand("flash", "Lay out a board's flash file: firmware + model (firmware/README.md \"Flash layouts\")");
  fl->add_option("--firmware", fw_file, "Raw firmware image (build/firmware-<board>/earshot-fw.bin)")->required();
  fl->add_option("--model", model_file, "Model image (.esm); fully verified first")->required();
  fl->add_option("-o,--output", out, "Flash file to write (virt: 64 MiB pflash bank; raspi2b: kernel7.img)")->required();
  fl->add_option("--board", board, "virt (default), raspi2b, mps2-an500 (Cortex-M7) or mps3-an547 (Cortex-M55)")
      ->check(CLI::IsMember({"virt", "raspi2b", "mps2-an500", "mps3-an547"}));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (ins->parsed()) return inspect(file);
  if (ver->parsed()) return verify(file, references);
  if (pk->parsed()) return pack_cmd(file, out, name, lm, report);
  if (tb->parsed()) return tables_cmd();
  if (fl->parsed()) return flash_cmd(fw_file, model_file, out, board);
  return 2;
}
