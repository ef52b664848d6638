#ifndef ICL_CUDA_DETAIL_CHECKS_CUH
#define ICL_CUDA_DETAIL_CHECKS_CUH

/// The argument checks every device function runs before it launches anything: the host
/// checks of icl/core (element count fits in size_t, no null pointer behind a non-empty view),
/// with the same messages, and a pointer that the runtime knows to be host memory rejected.

#include "icl/cuda/detail/host_library.cuh"

#include <cstddef>

#include <cuda_runtime_api.h>

#include "icl/core/error.hpp"
#include "icl/cuda/view.cuh"

namespace icl::cuda {
namespace detail {

/// Throws icl::invalid_argument "<function>: <name> points to host memory ..." when
/// cudaPointerGetAttributes says that `ptr` is ordinary (unregistered) host memory, or
/// page-locked host memory that is not mapped into the device's address space. Device,
/// managed and mapped page-locked memory pass. Where the runtime cannot tell (the call
/// fails, e.g. with no driver), the pointer passes: the first use of it reports the error.
inline void check_device_pointer(const char* function, const char* name, const void* ptr) {
  if (ptr == nullptr) return;
  cudaPointerAttributes attributes{};
  if (cudaPointerGetAttributes(&attributes, ptr) != cudaSuccess) {
    static_cast<void>(cudaGetLastError());
    return;
  }
  if (attributes.type == cudaMemoryTypeUnregistered) {
    icl::detail::throw_invalid(function, name, " points to host memory (", ptr,
                               "), not device memory: a device view needs a device pointer");
  }
  if (attributes.type == cudaMemoryTypeHost && attributes.devicePointer == nullptr) {
    icl::detail::throw_invalid(function, name, " points to page-locked host memory (", ptr,
                               ") that is not mapped into the device's address space");
  }
}

/// A device view's shape and pointer as a host view, for the host library's checks that read
/// the shape and the pointer, never an element.
template <class T>
icl::matrix_view<const float> shape_view(const device_matrix_view<T>& view) {
  return icl::make_matrix_view(reinterpret_cast<const float*>(view.data()), view.rows(), view.cols(),
                               view.row_stride(), view.col_stride());
}

/// icl::detail::check_matrix on a device view (shape_view), then check_device_pointer.
template <class T>
void check_device_matrix(const char* function, const char* name, const device_matrix_view<T>& view) {
  icl::detail::check_matrix(function, name, shape_view(view));
  if (!view.empty()) check_device_pointer(function, name, view.data());
}

/// The same for a tensor view: the element count fits in size_t, no null pointer behind a
/// non-empty view, no host pointer.
template <class T, std::size_t N>
void check_device_tensor(const char* function, const char* name, const device_tensor_view<T, N>& view) {
  std::size_t count = 1;
  for (std::size_t k = 0; k < N; ++k) count = icl::detail::checked_mul(function, count, view.extent(k), name);
  if (view.data() == nullptr && count != 0) icl::detail::throw_invalid(function, name, " has a null data pointer");
  if (count != 0) check_device_pointer(function, name, view.data());
}

}  // namespace detail
}  // namespace icl::cuda

#endif  // ICL_CUDA_DETAIL_CHECKS_CUH
