// earshot-random-image: writes a random-weight `earshot-las-v1` image built
// from MODEL.md (random_image.h), for the C API test, parity runs and demos.
//
//   earshot-random-image [--config tiny|target] [--seed N] [--eos-bias X] [--blank-bias X]
//                        [--max-chars N] -o OUT.esm
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "random_image.h"

int main(int argc, char** argv) {
  using earshot::test::RandomModelSpec;
  RandomModelSpec spec = RandomModelSpec::tiny();
  const char* out = nullptr;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const char* v = i + 1 < argc ? argv[i + 1] : nullptr;
    if (a == "-o" && v) out = argv[++i];
    else if (a == "--config" && v) {
      const std::string c = argv[++i];
      if (c == "tiny") spec = RandomModelSpec::tiny();
      else if (c == "target") spec = RandomModelSpec::target();
      else { std::fprintf(stderr, "earshot-random-image: unknown config '%s' (tiny, target)\n", c.c_str()); return 2; }
    } else if (a == "--seed" && v) spec.seed = std::strtoull(argv[++i], nullptr, 10);
    else if (a == "--eos-bias" && v) spec.eos_bias = std::atof(argv[++i]);
    else if (a == "--blank-bias" && v) spec.blank_bias = std::atof(argv[++i]);
    else if (a == "--max-chars" && v) spec.max_chars = static_cast<uint32_t>(std::atoi(argv[++i]));
    else {
      std::fprintf(stderr,
                   "usage: earshot-random-image [--config tiny|target] [--seed N] [--eos-bias X] [--blank-bias X] "
                   "[--max-chars N] -o OUT.esm\n");
      return 2;
    }
  }
  if (!out) { std::fprintf(stderr, "earshot-random-image: -o OUT.esm is required\n"); return 2; }
  const auto img = earshot::test::random_model_image(spec);
  FILE* f = std::fopen(out, "wb");
  if (!f || std::fwrite(img.data(), 1, img.size(), f) != img.size() || std::fclose(f) != 0) {
    std::fprintf(stderr, "earshot-random-image: cannot write %s\n", out);
    return 1;
  }
  std::printf("{\"output\": \"%s\", \"bytes\": %zu, \"parameters\": %llu}\n", out, img.size(),
              static_cast<unsigned long long>(earshot::test::parameter_count(spec)));
  return 0;
}
