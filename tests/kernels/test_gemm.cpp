// s8 GEMM family: packing, every ISA == scalar reference (bit-exact), and the
// reference == exact integer products + requantization rule within 0.5 of
// the real-valued acc * mult / 2^shift.
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "kernel_test_util.h"
#include "kernels/s8-gemm/s8_gemm.h"

using namespace earshot;
using namespace earshot::kernels;

namespace {

struct Problem {
  int32_t rows = 0, nseg = 1, cols[2] = {0, 0}, batch = 1;
  std::vector<int8_t> w[2];
  std::vector<int32_t> bias, mult, shift;
  std::vector<uint8_t> blob_raw;
  uint8_t* blob = nullptr;
  size_t blob_size = 0;
  S8Matrix m;

  // Weights/inputs random with extremes; per-row scales chosen so outputs
  // span the int16 (or int8) range with some saturation.
  Problem(ktest::Rng& g, int32_t r, int32_t c0, int32_t c1, OutType out, bool extreme_rq = false) : rows(r) {
    nseg = c1 > 0 ? 2 : 1;
    cols[0] = c0;
    cols[1] = c1;
    for (int s = 0; s < nseg; ++s) {
      w[s].resize(static_cast<size_t>(r) * cols[s]);
      for (auto& v : w[s]) v = g.s8(-127, 127);
    }
    if (r > 2)  // one row all +127 and one all -127: largest accumulators
      for (int s = 0; s < nseg; ++s)
        for (int32_t k = 0; k < cols[s]; ++k) {
          w[s][k] = 127;
          w[s][static_cast<size_t>(cols[s]) + k] = -127;
        }
    bias.resize(r);
    mult.resize(r);
    shift.resize(r);
    const double K = c0 + c1;
    const double target = out == OutType::s8 ? 100.0 : 25000.0;
    for (int32_t o = 0; o < r; ++o) {
      bias[o] = g.uniform(-2000000, 2000000);
      const double scale = target / (std::sqrt(K) * 74.0 * 74.0 * 1.5) * (0.5 + (g.next() >> 8) / double(1 << 24));
      const int32_t sh = 20 + g.uniform(0, 16);
      mult[o] = static_cast<int32_t>(std::min(2147483647.0, std::round(scale * std::ldexp(1.0, sh))));
      shift[o] = sh;
      if (extreme_rq) {
        const uint32_t k = g.next() % 6;
        if (k == 0) { mult[o] = 2147483647; shift[o] = 1; }        // saturates
        if (k == 1) { mult[o] = 0; shift[o] = 1 + g.uniform(0, 61); }
        if (k == 2) { mult[o] = 2147483647; shift[o] = 62; }
        if (k == 3) { mult[o] = 1 << 30; shift[o] = 31; }          // 0.5: exact halves round up
        if (k == 4) { mult[o] = g.uniform(1, 2147483647); shift[o] = g.uniform(1, 62); }
      }
    }
    S8MatrixSource src;
    src.rows = r;
    src.nseg = nseg;
    src.cols[0] = c0;
    src.cols[1] = c1;
    src.w[0] = w[0].data();
    src.w[1] = nseg == 2 ? w[1].data() : nullptr;
    src.bias = bias.data();
    src.mult = mult.data();
    src.shift = shift.data();
    blob_size = s8_matrix_packed_size(r, c0, c1);
    blob_raw.assign(blob_size + 128, 0);
    // 4-byte but not 64-byte aligned: the kernels must not assume more.
    blob = blob_raw.data() + ((64 - reinterpret_cast<uintptr_t>(blob_raw.data()) % 64) % 64) + 4 * (1 + g.uniform(0, 14));
    Error err;
    REQUIRE(s8_matrix_pack(src, blob, blob_size, err) == EARSHOT_OK);
    REQUIRE(s8_matrix_view(blob, blob_size, &m, err) == EARSHOT_OK);
  }
};

struct Inputs {
  ptrdiff_t stride[2] = {0, 0};
  std::vector<ktest::Buf<int8_t>> x;
  Inputs(ktest::Rng& g, const Problem& p, int32_t batch) {
    for (int s = 0; s < p.nseg; ++s) {
      stride[s] = p.cols[s] + g.uniform(0, 9);
      x.emplace_back(static_cast<size_t>(stride[s]) * batch, g.uniform(0, 63));
      for (ptrdiff_t i = 0; i < stride[s] * batch; ++i) x.back()[i] = g.s8();
    }
  }
  S8GemmArgs args(const Problem& p, int32_t batch, OutType out, void* y, ptrdiff_t y_stride) {
    S8GemmArgs a;
    a.batch = batch;
    for (int s = 0; s < p.nseg; ++s) {
      a.x[s] = x[s].data();
      a.x_stride[s] = stride[s];
    }
    a.out_type = out;
    a.y = y;
    a.y_stride = y_stride;
    return a;
  }
};

size_t elt(OutType t) { return t == OutType::s32 ? 4 : t == OutType::s16 ? 2 : 1; }

// Runs one ISA into a guarded, misaligned buffer; returns its bytes.
std::vector<uint8_t> run(Isa isa, Problem& p, Inputs& in, int32_t batch, OutType out, ptrdiff_t y_stride, size_t y_off) {
  const size_t bytes = static_cast<size_t>(y_stride) * batch * elt(out);
  ktest::Buf<uint8_t> y(bytes, y_off, 0xA5);
  std::vector<uint8_t> scratch(s8_gemm_scratch_size(p.cols[0], p.cols[1], batch));
  s8_gemm_with(isa, p.m, in.args(p, batch, out, y.data(), y_stride), scratch.data());
  // Gaps between batch rows and bytes after the end keep their fill.
  for (int32_t b = 0; b < batch; ++b)
    for (size_t i = static_cast<size_t>(p.rows) * elt(out); i < static_cast<size_t>(y_stride) * elt(out); ++i)
      if (y[b * y_stride * elt(out) + i] != 0xA5) FAIL("gap byte " << i << " of batch row " << b << " written");
  for (size_t i = bytes; i < bytes + 32; ++i)
    if (y[i] != 0xA5) FAIL("byte " << i - bytes << " past the end written");
  return std::vector<uint8_t>(y.data(), y.data() + bytes);
}

const char* out_name(OutType t) { return t == OutType::s32 ? "s32" : t == OutType::s16 ? "s16" : "s8"; }

}  // namespace

