// Fused integer LSTM step: one call per layer and time step (NUMERICS.md, "LSTM").
//   gates  = requant_Q12(bias + Wx x8 + Wh h8_prev)   rows 4H in order i, f, g, o
//   i,f,o  = sigmoid(gate) Q15;  g = tanh(gate) Q15
//   c      = sat16((f*c + ((i*g) >> 4) + 2^14) >> 15)  Q11
//   h16    = (o * tanh(sat16(2c)) + 2^14) >> 15        Q15
//   h8     = sat8((h16 + 128) >> 8)                    Q7, for the recurrence and the next layer
// The input part and the recurrent part share one accumulator per row (the
// exporter folds s_x / s_h into Wx before quantizing each row of [Wx' | Wh]),
// so there is one requantization per gate row.
#pragma once
#include <cstddef>
#include <cstdint>

#include "common/error.h"
#include "kernels/isa.h"
#include "kernels/s8-gemm/s8_gemm.h"

namespace earshot::kernels {

// What lstm_pack() reads.
struct LstmSource {
  int32_t input_size = 0;             // I
  int32_t hidden_size = 0;            // H
  const int8_t* wx = nullptr;         // [4H][I] row-major, in [-127, 127]
  const int8_t* wh = nullptr;         // [4H][H]
  const int32_t* bias = nullptr;      // [4H] at the accumulator scale; null = zeros
  const int32_t* mult = nullptr;      // [4H] requantization of the accumulator to Q12
  const int32_t* shift = nullptr;     // [4H]
};

// A layer's view (over its packed blob, which must outlive it).
struct LstmLayer {
  int32_t input_size = 0, hidden_size = 0;
  S8Matrix gates;                     // rows 4H, segments [I, H]
};

size_t lstm_packed_size(int32_t input_size, int32_t hidden_size);
earshot_status lstm_pack(const LstmSource& src, void* dst, size_t dst_size, Error& err);
earshot_status lstm_view(const void* blob, size_t size, LstmLayer* out, Error& err);

struct LstmStepArgs {
  int32_t batch = 1;                  // independent sequences (beam hypotheses), >= 1
  const int8_t* x = nullptr;          // [batch] rows of I, x_stride apart
  ptrdiff_t x_stride = 0;
  const int8_t* h8_prev = nullptr;    // [batch][H] Q7
  int16_t* c16 = nullptr;             // [batch][H] Q11, read and updated in place
  int16_t* h16 = nullptr;             // [batch][H] Q15 out; may be null
  int8_t* h8 = nullptr;               // [batch][H] Q7 out; may alias h8_prev
};

size_t lstm_scratch_size(int32_t input_size, int32_t hidden_size, int32_t batch);
void lstm_step(const LstmLayer& layer, const LstmStepArgs& a, void* scratch);

using LstmStepFn = void (*)(const LstmLayer& layer, const LstmStepArgs& a, void* scratch);
LstmStepFn lstm_step_kernel(Isa isa);   // null where not compiled
void lstm_step_with(Isa isa, const LstmLayer& layer, const LstmStepArgs& a, void* scratch);

// The element-wise part alone (gates already in Q12, rows i,f,g,o of H each),
// scalar reference; the XNNPACK backend reuses it.
void lstm_cell__scalar(const int16_t* gates, int32_t hidden, int16_t* c16, int16_t* h16, int8_t* h8);

}  // namespace earshot::kernels
