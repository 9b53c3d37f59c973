// One LSTM unit, scalar (internal): the exact arithmetic every ISA reproduces.
#pragma once
#include <cstdint>

#include "kernels/activation.h"
#include "kernels/quant.h"

namespace earshot::kernels {

struct CellOut {
  int16_t c, h16;
  int8_t h8;
};

inline CellOut lstm_unit(int32_t gi, int32_t gf, int32_t gg, int32_t go, int32_t c) {
  const int32_t i = sigmoid_q15(gi), f = sigmoid_q15(gf), g = tanh_q15(gg), o = sigmoid_q15(go);
  const int16_t cn = sat16((f * c + ((i * g) >> 4) + (1 << 14)) >> 15);
  const int32_t t = tanh_q15(sat16(2 * cn));
  const int32_t h = (o * t + (1 << 14)) >> 15;
  return {cn, static_cast<int16_t>(h), sat8((h + 128) >> 8)};
}

}  // namespace earshot::kernels
