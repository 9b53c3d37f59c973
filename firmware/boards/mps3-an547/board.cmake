# QEMU mps3-an547 (Arm MPS3 FPGA image AN547: Corstone SSE-300, Cortex-M55): what the firmware
# links from this board and how the tests start it (README.md).
set(_arch ${CMAKE_CURRENT_LIST_DIR}/../../arch)
add_library(earshot_board OBJECT
  ${CMAKE_CURRENT_LIST_DIR}/board.cpp
  ${_arch}/armv7m/cmsdk_board.cpp
  ${_arch}/armv7m/reset.S
  ${_arch}/armv7m/start.cpp
  ${_arch}/armv7m/fault.cpp
  ${_arch}/armv7a/semihosting.cpp)   # BKPT 0xAB on M profile
set(EARSHOT_BOARD_LINKER_SCRIPT ${CMAKE_CURRENT_LIST_DIR}/link.ld)
# link.ld INCLUDEs the shared M-profile sections from here.
set(EARSHOT_BOARD_LINK_OPTIONS -L${_arch}/armv7m)
set(EARSHOT_BOARD_LINK_DEPENDS ${_arch}/armv7m/armv7m_sections.ld)

# The command is completed with -cpu <cpu> -kernel earshot-fw.elf [-append ARGS].
set(EARSHOT_BOARD_QEMU qemu-system-arm -M mps3-an547 -nographic -semihosting-config enable=on,target=native)
set(EARSHOT_BOARD_CPUS cortex-m55)
# Where a fault's pc must point: the image, in the ITCM at 0x1000_0000 (512 KiB).
set(EARSHOT_BOARD_PC_REGEX "0x100[0-7][0-9a-f][0-9a-f][0-9a-f][0-9a-f]")
# LDM from an odd address: a UsageFault (UNALIGNED) on every M profile core.
set(EARSHOT_BOARD_ALIGN_FAULT_REGEX "\"fault\":\"unaligned access\",\"pc\":\"${EARSHOT_BOARD_PC_REGEX}\",\"exception\":\"usage fault\".*\"cfsr\":\"0x01000000\"")
