# Bare-metal Cortex-M55 (QEMU mps3-an547; Alif Ensemble class): ARMv8.1-M Main
# with the DSP extension and Helium (MVE) integer, FPv5 double-precision FPU,
# hard float. +nomve.fp: MVE integer only, so no float code is vectorised
# (scalar FP rounds as on the host). Multilib: thumb/v8-m.main+dp/hard (what
# gcc picks for -mcpu=cortex-m55; its v8.1-m.main+mve multilib is selected only
# by -march=armv8.1-m.main+mve, without the FPU). Both are hard-float ABI.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR cortex-m55)  # not "arm": lib/kernels picks NEON for ^arm
set(CMAKE_C_COMPILER arm-none-eabi-gcc)
set(CMAKE_CXX_COMPILER arm-none-eabi-g++)
set(CMAKE_ASM_COMPILER arm-none-eabi-gcc)
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
set(_cpu "-mcpu=cortex-m55+nomve.fp -mfloat-abi=hard -mthumb")
# newlib-nano on every compile and link line (see arm-none-eabi-cortex-a7.cmake).
set(_common "${_cpu} --specs=nano.specs -ffunction-sections -fdata-sections")
set(CMAKE_C_FLAGS_INIT "${_common}")
set(CMAKE_CXX_FLAGS_INIT "${_common}")
set(CMAKE_C_FLAGS_RELEASE "-O2 -DNDEBUG" CACHE STRING "")
set(CMAKE_CXX_FLAGS_RELEASE "-O2 -DNDEBUG" CACHE STRING "")
set(CMAKE_ASM_FLAGS_INIT "${_cpu}")
set(EARSHOT_TARGET_CPU_FLAGS "${_cpu}")  # for tests that compile for the board themselves (tests/install)
set(CMAKE_EXE_LINKER_FLAGS_INIT "-Wl,--gc-sections")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
