#ifndef ICL_CORE_ASSOCIATION_TYPES_HPP
#define ICL_CORE_ASSOCIATION_TYPES_HPP

/// The public types of icl::stats::behaviour_association (icl/core/association.hpp): which
/// correlation the test and the interval are about, the options, and the result.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>

#include "icl/core/enum_names.hpp"
#include "icl/core/error.hpp"
#include "icl/core/stats.hpp"

namespace icl::stats {

/// A correlation coefficient of paired values (x_i, y_i).
enum class correlation {
  pearson,  ///< Pearson r (scipy.stats.pearsonr)
  spearman  ///< Pearson r of the average ranks (scipy.stats.spearmanr)
};

/// Names of icl::stats::correlation for icl::to_string / icl::from_string.
constexpr enum_table<correlation, 2> icl_enum_table(correlation) {
  return {"icl::stats::correlation", {{{correlation::pearson, "pearson"}, {correlation::spearman, "spearman"}}}};
}

/// Options of behaviour_association.
struct association_params {
  /// The correlation that the permutation test, the analytic p-value and the bootstrap
  /// interval are about (default pearson; both r are always reported).
  correlation statistic = correlation::pearson;
  /// Random permutations N of y (default 10000); 0 skips the test (p_value NaN).
  std::size_t permutations = 10000;
  /// Tail of both p-values (default two_sided):
  ///   two_sided : p = (1 + #{|r_k| >= |r|}) / (1 + N);
  ///   greater   : p = (1 + #{r_k >= r}) / (1 + N)   (a positive association);
  ///   less      : p = (1 + #{r_k <= r}) / (1 + N).
  /// Comparisons allow a relative slack of 1e-12 of |r|, so ties with r count.
  alternative alt = alternative::two_sided;
  /// Paired bootstrap samples B (default 1000, else >= 2); 0 skips the interval (NaN).
  std::size_t bootstrap_samples = 1000;
  /// Coverage of the percentile interval (default 0.95), strictly between 0 and 1.
  double confidence = 0.95;
  /// Seed (default 0): permutation k and bootstrap sample k draw from icl::counter_rng(seed, k),
  /// so the result is the same at any thread count.
  std::uint64_t seed = 0;
  /// NaN/Inf in x or y, and an undefined r (a constant x or y), default nan_policy::raise:
  ///   raise     : icl::invalid_argument naming the vector (and the index of a NaN/Inf);
  ///   propagate : NaN/Inf in the input, or a constant x or y, gives NaN for every statistic;
  ///   omit      : pairs where x or y is NaN/Inf are dropped (scipy's 'omit'); a constant x or
  ///               y among the rest still throws, and fewer than 3 remaining pairs throw.
  nan_policy nan = nan_policy::raise;
};

/// Result of behaviour_association. Every statistic is NaN under nan_policy::propagate when it
/// is undefined.
struct association_result {
  std::size_t n;               ///< number of pairs used (after nan_policy::omit)
  double pearson_r;            ///< Pearson r (scipy.stats.pearsonr)
  double spearman_r;           ///< Spearman r (scipy.stats.spearmanr, ties as average ranks)
  /// R² of the least-squares line y ~ a + b x: 1 − SS_res / SS_tot, which for a simple
  /// regression with an intercept equals pearson_r² (computed as such).
  double r_squared;
  double slope;                ///< b of the least-squares line (scipy.stats.linregress slope)
  double intercept;            ///< a of the least-squares line
  double statistic;            ///< the r of params.statistic (pearson_r or spearman_r)
  /// p-value of `statistic` from Student's t with n − 2 degrees of freedom,
  /// t = r sqrt((n − 2) / (1 − r²)): scipy.stats.pearsonr / spearmanr's p-value (same tail).
  double analytic_p_value;
  double p_value;              ///< permutation p-value (NaN when permutations = 0)
  double ci_low;               ///< percentile bootstrap interval of `statistic` (NaN when B = 0)
  double ci_high;
  double standard_error;       ///< standard deviation (ddof = 1) of the bootstrap statistics
  std::size_t permutations;    ///< N
  std::size_t bootstrap_samples;  ///< B
  std::size_t bootstrap_skipped;  ///< bootstrap samples with a constant x or y, left out
};

}  // namespace icl::stats

#endif  // ICL_CORE_ASSOCIATION_TYPES_HPP
