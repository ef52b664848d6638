#ifndef ICL_TESTS_CUDA_DEVICE_DATA_CUH
#define ICL_TESTS_CUDA_DEVICE_DATA_CUH

// Test data of the device metrics: the same normal values on the host (as Host: float, double,
// icl::f16, icl::bf16) and on the device (as T), read through any strides; the element types.

#include <cstddef>
#include <random>
#include <vector>

#include "icl/cuda.cuh"

namespace icl_cuda_test {

/// An element type of the device functions: T on the device, Host (same bits) on the host.
template <class T, class Host>
struct element_types {};

/// Calls f(element_types<T, Host>{}) for each element type of the device functions: float,
/// double, __half (icl::f16 on the host) and __nv_bfloat16 (icl::bf16).
template <class F>
void for_each_element_type(F&& f) {
  f(element_types<float, float>{});
  f(element_types<double, double>{});
  f(element_types<__half, icl::f16>{});
  f(element_types<__nv_bfloat16, icl::bf16>{});
}

/// n x d values in a buffer of `span` elements of Host on the host and of T on the device, read
/// through (row_stride, col_stride) from offset `first`.
template <class T, class Host>
struct strided_data {
  strided_data(icl::cuda::resources& res, std::size_t rows, std::size_t cols, std::ptrdiff_t rs, std::ptrdiff_t cs,
               std::size_t span, std::size_t first_offset, unsigned seed)
      : n(rows), d(cols), row_stride(rs), col_stride(cs), first(first_offset), host(span), device(res, span) {
    static_assert(sizeof(Host) == sizeof(T));
    std::mt19937 engine(seed);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    for (Host& v : host) v = Host(normal(engine));
    upload();
  }
  void upload() { device.copy_from_host(reinterpret_cast<const T*>(host.data()), host.size()); }
  Host& at(std::size_t i, std::size_t j) {
    return host[static_cast<std::size_t>(static_cast<std::ptrdiff_t>(first) + static_cast<std::ptrdiff_t>(i) * row_stride +
                                         static_cast<std::ptrdiff_t>(j) * col_stride)];
  }
  icl::matrix_view<const Host> host_view() const {
    return icl::make_matrix_view<Host>(host.data() + first, n, d, row_stride, col_stride);
  }
  icl::cuda::device_matrix_view<const T> device_view() const {
    return icl::cuda::make_device_matrix_view<T>(device.data() + first, n, d, row_stride, col_stride);
  }

  std::size_t n, d;
  std::ptrdiff_t row_stride, col_stride;
  std::size_t first;
  std::vector<Host> host;
  icl::cuda::device_buffer<T> device;
};

}  // namespace icl_cuda_test

#endif  // ICL_TESTS_CUDA_DEVICE_DATA_CUH
