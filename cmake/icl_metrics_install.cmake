# Install rules, the package config and the build-tree export.
#
# Export sets: icl_metrics_targets holds icl_metrics::icl_metrics; each component has its own
# (icl_metrics_<component>_targets), loaded by the package config only when the consumer lists
# that component in find_package(icl_metrics COMPONENTS ...). The headers of every component are
# installed whether or not it is built (icl/cuda/*.cuh among them); only the export sets and the
# package config's list of components differ.

include(CMakePackageConfigHelpers)

# A header-only package is architecture independent: its config goes under share/.
set(ICL_METRICS_INSTALL_CMAKEDIR "${CMAKE_INSTALL_DATADIR}/cmake/icl_metrics"
  CACHE STRING "Where the package config of icl_metrics is installed (relative to the prefix)")

install(DIRECTORY "${PROJECT_SOURCE_DIR}/include/"
  DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}"
  COMPONENT icl_metrics_development)

install(FILES "${PROJECT_SOURCE_DIR}/LICENSE"
  DESTINATION "${CMAKE_INSTALL_DATADIR}/doc/icl-metrics"
  COMPONENT icl_metrics_development)

# One export set per target: the main library, then each component that is built.
set(_icl_export_targets icl_metrics)
foreach(_component IN LISTS ICL_METRICS_COMPONENTS)
  list(APPEND _icl_export_targets icl_metrics_${_component})
endforeach()

foreach(_target IN LISTS _icl_export_targets)
  install(TARGETS ${_target} EXPORT ${_target}_targets)
  install(EXPORT ${_target}_targets
    NAMESPACE icl_metrics::
    FILE ${_target}_targets.cmake
    DESTINATION "${ICL_METRICS_INSTALL_CMAKEDIR}"
    COMPONENT icl_metrics_development)
  # Build-tree export: icl_metrics_DIR may point at the build directory itself.
  export(EXPORT ${_target}_targets
    NAMESPACE icl_metrics::
    FILE "${PROJECT_BINARY_DIR}/${_target}_targets.cmake")
endforeach()

# The config is configured twice from one template: once for the install tree and once for the
# build tree. It finds its targets files relative to its own location, so the two differ only in
# the PACKAGE_PREFIX_DIR that @PACKAGE_INIT@ computes.
configure_package_config_file(
  "${PROJECT_SOURCE_DIR}/cmake/icl_metricsConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/cmake/install/icl_metricsConfig.cmake"
  INSTALL_DESTINATION "${ICL_METRICS_INSTALL_CMAKEDIR}")

configure_package_config_file(
  "${PROJECT_SOURCE_DIR}/cmake/icl_metricsConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/icl_metricsConfig.cmake"
  INSTALL_DESTINATION "${PROJECT_BINARY_DIR}"
  INSTALL_PREFIX "${PROJECT_BINARY_DIR}")

write_basic_package_version_file(
  "${PROJECT_BINARY_DIR}/icl_metricsConfigVersion.cmake"
  VERSION ${PROJECT_VERSION}
  # SemVer under 1.0: a minor version may break, so 0.2 does not satisfy a request for 0.1
  # (docs/api-stability.md). From 1.0 on this becomes SameMajorVersion.
  COMPATIBILITY SameMinorVersion
  ARCH_INDEPENDENT)

install(FILES
    "${PROJECT_BINARY_DIR}/cmake/install/icl_metricsConfig.cmake"
    "${PROJECT_BINARY_DIR}/icl_metricsConfigVersion.cmake"
  DESTINATION "${ICL_METRICS_INSTALL_CMAKEDIR}"
  COMPONENT icl_metrics_development)

# ---- pkg-config ----------------------------------------------------------------------------------
# icl_metrics.pc (the headers and Eigen) and icl_metrics_<component>.pc for each built component
# (Requires: icl_metrics and the component's libraries). Installed under share/ like the CMake
# config: the files hold no architecture-dependent path (the prefix is ${pcfiledir}/../..).
set(ICL_METRICS_INSTALL_PKGCONFIGDIR "${CMAKE_INSTALL_DATADIR}/pkgconfig"
  CACHE STRING "Where the pkg-config files of icl_metrics are installed (relative to the prefix)")
set(ICL_METRICS_PKG_CONFIG_BLAS "blas lapack"
  CACHE STRING "pkg-config modules that icl_metrics_blas.pc requires for BLAS and LAPACK")

