# cmake -P script behind the CTest test package_vcpkg_layout. vcpkg itself is not run: this runs
# ports/icl-metrics/portfile.cmake with stand-ins of the vcpkg helpers it calls, which do their
# work with plain CMake, the way vcpkg would:
#
#   vcpkg_from_github       checks REPO/REF/SHA512 and gives the working tree as the source
#                           (the release tag cannot be fetched here)
#   vcpkg_check_features    -D<option>=ON/OFF per feature of ICL_FEATURES (each must be a feature
#                           of the port's vcpkg.json)
#   vcpkg_cmake_configure   cmake -S SOURCE_PATH with the port's OPTIONS, Release, the install
#   vcpkg_cmake_install     prefix CURRENT_PACKAGES_DIR, then the install target
#   vcpkg_cmake_config_fixup  checks that the config is at share/<PACKAGE_NAME> and holds no
#   vcpkg_fixup_pkgconfig     absolute path of the packages folder; same for the .pc files
#   vcpkg_install_copyright share/<port>/copyright
#
# The package folder is then copied into ICL_WORK_DIR/vcpkg/installed/x64-linux, laid out as
# vcpkg's installed tree, and the consumer (tests/package) is built against that prefix and run
# through run_consumer_test.cmake (ICL_MODE=prefix) with the components of the features.

cmake_minimum_required(VERSION 3.25)
include("${CMAKE_CURRENT_LIST_DIR}/common.cmake")
icl_require(run_vcpkg_layout_test.cmake ICL_SOURCE_DIR ICL_WORK_DIR ICL_GENERATOR ICL_CXX_COMPILER)
set(ICL_STEP_CONTEXT "package test (vcpkg layout)")
string(REPLACE "," ";" FEATURES "${ICL_FEATURES}")

set(PORT icl-metrics)
set(TARGET_TRIPLET x64-linux)
set(port_dir "${ICL_SOURCE_DIR}/ports/${PORT}")
file(READ "${port_dir}/vcpkg.json" port_manifest)
string(JSON VERSION GET "${port_manifest}" version-semver)
set(vcpkg_root "${ICL_WORK_DIR}/vcpkg")
set(CURRENT_BUILDTREES_DIR "${vcpkg_root}/buildtrees/${PORT}")
set(CURRENT_PACKAGES_DIR "${vcpkg_root}/packages/${PORT}_${TARGET_TRIPLET}")
set(installed "${vcpkg_root}/installed/${TARGET_TRIPLET}")
file(REMOVE_RECURSE "${vcpkg_root}")

# icl_vcpkg_args(<helper> <options> <one-value> <multi-value>): parses the helper's arguments into
# arg_* and rejects any it does not know.
macro(icl_vcpkg_args helper options one multi)
  cmake_parse_arguments(PARSE_ARGV 0 arg "${options}" "${one}" "${multi}")
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "${helper}: unexpected arguments ${arg_UNPARSED_ARGUMENTS}")
  endif()
endmacro()

function(vcpkg_from_github)
  icl_vcpkg_args(vcpkg_from_github "" "OUT_SOURCE_PATH;REPO;REF;SHA512;HEAD_REF" "PATCHES")
  foreach(field OUT_SOURCE_PATH REPO REF SHA512)
    if(NOT DEFINED arg_${field})
      message(FATAL_ERROR "vcpkg_from_github: ${field} missing")
    endif()
  endforeach()
  if(NOT arg_REF STREQUAL "v${VERSION}")
    message(FATAL_ERROR "vcpkg_from_github: REF ${arg_REF} is not the release tag v${VERSION}")
  endif()
  set(${arg_OUT_SOURCE_PATH} "${ICL_SOURCE_DIR}" PARENT_SCOPE)
endfunction()

function(vcpkg_check_features)
  icl_vcpkg_args(vcpkg_check_features "" "OUT_FEATURE_OPTIONS" "FEATURES")
  string(JSON port_features GET "${port_manifest}" features)
  set(options "")
  list(LENGTH arg_FEATURES count)
  math(EXPR last "${count} - 1")
  foreach(i RANGE 0 ${last} 2)
    math(EXPR j "${i} + 1")
    list(GET arg_FEATURES ${i} feature)
    list(GET arg_FEATURES ${j} option)
    string(JSON ignored ERROR_VARIABLE missing GET "${port_features}" "${feature}")
    if(missing)
      message(FATAL_ERROR "vcpkg_check_features: '${feature}' is not a feature of ${port_dir}/vcpkg.json")
    endif()
    set(value OFF)
    if(feature IN_LIST FEATURES)
      set(value ON)
    endif()
    list(APPEND options "-D${option}=${value}")
  endforeach()
  set(${arg_OUT_FEATURE_OPTIONS} "${options}" PARENT_SCOPE)
endfunction()