TEST_CASE("kernel s8 pack rejects bad input and bad blobs with a message") {
  std::vector<int8_t> w(4 * 8, 1);
  std::vector<int32_t> mult(4, 1 << 20), shift(4, 20);
  S8MatrixSource src;
  src.rows = 4;
  src.cols[0] = 8;
  src.w[0] = w.data();
  src.mult = mult.data();
  src.shift = shift.data();
  std::vector<uint8_t> blob(s8_matrix_packed_size(4, 8) + 64);
  uint8_t* b = blob.data() + (64 - reinterpret_cast<uintptr_t>(blob.data()) % 64) % 64;
  Error err;
  REQUIRE(s8_matrix_pack(src, b, s8_matrix_packed_size(4, 8), err) == EARSHOT_OK);
  S8Matrix m;
  REQUIRE(s8_matrix_view(b, s8_matrix_packed_size(4, 8), &m, err) == EARSHOT_OK);
  CHECK(m.rows == 4);
  CHECK(m.cols[0] == 8);
  CHECK(s8_matrix_view(b, s8_matrix_packed_size(4, 8) - 1, &m, err) == EARSHOT_ERR_BAD_MODEL);
  CHECK(std::strstr(err.message, "needs") != nullptr);
  b[64 + 16 * 16] ^= 1;  // corrupt bias_u8 of row 0
  CHECK(s8_matrix_view(b, s8_matrix_packed_size(4, 8), &m, err) == EARSHOT_ERR_BAD_MODEL);
  b[0] = 'X';
  CHECK(s8_matrix_view(b, s8_matrix_packed_size(4, 8), &m, err) == EARSHOT_ERR_BAD_MODEL);
  CHECK(std::strstr(err.message, "tag") != nullptr);
  w[5] = -128;
  CHECK(s8_matrix_pack(src, b, s8_matrix_packed_size(4, 8), err) == EARSHOT_ERR_INVALID_ARGUMENT);
  CHECK(std::strstr(err.message, "-128") != nullptr);
  w[5] = 0;
  shift[2] = 63;
  CHECK(s8_matrix_pack(src, b, s8_matrix_packed_size(4, 8), err) == EARSHOT_ERR_INVALID_ARGUMENT);
  shift[2] = 20;
  CHECK(s8_matrix_pack(src, b, s8_matrix_packed_size(4, 8) - 64, err) == EARSHOT_ERR_MEMORY_TOO_SMALL);
  src.cols[0] = kS8MaxCols + 1;
  CHECK(s8_matrix_pack(src, b, blob.size(), err) == EARSHOT_ERR_INVALID_ARGUMENT);
}

