// Per-ISA entry points of the LSTM family (internal): the element-wise cell of
// one batch row. The gate products run through the s8 GEMM kernel of the same
// ISA (lstm.cpp), then the cell reads the int16 gates from scratch (L1).
#pragma once
#include <cstdint>

namespace earshot::kernels {

using LstmCellFn = void (*)(const int16_t* gates, int32_t hidden, int16_t* c16, int16_t* h16, int8_t* h8);
void lstm_cell__scalar(const int16_t* gates, int32_t hidden, int16_t* c16, int16_t* h16, int8_t* h8);
void lstm_cell__avx2(const int16_t* gates, int32_t hidden, int16_t* c16, int16_t* h16, int8_t* h8);
void lstm_cell__avx512vnni(const int16_t* gates, int32_t hidden, int16_t* c16, int16_t* h16, int8_t* h8);
void lstm_cell__neon(const int16_t* gates, int32_t hidden, int16_t* c16, int16_t* h16, int8_t* h8);
void lstm_cell__mve(const int16_t* gates, int32_t hidden, int16_t* c16, int16_t* h16, int8_t* h8);

}  // namespace earshot::kernels