function(vcpkg_cmake_configure)
  icl_vcpkg_args(vcpkg_cmake_configure "" "SOURCE_PATH" "OPTIONS;OPTIONS_RELEASE;OPTIONS_DEBUG")
  set(args -S "${arg_SOURCE_PATH}" -B "${CURRENT_BUILDTREES_DIR}/${TARGET_TRIPLET}-rel" -G "${ICL_GENERATOR}"
    -DCMAKE_BUILD_TYPE=Release "-DCMAKE_INSTALL_PREFIX=${CURRENT_PACKAGES_DIR}"
    "-DCMAKE_CXX_COMPILER=${ICL_CXX_COMPILER}" -DFETCHCONTENT_FULLY_DISCONNECTED=ON
    -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF ${arg_OPTIONS} ${arg_OPTIONS_RELEASE})
  if(ICL_MAKE_PROGRAM)
    list(APPEND args "-DCMAKE_MAKE_PROGRAM=${ICL_MAKE_PROGRAM}")
  endif()
  icl_step("vcpkg_cmake_configure" "${CMAKE_COMMAND}" ${args})
endfunction()

function(vcpkg_cmake_install)
  icl_vcpkg_args(vcpkg_cmake_install "" "" "")
  icl_step("vcpkg_cmake_install"
    "${CMAKE_COMMAND}" --build "${CURRENT_BUILDTREES_DIR}/${TARGET_TRIPLET}-rel" --target install)
endfunction()

# icl_vcpkg_relocatable(<what> <files>...): none of the files names the packages folder.
function(icl_vcpkg_relocatable what)
  foreach(file IN LISTS ARGN)
    file(READ "${file}" text)
    string(FIND "${text}" "${CURRENT_PACKAGES_DIR}" position)
    if(NOT position EQUAL -1)
      message(FATAL_ERROR "${what}: ${file} holds the absolute path ${CURRENT_PACKAGES_DIR}")
    endif()
  endforeach()
endfunction()

function(vcpkg_cmake_config_fixup)
  icl_vcpkg_args(vcpkg_cmake_config_fixup "" "PACKAGE_NAME;CONFIG_PATH" "")
  if(arg_CONFIG_PATH AND NOT arg_CONFIG_PATH STREQUAL "share/${arg_PACKAGE_NAME}")
    message(FATAL_ERROR "vcpkg_cmake_config_fixup: this stand-in only checks a config installed in place")
  endif()
  file(GLOB files "${CURRENT_PACKAGES_DIR}/share/${arg_PACKAGE_NAME}/*.cmake")
  if(NOT EXISTS "${CURRENT_PACKAGES_DIR}/share/${arg_PACKAGE_NAME}/${arg_PACKAGE_NAME}Config.cmake")
    message(FATAL_ERROR "vcpkg_cmake_config_fixup: no share/${arg_PACKAGE_NAME}/${arg_PACKAGE_NAME}Config.cmake")
  endif()
  icl_vcpkg_relocatable(vcpkg_cmake_config_fixup ${files})
endfunction()

function(vcpkg_fixup_pkgconfig)
  icl_vcpkg_args(vcpkg_fixup_pkgconfig "" "" "")
  file(GLOB files "${CURRENT_PACKAGES_DIR}/share/pkgconfig/*.pc" "${CURRENT_PACKAGES_DIR}/lib/pkgconfig/*.pc")
  icl_vcpkg_relocatable(vcpkg_fixup_pkgconfig ${files})
endfunction()

function(vcpkg_install_copyright)
  icl_vcpkg_args(vcpkg_install_copyright "" "" "FILE_LIST")
  set(text "")
  foreach(file IN LISTS arg_FILE_LIST)
    file(READ "${file}" part)
    string(APPEND text "${part}")
  endforeach()
  file(WRITE "${CURRENT_PACKAGES_DIR}/share/${PORT}/copyright" "${text}")
endfunction()

# The port, as vcpkg runs it (CMAKE_CURRENT_LIST_DIR is the port's folder there too).
include("${port_dir}/portfile.cmake")

# What vcpkg's post-build checks expect of a header-only port, then the "install".
foreach(path share/${PORT}/copyright share/${PORT}/usage share/icl_metrics/icl_metricsConfig.cmake
             share/icl_metrics/icl_metricsConfigVersion.cmake share/pkgconfig/icl_metrics.pc include/icl/icl.hpp)
  if(NOT EXISTS "${CURRENT_PACKAGES_DIR}/${path}")
    message(FATAL_ERROR "package test (vcpkg layout): ${path} missing from ${CURRENT_PACKAGES_DIR}")
  endif()
endforeach()
foreach(path debug lib bin share/doc share/cmake)
  if(EXISTS "${CURRENT_PACKAGES_DIR}/${path}")
    message(FATAL_ERROR "package test (vcpkg layout): ${path} must not be in a header-only port")
  endif()
endforeach()
file(COPY "${CURRENT_PACKAGES_DIR}/" DESTINATION "${installed}")

# The consumer, against the installed tree (as vcpkg's toolchain file puts it on CMAKE_PREFIX_PATH).
icl_consumer_switches(consumer_args FEATURES)
icl_step("consumer" "${CMAKE_COMMAND}" -DICL_MODE=prefix "-DICL_PREFIX=${installed}"
  "-DICL_CONSUMER_SOURCE_DIR=${CMAKE_CURRENT_LIST_DIR}" "-DICL_WORK_DIR=${vcpkg_root}"
  "-DICL_GENERATOR=${ICL_GENERATOR}" "-DICL_MAKE_PROGRAM=${ICL_MAKE_PROGRAM}"
  "-DICL_CXX_COMPILER=${ICL_CXX_COMPILER}" ${consumer_args}
  -P "${CMAKE_CURRENT_LIST_DIR}/run_consumer_test.cmake")
