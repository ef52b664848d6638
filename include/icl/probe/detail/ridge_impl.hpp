#ifndef ICL_PROBE_DETAIL_RIDGE_IMPL_HPP
#define ICL_PROBE_DETAIL_RIDGE_IMPL_HPP

/// Ridge checks and kernels behind icl/probe/ridge.hpp: scikit-learn's Ridge(alpha) with an
/// unpenalized intercept, i.e. the centered problem min ‖ȳ − X̄w‖² + α‖w‖², solved in double by
/// Cholesky of X̄ᵀX̄ + αI (primal, n > d) or of K̄ + αI with w = X̄ᵀ(K̄ + αI)⁻¹ȳ (dual, n <= d);
/// and the scores R² and Pearson r.

#include <cmath>
#include <cstddef>
#include <utility>
#include <vector>

#include <Eigen/Cholesky>
#include <Eigen/Core>

#include "icl/core/error.hpp"
#include "icl/core/linalg.hpp"
#include "icl/core/parallel.hpp"
#include "icl/core/view.hpp"
#include "icl/probe/detail/model_impl.hpp"
#include "icl/probe/types.hpp"

namespace icl::probe::detail {

using dmat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// Solves (S + αI) z = r for a symmetric positive definite S + αI (α > 0); throws icl::error
/// when the factorization fails (it cannot in exact arithmetic).
inline Eigen::VectorXd solve_shifted(const char* function, dmat S, double alpha, const Eigen::VectorXd& r) {
  S.diagonal().array() += alpha;
  const Eigen::LLT<dmat> llt(S);
  if (llt.info() != Eigen::Success) {
    icl::detail::throw_error(function, "Cholesky factorization of the ", S.rows(), " x ", S.rows(),
                             " ridge system failed (alpha = ", alpha, ")");
  }
  return llt.solve(r);
}

/// Doubly centered Gram block: K̄_ij = K_ij − r_i − r_j + g over the index set `idx` of a full
/// symmetric K (ld), with r the row means over idx and g the grand mean. Also returns r and g.
template <class C>
dmat centered_block(const C* K, std::size_t ld, const std::vector<std::size_t>& idx, std::vector<double>& row_mean,
                    double& grand) {
  const std::size_t n = idx.size();
  dmat B(static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(n));
  row_mean.assign(n, 0.0);
  for (std::size_t a = 0; a < n; ++a) {
    double s = 0.0;
    for (std::size_t b = 0; b < n; ++b) {
      const double v = static_cast<double>(K[idx[a] * ld + idx[b]]);
      B(static_cast<Eigen::Index>(a), static_cast<Eigen::Index>(b)) = v;
      s += v;
    }
    row_mean[a] = s / static_cast<double>(n);
  }
  grand = 0.0;
  for (double v : row_mean) grand += v;
  grand /= static_cast<double>(n);
  for (std::size_t a = 0; a < n; ++a)
    for (std::size_t b = 0; b < n; ++b)
      B(static_cast<Eigen::Index>(a), static_cast<Eigen::Index>(b)) += grand - row_mean[a] - row_mean[b];
  return B;
}

inline void check_ridge_params(const char* function, const ridge_params& p) {
  if (!(p.alpha > 0.0) || !std::isfinite(p.alpha)) {
    icl::detail::throw_invalid(function, "alpha = ", p.alpha, " must be finite and > 0");
  }
}

inline void check_targets(const char* function, const std::vector<double>& y, std::size_t n, const char* name = "y") {
  if (y.size() != n) icl::detail::throw_invalid(function, name, " has ", y.size(), " entries but X has ", n, " rows");
  for (std::size_t i = 0; i < y.size(); ++i) {
    if (!std::isfinite(y[i])) icl::detail::throw_invalid(function, name, "[", i, "] is ", y[i], " (NaN/Inf not allowed)");
  }
}

/// The checks every ridge entry point makes first, in this order: X (a non-empty matrix), the
/// options, the targets (one finite value per row of X).
template <class T>
void check_ridge_inputs(const char* function, matrix_view<const T> X, const std::vector<double>& y,
                        const ridge_params& p) {
  check_design(function, X);
  check_ridge_params(function, p);
  check_targets(function, y, X.rows());
}

/// Column means of X in double (zero when !center).
template <class T>
std::vector<double> column_means(matrix_view<const T> X, bool center) {
  std::vector<double> mu(X.cols(), 0.0);
  if (!center) return mu;
  for (std::size_t i = 0; i < X.rows(); ++i)
    for (std::size_t j = 0; j < X.cols(); ++j) mu[j] += icl::detail::to_double(X(i, j));
  for (double& v : mu) v /= static_cast<double>(X.rows());
  return mu;
}

/// Rows of X minus mu, as a row-major n x d block of C.
template <class C, class T>
std::vector<C> centered_rows(matrix_view<const T> X, const std::vector<double>& mu) {
  const std::size_t n = X.rows(), d = X.cols();
  std::vector<C> out(n * d);
  icl::detail::parallel_for(0, n, [&](std::size_t i) {
    for (std::size_t j = 0; j < d; ++j) out[i * d + j] = static_cast<C>(icl::detail::to_double(X(i, j)) - mu[j]);
  });
  return out;
}

/// Ridge solution on centered rows Xc (n x d, C) and centered targets yc; returns w (d).
template <class C>
std::vector<double> ridge_weights(const char* function, const std::vector<C>& Xc, std::size_t n, std::size_t d,
                                  const std::vector<double>& yc, double alpha, bool dual) {
  using cmatrix = Eigen::Matrix<C, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const Eigen::Map<const cmatrix> Xm(Xc.data(), static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(d));
  const Eigen::Map<const Eigen::VectorXd> Y(yc.data(), static_cast<Eigen::Index>(n));
  std::vector<double> w(d, 0.0);
  if (dual) {
    std::vector<C> K(n * n);
    icl::detail::product_aat_upper<C>(Xc.data(), n, d, d, K.data(), n);
    dmat S(static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(n));
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = i; j < n; ++j) {
        S(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) = static_cast<double>(K[i * n + j]);
        S(static_cast<Eigen::Index>(j), static_cast<Eigen::Index>(i)) = static_cast<double>(K[i * n + j]);
      }
    const Eigen::VectorXd a = solve_shifted(function, std::move(S), alpha, Y);
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < d; ++j) w[j] += a[static_cast<Eigen::Index>(i)] * static_cast<double>(Xc[i * d + j]);
  } else {
    const dmat S = (Xm.transpose() * Xm).template cast<double>();
    const Eigen::VectorXd r = Xm.template cast<double>().transpose() * Y;
    const Eigen::VectorXd sol = solve_shifted(function, S, alpha, r);
    for (std::size_t j = 0; j < d; ++j) w[j] = sol[static_cast<Eigen::Index>(j)];
  }
  return w;
}

