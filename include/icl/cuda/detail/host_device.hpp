#ifndef ICL_CUDA_DETAIL_HOST_DEVICE_HPP
#define ICL_CUDA_DETAIL_HOST_DEVICE_HPP

/// ICL_HOST_DEVICE (icl/config.hpp) marks the functions that hold the arithmetic of the CUDA
/// path: compiled by nvcc they are `__host__ __device__` (a kernel calls them per element, row or
/// tile); compiled by a host compiler the macro is empty, so the same functions run over the same index space on
/// the CPU, where the tests compare them with the CPU library.
///
/// The headers under icl/cuda/detail/ that use it (*.hpp) include no CUDA header: a host
/// compiler builds them without the toolkit. Conversions of __half / __nv_bfloat16 belong to
/// the .cuh side. The functions are in icl::detail::device.

#include <limits>

#include "icl/config.hpp"  // ICL_HOST_DEVICE

/// Around includes of the host library (Eigen) in headers that nvcc and a host compiler both
/// compile: under nvcc, warning #20012 is silenced between them (see
/// icl/cuda/detail/host_library.cuh); elsewhere they are empty.
#if defined(__CUDACC__)
#define ICL_CUDA_HOST_LIBRARY_BEGIN _Pragma("nv_diag_suppress 20012")
#define ICL_CUDA_HOST_LIBRARY_END _Pragma("nv_diag_default 20012")
#else
#define ICL_CUDA_HOST_LIBRARY_BEGIN
#define ICL_CUDA_HOST_LIBRARY_END
#endif

namespace icl::detail::device {

/// +Inf (infinite) or a quiet NaN in host and device code (std::numeric_limits is constexpr host
/// code, which device code may not call without nvcc's --expt-relaxed-constexpr).
ICL_HOST_DEVICE inline double special_value(bool infinite) noexcept {
#if defined(__CUDA_ARCH__)
  return infinite ? __builtin_inf() : __builtin_nan("");
#else
  return infinite ? std::numeric_limits<double>::infinity() : std::numeric_limits<double>::quiet_NaN();
#endif
}

/// A quiet NaN in host and device code.
ICL_HOST_DEVICE inline double quiet_nan() noexcept { return special_value(false); }

/// +Inf in host and device code.
ICL_HOST_DEVICE inline double infinity() noexcept { return special_value(true); }

}  // namespace icl::detail::device

#endif  // ICL_CUDA_DETAIL_HOST_DEVICE_HPP
