#include <algorithm>
#include <cstdlib>
#include <new>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "doctest.h"
#include "frontend/frontend.h"
#include "frontend/reference.h"
#include "signals.h"

using namespace earshot;

// Counts heap allocations so a test can prove the streaming path makes none.
static size_t g_allocations = 0;
void* operator new(size_t n) {
  ++g_allocations;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

namespace {

struct Fe {
  std::vector<uint64_t> mem;
  Frontend fe;
  explicit Fe(const FrontendConfig& c = {}) : mem(Frontend::memory_size(c) / 8 + 1) {
    Error err;
    REQUIRE(fe.init(c, mem.data(), mem.size() * 8, err) == EARSHOT_OK);
  }
  std::vector<int16_t> run(const std::vector<int16_t>& x) {
    fe.reset();
    std::vector<int16_t> out((x.size() / fe.config().hop_samples + 1) * fe.num_features());
    size_t n = frontend_run(fe, x, out);
    out.resize(n * fe.num_features());
    return out;
  }
};

std::vector<int16_t> load_pcm(const char* path) {
  std::vector<int16_t> v;
  if (FILE* f = std::fopen(path, "rb")) {
    unsigned char b[2];
    while (std::fread(b, 1, 2, f) == 2) v.push_back(static_cast<int16_t>(b[0] | (b[1] << 8)));
    std::fclose(f);
  }
  REQUIRE_MESSAGE(!v.empty(), "cannot read " << path);
  return v;
}

struct ErrStats {
  double max_abs = 0, sum_abs = 0;
  size_t n = 0;
};

// Compares integer features (Q8 dB) with the reference, over bands that lie
// within `range_db` of the frame's loudest band (quieter bands are below the
// model's noise floor in any real recording and only matter as "quiet").
ErrStats compare(const std::vector<int16_t>& q, const std::vector<double>& ref, size_t mels, double range_db) {
  REQUIRE(q.size() == ref.size());
  ErrStats s;
  for (size_t f = 0; f < q.size() / mels; ++f) {
    double top = -1e9;
    for (size_t m = 0; m < mels; ++m) top = std::max(top, ref[f * mels + m]);
    for (size_t m = 0; m < mels; ++m) {
      const double r = ref[f * mels + m];
      if (r < top - range_db) continue;
      const double e = std::fabs(q[f * mels + m] / 256.0 - r);
      s.max_abs = std::max(s.max_abs, e);
      s.sum_abs += e;
      ++s.n;
    }
  }
  return s;
}

}  // namespace

TEST_CASE("log2_q16 is within 1e-4 of log2 over the whole uint64 range") {
  testsig::Lcg g{7};
  double worst = 0;
  for (int i = 0; i < 200000; ++i) {
    const uint64_t hi = g.next(), lo = g.next();
    const int shift = g.next() % 64;
    const uint64_t x = ((hi << 32) | lo) >> shift;
    if (!x) continue;
    const double e = std::fabs(log2_q16(x) / 65536.0 - std::log2(static_cast<double>(x)));
    worst = std::max(worst, e);
  }
  for (uint64_t x : {1ull, 2ull, 3ull, 1ull << 63, ~0ull}) {
    worst = std::max(worst, std::fabs(log2_q16(x) / 65536.0 - std::log2(static_cast<double>(x))));
  }
  CHECK(worst < 1e-4);
  CHECK(log2_q16(1) == 0);
  CHECK(log2_q16(1ull << 40) == 40 * 65536);
}

TEST_CASE("fixed-point FFT returns DFT/N") {
  const uint32_t n = 512;
  std::vector<uint64_t> mem(RealFft::memory_size(n) / 8 + 1);
  RealFft fft;
  REQUIRE(fft.init(n, mem.data(), mem.size() * 8));
  std::vector<int32_t> x(n);
  testsig::Lcg g{3};
  for (auto& v : x) v = g.uniform(-(1 << 30), 1 << 30);
  std::vector<Complex32> y(n / 2 + 1);
  fft.forward(x.data(), y.data());
  double worst = 0;
  for (uint32_t k = 0; k <= n / 2; k += 7) {
    double re = 0, im = 0;
    for (uint32_t t = 0; t < n; ++t) {
      const double ph = 2 * M_PI * ((k * t) % n) / n;
      re += x[t] * std::cos(ph);
      im -= x[t] * std::sin(ph);
    }
    worst = std::max({worst, std::fabs(re / n - y[k].re), std::fabs(im / n - y[k].im)});
  }
  // Rounding at each of the stages: a few LSB out of 2^30.
  CHECK(worst < 8.0);
}

TEST_CASE("streaming: any chunking gives bit-identical features") {
  auto x = testsig::chirp(16000 * 3, 100, 7000, 8000);
  auto n = testsig::noise(x.size(), 300, 11);
  for (size_t i = 0; i < x.size(); ++i) x[i] = testsig::clip16(x[i] + n[i]);
  Fe whole;
  const auto expect = whole.run(x);
  REQUIRE(expect.size() == ((x.size() - 400) / 160 + 1) * 40);

  testsig::Lcg g{99};
  for (int trial = 0; trial < 20; ++trial) {
    Fe fe;
    std::vector<int16_t> got, feat(40);
    size_t pos = 0;
    const uint32_t max_chunk = trial < 5 ? 3 : trial < 10 ? 500 : 40000;
    while (pos < x.size()) {
      size_t len = std::min<size_t>(x.size() - pos, 1 + g.next() % max_chunk);
      std::span<const int16_t> chunk(x.data() + pos, len);
      pos += len;
      while (!chunk.empty()) {
        chunk = chunk.subspan(fe.fe.push(chunk));
        while (fe.fe.pop(feat)) got.insert(got.end(), feat.begin(), feat.end());
      }
    }
    CHECK(got == expect);
  }
}

TEST_CASE("error against the double-precision reference") {
  const FrontendConfig cfg{};
  ReferenceFrontend ref(cfg);
  Fe fe(cfg);
  struct Case {
    const char* name;
    std::vector<int16_t> x;
    double max_db;   // bound on |int - ref| over bands within 60 dB of the frame peak
    double mean_db;
  };
  std::vector<Case> cases = {
      {"tone 440 Hz -6 dBFS", testsig::tone(8000, 440, 16384), 0.02, 0.005},
      {"tone 3 kHz full scale", testsig::tone(8000, 3000, 32767), 0.02, 0.005},
      {"chirp quiet (-60 dBFS)", testsig::chirp(8000, 50, 7900, 33), 0.02, 0.005},
      {"white noise", testsig::noise(8000, 20000, 5), 0.02, 0.005},
      {"low noise (+-2 LSB)", testsig::noise(8000, 2, 6), 0.02, 0.005},
      {"square 500 Hz full scale", testsig::square(8000, 500), 0.02, 0.005},
      {"clipping noise full scale", testsig::clipped_noise(8000, 8), 0.02, 0.005},
      {"silence", std::vector<int16_t>(8000, 0), 0.0, 0.0},
      {"speech (golden)", load_pcm(EARSHOT_GOLDEN_DIR "/speech.pcm"), 0.1, 0.005},
  };
  for (auto& c : cases) {
    const auto q = fe.run(c.x);
    const auto r = ref.run(c.x);
    const ErrStats s = compare(q, r, cfg.num_mels, 60.0);
    const ErrStats all = compare(q, r, cfg.num_mels, 90.0);
    MESSAGE(std::string(c.name) << ": within 60 dB of peak max " << s.max_abs << " dB, mean " << s.sum_abs / s.n
                                << " dB (" << s.n << " bands); within 90 dB max " << all.max_abs << " dB");
    CHECK(all.max_abs <= 0.5);
    CHECK(s.n > 0);
    CHECK(s.max_abs <= c.max_db);
    CHECK(s.sum_abs / s.n <= c.mean_db);
  }
}

TEST_CASE("full-scale input does not overflow: features stay at the reference level") {
  Fe fe;
  for (auto x : {testsig::square(4000, 1000), testsig::clipped_noise(4000, 1)}) {
    const auto q = fe.run(x);
    ReferenceFrontend ref({});
    const auto r = ref.run(x);
    const ErrStats s = compare(q, r, 40, 60.0);
    CHECK(s.max_abs < 0.02);
    // Loudest possible band is below 89.2 dB (Parseval), far from the int16 limit.
    CHECK(*std::max_element(q.begin(), q.end()) < 90 * 256);
  }
}

TEST_CASE("no heap allocation after init") {
  Fe fe;
  const auto x = testsig::chirp(16000, 100, 7000, 9000);
  int16_t feat[40];
  const size_t before = g_allocations;
  std::span<const int16_t> rest(x);
  size_t frames = 0;
  while (!rest.empty()) {
    rest = rest.subspan(fe.fe.push(rest.first(std::min<size_t>(rest.size(), 77))));
    while (fe.fe.pop(feat)) ++frames;
  }
  CHECK(frames == 98);
  CHECK(g_allocations == before);
}

TEST_CASE("digital silence gives the floor") {
  Fe fe;
  const auto q = fe.run(std::vector<int16_t>(4000, 0));
  REQUIRE(!q.empty());
  for (auto v : q) CHECK(v == FrontendConfig{}.floor_db_q8);
}

TEST_CASE("config validation names the field") {
  Error err;
  FrontendConfig c;
  c.fft_size = 500;
  CHECK(validate(c, err) == EARSHOT_ERR_INVALID_ARGUMENT);
  CHECK(std::string(err.message).find("fft_size") != std::string::npos);
  c = {};
  c.num_mels = 128;
  c.fft_size = 256;
  c.window_samples = 256;
  std::vector<uint64_t> mem(Frontend::memory_size(c) / 8 + 1);
  Frontend fe;
  CHECK(fe.init(c, mem.data(), mem.size() * 8, err) == EARSHOT_ERR_INVALID_ARGUMENT);
  CHECK(std::string(err.message).find("covers no FFT bin") != std::string::npos);
  c = {};
  CHECK(fe.init(c, mem.data(), 100, err) == EARSHOT_ERR_MEMORY_TOO_SMALL);
}
