// Kernel benchmark (not a test): our best ISA vs the scalar reference vs
// XNNPACK qs8 vs XNNPACK f32 on the model's shapes, in one run; plus callgrind
// instruction counts per ISA at one shape (when valgrind is installed).
//   bench-kernels [--json] [--no-callgrind]     (EARSHOT_ISA=avx2 etc. picks "ours")
// Peak: measured with a register-only loop of the best int8 instruction
// (AVX-512 VNNI vpdpbusd zmm: 64 MACs each, 12 independent chains), i.e. what
// one core sustains with both 512-bit ports busy; GMAC/s / peak = peak_fraction.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "kernels/attention/attention.h"
#include "callgrind.h"
#include "kernels/isa.h"
#include "kernels/logsoftmax/logsoftmax.h"
#include "kernels/lstm-step/lstm_step.h"
#include "kernels/s8-gemm/s8_gemm.h"
#include "signals.h"
#if defined(EARSHOT_HAVE_XNNPACK)
#include <xnnpack.h>
#endif
#if defined(__x86_64__)
#include <immintrin.h>
#endif

using namespace earshot;
using namespace earshot::kernels;
using Clock = std::chrono::steady_clock;

namespace {

volatile int32_t g_sink = 0;

// Best of 5 repetitions, each ~3 ms: least disturbed by neighbours.
double ns_per_call(const std::function<void()>& fn) {
  fn();
  int n = 1;
  for (;;) {
    const auto t0 = Clock::now();
    for (int i = 0; i < n; ++i) fn();
    const double ns = std::chrono::duration<double, std::nano>(Clock::now() - t0).count();
    if (ns > 3e6 || n >= (1 << 22)) break;
    n *= 2;
  }
  double best = 1e30;
  for (int rep = 0; rep < 5; ++rep) {
    const auto t0 = Clock::now();
    for (int i = 0; i < n; ++i) fn();
    best = std::min(best, std::chrono::duration<double, std::nano>(Clock::now() - t0).count() / n);
  }
  return best;
}

#if defined(__x86_64__)
// 12 independent vpdpbusd chains in registers (latency 4-5 cycles, 2 ports):
// enough to keep both 512-bit ports busy.
__attribute__((target("avx512f,avx512vnni"))) double vnni_peak_gmacs() {
  const long iters = 5000000;
  double best = 1e30;
  for (int rep = 0; rep < 3; ++rep) {
    long n = iters;
    const auto t0 = Clock::now();
    __asm__ volatile(
        "vpxord %%zmm30, %%zmm30, %%zmm30\n\tvpxord %%zmm31, %%zmm31, %%zmm31\n\t"
        "1:\n\t"
        "vpdpbusd %%zmm30, %%zmm31, %%zmm0\n\tvpdpbusd %%zmm30, %%zmm31, %%zmm1\n\t"
        "vpdpbusd %%zmm30, %%zmm31, %%zmm2\n\tvpdpbusd %%zmm30, %%zmm31, %%zmm3\n\t"
        "vpdpbusd %%zmm30, %%zmm31, %%zmm4\n\tvpdpbusd %%zmm30, %%zmm31, %%zmm5\n\t"
        "vpdpbusd %%zmm30, %%zmm31, %%zmm6\n\tvpdpbusd %%zmm30, %%zmm31, %%zmm7\n\t"
        "vpdpbusd %%zmm30, %%zmm31, %%zmm8\n\tvpdpbusd %%zmm30, %%zmm31, %%zmm9\n\t"
        "vpdpbusd %%zmm30, %%zmm31, %%zmm10\n\tvpdpbusd %%zmm30, %%zmm31, %%zmm11\n\t"
        "dec %0\n\tjnz 1b\n\t"
        : "+r"(n)
        :
        : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm30",
          "xmm31", "cc");
    best = std::min(best, std::chrono::duration<double, std::nano>(Clock::now() - t0).count());
  }
  return iters * 12.0 * 64.0 / best;
}
#endif

double peak_gmacs(std::string& what) {
#if defined(__x86_64__)
  if (isa_supported(Isa::avx512vnni)) {
    what = "AVX-512 VNNI vpdpbusd zmm, register-only loop (64 MAC/instr)";
    return vnni_peak_gmacs();
  }
#endif
  what = "unknown (no peak loop for this ISA)";
  return 0;
}

struct Rand {
  testsig::Lcg g{12345};
  int8_t w() { return static_cast<int8_t>(g.uniform(-127, 127)); }
  int8_t x() { return static_cast<int8_t>(g.uniform(-128, 127)); }
};

struct Matrix {  // packed s8 matrix + the same weights row-major for XNNPACK
  int32_t rows, c0, c1;
  std::vector<int8_t> w;  // [rows][c0 + c1]
  std::vector<int32_t> bias, mult, shift;
  std::vector<uint8_t> raw;
  S8Matrix m;
  Matrix(Rand& r, int32_t rows_, int32_t c0_, int32_t c1_ = 0) : rows(rows_), c0(c0_), c1(c1_) {
    const int32_t K = c0 + c1;
    w.resize(static_cast<size_t>(rows) * K);
    for (auto& v : w) v = r.w();
    bias.assign(rows, 1000);
    shift.assign(rows, 24);
    mult.assign(rows, static_cast<int32_t>(3.0 * 4096 / (std::sqrt(double(K)) * 5476.0) * (1 << 24)));
    std::vector<int8_t> w0(static_cast<size_t>(rows) * c0), w1(static_cast<size_t>(rows) * c1);
    for (int32_t o = 0; o < rows; ++o)
      for (int32_t k = 0; k < K; ++k)
        (k < c0 ? w0[size_t(o) * c0 + k] : w1[size_t(o) * c1 + k - c0]) = w[size_t(o) * K + k];
    S8MatrixSource s;
    s.rows = rows;
    s.nseg = c1 ? 2 : 1;
    s.cols[0] = c0;
    s.cols[1] = c1;
    s.w[0] = w0.data();
    s.w[1] = c1 ? w1.data() : nullptr;
    s.bias = bias.data();
    s.mult = mult.data();
    s.shift = shift.data();
    const size_t n = s8_matrix_packed_size(rows, c0, c1);
    raw.assign(n + 64, 0);
    uint8_t* b = align64(raw.data());
    Error err;
    if (s8_matrix_pack(s, b, n, err) != EARSHOT_OK || s8_matrix_view(b, n, &m, err) != EARSHOT_OK) {
      std::fprintf(stderr, "bench-kernels: %s\n", err.message);
      std::exit(1);
    }
  }
};

struct Row {
  std::string name, shape, isa;
  double macs = 0;
  double ns_ours = -1, ns_scalar = -1, ns_xnn = -1, ns_f32 = -1;
};

#if defined(EARSHOT_HAVE_XNNPACK)
bool xnn_ready() {
  static const bool ok = xnn_initialize(nullptr) == xnn_status_success;
  return ok;
}

// XNNPACK qs8 fully-connected (per-tensor scale, as its API offers), batch B.
double xnn_qs8_fc_ns(const Matrix& mx, int32_t B) {
  if (!xnn_ready()) return -1;
  const int32_t K = mx.c0 + mx.c1;
  xnn_operator_t op = nullptr;
  const float kscale = 3.0f / (std::sqrt(float(K)) * 5476.0f);
  if (xnn_create_fully_connected_nc_qs8(K, mx.rows, K, mx.rows, 0, 1.0f, kscale, mx.w.data(), mx.bias.data(), 0,
                                        1.0f / 16, -128, 127, 0, &op) != xnn_status_success)
    return -1;
  std::vector<int8_t> x(size_t(B) * K, 3), y(size_t(B) * mx.rows);
  xnn_setup_fully_connected_nc_qs8(op, B, x.data(), y.data(), nullptr);
  const double ns = ns_per_call([&] { xnn_run_operator(op, nullptr); });
  xnn_delete_operator(op);
  return ns;
}

double xnn_f32_fc_ns(const Matrix& mx, int32_t B) {
  if (!xnn_ready()) return -1;
  const int32_t K = mx.c0 + mx.c1;
  std::vector<float> w(mx.w.begin(), mx.w.end()), b(mx.rows, 0.5f), x(size_t(B) * K, 0.25f), y(size_t(B) * mx.rows);
  xnn_operator_t op = nullptr;
  if (xnn_create_fully_connected_nc_f32(K, mx.rows, K, mx.rows, w.data(), b.data(), -INFINITY, INFINITY, 0, &op) !=
      xnn_status_success)
    return -1;
  xnn_setup_fully_connected_nc_f32(op, B, x.data(), y.data(), nullptr);
  const double ns = ns_per_call([&] { xnn_run_operator(op, nullptr); });
  xnn_delete_operator(op);
  return ns;
}

// One LSTM step composed of XNNPACK qs8 operators: concatenate [x | h], FC to
// int8 gates (scale 1/16), sigmoid(i, f), tanh(g), sigmoid(o), f*c, i*g, add,
// tanh(c), o*tanh(c) -> h8. Nine operator runs plus the concatenation copy.
double xnn_lstm_ns(const Matrix& mx, int32_t I, int32_t H) {
  if (!xnn_ready()) return -1;
  const int32_t K = I + H;
  std::vector<int8_t> x(I, 5), h(H, 3), xh(K), gates(4 * H), act(4 * H), fc(H), ig(H), c(H, 8), tc(H), hout(H);
  std::vector<xnn_operator_t> ops;
  auto ok = [&](xnn_status s) { return s == xnn_status_success; };
  xnn_operator_t fcop, sif, sg, so, mfc, mig, addc, tcop, moh;
  const float kscale = 3.0f / (std::sqrt(float(K)) * 5476.0f);
  bool good = ok(xnn_create_fully_connected_nc_qs8(K, 4 * H, K, 4 * H, 0, 1.0f / 128, kscale, mx.w.data(),
                                                     mx.bias.data(), 0, 1.0f / 16, -128, 127, 0, &fcop));
  good = good && ok(xnn_create_sigmoid_nc_qs8(2 * H, 2 * H, 2 * H, 0, 1.0f / 16, -128, 1.0f / 256, -128, 127, 0, &sif));
  good = good && ok(xnn_create_tanh_nc_qs8(H, H, H, 0, 1.0f / 16, 0, 1.0f / 128, -128, 127, 0, &sg));
  good = good && ok(xnn_create_sigmoid_nc_qs8(H, H, H, 0, 1.0f / 16, -128, 1.0f / 256, -128, 127, 0, &so));
  good = good && ok(xnn_create_multiply_nd_qs8(-128, 1.0f / 256, 0, 1.0f / 8, 0, 1.0f / 8, -128, 127, 0, &mfc));
  good = good && ok(xnn_create_multiply_nd_qs8(-128, 1.0f / 256, 0, 1.0f / 128, 0, 1.0f / 8, -128, 127, 0, &mig));
  good = good && ok(xnn_create_add_nd_qs8(0, 1.0f / 8, 0, 1.0f / 8, 0, 1.0f / 8, -128, 127, 0, &addc));
  good = good && ok(xnn_create_tanh_nc_qs8(H, H, H, 0, 1.0f / 8, 0, 1.0f / 128, -128, 127, 0, &tcop));
  good = good && ok(xnn_create_multiply_nd_qs8(-128, 1.0f / 256, 0, 1.0f / 128, 0, 1.0f / 128, -128, 127, 0, &moh));
  if (!good) {
    std::fprintf(stderr, "bench-kernels: XNNPACK LSTM composition refused\n");
    return -1;
  }
  ops = {fcop, sif, sg, so, mfc, mig, addc, tcop, moh};
  const size_t shp[1] = {static_cast<size_t>(H)};
  good = ok(xnn_setup_fully_connected_nc_qs8(fcop, 1, xh.data(), gates.data(), nullptr)) &&
         ok(xnn_setup_sigmoid_nc_qs8(sif, 1, gates.data(), act.data(), nullptr)) &&
         ok(xnn_setup_tanh_nc_qs8(sg, 1, gates.data() + 2 * H, act.data() + 2 * H, nullptr)) &&
         ok(xnn_setup_sigmoid_nc_qs8(so, 1, gates.data() + 3 * H, act.data() + 3 * H, nullptr)) &&
         ok(xnn_setup_multiply_nd_qs8(mfc, 1, shp, 1, shp, act.data() + H, c.data(), fc.data(), nullptr)) &&
         ok(xnn_setup_multiply_nd_qs8(mig, 1, shp, 1, shp, act.data(), act.data() + 2 * H, ig.data(), nullptr)) &&
         ok(xnn_setup_add_nd_qs8(addc, 1, shp, 1, shp, fc.data(), ig.data(), c.data(), nullptr)) &&
         ok(xnn_setup_tanh_nc_qs8(tcop, 1, c.data(), tc.data(), nullptr)) &&
         ok(xnn_setup_multiply_nd_qs8(moh, 1, shp, 1, shp, act.data() + 3 * H, tc.data(), hout.data(), nullptr));
  double ns = -1;
  if (good)
    ns = ns_per_call([&] {
      std::memcpy(xh.data(), x.data(), I);
      std::memcpy(xh.data() + I, h.data(), H);
      for (xnn_operator_t op : ops) xnn_run_operator(op, nullptr);
    });
  for (xnn_operator_t op : ops) xnn_delete_operator(op);
  return ns;
}

// Float LSTM step: XNNPACK f32 FC for the gates + a float cell loop.
double f32_lstm_ns(const Matrix& mx, int32_t I, int32_t H) {
  if (!xnn_ready()) return -1;
  const int32_t K = I + H;
  std::vector<float> w(mx.w.begin(), mx.w.end()), b(4 * H, 0.1f), xh(K, 0.01f), g(4 * H), c(H, 0.f), h(H);
  for (auto& v : w) v *= 1.0f / 512;
  xnn_operator_t op = nullptr;
  if (xnn_create_fully_connected_nc_f32(K, 4 * H, K, 4 * H, w.data(), b.data(), -INFINITY, INFINITY, 0, &op) !=
      xnn_status_success)
    return -1;
  xnn_setup_fully_connected_nc_f32(op, 1, xh.data(), g.data(), nullptr);
  const double ns = ns_per_call([&] {
    std::copy(h.begin(), h.end(), xh.begin() + I);
    xnn_run_operator(op, nullptr);
    for (int32_t j = 0; j < H; ++j) {
      const float i = 1 / (1 + std::exp(-g[j])), f = 1 / (1 + std::exp(-g[H + j])), gg = std::tanh(g[2 * H + j]),
                  o = 1 / (1 + std::exp(-g[3 * H + j]));
      c[j] = f * c[j] + i * gg;
      h[j] = o * std::tanh(c[j]);
    }
  });
  xnn_delete_operator(op);
  return ns;
}
#endif

// ---- our kernels, per ISA ---------------------------------------------------

struct GemvBench {
  Matrix mx;
  int32_t B;
  std::vector<int8_t> x0, x1;
  std::vector<int16_t> y;
  std::vector<uint8_t> scratch;
  GemvBench(Rand& r, int32_t rows, int32_t c0, int32_t c1, int32_t b)
      : mx(r, rows, c0, c1), B(b), x0(size_t(b) * c0), x1(size_t(b) * c1 + 1), y(size_t(b) * rows),
        scratch(s8_gemm_scratch_size(c0, c1, b)) {
    for (auto& v : x0) v = r.x();
    for (auto& v : x1) v = r.x();
  }
  void run(Isa isa) {
    S8GemmArgs a;
    a.batch = B;
    a.x[0] = x0.data();
    a.x_stride[0] = mx.c0;
    a.x[1] = mx.c1 ? x1.data() : nullptr;
    a.x_stride[1] = mx.c1;
    a.out_type = OutType::s16;
    a.y = y.data();
    a.y_stride = mx.rows;
    s8_gemm_with(isa, mx.m, a, scratch.data());
    g_sink = g_sink + y[0];
  }
};

struct LstmBench {
  Matrix mx;
  int32_t I, H;
  std::vector<uint8_t> raw, scratch;
  LstmLayer layer;
  std::vector<int8_t> x, h8;
  std::vector<int16_t> c16, h16;
  LstmBench(Rand& r, int32_t i, int32_t h) : mx(r, 4 * h, i + h), I(i), H(h), x(i), h8(h), c16(h, 0), h16(h) {
    for (auto& v : x) v = r.x();
    std::vector<int8_t> wx(size_t(4) * H * I), wh(size_t(4) * H * H);
    for (int32_t o = 0; o < 4 * H; ++o)
      for (int32_t k = 0; k < I + H; ++k)
        (k < I ? wx[size_t(o) * I + k] : wh[size_t(o) * H + k - I]) = mx.w[size_t(o) * (I + H) + k];
    LstmSource s;
    s.input_size = I;
    s.hidden_size = H;
    s.wx = wx.data();
    s.wh = wh.data();
    s.bias = mx.bias.data();
    s.mult = mx.mult.data();
    s.shift = mx.shift.data();
    const size_t n = lstm_packed_size(I, H);
    raw.assign(n + 64, 0);
    Error err;
    if (lstm_pack(s, align64(raw.data()), n, err) != EARSHOT_OK || lstm_view(align64(raw.data()), n, &layer, err) != EARSHOT_OK) {
      std::fprintf(stderr, "bench-kernels: %s\n", err.message);
      std::exit(1);
    }
    scratch.resize(lstm_scratch_size(I, H, 1));
  }
  void run(Isa isa) {
    LstmStepArgs a;
    a.x = x.data();
    a.x_stride = I;
    a.h8_prev = h8.data();
    a.c16 = c16.data();
    a.h16 = h16.data();
    a.h8 = h8.data();
    lstm_step_with(isa, layer, a, scratch.data());
    g_sink = g_sink + h8[0];
  }
};

struct AttnBench {
  AttnParams p;
  bool additive;
  std::vector<int8_t> q, keys, values, v, ctx;
  std::vector<int16_t> uq, wk, probs;
  std::vector<uint8_t> scratch;
  AttnBench(Rand& r, bool add, int32_t T, int32_t D, int32_t Dv) : additive(add) {
    p.frames = T;
    p.dim = D;
    p.value_dim = Dv;
    p.score_mult = 1 << 20;
    p.score_shift = 24;
    p.ctx_mult = 1;
    p.ctx_shift = 15;
    q.resize(D);
    v.resize(D);
    keys.resize(size_t(T) * D);
    values.resize(size_t(T) * Dv);
    uq.resize(D);
    wk.resize(size_t(T) * D);
    ctx.resize(Dv);
    probs.resize(T);
    for (auto& e : q) e = r.x();
    for (auto& e : v) e = r.x();
    for (auto& e : keys) e = r.x();
    for (auto& e : values) e = r.x();
    for (auto& e : uq) e = static_cast<int16_t>(r.g.uniform(-8000, 8000));
    for (auto& e : wk) e = static_cast<int16_t>(r.g.uniform(-8000, 8000));
    scratch.resize(attn_scratch_size(T, D, Dv));
  }
  void run(Isa isa) {
    const AttnKernels* k = attn_kernels(isa);
    if (additive) {
      AttnAddArgs a;
      a.uq = uq.data();
      a.wk = wk.data();
      a.wk_stride = p.dim;
      a.v = v.data();
      a.values = values.data();
      a.value_stride = p.value_dim;
      a.probs = probs.data();
      a.ctx = ctx.data();
      k->additive(p, a, align64(scratch.data()));
    } else {
      AttnDotArgs a;
      a.q = q.data();
      a.keys = keys.data();
      a.key_stride = p.dim;
      a.values = values.data();
      a.value_stride = p.value_dim;
      a.probs = probs.data();
      a.ctx = ctx.data();
      k->dot(p, a, align64(scratch.data()));
    }
    g_sink = g_sink + ctx[0];
  }
};

struct LogSoftmaxBench {
  std::vector<int16_t> z;
  std::vector<int32_t> lp, idx;
  explicit LogSoftmaxBench(Rand& r, int32_t V) : z(V), lp(V), idx(8) {
    for (auto& e : z) e = static_cast<int16_t>(r.g.uniform(-12000, 12000));
  }
  void run(Isa) {
    log_softmax_q10(z.data(), static_cast<int32_t>(z.size()), lp.data());
    top_k(lp.data(), static_cast<int32_t>(lp.size()), 8, idx.data(), nullptr);
    g_sink = g_sink + idx[0];
  }
};

// Instructions per call of `kernel` on `isa`, from callgrind (child mode).
double callgrind_per_call(const char* self, const char* kernel, Isa isa) {
  auto run = [&](int n) {  // -1 when not run: the ISA is absent under valgrind (no AVX-512 there)
    return bench::callgrind_instructions(std::string(self) + " --child " + kernel + " " + isa_name(isa) + " " +
                                         std::to_string(n));
  };
  const double a = run(0), b = run(200);
  return a < 0 || b < 0 ? -1 : (b - a) / 200.0;
}

// The callgrind shape: the LSTM layer's gate product 1024 x (120 + 256).
int child(const char* kernel, const char* isa_s, int n) {
  Isa isa;
  if (!isa_parse(isa_s, &isa) || !isa_supported(isa)) return 3;
  Rand r;
  if (!std::strcmp(kernel, "gemv")) {
    GemvBench b(r, 1024, 120, 256, 1);
    for (int i = 0; i < n; ++i) b.run(isa);
  } else if (!std::strcmp(kernel, "lstm")) {
    LstmBench b(r, 120, 256);
    for (int i = 0; i < n; ++i) b.run(isa);
  } else {
    return 2;
  }
  std::fprintf(stderr, "child-ran\n");
  return 0;
}

std::string fmt(double v, const char* f) {
  if (v < 0) return "null";
  char b[64];
  std::snprintf(b, sizeof b, f, v);
  return b;
}

}  // namespace

