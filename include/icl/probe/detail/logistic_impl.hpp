#ifndef ICL_PROBE_DETAIL_LOGISTIC_IMPL_HPP
#define ICL_PROBE_DETAIL_LOGISTIC_IMPL_HPP

/// Logistic-probe checks and kernels behind icl/probe/logistic.hpp: the dual fit from a Gram
/// block, the primal fit from a row block, the recovery of coef = A·X (dual coefficients A,
/// m x n; see icl/probe/types.hpp), and fit_logistic after its checks.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <type_traits>
#include <utility>
#include <vector>

#include <Eigen/Core>

#include "icl/core/error.hpp"
#include "icl/core/labels.hpp"
#include "icl/core/linalg.hpp"
#include "icl/core/view.hpp"
#include "icl/probe/detail/lbfgs_logistic.hpp"
#include "icl/probe/detail/model_impl.hpp"
#include "icl/probe/types.hpp"

namespace icl::probe::detail {

inline void check_logistic_params(const char* function, const logistic_params& p) {
  if (!(p.C > 0.0) || !std::isfinite(p.C)) icl::detail::throw_invalid(function, "C = ", p.C, " must be finite and > 0");
  if (!(p.tol >= 0.0)) icl::detail::throw_invalid(function, "tol = ", p.tol, " must be >= 0");
  if (p.memory == 0) icl::detail::throw_invalid(function, "memory = 0 must be >= 1");
}

/// The checks every logistic entry point makes first, in this order: X (a non-empty matrix), the
/// options, the labels (one per row of X, at least two classes). Returns the encoded labels.
template <class T>
icl::detail::encoded_labels check_logistic_inputs(const char* function, matrix_view<const T> X,
                                                  const std::vector<int>& y, const logistic_params& p) {
  check_design(function, X);
  check_logistic_params(function, p);
  return icl::detail::encode_labels(function, y, X.rows(), 2);
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

inline bool use_dual(logistic_solver s, std::size_t n, std::size_t d) {
  return s == logistic_solver::dual || (s == logistic_solver::automatic && n <= d);
}

/// Result of a fit in representation form: V (m x cols), b (m), and the report.
struct raw_fit {
  std::vector<double> v, b;
  fit_report report;
};

inline raw_fit split_solution(lbfgs_solution&& s, std::size_t m, std::size_t cols, fit_method method) {
  raw_fit out;
  out.v.assign(s.x.begin(), s.x.begin() + static_cast<std::ptrdiff_t>(m * cols));
  out.b.assign(s.x.begin() + static_cast<std::ptrdiff_t>(m * cols), s.x.end());
  out.report = std::move(s.report);
  out.report.method = method;
  if (m > 1) {  // softmax is invariant to a common shift of the intercepts: report the centered ones
    double mean = 0.0;
    for (double v : out.b) mean += v;
    mean /= static_cast<double>(m);
    for (double& v : out.b) v -= mean;
  }
  return out;
}

/// Initial (V, b) from warm-start vectors when their sizes fit, zero otherwise.
inline std::vector<double> initial_point(const std::vector<double>& v0, const std::vector<double>& b0, std::size_t m,
                                         std::size_t cols) {
  std::vector<double> x(m * cols + m, 0.0);
  if (v0.size() == m * cols) std::copy(v0.begin(), v0.end(), x.begin());
  if (b0.size() == m) std::copy(b0.begin(), b0.end(), x.begin() + static_cast<std::ptrdiff_t>(m * cols));
  return x;
}

/// Runs L-BFGS on ops (dual_ops or primal_ops: ops.cols() unknowns per output) from the warm
/// start (v0, b0) and splits the solution; method names the fit in its report.
template <class Ops>
raw_fit fit_with(const Ops& ops, const std::vector<std::size_t>& codes, std::size_t k, const lbfgs_options& opt,
                 const std::vector<double>& v0, const std::vector<double>& b0, fit_method method) {
  const std::size_t m = k == 2 ? 1 : k;
  const std::size_t cols = ops.cols();
  return split_solution(solve_logistic(ops, codes, k, opt, initial_point(v0, b0, m, cols)), m, cols, method);
}

/// Dual fit on the Gram block K (n x n, full symmetric, leading dimension ldk).
template <class C>
raw_fit fit_dual(const C* K, std::size_t n, std::size_t ldk, const std::vector<std::size_t>& codes, std::size_t k,
                 const lbfgs_options& opt, const std::vector<double>& a0, const std::vector<double>& b0) {
  return fit_with(dual_ops<C>{K, n, ldk}, codes, k, opt, a0, b0, fit_method::logistic_dual);
}

/// Primal fit on the rows X (n x d, row-major, leading dimension ld).
template <class C>
raw_fit fit_primal(const C* X, std::size_t n, std::size_t d, std::size_t ld, const std::vector<std::size_t>& codes,
                   std::size_t k, const lbfgs_options& opt, const std::vector<double>& w0, const std::vector<double>& b0) {
  return fit_with(primal_ops<C>{X, n, d, ld}, codes, k, opt, w0, b0, fit_method::logistic_primal);
}

/// coef (m x d) = A (m x n) · X (n x d rows in C, leading dimension ld).
template <class C>
std::vector<double> coef_from_dual(const std::vector<double>& a, std::size_t m, const C* X, std::size_t n,
                                   std::size_t d, std::size_t ld) {
  std::vector<double> coef(m * d);
  const cmap<C> Xm(X, static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(d),
                   Eigen::OuterStride<>(static_cast<Eigen::Index>(ld)));
  const Eigen::Map<const cmat<double>> A(a.data(), static_cast<Eigen::Index>(m), static_cast<Eigen::Index>(n));
  Eigen::Map<cmat<double>> W(coef.data(), static_cast<Eigen::Index>(m), static_cast<Eigen::Index>(d));
  if constexpr (std::is_same_v<C, double>) {
    W.noalias() = A * Xm;
  } else {
    const cmat<C> ac = A.template cast<C>();
    W = (ac * Xm).template cast<double>();
  }
  return coef;
}

/// The full symmetric Gram matrix K = X·Xᵀ of rows (n x d, ld) in C (SYRK, then mirrored).
template <class C>
std::vector<C> full_gram(const C* rows, std::size_t n, std::size_t d, std::size_t ld) {
  std::vector<C> K(n * n);
  icl::detail::product_aat_upper<C>(rows, n, ld, d, K.data(), n);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < i; ++j) K[i * n + j] = K[j * n + i];
  return K;
}

/// fit_logistic after its checks: X (n x d, finite) and the encoded labels (at least two classes).
template <class T>
linear_model fit_logistic_model(matrix_view<const T> X, const icl::detail::encoded_labels& enc,
                                const logistic_params& p) {
  using C = icl::detail::compute_t<T>;
  const std::size_t n = X.rows(), d = X.cols(), k = enc.n_classes(), m = k == 2 ? 1 : k;
  std::vector<C> buffer;
  std::size_t ld = 0;
  const C* rows = icl::detail::rows_as_compute<C>(X, 0, n, buffer, ld);
  const auto opt = make_lbfgs_options(p);

  linear_model model;
  model.n_outputs = m;
  model.n_features = d;
  model.classes = enc.classes;
  if (use_dual(p.solver, n, d)) {
    const std::vector<C> K = full_gram<C>(rows, n, d, ld);
    auto fit = fit_dual<C>(K.data(), n, n, enc.codes, k, opt, p.warm_start.dual, p.warm_start.intercept);
    model.coef = coef_from_dual<C>(fit.v, m, rows, n, d, ld);
    model.intercept = std::move(fit.b);
    model.report = std::move(fit.report);
    model.dual_coef = std::move(fit.v);
  } else {
    auto fit = fit_primal<C>(rows, n, d, ld, enc.codes, k, opt, p.warm_start.coef, p.warm_start.intercept);
    model.coef = std::move(fit.v);
    model.intercept = std::move(fit.b);
    model.report = std::move(fit.report);
  }
  return model;
}

/// Fraction of the predicted labels equal to y (same length).
inline double accuracy(const std::vector<int>& predicted, const std::vector<int>& y) {
  std::size_t hits = 0;
  for (std::size_t i = 0; i < y.size(); ++i) hits += predicted[i] == y[i] ? 1 : 0;
  return static_cast<double>(hits) / static_cast<double>(y.size());
}

}  // namespace icl::probe::detail

#endif  // ICL_PROBE_DETAIL_LOGISTIC_IMPL_HPP
