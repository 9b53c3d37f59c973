#include "pack/trace.h"

#include <cstring>

#include "model/recognizer.h"

namespace earshot::trace {
namespace {

// The vocabulary is printable ASCII (schema): only '"' and '\\' need escapes.
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

struct Collect {
  uint32_t H = 0, V = 0;
  Trace* t = nullptr;
};

}  // namespace

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

bool run(const Model& model, const std::vector<int16_t>& feats, Trace& out, std::string& why) {
  Error err;
  out = Trace{};
  std::vector<uint8_t> arena(Recognizer::arena_size(model, {}, err));
  Recognizer* rec = Recognizer::create(model, {}, arena.data(), arena.size(), err);
  if (!rec) return why = err.message, false;
  Collect c{model.hparams().enc_hidden, model.hparams().vocab_size, &out};
  rec->set_encoder_observer(
      [](void* u, const EncoderFrameInfo& f) {
        auto* c = static_cast<Collect*>(u);
        c->t->ctc_tokens.push_back(f.ctc_token);
        const auto n1 = static_cast<uint32_t>(f.frame + 1);
        for (uint32_t k = 0; k < c->H; ++k)  // wraps mod 2^32 like the reference's % 2**32
          c->t->checksum += n1 * (k + 1) * static_cast<uint32_t>(static_cast<int32_t>(f.output[k]));
      },
      &c);
  rec->set_decoder_observer(
      [](void* u, const DecoderStepInfo& s) {
        auto* c = static_cast<Collect*>(u);
        c->t->logits.emplace_back(s.logits, s.logits + c->V);
      },
      &c);
  if (rec->push_features(feats.data(), feats.size() / model.hparams().n_mels, err) != EARSHOT_OK ||
      rec->finish(err) != EARSHOT_OK)
    return why = err.message, false;
  const RecognizerResult r = rec->result();
  out.onset = r.onset;
  out.tokens.assign(r.tokens, r.tokens + r.num_tokens);
  out.text = r.text;
  return true;
}

void write_dump(FILE* f, const Trace& t) {
  std::fprintf(f, "{\"ctc_tokens\": ");
  write_list(f, t.ctc_tokens);
  if (t.onset >= 0) std::fprintf(f, ", \"onset\": %lld", static_cast<long long>(t.onset));
  else std::fprintf(f, ", \"onset\": null");
  std::fprintf(f, ", \"tokens\": ");
  write_list(f, t.tokens);
  std::fprintf(f, ", \"text\": ");
  write_string(f, t.text.c_str());
  std::fprintf(f, ", \"dec_logits\": [");
  for (size_t s = 0; s < t.logits.size(); ++s) {
    if (s) std::fprintf(f, ", ");
    write_list(f, t.logits[s]);
  }
  std::fprintf(f, "], \"enc_checksum\": %lu}\n", static_cast<unsigned long>(t.checksum));
}

}  // namespace earshot::trace
