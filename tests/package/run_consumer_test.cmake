# cmake -P script behind the CTest tests package_consumer and package_consumer_build_tree.
#
#   ICL_MODE=install     install ICL_BUILD_DIR into ICL_WORK_DIR/prefix, then configure the
#                        consumer with CMAKE_PREFIX_PATH pointing there (ICL_WORK_DIR/build)
#   ICL_MODE=build_tree  configure the consumer with icl_metrics_DIR = ICL_BUILD_DIR
#                        (ICL_WORK_DIR/build-tree)
#
# Then build the consumer and run it. Any failing step fails the script.

foreach(var ICL_MODE ICL_BUILD_DIR ICL_CONSUMER_SOURCE_DIR ICL_WORK_DIR ICL_GENERATOR
            ICL_CXX_COMPILER)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "run_consumer_test.cmake: ${var} is not set")
  endif()
endforeach()
if(NOT ICL_CONFIG)
  set(ICL_CONFIG Release)
endif()
if(NOT DEFINED ICL_CONSUMER_WITH_BLAS)
  set(ICL_CONSUMER_WITH_BLAS ON)
endif()
if(NOT DEFINED ICL_CONSUMER_WITH_IO)
  set(ICL_CONSUMER_WITH_IO OFF)
endif()
if(NOT DEFINED ICL_CONSUMER_WITH_CUDA)
  set(ICL_CONSUMER_WITH_CUDA OFF)
endif()

function(icl_step what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE result COMMAND_ECHO STDOUT)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "package test (${ICL_MODE}): ${what} failed: ${result}")
  endif()
endfunction()

set(configure_args
  -S "${ICL_CONSUMER_SOURCE_DIR}"
  -G "${ICL_GENERATOR}"
  "-DCMAKE_BUILD_TYPE=${ICL_CONFIG}"
  "-DCMAKE_CXX_COMPILER=${ICL_CXX_COMPILER}"
  "-DICL_CONSUMER_WITH_BLAS=${ICL_CONSUMER_WITH_BLAS}"
  "-DICL_CONSUMER_WITH_IO=${ICL_CONSUMER_WITH_IO}"
  # Only the package under test: nothing from the user package registry.
  -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF)
if(ICL_MAKE_PROGRAM)
  list(APPEND configure_args "-DCMAKE_MAKE_PROGRAM=${ICL_MAKE_PROGRAM}")
endif()
if(ICL_EIGEN3_DIR)
  list(APPEND configure_args "-DEigen3_DIR=${ICL_EIGEN3_DIR}")
endif()
# The cuda consumer: the build's nvcc and architectures (ICL_CUDA_ARCHITECTURES separates them
# with commas, so that the list survives the command line of the CTest test).
if(ICL_CONSUMER_WITH_CUDA)
  string(REPLACE "," ";" cuda_architectures "${ICL_CUDA_ARCHITECTURES}")
  list(APPEND configure_args "-DICL_CONSUMER_WITH_CUDA=ON" "-DCMAKE_CUDA_COMPILER=${ICL_CUDA_COMPILER}"
    "-DCMAKE_CUDA_ARCHITECTURES=${cuda_architectures}")
endif()

if(ICL_MODE STREQUAL "install")
  set(prefix "${ICL_WORK_DIR}/prefix")
  set(consumer_build "${ICL_WORK_DIR}/build")
  file(REMOVE_RECURSE "${prefix}" "${consumer_build}")
  icl_step("install"
    "${CMAKE_COMMAND}" --install "${ICL_BUILD_DIR}" --prefix "${prefix}" --config "${ICL_CONFIG}")
  list(APPEND configure_args "-DCMAKE_PREFIX_PATH=${prefix}")
  set(expected_dir_prefix "${prefix}/")   # <prefix>/share/cmake/icl_metrics
elseif(ICL_MODE STREQUAL "build_tree")
  set(consumer_build "${ICL_WORK_DIR}/build-tree")
  file(REMOVE_RECURSE "${consumer_build}")
  list(APPEND configure_args "-Dicl_metrics_DIR=${ICL_BUILD_DIR}")
  set(expected_dir_prefix "${ICL_BUILD_DIR}")   # the build directory itself
else()
  message(FATAL_ERROR "run_consumer_test.cmake: unknown ICL_MODE '${ICL_MODE}'")
endif()

icl_step("configure" "${CMAKE_COMMAND}" -B "${consumer_build}" ${configure_args})

# The package must come from where this test put it, not from some other installation.
file(STRINGS "${consumer_build}/CMakeCache.txt" found_dir REGEX "^icl_metrics_DIR:")
string(REGEX REPLACE "^icl_metrics_DIR:[A-Z]+=" "" found_dir "${found_dir}")
string(FIND "${found_dir}/" "${expected_dir_prefix}" position)
if(NOT position EQUAL 0 OR (ICL_MODE STREQUAL "build_tree" AND NOT found_dir STREQUAL ICL_BUILD_DIR))
  message(FATAL_ERROR
    "package test (${ICL_MODE}): icl_metrics was found in '${found_dir}', "
    "expected under '${expected_dir_prefix}'")
endif()

icl_step("build" "${CMAKE_COMMAND}" --build "${consumer_build}" --config "${ICL_CONFIG}")
icl_step("run" "${consumer_build}/bin/icl_metrics_consumer")
if(ICL_CONSUMER_WITH_CUDA)
  icl_step("run (cuda)" "${consumer_build}/bin/icl_metrics_cuda_consumer")
endif()
if(ICL_CONSUMER_WITH_IO)
  icl_step("run (io)" "${consumer_build}/bin/icl_metrics_io_consumer" "${consumer_build}/consumer.npy")
endif()