# icl_metrics_pkg_config(MODULE DESCRIPTION REQUIRES CFLAGS LIBS): configures and installs MODULE.pc.
function(icl_metrics_pkg_config module description requires cflags libs)
  set(ICL_PC_MODULE "${module}")
  set(ICL_PC_DESCRIPTION "${description}")
  set(ICL_PC_REQUIRES "${requires}")
  set(ICL_PC_CFLAGS "${cflags}")
  set(ICL_PC_LIBS "${libs}")
  file(RELATIVE_PATH ICL_PC_PREFIX_FROM_PCDIR "/prefix/${ICL_METRICS_INSTALL_PKGCONFIGDIR}" "/prefix")
  string(REGEX REPLACE "/$" "" ICL_PC_PREFIX_FROM_PCDIR "${ICL_PC_PREFIX_FROM_PCDIR}")
  configure_file("${PROJECT_SOURCE_DIR}/cmake/icl_metrics.pc.in"
    "${PROJECT_BINARY_DIR}/pkgconfig/${module}.pc" @ONLY)
  install(FILES "${PROJECT_BINARY_DIR}/pkgconfig/${module}.pc"
    DESTINATION "${ICL_METRICS_INSTALL_PKGCONFIGDIR}"
    COMPONENT icl_metrics_development)
endfunction()

icl_metrics_pkg_config(icl_metrics "${PROJECT_DESCRIPTION}" "eigen3 >= ${ICL_METRICS_EIGEN_MIN_VERSION}"
  "-I\${includedir}" "")
foreach(_component IN LISTS ICL_METRICS_COMPONENTS)
  set(_icl_description "icl-metrics component ${_component}")
  if(_component STREQUAL "blas")
    icl_metrics_pkg_config(icl_metrics_blas "${_icl_description}: products through BLAS and LAPACK"
      "icl_metrics ${ICL_METRICS_PKG_CONFIG_BLAS}" "-DICL_USE_BLAS" "")
  elseif(_component STREQUAL "openmp")
    icl_metrics_pkg_config(icl_metrics_openmp "${_icl_description}: parallel loops on OpenMP"
      "icl_metrics" "${OpenMP_CXX_FLAGS}" "${OpenMP_CXX_FLAGS}")
  elseif(_component STREQUAL "io")
    icl_metrics_pkg_config(icl_metrics_io "${_icl_description}: .npy, .npz and .safetensors readers"
      "icl_metrics zlib nlohmann_json >= 3.2" "" "")
  elseif(_component STREQUAL "cuda")
    list(TRANSFORM CUDAToolkit_INCLUDE_DIRS PREPEND "-I" OUTPUT_VARIABLE _icl_cuda_cflags)
    string(REPLACE ";" " " _icl_cuda_cflags "${_icl_cuda_cflags}")
    icl_metrics_pkg_config(icl_metrics_cuda "${_icl_description}: the CUDA path (nvcc)"
      "icl_metrics" "${_icl_cuda_cflags}" "-L${CUDAToolkit_LIBRARY_DIR} -lcudart -lcublas")
  elseif(_component STREQUAL "mpi")
    # MPI's own flags as FindMPI reports them (an MPI installation's .pc file has no common name).
    list(TRANSFORM MPI_CXX_INCLUDE_DIRS PREPEND "-I" OUTPUT_VARIABLE _icl_mpi_cflags)
    string(REPLACE ";" " " _icl_mpi_cflags "${MPI_CXX_COMPILE_OPTIONS} ${_icl_mpi_cflags}")
    string(REPLACE ";" " " _icl_mpi_libs "${MPI_CXX_LINK_FLAGS} ${MPI_CXX_LIBRARIES}")
    string(STRIP "${_icl_mpi_cflags}" _icl_mpi_cflags)
    string(STRIP "${_icl_mpi_libs}" _icl_mpi_libs)
    icl_metrics_pkg_config(icl_metrics_mpi "${_icl_description}: the metrics over MPI ranks"
      "icl_metrics" "${_icl_mpi_cflags}" "${_icl_mpi_libs}")
  endif()
endforeach()

unset(_icl_export_targets)
unset(_icl_description)
unset(_icl_cuda_cflags)
unset(_icl_mpi_cflags)
unset(_icl_mpi_libs)
