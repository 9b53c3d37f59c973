# KissFFT from Debian's source package (fetched by tools/setup), built here for
# every target in its 32-bit fixed-point variant. Why int32 rather than int16:
# the fixed-point butterflies divide by the radix at every stage (9 bits lost on
# a 512-point real FFT); with int16 that leaves ~6 bits for quiet bins, with
# int32 (block-floating-point input at 2^30) about 21. On x86-64 and AArch64 the
# int32 build costs the same instructions (64-bit products), on ARMv7 one SMULL.
if(NOT EXISTS "${KISSFFT_SOURCE_DIR}/kiss_fftr.c")
  message(FATAL_ERROR "KissFFT sources not found in ${KISSFFT_SOURCE_DIR}; run tools/setup first")
endif()
add_library(kissfft_i32 OBJECT ${KISSFFT_SOURCE_DIR}/kiss_fft.c ${KISSFFT_SOURCE_DIR}/kiss_fftr.c)
target_compile_definitions(kissfft_i32 PUBLIC FIXED_POINT=32)
target_include_directories(kissfft_i32 SYSTEM PUBLIC ${KISSFFT_SOURCE_DIR})
target_compile_options(kissfft_i32 PRIVATE -w -include ${CMAKE_CURRENT_LIST_DIR}/frontend/kissfft_detmath.h)
set_target_properties(kissfft_i32 PROPERTIES POSITION_INDEPENDENT_CODE ON)

if(NOT EARSHOT_FIRMWARE)
  # Float build for the benchmark's "float KissFFT pipeline" baseline. Symbols are
  # renamed so it links beside the fixed-point build in one binary.
  add_library(kissfft_f32 STATIC ${KISSFFT_SOURCE_DIR}/kiss_fft.c ${KISSFFT_SOURCE_DIR}/kiss_fftr.c)
  set(_kf_renames kiss_fft_alloc kiss_fft kiss_fft_stride kiss_fft_cleanup kiss_fft_next_fast_size
      kiss_fftr_alloc kiss_fftr kiss_fftri)
  foreach(s ${_kf_renames})
    target_compile_definitions(kissfft_f32 PUBLIC ${s}=f32_${s})
  endforeach()
  target_compile_definitions(kissfft_f32 PUBLIC kiss_fft_scalar=float)
  target_include_directories(kissfft_f32 SYSTEM PUBLIC ${KISSFFT_SOURCE_DIR})
  target_compile_options(kissfft_f32 PRIVATE -w)
endif()
