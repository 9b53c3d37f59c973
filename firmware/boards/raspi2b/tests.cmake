# raspi2b's own tests, after the common ones (firmware/CMakeLists.txt).

# kernel7.img as the Pi's boot loader uses it: the raw image placed at 0x8000
# and entered there (-bios puts the file at 0x8000 on raspi2b), not the ELF.
firmware_test(firmware-golden-kernel7-img 0 "\"result\":\"pass\"" -bios ${EARSHOT_BOARD_BOOT_IMAGE})

# Entry in HYP mode, as the real Pi's boot stub enters kernel7.img (Non-secure
# HYP): QEMU starts raspi2b in Secure SVC, but without EL3 the Cortex-A7
# resets into HYP (Non-secure). reset.S must drop to SVC with nothing left
# trapping to HYP (NEON, PMU), or the check cannot pass.
firmware_test(firmware-golden-hyp-entry 0 "\"result\":\"pass\""
  -global cortex-a7-arm-cpu.has_el3=off -kernel earshot-fw.elf)

# No semihosting host, as on a real board: the probe in board_init must fail
# softly (semihosting_optional.S), the check still run, and the exit status
# go to the console; then the core halts, so QEMU only stops at the timeout
# (status 124). The regex needs the full run, so an earlier hang fails.
add_test(NAME firmware-no-semihosting-host
  COMMAND ${CMAKE_COMMAND} -DEXPECT_STATUS=124
          "-DEXPECT_REGEX=\"result\":\"pass\"}\n{\"exit\":0}\n"
          -P ${CMAKE_CURRENT_LIST_DIR}/../../cmake/run_expect.cmake --
          timeout 5 qemu-system-arm -M raspi2b -nographic -kernel earshot-fw.elf
  WORKING_DIRECTORY ${CMAKE_BINARY_DIR})
