#ifndef ICL_CUDA_DETAIL_HOST_LIBRARY_CUH
#define ICL_CUDA_DETAIL_HOST_LIBRARY_CUH

/// The host library's types (views, f16/bf16, the attention results and checks, the label
/// encoding, and through them Eigen/Core) for code compiled by nvcc: the CUDA path returns the
/// CPU library's result types and raises its errors with its messages.
///
/// Eigen's headers make nvcc warn twice over: #20015 (a constexpr host function called from a
/// host-device one), which needs --expt-relaxed-constexpr, a flag icl_metrics::cuda gives every
/// CUDA source, as Eigen's documentation asks; and #20012 (a __host__ annotation ignored on a
/// defaulted function), which has no flag and is silenced here for these includes only.

#pragma nv_diag_suppress 20012
#include "icl/attention/detail/attention_checks.hpp"
#include "icl/core/labels.hpp"
#include "icl/core/view.hpp"
#pragma nv_diag_default 20012

#endif  // ICL_CUDA_DETAIL_HOST_LIBRARY_CUH
