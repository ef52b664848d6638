# cmake -P script behind the CTest test package_versions: every place that states the version or
# the components agrees with CMakeLists.txt, which holds the one version (project(VERSION)).
#
#   include/icl/version.hpp      ICL_VERSION_MAJOR/MINOR/PATCH/STRING
#   conanfile.py                 reads project(VERSION) (set_version), states no version itself
#   vcpkg.json, ports/icl-metrics/vcpkg.json   valid JSON; name, version-semver, features
#   pyproject.toml               (when present) a version read from CMake, or the same version
#   CHANGELOG.md                 the newest version section is this version
#   icl_metricsConfigVersion.cmake (ICL_BUILD_DIR)  SameMinorVersion under 1.0
#
# ICL_COMPONENTS: the components the CMakeLists.txt can build (blas;openmp;io;cuda), each a
# Conan option and a vcpkg feature.

cmake_minimum_required(VERSION 3.25)
include("${CMAKE_CURRENT_LIST_DIR}/common.cmake")
icl_require(check_versions.cmake ICL_SOURCE_DIR ICL_VERSION ICL_BUILD_DIR ICL_COMPONENTS)
string(REPLACE "," ";" components "${ICL_COMPONENTS}")
set(failures "")
macro(icl_fail)
  string(JOIN "" message ${ARGN})
  list(APPEND failures "${message}")
endmacro()

# ---- version.hpp ---------------------------------------------------------------------------------
string(REGEX MATCH "^([0-9]+)\\.([0-9]+)\\.([0-9]+)$" ignored "${ICL_VERSION}")
set(expected_MAJOR ${CMAKE_MATCH_1})
set(expected_MINOR ${CMAKE_MATCH_2})
set(expected_PATCH ${CMAKE_MATCH_3})
file(READ "${ICL_SOURCE_DIR}/include/icl/version.hpp" header)
foreach(part MAJOR MINOR PATCH)
  if(NOT header MATCHES "#define ICL_VERSION_${part} ${expected_${part}}\n")
    icl_fail("version.hpp: ICL_VERSION_${part} is not ${expected_${part}}")
  endif()
endforeach()
if(NOT header MATCHES "#define ICL_VERSION_STRING \"${ICL_VERSION}\"")
  icl_fail("version.hpp: ICL_VERSION_STRING is not \"${ICL_VERSION}\"")
endif()

# ---- the Conan recipe ----------------------------------------------------------------------------
file(READ "${ICL_SOURCE_DIR}/conanfile.py" recipe)
file(READ "${ICL_SOURCE_DIR}/CMakeLists.txt" lists)
if(NOT recipe MATCHES "def set_version\\(self\\)" OR recipe MATCHES "\n    version = ")
  icl_fail("conanfile.py: the version must come from set_version() reading CMakeLists.txt")
endif()
# What set_version() looks for: project(icl-metrics VERSION x.y.z.
if(NOT lists MATCHES "project\\([ \t\n]*icl-metrics[ \t\n]+VERSION[ \t\n]+${ICL_VERSION}[ \t\n)]")
  icl_fail("CMakeLists.txt: no 'project(icl-metrics VERSION ${ICL_VERSION}' for conanfile.py to read")
endif()
foreach(component IN LISTS components)
  if(NOT recipe MATCHES "\"${component}\": \\[True, False\\]")
    icl_fail("conanfile.py: no option ${component}")
  endif()
endforeach()

# ---- vcpkg ---------------------------------------------------------------------------------------
# icl_check_manifest(<file> <exact>): name, version and features; with <exact> the features are
# the components and nothing else.
function(icl_check_manifest file exact)
  file(READ "${ICL_SOURCE_DIR}/${file}" json)
  string(JSON name ERROR_VARIABLE error GET "${json}" name)
  if(error)
    icl_fail("${file}: not valid JSON or no name: ${error}")
    set(failures "${failures}" PARENT_SCOPE)
    return()
  endif()
  string(JSON version ERROR_VARIABLE error GET "${json}" version-semver)
  if(NOT name STREQUAL "icl-metrics")
    icl_fail("${file}: name is '${name}', not icl-metrics")
  endif()
  if(NOT version STREQUAL ICL_VERSION)
    icl_fail("${file}: version-semver is '${version}', not ${ICL_VERSION}")
  endif()
  string(JSON count LENGTH "${json}" features)
  set(features "")
  math(EXPR last "${count} - 1")
  foreach(i RANGE ${last})
    string(JSON feature MEMBER "${json}" features ${i})
    list(APPEND features ${feature})
  endforeach()
  foreach(component IN LISTS components)
    if(NOT component IN_LIST features)
      icl_fail("${file}: no feature ${component}")
    endif()
  endforeach()
  if(exact)
    foreach(feature IN LISTS features)
      if(NOT feature IN_LIST components)
        icl_fail("${file}: feature ${feature} is no component of the project")
      endif()
    endforeach()
  endif()
  set(failures "${failures}" PARENT_SCOPE)
