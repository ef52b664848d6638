# Helpers shared by tests/, examples/ and benchmarks/.

# icl_metrics_use_library(<target> [EIGEN_ONLY])
#
# Gives <target> the project's compile flags and links it to the library: to every component
# that is built (icl_metrics::blas, icl_metrics::openmp), or with EIGEN_ONLY to the plain
# icl_metrics::icl_metrics alone, so that the Eigen-only code path is compiled and run as well.
function(icl_metrics_use_library target)
  cmake_parse_arguments(PARSE_ARGV 1 arg "EIGEN_ONLY" "" "")
  target_link_libraries(${target} PRIVATE icl_metrics_project_options icl_metrics::icl_metrics)
  if(NOT arg_EIGEN_ONLY)
    foreach(_component IN LISTS ICL_METRICS_COMPONENTS)
      # The cuda component is for nvcc-compiled sources: tests/cuda links it where needed.
      if(_component STREQUAL "cuda")
        continue()
      endif()
      # The mpi component needs MPI_Init: tests/mpi links it where needed.
      if(_component STREQUAL "mpi")
        continue()
      endif()
      target_link_libraries(${target} PRIVATE icl_metrics::${_component})
    endforeach()
  endif()
endfunction()

# icl_metrics_glob_sources(<out_var> <directory> <name_pattern>)
#
# Sorted list of the files under <directory> (at any depth) whose name matches <name_pattern>.
# The glob is re-run at build time (CONFIGURE_DEPENDS), so new files are picked up without
# editing any CMakeLists.txt.
function(icl_metrics_glob_sources out_var directory name_pattern)
  file(GLOB_RECURSE _files CONFIGURE_DEPENDS LIST_DIRECTORIES false
    "${directory}/${name_pattern}")
  list(SORT _files)
  set(${out_var} "${_files}" PARENT_SCOPE)
endfunction()
