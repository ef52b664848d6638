#ifndef ICL_RSA_RDM_HPP
#define ICL_RSA_RDM_HPP

/// Representational dissimilarity matrices from activations (docs/metrics.md 1.2): compute_rdm and
/// its Mahalanobis and crossnobis variants. The rdm class and rdm_params are in
/// icl/rsa/types.hpp; RDMs from given values (rdm_from_condensed, rdm_from_square) in
/// icl/rsa/rdm_type.hpp, included here.

#include <cstddef>
#include <utility>
#include <vector>

#include <Eigen/Core>

#include "icl/core/condensed.hpp"
#include "icl/core/matrix.hpp"
#include "icl/core/view.hpp"
#include "icl/rsa/detail/rdm_impl.hpp"
#include "icl/rsa/rdm_type.hpp"
#include "icl/rsa/types.hpp"

namespace icl::rsa {

/// The RDM of the n rows of X (n conditions x d features, any strides) under dissimilarity `d`.
///
/// Computed from Gram blocks X_I·X_Jᵀ (SYRK/GEMM; see rsa/detail/rdm_impl.hpp), in float for
/// float, f16 and bf16 inputs and in double for double inputs; norms, means and the final
/// mapping are in double. Dissimilarities between nearly identical rows lose relative precision
/// in the Gram form (about eps·‖x‖²/‖x_i − x_j‖²): that is the price of the GEMM speed.
///
/// Throws icl::invalid_argument when n < 2 or d < 1, for an unknown `d`, on NaN/Inf (naming row
/// and column), and on a zero-variance row under correlation or a zero row under cosine —
/// unless params.nan = nan_policy::propagate, which gives NaN for the dissimilarities of such rows.
template <class T>
rdm compute_rdm(matrix_view<const T> X, dissimilarity d, const rdm_params& params = {}) {
  return detail::compute_rdm("icl::rsa::compute_rdm", X, d, params);
}

/// compute_rdm(X.view(), d, params): the RDM of an owning matrix, such as the result of
/// icl::pool_tokens or icl::standardize.
template <class T>
rdm compute_rdm(const dense_matrix<T>& X, dissimilarity d, const rdm_params& params = {}) {
  return detail::compute_rdm("icl::rsa::compute_rdm", X.view(), d, params);
}

/// Mahalanobis RDM with a given precision P (d x d, symmetric positive semi-definite):
/// (x_i − x_j)ᵀ P (x_i − x_j) / d, as rsatoolbox calc_rdm(method='mahalanobis', noise=P).
///
/// P is factored once as W·Wᵀ; the rows are mapped to Y = X·W (an n x d copy in the compute
/// type) and the RDM is the per-feature squared Euclidean RDM of Y. Throws as compute_rdm, and
/// for a P that is not d x d, finite, symmetric and positive semi-definite.
template <class T, class P>
rdm compute_rdm_mahalanobis(matrix_view<const T> X, matrix_view<const P> precision, const rdm_params& params = {}) {
  return detail::compute_rdm_mahalanobis("icl::rsa::compute_rdm_mahalanobis", X, precision, params);
}

/// Cross-validated Mahalanobis ("crossnobis") RDM, as rsatoolbox calc_rdm_crossnobis with a
/// precision matrix (docs/metrics.md 1.2). Unbiased: its expected value is the true dissimilarity,
/// so it can be negative.
///
/// X holds N measurements (rows) of d features; conditions[r] and folds[r] label row r.
/// Conditions are ordered by their sorted distinct values (that is the RDM's row order), as are
/// folds. For each fold f: B_f = per-condition mean of the rows in fold f, A_f = per-condition
/// mean of the rows in all other folds, K = A_f·P·B_fᵀ and
/// d_ij = (K_ii + K_jj − K_ij − K_ji)/d; the RDM is the mean over folds.
/// This overload takes P = the identity (cross-validated squared Euclidean / d). Every
/// condition must occur in every fold; at least two folds and two conditions are needed.
template <class T>
rdm compute_rdm_crossnobis(matrix_view<const T> X, const std::vector<int>& conditions, const std::vector<int>& folds) {
  return detail::crossnobis("icl::rsa::compute_rdm_crossnobis", X, conditions, folds, nullptr);
}

/// Crossnobis RDM with precision P (d x d, symmetric positive semi-definite).
template <class T, class P>
rdm compute_rdm_crossnobis(matrix_view<const T> X, const std::vector<int>& conditions, const std::vector<int>& folds,
                           matrix_view<const P> precision) {
  const char* fn = "icl::rsa::compute_rdm_crossnobis";
  icl::detail::check_matrix(fn, "X", X);
  const Eigen::MatrixXd w = detail::precision_factor(fn, precision, X.cols());
  const Eigen::MatrixXd p = w * w.transpose();
  return detail::crossnobis(fn, X, conditions, folds, &p);
}

}  // namespace icl::rsa

#endif  // ICL_RSA_RDM_HPP
