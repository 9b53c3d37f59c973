# cmake --install build/<preset> --prefix P (README "Use it in your program"):
#   lib/libearshot.a (self-contained), lib/libearshot.so (hosted Linux: the C API only),
#   lib/libearshot-audio.so (hosted, where libsndfile and libsoxr are found),
#   lib/libearshot-xnnpack.a (where libxnnpack-dev is found: the optional XNNPACK backend),
#   include/earshot/earshot.h (+ earshot_audio.h), lib/cmake/earshot (find_package(earshot CONFIG)),
#   lib/pkgconfig/earshot.pc (+ earshot-audio.pc), bin/earshot and bin/earshot-pack,
#   share/earshot/models (the shipped model and its card), and the Python module.
# Firmware presets install the static library and the header for a board project.
include(CMakePackageConfigHelpers)

set(_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/earshot)
set(_components "")
if(TARGET earshot_shared)
  # earshot::earshot is the shared library where there is one; the archive stays available.
  set_target_properties(earshot_shared PROPERTIES EXPORT_NAME earshot)
  set_target_properties(earshot PROPERTIES EXPORT_NAME earshot_static)
  install(TARGETS earshot earshot_shared EXPORT earshotTargets
          ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
else()
  install(TARGETS earshot EXPORT earshotTargets ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
endif()
install(FILES ${PROJECT_SOURCE_DIR}/lib/include/earshot/earshot.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/earshot)

if(TARGET earshot_audio_shared)
  set_target_properties(earshot_audio_shared PROPERTIES EXPORT_NAME audio)
  install(TARGETS earshot_audio_shared EXPORT earshotTargets LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
  install(FILES ${PROJECT_SOURCE_DIR}/tools/audio/include/earshot/earshot_audio.h
          DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/earshot)
  list(APPEND _components audio)
endif()

if(TARGET earshot_xnnpack)
  # Static, with the static core: it reaches below the C API (the per-thread matrix override).
  set_target_properties(earshot_xnnpack PROPERTIES EXPORT_NAME xnnpack OUTPUT_NAME earshot-xnnpack)
  install(TARGETS earshot_xnnpack EXPORT earshotTargets ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
  install(FILES ${PROJECT_SOURCE_DIR}/lib/include/earshot/earshot_xnnpack.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/earshot)
  list(APPEND _components xnnpack)
endif()

install(EXPORT earshotTargets NAMESPACE earshot:: DESTINATION ${_cmake_dir})
set(EARSHOT_INSTALLED_COMPONENTS "${_components}")
configure_package_config_file(${PROJECT_SOURCE_DIR}/lib/earshotConfig.cmake.in
  ${PROJECT_BINARY_DIR}/earshotConfig.cmake INSTALL_DESTINATION ${_cmake_dir})
# 0.x: a new minor version may change the C API, so only the same minor version matches.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/earshotConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/earshotConfig.cmake ${PROJECT_BINARY_DIR}/earshotConfigVersion.cmake
        DESTINATION ${_cmake_dir})

# pkg-config: `pkg-config --cflags --libs earshot` (add --static for the archive alone). The
# prefix is found from the .pc file's own place, so the tree may be installed anywhere (--prefix).
file(RELATIVE_PATH EARSHOT_PC_PREFIX /${CMAKE_INSTALL_LIBDIR}/pkgconfig /)
string(REGEX REPLACE "/$" "" EARSHOT_PC_PREFIX "${EARSHOT_PC_PREFIX}")
configure_file(${PROJECT_SOURCE_DIR}/lib/earshot.pc.in ${PROJECT_BINARY_DIR}/earshot.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/earshot.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
if(TARGET earshot_audio_shared)
  configure_file(${PROJECT_SOURCE_DIR}/tools/audio/earshot-audio.pc.in ${PROJECT_BINARY_DIR}/earshot-audio.pc @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/earshot-audio.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endif()

if(NOT EARSHOT_FIRMWARE)
  foreach(t earshot-cli earshot-pack)
    if(TARGET ${t})
      install(TARGETS ${t} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
    endif()
  endforeach()
  # The CLI looks for share/earshot/models/en-small.esm beside its bin/ (tools/earshot/recognize.cpp).
  install(FILES ${PROJECT_SOURCE_DIR}/models/en-small.esm ${PROJECT_SOURCE_DIR}/models/README.md
          DESTINATION ${CMAKE_INSTALL_DATADIR}/earshot/models)
  if(TARGET earshot_shared)
    # The Python module (ctypes over libearshot.so; tools/python/README.md), with where the
    # libraries and the model lie relative to it.
    set(_py_dir ${CMAKE_INSTALL_LIBDIR}/python3/dist-packages/earshot)
    file(RELATIVE_PATH EARSHOT_PY_LIBDIR /${_py_dir} /${CMAKE_INSTALL_LIBDIR})
    file(RELATIVE_PATH EARSHOT_PY_MODEL /${_py_dir} /${CMAKE_INSTALL_DATADIR}/earshot/models/en-small.esm)
    configure_file(${PROJECT_SOURCE_DIR}/tools/python/earshot/_installed.py.in ${PROJECT_BINARY_DIR}/python/_installed.py @ONLY)
    install(DIRECTORY ${PROJECT_SOURCE_DIR}/tools/python/earshot/ DESTINATION ${_py_dir}
            FILES_MATCHING PATTERN "*.py" PATTERN "__pycache__" EXCLUDE)
    install(FILES ${PROJECT_BINARY_DIR}/python/_installed.py DESTINATION ${_py_dir})
  endif()
endif()
