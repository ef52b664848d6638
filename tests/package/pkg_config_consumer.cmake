# Included by run_consumer_test.cmake for ICL_MODE=pkg_config: installs the build, then compiles
# the consumer's programs with the compiler and the flags of `pkg-config --cflags --libs` alone
# (the installed icl_metrics*.pc and the system's eigen3.pc, blas.pc, zlib.pc ...), and runs them.

if(NOT ICL_PKG_CONFIG)
  message(FATAL_ERROR "package test (pkg_config): ICL_PKG_CONFIG is not set")
endif()
set(prefix "${ICL_WORK_DIR}/pc-prefix")
set(out "${ICL_WORK_DIR}/pc-consumer")
icl_install_build("${prefix}")
file(REMOVE_RECURSE "${out}")
file(MAKE_DIRECTORY "${out}/bin")
set(ENV{PKG_CONFIG_PATH} "${prefix}/share/pkgconfig")

# icl_pkg_config_program(<name> <source> <modules>...): compiles and links <source> into
# <out>/bin/<name> with the flags pkg-config gives for <modules>.
function(icl_pkg_config_program name source)
  execute_process(COMMAND "${ICL_PKG_CONFIG}" --cflags --libs ${ARGN}
    OUTPUT_VARIABLE flags RESULT_VARIABLE result ERROR_VARIABLE error OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "package test (pkg_config): pkg-config --cflags --libs ${ARGN} failed: ${error}")
  endif()
  message(STATUS "pkg-config --cflags --libs ${ARGN}: ${flags}")
  separate_arguments(flags UNIX_COMMAND "${flags}")
  icl_step("compile ${name}" "${ICL_CXX_COMPILER}" ${ICL_EXTRA_DEFINES}
    "${ICL_CONSUMER_SOURCE_DIR}/${source}" -o "${out}/bin/${name}" ${flags})
endfunction()

# Modules and the consumer's checks of their flags, as the CMake consumer has them.
set(modules icl_metrics)
set(ICL_EXTRA_DEFINES "")
if(ICL_CONSUMER_WITH_BLAS)
  list(APPEND modules icl_metrics_blas)
  list(APPEND ICL_EXTRA_DEFINES -DICL_CONSUMER_EXPECT_BLAS)
endif()
if(ICL_CONSUMER_WITH_OPENMP)
  list(APPEND modules icl_metrics_openmp)
  list(APPEND ICL_EXTRA_DEFINES -DICL_CONSUMER_EXPECT_OPENMP)
endif()
icl_pkg_config_program(icl_metrics_consumer main.cpp ${modules})
if(ICL_CONSUMER_WITH_IO)
  set(ICL_EXTRA_DEFINES "")
  icl_pkg_config_program(icl_metrics_io_consumer io_main.cpp icl_metrics_io)
endif()
set(ICL_CONSUMER_WITH_CUDA OFF)
icl_run_consumers("${out}")
