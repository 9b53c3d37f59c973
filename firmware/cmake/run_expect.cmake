# cmake -DEXPECT_STATUS=N -DEXPECT_REGEX=RE -P run_expect.cmake -- COMMAND [ARGS...]
#
# Runs COMMAND and passes only if it exits with EXPECT_STATUS *and* its output
# matches EXPECT_REGEX. ctest alone checks one or the other; a negative test
# needs both, or a hang (timeout's 124) or a crash would pass as "failed as
# expected", and a positive one should not pass on an early `return 0`.
set(cmd)
set(after_dashes OFF)
math(EXPR last "${CMAKE_ARGC} - 1")
foreach(i RANGE 1 ${last})
  if(after_dashes)
    list(APPEND cmd "${CMAKE_ARGV${i}}")
  elseif(CMAKE_ARGV${i} STREQUAL "--")
    set(after_dashes ON)
  endif()
endforeach()
if(NOT cmd)
  message(FATAL_ERROR "usage: cmake -DEXPECT_STATUS=N -DEXPECT_REGEX=RE -P run_expect.cmake -- COMMAND...")
endif()

# stdin from /dev/null: QEMU's -nographic would otherwise grab the terminal.
execute_process(COMMAND ${cmd} INPUT_FILE /dev/null
  OUTPUT_VARIABLE out ERROR_VARIABLE out RESULT_VARIABLE status)
message("${out}")
if(NOT status STREQUAL "${EXPECT_STATUS}")
  message(FATAL_ERROR "exit status ${status}, expected ${EXPECT_STATUS}")
endif()
if(NOT out MATCHES "${EXPECT_REGEX}")
  message(FATAL_ERROR "output does not match: ${EXPECT_REGEX}")
endif()
message("ok: exit status ${status} and output as expected")
