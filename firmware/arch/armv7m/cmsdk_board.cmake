# What an MPS2/MPS3 board (boards/<board>/board.cmake) links and how its faults
# read, the same for every CMSDK Cortex-M image: included by the board after it
# sets EARSHOT_BOARD_QEMU, EARSHOT_BOARD_CPUS and EARSHOT_BOARD_PC_REGEX, from
# its own folder (its board.cpp and link.ld).
set(_arch ${CMAKE_CURRENT_LIST_DIR}/..)
add_library(earshot_board OBJECT
  ${EARSHOT_BOARD_DIR}/board.cpp
  ${_arch}/armv7m/cmsdk_board.cpp
  ${_arch}/armv7m/reset.S
  ${_arch}/armv7m/start.cpp
  ${_arch}/armv7m/fault.cpp
  ${_arch}/armv7a/semihosting.cpp)   # BKPT 0xAB on M profile
set(EARSHOT_BOARD_LINKER_SCRIPT ${EARSHOT_BOARD_DIR}/link.ld)
# link.ld INCLUDEs the shared M-profile sections from here.
set(EARSHOT_BOARD_LINK_OPTIONS -L${_arch}/armv7m)
set(EARSHOT_BOARD_LINK_DEPENDS ${_arch}/armv7m/armv7m_sections.ld)
# LDM from an odd address: a UsageFault (UNALIGNED) on every M profile core.
set(EARSHOT_BOARD_ALIGN_FAULT_REGEX "\"fault\":\"unaligned access\",\"pc\":\"${EARSHOT_BOARD_PC_REGEX}\",\"exception\":\"usage fault\".*\"cfsr\":\"0x01000000\"")
