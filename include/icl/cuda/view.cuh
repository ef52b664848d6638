#ifndef ICL_CUDA_VIEW_CUH
#define ICL_CUDA_VIEW_CUH

/// Non-owning views of device memory: what a PyTorch tensor's data_ptr() or a ggml CUDA buffer
/// gives, with its shape and strides.
///
/// They mirror icl::matrix_view and icl::tensor_view (strides in ELEMENTS, any sign, zero
/// allowed) but are distinct types with no conversion to or from the host views, so that a
/// device pointer never reaches a host function and a host pointer never reaches a kernel.
/// Elements are read in device code only (operator() is __device__); host code sees the
/// pointer, the shape and the strides. Views are made on the host (the factories below) and
/// passed to kernels by value, where the accessors and sizes are host-device. Element types: float, double, __half, __nv_bfloat16.
/// Each device function checks its views (a host pointer is rejected where the runtime can
/// tell: see icl/cuda/detail/checks.cuh).

#include <array>
#include <cstddef>
#include <type_traits>

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "icl/cuda/detail/host_device.hpp"

namespace icl::cuda {

/// True for the element types of the device path: float, double, __half, __nv_bfloat16.
template <class T>
inline constexpr bool is_device_element_type_v =
    std::is_same_v<std::remove_cv_t<T>, float> || std::is_same_v<std::remove_cv_t<T>, double> ||
    std::is_same_v<std::remove_cv_t<T>, __half> || std::is_same_v<std::remove_cv_t<T>, __nv_bfloat16>;

namespace detail {

/// The shape of an N-D device view: extents and strides (in elements) in plain arrays, so that
/// a view is passed to a kernel by value and read there.
template <std::size_t N>
struct device_layout {
  std::size_t extents[N] = {};
  std::ptrdiff_t strides[N] = {};

  constexpr device_layout() noexcept = default;
  constexpr device_layout(const std::array<std::size_t, N>& e, const std::array<std::ptrdiff_t, N>& s) noexcept {
    for (std::size_t k = 0; k < N; ++k) {
      extents[k] = e[k];
      strides[k] = s[k];
    }
  }
  /// Offset from the first element of the element at `index`, in elements.
  ICL_HOST_DEVICE constexpr std::ptrdiff_t offset(const std::size_t (&index)[N]) const noexcept {
    std::ptrdiff_t sum = 0;
    for (std::size_t k = 0; k < N; ++k) sum += static_cast<std::ptrdiff_t>(index[k]) * strides[k];
    return sum;
  }
  ICL_HOST_DEVICE constexpr std::size_t count() const noexcept {
    std::size_t product = 1;
    for (std::size_t k = 0; k < N; ++k) product *= extents[k];
    return product;
  }
};

}  // namespace detail

/// A 2-D view of device memory: element (i, j) lives at data()[i * row_stride() + j * col_stride()].
template <class T>
class device_matrix_view {
  static_assert(is_device_element_type_v<T>,
                "icl::cuda::device_matrix_view: element type must be float, double, __half or __nv_bfloat16");

 public:
  using element_type = T;
  using value_type = std::remove_cv_t<T>;

  device_matrix_view() = default;
  constexpr device_matrix_view(T* data, std::size_t rows, std::size_t cols, std::ptrdiff_t row_stride,
                               std::ptrdiff_t col_stride) noexcept
      : data_(data), layout_({rows, cols}, {row_stride, col_stride}) {}

  /// A view of mutable elements converts to a view of const elements.
  template <class U, class = std::enable_if_t<std::is_same_v<T, const U>>>
  constexpr device_matrix_view(const device_matrix_view<U>& other) noexcept  // NOLINT
      : device_matrix_view(other.data(), other.rows(), other.cols(), other.row_stride(), other.col_stride()) {}

  ICL_HOST_DEVICE constexpr T* data() const noexcept { return data_; }
  ICL_HOST_DEVICE constexpr std::size_t rows() const noexcept { return layout_.extents[0]; }
  ICL_HOST_DEVICE constexpr std::size_t cols() const noexcept { return layout_.extents[1]; }
  ICL_HOST_DEVICE constexpr std::ptrdiff_t row_stride() const noexcept { return layout_.strides[0]; }
  ICL_HOST_DEVICE constexpr std::ptrdiff_t col_stride() const noexcept { return layout_.strides[1]; }
  ICL_HOST_DEVICE constexpr bool empty() const noexcept { return layout_.count() == 0; }
  /// True when each row is contiguous (col_stride() == 1).
  ICL_HOST_DEVICE constexpr bool rows_contiguous() const noexcept { return col_stride() == 1 || cols() <= 1; }

  /// Offset of element (i, j) from data(), in elements.
  ICL_HOST_DEVICE constexpr std::ptrdiff_t offset(std::size_t i, std::size_t j) const noexcept {
    return layout_.offset({i, j});
  }
  /// Element (i, j), in device code.
  __device__ T& operator()(std::size_t i, std::size_t j) const noexcept { return data_[offset(i, j)]; }

  /// Rows [first, first + count) as a view of the same storage.
  constexpr device_matrix_view row_range(std::size_t first, std::size_t count) const noexcept {
    return block(first, 0, count, cols());
  }
  /// The sub-matrix of `count_rows` x `count_cols` elements starting at (row, col).
  constexpr device_matrix_view block(std::size_t row, std::size_t col, std::size_t count_rows,
                                     std::size_t count_cols) const noexcept {
    return device_matrix_view(data_ + offset(row, col), count_rows, count_cols, row_stride(), col_stride());
  }
  /// The transpose, as a view of the same storage.
  constexpr device_matrix_view transposed() const noexcept {
    return device_matrix_view(data_, cols(), rows(), col_stride(), row_stride());
  }

