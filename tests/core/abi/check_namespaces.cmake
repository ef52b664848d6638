# cmake -DICL_INCLUDE_DIR=<include> -P check_namespaces.cmake
#
# Every namespace icl::X that a header of the library opens must be one of the namespaces that
# icl/config.hpp declares inside the per-configuration inline namespace (ICL_ABI_NAMESPACE), or
# one of the plain namespaces whose code is the same in both configurations: icl::io (the file
# readers) and icl::cuda (the CUDA path). Otherwise X would be a plain namespace, and its
# functions would keep one symbol whether or not ICL_USE_BLAS is defined.

cmake_policy(VERSION 3.25)

if(NOT ICL_INCLUDE_DIR)
  message(FATAL_ERROR "check_namespaces.cmake: pass -DICL_INCLUDE_DIR=<include directory>")
endif()

file(READ "${ICL_INCLUDE_DIR}/icl/config.hpp" config)
string(FIND "${config}" "inline namespace ICL_ABI_NAMESPACE {" begin)
if(begin LESS 0)
  message(FATAL_ERROR "icl/config.hpp declares no inline namespace ICL_ABI_NAMESPACE")
endif()
string(SUBSTRING "${config}" ${begin} -1 config)
string(REGEX MATCHALL "\nnamespace [A-Za-z_0-9]+ {}" declared "${config}")
set(allowed io cuda)
foreach(entry IN LISTS declared)
  string(REGEX REPLACE "\nnamespace ([A-Za-z_0-9]+) {}" "\\1" name "${entry}")
  list(APPEND allowed "${name}")
endforeach()
if(NOT "detail" IN_LIST allowed)
  message(FATAL_ERROR "icl/config.hpp: no namespace declared in the inline namespace (found: ${allowed})")
endif()

file(GLOB_RECURSE headers LIST_DIRECTORIES false "${ICL_INCLUDE_DIR}/icl/*.hpp" "${ICL_INCLUDE_DIR}/icl/*.cuh")
list(SORT headers)
set(problems "")
set(count 0)
foreach(header IN LISTS headers)
  file(STRINGS "${header}" lines REGEX "^[ \t]*namespace icl::[A-Za-z_0-9]+")
  foreach(line IN LISTS lines)
    string(REGEX REPLACE "^[ \t]*namespace icl::([A-Za-z_0-9]+).*" "\\1" name "${line}")
    math(EXPR count "${count} + 1")
    if(NOT name IN_LIST allowed)
      file(RELATIVE_PATH relative "${ICL_INCLUDE_DIR}" "${header}")
      list(APPEND problems "${relative}: namespace icl::${name}")
    endif()
  endforeach()
endforeach()

if(problems)
  list(JOIN problems "\n  " text)
  message(FATAL_ERROR "namespaces missing from the list in icl/config.hpp (add them inside "
    "`inline namespace ICL_ABI_NAMESPACE`):\n  ${text}")
endif()
message(STATUS "${count} namespace openings checked against: ${allowed}")
