#ifndef ICL_PROBE_MODEL_HPP
#define ICL_PROBE_MODEL_HPP

/// The fitted linear model shared by the logistic and ridge probes (METRICS.md 2), its
/// convergence report, and the functions that apply it to new rows: decision function,
/// class prediction, class probabilities, regression prediction.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

#include "icl/core/error.hpp"
#include "icl/core/view.hpp"

namespace icl::probe {

/// The logistic-regression solver to run (logistic_params::solver).
enum class logistic_solver {
  automatic,  ///< dual when n <= d, primal otherwise (default)
  primal,     ///< L-BFGS on (W, b) with X·Wᵀ products: O(n·d·m) per iteration
  dual        ///< the same L-BFGS iterates with W = Xᵀ·A kept as A: Gram K = X·Xᵀ once, O(n²·m) per iteration
};

/// The method that produced a model (fit_report::method).
enum class fit_method {
  none,             ///< not fitted
  logistic_primal,  ///< L-BFGS in (W, b)
  logistic_dual,    ///< L-BFGS in (A, b) with W = Xᵀ·A over the Gram matrix
  ridge_primal,     ///< Cholesky of X̄ᵀX̄ + αI (n > d)
  ridge_dual        ///< Cholesky of K̄ + αI (n <= d)
};

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

namespace detail {

template <class T>
void check_model_input(const char* function, const linear_model& m, matrix_view<const T> X) {
  icl::detail::check_matrix(function, "X", X);
  if (m.n_outputs == 0 || m.coef.size() != m.n_outputs * m.n_features || m.intercept.size() != m.n_outputs) {
    icl::detail::throw_invalid(function, "the model is not fitted (n_outputs = ", m.n_outputs, ", coef has ",
                               m.coef.size(), " values, intercept ", m.intercept.size(), ")");
  }
  if (X.cols() != m.n_features) {
    icl::detail::throw_invalid(function, "X has ", X.cols(), " columns but the model has ", m.n_features,
                               " features");
  }
  if (X.rows() == 0) icl::detail::throw_invalid(function, "X is empty (0 rows)");
  icl::detail::require_finite(function, "X", X);
}

template <class T>
std::vector<double> decision_values(const linear_model& m, matrix_view<const T> X) {
  const std::size_t n = X.rows(), d = X.cols(), o = m.n_outputs;
  std::vector<double> out(n * o);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t c = 0; c < o; ++c) {
      const double* w = m.coef.data() + c * d;
      double s = m.intercept[c];
      for (std::size_t j = 0; j < d; ++j) s += w[j] * icl::detail::to_double(X(i, j));
      out[i * o + c] = s;
    }
  }
  return out;
}

/// Class index from one row of decision values (binary: > 0 means class 1; else argmax, first on ties).
inline std::size_t class_index(const double* z, std::size_t outputs) {
  if (outputs == 1) return z[0] > 0.0 ? 1 : 0;
  std::size_t best = 0;
  for (std::size_t c = 1; c < outputs; ++c)
    if (z[c] > z[best]) best = c;
  return best;
}

}  // namespace detail

/// The decision function X·coefᵀ + intercept (n x n_outputs, row-major), in double.
/// Throws icl::invalid_argument when X.cols() differs from the model's n_features, X is empty
/// or holds NaN/Inf.
template <class T>
std::vector<double> decision_function(const linear_model& m, matrix_view<const T> X) {
  detail::check_model_input("icl::probe::decision_function", m, X);
  return detail::decision_values(m, X);
}

/// The predicted label of each row of X (a logistic model: one of m.classes).
template <class T>
std::vector<int> predict_class(const linear_model& m, matrix_view<const T> X) {
  detail::check_model_input("icl::probe::predict_class", m, X);
  const std::size_t k = m.classes.size();
  if (k < 2 || (k == 2 ? m.n_outputs != 1 : m.n_outputs != k)) {
    icl::detail::throw_invalid("icl::probe::predict_class", "the model has ", k, " classes and ", m.n_outputs,
                               " outputs: not a classifier");
  }
  const auto z = detail::decision_values(m, X);
  std::vector<int> out(X.rows());
  for (std::size_t i = 0; i < X.rows(); ++i) out[i] = m.classes[detail::class_index(z.data() + i * m.n_outputs, m.n_outputs)];
  return out;
}

/// Class probabilities (n x classes.size(), row-major, columns in m.classes order): sigmoid for
/// a binary model, softmax for a multinomial one.
template <class T>
std::vector<double> predict_proba(const linear_model& m, matrix_view<const T> X) {
  detail::check_model_input("icl::probe::predict_proba", m, X);
  const std::size_t k = m.classes.size();
  if (k < 2 || (k == 2 ? m.n_outputs != 1 : m.n_outputs != k)) {
    icl::detail::throw_invalid("icl::probe::predict_proba", "the model has ", k, " classes and ", m.n_outputs,
                               " outputs: not a classifier");
  }
  const auto z = detail::decision_values(m, X);
  std::vector<double> p(X.rows() * k);
  for (std::size_t i = 0; i < X.rows(); ++i) {
    if (k == 2) {
      const double t = z[i];
      const double p1 = t >= 0 ? 1.0 / (1.0 + std::exp(-t)) : std::exp(t) / (1.0 + std::exp(t));
      p[i * 2] = 1.0 - p1;
      p[i * 2 + 1] = p1;
    } else {
      const double* zi = z.data() + i * k;
      const double mx = *std::max_element(zi, zi + k);
      double s = 0.0;
      for (std::size_t c = 0; c < k; ++c) s += std::exp(zi[c] - mx);
      for (std::size_t c = 0; c < k; ++c) p[i * k + c] = std::exp(zi[c] - mx) / s;
    }
  }
  return p;
}

/// The regression prediction of a one-output model (ridge): X·coef + intercept.
template <class T>
std::vector<double> predict_value(const linear_model& m, matrix_view<const T> X) {
  detail::check_model_input("icl::probe::predict_value", m, X);
  if (m.n_outputs != 1) {
    icl::detail::throw_invalid("icl::probe::predict_value", "the model has ", m.n_outputs, " outputs, need 1");
  }
  return detail::decision_values(m, X);
}

}  // namespace icl::probe

#endif  // ICL_PROBE_MODEL_HPP
