// LSTM family: packing (an s8 matrix of 4H rows with segments [I, H]) and the
// fused step: gate products through the s8 GEMM kernel of the ISA into int16
// scratch, then that ISA's element-wise cell.
#include "kernels/lstm-step/lstm_step.h"
#include "kernels/matrix_override.h"
#include "kernels/lstm-step/ukernels.h"
#include "kernels/s8-gemm/ukernels.h"

namespace earshot::kernels {

size_t lstm_packed_size(int32_t input_size, int32_t hidden_size) {
  if (input_size < 1 || hidden_size < 1) return 0;
  return s8_matrix_packed_size(4 * hidden_size, input_size, hidden_size);
}

earshot_status lstm_pack(const LstmSource& src, void* dst, size_t dst_size, Error& err) {
  if (src.input_size < 1 || src.hidden_size < 1 || src.hidden_size > kS8MaxRows / 4)
    return err.set(EARSHOT_ERR_INVALID_ARGUMENT, "lstm: bad sizes I=%d H=%d", src.input_size, src.hidden_size);
  S8MatrixSource m;
  m.rows = 4 * src.hidden_size;
  m.nseg = 2;
  m.cols[0] = src.input_size;
  m.cols[1] = src.hidden_size;
  m.w[0] = src.wx;
  m.w[1] = src.wh;
  m.bias = src.bias;
  m.mult = src.mult;
  m.shift = src.shift;
  return s8_matrix_pack(m, dst, dst_size, err);
}

earshot_status lstm_view(const void* blob, size_t size, LstmLayer* out, Error& err) {
  LstmLayer l;
  if (s8_matrix_view(blob, size, &l.gates, err) != EARSHOT_OK) return err.status;
  if (l.gates.nseg != 2 || l.gates.rows % 4 != 0 || l.gates.cols[1] != l.gates.rows / 4)
    return err.set(EARSHOT_ERR_BAD_MODEL, "lstm: matrix of %d rows with segments %d+%d is not [4H x (I + H)]",
                   l.gates.rows, l.gates.cols[0], l.gates.cols[1]);
  l.input_size = l.gates.cols[0];
  l.hidden_size = l.gates.cols[1];
  *out = l;
  return EARSHOT_OK;
}

size_t lstm_scratch_size(int32_t input_size, int32_t hidden_size, int32_t batch) {
  const int32_t b = batch < 1 ? 1 : batch > kS8MaxBatchPerCall ? kS8MaxBatchPerCall : batch;
  return s8_gemm_scratch_size(input_size, hidden_size, b) + round_up(b * 4 * hidden_size * 2, 64);
}

namespace {

LstmCellFn cell_kernel(Isa isa) {
  switch (isa) {
    case Isa::scalar: return lstm_cell__scalar;
#if defined(EARSHOT_KERNELS_X86)
    case Isa::avx2: return lstm_cell__avx2;
    case Isa::avx512vnni: return lstm_cell__avx512vnni;
#endif
#if defined(EARSHOT_KERNELS_NEON)
    case Isa::neon: return lstm_cell__neon;
#endif
#if defined(EARSHOT_KERNELS_NEONDOT)
    case Isa::neondot: return lstm_cell__neon;  // the cell has no dot products
#endif
#if defined(EARSHOT_KERNELS_DSP)
    case Isa::dsp: return lstm_cell__scalar;  // the cell: table lookups and scalar fixed point
#endif
#if defined(EARSHOT_KERNELS_MVE)
    case Isa::mve: return lstm_cell__mve;
#endif
    default: return nullptr;
  }
}

template <Isa I>
void step(const LstmLayer& l, const LstmStepArgs& a, void* scratch) {
  const S8GemmFn gemm = s8_gemm_kernel(I);
  const LstmCellFn cell = cell_kernel(I);
  const int32_t H = l.hidden_size;
  uint8_t* sp = align64(scratch);
  auto* gates = reinterpret_cast<int16_t*>(sp);
  const int32_t max_nb = a.batch < kS8MaxBatchPerCall ? a.batch : kS8MaxBatchPerCall;
  void* gemm_scratch = gates + round_up(max_nb * 4 * H, 32);
  for (int32_t b0 = 0; b0 < a.batch; b0 += kS8MaxBatchPerCall) {
    const int32_t nb = a.batch - b0 < kS8MaxBatchPerCall ? a.batch - b0 : kS8MaxBatchPerCall;
    S8GemmArgs g;
    g.batch = nb;
    g.x[0] = a.x + b0 * a.x_stride;
    g.x_stride[0] = a.x_stride;
    g.x[1] = a.h8_prev + static_cast<ptrdiff_t>(b0) * H;
    g.x_stride[1] = H;
    g.out_type = OutType::s16;
    g.y = gates;
    g.y_stride = 4 * H;
    gemm(l.gates, g, gemm_scratch);
    for (int32_t b = 0; b < nb; ++b) {
      const ptrdiff_t o = static_cast<ptrdiff_t>(b0 + b) * H;
      cell(gates + static_cast<ptrdiff_t>(b) * 4 * H, H, a.c16 + o, a.h16 ? a.h16 + o : nullptr, a.h8 + o);
    }
  }
}

}  // namespace

LstmStepFn lstm_step_kernel(Isa isa) {
  switch (isa) {
    case Isa::scalar: return step<Isa::scalar>;
#if defined(EARSHOT_KERNELS_X86)
    case Isa::avx2: return step<Isa::avx2>;
    case Isa::avx512vnni: return step<Isa::avx512vnni>;
#endif
#if defined(EARSHOT_KERNELS_NEON)
    case Isa::neon: return step<Isa::neon>;
#endif
#if defined(EARSHOT_KERNELS_NEONDOT)
    case Isa::neondot: return step<Isa::neondot>;
#endif
#if defined(EARSHOT_KERNELS_DSP)
    case Isa::dsp: return step<Isa::dsp>;
#endif
#if defined(EARSHOT_KERNELS_MVE)
    case Isa::mve: return step<Isa::mve>;
#endif
    default: return nullptr;
  }
}

void lstm_step_with(Isa isa, const LstmLayer& l, const LstmStepArgs& a, void* scratch) {
  if (const MatrixOverride* o = thread_matrix_override(); o && o->lstm && o->lstm(o->self, l, a)) return;
  lstm_step_kernel(isa)(l, a, scratch);
}

void lstm_step(const LstmLayer& l, const LstmStepArgs& a, void* scratch) { lstm_step_with(isa_active(), l, a, scratch); }

}  // namespace earshot::kernels
