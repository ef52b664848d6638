# cmake -P script behind the CTest tests package_consumer, package_consumer_build_tree,
# package_fetchcontent, package_subdirectory and package_pkg_config, and the consumer step of
# package_vcpkg_layout (run_vcpkg_layout_test.cmake).
#
#   ICL_MODE=install       install ICL_BUILD_DIR into ICL_WORK_DIR/prefix, then configure the
#                          consumer with CMAKE_PREFIX_PATH pointing there (ICL_WORK_DIR/build)
#   ICL_MODE=build_tree    configure the consumer with icl_metrics_DIR = ICL_BUILD_DIR
#                          (ICL_WORK_DIR/build-tree)
#   ICL_MODE=prefix        configure the consumer with CMAKE_PREFIX_PATH = ICL_PREFIX, a prefix
#                          made by someone else (ICL_WORK_DIR/build-prefix)
#   ICL_MODE=subdirectory  the consumer adds ICL_SOURCE_DIR with add_subdirectory
#   ICL_MODE=fetchcontent  the consumer gets ICL_SOURCE_DIR with FetchContent (a local path)
#   ICL_MODE=pkg_config    install ICL_BUILD_DIR into ICL_WORK_DIR/pc-prefix and compile the
#                          consumer's sources with the compiler and `pkg-config --cflags --libs`
#                          alone (ICL_PKG_CONFIG), no CMake
#
# Then build the consumer and run it. Any failing step fails the script. ICL_CONSUMER_WITH_<X>
# (BLAS, OPENMP, IO, CUDA, MPI) choose the components the consumer asks for.

cmake_minimum_required(VERSION 3.25)
include("${CMAKE_CURRENT_LIST_DIR}/common.cmake")
icl_require(run_consumer_test.cmake ICL_MODE ICL_CONSUMER_SOURCE_DIR ICL_WORK_DIR ICL_GENERATOR ICL_CXX_COMPILER)
set(ICL_STEP_CONTEXT "package test (${ICL_MODE})")
if(NOT ICL_CONFIG)
  set(ICL_CONFIG Release)
endif()
if(NOT DEFINED ICL_CONSUMER_WITH_BLAS)
  set(ICL_CONSUMER_WITH_BLAS ON)
endif()
foreach(component OPENMP IO CUDA MPI)
  if(NOT DEFINED ICL_CONSUMER_WITH_${component})
    set(ICL_CONSUMER_WITH_${component} OFF)
  endif()
endforeach()

set(configure_args
  -S "${ICL_CONSUMER_SOURCE_DIR}"
  -G "${ICL_GENERATOR}"
  "-DCMAKE_BUILD_TYPE=${ICL_CONFIG}"
  "-DCMAKE_CXX_COMPILER=${ICL_CXX_COMPILER}"
  "-DICL_CONSUMER_WITH_BLAS=${ICL_CONSUMER_WITH_BLAS}"
  "-DICL_CONSUMER_WITH_OPENMP=${ICL_CONSUMER_WITH_OPENMP}"
  "-DICL_CONSUMER_WITH_IO=${ICL_CONSUMER_WITH_IO}"
  "-DICL_CONSUMER_WITH_MPI=${ICL_CONSUMER_WITH_MPI}"
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

# icl_run_consumers(<dir>): runs the programs built in <dir>/bin.
function(icl_run_consumers dir)
  icl_step("run" "${dir}/bin/icl_metrics_consumer")
  if(ICL_CONSUMER_WITH_CUDA)
    icl_step("run (cuda)" "${dir}/bin/icl_metrics_cuda_consumer")
  endif()
  if(ICL_CONSUMER_WITH_MPI)
    icl_step("run (mpi)" "${dir}/bin/icl_metrics_mpi_consumer")
  endif()
  if(ICL_CONSUMER_WITH_IO)
    icl_step("run (io)" "${dir}/bin/icl_metrics_io_consumer" "${dir}/consumer.npy")
  endif()
endfunction()

# icl_install_build(<prefix>): installs ICL_BUILD_DIR into a fresh <prefix>.
function(icl_install_build prefix)
  file(REMOVE_RECURSE "${prefix}")
  icl_step("install"
    "${CMAKE_COMMAND}" --install "${ICL_BUILD_DIR}" --prefix "${prefix}" --config "${ICL_CONFIG}")
endfunction()

if(ICL_MODE STREQUAL "pkg_config")
  include("${CMAKE_CURRENT_LIST_DIR}/pkg_config_consumer.cmake")
  return()
endif()

set(check_found_dir TRUE)
if(ICL_MODE STREQUAL "install")
  set(prefix "${ICL_WORK_DIR}/prefix")
  set(consumer_build "${ICL_WORK_DIR}/build")
  icl_install_build("${prefix}")
  list(APPEND configure_args "-DCMAKE_PREFIX_PATH=${prefix}")
  set(expected_dir_prefix "${prefix}/")   # <prefix>/share/cmake/icl_metrics
elseif(ICL_MODE STREQUAL "build_tree")
  set(consumer_build "${ICL_WORK_DIR}/build-tree")
  list(APPEND configure_args "-Dicl_metrics_DIR=${ICL_BUILD_DIR}")
  set(expected_dir_prefix "${ICL_BUILD_DIR}")   # the build directory itself
elseif(ICL_MODE STREQUAL "prefix")
  set(consumer_build "${ICL_WORK_DIR}/build-prefix")
  list(APPEND configure_args "-DCMAKE_PREFIX_PATH=${ICL_PREFIX}")
  set(expected_dir_prefix "${ICL_PREFIX}/")
elseif(ICL_MODE STREQUAL "subdirectory" OR ICL_MODE STREQUAL "fetchcontent")
  set(consumer_build "${ICL_WORK_DIR}/build-${ICL_MODE}")
  list(APPEND configure_args "-DICL_CONSUMER_FROM=${ICL_MODE}" "-DICL_CONSUMER_SOURCE=${ICL_SOURCE_DIR}")
  set(check_found_dir FALSE)   # no package config: the targets come from the source tree
else()
  message(FATAL_ERROR "run_consumer_test.cmake: unknown ICL_MODE '${ICL_MODE}'")
endif()
file(REMOVE_RECURSE "${consumer_build}")

icl_step("configure" "${CMAKE_COMMAND}" -B "${consumer_build}" ${configure_args})

# The package must come from where this test put it, not from some other installation.
if(check_found_dir)
  file(STRINGS "${consumer_build}/CMakeCache.txt" found_dir REGEX "^icl_metrics_DIR:")
  string(REGEX REPLACE "^icl_metrics_DIR:[A-Z]+=" "" found_dir "${found_dir}")
  string(FIND "${found_dir}/" "${expected_dir_prefix}" position)
  if(NOT position EQUAL 0 OR (ICL_MODE STREQUAL "build_tree" AND NOT found_dir STREQUAL ICL_BUILD_DIR))
    message(FATAL_ERROR
      "package test (${ICL_MODE}): icl_metrics was found in '${found_dir}', "
      "expected under '${expected_dir_prefix}'")
  endif()
endif()

icl_step("build" "${CMAKE_COMMAND}" --build "${consumer_build}" --config "${ICL_CONFIG}")
icl_run_consumers("${consumer_build}")
