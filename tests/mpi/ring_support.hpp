// Helpers of the tests of the all-pairs MPI functions (RDMs, RSA, kNN): the message every rank
// caught, and data stored row- or column-major in any element type.
#pragma once

#include <cstddef>
#include <exception>
#include <string>
#include <vector>

#include "icl/core/view.hpp"

namespace ring_test {

/// The message of the std::exception that f() threw, or "" when it threw nothing.
template <class F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

/// n x d values (row-major in `values`) as T, stored row-major or, with column_major, column-major.
template <class T>
std::vector<T> stored(const std::vector<double>& values, std::size_t n, std::size_t d, bool column_major) {
  std::vector<T> out(n * d);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < d; ++j) out[column_major ? j * n + i : i * d + j] = static_cast<T>(values[i * d + j]);
  }
  return out;
}

/// The n x d view of stored(...).
template <class T>
icl::matrix_view<const T> view_of(const std::vector<T>& data, std::size_t n, std::size_t d, bool column_major) {
  return column_major ? icl::make_matrix_view(data.data(), n, d, 1, static_cast<std::ptrdiff_t>(n))
                      : icl::make_matrix_view(data.data(), n, d);
}

}  // namespace ring_test
