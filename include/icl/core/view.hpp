#ifndef ICL_CORE_VIEW_HPP
#define ICL_CORE_VIEW_HPP

/// Non-owning views of the activations a user already has, in their layout and precision.
///
/// Strides are in ELEMENTS (NumPy strides are in bytes: divide by the item size). Any strides
/// are accepted, including zero and negative ones; views never own and never copy.

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include <Eigen/Core>

#include "icl/core/error.hpp"

namespace icl {

/// IEEE half precision (binary16), as stored by PyTorch float16 and ggml F16.
using f16 = Eigen::half;
/// bfloat16, as stored by PyTorch bfloat16 and ggml BF16.
using bf16 = Eigen::bfloat16;

/// True for the element types every metric accepts: float, double, icl::f16, icl::bf16.
template <class T>
inline constexpr bool is_element_type_v =
    std::is_same_v<std::remove_cv_t<T>, float> || std::is_same_v<std::remove_cv_t<T>, double> ||
    std::is_same_v<std::remove_cv_t<T>, f16> || std::is_same_v<std::remove_cv_t<T>, bf16>;

/// A 2-D view: element (i, j) lives at data()[i * row_stride() + j * col_stride()].
template <class T>
class matrix_view {
 public:
  using element_type = T;
  using value_type = std::remove_cv_t<T>;

  constexpr matrix_view() noexcept = default;
  constexpr matrix_view(T* data, std::size_t rows, std::size_t cols, std::ptrdiff_t row_stride,
                        std::ptrdiff_t col_stride) noexcept
      : data_(data), rows_(rows), cols_(cols), row_stride_(row_stride), col_stride_(col_stride) {}

  /// A view of mutable elements converts to a view of const elements.
  template <class U, class = std::enable_if_t<std::is_same_v<T, const U>>>
  constexpr matrix_view(const matrix_view<U>& other) noexcept  // NOLINT(google-explicit-constructor)
      : data_(other.data()),
        rows_(other.rows()),
        cols_(other.cols()),
        row_stride_(other.row_stride()),
        col_stride_(other.col_stride()) {}

  constexpr T* data() const noexcept { return data_; }
  constexpr std::size_t rows() const noexcept { return rows_; }
  constexpr std::size_t cols() const noexcept { return cols_; }
  constexpr std::ptrdiff_t row_stride() const noexcept { return row_stride_; }
  constexpr std::ptrdiff_t col_stride() const noexcept { return col_stride_; }
  constexpr bool empty() const noexcept { return rows_ == 0 || cols_ == 0; }

  constexpr T& operator()(std::size_t i, std::size_t j) const noexcept {
    return data_[static_cast<std::ptrdiff_t>(i) * row_stride_ + static_cast<std::ptrdiff_t>(j) * col_stride_];
  }
  /// Pointer to the first element of row i (its elements are col_stride() apart).
  constexpr T* row_data(std::size_t i) const noexcept {
    return data_ + static_cast<std::ptrdiff_t>(i) * row_stride_;
  }
  /// True when each row is contiguous (col_stride() == 1): the fast path of every kernel.
  constexpr bool rows_contiguous() const noexcept { return col_stride_ == 1 || cols_ <= 1; }

  /// Rows [first, first + count) as a view of the same storage.
  constexpr matrix_view row_range(std::size_t first, std::size_t count) const noexcept {
    return matrix_view(row_data(first), count, cols_, row_stride_, col_stride_);
  }
  /// The sub-matrix of `count_rows` x `count_cols` elements starting at (row, col).
  constexpr matrix_view block(std::size_t row, std::size_t col, std::size_t count_rows,
                              std::size_t count_cols) const noexcept {
    return matrix_view(data_ + static_cast<std::ptrdiff_t>(row) * row_stride_ +
                           static_cast<std::ptrdiff_t>(col) * col_stride_,
                       count_rows, count_cols, row_stride_, col_stride_);
  }
  /// The transpose, as a view of the same storage.
  constexpr matrix_view transposed() const noexcept {
    return matrix_view(data_, cols_, rows_, col_stride_, row_stride_);
  }

 private:
  T* data_ = nullptr;
  std::size_t rows_ = 0;
  std::size_t cols_ = 0;
  std::ptrdiff_t row_stride_ = 0;
  std::ptrdiff_t col_stride_ = 1;
};

/// An N-D view: element (i0, ..., iN-1) lives at data()[sum_k i_k * stride(k)].
/// Used for [layers, n, d] hidden states and [layers, heads, T, T] attention.
template <class T, std::size_t N>
class tensor_view {
  static_assert(N >= 1, "icl::tensor_view needs at least one dimension");

 public:
  using element_type = T;
  using value_type = std::remove_cv_t<T>;
  using index_array = std::array<std::size_t, N>;
  using stride_array = std::array<std::ptrdiff_t, N>;