int main(int argc, char** argv) {
  bool json = false, callgrind = true;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--json")) json = true;
    else if (!std::strcmp(argv[i], "--no-callgrind")) callgrind = false;
    else if (!std::strcmp(argv[i], "--child") && i + 3 < argc) return child(argv[i + 1], argv[i + 2], std::atoi(argv[i + 3]));
    else {
      std::fprintf(stderr, "usage: bench-kernels [--json] [--no-callgrind]\n");
      return 2;
    }
  }
  const Isa best = isa_active();  // isa_best() unless EARSHOT_ISA says otherwise
  std::string peak_what;
  const double peak = peak_gmacs(peak_what);
  Rand r;
  std::vector<Row> rows;

  struct G { const char* name; int32_t o, c0, c1, b; } gemvs[] = {
      {"gemv", 1024, 120, 256, 1}, {"gemv", 1024, 256, 256, 1}, {"gemv", 256, 256, 0, 1}, {"gemv", 30, 256, 0, 1},
      {"gemm", 1024, 256, 256, 4}, {"gemm", 1024, 256, 256, 8}};
  for (const G& g : gemvs) {
    GemvBench b(r, g.o, g.c0, g.c1, g.b);
    Row row;
    row.name = g.name;
    row.shape = std::to_string(g.o) + "x" + std::to_string(g.c0 + g.c1) + " b" + std::to_string(g.b);
    row.isa = isa_name(best);
    row.macs = double(g.o) * (g.c0 + g.c1) * g.b;
    row.ns_ours = ns_per_call([&] { b.run(best); });
    row.ns_scalar = ns_per_call([&] { b.run(Isa::scalar); });
#if defined(EARSHOT_HAVE_XNNPACK)
    row.ns_xnn = xnn_qs8_fc_ns(b.mx, g.b);
    row.ns_f32 = xnn_f32_fc_ns(b.mx, g.b);
#endif
    rows.push_back(row);
  }
  for (int32_t I : {120, 256}) {
    LstmBench b(r, I, 256);
    Row row;
    row.name = "lstm_step";
    row.shape = "H256 I" + std::to_string(I) + " b1";
    row.isa = isa_name(best);
    row.macs = 4.0 * 256 * (I + 256);
    row.ns_ours = ns_per_call([&] { b.run(best); });
    row.ns_scalar = ns_per_call([&] { b.run(Isa::scalar); });
#if defined(EARSHOT_HAVE_XNNPACK)
    row.ns_xnn = xnn_lstm_ns(b.mx, I, 256);
    row.ns_f32 = f32_lstm_ns(b.mx, I, 256);
#endif
    rows.push_back(row);
  }
  struct A { bool add; int32_t T, D, Dv; } attns[] = {{false, 8, 256, 256}, {false, 32, 256, 256}, {true, 32, 128, 256}};
  for (const A& a : attns) {
    AttnBench b(r, a.add, a.T, a.D, a.Dv);
    Row row;
    row.name = a.add ? "attn_additive" : "attn_dot";
    row.shape = "T" + std::to_string(a.T) + (a.add ? " A" : " D") + std::to_string(a.D) + " Dv" + std::to_string(a.Dv);
    row.isa = isa_name(best);
    row.macs = double(a.T) * (a.D + a.Dv);
    row.ns_ours = ns_per_call([&] { b.run(best); });
    row.ns_scalar = ns_per_call([&] { b.run(Isa::scalar); });
    rows.push_back(row);
  }
  {
    LogSoftmaxBench b(r, 30);
    Row row;
    row.name = "logsoftmax_topk";
    row.shape = "V30 k8";
    row.isa = "scalar";
    row.ns_ours = row.ns_scalar = ns_per_call([&] { b.run(Isa::scalar); });
    rows.push_back(row);
  }

  // Callgrind: instructions per call of each ISA valgrind can run.
  struct Cg { std::string kernel, isa; double instr; };
  std::vector<Cg> cg;
  const bool have_vg = callgrind && std::system("valgrind --version >/dev/null 2>&1") == 0;
  if (have_vg)
    for (const char* k : {"gemv", "lstm"})
      for (int i = 0; i < kIsaCount; ++i) {
        const Isa isa = static_cast<Isa>(i);
        if (!isa_supported(isa)) continue;
        cg.push_back({k, isa_name(isa), callgrind_per_call(argv[0], k, isa)});
      }

  auto gmacs = [](const Row& w) { return w.macs > 0 && w.ns_ours > 0 ? w.macs / w.ns_ours : -1; };
  if (json) {
    std::printf("{\"peak\": {\"gmacs\": %s, \"assumption\": \"%s\"},\n \"kernels\": [", fmt(peak > 0 ? peak : -1, "%.1f").c_str(),
                peak_what.c_str());
    for (size_t i = 0; i < rows.size(); ++i) {
      const Row& w = rows[i];
      const double g = gmacs(w);
      std::printf("%s\n  {\"name\": \"%s\", \"shape\": \"%s\", \"isa\": \"%s\", \"ns_ours\": %s, \"ns_scalar\": %s, "
                  "\"ns_xnnpack\": %s, \"ns_f32\": %s, \"speedup_vs_xnnpack\": %s, \"gmacs\": %s, \"peak_fraction\": %s}",
                  i ? "," : "", w.name.c_str(), w.shape.c_str(), w.isa.c_str(), fmt(w.ns_ours, "%.1f").c_str(),
                  fmt(w.ns_scalar, "%.1f").c_str(), fmt(w.ns_xnn, "%.1f").c_str(), fmt(w.ns_f32, "%.1f").c_str(),
                  fmt(w.ns_xnn > 0 ? w.ns_xnn / w.ns_ours : -1, "%.3f").c_str(), fmt(g, "%.2f").c_str(),
                  fmt(g > 0 && peak > 0 ? g / peak : -1, "%.4f").c_str());
    }
    std::printf("\n ],\n \"callgrind\": [");
    for (size_t i = 0; i < cg.size(); ++i)
      std::printf("%s\n  {\"kernel\": \"%s\", \"shape\": \"%s\", \"isa\": \"%s\", \"instructions_per_call\": %s}", i ? "," : "",
                  cg[i].kernel.c_str(), cg[i].kernel == "gemv" ? "1024x376 b1" : "H256 I120 b1", cg[i].isa.c_str(),
                  fmt(cg[i].instr, "%.0f").c_str());
    std::printf("\n ]}\n");
    return 0;
  }
  std::printf("kernels, ours = ISA %s; this CPU's int8 peak %.1f GMAC/s (%s)\n", isa_name(best), peak, peak_what.c_str());
  std::printf("%-16s %-18s %-10s %10s %10s %10s %10s %8s %7s %6s\n", "kernel", "shape", "isa", "ours ns", "scalar ns",
              "xnn qs8 ns", "xnn f32 ns", "vs xnn", "GMAC/s", "peak");
  for (const Row& w : rows) {
    const double g = gmacs(w);
    std::printf("%-16s %-18s %-10s %10.0f %10.0f %10s %10s %8s %7s %6s\n", w.name.c_str(), w.shape.c_str(), w.isa.c_str(),
                w.ns_ours, w.ns_scalar, fmt(w.ns_xnn, "%.0f").c_str(), fmt(w.ns_f32, "%.0f").c_str(),
                w.ns_xnn > 0 ? (fmt(w.ns_xnn / w.ns_ours, "%.2f") + "x").c_str() : "-", fmt(g, "%.1f").c_str(),
                g > 0 && peak > 0 ? (fmt(100 * g / peak, "%.0f") + "%").c_str() : "-");
  }
  std::printf("(lstm_step vs xnn: XNNPACK composition of 9 qs8 operators + concat; f32: XNNPACK f32 FC + float cell)\n");
  if (!have_vg) std::printf("callgrind: valgrind not available or disabled\n");
  for (const Cg& c : cg)
    std::printf("callgrind %-5s %-14s %-10s %12s instructions/call\n", c.kernel.c_str(),
                c.kernel == "gemv" ? "1024x376 b1" : "H256 I120 b1", c.isa.c_str(), fmt(c.instr, "%.0f").c_str());
  if (have_vg)
    std::printf("callgrind: null = the ISA does not run under valgrind (3.19 has no AVX-512 and its cpuid hides it)\n");
  return 0;
}
