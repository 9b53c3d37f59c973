// Arm CMSDK APB UART (the MPS2/MPS3 FPGA images' UARTs): transmit only.
// QEMU's model drops bytes written while CTRL.TXEN is clear, so the first
// character enables the transmitter (faults may print before board_init).
#pragma once
#include <cstdint>

namespace armv7m {

class CmsdkUart {
 public:
  // base: the UART's registers; baud_div: its clock / baud rate (>= 16).
  constexpr CmsdkUart(uintptr_t base, uint32_t baud_div) : base_(base), baud_div_(baud_div) {}

  void putc(char c) const {
    if (!(r(kCtrl) & kTxEn)) {
      r(kBaudDiv) = baud_div_;
      r(kCtrl) = kTxEn;
    }
    while (r(kState) & kTxFull) {
    }
    r(kData) = static_cast<uint8_t>(c);
  }

 private:
  static constexpr uintptr_t kData = 0x0, kState = 0x4, kCtrl = 0x8, kBaudDiv = 0x10;
  static constexpr uint32_t kTxFull = 1u << 0, kTxEn = 1u << 0;
  volatile uint32_t& r(uintptr_t off) const { return *reinterpret_cast<volatile uint32_t*>(base_ + off); }
  uintptr_t base_;
  uint32_t baud_div_;
};

}  // namespace armv7m
