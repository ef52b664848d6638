#ifndef ICL_RSA_HYPOTHESIS_HPP
#define ICL_RSA_HYPOTHESIS_HPP

/// Hypothesis RDMs (METRICS.md 1.3) and the within- versus between-group test of
/// METRICS.md 1.5.

#include <cmath>
#include <cstddef>
#include <utility>
#include <vector>

#include "icl/core/error.hpp"
#include "icl/core/stats.hpp"
#include "icl/rsa/rdm_type.hpp"

namespace icl::rsa {

/// The categorical hypothesis RDM (METRICS.md 1.3): 0 where labels[i] == labels[j], 1 otherwise.
/// Any int values are accepted as labels (they need not be 0..m−1). Condensed, scipy squareform
/// order. Throws icl::invalid_argument when there are fewer than 2 labels.
inline rdm categorical_rdm(const std::vector<int>& labels) {
  const char* fn = "icl::rsa::categorical_rdm";
  const std::size_t n = labels.size();
  if (n < 2) detail::throw_invalid(fn, "need at least 2 labels, got ", n);
  std::vector<double> values(detail::checked_pair_count(fn, n));
  std::size_t k = 0;
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = i + 1; j < n; ++j, ++k) values[k] = labels[i] == labels[j] ? 0.0 : 1.0;
  }
  return rdm(n, std::move(values));
}

/// How parameter_rdm turns two parameter values into a dissimilarity.
enum class parameter_distance {
  absolute,  ///< |a_i − a_j| (METRICS.md 1.3, the default)
  squared    ///< (a_i − a_j)², the squared Euclidean distance of the one-dimensional parameter
};

/// The parameter hypothesis RDM (METRICS.md 1.3) of a continuous task parameter a (for example
/// the slope of an in-context regression task): |a_i − a_j| (`absolute`, the default) or
/// (a_i − a_j)² (`squared`), computed in double. Condensed, scipy squareform order.
/// Throws icl::invalid_argument when there are fewer than 2 values, a value is NaN/Inf (named by
/// its index), or a distance overflows (values near the largest double).
inline rdm parameter_rdm(const std::vector<double>& values,
                         parameter_distance distance = parameter_distance::absolute) {
  const char* fn = "icl::rsa::parameter_rdm";
  const std::size_t n = values.size();
  if (n < 2) detail::throw_invalid(fn, "need at least 2 values, got ", n);
  if (distance != parameter_distance::absolute && distance != parameter_distance::squared) {
    detail::throw_invalid(fn, "unknown parameter_distance ", static_cast<int>(distance));
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (!std::isfinite(values[i])) detail::throw_invalid(fn, "value ", i, " is ", values[i], " (NaN/Inf not allowed)");
  }
  std::vector<double> condensed(detail::checked_pair_count(fn, n));
  std::size_t k = 0;
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = i + 1; j < n; ++j, ++k) {
      const double difference = std::abs(values[i] - values[j]);
      const double d = distance == parameter_distance::absolute ? difference : difference * difference;
      if (!std::isfinite(d)) {
        detail::throw_invalid(fn, "the distance of values ", i, " and ", j, " (", values[i], ", ", values[j],
                              ") overflows");
      }
      condensed[k] = d;
    }
  }
  return rdm(n, std::move(condensed));
}

/// The result of within_between_test.
struct group_test_result {
  stats::welch_result test;   ///< Welch's t-test of within- minus between-group entries
  std::size_t within_pairs;   ///< number of pairs i < j with groups[i] == groups[j]
  std::size_t between_pairs;  ///< number of pairs i < j with groups[i] != groups[j]
  double mean_within;         ///< mean RDM entry over within-group pairs (= test.mean_a)
  double mean_between;        ///< mean RDM entry over between-group pairs (= test.mean_b)
};

/// Welch's t-test of the RDM entries of pairs in the same group against those of pairs in
/// different groups (METRICS.md 1.5): the within sample is r(i, j) for i < j with
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
  const char* fn = "icl::rsa::within_between_test";
  const std::size_t n = r.n();
  if (groups.size() != n) {
    detail::throw_invalid(fn, "groups has ", groups.size(), " entries but the RDM has n = ", n, " conditions");
  }
  if (alt != alternative::two_sided && alt != alternative::greater && alt != alternative::less) {
    detail::throw_invalid(fn, "unknown alternative ", static_cast<int>(alt));
  }
  const std::vector<double>& values = r.condensed();
  std::vector<double> within;
  std::vector<double> between;
  std::size_t k = 0;
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = i + 1; j < n; ++j, ++k) {
      const double v = values[k];
      if (!std::isfinite(v)) {
        detail::throw_invalid(fn, "RDM entry (", i, ", ", j, ") is ", v, " (NaN/Inf not allowed)");
      }
      (groups[i] == groups[j] ? within : between).push_back(v);
    }
  }
  if (within.size() < 2) {
    detail::throw_invalid(fn, "only ", within.size(), " within-group pair(s) (need at least 2; n = ", n, ")");
  }
  if (between.size() < 2) {
    detail::throw_invalid(fn, "only ", between.size(), " between-group pair(s) (need at least 2; n = ", n, ")");
  }
  const auto is_constant = [](const std::vector<double>& v) {
    for (const double x : v) {
      if (x != v.front()) return false;
    }
    return true;
  };
  if (is_constant(within) && is_constant(between)) {
    detail::throw_invalid(fn, "within-group and between-group entries are both constant (",
                          within.front(), " and ", between.front(), "): the t statistic is undefined");
  }
  group_test_result result{};
  try {
    result.test = stats::welch_t_test(within, between, alt);
  } catch (const icl::error& e) {
    // Overflow of the statistic: report it under this function's name.
    detail::throw_error(fn, e.what());
  }
  result.within_pairs = within.size();
  result.between_pairs = between.size();
  result.mean_within = result.test.mean_a;
  result.mean_between = result.test.mean_b;
  return result;
}

}  // namespace icl::rsa

#endif  // ICL_RSA_HYPOTHESIS_HPP
