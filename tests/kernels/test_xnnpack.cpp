// XNNPACK backend: bounded difference from the reference kernels (it is not
// bit-exact by design; xnn_backend.h states the bounds checked here).
#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "kernel_test_util.h"
#include "kernels/lstm-step/lstm_step.h"
#include "kernels/s8-gemm/s8_gemm.h"
#include "kernels/xnnpack/xnn_backend.h"

using namespace earshot;
using namespace earshot::kernels;

namespace {

struct Mat {
  std::vector<int8_t> w;
  std::vector<int32_t> bias, mult, shift;
  std::vector<uint8_t> blob;
  S8Matrix m;
  Mat(ktest::Rng& g, int32_t rows, int32_t c0, int32_t c1, double target) {
    w.resize(static_cast<size_t>(rows) * (c0 + c1));
    for (auto& v : w) v = g.s8(-127, 127);
    bias.resize(rows);
    mult.resize(rows);
    shift.resize(rows);
    for (int32_t o = 0; o < rows; ++o) {
      bias[o] = g.uniform(-100000, 100000);
      shift[o] = 24;
      mult[o] = static_cast<int32_t>(target / (std::sqrt(double(c0 + c1)) * 5476.0) * (0.5 + (g.next() % 1000) / 1000.0) *
                                     std::ldexp(1.0, 24));
    }
    // Segment-wise row-major copies.
    std::vector<int8_t> w0(static_cast<size_t>(rows) * c0), w1(static_cast<size_t>(rows) * c1);
    for (int32_t o = 0; o < rows; ++o)
      for (int32_t k = 0; k < c0 + c1; ++k)
        (k < c0 ? w0[static_cast<size_t>(o) * c0 + k] : w1[static_cast<size_t>(o) * c1 + k - c0]) = w[static_cast<size_t>(o) * (c0 + c1) + k];
    S8MatrixSource src;
    src.rows = rows;
    src.nseg = c1 ? 2 : 1;
    src.cols[0] = c0;
    src.cols[1] = c1;
    src.w[0] = w0.data();
    src.w[1] = c1 ? w1.data() : nullptr;
    src.bias = bias.data();
    src.mult = mult.data();
    src.shift = shift.data();
    blob.resize(s8_matrix_packed_size(rows, c0, c1));
    Error err;
    REQUIRE(s8_matrix_pack(src, blob.data(), blob.size(), err) == EARSHOT_OK);
    REQUIRE(s8_matrix_view(blob.data(), blob.size(), &m, err) == EARSHOT_OK);
  }
};

}  // namespace

TEST_CASE("kernel xnnpack: s8 and s16 outputs within the stated bounds") {
  Error err;
  if (!xnn::init(err)) {
    MESSAGE("skipped: " << err.message);
    return;
  }
  ktest::Rng g(12);
  struct S { int32_t rows, c0, c1, batch; } shapes[] = {{1024, 120, 256, 1}, {30, 256, 0, 1}, {77, 33, 0, 5}, {256, 256, 0, 8}};
  for (const S& s : shapes)
    for (OutType out : {OutType::s8, OutType::s16}) {
      Mat mat(g, s.rows, s.c0, s.c1, out == OutType::s8 ? 120.0 : 30000.0);
      std::vector<int8_t> x0(static_cast<size_t>(s.c0) * s.batch), x1(static_cast<size_t>(s.c1) * s.batch + 1);
      for (auto& v : x0) v = g.s8();
      for (auto& v : x1) v = g.s8();
      S8GemmArgs a;
      a.batch = s.batch;
      a.x[0] = x0.data();
      a.x_stride[0] = s.c0;
      a.x[1] = s.c1 ? x1.data() : nullptr;
      a.x_stride[1] = s.c1;
      a.out_type = out;
      const size_t n = static_cast<size_t>(s.rows) * s.batch;
      std::vector<int16_t> ref16(n), got16(n);
      std::vector<int8_t> ref8(n), got8(n);
      a.y = out == OutType::s8 ? static_cast<void*>(ref8.data()) : ref16.data();
      a.y_stride = s.rows;
      std::vector<uint8_t> scratch(s8_gemm_scratch_size(s.c0, s.c1, s.batch));
      s8_gemm_with(Isa::scalar, mat.m, a, scratch.data());
      xnn::Fc* fc = nullptr;
      REQUIRE(xnn::fc_create(mat.m, out, &fc, err) == EARSHOT_OK);
      std::vector<uint8_t> xs(xnn::fc_scratch_size(mat.m, s.batch));
      a.y = out == OutType::s8 ? static_cast<void*>(got8.data()) : got16.data();
      REQUIRE(xnn::fc_run(fc, a, xs.data(), err) == EARSHOT_OK);
      REQUIRE(xnn::fc_run(fc, a, xs.data(), err) == EARSHOT_OK);  // second run: cached setup
      xnn::fc_destroy(fc);
      int worst = 0, differ = 0;
      for (size_t i = 0; i < n; ++i) {
        const int r = out == OutType::s8 ? ref8[i] : ref16[i], v = out == OutType::s8 ? got8[i] : got16[i];
        const int bound = out == OutType::s8 ? 1 : (std::abs(r) <= 32512 ? 129 : 255);
        REQUIRE(std::abs(r - v) <= bound);
        worst = std::max(worst, std::abs(r - v));
        differ += r != v;
      }
      MESSAGE(s.rows << "x" << s.c0 + s.c1 << " batch " << s.batch << std::string(out == OutType::s8 ? " s8" : " s16") << ": max |diff| "
                     << worst << ", " << differ << " of " << n << " differ");
    }
}