 private:
  T* data_ = nullptr;
  detail::device_layout<2> layout_;
};

/// An N-D view of device memory: element (i0, ..., iN-1) lives at data()[sum_k i_k * stride(k)].
/// Used for [layers, n, d] hidden states and [layers, heads, T, T] attention.
template <class T, std::size_t N>
class device_tensor_view {
  static_assert(N >= 1, "icl::cuda::device_tensor_view needs at least one dimension");
  static_assert(is_device_element_type_v<T>,
                "icl::cuda::device_tensor_view: element type must be float, double, __half or __nv_bfloat16");

 public:
  using element_type = T;
  using value_type = std::remove_cv_t<T>;
  using index_array = std::array<std::size_t, N>;
  using stride_array = std::array<std::ptrdiff_t, N>;

  device_tensor_view() = default;
  constexpr device_tensor_view(T* data, const index_array& extents, const stride_array& strides) noexcept
      : data_(data), layout_(extents, strides) {}

  template <class U, class = std::enable_if_t<std::is_same_v<T, const U>>>
  constexpr device_tensor_view(const device_tensor_view<U, N>& other) noexcept  // NOLINT
      : device_tensor_view(other.data(), other.extents(), other.strides()) {}

  ICL_HOST_DEVICE constexpr T* data() const noexcept { return data_; }
  ICL_HOST_DEVICE constexpr std::size_t extent(std::size_t k) const noexcept { return layout_.extents[k]; }
  ICL_HOST_DEVICE constexpr std::ptrdiff_t stride(std::size_t k) const noexcept { return layout_.strides[k]; }
  /// The number of elements (the device functions check that it fits in size_t).
  ICL_HOST_DEVICE constexpr std::size_t size() const noexcept { return layout_.count(); }
  constexpr index_array extents() const noexcept {
    index_array e{};
    for (std::size_t k = 0; k < N; ++k) e[k] = extent(k);
    return e;
  }
  constexpr stride_array strides() const noexcept {
    stride_array s{};
    for (std::size_t k = 0; k < N; ++k) s[k] = stride(k);
    return s;
  }

  /// Element (i0, ..., iN-1), in device code.
  template <class... Index, class = std::enable_if_t<sizeof...(Index) == N>>
  __device__ T& operator()(Index... index) const noexcept {
    return data_[layout_.offset({static_cast<std::size_t>(index)...})];
  }

  /// For N == 3: the matrix at index i of the first dimension (one layer's [n, d] states).
  template <std::size_t M = N, class = std::enable_if_t<(M == 3)>>
  constexpr device_matrix_view<T> matrix(std::size_t i) const noexcept {
    return device_matrix_view<T>(data_ + layout_.offset({i, 0, 0}), extent(1), extent(2), stride(1), stride(2));
  }
  /// For N == 2: the same data as a matrix view.
  template <std::size_t M = N, class = std::enable_if_t<(M == 2)>>
  constexpr device_matrix_view<T> as_matrix() const noexcept {
    return device_matrix_view<T>(data_, extent(0), extent(1), stride(0), stride(1));
  }

 private:
  T* data_ = nullptr;
  detail::device_layout<N> layout_;
};

/// A row-major, contiguous view of device memory: element (i, j) at device_ptr[i * cols + j].
template <class T>
constexpr device_matrix_view<const T> make_device_matrix_view(const T* device_ptr, std::size_t rows,
                                                              std::size_t cols) noexcept {
  return device_matrix_view<const T>(device_ptr, rows, cols, static_cast<std::ptrdiff_t>(cols), 1);
}

/// A view of device memory with explicit strides in elements: element (i, j) at
/// device_ptr[i * row_stride + j * col_stride]. Column-major with leading dimension ld:
/// make_device_matrix_view(p, rows, cols, 1, ld).
template <class T>
constexpr device_matrix_view<const T> make_device_matrix_view(const T* device_ptr, std::size_t rows,
                                                              std::size_t cols, std::ptrdiff_t row_stride,
                                                              std::ptrdiff_t col_stride) noexcept {
  return device_matrix_view<const T>(device_ptr, rows, cols, row_stride, col_stride);
}

/// A C-order (row-major, contiguous) view of device memory.
template <class T, std::size_t N>
constexpr device_tensor_view<const T, N> make_device_tensor_view(const T* device_ptr,
                                                                 std::array<std::size_t, N> extents) noexcept {
  std::array<std::ptrdiff_t, N> strides{};
  strides[N - 1] = 1;
  for (std::size_t k = N - 1; k > 0; --k) strides[k - 1] = strides[k] * static_cast<std::ptrdiff_t>(extents[k]);
  return device_tensor_view<const T, N>(device_ptr, extents, strides);
}

/// A view of device memory with explicit strides in elements (a PyTorch tensor's stride()).
template <class T, std::size_t N>
constexpr device_tensor_view<const T, N> make_device_tensor_view(const T* device_ptr,
                                                                 std::array<std::size_t, N> extents,
                                                                 std::array<std::ptrdiff_t, N> strides) noexcept {
  return device_tensor_view<const T, N>(device_ptr, extents, strides);
}

}  // namespace icl::cuda

#endif  // ICL_CUDA_VIEW_CUH
