// earshot-run: the C++ runtime on a features file, for parity with the Python
// integer reference (tools/train/intref.py writes the same JSON).
//
//   earshot-run MODEL.esm FEATS.npy [--dump OUT.json] [--isa scalar|avx2|...]
//
// FEATS: .npy int16 frames x n_mels (as `earshot features` writes), or raw
// s16le. The features go straight into the recognizer (push_features), past
// the front-end. The dump:
//   {"ctc_tokens": [per encoder frame argmax], "onset": n0 or null, "tokens": [...],
//    "text": "...", "dec_logits": [[V int16] per decoder step],
//    "enc_checksum": sum over n,k of (n+1)(k+1) e[n][k] mod 2^32}
// Exit status: 0 ok, 1 bad input (message on stderr), 2 usage.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "kernels/isa.h"
#include "model/model.h"
#include "model/recognizer.h"
#include "pack/image_writer.h"

namespace {

using namespace earshot;

bool read_file(const char* path, std::vector<uint8_t>& out) {
  FILE* f = std::fopen(path, "rb");
  if (!f) return false;
  uint8_t buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.insert(out.end(), buf, buf + n);
  const bool ok = !std::ferror(f);
  std::fclose(f);
  return ok;
}

// .npy (version 1-3, '<i2', C order, 2-D with n_mels columns) or raw s16le.
bool load_features(const std::string& path, uint32_t n_mels, std::vector<int16_t>& feats, std::string& why) {
  std::vector<uint8_t> b;
  if (!read_file(path.c_str(), b)) return why = "cannot read " + path, false;
  size_t data_at = 0, rows = 0;
  if (b.size() >= 10 && std::memcmp(b.data(), "\x93NUMPY", 6) == 0) {
    const uint8_t major = b[6];
    size_t hlen = 0, hstart = 0;
    if (major == 1) { hlen = b[8] | (b[9] << 8); hstart = 10; }
    else if (major == 2 || major == 3) {
      if (b.size() < 12) return why = "truncated .npy header", false;
      hlen = b[8] | (b[9] << 8) | (size_t(b[10]) << 16) | (size_t(b[11]) << 24);
      hstart = 12;
    } else return why = "unsupported .npy version", false;
    if (hstart + hlen > b.size()) return why = "truncated .npy header", false;
    const std::string h(reinterpret_cast<const char*>(b.data() + hstart), hlen);
    if (h.find("'descr': '<i2'") == std::string::npos) return why = "features must be int16 ('<i2'): " + h, false;
    if (h.find("'fortran_order': False") == std::string::npos) return why = "features must be C order", false;
    const size_t s = h.find("'shape': (");
    if (s == std::string::npos) return why = "no shape in .npy header", false;
    unsigned long r = 0, c = 0;
    if (std::sscanf(h.c_str() + s, "'shape': (%lu, %lu)", &r, &c) != 2 || c != n_mels) {
      char msg[96];
      std::snprintf(msg, sizeof msg, "features must be frames x %u", n_mels);
      return why = msg, false;
    }
    rows = r;
    data_at = hstart + hlen;
  } else {
    if (b.size() % (2 * n_mels)) return why = "raw features are not frames x n_mels int16", false;
    rows = b.size() / (2 * n_mels);
  }
  if (b.size() - data_at < rows * n_mels * 2) return why = "features file truncated", false;
  feats.resize(rows * n_mels);
  std::memcpy(feats.data(), b.data() + data_at, feats.size() * 2);  // hosts are little-endian
  return true;
}

struct Dump {
  uint32_t H = 0, V = 0;
  std::vector<int32_t> ctc_tokens;
  uint32_t checksum = 0;
  std::vector<std::vector<int16_t>> logits;
};

// The vocabulary is printable ASCII (schema): only '"' and '\' need escapes.
void write_string(FILE* f, const char* s) {
  std::fputc('"', f);
  for (; *s; ++s) {
    if (*s == '"' || *s == '\\') std::fputc('\\', f);
    std::fputc(*s, f);
  }
  std::fputc('"', f);
}

template <typename T>
void write_list(FILE* f, const std::vector<T>& v) {
  std::fputc('[', f);
  for (size_t i = 0; i < v.size(); ++i) std::fprintf(f, i ? ", %ld" : "%ld", static_cast<long>(v[i]));
  std::fputc(']', f);
}

}  // namespace