TEST_CASE("kernel s8 pack round-trips and the layout is o16k4") {
  ktest::Rng g(7);
  Problem p(g, 37, 13, 6, OutType::s16);
  for (int s = 0; s < 2; ++s) {
    std::vector<int8_t> back(static_cast<size_t>(p.rows) * p.cols[s]);
    s8_matrix_unpack(p.m, s, back.data());
    CHECK(back == p.w[s]);
  }
  // W[o][k] of segment 0 at ((o/16)*k4 + k/4)*64 + (o%16)*4 + k%4.
  CHECK(p.m.w[0][((20 / 16) * p.m.k4[0] + 9 / 4) * 64 + (20 % 16) * 4 + 9 % 4] == p.w[0][20 * 13 + 9]);
  CHECK(p.m.rows_padded == 48);
}

TEST_CASE("kernel s8 reference equals exact integer math and the rounding rule") {
  ktest::Rng g(11);
  const OutType outs[] = {OutType::s32, OutType::s16, OutType::s8};
  for (int trial = 0; trial < 24; ++trial) {
    const OutType out = outs[trial % 3];
    const int32_t rows = g.uniform(1, 70), c0 = g.uniform(1, 90), c1 = trial % 2 ? g.uniform(1, 40) : 0;
    const int32_t batch = g.uniform(1, 3);
    Problem p(g, rows, c0, c1, out, trial % 4 == 3);
    Inputs in(g, p, batch);
    const auto y = run(Isa::scalar, p, in, batch, out, rows, 0);
    for (int32_t b = 0; b < batch; ++b)
      for (int32_t o = 0; o < rows; ++o) {
        int64_t acc = p.bias[o];
        for (int s = 0; s < p.nseg; ++s)
          for (int32_t k = 0; k < p.cols[s]; ++k)
            acc += int64_t(p.w[s][static_cast<size_t>(o) * p.cols[s] + k]) * in.x[s][b * in.stride[s] + k];
        const size_t i = static_cast<size_t>(b) * rows + o;
        if (out == OutType::s32) {
          int32_t v;
          std::memcpy(&v, &y[i * 4], 4);
          REQUIRE(v == acc);
          continue;
        }
        // Real value, then saturate; the reference rounds half up: within 0.5.
        const double real = double(acc) * std::ldexp(double(p.mult[o]), -p.shift[o]);
        const double lo = out == OutType::s16 ? -32768 : -128, hi = out == OutType::s16 ? 32767 : 127;
        const double want = std::min(hi, std::max(lo, real));
        double got;
        if (out == OutType::s16) {
          int16_t v;
          std::memcpy(&v, &y[i * 2], 2);
          got = v;
        } else {
          got = static_cast<int8_t>(y[i]);
        }
        REQUIRE(std::fabs(got - want) <= 0.5 + 1e-6);
        if (real - std::floor(real) == 0.5 && real > lo && real < hi) REQUIRE(got == std::floor(real) + 1);
      }
  }
}

