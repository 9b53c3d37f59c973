# Bare-metal Cortex-M7 (QEMU mps2-an500; STM32H7, i.MX RT class): ARMv7E-M with
# the DSP extension (SMLAD, SXTB16), FPv5 double-precision FPU, hard float.
# Multilib: thumb/v7e-m+dp/hard (arm-none-eabi-gcc -print-multi-lib).
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR cortex-m7)  # not "arm": lib/kernels picks NEON for ^arm
set(CMAKE_C_COMPILER arm-none-eabi-gcc)
set(CMAKE_CXX_COMPILER arm-none-eabi-g++)
set(CMAKE_ASM_COMPILER arm-none-eabi-gcc)
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
set(_cpu "-mcpu=cortex-m7 -mfpu=fpv5-d16 -mfloat-abi=hard -mthumb")
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
