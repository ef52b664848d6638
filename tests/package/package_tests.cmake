# Included by tests/CMakeLists.txt (with the install rules): the packaging tests beyond
# package_consumer and package_consumer_build_tree, each a cmake -P script of this folder.
#
#   package_versions        one version (project(VERSION)) in version.hpp, the Conan recipe, the
#                           vcpkg manifests, pyproject.toml and CHANGELOG.md; SameMinorVersion
#   package_fetchcontent    the consumer gets the source tree through FetchContent (a local path)
#   package_subdirectory    the consumer adds the source tree with add_subdirectory
#   package_vcpkg_layout    ports/icl-metrics/portfile.cmake run with plain CMake into a tree laid
#                           out as vcpkg's, and the consumer against it
#   package_pkg_config      a consumer compiled with `pkg-config --cflags --libs` alone
#
# They test the packaging, not the code: the sanitizer build leaves them out. Label: packaging.
if(ICL_METRICS_SANITIZE)
  return()
endif()
include("${CMAKE_CURRENT_LIST_DIR}/common.cmake")

# The components that CMakeLists.txt can build (icl_metrics_component calls and the cuda option).
file(STRINGS "${PROJECT_SOURCE_DIR}/CMakeLists.txt" icl_component_calls REGEX "^ *icl_metrics_component\\([a-z]+ ")
set(icl_all_components "")
foreach(call IN LISTS icl_component_calls)
  string(REGEX REPLACE "^ *icl_metrics_component\\(([a-z]+) .*" "\\1" name "${call}")
  list(APPEND icl_all_components ${name})
endforeach()
string(REPLACE ";" "," icl_all_components "${icl_all_components}")

set(icl_package_dir "${CMAKE_CURRENT_SOURCE_DIR}/package")
set(icl_package_common
  "-DICL_SOURCE_DIR=${PROJECT_SOURCE_DIR}"
  "-DICL_BUILD_DIR=${PROJECT_BINARY_DIR}"
  "-DICL_CONSUMER_SOURCE_DIR=${icl_package_dir}"
  "-DICL_CONFIG=$<CONFIG>"
  "-DICL_GENERATOR=${CMAKE_GENERATOR}"
  "-DICL_MAKE_PROGRAM=${CMAKE_MAKE_PROGRAM}"
  "-DICL_CXX_COMPILER=${CMAKE_CXX_COMPILER}")

# icl_package_test(<name> <script> <args>...): one test, its own work folder.
function(icl_package_test name script)
  add_test(NAME ${name}
    COMMAND "${CMAKE_COMMAND}" ${icl_package_common} "-DICL_WORK_DIR=${PROJECT_BINARY_DIR}/${name}"
      ${ARGN} -P "${icl_package_dir}/${script}")
  set_tests_properties(${name} PROPERTIES TIMEOUT 900 LABELS "package;packaging")
endfunction()

icl_package_test(package_versions check_versions.cmake
  "-DICL_VERSION=${PROJECT_VERSION}" "-DICL_COMPONENTS=${icl_all_components}")

# The consumer asks for what the installed package has (blas, openmp, io when built).
icl_consumer_switches(icl_package_consumer_args ICL_METRICS_COMPONENTS)
foreach(mode IN ITEMS fetchcontent subdirectory)
  icl_package_test(package_${mode} run_consumer_test.cmake "-DICL_MODE=${mode}" ${icl_package_consumer_args})
endforeach()

# The port's features: those of this build's components.
set(icl_vcpkg_features "")
foreach(component IN ITEMS blas openmp io)
  if(component IN_LIST ICL_METRICS_COMPONENTS)
    list(APPEND icl_vcpkg_features ${component})
  endif()
endforeach()
string(REPLACE ";" "," icl_vcpkg_features "${icl_vcpkg_features}")
icl_package_test(package_vcpkg_layout run_vcpkg_layout_test.cmake "-DICL_FEATURES=${icl_vcpkg_features}")

find_program(ICL_PKG_CONFIG NAMES pkg-config pkgconf)
if(ICL_PKG_CONFIG)
  icl_package_test(package_pkg_config run_consumer_test.cmake -DICL_MODE=pkg_config
    "-DICL_PKG_CONFIG=${ICL_PKG_CONFIG}" ${icl_package_consumer_args})
else()
  message(STATUS "tests: no pkg-config, package_pkg_config not added")
endif()
