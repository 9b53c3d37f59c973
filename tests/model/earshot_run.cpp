// earshot-run: the C++ runtime on a features file, for parity with the Python
// integer reference (tools/train/intref.py writes the same JSON).
//
//   earshot-run MODEL.esm FEATS.npy [--dump OUT.json] [--isa scalar|avx2|...]
//
// FEATS: .npy int16 frames x n_mels (as `earshot features` writes), or raw
// s16le. The features go straight into the recognizer (push_features), past
// the front-end. The dump (tools/pack/trace.h):
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
#include "pack/image_writer.h"
#include "pack/trace.h"

using namespace earshot;

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
  if (!trace::read_file(model_path, raw)) { std::fprintf(stderr, "earshot-run: cannot read %s\n", model_path); return 1; }
  AlignedBytes image(raw);
  Model model;
  Error err;
  if (model.open(image.span(), err) != EARSHOT_OK) {
    std::fprintf(stderr, "earshot-run: %s: %s\n", model_path, err.message);
    return 1;
  }
  std::vector<int16_t> feats;
  std::string why;
  if (!trace::load_features(feat_path, model.hparams().n_mels, feats, why)) {
    std::fprintf(stderr, "earshot-run: %s: %s\n", feat_path, why.c_str());
    return 1;
  }
  trace::Trace t;
  if (!trace::run(model, feats, t, why)) {
    std::fprintf(stderr, "earshot-run: %s\n", why.c_str());
    return 1;
  }
  FILE* f = stdout;
  if (dump_path && !(f = std::fopen(dump_path, "w"))) {
    std::fprintf(stderr, "earshot-run: cannot write %s\n", dump_path);
    return 1;
  }
  trace::write_dump(f, t);
  if (f != stdout && std::fclose(f) != 0) {
    std::fprintf(stderr, "earshot-run: cannot write %s\n", dump_path);
    return 1;
  }
  if (dump_path) {  // a one-line summary, like intref.py's
    std::printf("{\"text\": \"%s\", \"onset\": ", t.text.c_str());
    if (t.onset >= 0) std::printf("%lld", static_cast<long long>(t.onset));
    else std::printf("null");
    std::printf(", \"steps\": %zu, \"encoder_frames\": %zu, \"enc_checksum\": %lu}\n", t.logits.size(),
                t.ctc_tokens.size(), static_cast<unsigned long>(t.checksum));
  }
  return 0;
}