TEST_CASE("kernel xnnpack: LSTM step stays close to the reference") {
  Error err;
  if (!xnn::init(err)) {
    MESSAGE("skipped: " << err.message);
    return;
  }
  ktest::Rng g(13);
  const int32_t I = 120, H = 256;
  std::vector<int8_t> wx(4 * H * I), wh(4 * H * H);
  for (auto& v : wx) v = g.s8(-127, 127);
  for (auto& v : wh) v = g.s8(-127, 127);
  std::vector<int32_t> bias(4 * H), mult(4 * H), shift(4 * H, 24);
  for (int32_t r = 0; r < 4 * H; ++r) {
    bias[r] = g.uniform(-100000, 100000);
    mult[r] = static_cast<int32_t>(3.0 * 4096 / (std::sqrt(double(I + H)) * 5476.0) * std::ldexp(1.0, 24));
  }
  LstmSource src;
  src.input_size = I;
  src.hidden_size = H;
  src.wx = wx.data();
  src.wh = wh.data();
  src.bias = bias.data();
  src.mult = mult.data();
  src.shift = shift.data();
  std::vector<uint8_t> blob(lstm_packed_size(I, H));
  REQUIRE(lstm_pack(src, blob.data(), blob.size(), err) == EARSHOT_OK);
  LstmLayer layer;
  REQUIRE(lstm_view(blob.data(), blob.size(), &layer, err) == EARSHOT_OK);
  xnn::Lstm* xl = nullptr;
  REQUIRE(xnn::lstm_create(layer, &xl, err) == EARSHOT_OK);
  std::vector<int8_t> x(I), h_ref(H, 0), h_x(H, 0);
  std::vector<int16_t> c_ref(H, 0), c_x(H, 0);
  std::vector<uint8_t> s_ref(lstm_scratch_size(I, H, 1)), s_x(xnn::lstm_scratch_size(layer, 1));
  int worst_h = 0, worst_c = 0;
  for (int step = 0; step < 20; ++step) {
    for (auto& v : x) v = g.s8();
    LstmStepArgs a;
    a.x = x.data();
    a.x_stride = I;
    a.h8_prev = h_ref.data();
    a.c16 = c_ref.data();
    a.h8 = h_ref.data();
    lstm_step_with(Isa::scalar, layer, a, s_ref.data());
    // Same input, the backend's own state (teacher-forced on x only).
    a.h8_prev = h_x.data();
    a.c16 = c_x.data();
    a.h8 = h_x.data();
    REQUIRE(xnn::lstm_run(xl, a, s_x.data(), err) == EARSHOT_OK);
    for (int32_t j = 0; j < H; ++j) {
      worst_h = std::max(worst_h, std::abs(h_ref[j] - h_x[j]));
      worst_c = std::max(worst_c, std::abs(c_ref[j] - c_x[j]));
    }
  }
  xnn::lstm_destroy(xl);
  MESSAGE("xnnpack lstm, 20 steps free-running: max |h8 diff| " << worst_h << " Q7, max |c diff| " << worst_c << " Q11");
  CHECK(worst_h <= 16);   // stated bound (xnn_backend.h): 16/128 = 0.125 on h
  CHECK(worst_c <= 512);  // 0.25 on c
}
