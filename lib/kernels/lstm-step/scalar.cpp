// Scalar reference of the LSTM cell update (the gate products use s8-gemm's).
#include "kernels/lstm-step/cell.h"
#include "kernels/lstm-step/lstm_step.h"
#include "kernels/lstm-step/ukernels.h"

namespace earshot::kernels {

void lstm_cell__scalar(const int16_t* gates, int32_t hidden, int16_t* c16, int16_t* h16, int8_t* h8) {
  for (int32_t j = 0; j < hidden; ++j) {
    const CellOut r = lstm_unit(gates[j], gates[hidden + j], gates[2 * hidden + j], gates[3 * hidden + j], c16[j]);
    c16[j] = r.c;
    if (h16) h16[j] = r.h16;
    h8[j] = r.h8;
  }
}

}  // namespace earshot::kernels
