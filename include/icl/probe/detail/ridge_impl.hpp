#ifndef ICL_PROBE_DETAIL_RIDGE_IMPL_HPP
#define ICL_PROBE_DETAIL_RIDGE_IMPL_HPP

/// Ridge kernels behind icl/probe/ridge.hpp: scikit-learn's Ridge(alpha) with an unpenalized
/// intercept, i.e. the centered problem min ‖ȳ − X̄w‖² + α‖w‖², solved in double by Cholesky
/// of X̄ᵀX̄ + αI (primal, n > d) or of K̄ + αI with w = X̄ᵀ(K̄ + αI)⁻¹ȳ (dual, n <= d).

#include <cstddef>
#include <vector>

#include <Eigen/Cholesky>
#include <Eigen/Core>

#include "icl/core/error.hpp"

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

}  // namespace icl::probe::detail

#endif  // ICL_PROBE_DETAIL_RIDGE_IMPL_HPP
