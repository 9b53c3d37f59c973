# Bare-metal Cortex-A7/A15 (QEMU virt, Raspberry Pi 2): newlib, NEON, hard float.
set(CMAKE_SYSTEM_PROCESSOR arm)
set(_cpu "-mcpu=cortex-a7 -mfpu=neon-vfpv4 -mfloat-abi=hard -marm")
include(${CMAKE_CURRENT_LIST_DIR}/arm-none-eabi-common.cmake)
