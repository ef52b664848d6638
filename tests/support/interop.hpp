// Test helpers shared by the interop adapters' tests: the strides of an adapted view, and
// metrics on an adapted view equal metrics on a row-major copy of it.
#pragma once

#include <cstddef>
#include <vector>

#include <catch2/catch.hpp>

#include "icl/core/view.hpp"
#include "icl/rsa/rdm.hpp"
#include "support/views.hpp"

namespace icl_test {

/// An adapted view's row and column strides, in elements.
template <class View>
void check_strides(const View& view, std::ptrdiff_t row_stride, std::ptrdiff_t col_stride) {
  CHECK(view.row_stride() == row_stride);
  CHECK(view.col_stride() == col_stride);
}

/// compute_rdm on `view` equals compute_rdm on a row-major copy of it (for every dissimilarity
/// the shape allows; nothing is checked with fewer than two rows).
template <class T>
void check_rdm_matches_copy(icl::matrix_view<const T> view) {
  using icl::rsa::dissimilarity;
  const std::size_t rows = view.rows(), cols = view.cols();
  if (rows < 2) return;
  std::vector<T> copy(rows * cols);
  for (std::size_t i = 0; i < rows; ++i) {
    for (std::size_t j = 0; j < cols; ++j) copy[i * cols + j] = view(i, j);
  }
  const auto plain = icl::make_matrix_view(copy.data(), rows, cols);
  std::vector<dissimilarity> measures{dissimilarity::euclidean, dissimilarity::cosine};
  if (cols >= 2) measures.push_back(dissimilarity::correlation);
  for (dissimilarity d : measures) {
    INFO(icl::rsa::to_string(d));
    const auto from_view = icl::rsa::compute_rdm(view, d);
    const auto from_copy = icl::rsa::compute_rdm(plain, d);
    REQUIRE(from_view.n() == rows);
    require_close<T>(from_view.condensed(), from_copy.condensed());
  }
}

}  // namespace icl_test
