#ifndef ICL_RSA_HYPOTHESIS_HPP
#define ICL_RSA_HYPOTHESIS_HPP

/// Hypothesis RDMs (docs/metrics.md 1.3) and the within- versus between-group test of
/// docs/metrics.md 1.5. parameter_distance and group_test_result are in icl/rsa/types.hpp.

#include <vector>

#include "icl/core/stats.hpp"
#include "icl/rsa/detail/hypothesis_impl.hpp"
#include "icl/rsa/rdm_type.hpp"
#include "icl/rsa/types.hpp"

namespace icl::rsa {

/// The categorical hypothesis RDM (docs/metrics.md 1.3): 0 where labels[i] == labels[j], 1 otherwise.
/// Any int values are accepted as labels (they need not be 0..m−1). Condensed, scipy squareform
/// order. Throws icl::invalid_argument when there are fewer than 2 labels.
inline rdm categorical_rdm(const std::vector<int>& labels) {
  return detail::categorical_rdm("icl::rsa::categorical_rdm", labels);
}

/// The parameter hypothesis RDM (docs/metrics.md 1.3) of a continuous task parameter a (for example
/// the slope of an in-context regression task): |a_i − a_j| (`absolute`, the default) or
/// (a_i − a_j)² (`squared`), computed in double. Condensed, scipy squareform order.
/// Throws icl::invalid_argument when there are fewer than 2 values, a value is NaN/Inf (named by
/// its index), or a distance overflows (values near the largest double).
inline rdm parameter_rdm(const std::vector<double>& values,
                         parameter_distance distance = parameter_distance::absolute) {
  return detail::parameter_rdm("icl::rsa::parameter_rdm", values, distance);
}

/// Welch's t-test of the RDM entries of pairs in the same group against those of pairs in
/// different groups (docs/metrics.md 1.5): the within sample is r(i, j) for i < j with
/// groups[i] == groups[j], the between sample the rest, and the test is
/// icl::stats::welch_t_test(within, between, alt) = scipy.stats.ttest_ind(within, between,
/// equal_var=False, alternative=alt). t > 0 means larger entries within groups. For an RDM of
/// dissimilarities, `alternative::less` tests that conditions of the same group are closer to
/// each other (within < between); for similarities it is `alternative::greater`.
///
/// Throws icl::invalid_argument (message starting "icl::rsa::within_between_test") when
/// groups.size() != r.n(), when there are fewer than 2 within-group or fewer than 2
/// between-group pairs, when an RDM entry is NaN/Inf (named by its pair), when both samples are
/// constant (t undefined), or for an unknown `alt`; icl::error when the statistic overflows.
inline group_test_result within_between_test(const rdm& r, const std::vector<int>& groups,
                                             alternative alt = alternative::two_sided) {
  return detail::within_between_test("icl::rsa::within_between_test", r, groups, alt);
}

}  // namespace icl::rsa

#endif  // ICL_RSA_HYPOTHESIS_HPP
