#ifndef ICL_PROBE_LOGISTIC_HPP
#define ICL_PROBE_LOGISTIC_HPP

/// Logistic-regression probe (METRICS.md 2): scikit-learn's LogisticRegression(C, lbfgs)
/// objective
///   minimize  C·Σ_i logloss(x_i·Wᵀ + b, y_i) + ½‖W‖²_F      (intercept b unpenalized),
/// binary (one output for classes[1], sigmoid) or multinomial (m > 2 classes: m outputs,
/// softmax, intercepts centered to sum 0). Solved by L-BFGS with a strong Wolfe line search,
/// either in the primal (W, b) or in the dual coefficients A with W = A·X over the Gram matrix
/// K = X·Xᵀ (same iterates, O(n²·m) instead of O(n·d·m) per iteration; see docs/probes.md).

#include <cmath>
#include <cstddef>
#include <vector>

#include "icl/core/error.hpp"
#include "icl/core/labels.hpp"
#include "icl/core/linalg.hpp"
#include "icl/core/view.hpp"
#include "icl/probe/detail/logistic_impl.hpp"
#include "icl/probe/model.hpp"

namespace icl::probe {

/// An optional starting point (empty vectors: start from zero). Entries whose size does not
/// match the problem are ignored.
struct logistic_warm_start {
  std::vector<double> coef;       ///< m x d (primal solver)
  std::vector<double> intercept;  ///< m (both solvers)
  std::vector<double> dual;       ///< m x n dual coefficients A, W = A·X (dual solver; linear_model::dual_coef)
};

/// Options of fit_logistic and cross_validate_logistic.
struct logistic_params {
  /// Inverse regularization strength (scikit-learn's C), > 0. Default 1.
  double C = 1.0;
  /// Maximum number of L-BFGS iterations. Default 100. Reaching it is reported in
  /// linear_model::report (converged = false), not thrown.
  std::size_t max_iter = 100;
  /// Stopping rule: ‖∇F(W, b)‖₂ <= tol · ‖∇F(0, 0)‖₂ (W-space norm, intercept included).
  /// Default 1e-6, which puts the coefficients within about 1e-6·cond relative of the optimum.
  double tol = 1e-6;
  /// Fit an unpenalized intercept. Default true.
  bool fit_intercept = true;
  /// Solver: automatic (dual iff n <= d), primal or dual. Default automatic.
  logistic_solver solver = logistic_solver::automatic;
  /// Number of L-BFGS correction pairs kept. Default 10.
  std::size_t memory = 10;
  /// Starting point (default: zero).
  logistic_warm_start warm_start;
};

namespace detail {

inline void check_logistic_params(const char* function, const logistic_params& p) {
  if (!(p.C > 0.0) || !std::isfinite(p.C)) icl::detail::throw_invalid(function, "C = ", p.C, " must be finite and > 0");
  if (!(p.tol >= 0.0)) icl::detail::throw_invalid(function, "tol = ", p.tol, " must be >= 0");
  if (p.memory == 0) icl::detail::throw_invalid(function, "memory = 0 must be >= 1");
}

inline lbfgs_options make_lbfgs_options(const logistic_params& p) {
  lbfgs_options o;
  o.C = p.C;
  o.max_iter = p.max_iter;
  o.tol = p.tol;
  o.memory = p.memory;
  o.fit_intercept = p.fit_intercept;
  return o;
}

template <class T>
void check_design(const char* function, matrix_view<const T> X) {
  icl::detail::check_matrix(function, "X", X);
  if (X.rows() == 0 || X.cols() == 0) {
    icl::detail::throw_invalid(function, "X is empty (", X.rows(), " x ", X.cols(), ")");
  }
}

inline bool use_dual(logistic_solver s, std::size_t n, std::size_t d) {
  return s == logistic_solver::dual || (s == logistic_solver::automatic && n <= d);
}

}  // namespace detail

/// Fits the logistic probe on the rows of X (n x d, any strides, float/double/f16/bf16) with
/// labels y (any int values; at least two classes). Reaches the optimum of scikit-learn's
/// LogisticRegression(C=p.C, solver='lbfgs'). The dual solver computes K = X·Xᵀ in float for
/// float/f16/bf16 inputs and in double for double; the loss, gradients and state are double.
/// Throws icl::invalid_argument for an empty X, y of the wrong length, a single class, C <= 0,
/// or NaN/Inf in X.
template <class T>
linear_model fit_logistic(matrix_view<const T> X, const std::vector<int>& y, const logistic_params& p = {}) {
  constexpr const char* fn = "icl::probe::fit_logistic";
  detail::check_design(fn, X);
  detail::check_logistic_params(fn, p);
  const auto enc = icl::detail::encode_labels(fn, y, X.rows(), 2);
  icl::detail::require_finite(fn, "X", X);
  using C = icl::detail::compute_t<T>;
  const std::size_t n = X.rows(), d = X.cols(), k = enc.n_classes(), m = k == 2 ? 1 : k;
  std::vector<C> buffer;
  std::size_t ld = 0;
  const C* rows = icl::detail::rows_as_compute<C>(X, 0, n, buffer, ld);
  const auto opt = detail::make_lbfgs_options(p);

  linear_model model;
  model.n_outputs = m;
  model.n_features = d;
  model.classes = enc.classes;
  if (detail::use_dual(p.solver, n, d)) {
    const std::vector<C> K = detail::full_gram<C>(rows, n, d, ld);
    auto fit = detail::fit_dual<C>(K.data(), n, n, enc.codes, k, opt, p.warm_start.dual, p.warm_start.intercept);
    model.coef = detail::coef_from_dual<C>(fit.v, m, rows, n, d, ld);
    model.intercept = std::move(fit.b);
    model.report = std::move(fit.report);
    model.dual_coef = std::move(fit.v);
  } else {
    auto fit = detail::fit_primal<C>(rows, n, d, ld, enc.codes, k, opt, p.warm_start.coef, p.warm_start.intercept);
    model.coef = std::move(fit.v);
    model.intercept = std::move(fit.b);
    model.report = std::move(fit.report);
  }
  return model;
}

/// Fraction of rows of X whose predicted class equals y (accuracy, as scikit-learn's score).
template <class T>
double score_accuracy(const linear_model& m, matrix_view<const T> X, const std::vector<int>& y) {
  if (y.size() != X.rows()) {
    icl::detail::throw_invalid("icl::probe::score_accuracy", "labels has ", y.size(), " entries but X has ", X.rows(),
                               " rows");
  }
  const auto pred = predict_class(m, X);
  std::size_t hits = 0;
  for (std::size_t i = 0; i < y.size(); ++i) hits += pred[i] == y[i] ? 1 : 0;
  return static_cast<double>(hits) / static_cast<double>(y.size());
}

}  // namespace icl::probe

#endif  // ICL_PROBE_LOGISTIC_HPP
