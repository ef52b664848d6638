// Test helpers: typed copies of reference data in the layouts users have (row-major
// contiguous, column-major with padding), and tolerances per element type.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "icl/core/view.hpp"

namespace icl_test {

/// Owns a copy of a row-major double matrix converted to T, stored either row-major
/// contiguous or column-major with a padded leading dimension (a strided view).
template <class T>
struct typed_matrix {
  std::vector<T> storage;
  icl::matrix_view<const T> view;
};

template <class T>
typed_matrix<T> row_major(const std::vector<double>& values, std::size_t rows, std::size_t cols) {
  typed_matrix<T> m;
  m.storage.resize(rows * cols);
  for (std::size_t k = 0; k < rows * cols; ++k) m.storage[k] = static_cast<T>(values[k]);
  m.view = icl::make_matrix_view(m.storage.data(), rows, cols);
  return m;
}

/// Column-major with leading dimension rows + padding: element (i, j) at i + j * (rows + padding).
template <class T>
typed_matrix<T> column_major_padded(const std::vector<double>& values, std::size_t rows, std::size_t cols,
                                    std::size_t padding = 3) {
  typed_matrix<T> m;
  const std::size_t ld = rows + padding;
  m.storage.assign(ld * cols, static_cast<T>(-12345.0));  // padding holds garbage that must not be read
  for (std::size_t i = 0; i < rows; ++i) {
    for (std::size_t j = 0; j < cols; ++j) m.storage[i + j * ld] = static_cast<T>(values[i * cols + j]);
  }
  m.view = icl::make_matrix_view(m.storage.data(), rows, cols, 1, static_cast<std::ptrdiff_t>(ld));
  return m;
}

/// A tensor converted to T and a view of that copy.
template <class T, std::size_t N>
struct typed_tensor {
  std::vector<T> storage;
  icl::tensor_view<const T, N> view;
};

/// A fixture's shape (exactly N extents) as the extents of a rank-N view.
template <std::size_t N>
std::array<std::size_t, N> extents_of(const std::vector<std::size_t>& shape) {
  REQUIRE(shape.size() == N);
  std::array<std::size_t, N> extents{};
  for (std::size_t k = 0; k < N; ++k) extents[k] = shape[k];
  return extents;
}

/// `a` (values in C order, shape `extents`) converted to T and stored C order.
template <class T, std::size_t N>
typed_tensor<T, N> c_order_tensor(const std::vector<double>& a, const std::array<std::size_t, N>& extents) {
  typed_tensor<T, N> out;
  out.storage.resize(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) out.storage[i] = static_cast<T>(a[i]);
  out.view = icl::make_tensor_view<T, N>(out.storage.data(), extents);
  return out;
}

/// Both layouts, for tests that must pass on each.
template <class T>
std::vector<typed_matrix<T>> all_layouts(const std::vector<double>& values, std::size_t rows, std::size_t cols) {
  std::vector<typed_matrix<T>> out;
  out.push_back(row_major<T>(values, rows, cols));
  out.push_back(column_major_padded<T>(values, rows, cols));
  return out;
}

/// Both layouts of the matrix `name` of a fixture file (icl_test::fixture_file), in the shape the
/// file gives it.
template <class T, class Fixture>
std::vector<typed_matrix<T>> all_layouts(const Fixture& f, const std::string& name) {
  const auto& shape = f.shape(name);
  REQUIRE(shape.size() == 2);
  return all_layouts<T>(f.values(name), shape[0], shape[1]);
}

/// A [layers, n, d] C-order tensor converted to T, in two layouts: C order, and stored
/// [n, layers, d], so that the layer is not the slowest axis (strided layer views).
template <class T>
struct layer_layouts {
  std::size_t layers, n, d;
  std::vector<T> contiguous;
  std::vector<T> interleaved;

  icl::tensor_view<const T, 3> contiguous_view() const {
    return icl::make_tensor_view<T, 3>(contiguous.data(), {layers, n, d});
  }
  icl::tensor_view<const T, 3> interleaved_view() const {
    return icl::make_tensor_view<T, 3>(interleaved.data(), {layers, n, d},
                                       {static_cast<std::ptrdiff_t>(d), static_cast<std::ptrdiff_t>(layers * d), 1});
  }
};

template <class T>
layer_layouts<T> both_layer_layouts(const std::vector<double>& values, std::size_t layers, std::size_t n,
                                    std::size_t d) {
  layer_layouts<T> t{layers, n, d, std::vector<T>(values.begin(), values.end()), std::vector<T>(values.size())};
  for (std::size_t l = 0; l < layers; ++l)
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < d; ++j) t.interleaved[(i * layers + l) * d + j] = static_cast<T>(values[(l * n + i) * d + j]);
  return t;
}

/// The same from a fixture record's values and its shape [layers, n, d].
template <class T>
layer_layouts<T> both_layer_layouts(const std::vector<double>& values, const std::vector<std::size_t>& shape) {
  return both_layer_layouts<T>(values, shape.at(0), shape.at(1), shape.at(2));
}

/// Relative tolerance against double references: 1e-10 for double inputs, 1e-4 for float.
template <class T>
constexpr double tolerance() {
  return std::is_same_v<T, double> ? 1e-10 : 1e-4;
}

/// Element-wise agreement within the relative tolerance of T (absolute near zero).
template <class T>
void require_close(const std::vector<double>& actual, const std::vector<double>& expected, double scale = 1.0) {
  REQUIRE(actual.size() == expected.size());
  for (std::size_t k = 0; k < actual.size(); ++k) {
    INFO("index " << k);
    REQUIRE(actual[k] == Approx(expected[k]).epsilon(tolerance<T>()).margin(tolerance<T>() * scale));
  }
}

}  // namespace icl_test
