# Compiler flags for the project's own targets (tests, benchmarks, examples, header check).
# They travel through the INTERFACE target icl_metrics_project_options, which is linked
# PRIVATE and never installed or exported: consumers of icl_metrics get none of these flags.
#
# Dependencies reach the compiler through imported targets, whose include directories are
# SYSTEM, so Eigen, xtensor, Catch2 and Google Benchmark do not trip the warnings below.

add_library(icl_metrics_project_options INTERFACE)

if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
  target_compile_options(icl_metrics_project_options INTERFACE -Wall -Wextra -Wpedantic)
  if(ICL_METRICS_WARNINGS_AS_ERRORS)
    target_compile_options(icl_metrics_project_options INTERFACE -Werror)
  endif()
  if(ICL_METRICS_SANITIZE)
    set(_icl_sanitize_flags
      -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
    target_compile_options(icl_metrics_project_options INTERFACE ${_icl_sanitize_flags})
    target_link_options(icl_metrics_project_options INTERFACE ${_icl_sanitize_flags})
    unset(_icl_sanitize_flags)
    # GCC's flow-based warnings give false positives on sanitizer-instrumented code (GCC 12
    # flags std::regex inside Catch2, for one); the plain build keeps them.
    if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
      target_compile_options(icl_metrics_project_options INTERFACE -Wno-maybe-uninitialized)
    endif()
  endif()
elseif(MSVC)
  target_compile_options(icl_metrics_project_options INTERFACE /W4 /permissive- /bigobj)
  if(ICL_METRICS_WARNINGS_AS_ERRORS)
    target_compile_options(icl_metrics_project_options INTERFACE /WX)
  endif()
  if(ICL_METRICS_SANITIZE)
    target_compile_options(icl_metrics_project_options INTERFACE /fsanitize=address)
  endif()
endif()
