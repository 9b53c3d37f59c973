# What every bare-metal toolchain file here shares (included after it sets
# CMAKE_SYSTEM_PROCESSOR and _cpu, the core's -mcpu/-mfpu/-mfloat-abi flags):
# Debian's arm-none-eabi GCC with newlib.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_C_COMPILER arm-none-eabi-gcc)
set(CMAKE_CXX_COMPILER arm-none-eabi-g++)
set(CMAKE_ASM_COMPILER arm-none-eabi-gcc)
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
# newlib-nano on every compile and link line: its headers (newlib/nano) set the
# C library's configuration, so library and app must agree.
set(_common "${_cpu} --specs=nano.specs -ffunction-sections -fdata-sections")
set(CMAKE_C_FLAGS_INIT "${_common}")
set(CMAKE_CXX_FLAGS_INIT "${_common}")
# -O2 rather than CMake's -O3 for Release: smaller code, same integer results.
# Cache entries, because CMake appends its -O3 to any *_FLAGS_RELEASE_INIT.
set(CMAKE_C_FLAGS_RELEASE "-O2 -DNDEBUG" CACHE STRING "")
set(CMAKE_CXX_FLAGS_RELEASE "-O2 -DNDEBUG" CACHE STRING "")
set(CMAKE_ASM_FLAGS_INIT "${_cpu}")
set(EARSHOT_TARGET_CPU_FLAGS "${_cpu}")  # for tests that compile for the board themselves (tests/install)
set(CMAKE_EXE_LINKER_FLAGS_INIT "-Wl,--gc-sections")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
