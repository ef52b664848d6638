#ifndef ICL_PROBE_TYPES_HPP
#define ICL_PROBE_TYPES_HPP

/// The public types of the probes (docs/metrics.md section 2): the solvers, the options of the
/// logistic and ridge probes and of their cross-validation, the fitted linear model with its
/// convergence report, and the cross-validation results. The functions are in
/// icl/probe/logistic.hpp, ridge.hpp, model.hpp and cross_validation.hpp.
///
/// The dual form, everywhere in this module: the coefficients are W (m outputs x d features,
/// row-major, linear_model::coef) and the dual coefficients A (m x n training rows, row-major,
/// linear_model::dual_coef) with W = A·X, i.e. each output's weight vector w_c = Xᵀa_c is a
/// combination of the training rows. The Gram matrix is K = X·Xᵀ (n x n).

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "icl/core/enum_names.hpp"

namespace icl::probe {

/// The logistic-regression solver to run (logistic_params::solver).
enum class logistic_solver {
  automatic,  ///< dual when n <= d, primal otherwise (default)
  primal,     ///< L-BFGS on (W, b) with X·Wᵀ products: O(n·d·m) per iteration
  dual        ///< the same L-BFGS iterates with W = A·X kept as A: Gram K = X·Xᵀ once, O(n²·m) per iteration
};

/// Names of icl::probe::logistic_solver: "automatic", "primal", "dual".
constexpr enum_table<logistic_solver, 3> icl_enum_table(logistic_solver) {
  return {"icl::probe::logistic_solver", {{{logistic_solver::automatic, "automatic"},
                                           {logistic_solver::primal, "primal"}, {logistic_solver::dual, "dual"}}}};
}

/// The method that produced a model (fit_report::method).
enum class fit_method {
  none,             ///< not fitted
  logistic_primal,  ///< L-BFGS in (W, b)
  logistic_dual,    ///< L-BFGS in (A, b) with W = A·X over the Gram matrix
  ridge_primal,     ///< Cholesky of X̄ᵀX̄ + αI (n > d)
  ridge_dual        ///< Cholesky of K̄ + αI (n <= d)
};

/// Names of icl::probe::fit_method: "none", "logistic_primal", "logistic_dual", "ridge_primal",
/// "ridge_dual".
constexpr enum_table<fit_method, 5> icl_enum_table(fit_method) {
  return {"icl::probe::fit_method", {{{fit_method::none, "none"}, {fit_method::logistic_primal, "logistic_primal"},
                                      {fit_method::logistic_dual, "logistic_dual"},
                                      {fit_method::ridge_primal, "ridge_primal"},
                                      {fit_method::ridge_dual, "ridge_dual"}}}};
}

/// The ridge solver to run (ridge_params::solver).
enum class ridge_solver {
  automatic,  ///< dual when n <= d, primal otherwise (default)
  primal,     ///< d x d system
  dual        ///< n x n system over the centered Gram matrix
};

/// Names of icl::probe::ridge_solver: "automatic", "primal", "dual".
constexpr enum_table<ridge_solver, 3> icl_enum_table(ridge_solver) {
  return {"icl::probe::ridge_solver", {{{ridge_solver::automatic, "automatic"}, {ridge_solver::primal, "primal"},
                                        {ridge_solver::dual, "dual"}}}};
}

/// What the optimizer did. Non-convergence is reported here, never thrown.
struct fit_report {
  fit_method method = fit_method::none;  ///< the solver that ran
  std::size_t iterations = 0;        ///< L-BFGS iterations (0 for the closed form)
  double gradient_norm = 0.0;        ///< ‖∇F‖₂ at the returned point (W-space norm, intercept included)
  double initial_gradient_norm = 0.0;///< ‖∇F‖₂ at W = 0, b = 0: the scale of the stopping rule
  double objective = 0.0;            ///< F = C·Σ logloss + ½‖W‖² at the returned point (logistic)
  bool converged = true;             ///< gradient_norm <= tol · initial_gradient_norm was reached
  std::string message;               ///< why the solver stopped
};

/// A fitted linear model: output o of row x is coef[o, :]·x + intercept[o].
/// Binary logistic: one output, the decision function of classes[1] (as scikit-learn);
/// multinomial (m > 2 classes): one output per class; ridge: one output.
struct linear_model {
  std::size_t n_outputs = 0, n_features = 0;
  std::vector<double> coef;       ///< n_outputs x n_features, row-major
  std::vector<double> intercept;  ///< n_outputs
  std::vector<int> classes;       ///< logistic: the distinct labels, increasing; empty for ridge
  fit_report report;              ///< convergence report of the fit
  /// Dual coefficients A (n_outputs x n_train, row-major, coef = A·X) when the dual solver ran;
  /// pass them as logistic_params::warm_start.dual to start a fit on the same samples from here.
  std::vector<double> dual_coef;
};

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

/// Options of fit_ridge and cross_validate_ridge.
struct ridge_params {
  /// Penalty α, > 0 (scikit-learn's alpha). Default 1.
  double alpha = 1.0;
  /// Fit an unpenalized intercept (center X and y on the training rows). Default true.
  bool fit_intercept = true;
  /// Solver. Default automatic.
  ridge_solver solver = ridge_solver::automatic;
};

/// Options of the k-fold splits.
struct cv_params {
  /// Number of folds k, 2 <= k <= n. Default 5.
  std::size_t folds = 5;
  /// Seed of the shuffles (counter_rng). Default 0.
  std::uint64_t seed = 0;
  /// Stratify by class (classification only; ridge folds are always plain shuffled k-fold).
  /// Default true.
  bool stratified = true;
};

/// Row indices of a train/test split, each increasing.
struct split_indices {
  std::vector<std::size_t> train, test;
};

/// Per-fold scores and their summary.
struct cv_result {
  std::vector<double> fold_scores;       ///< score of each fold (accuracy or R²), in fold order
  double mean = 0.0;                     ///< mean of fold_scores
  double std = 0.0;                      ///< population standard deviation (ddof = 0, numpy's std)
  std::vector<fit_report> fold_reports;  ///< convergence report of each fold's fit
};

/// Probe accuracy on the task and on its control task, and their difference.
struct selectivity_result {
  cv_result task;     ///< cross-validated accuracy on the labels
  cv_result control;  ///< cross-validated accuracy on the control labels
  double selectivity = 0.0;  ///< task.mean − control.mean
};

}  // namespace icl::probe

#endif  // ICL_PROBE_TYPES_HPP