/// fit_ridge after its checks (X non-empty and finite, y of n finite values, alpha valid);
/// `function` names the caller in a Cholesky failure.
template <class T>
linear_model fit_ridge_model(const char* function, matrix_view<const T> X, const std::vector<double>& y,
                             const ridge_params& p) {
  using C = icl::detail::compute_t<T>;
  const std::size_t n = X.rows(), d = X.cols();
  const std::vector<double> mu = column_means(X, p.fit_intercept);
  double ybar = 0.0;
  if (p.fit_intercept) {
    for (double v : y) ybar += v;
    ybar /= static_cast<double>(n);
  }
  std::vector<double> yc(n);
  for (std::size_t i = 0; i < n; ++i) yc[i] = y[i] - ybar;
  const std::vector<C> Xc = centered_rows<C>(X, mu);
  const bool dual = p.solver == ridge_solver::dual || (p.solver == ridge_solver::automatic && n <= d);
  linear_model m;
  m.n_outputs = 1;
  m.n_features = d;
  m.coef = ridge_weights<C>(function, Xc, n, d, yc, p.alpha, dual);
  double b = ybar;
  for (std::size_t j = 0; j < d; ++j) b -= mu[j] * m.coef[j];
  m.intercept = {b};
  m.report.method = dual ? fit_method::ridge_dual : fit_method::ridge_primal;
  m.report.converged = true;
  m.report.message = "closed form";
  return m;
}

/// R² = 1 − ss_res / ss_tot from the two sums over `count` values; throws as icl::probe::r2_score
/// when count < 2 or ss_tot is not positive.
inline double r2_from_sums(std::size_t count, double ss_res, double ss_tot) {
  constexpr const char* fn = "icl::probe::r2_score";
  if (count < 2) icl::detail::throw_invalid(fn, "need at least 2 values, got ", count);
  if (!(ss_tot > 0.0)) icl::detail::throw_invalid(fn, "y_true is constant (R² undefined)");
  return 1.0 - ss_res / ss_tot;
}

/// R² = 1 − Σ(y − ŷ)² / Σ(y − ȳ)², with the checks of icl::probe::r2_score.
inline double r2(const std::vector<double>& y_true, const std::vector<double>& y_pred) {
  constexpr const char* fn = "icl::probe::r2_score";
  if (y_true.size() != y_pred.size()) {
    icl::detail::throw_invalid(fn, "y_true has ", y_true.size(), " values but y_pred has ", y_pred.size());
  }
  if (y_true.size() < 2) return r2_from_sums(y_true.size(), 0.0, 0.0);
  double mean = 0.0;
  for (double v : y_true) mean += v;
  mean /= static_cast<double>(y_true.size());
  double ss_res = 0.0, ss_tot = 0.0;
  for (std::size_t i = 0; i < y_true.size(); ++i) {
    ss_res += (y_true[i] - y_pred[i]) * (y_true[i] - y_pred[i]);
    ss_tot += (y_true[i] - mean) * (y_true[i] - mean);
  }
  return r2_from_sums(y_true.size(), ss_res, ss_tot);
}

/// Pearson r of a and b, with the checks of icl::probe::pearson_r.
inline double pearson(const std::vector<double>& a, const std::vector<double>& b) {
  constexpr const char* fn = "icl::probe::pearson_r";
  if (a.size() != b.size()) icl::detail::throw_invalid(fn, "a has ", a.size(), " values but b has ", b.size());
  if (a.size() < 2) icl::detail::throw_invalid(fn, "need at least 2 values, got ", a.size());
  double ma = 0.0, mb = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) ma += a[i], mb += b[i];
  ma /= static_cast<double>(a.size());
  mb /= static_cast<double>(b.size());
  double sab = 0.0, saa = 0.0, sbb = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) * (a[i] - ma);
    sbb += (b[i] - mb) * (b[i] - mb);
  }
  if (!(saa > 0.0) || !(sbb > 0.0)) icl::detail::throw_invalid(fn, "an input is constant (r undefined)");
  return sab / std::sqrt(saa * sbb);
}

}  // namespace icl::probe::detail

#endif  // ICL_PROBE_DETAIL_RIDGE_IMPL_HPP
