#ifndef ICL_RSA_DETAIL_RDM_VALUES_IMPL_HPP
#define ICL_RSA_DETAIL_RDM_VALUES_IMPL_HPP

/// Bodies of rdm_from_condensed and rdm_from_square (icl/rsa/rdm_type.hpp): RDMs from given
/// values. Not a public header.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <utility>
#include <vector>

#include "icl/core/condensed.hpp"
#include "icl/core/error.hpp"
#include "icl/core/view.hpp"
#include "icl/rsa/types.hpp"

namespace icl::rsa::detail {

using icl::detail::checked_pair_count;
using icl::detail::throw_invalid;

/// rdm_from_condensed: n inferred from the length, every value finite.
inline rdm rdm_from_condensed(const char* fn, std::vector<double> values) {
  const std::size_t n = icl::detail::conditions_from_pair_count(fn, values.size());
  for (std::size_t k = 0; k < values.size(); ++k) {
    if (!std::isfinite(values[k])) throw_invalid(fn, "value ", k, " is ", values[k], " (NaN/Inf not allowed)");
  }
  return rdm(n, std::move(values));
}

/// rdm_from_square: square, finite, symmetric with a zero diagonal within the tolerance.
template <class T>
rdm rdm_from_square(const char* fn, matrix_view<const T> square, double symmetry_tolerance) {
  icl::detail::check_matrix(fn, "matrix", square);
  const std::size_t n = square.rows();
  if (square.cols() != n) throw_invalid(fn, "matrix is ", n, " x ", square.cols(), ", not square");
  if (n < 2) throw_invalid(fn, "need n >= 2 conditions, got ", n);
  double largest = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < n; ++j) {
      const double v = icl::detail::to_double(square(i, j));
      if (!std::isfinite(v)) throw_invalid(fn, "entry (", i, ", ", j, ") is ", v, " (NaN/Inf not allowed)");
      largest = std::max(largest, std::abs(v));
    }
  }
  const double tolerance = symmetry_tolerance * (largest > 0.0 ? largest : 1.0);
  std::vector<double> values(checked_pair_count(fn, n));
  std::size_t k = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (std::abs(icl::detail::to_double(square(i, i))) > tolerance) {
      throw_invalid(fn, "diagonal entry (", i, ", ", i, ") is ", icl::detail::to_double(square(i, i)), ", not 0");
    }
    for (std::size_t j = i + 1; j < n; ++j, ++k) {
      const double upper = icl::detail::to_double(square(i, j));
      const double lower = icl::detail::to_double(square(j, i));
      if (std::abs(upper - lower) > tolerance) {
        throw_invalid(fn, "matrix is not symmetric at (", i, ", ", j, "): ", upper, " vs ", lower);
      }
      values[k] = upper;
    }
  }
  return rdm(n, std::move(values));
}

}  // namespace icl::rsa::detail

#endif  // ICL_RSA_DETAIL_RDM_VALUES_IMPL_HPP
