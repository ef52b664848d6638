#ifndef ICL_CUDA_ERROR_CUH
#define ICL_CUDA_ERROR_CUH

/// Errors of the CUDA path. Every status of the CUDA runtime or of cuBLAS other than success
/// becomes an exception derived from icl::error, whose message starts with the fully qualified
/// name of the library function, then names the call and the status:
///
///   icl::cuda::resources: cublasCreate failed: CUBLAS_STATUS_NOT_INITIALIZED (the library was not initialized)
///
/// Bad arguments (shapes, sizes, a host pointer passed as a device view) throw
/// icl::invalid_argument, as on the CPU.

#include <string>

#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include "icl/core/error.hpp"

// icl::cuda is a plain namespace, like icl::io: nothing in it depends on ICL_USE_BLAS, and its
// types (device views, resources) are shared by translation units built with and without it.
namespace icl::cuda {

/// A call of the CUDA runtime or of cuBLAS failed; status() is what it returned.
template <class Status>
class status_error : public icl::error {
 public:
  status_error(const std::string& message, Status status) : icl::error(message), status_(status) {}
  Status status() const noexcept { return status_; }

 private:
  Status status_;
};

/// A CUDA runtime call failed (status(): its cudaError_t).
using cuda_error = status_error<cudaError_t>;
/// A cuBLAS call failed (status(): its cublasStatus_t).
using cublas_error = status_error<cublasStatus_t>;

namespace detail {

/// Throws icl::cuda::cuda_error "<function>: <call> failed: <name> (<description>)" unless
/// status is cudaSuccess. The runtime's last-error state is cleared first, so that a
/// recoverable failure (out of memory, an invalid value) leaves the stream usable.
inline void check_cuda(const char* function, const char* call, cudaError_t status) {
  if (status == cudaSuccess) return;
  static_cast<void>(cudaGetLastError());
  throw cuda_error(icl::detail::concat(function, ": ", call, " failed: ", cudaGetErrorName(status), " (",
                                       cudaGetErrorString(status), ")"),
                   status);
}

/// Throws icl::cuda::cublas_error "<function>: <call> failed: <name> (<description>)" unless
/// status is CUBLAS_STATUS_SUCCESS.
inline void check_cublas(const char* function, const char* call, cublasStatus_t status) {
  if (status == CUBLAS_STATUS_SUCCESS) return;
  throw cublas_error(icl::detail::concat(function, ": ", call, " failed: ", cublasGetStatusName(status), " (",
                                         cublasGetStatusString(status), ")"),
                     status);
}

/// After a kernel launch: the launch error, if any, as check_cuda names it (`kernel` is the
/// kernel's name). Does not wait for the kernel.
inline void check_launch(const char* function, const char* kernel) {
  check_cuda(function, kernel, cudaPeekAtLastError());
}

}  // namespace detail
}  // namespace icl::cuda

#endif  // ICL_CUDA_ERROR_CUH
