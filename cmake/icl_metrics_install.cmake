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
  COMPATIBILITY SameMajorVersion
  ARCH_INDEPENDENT)

install(FILES
    "${PROJECT_BINARY_DIR}/cmake/install/icl_metricsConfig.cmake"
    "${PROJECT_BINARY_DIR}/icl_metricsConfigVersion.cmake"
  DESTINATION "${ICL_METRICS_INSTALL_CMAKEDIR}"
  COMPONENT icl_metrics_development)

unset(_icl_export_targets)
