#include "kernel_bench.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>

#include "kernels/logsoftmax/logsoftmax.h"
#include "kernels/quant.h"
#if defined(EARSHOT_HAVE_XNNPACK)
#include <xnnpack.h>

#include "kernels/xnnpack/xnn_backend.h"
#endif
#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace earshot::bench {

using namespace kernels;
using Clock = std::chrono::steady_clock;

namespace {

volatile int32_t g_sink = 0;
double g_budget_ns = 3e6;
int g_reps = 5;

// Inputs only need to be deterministic and not all alike.
struct Lcg {
  uint32_t s = 12345;
  uint32_t next() { return s = s * 1664525u + 1013904223u; }
  int32_t uniform(int32_t lo, int32_t hi) {
    return static_cast<int32_t>(lo + static_cast<int64_t>(next() % static_cast<uint64_t>(int64_t{hi} - lo + 1)));
  }
  int8_t s8() { return static_cast<int8_t>(uniform(-128, 127)); }
};

// Scratch with 64 bytes of slack: the kernels get a 64-byte aligned pointer.
void* aligned(std::vector<uint8_t>& v) { return align64(v.data()); }

#if defined(__x86_64__)
// 12 independent vpdpbusd chains in registers (latency 4-5 cycles, 2 ports):
// enough to keep both 512-bit ports busy.
__attribute__((target("avx512f,avx512vnni"))) double vnni_peak_gmacs() {
  const long iters = 2000000;
  double best = 1e30;
  for (int rep = 0; rep < 7; ++rep) {  // best of 7: the least disturbed by neighbours
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

}  // namespace

void set_timing(double budget_ns, int reps) {
  g_budget_ns = budget_ns;
  g_reps = std::max(1, reps);
}

double ns_per_call(const std::function<void()>& fn) {
  fn();
  int n = 1;
  for (;;) {
    const auto t0 = Clock::now();
    for (int i = 0; i < n; ++i) fn();
    const double ns = std::chrono::duration<double, std::nano>(Clock::now() - t0).count();
    if (ns > g_budget_ns || n >= (1 << 22)) break;
    n *= 2;
  }
  double best = 1e30;
  for (int rep = 0; rep < g_reps; ++rep) {
    const auto t0 = Clock::now();
    for (int i = 0; i < n; ++i) fn();
    best = std::min(best, std::chrono::duration<double, std::nano>(Clock::now() - t0).count() / n);
  }
  return best;
}

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

Dense dense_of(const S8Matrix& m) {
  Dense d;
  d.rows = m.rows;
  d.c0 = m.cols[0];
  d.c1 = m.nseg == 2 ? m.cols[1] : 0;
  const int32_t K = d.cols();
  std::vector<int8_t> w0(static_cast<size_t>(d.rows) * d.c0), w1(static_cast<size_t>(d.rows) * d.c1);
  s8_matrix_unpack(m, 0, w0.data());
  if (d.c1) s8_matrix_unpack(m, 1, w1.data());
  d.w.resize(static_cast<size_t>(d.rows) * K);
  for (int32_t o = 0; o < d.rows; ++o) {
    std::memcpy(&d.w[static_cast<size_t>(o) * K], &w0[static_cast<size_t>(o) * d.c0], d.c0);
    if (d.c1) std::memcpy(&d.w[static_cast<size_t>(o) * K + d.c0], &w1[static_cast<size_t>(o) * d.c1], d.c1);
  }
  d.bias.assign(m.bias, m.bias + d.rows);
  return d;
}

// ---- our kernels -------------------------------------------------------------

GemvBench::GemvBench(const S8Matrix& m, int32_t batch, OutType out)
    : m_(&m), batch_(batch), out_(out), x0_(static_cast<size_t>(batch) * m.cols[0]),
      x1_(static_cast<size_t>(batch) * (m.nseg == 2 ? m.cols[1] : 0) + 1), y_(static_cast<size_t>(batch) * m.rows),
      scratch_(s8_gemm_scratch_size(m.cols[0], m.nseg == 2 ? m.cols[1] : 0, batch) + 64) {
  Lcg r;
  for (auto& v : x0_) v = r.s8();
  for (auto& v : x1_) v = r.s8();
}

void GemvBench::run(Isa isa) {
  S8GemmArgs a;
  a.batch = batch_;
  a.x[0] = x0_.data();
  a.x_stride[0] = m_->cols[0];
  a.x[1] = m_->nseg == 2 ? x1_.data() : nullptr;
  a.x_stride[1] = m_->nseg == 2 ? m_->cols[1] : 0;
  a.out_type = out_;
  a.y = y_.data();
  a.y_stride = m_->rows;
  s8_gemm_with(isa, *m_, a, aligned(scratch_));
  g_sink = g_sink ^ static_cast<int32_t>(y_[0]);  // keeps the call; no overflow
}

LstmBench::LstmBench(const LstmLayer& l, int32_t batch)
    : l_(&l), batch_(batch), x_(static_cast<size_t>(batch) * l.input_size),
      h8_(static_cast<size_t>(batch) * l.hidden_size), c16_(static_cast<size_t>(batch) * l.hidden_size, 0),
      h16_(static_cast<size_t>(batch) * l.hidden_size),
      scratch_(lstm_scratch_size(l.input_size, l.hidden_size, batch) + 64) {
  Lcg r;
  for (auto& v : x_) v = r.s8();
}

void LstmBench::run(Isa isa) {
  LstmStepArgs a;
  a.batch = batch_;
  a.x = x_.data();
  a.x_stride = l_->input_size;
  a.h8_prev = h8_.data();
  a.c16 = c16_.data();
  a.h16 = h16_.data();
  a.h8 = h8_.data();
  lstm_step_with(isa, *l_, a, aligned(scratch_));
  g_sink = g_sink ^ static_cast<int32_t>(h8_[0]);  // keeps the call; no overflow
}

AttnBench::AttnBench(const AttnParams& p, bool additive) : p_(p), additive_(additive) {
  Lcg r;
  const size_t T = static_cast<size_t>(p.frames), D = static_cast<size_t>(p.dim), Dv = static_cast<size_t>(p.value_dim);
  q_.resize(D);
  v_.resize(D);
  keys_.resize(T * D);
  values_.resize(T * Dv);
  uq_.resize(D);
  wk_.resize(T * D);
  ctx_.resize(Dv);
  probs_.resize(T);
  for (auto& e : q_) e = r.s8();
  for (auto& e : v_) e = r.s8();
  for (auto& e : keys_) e = r.s8();
  for (auto& e : values_) e = r.s8();
  for (auto& e : uq_) e = static_cast<int16_t>(r.uniform(-8000, 8000));
  for (auto& e : wk_) e = static_cast<int16_t>(r.uniform(-8000, 8000));
  scratch_.resize(attn_scratch_size(p.frames, p.dim, p.value_dim) + 64);
}

void AttnBench::run(Isa isa) {
  const AttnKernels* k = attn_kernels(isa);
  if (additive_) {
    AttnAddArgs a;
    a.uq = uq_.data();
    a.wk = wk_.data();
    a.wk_stride = p_.dim;
    a.v = v_.data();
    a.values = values_.data();
    a.value_stride = p_.value_dim;
    a.probs = probs_.data();
    a.ctx = ctx_.data();
    k->additive(p_, a, aligned(scratch_));
  } else {
    AttnDotArgs a;
    a.q = q_.data();
    a.keys = keys_.data();
    a.key_stride = p_.dim;
    a.values = values_.data();
    a.value_stride = p_.value_dim;
    a.probs = probs_.data();
    a.ctx = ctx_.data();
    k->dot(p_, a, aligned(scratch_));
  }
  g_sink = g_sink ^ static_cast<int32_t>(ctx_[0]);  // keeps the call; no overflow
}

LogSoftmaxBench::LogSoftmaxBench(int32_t vocab, int32_t k) : z_(vocab), lp_(vocab), idx_(k), k_(std::min(k, vocab)) {
  Lcg r;
  for (auto& e : z_) e = static_cast<int16_t>(r.uniform(-12000, 12000));
}

void LogSoftmaxBench::run() {
  log_softmax_q10(z_.data(), static_cast<int32_t>(z_.size()), lp_.data());
  top_k(lp_.data(), static_cast<int32_t>(lp_.size()), k_, idx_.data(), nullptr);
  g_sink = g_sink ^ static_cast<int32_t>(idx_[0]);  // keeps the call; no overflow
}

// ---- baselines -------------------------------------------------------------------

#if defined(EARSHOT_HAVE_XNNPACK)
namespace {
bool xnn_ready() {
  static const bool ok = xnn_initialize(nullptr) == xnn_status_success;
  return ok;
}
float kernel_scale(int32_t K) { return 3.0f / (std::sqrt(float(K)) * 5476.0f); }
}  // namespace

bool have_xnnpack() { return xnn_ready(); }

double xnn_qs8_fc_ns(const Dense& d, int32_t B) {
  if (!xnn_ready()) return -1;
  const int32_t K = d.cols();
  xnn_operator_t op = nullptr;
  if (xnn_create_fully_connected_nc_qs8(K, d.rows, K, d.rows, 0, 1.0f, kernel_scale(K), d.w.data(), d.bias.data(), 0,
                                        1.0f / 16, -128, 127, 0, &op) != xnn_status_success)
    return -1;
  std::vector<int8_t> x(size_t(B) * K, 3), y(size_t(B) * d.rows);
  double ns = -1;
  if (xnn_setup_fully_connected_nc_qs8(op, B, x.data(), y.data(), nullptr) == xnn_status_success)
    ns = ns_per_call([&] { xnn_run_operator(op, nullptr); });
  xnn_delete_operator(op);
  return ns;
}

double xnn_f32_fc_ns(const Dense& d, int32_t B) {
  if (!xnn_ready()) return -1;
  const int32_t K = d.cols();
  std::vector<float> w(d.w.begin(), d.w.end()), b(d.rows, 0.5f), x(size_t(B) * K, 0.25f), y(size_t(B) * d.rows);
  xnn_operator_t op = nullptr;
  if (xnn_create_fully_connected_nc_f32(K, d.rows, K, d.rows, w.data(), b.data(), -INFINITY, INFINITY, 0, &op) !=
      xnn_status_success)
    return -1;
  double ns = -1;
  if (xnn_setup_fully_connected_nc_f32(op, B, x.data(), y.data(), nullptr) == xnn_status_success)
    ns = ns_per_call([&] { xnn_run_operator(op, nullptr); });
  xnn_delete_operator(op);
  return ns;
}

double xnn_qs8_lstm_ns(const Dense& d, int32_t I, int32_t H) {
  if (!xnn_ready() || d.rows != 4 * H || d.cols() != I + H) return -1;
  const int32_t K = I + H;
  std::vector<int8_t> x(I, 5), h(H, 3), xh(K), gates(4 * H), act(4 * H), fc(H), ig(H), c(H, 8), tc(H), hout(H);
  auto ok = [&](xnn_status s) { return s == xnn_status_success; };
  xnn_operator_t fcop = nullptr, sif = nullptr, sg = nullptr, so = nullptr, mfc = nullptr, mig = nullptr,
                 addc = nullptr, tcop = nullptr, moh = nullptr;
  bool good = ok(xnn_create_fully_connected_nc_qs8(K, 4 * H, K, 4 * H, 0, 1.0f / 128, kernel_scale(K), d.w.data(),
                                                     d.bias.data(), 0, 1.0f / 16, -128, 127, 0, &fcop));
  good = good && ok(xnn_create_sigmoid_nc_qs8(2 * H, 2 * H, 2 * H, 0, 1.0f / 16, -128, 1.0f / 256, -128, 127, 0, &sif));
  good = good && ok(xnn_create_tanh_nc_qs8(H, H, H, 0, 1.0f / 16, 0, 1.0f / 128, -128, 127, 0, &sg));
  good = good && ok(xnn_create_sigmoid_nc_qs8(H, H, H, 0, 1.0f / 16, -128, 1.0f / 256, -128, 127, 0, &so));
  good = good && ok(xnn_create_multiply_nd_qs8(-128, 1.0f / 256, 0, 1.0f / 8, 0, 1.0f / 8, -128, 127, 0, &mfc));
  good = good && ok(xnn_create_multiply_nd_qs8(-128, 1.0f / 256, 0, 1.0f / 128, 0, 1.0f / 8, -128, 127, 0, &mig));
  good = good && ok(xnn_create_add_nd_qs8(0, 1.0f / 8, 0, 1.0f / 8, 0, 1.0f / 8, -128, 127, 0, &addc));
  good = good && ok(xnn_create_tanh_nc_qs8(H, H, H, 0, 1.0f / 8, 0, 1.0f / 128, -128, 127, 0, &tcop));
  good = good && ok(xnn_create_multiply_nd_qs8(-128, 1.0f / 256, 0, 1.0f / 128, 0, 1.0f / 128, -128, 127, 0, &moh));
  const std::vector<xnn_operator_t> ops = {fcop, sif, sg, so, mfc, mig, addc, tcop, moh};
  const size_t shp[1] = {static_cast<size_t>(H)};
  good = good && ok(xnn_setup_fully_connected_nc_qs8(fcop, 1, xh.data(), gates.data(), nullptr)) &&
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
  for (xnn_operator_t op : ops)
    if (op) xnn_delete_operator(op);
  return ns;
}

double f32_lstm_ns(const Dense& d, int32_t I, int32_t H) {
  if (!xnn_ready() || d.rows != 4 * H || d.cols() != I + H) return -1;
  const int32_t K = I + H;
  std::vector<float> w(d.w.begin(), d.w.end()), b(4 * H, 0.1f), xh(K, 0.01f), g(4 * H), c(H, 0.f), h(H);
  for (auto& v : w) v *= 1.0f / 512;
  xnn_operator_t op = nullptr;
  if (xnn_create_fully_connected_nc_f32(K, 4 * H, K, 4 * H, w.data(), b.data(), -INFINITY, INFINITY, 0, &op) !=
      xnn_status_success)
    return -1;
  double ns = -1;
  if (xnn_setup_fully_connected_nc_f32(op, 1, xh.data(), g.data(), nullptr) == xnn_status_success)
    ns = ns_per_call([&] {
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

double xnn_backend_fc_ns(const S8Matrix& m, int32_t batch, OutType out) {
  Error err;
  xnn::Fc* fc = nullptr;
  if (out == OutType::s32 || xnn::fc_create(m, out, &fc, err) != EARSHOT_OK) return -1;
  const int32_t c1 = m.nseg == 2 ? m.cols[1] : 0;
  std::vector<int8_t> x0(static_cast<size_t>(batch) * m.cols[0], 7), x1(static_cast<size_t>(batch) * c1 + 1, -3);
  std::vector<int16_t> y(static_cast<size_t>(batch) * m.rows);
  std::vector<uint8_t> scratch(xnn::fc_scratch_size(m, batch) + 64);
  S8GemmArgs a;
  a.batch = batch;
  a.x[0] = x0.data();
  a.x_stride[0] = m.cols[0];
  a.x[1] = c1 ? x1.data() : nullptr;
  a.x_stride[1] = c1;
  a.out_type = out;
  a.y = y.data();
  a.y_stride = m.rows;
  double ns = -1;
  if (xnn::fc_run(fc, a, aligned(scratch), err) == EARSHOT_OK)
    ns = ns_per_call([&] { xnn::fc_run(fc, a, aligned(scratch), err); });
  xnn::fc_destroy(fc);
  return ns;
}

double xnn_backend_lstm_ns(const LstmLayer& l) {
  Error err;
  xnn::Lstm* x = nullptr;
  if (xnn::lstm_create(l, &x, err) != EARSHOT_OK) return -1;
  std::vector<int8_t> in(l.input_size, 5), h8(l.hidden_size, 0);
  std::vector<int16_t> c16(l.hidden_size, 0);
  std::vector<uint8_t> scratch(xnn::lstm_scratch_size(l, 1) + 64);
  LstmStepArgs a;
  a.x = in.data();
  a.x_stride = l.input_size;
  a.h8_prev = h8.data();
  a.c16 = c16.data();
  a.h8 = h8.data();
  double ns = -1;
  if (xnn::lstm_run(x, a, aligned(scratch), err) == EARSHOT_OK)
    ns = ns_per_call([&] { xnn::lstm_run(x, a, aligned(scratch), err); });
  xnn::lstm_destroy(x);
  return ns;
}
#else
bool have_xnnpack() { return false; }
double xnn_qs8_fc_ns(const Dense&, int32_t) { return -1; }
double xnn_f32_fc_ns(const Dense&, int32_t) { return -1; }
double xnn_qs8_lstm_ns(const Dense&, int32_t, int32_t) { return -1; }
double f32_lstm_ns(const Dense&, int32_t, int32_t) { return -1; }
double xnn_backend_fc_ns(const S8Matrix&, int32_t, OutType) { return -1; }
double xnn_backend_lstm_ns(const LstmLayer&) { return -1; }
#endif

}  // namespace earshot::bench
