#ifndef ICL_RSA_RDM_TYPE_HPP
#define ICL_RSA_RDM_TYPE_HPP

/// RDMs from given values: rdm_from_condensed (a condensed vector, n inferred) and
/// rdm_from_square (a full matrix). The rdm class itself is in icl/rsa/types.hpp, included here;
/// RDMs computed from activations are in icl/rsa/rdm.hpp.

#include <cstddef>
#include <utility>
#include <vector>

#include "icl/core/condensed.hpp"
#include "icl/core/view.hpp"
#include "icl/rsa/detail/rdm_values_impl.hpp"
#include "icl/rsa/types.hpp"

namespace icl::rsa {

/// The n with n(n-1)/2 == m, or icl::invalid_argument naming `function` when m is not triangular.
inline std::size_t conditions_from_pair_count(const char* function, std::size_t m) {
  return icl::detail::conditions_from_pair_count(function, m);
}

/// An RDM from condensed values (scipy squareform order); n is inferred.
/// Throws when the length is not n(n-1)/2 for some n >= 2, or a value is NaN/Inf.
inline rdm rdm_from_condensed(std::vector<double> values) {
  return detail::rdm_from_condensed("icl::rsa::rdm_from_condensed", std::move(values));
}

/// An RDM from a full n x n matrix (any layout, any element type). The matrix must be square,
/// symmetric within `symmetry_tolerance` (relative to the largest magnitude) and have a zero
/// diagonal within the same tolerance; the upper triangle is kept.
template <class T>
rdm rdm_from_square(matrix_view<const T> square, double symmetry_tolerance = 1e-12) {
  return detail::rdm_from_square("icl::rsa::rdm_from_square", square, symmetry_tolerance);
}

}  // namespace icl::rsa

#endif  // ICL_RSA_RDM_TYPE_HPP
