#ifndef ICL_CORE_MATRIX_HPP
#define ICL_CORE_MATRIX_HPP

/// A small owning row-major matrix, for results such as pooled embeddings.

#include <cstddef>
#include <vector>

#include "icl/core/error.hpp"
#include "icl/core/view.hpp"

namespace icl {

template <class T>
class dense_matrix {
 public:
  dense_matrix() = default;
  dense_matrix(std::size_t rows, std::size_t cols, T fill = T{})
      : rows_(rows), cols_(cols), values_(detail::checked_mul("icl::dense_matrix", rows, cols, "rows x cols"), fill) {}

  std::size_t rows() const noexcept { return rows_; }
  std::size_t cols() const noexcept { return cols_; }
  T* data() noexcept { return values_.data(); }
  const T* data() const noexcept { return values_.data(); }
  const std::vector<T>& values() const noexcept { return values_; }

  T& operator()(std::size_t i, std::size_t j) noexcept { return values_[i * cols_ + j]; }
  const T& operator()(std::size_t i, std::size_t j) const noexcept { return values_[i * cols_ + j]; }
  T* row_data(std::size_t i) noexcept { return values_.data() + i * cols_; }

  /// A view of the whole matrix, for passing to any metric.
  matrix_view<const T> view() const noexcept { return make_matrix_view(values_.data(), rows_, cols_); }

 private:
  std::size_t rows_ = 0;
  std::size_t cols_ = 0;
  std::vector<T> values_;
};

}  // namespace icl

#endif  // ICL_CORE_MATRIX_HPP
