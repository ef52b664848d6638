#ifndef ICL_PROBE_RIDGE_HPP
#define ICL_PROBE_RIDGE_HPP

/// Ridge-regression probe (docs/metrics.md section 2, the "parameterized" probe): decode a
/// continuous task parameter from the states. scikit-learn's Ridge(alpha) with an unpenalized
/// intercept:
///   minimize ‖y − X·w − b‖² + α‖w‖²,
/// solved on centered data (the means of the training rows), closed form in double: the primal
/// system (X̄ᵀX̄ + αI)w = X̄ᵀȳ when n > d, the dual w = X̄ᵀ(K̄ + αI)⁻¹ȳ with K̄ = X̄·X̄ᵀ when n <= d.
/// Scores: R² (scikit-learn's r2_score) and Pearson r. The options (ridge_params, ridge_solver)
/// and the model (linear_model) are declared in icl/probe/types.hpp.

#include <vector>

#include "icl/core/error.hpp"
#include "icl/core/view.hpp"
#include "icl/probe/detail/model_impl.hpp"
#include "icl/probe/detail/ridge_impl.hpp"
#include "icl/probe/model.hpp"
#include "icl/probe/types.hpp"

namespace icl::probe {

/// Fits the ridge probe on the rows of X (n x d, any strides and element type) with targets y.
/// Same solution as scikit-learn's Ridge(alpha=p.alpha). The products run in float for
/// float/f16/bf16 inputs and in double for double; the system is solved in double.
/// Throws icl::invalid_argument for an empty X, y of the wrong length, alpha <= 0 or NaN/Inf in
/// X or y; icl::error if the Cholesky factorization fails.
template <class T>
linear_model fit_ridge(matrix_view<const T> X, const std::vector<double>& y, const ridge_params& p = {}) {
  constexpr const char* fn = "icl::probe::fit_ridge";
  detail::check_ridge_inputs(fn, X, y, p);
  icl::detail::require_finite(fn, "X", X);
  return detail::fit_ridge_model(fn, X, y, p);
}

/// R² = 1 − Σ(y − ŷ)² / Σ(y − ȳ)² (scikit-learn's r2_score). Throws icl::invalid_argument for
/// different lengths, fewer than 2 values, or a constant y_true (R² undefined).
inline double r2_score(const std::vector<double>& y_true, const std::vector<double>& y_pred) {
  return detail::r2(y_true, y_pred);
}

/// Pearson correlation of a and b. Throws icl::invalid_argument for different lengths, fewer
/// than 2 values, or a constant input (r undefined).
inline double pearson_r(const std::vector<double>& a, const std::vector<double>& b) { return detail::pearson(a, b); }

/// R² of a ridge model's predictions on (X, y).
template <class T>
double score_r2(const linear_model& m, matrix_view<const T> X, const std::vector<double>& y) {
  detail::check_targets("icl::probe::score_r2", y, X.rows());
  return r2_score(y, predict_value(m, X));
}

/// Pearson r between a ridge model's predictions on X and y.
template <class T>
double score_pearson(const linear_model& m, matrix_view<const T> X, const std::vector<double>& y) {
  detail::check_targets("icl::probe::score_pearson", y, X.rows());
  return pearson_r(y, predict_value(m, X));
}

}  // namespace icl::probe

#endif  // ICL_PROBE_RIDGE_HPP