  constexpr tensor_view() noexcept = default;
  constexpr tensor_view(T* data, const index_array& extents, const stride_array& strides) noexcept
      : data_(data), extents_(extents), strides_(strides) {}

  template <class U, class = std::enable_if_t<std::is_same_v<T, const U>>>
  constexpr tensor_view(const tensor_view<U, N>& other) noexcept  // NOLINT(google-explicit-constructor)
      : data_(other.data()), extents_(other.extents()), strides_(other.strides()) {}

  constexpr T* data() const noexcept { return data_; }
  constexpr std::size_t extent(std::size_t k) const noexcept { return extents_[k]; }
  constexpr std::ptrdiff_t stride(std::size_t k) const noexcept { return strides_[k]; }
  constexpr const index_array& extents() const noexcept { return extents_; }
  constexpr const stride_array& strides() const noexcept { return strides_; }

  template <class... Index, class = std::enable_if_t<sizeof...(Index) == N>>
  constexpr T& operator()(Index... index) const noexcept {
    const std::array<std::size_t, N> idx{static_cast<std::size_t>(index)...};
    std::ptrdiff_t offset = 0;
    for (std::size_t k = 0; k < N; ++k) offset += static_cast<std::ptrdiff_t>(idx[k]) * strides_[k];
    return data_[offset];
  }

  /// The (N-1)-D view at index i of the first dimension (e.g. one layer of [layers, n, d]).
  template <std::size_t M = N, class = std::enable_if_t<(M > 1)>>
  constexpr tensor_view<T, N - 1> operator[](std::size_t i) const noexcept {
    std::array<std::size_t, N - 1> e{};
    std::array<std::ptrdiff_t, N - 1> s{};
    for (std::size_t k = 1; k < N; ++k) {
      e[k - 1] = extents_[k];
      s[k - 1] = strides_[k];
    }
    return tensor_view<T, N - 1>(data_ + static_cast<std::ptrdiff_t>(i) * strides_[0], e, s);
  }

  /// For N == 3: the matrix at index i of the first dimension (one layer's [n, d] states).
  template <std::size_t M = N, class = std::enable_if_t<(M == 3)>>
  constexpr matrix_view<T> matrix(std::size_t i) const noexcept {
    return matrix_view<T>(data_ + static_cast<std::ptrdiff_t>(i) * strides_[0], extents_[1], extents_[2],
                          strides_[1], strides_[2]);
  }

  /// For N == 2: the same data as a matrix view.
  template <std::size_t M = N, class = std::enable_if_t<(M == 2)>>
  constexpr matrix_view<T> as_matrix() const noexcept {
    return matrix_view<T>(data_, extents_[0], extents_[1], strides_[0], strides_[1]);
  }

