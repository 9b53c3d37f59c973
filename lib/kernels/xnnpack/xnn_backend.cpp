#include "kernels/xnnpack/xnn_backend.h"

#include <xnnpack.h>

#include <cmath>
#include <cstring>
#include <new>
#include <vector>

namespace earshot::kernels::xnn {

bool init(Error& err) {
  static const xnn_status st = xnn_initialize(nullptr);
  if (st != xnn_status_success) {
    err.set(EARSHOT_ERR_INVALID_ARGUMENT, "XNNPACK initialization failed (status %d)", static_cast<int>(st));
    return false;
  }
  return true;
}

struct Fc {
  xnn_operator_t op = nullptr;
  int32_t rows = 0, cols0 = 0, cols1 = 0;
  OutType out = OutType::s8;
  // Last setup, so repeated runs with the same buffers skip xnn_setup.
  int32_t batch = -1;
  const void* in = nullptr;
  void* outp = nullptr;
};

earshot_status fc_create(const S8Matrix& m, OutType out, Fc** fc, Error& err) {
  *fc = nullptr;
  if (!init(err)) return err.status;
  if (out == OutType::s32) return err.set(EARSHOT_ERR_INVALID_ARGUMENT, "XNNPACK backend: int32 output not supported");
  const int32_t K = m.cols[0] + m.cols[1];
  std::vector<int8_t> w(static_cast<size_t>(m.rows) * K), w0(static_cast<size_t>(m.rows) * m.cols[0]),
      w1(static_cast<size_t>(m.rows) * m.cols[1]);
  s8_matrix_unpack(m, 0, w0.data());
  if (m.nseg == 2) s8_matrix_unpack(m, 1, w1.data());
  std::vector<float> scale(m.rows);
  for (int32_t o = 0; o < m.rows; ++o) {
    std::memcpy(&w[static_cast<size_t>(o) * K], &w0[static_cast<size_t>(o) * m.cols[0]], m.cols[0]);
    if (m.nseg == 2) std::memcpy(&w[static_cast<size_t>(o) * K + m.cols[0]], &w1[static_cast<size_t>(o) * m.cols[1]], m.cols[1]);
    const double s = std::ldexp(static_cast<double>(m.mult[o]), -m.shift[o]);
    scale[o] = static_cast<float>(s > 0 ? s : 1e-9);  // XNNPACK needs positive scales
  }
  const float out_scale = out == OutType::s16 ? 256.0f : 1.0f;
  xnn_operator_t op = nullptr;
  const xnn_status st = xnn_create_convolution2d_nhwc_qc8(
      0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, K, m.rows, K, m.rows, 0, 1.0f, scale.data(), w.data(), m.bias, 0, out_scale,
      -128, 127, 0, &op);
  if (st != xnn_status_success)
    return err.set(EARSHOT_ERR_INVALID_ARGUMENT, "XNNPACK qc8 operator for %dx%d refused (status %d)", m.rows, K,
                   static_cast<int>(st));
  auto* f = new (std::nothrow) Fc;
  if (!f) {
    xnn_delete_operator(op);
    return err.set(EARSHOT_ERR_MEMORY_TOO_SMALL, "XNNPACK backend: out of memory");
  }
  f->op = op;
  f->rows = m.rows;
  f->cols0 = m.cols[0];
  f->cols1 = m.cols[1];
  f->out = out;
  *fc = f;
  return EARSHOT_OK;
}

size_t fc_scratch_size(const S8Matrix& m, int32_t batch) {
  return static_cast<size_t>(batch) * (m.cols[0] + m.cols[1] + m.rows) + 64;
}

earshot_status fc_run(Fc* f, const S8GemmArgs& a, void* scratch, Error& err) {
  const int32_t K = f->cols0 + f->cols1;
  auto* in = static_cast<int8_t*>(scratch);
  int8_t* out8 = in + static_cast<size_t>(a.batch) * K;
  for (int32_t b = 0; b < a.batch; ++b) {
    std::memcpy(in + static_cast<size_t>(b) * K, a.x[0] + b * a.x_stride[0], f->cols0);
    if (f->cols1) std::memcpy(in + static_cast<size_t>(b) * K + f->cols0, a.x[1] + b * a.x_stride[1], f->cols1);
  }
  if (a.batch != f->batch || in != f->in || out8 != f->outp) {
    const xnn_status st = xnn_setup_convolution2d_nhwc_qc8(f->op, a.batch, 1, 1, in, out8, nullptr);
    if (st != xnn_status_success) return err.set(EARSHOT_ERR_INVALID_ARGUMENT, "XNNPACK setup failed (status %d)", static_cast<int>(st));
    f->batch = a.batch;
    f->in = in;
    f->outp = out8;
  }
  const xnn_status st = xnn_run_operator(f->op, nullptr);
  if (st != xnn_status_success) return err.set(EARSHOT_ERR_INVALID_ARGUMENT, "XNNPACK run failed (status %d)", static_cast<int>(st));
  for (int32_t b = 0; b < a.batch; ++b)
    for (int32_t o = 0; o < f->rows; ++o) {
      const int8_t v = out8[static_cast<size_t>(b) * f->rows + o];
      if (f->out == OutType::s16) static_cast<int16_t*>(a.y)[b * a.y_stride + o] = static_cast<int16_t>(v * 256);
      else static_cast<int8_t*>(a.y)[b * a.y_stride + o] = v;
    }
  return EARSHOT_OK;
}

void fc_destroy(Fc* f) {
  if (!f) return;
  xnn_delete_operator(f->op);
  delete f;
}

struct Lstm {
  Fc* fc = nullptr;
  int32_t input = 0, hidden = 0;
};

earshot_status lstm_create(const LstmLayer& layer, Lstm** out, Error& err) {
  *out = nullptr;
  Fc* fc = nullptr;
  if (fc_create(layer.gates, OutType::s16, &fc, err) != EARSHOT_OK) return err.status;
  auto* l = new (std::nothrow) Lstm;
  if (!l) {
    fc_destroy(fc);
    return err.set(EARSHOT_ERR_MEMORY_TOO_SMALL, "XNNPACK backend: out of memory");
  }
  l->fc = fc;
  l->input = layer.input_size;
  l->hidden = layer.hidden_size;
  *out = l;
  return EARSHOT_OK;
}

size_t lstm_scratch_size(const LstmLayer& layer, int32_t batch) {
  return fc_scratch_size(layer.gates, batch) + static_cast<size_t>(batch) * 4 * layer.hidden_size * 2 + 64;
}

earshot_status lstm_run(Lstm* l, const LstmStepArgs& a, void* scratch, Error& err) {
  const int32_t H = l->hidden;
  auto* gates = reinterpret_cast<int16_t*>(align64(scratch));
  void* fc_scratch = gates + static_cast<size_t>(a.batch) * 4 * H;
  S8GemmArgs g;
  g.batch = a.batch;
  g.x[0] = a.x;
  g.x_stride[0] = a.x_stride;
  g.x[1] = a.h8_prev;
  g.x_stride[1] = H;
  g.out_type = OutType::s16;
  g.y = gates;
  g.y_stride = 4 * H;
  if (fc_run(l->fc, g, fc_scratch, err) != EARSHOT_OK) return err.status;
  for (int32_t b = 0; b < a.batch; ++b) {
    const ptrdiff_t o = static_cast<ptrdiff_t>(b) * H;
    lstm_cell__scalar(gates + o * 4, H, a.c16 + o, a.h16 ? a.h16 + o : nullptr, a.h8 + o);
  }
  return EARSHOT_OK;
}

void lstm_destroy(Lstm* l) {
  if (!l) return;
  fc_destroy(l->fc);
  delete l;
}

}  // namespace earshot::kernels::xnn
