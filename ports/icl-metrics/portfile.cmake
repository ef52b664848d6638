# icl-metrics is header-only: one configuration, nothing under debug/.
set(VCPKG_BUILD_TYPE release)

vcpkg_from_github(
    OUT_SOURCE_PATH SOURCE_PATH
    REPO icl-metrics/icl-metrics
    REF "v${VERSION}"
    SHA512 0
    HEAD_REF main
)

# Each feature builds the CMake component of the same name.
vcpkg_check_features(OUT_FEATURE_OPTIONS FEATURE_OPTIONS
    FEATURES
        blas    ICL_METRICS_WITH_BLAS
        openmp  ICL_METRICS_WITH_OPENMP
        io      ICL_METRICS_WITH_IO
        cuda    ICL_METRICS_CUDA
        mpi     ICL_METRICS_MPI
)

vcpkg_cmake_configure(
    SOURCE_PATH "${SOURCE_PATH}"
    OPTIONS
        ${FEATURE_OPTIONS}
        -DICL_METRICS_BUILD_TESTS=OFF
        -DICL_METRICS_BUILD_EXAMPLES=OFF
        -DICL_METRICS_BUILD_BENCHMARKS=OFF
        -DICL_METRICS_BUILD_TOOLS=OFF
        -DICL_METRICS_INSTALL=ON
        -DICL_METRICS_INSTALL_CMAKEDIR=share/icl_metrics
)
vcpkg_cmake_install()
vcpkg_cmake_config_fixup(PACKAGE_NAME icl_metrics)
vcpkg_fixup_pkgconfig()

# The license goes to share/icl-metrics/copyright.
file(REMOVE_RECURSE "${CURRENT_PACKAGES_DIR}/share/doc")
vcpkg_install_copyright(FILE_LIST "${SOURCE_PATH}/LICENSE")
file(INSTALL "${CMAKE_CURRENT_LIST_DIR}/usage" DESTINATION "${CURRENT_PACKAGES_DIR}/share/${PORT}")
