#ifndef ICL_CONFIG_HPP
#define ICL_CONFIG_HPP

/// Build-time configuration of icl-metrics.
///
/// ICL_USE_BLAS      defined by the `icl_metrics::blas` component: Gram matrices and the other
///                   large products go through the Fortran BLAS interface (SYRK/GEMM).
/// ICL_HAS_OPENMP    1 when the translation unit is compiled with OpenMP (the
///                   `icl_metrics::openmp` component adds the flag), else 0.

#if defined(_OPENMP)
#define ICL_HAS_OPENMP 1
#else
#define ICL_HAS_OPENMP 0
#endif

#if defined(ICL_USE_BLAS)
#define ICL_HAS_BLAS 1
#else
#define ICL_HAS_BLAS 0
#endif

#endif  // ICL_CONFIG_HPP
