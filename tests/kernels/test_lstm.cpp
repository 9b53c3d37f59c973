// Fused LSTM step: every ISA == scalar reference (bit-exact, over steps and
// batches), and the reference within stated bounds of a double model.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "kernel_test_util.h"
#include "kernels/lstm-step/lstm_step.h"

using namespace earshot;
using namespace earshot::kernels;

namespace {

struct Layer {
  int32_t I, H;
  std::vector<int8_t> wx, wh;
  std::vector<int32_t> bias, mult, shift;
  std::vector<uint8_t> raw;
  LstmLayer view;
  // gate_scale: typical |pre-activation| in real units (8 saturates Q12).
  Layer(ktest::Rng& g, int32_t i, int32_t h, double gate_scale = 3.0) : I(i), H(h) {
    wx.resize(static_cast<size_t>(4) * H * I);
    wh.resize(static_cast<size_t>(4) * H * H);
    for (auto& v : wx) v = g.s8(-127, 127);
    for (auto& v : wh) v = g.s8(-127, 127);
    bias.resize(4 * H);
    mult.resize(4 * H);
    shift.resize(4 * H);
    const double acc_std = std::sqrt(double(I + H)) * 74.0 * 74.0;
    for (int32_t r = 0; r < 4 * H; ++r) {
      bias[r] = g.uniform(-300000, 300000);
      const double s = gate_scale * 4096.0 / acc_std * (0.5 + (g.next() >> 8) / double(1 << 24));
      shift[r] = 24;
      mult[r] = static_cast<int32_t>(std::round(s * std::ldexp(1.0, 24)));
    }
    LstmSource src;
    src.input_size = I;
    src.hidden_size = H;
    src.wx = wx.data();
    src.wh = wh.data();
    src.bias = bias.data();
    src.mult = mult.data();
    src.shift = shift.data();
    const size_t n = lstm_packed_size(I, H);
    raw.assign(n + 64, 0);
    uint8_t* b = raw.data() + (64 - reinterpret_cast<uintptr_t>(raw.data()) % 64) % 64;
    Error err;
    REQUIRE(lstm_pack(src, b, n, err) == EARSHOT_OK);
    REQUIRE(lstm_view(b, n, &view, err) == EARSHOT_OK);
  }
};

struct State {
  std::vector<int8_t> x, h8;
  std::vector<int16_t> c16, h16;
  ptrdiff_t x_stride;
  State(ktest::Rng& g, const Layer& l, int32_t batch) : x_stride(l.I + g.uniform(0, 5)) {
    x.resize(static_cast<size_t>(x_stride) * batch);
    h8.resize(static_cast<size_t>(l.H) * batch);
    c16.resize(static_cast<size_t>(l.H) * batch);
    h16.assign(static_cast<size_t>(l.H) * batch, 0);
    for (auto& v : x) v = g.s8();
    for (auto& v : h8) v = g.s8();
    for (auto& v : c16) v = static_cast<int16_t>(g.next() % 8 == 0 ? (g.next() & 1 ? 32767 : -32768) : g.uniform(-20000, 20000));
  }
  // One step in place (h8 aliases h8_prev: allowed).
  void step(Isa isa, const Layer& l, int32_t batch) {
    std::vector<uint8_t> scratch(lstm_scratch_size(l.I, l.H, batch));
    LstmStepArgs a;
    a.batch = batch;
    a.x = x.data();
    a.x_stride = x_stride;
    a.h8_prev = h8.data();
    a.c16 = c16.data();
    a.h16 = h16.data();
    a.h8 = h8.data();
    lstm_step_with(isa, l.view, a, scratch.data());
  }
};

}  // namespace

