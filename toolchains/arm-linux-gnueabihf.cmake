# ARMv7-A Linux (Raspberry Pi 2 / Zero 2 running 32-bit) with Debian's cross g++.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR armv7-a)
set(CMAKE_C_COMPILER arm-linux-gnueabihf-gcc)
set(CMAKE_CXX_COMPILER arm-linux-gnueabihf-g++)
set(CMAKE_C_FLAGS_INIT "-march=armv7-a -mfpu=neon-vfpv4 -mfloat-abi=hard")
set(CMAKE_CXX_FLAGS_INIT "-march=armv7-a -mfpu=neon-vfpv4 -mfloat-abi=hard")
# Where the target's libraries are: the armhf -dev packages tools/setup unpacks
# because they cannot be co-installed (libpng-dev, zlib1g-dev), the cross
# sysroot, then / for Debian multiarch: libsndfile1-dev:armhf ... put libraries
# in /usr/lib/arm-linux-gnueabihf (found through CMAKE_LIBRARY_ARCHITECTURE, so the
# host's /usr/lib/x86_64-linux-gnu stays out) and arch-independent headers
# (CLI11, nlohmann-json, sndfile.h) in /usr/include.
get_filename_component(_unpacked "${CMAKE_CURRENT_LIST_DIR}/../.cache/multiarch/armhf" ABSOLUTE)
set(CMAKE_FIND_ROOT_PATH ${_unpacked} /usr/arm-linux-gnueabihf /)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
if(NOT CMAKE_CROSSCOMPILING_EMULATOR)
  set(CMAKE_CROSSCOMPILING_EMULATOR qemu-arm -L /usr/arm-linux-gnueabihf)
endif()
# Multiarch -dev packages (libsndfile1-dev:armhf ...) put their .pc files here;
# LIBDIR (not PATH) keeps the host's own .pc files out.
set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/arm-linux-gnueabihf/pkgconfig:/usr/share/pkgconfig")
