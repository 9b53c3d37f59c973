// Corruption sweeps over a whole model image (a tiny random-weight model from
// random_image.h, 42 KB), through Model::open and a short recognition.
// test_image.cpp sweeps a small container image through the image reader and
// test_defects.cpp names each schema defect; this file checks the pair on a
// real model, byte by byte:
//
//   - every single-byte flip and every truncation is rejected
//     (EARSHOT_ERR_BAD_MODEL, a message) -- the CRC and the size checks see them;
//   - the same flips with the CRC repaired (as a buggy packer, or an attacker,
//     would write them; the CRC cannot see these) and truncations with
//     file_bytes and CRC rewritten to match reach the section, schema and blob
//     checks: each is rejected with a message, or the model opens and a short
//     greedy or beam recognition runs on it without touching memory outside the
//     image or the arena (ASan in host-debug; guard bytes around the arena and
//     an unchanged image in every build).
//
// The image lies at the very end of its allocation, so reading one byte past
// it is a heap overflow ASan reports. Under a sanitizer or qemu-user (10-20x
// slower) the sweeps keep every byte before the tensor data and the first 128
// bytes of each tensor (blob headers, biases), and a stride elsewhere; the
// plain host build sweeps every byte (about 20 s of CPU).
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "doctest.h"
#include "harness.h"
#include "image/crc32.h"
#include "image/image.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define EARSHOT_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define EARSHOT_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#endif

using namespace earshot;
using namespace earshot::test;

namespace {

#if defined(EARSHOT_CORRUPTION_STRIDE)  // set by CMake for cross builds (qemu-user is 10-20x slower)
constexpr size_t kStride = EARSHOT_CORRUPTION_STRIDE;
#elif defined(EARSHOT_SANITIZED)
constexpr size_t kStride = 17;
#else
constexpr size_t kStride = 1;
#endif

// A 16-byte aligned copy of `b` that ends exactly where the accessible memory
// ends: the allocation is rounded up to 16 and the tail poisoned under ASan.
class ExactImage {
 public:
  explicit ExactImage(const std::vector<uint8_t>& b) : size_(b.size()) {
    const size_t alloc = (size_ + 15) / 16 * 16 + 16;
    mem_ = static_cast<uint8_t*>(std::aligned_alloc(16, alloc));
    REQUIRE(mem_ != nullptr);
    if (size_) std::memcpy(mem_, b.data(), size_);
#if defined(__SANITIZE_ADDRESS__)
    ASAN_POISON_MEMORY_REGION(mem_ + size_, alloc - size_);
#endif
    alloc_ = alloc;
  }
  ~ExactImage() {
#if defined(__SANITIZE_ADDRESS__)
    ASAN_UNPOISON_MEMORY_REGION(mem_, alloc_);
#endif
    std::free(mem_);
  }
  ExactImage(const ExactImage&) = delete;
  ExactImage& operator=(const ExactImage&) = delete;
  std::span<const uint8_t> span() const { return {mem_, size_}; }

 private:
  uint8_t* mem_ = nullptr;
  size_t size_ = 0, alloc_ = 0;
};

void fix_crc(std::vector<uint8_t>& b) {
  const uint32_t c = crc32(b.data(), b.size() - 4);
  std::memcpy(b.data() + b.size() - 4, &c, 4);
}

void put_u64(std::vector<uint8_t>& b, size_t at, uint64_t v) { std::memcpy(b.data() + at, &v, 8); }

constexpr size_t kGuard = 64;
constexpr uint8_t kGuardByte = 0xC3;

// What happened to one variant.
struct Verdict {
  bool opened = false;
  std::string problem;  // "" when the variant behaved
};

// Opens the variant; if it opens, recognizes `pcm` with greedy (beam = 0) or
// beam search in an exact arena between guard bytes, then checks the guards,
// the image and the result.
Verdict check_variant(const std::vector<uint8_t>& bytes, const std::vector<int16_t>& pcm, uint32_t beam) {
  Verdict v;
  ExactImage img(bytes);
  Model m;
  Error err;
  if (m.open(img.span(), err) != EARSHOT_OK) {
    if (err.status != EARSHOT_ERR_BAD_MODEL) v.problem = "rejected with status " + std::to_string(err.status);
    else if (err.message[0] == '\0') v.problem = "rejected without a message";
    return v;
  }
  v.opened = true;
  RecognizerConfig cfg;
  cfg.beam = beam;
  const size_t need = Recognizer::arena_size(m, cfg, err);
  if (need == 0) return v;  // a config the model cannot take is an error, not a crash
  std::vector<uint8_t> arena(need + 2 * kGuard, kGuardByte);
  Recognizer* r = Recognizer::create(m, cfg, arena.data() + kGuard, need, err);
  if (!r) return v;
  // Errors from push/finish are acceptable answers; only the memory matters.
  if (r->push(pcm.data(), pcm.size(), err) == EARSHOT_OK && r->finish(err) == EARSHOT_OK) {
    const RecognizerResult res = r->result();
    if (std::strlen(res.text) != res.num_tokens) v.problem = "text length differs from num_tokens";
    if (res.num_tokens > m.hparams().max_chars) v.problem = "more characters than max_chars";
  }
  for (size_t i = 0; i < kGuard; ++i)
    if (arena[i] != kGuardByte || arena[kGuard + need + i] != kGuardByte) {
      v.problem = "wrote outside the arena";
      break;
    }
  if (std::memcmp(img.span().data(), bytes.data(), bytes.size()) != 0) v.problem = "wrote into the image";
  return v;
}

// Offsets a sweep visits: all of them in a plain build; under a sanitizer every
// byte before the tensor data and at the start of each tensor, a stride elsewhere.
std::vector<size_t> sweep_offsets(const std::vector<uint8_t>& good) {
  std::vector<bool> dense(good.size(), kStride == 1);
  AlignedBytes b(good);
  ModelImage img;
  Error err;
  REQUIRE(img.open(b.span(), err) == EARSHOT_OK);
  size_t data_start = good.size();
  for (uint32_t t = 0; t < img.tensor_count(); ++t) {
    const size_t at = static_cast<size_t>(img.tensor(t).data - b.span().data());
    data_start = std::min(data_start, at);
    for (size_t k = at; k < std::min(at + 128, good.size()); ++k) dense[k] = true;
  }
  for (size_t k = 0; k < data_start; ++k) dense[k] = true;
  for (size_t k = good.size() - 8; k < good.size(); ++k) dense[k] = true;  // data end, CRC
  std::vector<size_t> out;
  for (size_t k = 0; k < good.size(); ++k)
    if (dense[k] || k % kStride == 0) out.push_back(k);
  return out;
}

const RandomModelSpec& spec() {
  static const RandomModelSpec s = RandomModelSpec::tiny();
  return s;
}

// Half a second of speech: the random model's CTC onset and a few decoder steps.
std::vector<int16_t> short_speech() {
  const auto s = golden_pcm("speech");
  return std::vector<int16_t>(s.begin(), s.begin() + std::min<size_t>(s.size(), 8000));
}

}  // namespace

