# QEMU mps2-an500 (Arm MPS2 FPGA image AN500, Cortex-M7): how the tests start
# it (README.md); what it links is arch/armv7m/cmsdk_board.cmake's.
# The command is completed with -cpu <cpu> -kernel earshot-fw.elf [-append ARGS].
set(EARSHOT_BOARD_QEMU qemu-system-arm -M mps2-an500 -nographic -semihosting-config enable=on,target=native)
set(EARSHOT_BOARD_CPUS cortex-m7)
# Where a fault's pc must point: the image, linked at 0x0 (under 1 MiB).
set(EARSHOT_BOARD_PC_REGEX "0x000[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]")
set(EARSHOT_BOARD_DIR ${CMAKE_CURRENT_LIST_DIR})
include(${CMAKE_CURRENT_LIST_DIR}/../../arch/armv7m/cmsdk_board.cmake)
