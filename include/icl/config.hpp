#ifndef ICL_CONFIG_HPP
#define ICL_CONFIG_HPP

/// Build-time configuration of icl-metrics.
///
/// ICL_USE_BLAS      defined by the `icl_metrics::blas` component: Gram matrices and the other
///                   large products go through the Fortran BLAS interface (SYRK/GEMM/GEMV).
/// ICL_HAS_OPENMP    1 when the translation unit is compiled with OpenMP (the
///                   `icl_metrics::openmp` component adds the flag), else 0.
/// ICL_HAS_BLAS      1 when ICL_USE_BLAS is defined, else 0.
///
/// One program may mix translation units built with and without ICL_USE_BLAS (a library built
/// with the blas component, an application built without it). The library is header-only, so
/// each translation unit compiles its own copy of every function, and ICL_USE_BLAS changes the
/// bodies of many of them (BLAS calls instead of Eigen's products, loops beside BLAS on the
/// calling thread). So that the linker never keeps one configuration's body for both, every
/// function whose body may depend on ICL_USE_BLAS lives in an inline namespace named after the
/// configuration, ICL_ABI_NAMESPACE (`icl::blas_on` or `icl::blas_off`). Code still writes
/// `icl::rsa::compute_rdm`, `icl::detail::...`: the inline namespace only shows in symbol names
/// (`icl::blas_on::rsa::compute_rdm<float>(...)`), which therefore differ between the two
/// configurations.
///
/// What is in it:
///   - icl::detail, icl::stats and every module namespace (icl::attention, icl::collect,
///     icl::decode, icl::geometry, icl::mpi, icl::probe, icl::rsa) as a whole: they are declared
///     inside the inline namespace below, before any header opens them, so that
///     `namespace icl::rsa {` in a header extends icl::ICL_ABI_NAMESPACE::rsa. A new module namespace must be added
///     to this list (the test `core_abi_namespaces` checks every `namespace icl::X` against it);
///   - the top-level functions whose bodies depend on the configuration (icl::gram_matrix,
///     icl::uses_blas), declared inside `inline namespace ICL_ABI_NAMESPACE` in their header.
/// What is not: the top-level value types that carry data between translation units and do not
/// depend on the configuration (matrix_view, tensor_view, dense_matrix, f16, bf16, the
/// parameter structs and enums of icl/core, icl::layer_curve), the exception classes
/// (icl::error, icl::invalid_argument, so that a translation unit catches what another throws)
/// and the file readers of icl::io (no BLAS in them): they are the same in both configurations.
///
/// Every header of the library includes this one (directly or through icl/core/error.hpp)
/// before it opens a namespace.

#if defined(_OPENMP)
#define ICL_HAS_OPENMP 1
#else
#define ICL_HAS_OPENMP 0
#endif

#if defined(ICL_USE_BLAS)
#define ICL_HAS_BLAS 1
#define ICL_ABI_NAMESPACE blas_on
#else
#define ICL_HAS_BLAS 0
#define ICL_ABI_NAMESPACE blas_off
#endif

/// ICL_HOST_DEVICE marks the plain C++ functions that the CUDA path's kernels call per element,
/// row or tile (icl/cuda/detail/*.hpp, icl/core/detail/sorted_candidates.hpp): `__host__
/// __device__` under nvcc, empty for a host compiler, so the same code also runs on the CPU.
#if defined(__CUDACC__)
#define ICL_HOST_DEVICE __host__ __device__
#else
#define ICL_HOST_DEVICE
#endif

namespace icl {
inline namespace ICL_ABI_NAMESPACE {
// The namespaces whose whole content depends on the configuration (see above).
namespace detail {}
namespace stats {}
namespace attention {}
namespace collect {}
namespace decode {}
namespace geometry {}
namespace mpi {}
namespace probe {}
namespace rsa {}

/// True when the calling translation unit was compiled with ICL_USE_BLAS (the
/// `icl_metrics::blas` component): its icl functions call BLAS for the large products.
constexpr bool uses_blas() noexcept { return ICL_HAS_BLAS != 0; }
}  // namespace ICL_ABI_NAMESPACE
}  // namespace icl

#endif  // ICL_CONFIG_HPP