int main(int argc, char** argv) {
  const char* model_path = nullptr;
  const char* feat_path = nullptr;
  const char* dump_path = nullptr;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--dump") && i + 1 < argc) dump_path = argv[++i];
    else if (!std::strcmp(argv[i], "--isa") && i + 1 < argc) {
      kernels::Isa isa;
      Error err;
      if (!kernels::isa_parse(argv[++i], &isa) || kernels::isa_force(isa, err) != EARSHOT_OK) {
        std::fprintf(stderr, "earshot-run: ISA '%s' is not available here\n", argv[i]);
        return 2;
      }
    } else if (!model_path) model_path = argv[i];
    else if (!feat_path) feat_path = argv[i];
    else model_path = nullptr, i = argc;
  }
  if (!model_path || !feat_path) {
    std::fprintf(stderr, "usage: earshot-run MODEL.esm FEATS.npy [--dump OUT.json] [--isa LEVEL]\n");
    return 2;
  }
  std::vector<uint8_t> raw;
  if (!read_file(model_path, raw)) { std::fprintf(stderr, "earshot-run: cannot read %s\n", model_path); return 1; }
  AlignedBytes image(raw);
  Model model;
  Error err;
  if (model.open(image.span(), err) != EARSHOT_OK) {
    std::fprintf(stderr, "earshot-run: %s: %s\n", model_path, err.message);
    return 1;
  }
  std::vector<int16_t> feats;
  std::string why;
  if (!load_features(feat_path, model.hparams().n_mels, feats, why)) {
    std::fprintf(stderr, "earshot-run: %s: %s\n", feat_path, why.c_str());
    return 1;
  }

  std::vector<uint8_t> arena(Recognizer::arena_size(model, {}, err));
  Recognizer* rec = Recognizer::create(model, {}, arena.data(), arena.size(), err);
  if (!rec) { std::fprintf(stderr, "earshot-run: %s\n", err.message); return 1; }
  Dump d;
  d.H = model.hparams().enc_hidden;
  d.V = model.hparams().vocab_size;
  rec->set_encoder_observer(
      [](void* u, const EncoderFrameInfo& f) {
        auto* d = static_cast<Dump*>(u);
        d->ctc_tokens.push_back(f.ctc_token);
        const auto n1 = static_cast<uint32_t>(f.frame + 1);
        for (uint32_t k = 0; k < d->H; ++k)  // wraps mod 2^32 like the reference's % 2**32
          d->checksum += n1 * (k + 1) * static_cast<uint32_t>(static_cast<int32_t>(f.output[k]));
      },
      &d);
  rec->set_decoder_observer(
      [](void* u, const DecoderStepInfo& s) {
        auto* d = static_cast<Dump*>(u);
        d->logits.emplace_back(s.logits, s.logits + d->V);
      },
      &d);
  if (rec->push_features(feats.data(), feats.size() / model.hparams().n_mels, err) != EARSHOT_OK ||
      rec->finish(err) != EARSHOT_OK) {
    std::fprintf(stderr, "earshot-run: %s\n", err.message);
    return 1;
  }
  const RecognizerResult r = rec->result();

  FILE* f = stdout;
  if (dump_path && !(f = std::fopen(dump_path, "w"))) {
    std::fprintf(stderr, "earshot-run: cannot write %s\n", dump_path);
    return 1;
  }
  std::fprintf(f, "{\"ctc_tokens\": ");
  write_list(f, d.ctc_tokens);
  if (r.onset >= 0) std::fprintf(f, ", \"onset\": %lld", static_cast<long long>(r.onset));
  else std::fprintf(f, ", \"onset\": null");
  std::fprintf(f, ", \"tokens\": ");
  write_list(f, std::vector<int32_t>(r.tokens, r.tokens + r.num_tokens));
  std::fprintf(f, ", \"text\": ");
  write_string(f, r.text);
  std::fprintf(f, ", \"dec_logits\": [");
  for (size_t s = 0; s < d.logits.size(); ++s) {
    if (s) std::fprintf(f, ", ");
    write_list(f, d.logits[s]);
  }
  std::fprintf(f, "], \"enc_checksum\": %lu}\n", static_cast<unsigned long>(d.checksum));
  if (f != stdout && std::fclose(f) != 0) {
    std::fprintf(stderr, "earshot-run: cannot write %s\n", dump_path);
    return 1;
  }
  if (dump_path) {  // a one-line summary, like intref.py's
    std::printf("{\"text\": ");
    write_string(stdout, r.text);
    if (r.onset >= 0) std::printf(", \"onset\": %lld", static_cast<long long>(r.onset));
    else std::printf(", \"onset\": null");
    std::printf(", \"steps\": %zu, \"encoder_frames\": %zu, \"enc_checksum\": %lu}\n", d.logits.size(),
                d.ctc_tokens.size(), static_cast<unsigned long>(d.checksum));
  }
  return 0;
}
