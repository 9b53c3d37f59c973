# AArch64 Linux (Raspberry Pi 3/4/5, 64-bit) with Debian's cross g++; NEON is baseline.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
# Where the target's libraries are: the arm64 -dev packages tools/setup unpacks
# because they cannot be co-installed (libpng-dev, zlib1g-dev, XNNPACK), the cross
# sysroot, then / for Debian multiarch: libsndfile1-dev:arm64 ... put libraries
# in /usr/lib/aarch64-linux-gnu (found through CMAKE_LIBRARY_ARCHITECTURE, so the
# host's /usr/lib/x86_64-linux-gnu stays out) and arch-independent headers
# (CLI11, nlohmann-json, sndfile.h) in /usr/include.
get_filename_component(_unpacked "${CMAKE_CURRENT_LIST_DIR}/../.cache/multiarch/arm64" ABSOLUTE)
set(CMAKE_FIND_ROOT_PATH ${_unpacked} /usr/aarch64-linux-gnu /)
# DT_RPATH, not RUNPATH, in build-tree binaries: it also serves the unpacked
# libraries' own dependencies (libXNNPACK -> libpthreadpool, libcpuinfo), which
# Debian's default --as-needed leaves out of the executable's NEEDED list. Into
# the cache (not *_INIT), so trees configured before this line get it too.
if(NOT CMAKE_EXE_LINKER_FLAGS MATCHES "--disable-new-dtags")
  set(CMAKE_EXE_LINKER_FLAGS "${CMAKE_EXE_LINKER_FLAGS} -Wl,--disable-new-dtags" CACHE STRING
      "Flags used by the linker during all build types." FORCE)
endif()
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# binfmt_misc is not mounted on these machines: run test binaries through qemu-user.
if(NOT CMAKE_CROSSCOMPILING_EMULATOR)
  set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64 -L /usr/aarch64-linux-gnu)
endif()
# Multiarch -dev packages (libsndfile1-dev:arm64 ...) put their .pc files here;
# LIBDIR (not PATH) keeps the host's own .pc files out.
set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig")
