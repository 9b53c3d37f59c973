// Kernel benchmark (not a test): our best ISA vs the scalar reference vs
// XNNPACK qs8 vs XNNPACK f32 on the model's shapes (random weights), in one run;
// plus callgrind instruction counts per ISA at one shape (when valgrind is
// installed). The timing and the baselines are kernel_bench.h, which
// `earshot bench` shares to run the same on an opened model image.
//   bench-kernels [--json] [--no-callgrind]     (EARSHOT_ISA=avx2 etc. picks "ours")
// Peak: measured with a register-only loop of the best int8 instruction
// (AVX-512 VNNI vpdpbusd zmm: 64 MACs each, 12 independent chains), i.e. what
// one core sustains with both 512-bit ports busy; GMAC/s / peak = peak_fraction.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "callgrind.h"
#include "kernel_bench.h"
#include "kernels/quant.h"
#include "signals.h"

using namespace earshot;
using namespace earshot::kernels;

namespace {

using bench::ns_per_call;

struct Rand {
  testsig::Lcg g{12345};
  int8_t w() { return static_cast<int8_t>(g.uniform(-127, 127)); }
};

// A random packed s8 matrix (our kernels) and the same weights row-major (the baselines).
struct Matrix {
  bench::Dense d;
  std::vector<int32_t> mult, shift;
  std::vector<uint8_t> raw;
  S8Matrix m;
  Matrix(Rand& r, int32_t rows, int32_t c0, int32_t c1 = 0) {
    d.rows = rows;
    d.c0 = c0;
    d.c1 = c1;
    const int32_t K = c0 + c1;
    d.w.resize(static_cast<size_t>(rows) * K);
    for (auto& v : d.w) v = r.w();
    d.bias.assign(rows, 1000);
    shift.assign(rows, 24);
    mult.assign(rows, static_cast<int32_t>(3.0 * 4096 / (std::sqrt(double(K)) * 5476.0) * (1 << 24)));
    std::vector<int8_t> w0(static_cast<size_t>(rows) * c0), w1(static_cast<size_t>(rows) * c1);
    for (int32_t o = 0; o < rows; ++o)
      for (int32_t k = 0; k < K; ++k)
        (k < c0 ? w0[size_t(o) * c0 + k] : w1[size_t(o) * c1 + k - c0]) = d.w[size_t(o) * K + k];
    S8MatrixSource s;
    s.rows = rows;
    s.nseg = c1 ? 2 : 1;
    s.cols[0] = c0;
    s.cols[1] = c1;
    s.w[0] = w0.data();
    s.w[1] = c1 ? w1.data() : nullptr;
    s.bias = d.bias.data();
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

// A random packed LSTM layer (gates 4H x (I + H)).
struct Layer {
  Matrix mx;
  std::vector<uint8_t> raw;
  LstmLayer layer;
  Layer(Rand& r, int32_t I, int32_t H) : mx(r, 4 * H, I + H) {
    std::vector<int8_t> wx(size_t(4) * H * I), wh(size_t(4) * H * H);
    for (int32_t o = 0; o < 4 * H; ++o)
      for (int32_t k = 0; k < I + H; ++k)
        (k < I ? wx[size_t(o) * I + k] : wh[size_t(o) * H + k - I]) = mx.d.w[size_t(o) * (I + H) + k];
    LstmSource s;
    s.input_size = I;
    s.hidden_size = H;
    s.wx = wx.data();
    s.wh = wh.data();
    s.bias = mx.d.bias.data();
    s.mult = mx.mult.data();
    s.shift = mx.shift.data();
    const size_t n = lstm_packed_size(I, H);
    raw.assign(n + 64, 0);
    Error err;
    if (lstm_pack(s, align64(raw.data()), n, err) != EARSHOT_OK ||
        lstm_view(align64(raw.data()), n, &layer, err) != EARSHOT_OK) {
      std::fprintf(stderr, "bench-kernels: %s\n", err.message);
      std::exit(1);
    }
  }
};

AttnParams attn_params(int32_t T, int32_t D, int32_t Dv) {
  AttnParams p;
  p.frames = T;
  p.dim = D;
  p.value_dim = Dv;
  p.score_mult = 1 << 20;
  p.score_shift = 24;
  p.ctx_mult = 1;
  p.ctx_shift = 15;
  return p;
}

struct Row {
  std::string name, shape, isa;
  double macs = 0;
  double ns_ours = -1, ns_scalar = -1, ns_xnn = -1, ns_f32 = -1;
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
    Matrix mx(r, 1024, 120, 256);
    bench::GemvBench b(mx.m, 1);
    for (int i = 0; i < n; ++i) b.run(isa);
  } else if (!std::strcmp(kernel, "lstm")) {
    Layer l(r, 120, 256);
    bench::LstmBench b(l.layer);
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
  const double peak = bench::peak_gmacs(peak_what);
  Rand r;
  std::vector<Row> rows;

  struct G { const char* name; int32_t o, c0, c1, b; } gemvs[] = {
      {"gemv", 1024, 120, 256, 1}, {"gemv", 1024, 256, 256, 1}, {"gemv", 256, 256, 0, 1}, {"gemv", 30, 256, 0, 1},
      {"gemm", 1024, 256, 256, 4}, {"gemm", 1024, 256, 256, 8}};
  for (const G& g : gemvs) {
    Matrix mx(r, g.o, g.c0, g.c1);
    bench::GemvBench b(mx.m, g.b);
    Row row;
    row.name = g.name;
    row.shape = std::to_string(g.o) + "x" + std::to_string(g.c0 + g.c1) + " b" + std::to_string(g.b);
    row.isa = isa_name(best);
    row.macs = double(g.o) * (g.c0 + g.c1) * g.b;
    row.ns_ours = ns_per_call([&] { b.run(best); });
    row.ns_scalar = ns_per_call([&] { b.run(Isa::scalar); });
    row.ns_xnn = bench::xnn_qs8_fc_ns(mx.d, g.b);
    row.ns_f32 = bench::xnn_f32_fc_ns(mx.d, g.b);
    rows.push_back(row);
  }
  for (int32_t I : {120, 256}) {
    Layer l(r, I, 256);
    bench::LstmBench b(l.layer);
    Row row;
    row.name = "lstm_step";
    row.shape = "H256 I" + std::to_string(I) + " b1";
    row.isa = isa_name(best);
    row.macs = 4.0 * 256 * (I + 256);
    row.ns_ours = ns_per_call([&] { b.run(best); });
    row.ns_scalar = ns_per_call([&] { b.run(Isa::scalar); });
    row.ns_xnn = bench::xnn_qs8_lstm_ns(l.mx.d, I, 256);
    row.ns_f32 = bench::f32_lstm_ns(l.mx.d, I, 256);
    rows.push_back(row);
  }
  struct A { bool add; int32_t T, D, Dv; } attns[] = {{false, 8, 256, 256}, {false, 32, 256, 256}, {true, 32, 128, 256}};
  for (const A& a : attns) {
    bench::AttnBench b(attn_params(a.T, a.D, a.Dv), a.add);
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
    bench::LogSoftmaxBench b(30);
    Row row;
    row.name = "logsoftmax_topk";
    row.shape = "V30 k8";
    row.isa = "scalar";
    row.ns_ours = row.ns_scalar = ns_per_call([&] { b.run(); });
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
