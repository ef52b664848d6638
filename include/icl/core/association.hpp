#ifndef ICL_CORE_ASSOCIATION_HPP
#define ICL_CORE_ASSOCIATION_HPP

/// Behaviour against a metric (docs/metrics.md 1.5 "behaviour link" and 5b "behaviour against
/// metric"): for paired values across layers or conditions — x a metric (task decodability,
/// hypothesis alignment, its ICL change Δ) and y a behaviour (accuracy, its ICL gain) — the
/// Pearson and Spearman r, the R² of the least-squares line, a permutation p-value and a
/// paired bootstrap interval. This is [P3]'s "TD predicts accuracy" (Han et al., arXiv
/// 2412.12276: R² of TD against accuracy) and [P1]'s "behaviour gain against representation
/// change" (Yousefi et al., arXiv 2310.00313). The types are in icl/core/association_types.hpp.

#include <cstddef>
#include <vector>

#include "icl/core/association_types.hpp"
#include "icl/core/detail/association_impl.hpp"
#include "icl/core/view.hpp"

namespace icl::stats {

/// The association of paired values x_i, y_i (i < n; x, y: 1-D views of float, double, f16 or
/// bf16, any stride; computed in double):
///   pearson_r, spearman_r   scipy.stats.pearsonr / spearmanr (ties: average ranks);
///   r_squared               R² of y ~ a + b·x by least squares = pearson_r² (simple regression
///                           with an intercept), with slope b and intercept a (scipy linregress);
///   analytic_p_value        of `statistic` (params.statistic's r) from Student's t, n − 2 df
///                           (scipy's pearsonr / spearmanr p-value, same alternative);
///   p_value                 permutation test: y shuffled N times (permutation k from
///                           icl::counter_rng(seed, k)), p = (1 + #{extreme r_k}) / (1 + N);
///   ci_low, ci_high         percentile interval (numpy 'linear' quantiles) of `statistic` over B
///                           paired bootstrap samples (sample k: n pairs drawn with replacement
///                           from icl::counter_rng(seed, k)); samples with a constant x or y
///                           are left out and counted in bootstrap_skipped.
/// The same seed gives the same result at any thread count. Cost: O(N n + B n log n).
///
/// Throws icl::invalid_argument ("icl::stats::behaviour_association: ...") when x and y differ
/// in length, fewer than 3 pairs remain, x or y holds NaN/Inf (naming it and the index; unless
/// nan_policy::propagate or omit), x or y is constant (the correlation is undefined; NaN under
/// nan_policy::propagate), for an unknown statistic, alternative or nan_policy,
/// bootstrap_samples = 1, or a confidence outside (0, 1); icl::error when fewer than 2 bootstrap
/// samples have a non-constant x and y.
template <class T>
association_result behaviour_association(tensor_view<const T, 1> x, tensor_view<const T, 1> y,
                                         const association_params& params = {}) {
  return icl::detail::behaviour_association("icl::stats::behaviour_association", x, y, params);
}

/// behaviour_association on two vectors (e.g. a layer_curve's values and accuracies per layer).
template <class T>
association_result behaviour_association(const std::vector<T>& x, const std::vector<T>& y,
                                         const association_params& params = {}) {
  return icl::detail::behaviour_association("icl::stats::behaviour_association",
                                            make_tensor_view<T, 1>(x.data(), {x.size()}),
                                            make_tensor_view<T, 1>(y.data(), {y.size()}), params);
}

}  // namespace icl::stats

#endif  // ICL_CORE_ASSOCIATION_HPP