TEST_CASE("kernel s8 gemm: every ISA equals the scalar reference bit for bit") {
  ktest::Rng g(2024);
  const int32_t row_set[] = {1, 2, 7, 15, 16, 17, 31, 32, 33, 48, 63, 64, 65, 100, 127, 129, 256};
  const int32_t col_set[] = {1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 120, 128, 129, 256, 257};
  const OutType outs[] = {OutType::s16, OutType::s8, OutType::s32};
  int runs = 0;
  ktest::for_each_simd_isa([&](Isa isa) {
    const std::string isa_s = isa_name(isa);
    CAPTURE(isa_s);
    for (int trial = 0; trial < 60; ++trial) {
      const int32_t rows = row_set[g.next() % (sizeof row_set / 4)];
      const int32_t c0 = col_set[g.next() % (sizeof col_set / 4)];
      const int32_t c1 = trial % 3 == 0 ? col_set[g.next() % (sizeof col_set / 4)] : 0;
      const int32_t batch = trial < 40 ? 1 + trial % 8 : g.uniform(9, 19);
      const OutType out = outs[trial % 3];
      CAPTURE(rows);
      CAPTURE(c0);
      CAPTURE(c1);
      CAPTURE(batch);
      const std::string out_s = out_name(out);
      CAPTURE(out_s);
      Problem p(g, rows, c0, c1, out, trial % 5 == 4);
      Inputs in(g, p, batch);
      const ptrdiff_t y_stride = rows + g.uniform(0, 5);
      const size_t y_off = g.uniform(0, 63);
      REQUIRE(run(isa, p, in, batch, out, y_stride, y_off) == run(Isa::scalar, p, in, batch, out, y_stride, 0));
      ++runs;
    }
  });
  MESSAGE("s8 gemm: " << runs << " random shapes compared");
}

TEST_CASE("kernel s8 gemm: model shapes and all-extreme inputs") {
  ktest::Rng g(99);
  struct S { int32_t r, c0, c1; } shapes[] = {{1024, 120, 256}, {1024, 256, 256}, {30, 256, 0}, {256, 256, 0}};
  ktest::for_each_simd_isa([&](Isa isa) {
    const std::string isa_s = isa_name(isa);
    CAPTURE(isa_s);
    for (const S& s : shapes)
      for (int8_t xv : {int8_t(-128), int8_t(127)}) {
        Problem p(g, s.r, s.c0, s.c1, OutType::s16);
        for (int k = 0; k < p.nseg; ++k) CHECK(p.m.cols[k] == (k ? s.c1 : s.c0));
        Inputs in(g, p, 2);
        for (auto& buf : in.x)
          for (size_t i = 0; i < buf.capacity(); ++i) buf[i] = xv;
        for (OutType out : {OutType::s16, OutType::s8, OutType::s32})
          REQUIRE(run(isa, p, in, 2, out, s.r, 3) == run(Isa::scalar, p, in, 2, out, s.r, 0));
      }
  });
}

TEST_CASE("kernel s8 gemm: plain entry point follows isa_force") {
  ktest::Rng g(5);
  Problem p(g, 40, 50, 0, OutType::s16);
  Inputs in(g, p, 1);
  const auto ref = run(Isa::scalar, p, in, 1, OutType::s16, 40, 0);
  Error err;
  const Isa before = isa_active();
  for (int i = 0; i < kIsaCount; ++i) {
    const Isa isa = static_cast<Isa>(i);
    if (!isa_supported(isa)) {
      CHECK(isa_force(isa, err) == EARSHOT_ERR_INVALID_ARGUMENT);
      continue;
    }
    REQUIRE(isa_force(isa, err) == EARSHOT_OK);
    CHECK(isa_active() == isa);
    std::vector<int16_t> y(40);
    std::vector<uint8_t> scratch(s8_gemm_scratch_size(50, 0, 1));
    s8_gemm(p.m, in.args(p, 1, OutType::s16, y.data(), 40), scratch.data());
    CHECK(std::memcmp(y.data(), ref.data(), 80) == 0);
  }
  REQUIRE(isa_force(before, err) == EARSHOT_OK);
}