 private:
  T* data_ = nullptr;
  index_array extents_{};
  stride_array strides_{};
};

/// A row-major, contiguous matrix view: element (i, j) at data[i * cols + j].
template <class T>
constexpr matrix_view<const T> make_matrix_view(const T* data, std::size_t rows, std::size_t cols) noexcept {
  return matrix_view<const T>(data, rows, cols, static_cast<std::ptrdiff_t>(cols), 1);
}

/// A matrix view with explicit strides in elements: element (i, j) at data[i * row_stride + j * col_stride].
/// A column-major matrix with leading dimension ld is make_matrix_view(p, rows, cols, 1, ld).
template <class T>
constexpr matrix_view<const T> make_matrix_view(const T* data, std::size_t rows, std::size_t cols,
                                                std::ptrdiff_t row_stride, std::ptrdiff_t col_stride) noexcept {
  return matrix_view<const T>(data, rows, cols, row_stride, col_stride);
}

/// A C-order (row-major, contiguous) tensor view.
template <class T, std::size_t N>
constexpr tensor_view<const T, N> make_tensor_view(const T* data, std::array<std::size_t, N> extents) noexcept {
  std::array<std::ptrdiff_t, N> strides{};
  std::ptrdiff_t step = 1;
  for (std::size_t k = N; k-- > 0;) {
    strides[k] = step;
    step *= static_cast<std::ptrdiff_t>(extents[k]);
  }
  return tensor_view<const T, N>(data, extents, strides);
}

/// A tensor view with explicit strides in elements.
template <class T, std::size_t N>
constexpr tensor_view<const T, N> make_tensor_view(const T* data, std::array<std::size_t, N> extents,
                                                   std::array<std::ptrdiff_t, N> strides) noexcept {
  return tensor_view<const T, N>(data, extents, strides);
}

namespace detail {

/// The type products are computed in: double for double inputs, float for float, f16 and bf16
/// (half inputs are widened while they are read).
template <class T>
using compute_t = std::conditional_t<std::is_same_v<std::remove_cv_t<T>, double>, double, float>;

/// Widens one element to double (exact for every supported type).
template <class T>
constexpr double to_double(T value) noexcept {
  if constexpr (std::is_same_v<std::remove_cv_t<T>, double>) {
    return value;
  } else {
    return static_cast<double>(static_cast<float>(value));
  }
}

/// Converts one element to the compute type C.
template <class C, class T>
constexpr C to_compute(T value) noexcept {
  if constexpr (std::is_same_v<std::remove_cv_t<T>, C>) {
    return value;
  } else if constexpr (std::is_same_v<std::remove_cv_t<T>, double>) {
    return static_cast<C>(value);
  } else {
    return static_cast<C>(static_cast<float>(value));
  }
}

template <class T>
constexpr void static_check_element() {
  static_assert(is_element_type_v<T>, "icl: element type must be float, double, icl::f16 or icl::bf16");
}

/// Checks the invariants every metric needs of a matrix argument: a non-null pointer when the
/// view is non-empty, and an element count that fits in size_t.
template <class T>
void check_matrix(const char* function, const char* name, const matrix_view<T>& view) {
  static_check_element<T>();
  checked_mul(function, view.rows(), view.cols(), name);
  if (view.data() == nullptr && !view.empty()) {
    throw_invalid(function, name, " has a null data pointer with shape ", view.rows(), " x ", view.cols());
  }
}

/// Whether v is NaN or ±Inf. For float and double from the bits (all exponent bits set), which
/// the compiler vectorizes; other element types through to_double.
template <class T>
inline int non_finite_flag(T v) noexcept {
  if constexpr (std::is_same_v<std::remove_cv_t<T>, float>) {
    std::uint32_t bits = 0;
    std::memcpy(&bits, &v, sizeof bits);
    return (bits & 0x7f800000U) == 0x7f800000U ? 1 : 0;
  } else if constexpr (std::is_same_v<std::remove_cv_t<T>, double>) {
    std::uint64_t bits = 0;
    std::memcpy(&bits, &v, sizeof bits);
    return (bits & 0x7ff0000000000000ULL) == 0x7ff0000000000000ULL ? 1 : 0;
  } else {
    const double w = to_double(v);
    return !(w - w == 0.0) ? 1 : 0;  // false exactly for NaN and ±Inf
  }
}

/// Whether the `count` values x[0], x[stride], ... are all finite: branch-free in blocks of 16
/// (the flags are OR-ed), so that the compiler vectorizes the contiguous case.
template <class T>
bool all_finite(const T* x, std::size_t count, std::ptrdiff_t stride = 1) noexcept {
  constexpr std::size_t block = 16;
  int bad = 0;
  std::size_t j = 0;
  if (stride == 1) {
    for (; j + block <= count; j += block) {
      for (std::size_t l = 0; l < block; ++l) bad |= non_finite_flag(x[j + l]);
      if (bad != 0) return false;
    }
  }
  for (; j < count; ++j) bad |= non_finite_flag(x[static_cast<std::ptrdiff_t>(j) * stride]);
  return bad == 0;
}

/// Index of the first element of X (row-major order) that is NaN or ±Inf, or rows*cols when
/// all are finite. All finite (the common case) is found by all_finite over the contiguous lines
/// of X (rows, or columns of a column-major view); only then is the first one searched for.
template <class T>
std::size_t first_non_finite(matrix_view<const T> X) {
  if (X.empty()) return X.rows() * X.cols();
  const bool by_rows = X.col_stride() == 1 || X.row_stride() != 1;
  const std::size_t lines = by_rows ? X.rows() : X.cols(), length = by_rows ? X.cols() : X.rows();
  const std::ptrdiff_t line_stride = by_rows ? X.row_stride() : X.col_stride();
  const std::ptrdiff_t step = by_rows ? X.col_stride() : X.row_stride();
  bool finite = true;
  for (std::size_t line = 0; line < lines && finite; ++line) {
    finite = all_finite(X.data() + static_cast<std::ptrdiff_t>(line) * line_stride, length, step);
  }
  if (finite) return X.rows() * X.cols();
  for (std::size_t i = 0; i < X.rows(); ++i) {
    for (std::size_t j = 0; j < X.cols(); ++j) {
      const double v = to_double(X(i, j));
      if (!(v - v == 0.0)) return i * X.cols() + j;  // false exactly for NaN and ±Inf
    }
  }
  return X.rows() * X.cols();
}

/// Throws icl::invalid_argument naming `function`, the argument and the (row, column) of the
/// first NaN or Inf in X.
template <class T>
void require_finite(const char* function, const char* name, matrix_view<const T> X) {
  const std::size_t k = first_non_finite(X);
  if (k != X.rows() * X.cols()) {
    const std::size_t i = k / X.cols(), j = k % X.cols();
    throw_invalid(function, name, " (", i, ", ", j, ") is ", to_double(X(i, j)), " (NaN/Inf not allowed)");
  }
}

}  // namespace detail
}  // namespace icl

#endif  // ICL_CORE_VIEW_HPP
