#ifndef ICL_CUDA_DETAIL_CONVERT_CUH
#define ICL_CUDA_DETAIL_CONVERT_CUH

/// The element conversion of the device kernels: an input element (float, double, __half or
/// __nv_bfloat16) as double, exactly.

#include <cuda_bf16.h>
#include <cuda_fp16.h>

namespace icl::cuda::detail {

__device__ inline double widen(float v) { return v; }
__device__ inline double widen(double v) { return v; }
__device__ inline double widen(__half v) { return __half2float(v); }
__device__ inline double widen(__nv_bfloat16 v) { return __bfloat162float(v); }

}  // namespace icl::cuda::detail

#endif  // ICL_CUDA_DETAIL_CONVERT_CUH