TEST_CASE("kernel lstm: every ISA equals the scalar reference bit for bit") {
  ktest::Rng g(31);
  struct S { int32_t I, H, batch; double scale; } shapes[] = {
      {120, 256, 1, 3.0}, {256, 256, 1, 3.0}, {120, 256, 3, 12.0}, {7, 5, 1, 3.0}, {13, 17, 2, 6.0},
      {33, 31, 9, 3.0},   {1, 1, 1, 3.0},     {64, 48, 4, 40.0},  {121, 63, 1, 0.5}};
  int compared = 0;
  ktest::for_each_simd_isa([&](Isa isa) {
    const std::string isa_s = isa_name(isa);
    CAPTURE(isa_s);
    for (const S& s : shapes) {
      CAPTURE(s.I);
      CAPTURE(s.H);
      CAPTURE(s.batch);
      Layer l(g, s.I, s.H, s.scale);
      State ref(g, l, s.batch);
      State got = ref;
      for (int t = 0; t < 4; ++t) {  // a short sequence: state feeds back
        ref.step(Isa::scalar, l, s.batch);
        got.step(isa, l, s.batch);
        REQUIRE(got.c16 == ref.c16);
        REQUIRE(got.h16 == ref.h16);
        REQUIRE(got.h8 == ref.h8);
        for (auto& v : ref.x) v = g.s8();
        got.x = ref.x;
        ++compared;
      }
    }
  });
  MESSAGE("lstm: " << compared << " steps compared");
}

TEST_CASE("kernel lstm: reference within bounds of a double model") {
  ktest::Rng g(77);
  double ec = 0, eh = 0, e8 = 0;
  for (int trial = 0; trial < 6; ++trial) {
    Layer l(g, trial % 2 ? 120 : 37, trial % 2 ? 256 : 29, trial < 4 ? 3.0 : 10.0);
    State s(g, l, 2);
    const State before = s;
    s.step(Isa::scalar, l, 2);
    const int32_t H = l.H;
    for (int32_t b = 0; b < 2; ++b)
      for (int32_t j = 0; j < H; ++j) {
        double gate[4];
        for (int q = 0; q < 4; ++q) {
          const int32_t r = q * H + j;
          double acc = l.bias[r];
          for (int32_t k = 0; k < l.I; ++k) acc += double(l.wx[size_t(r) * l.I + k]) * before.x[b * before.x_stride + k];
          for (int32_t k = 0; k < H; ++k) acc += double(l.wh[size_t(r) * H + k]) * before.h8[b * H + k];
          gate[q] = std::clamp(acc * std::ldexp(double(l.mult[r]), -l.shift[r]) / 4096.0, -8.0, 32767 / 4096.0);
        }
        auto sig = [](double v) { return 1 / (1 + std::exp(-v)); };
        const double c = std::clamp(sig(gate[1]) * before.c16[b * H + j] / 2048.0 + sig(gate[0]) * std::tanh(gate[2]),
                                    -16.0, 32767 / 2048.0);
        const double h = sig(gate[3]) * std::tanh(std::clamp(c, -8.0, 8.0));
        ec = std::max(ec, std::fabs(s.c16[b * H + j] - c * 2048));
        eh = std::max(eh, std::fabs(s.h16[b * H + j] - h * 32768));
        e8 = std::max(e8, std::fabs(s.h8[b * H + j] - h * 128));
      }
  }
  MESSAGE("lstm vs double: c " << ec << " Q11 LSB, h16 " << eh << " Q15 LSB, h8 " << e8 << " Q7 LSB");
  CHECK(ec <= 4.0);   // NUMERICS.md
  CHECK(eh <= 40.0);
  CHECK(e8 <= 1.0);   // 0.5 rounding + h16 error / 256, and h = 1.0 saturating to 127
}

TEST_CASE("kernel lstm: pack and view check the shape") {
  ktest::Rng g(1);
  Layer l(g, 10, 6);
  CHECK(l.view.input_size == 10);
  CHECK(l.view.hidden_size == 6);
  CHECK(l.view.gates.rows == 24);
  // A plain one-segment matrix is not an LSTM layer.
  std::vector<int8_t> w(24 * 10, 1);
  std::vector<int32_t> m(24, 1), sh(24, 1);
  S8MatrixSource src;
  src.rows = 24;
  src.cols[0] = 10;
  src.w[0] = w.data();
  src.mult = m.data();
  src.shift = sh.data();
  std::vector<uint8_t> blob(s8_matrix_packed_size(24, 10));
  Error err;
  REQUIRE(s8_matrix_pack(src, blob.data(), blob.size(), err) == EARSHOT_OK);
  LstmLayer v;
  CHECK(lstm_view(blob.data(), blob.size(), &v, err) == EARSHOT_ERR_BAD_MODEL);
}
