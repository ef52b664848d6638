#ifndef ICL_RSA_COMPARE_HPP
#define ICL_RSA_COMPARE_HPP

/// Comparing two RDMs (docs/metrics.md 1.4): correlations, rank correlations and cosines of their
/// condensed vectors a and b (length m = n(n-1)/2, scipy squareform order). The enum
/// `comparison`, its names (to_string, icl::enum_traits) and compare_params are in
/// icl/rsa/types.hpp.

#include <vector>

#include "icl/core/view.hpp"
#include "icl/rsa/detail/compare_impl.hpp"
#include "icl/rsa/rdm_type.hpp"
#include "icl/rsa/types.hpp"

namespace icl::rsa {

/// Compares two condensed vectors.
///
/// Parameters:
///   a, b   : the vectors, equal length m >= 2. For whitened_cosine m must be n(n-1)/2 (the
///            condensed RDM of n >= 3 conditions; n is inferred from m).
///   c      : the comparison (see `comparison`).
///   params : compare_params (default: nan_policy::raise).
///
/// Returns the statistic in [-1, 1] (NaN only under nan_policy::propagate).
/// Throws icl::invalid_argument, message starting "icl::rsa::compare:", for: sizes that differ
/// (both named), m < 2, a length that is not triangular under whitened_cosine, a NaN/Inf entry
/// under raise (its index named), a constant vector under pearson, spearman or kendall_tau_b
/// (unless propagate), an unknown enumerator.
/// Cost: O(m) for pearson and cosine; O(m) time and O(m + n) memory for whitened_cosine (G is
/// double-centered from the condensed vector: the n x n matrices are never formed); O(m log m)
/// for the rank statistics (one sort per vector; Kendall by Knight's algorithm with exact
/// 64-bit pair counts). Double accumulation throughout.
inline double compare(const std::vector<double>& a, const std::vector<double>& b, comparison c,
                      const compare_params& params = {}) {
  return detail::compare_vectors("icl::rsa::compare", a, b, c, params);
}

/// Compares two condensed vectors read in place (a caller's buffer, a numpy array), as the
/// std::vector overload does (same checks, messages, statistics and costs), without copying
/// them into vectors first. Element k of a is a(k); a view whose stride is not 1 is gathered into
/// a contiguous copy first (O(m) extra memory), since the statistics read contiguous arrays.
inline double compare(tensor_view<const double, 1> a, tensor_view<const double, 1> b, comparison c,
                      const compare_params& params = {}) {
  return detail::compare_views("icl::rsa::compare", a, b, c, params);
}

/// Compares two RDMs of the same n conditions (see the vector overload for the statistics,
/// errors and costs). Throws icl::invalid_argument when a.n() != b.n() (both named) or n < 3.
inline double compare(const rdm& a, const rdm& b, comparison c, const compare_params& params) {
  return detail::compare_rdms("icl::rsa::compare", a, b, c, params);
}

/// compare(a, b, c, compare_params{}): NaN/Inf entries and undefined statistics throw.
inline double compare(const rdm& a, const rdm& b, comparison c) { return compare(a, b, c, compare_params{}); }

}  // namespace icl::rsa

#endif  // ICL_RSA_COMPARE_HPP
