#ifndef ICL_PROBE_LOGISTIC_HPP
#define ICL_PROBE_LOGISTIC_HPP

/// Logistic-regression probe (docs/metrics.md section 2): scikit-learn's
/// LogisticRegression(C, lbfgs) objective
///   minimize  C·Σ_i logloss(x_i·Wᵀ + b, y_i) + ½‖W‖²_F      (intercept b unpenalized),
/// binary (one output for classes[1], sigmoid) or multinomial (m > 2 classes: m outputs,
/// softmax, intercepts centered to sum 0). Solved by L-BFGS with a strong Wolfe line search,
/// either in the primal (W, b) or in the dual coefficients A (m x n) with W = A·X over the Gram
/// matrix K = X·Xᵀ (same iterates, O(n²·m) instead of O(n·d·m) per iteration; see
/// docs/probes.md). The options (logistic_params) and the model (linear_model) are declared in
/// icl/probe/types.hpp.

#include <vector>

#include "icl/core/error.hpp"
#include "icl/core/labels.hpp"
#include "icl/core/view.hpp"
#include "icl/probe/detail/logistic_impl.hpp"
#include "icl/probe/model.hpp"
#include "icl/probe/types.hpp"

namespace icl::probe {

/// Fits the logistic probe on the rows of X (n x d, any strides, float/double/f16/bf16) with
/// labels y (any int values; at least two classes). Reaches the optimum of scikit-learn's
/// LogisticRegression(C=p.C, solver='lbfgs'). The dual solver computes K = X·Xᵀ in float for
/// float/f16/bf16 inputs and in double for double; the loss, gradients and state are double.
/// Throws icl::invalid_argument for an empty X, y of the wrong length, a single class, C <= 0,
/// or NaN/Inf in X.
template <class T>
linear_model fit_logistic(matrix_view<const T> X, const std::vector<int>& y, const logistic_params& p = {}) {
  constexpr const char* fn = "icl::probe::fit_logistic";
  const auto enc = detail::check_logistic_inputs(fn, X, y, p);
  icl::detail::require_finite(fn, "X", X);
  return detail::fit_logistic_model(X, enc, p);
}

/// Fraction of rows of X whose predicted class equals y (accuracy, as scikit-learn's score).
template <class T>
double score_accuracy(const linear_model& m, matrix_view<const T> X, const std::vector<int>& y) {
  if (y.size() != X.rows()) {
    icl::detail::throw_invalid("icl::probe::score_accuracy", "labels has ", y.size(), " entries but X has ", X.rows(),
                               " rows");
  }
  return detail::accuracy(predict_class(m, X), y);
}

}  // namespace icl::probe

#endif  // ICL_PROBE_LOGISTIC_HPP
