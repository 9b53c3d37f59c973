# Bare-metal Cortex-M7 (QEMU mps2-an500; STM32H7, i.MX RT class): ARMv7E-M with
# the DSP extension (SMLAD, SXTB16), FPv5 double-precision FPU, hard float.
# Multilib: thumb/v7e-m+dp/hard (arm-none-eabi-gcc -print-multi-lib).
set(CMAKE_SYSTEM_PROCESSOR cortex-m7)  # not "arm": lib/kernels picks NEON for ^arm
set(_cpu "-mcpu=cortex-m7 -mfpu=fpv5-d16 -mfloat-abi=hard -mthumb")
include(${CMAKE_CURRENT_LIST_DIR}/arm-none-eabi-common.cmake)
