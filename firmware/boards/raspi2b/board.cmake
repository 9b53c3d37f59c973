# Raspberry Pi 2 Model B (BCM2836, Cortex-A7): what the firmware links from this
# board, what the build leaves for the SD card, and how the tests start it
# under QEMU (-M raspi2b).
set(_arch ${CMAKE_CURRENT_LIST_DIR}/../../arch/armv7a)
add_library(earshot_board OBJECT
  ${CMAKE_CURRENT_LIST_DIR}/reset.S
  ${CMAKE_CURRENT_LIST_DIR}/board.cpp
  ${_arch}/cpu_init.S
  ${_arch}/vectors.S
  ${_arch}/fault.cpp
  ${_arch}/pmu.cpp
  ${_arch}/mmu.cpp
  ${_arch}/semihosting.cpp
  ${_arch}/semihosting_optional.S)
set(EARSHOT_BOARD_LINKER_SCRIPT ${CMAKE_CURRENT_LIST_DIR}/link.ld)
# The Pi's boot loader loads the raw image under this name from the SD card's
# FAT partition (kernel7.img: ARMv7, loaded at 0x8000).
set(EARSHOT_BOARD_BOOT_IMAGE kernel7.img)

# The command is completed with -cpu <cpu> -kernel earshot-fw.elf
# [-append ARGS]. raspi2b always has four Cortex-A7s (reset.S parks three;
# -smp 1 is refused) and ignores -cpu: cortex-a7 is listed for the common
# tests' names and command lines. -semihosting: exit status and -append.
set(EARSHOT_BOARD_QEMU qemu-system-arm -M raspi2b -nographic -semihosting)
set(EARSHOT_BOARD_CPUS cortex-a7)
set(EARSHOT_BOARD_TIMEOUT 120)
# Where a fault's pc must point: the image, linked at 0x8000 (under 1 MiB).
# (CMake regexes have no {n}.)
set(EARSHOT_BOARD_PC_REGEX "0x000[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]")
