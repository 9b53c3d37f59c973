# QEMU virt (Cortex-A15 / Cortex-A7): what the firmware links from this board,
# and how the tests start it.
set(_arch ${CMAKE_CURRENT_LIST_DIR}/../../arch/armv7a)
add_library(earshot_board OBJECT
  ${CMAKE_CURRENT_LIST_DIR}/reset.S
  ${CMAKE_CURRENT_LIST_DIR}/board.cpp
  ${_arch}/semihosting.cpp
  ${_arch}/cpu_init.S
  ${_arch}/vectors.S
  ${_arch}/fault.cpp
  ${_arch}/pmu.cpp)
set(EARSHOT_BOARD_LINKER_SCRIPT ${CMAKE_CURRENT_LIST_DIR}/link.ld)

# The tests run the firmware on each CPU below; the command is completed with
# -cpu <cpu> -kernel earshot-fw.elf [-append ARGS]. -nic none: virt's default
# virtio NIC wants efi-virtio.rom (package ipxe-qemu, a Recommends that
# tools/setup does not install), and the firmware has no use for a network.
set(EARSHOT_BOARD_QEMU qemu-system-arm -M virt -m 128M -nographic -nic none
    -semihosting-config enable=on,target=native)
set(EARSHOT_BOARD_CPUS cortex-a15 cortex-a7)
# Where a fault's pc must point: the image, linked at 0x40000000.
set(EARSHOT_BOARD_PC_REGEX "0x4[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]")