TEST_CASE("model image: every single-byte flip is rejected, and every truncation") {
  const std::vector<uint8_t> good = random_model_image(spec());
  const auto pcm = short_speech();
  REQUIRE(check_variant(good, pcm, 0).opened);
  const auto offsets = sweep_offsets(good);
  size_t bad = 0, truncations = 0;
  for (size_t k : offsets) {
    std::vector<uint8_t> b = good;
    b[k] ^= static_cast<uint8_t>(1u << (k % 8));  // one bit, a different one at each offset
    const Verdict v = check_variant(b, pcm, 0);
    if (v.opened || !v.problem.empty()) {
      if (++bad <= 10) FAIL_CHECK("flip at " << k << (v.opened ? ": opened" : ": ") << v.problem);
    }
  }
  for (size_t len = 0; len < good.size(); len += (len < 4096 ? 1 : kStride), ++truncations) {
    const Verdict v = check_variant(std::vector<uint8_t>(good.begin(), good.begin() + static_cast<long>(len)), pcm, 0);
    if (v.opened || !v.problem.empty()) {
      if (++bad <= 10) FAIL_CHECK("truncation to " << len << (v.opened ? ": opened" : ": ") << v.problem);
    }
  }
  CHECK(bad == 0);
  MESSAGE("image " << good.size() << " bytes: " << offsets.size() << " flips and " << truncations
                    << " truncations, all rejected");
}

TEST_CASE("model image: flips behind a repaired CRC are rejected or recognize within bounds") {
  const std::vector<uint8_t> good = random_model_image(spec());
  const auto pcm = short_speech();
  const auto offsets = sweep_offsets(good);
  size_t opened = 0, rejected = 0, bad = 0;
  for (size_t k : offsets) {
    if (k >= good.size() - 4) continue;  // the CRC itself: repairing it undoes the flip
    // One change per byte: every third one inverts the byte (sign and high
    // bits of a field at once), the others flip one bit, a different one at
    // each offset. Each costs two CRCs of the image (repair, then open's check).
    const uint8_t mask = k % 3 == 0 ? uint8_t{0xFF} : static_cast<uint8_t>(1u << (k % 8));
    std::vector<uint8_t> b = good;
    b[k] ^= mask;
    fix_crc(b);
    // Greedy and beam in turn: both decoders see corrupt weights and constants.
    const Verdict v = check_variant(b, pcm, k % 2 ? 3 : 0);
    (v.opened ? opened : rejected)++;
    if (!v.problem.empty() && ++bad <= 10) FAIL_CHECK("flip " << int(mask) << " at " << k << ": " << v.problem);
  }
  CHECK(bad == 0);
  CHECK(rejected > 0);  // the schema and blob checks did see some
  CHECK(opened > 0);    // and weight bytes (which nothing can check) did run
  MESSAGE(offsets.size() << " offsets: " << rejected << " rejected, " << opened
                         << " opened and recognized within bounds");
}

TEST_CASE("model image: truncations with file_bytes and CRC rewritten to match are rejected or stay in bounds") {
  const std::vector<uint8_t> good = random_model_image(spec());
  const auto pcm = short_speech();
  size_t opened = 0, rejected = 0, bad = 0;
  // Every length (multiple of 4, as the CRC sits 4-aligned) through the header,
  // metadata and table, then a stride through the tensor data: rewriting the
  // CRC costs O(length), so every length would be O(n^2).
  for (size_t len = 64; len < good.size(); len += (len < 8192 ? 4 : 4 * 61 * kStride)) {
    std::vector<uint8_t> b(good.begin(), good.begin() + static_cast<long>(len));
    put_u64(b, 16, len);  // header file_bytes (FORMAT.md)
    fix_crc(b);
    const Verdict v = check_variant(b, pcm, 0);
    (v.opened ? opened : rejected)++;
    if ((v.opened || !v.problem.empty()) && ++bad <= 10)
      FAIL_CHECK("truncation to " << len << (v.opened ? ": opened" : ": ") << v.problem);
  }
  // The data section ends at file_bytes - 4 and every tensor's range is
  // checked against it, so no consistent truncation can open.
  CHECK(bad == 0);
  MESSAGE(rejected << " consistent truncations, all rejected");
}
