# Bare-metal Cortex-M55 (QEMU mps3-an547; Alif Ensemble class): ARMv8.1-M Main
# with the DSP extension and Helium (MVE) integer, FPv5 double-precision FPU,
# hard float. +nomve.fp: MVE integer only, so no float code is vectorised
# (scalar FP rounds as on the host). Multilib: thumb/v8-m.main+dp/hard (what
# gcc picks for -mcpu=cortex-m55; its v8.1-m.main+mve multilib is selected only
# by -march=armv8.1-m.main+mve, without the FPU). Both are hard-float ABI.
set(CMAKE_SYSTEM_PROCESSOR cortex-m55)  # not "arm": lib/kernels picks NEON for ^arm
set(_cpu "-mcpu=cortex-m55+nomve.fp -mfloat-abi=hard -mthumb")
include(${CMAKE_CURRENT_LIST_DIR}/arm-none-eabi-common.cmake)