endfunction()
icl_check_manifest(vcpkg.json FALSE)
icl_check_manifest(ports/icl-metrics/vcpkg.json TRUE)

# ---- pyproject.toml ------------------------------------------------------------------------------
if(EXISTS "${ICL_SOURCE_DIR}/pyproject.toml")
  file(READ "${ICL_SOURCE_DIR}/pyproject.toml" pyproject)
  if(pyproject MATCHES "\nversion[ \t]*=[ \t]*\"([^\"]*)\"")
    if(NOT CMAKE_MATCH_1 STREQUAL ICL_VERSION)
      icl_fail("pyproject.toml: version \"${CMAKE_MATCH_1}\" is not ${ICL_VERSION}")
    endif()
  elseif(NOT pyproject MATCHES "dynamic[ \t]*=[ \t]*\\[[^]]*\"version\"")
    icl_fail("pyproject.toml: neither version = \"${ICL_VERSION}\" nor a dynamic version")
  endif()
endif()

# ---- CHANGELOG.md --------------------------------------------------------------------------------
set(headings "")
if(EXISTS "${ICL_SOURCE_DIR}/CHANGELOG.md")
  file(STRINGS "${ICL_SOURCE_DIR}/CHANGELOG.md" headings REGEX "^## \\[[0-9]+\\.[0-9]+\\.[0-9]+\\]")
endif()
list(APPEND headings "(none)")
list(GET headings 0 newest)
if(NOT newest MATCHES "^## \\[${ICL_VERSION}\\]")
  icl_fail("CHANGELOG.md: the newest version section is '${newest}', not [${ICL_VERSION}]")
endif()

# ---- the CMake version file ----------------------------------------------------------------------
# icl_compatible(<requested> <expected TRUE/FALSE>)
function(icl_compatible requested expected)
  set(PACKAGE_FIND_VERSION "${requested}")
  string(REPLACE "." ";" parts "${requested}")
  list(GET parts 0 PACKAGE_FIND_VERSION_MAJOR)
  list(GET parts 1 PACKAGE_FIND_VERSION_MINOR)
  set(PACKAGE_FIND_VERSION_COUNT 2)
  set(PACKAGE_VERSION_COMPATIBLE FALSE)
  include("${ICL_BUILD_DIR}/icl_metricsConfigVersion.cmake")
  if(PACKAGE_VERSION_COMPATIBLE)
    set(got TRUE)
  else()
    set(got FALSE)
  endif()
  if(NOT got STREQUAL expected)
    icl_fail("icl_metricsConfigVersion.cmake ${PACKAGE_VERSION}: a request for ${requested} gives "
             "compatible = '${PACKAGE_VERSION_COMPATIBLE}', expected ${expected}")
    set(failures "${failures}" PARENT_SCOPE)
  endif()
endfunction()
math(EXPR next_minor "${expected_MINOR} + 1")
math(EXPR next_major "${expected_MAJOR} + 1")
icl_compatible("${expected_MAJOR}.${expected_MINOR}" TRUE)
icl_compatible("${expected_MAJOR}.${next_minor}" FALSE)
icl_compatible("${next_major}.${expected_MINOR}" FALSE)
if(expected_MINOR GREATER 0)
  math(EXPR previous_minor "${expected_MINOR} - 1")
  # Under 1.0 an older minor version is not compatible (SameMinorVersion).
  icl_compatible("${expected_MAJOR}.${previous_minor}" FALSE)
endif()

if(failures)
  string(JOIN "\n  " text ${failures})
  message(FATAL_ERROR "package_versions:\n  ${text}")
endif()
message(STATUS "package_versions: ${ICL_VERSION} everywhere; components ${components}")
