#ifndef ICL_CORE_MANN_WHITNEY_HPP
#define ICL_CORE_MANN_WHITNEY_HPP

/// The Mann–Whitney U test of two independent samples (icl::stats::mann_whitney_u), as
/// scipy.stats.mannwhitneyu(x, y, alternative=..., method='auto') computes it; [P2] compares the
/// layer indices of two head sets with it (icl/geometry/head_layers.hpp). Also reached through
/// icl/core/stats.hpp, which includes this header after declaring icl::alternative.

#include <algorithm>
#include <vector>

#include "icl/core/detail/mann_whitney_impl.hpp"
#include "icl/core/stats_types.hpp"

namespace icl::stats {


/// The Mann–Whitney U test (scipy.stats.mannwhitneyu with method='auto' and its default
/// continuity correction). With R1 the sum of the ranks of x in the pooled sample (ties get the
/// average rank):
///   statistic = U1 = R1 − n1(n1 + 1)/2  (the U of x; U2 = n1·n2 − U1),
///   U = U1 (greater: x tends to exceed y), U2 (less), max(U1, U2) (two_sided, p doubled),
///   p = P(U_null ≥ U), clipped to [0, 1].
/// The null distribution is exact (all C(n1+n2, n1) arrangements equally likely) when a sample
/// has at most 8 values and no value is tied across the pooled sample; otherwise the normal
/// approximation z = (U − n1·n2/2 − 0.5)/s with the tie correction
/// s² = n1·n2/12 · ((n + 1) − Σ(t³ − t)/(n(n − 1))), t the size of each group of tied values
/// (when every value is tied, s = 0 and p = 1).
/// Throws icl::invalid_argument (message starting "icl::stats::mann_whitney_u") when x or y is
/// empty, holds NaN/Inf (named by sample and index), or for an unknown `alt`.
inline test_result mann_whitney_u(const std::vector<double>& x, const std::vector<double>& y,
                                  alternative alt = alternative::two_sided) {
  const char* fn = "icl::stats::mann_whitney_u";
  detail::check_alternative(fn, alt);
  detail::check_mann_whitney_samples(fn, x, y);
  const auto counts = detail::mann_whitney_statistic(x, y);
  const double u2 = static_cast<double>(x.size()) * static_cast<double>(y.size()) - counts.u1;
  const double u = alt == alternative::greater ? counts.u1 : alt == alternative::less ? u2 : std::max(counts.u1, u2);
  const double tail = detail::mann_whitney_upper_tail(x.size(), y.size(), u, counts.tie_term);
  return test_result{counts.u1, std::min(1.0, (alt == alternative::two_sided ? 2.0 : 1.0) * tail)};
}

}  // namespace icl::stats

#endif  // ICL_CORE_MANN_WHITNEY_HPP
