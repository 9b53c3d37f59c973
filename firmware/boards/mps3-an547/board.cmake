# QEMU mps3-an547 (Arm MPS3 FPGA image AN547: Corstone SSE-300, Cortex-M55): how the
# tests start it (README.md); what it links is arch/armv7m/cmsdk_board.cmake's.
# The command is completed with -cpu <cpu> -kernel earshot-fw.elf [-append ARGS].
set(EARSHOT_BOARD_QEMU qemu-system-arm -M mps3-an547 -nographic -semihosting-config enable=on,target=native)
set(EARSHOT_BOARD_CPUS cortex-m55)
# Where a fault's pc must point: the image, in the ITCM at 0x1000_0000 (512 KiB).
set(EARSHOT_BOARD_PC_REGEX "0x100[0-7][0-9a-f][0-9a-f][0-9a-f][0-9a-f]")
set(EARSHOT_BOARD_DIR ${CMAKE_CURRENT_LIST_DIR})
include(${CMAKE_CURRENT_LIST_DIR}/../../arch/armv7m/cmsdk_board.cmake)
