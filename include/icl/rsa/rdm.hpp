#ifndef ICL_RSA_RDM_HPP
#define ICL_RSA_RDM_HPP

/// Representational dissimilarity matrices from activations (METRICS.md 1.2).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <map>
#include <vector>

#include <Eigen/Core>
#include <Eigen/Eigenvalues>

#include "icl/core/error.hpp"
#include "icl/core/matrix.hpp"
#include "icl/core/view.hpp"
#include "icl/rsa/detail/rdm_impl.hpp"
#include "icl/rsa/rdm_type.hpp"

namespace icl::rsa {

/// The dissimilarity between two condition patterns x_i, x_j ∈ R^d (METRICS.md 1.2).
enum class dissimilarity {
  euclidean,                ///< ‖x_i − x_j‖₂ (scipy pdist 'euclidean')
  sqeuclidean,              ///< ‖x_i − x_j‖₂² (scipy pdist 'sqeuclidean')
  sqeuclidean_per_feature,  ///< ‖x_i − x_j‖₂² / d (what rsatoolbox calls 'euclidean')
  correlation,              ///< 1 − pearson(x_i, x_j) (scipy pdist 'correlation')
  cosine                    ///< 1 − x_iᵀx_j / (‖x_i‖‖x_j‖) (scipy pdist 'cosine')
};

/// Name of a dissimilarity, as used in files and reports ("correlation", ...).
inline const char* to_string(dissimilarity d) noexcept {
  switch (d) {
    case dissimilarity::euclidean: return "euclidean";
    case dissimilarity::sqeuclidean: return "sqeuclidean";
    case dissimilarity::sqeuclidean_per_feature: return "sqeuclidean_per_feature";
    case dissimilarity::correlation: return "correlation";
    case dissimilarity::cosine: return "cosine";
  }
  return "unknown";
}

/// Options of compute_rdm and its variants.
struct rdm_params {
  /// What to do with NaN/Inf inputs and with undefined distances (a zero-variance row under
  /// correlation, a zero row under cosine). raise (default): throw naming the row;
  /// propagate: every distance that involves such a row is NaN.
  nan_policy nan = nan_policy::raise;
  /// Rows per block of the blocked Gram product; 0 (default) picks about 16 MiB of rows per
  /// block. Results do not depend on it beyond floating-point rounding.
  std::size_t block_rows = 0;
};

namespace detail {

template <class T>
void check_rdm_input(const char* function, matrix_view<const T> X) {
  icl::detail::check_matrix(function, "X", X);
  if (X.rows() < 2) icl::detail::throw_invalid(function, "need n >= 2 conditions (rows), got ", X.rows());
  if (X.cols() < 1) icl::detail::throw_invalid(function, "need d >= 1 features (columns), got ", X.cols());
  icl::detail::checked_pair_count(function, X.rows());
}

/// Marks rows with zero norm as undefined (cosine/correlation): an error under raise.
inline void reject_zero_rows(const char* function, row_statistics& stats, dissimilarity d, nan_policy policy) {
  for (std::size_t i = 0; i < stats.squared_norm.size(); ++i) {
    if (stats.valid[i] && !(stats.squared_norm[i] > 0.0)) {
      if (policy == nan_policy::raise) {
        if (d == dissimilarity::correlation) {
          icl::detail::throw_invalid(function, "row ", i, " has zero variance (correlation distance undefined)");
        }
        icl::detail::throw_invalid(function, "row ", i, " is all zeros (cosine distance undefined)");
      }
      stats.valid[i] = 0;
    }
  }
}

}  // namespace detail

/// The RDM of the n rows of X (n conditions x d features) under dissimilarity `d`.
///
/// Computed from Gram blocks X_I·X_Jᵀ (SYRK/GEMM; see rsa/detail/rdm_impl.hpp), in float for
/// float, f16 and bf16 inputs and in double for double inputs; norms, means and the final
/// mapping are in double. Distances between nearly identical rows lose relative precision in
/// the Gram form (about eps·‖x‖²/‖x_i − x_j‖²): that is the price of the GEMM speed.
///
/// Throws icl::invalid_argument when n < 2 or d < 1, on NaN/Inf (naming row and column), and
/// on a zero-variance row under correlation or a zero row under cosine — unless
/// params.nan = nan_policy::propagate, which gives NaN for the distances of such rows.
template <class T>
rdm compute_rdm(matrix_view<const T> X, dissimilarity d, const rdm_params& params = {}) {
  const char* fn = "icl::rsa::compute_rdm";
  detail::check_rdm_input(fn, X);
  using C = icl::detail::compute_t<T>;
  const auto transform = d == dissimilarity::correlation ? detail::row_transform::center : detail::row_transform::none;
  detail::row_statistics stats = detail::gather_row_statistics(fn, X, transform, params.nan);
  detail::gram_map map = detail::gram_map::sqeuclidean;
  switch (d) {
    case dissimilarity::euclidean: map = detail::gram_map::euclidean; break;
    case dissimilarity::sqeuclidean: map = detail::gram_map::sqeuclidean; break;
    case dissimilarity::sqeuclidean_per_feature: map = detail::gram_map::sqeuclidean_per_feature; break;
    case dissimilarity::correlation:
    case dissimilarity::cosine:
      map = detail::gram_map::cosine;
      detail::reject_zero_rows(fn, stats, d, params.nan);
      break;
  }
  std::vector<double> values(icl::detail::checked_pair_count(fn, X.rows()));
  detail::condensed_from_gram<C>(X, transform, stats, map, params.block_rows, values.data());
  return rdm(X.rows(), std::move(values));
}

namespace detail {

/// W with P = W·Wᵀ for a symmetric positive semi-definite P (through its eigendecomposition),
/// so that (x_i − x_j)ᵀP(x_i − x_j) = ‖(x_i − x_j)ᵀW‖².
template <class P>
Eigen::MatrixXd precision_factor(const char* function, matrix_view<const P> precision, std::size_t d) {
  icl::detail::check_matrix(function, "precision", precision);
  if (precision.rows() != d || precision.cols() != d) {
    icl::detail::throw_invalid(function, "precision is ", precision.rows(), " x ", precision.cols(),
                               ", expected d x d = ", d, " x ", d);
  }
  Eigen::MatrixXd p(static_cast<Eigen::Index>(d), static_cast<Eigen::Index>(d));
  double largest = 0.0;
  for (std::size_t i = 0; i < d; ++i) {
    for (std::size_t j = 0; j < d; ++j) {
      const double v = icl::detail::to_double(precision(i, j));
      if (!std::isfinite(v)) icl::detail::throw_invalid(function, "precision entry (", i, ", ", j, ") is ", v);
      p(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) = v;
      largest = std::max(largest, std::abs(v));
    }
  }
  for (std::size_t i = 0; i < d; ++i) {
    for (std::size_t j = i + 1; j < d; ++j) {
      const double a = p(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j));
      const double b = p(static_cast<Eigen::Index>(j), static_cast<Eigen::Index>(i));
      if (std::abs(a - b) > 1e-10 * largest) {
        icl::detail::throw_invalid(function, "precision is not symmetric at (", i, ", ", j, "): ", a, " vs ", b);
      }
    }
  }
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eigen(p);
  if (eigen.info() != Eigen::Success) icl::detail::throw_error(function, "eigendecomposition of the precision failed");
  const Eigen::VectorXd& lambda = eigen.eigenvalues();
  const double tolerance = 1e-10 * std::max(lambda.cwiseAbs().maxCoeff(), 1e-300);
  if (lambda.minCoeff() < -tolerance) {
    icl::detail::throw_invalid(function, "precision is not positive semi-definite (smallest eigenvalue ",
                               lambda.minCoeff(), ")");
  }
  return eigen.eigenvectors() * lambda.cwiseMax(0.0).cwiseSqrt().asDiagonal();
}

}  // namespace detail

/// Mahalanobis RDM with a given precision P (d x d, symmetric positive semi-definite):
/// (x_i − x_j)ᵀ P (x_i − x_j) / d, as rsatoolbox calc_rdm(method='mahalanobis', noise=P).
///
/// P is factored once as W·Wᵀ; the rows are mapped to Y = X·W (an n x d copy in the compute
/// type) and the RDM is the per-feature squared Euclidean RDM of Y.
template <class T, class P>
rdm compute_rdm_mahalanobis(matrix_view<const T> X, matrix_view<const P> precision, const rdm_params& params = {}) {
  const char* fn = "icl::rsa::compute_rdm_mahalanobis";
  detail::check_rdm_input(fn, X);
  using C = icl::detail::compute_t<T>;
  const std::size_t n = X.rows(), d = X.cols();
  const Eigen::Matrix<C, Eigen::Dynamic, Eigen::Dynamic> w = detail::precision_factor(fn, precision, d).template cast<C>();
  // Check the input first (NaN/Inf are named by row and column before any product).
  detail::gather_row_statistics(fn, X, detail::row_transform::none, params.nan);
  dense_matrix<C> y(n, d);
  std::vector<C> row(d);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < d; ++j) row[j] = icl::detail::to_compute<C>(X(i, j));
    Eigen::Map<const Eigen::Matrix<C, 1, Eigen::Dynamic>> x(row.data(), static_cast<Eigen::Index>(d));
    Eigen::Map<Eigen::Matrix<C, 1, Eigen::Dynamic>> out(y.row_data(i), static_cast<Eigen::Index>(d));
    out.noalias() = x * w;
  }
  return compute_rdm(y.view(), dissimilarity::sqeuclidean_per_feature, params);
}

namespace detail {

/// Maps arbitrary integer labels to 0..k-1 in sorted order of the distinct values (np.unique).
inline std::vector<std::size_t> dense_codes(const std::vector<int>& labels, std::vector<int>& distinct) {
  std::map<int, std::size_t> code;
  for (int v : labels) code.emplace(v, 0);
  distinct.clear();
  for (auto& entry : code) {
    entry.second = distinct.size();
    distinct.push_back(entry.first);
  }
  std::vector<std::size_t> out(labels.size());
  for (std::size_t i = 0; i < labels.size(); ++i) out[i] = code[labels[i]];
  return out;
}

}  // namespace detail

/// Cross-validated Mahalanobis ("crossnobis") RDM, as rsatoolbox calc_rdm_crossnobis with a
/// precision matrix (METRICS.md 1.2). Unbiased: its expected value is the true distance, so it
/// can be negative.
///
/// X holds N measurements (rows) of d features; conditions[r] and folds[r] label row r.
/// Conditions are ordered by their sorted distinct values (that is the RDM's row order), as are
/// folds. For each fold f: B_f = per-condition mean of the rows in fold f, A_f = per-condition
/// mean of the rows in all other folds, K = A_f·P·B_fᵀ and
/// d_ij = (K_ii + K_jj − K_ij − K_ji)/d; the RDM is the mean over folds.
/// Without a precision P is the identity. Every condition must occur in every fold; at least
/// two folds and two conditions are needed.
namespace detail {

template <class T>
rdm crossnobis(const char* fn, matrix_view<const T> X, const std::vector<int>& conditions, const std::vector<int>& folds,
               const Eigen::MatrixXd* precision) {
  icl::detail::check_matrix(fn, "X", X);
  const std::size_t rows = X.rows(), d = X.cols();
  if (d < 1) icl::detail::throw_invalid(fn, "need d >= 1 features (columns), got ", d);
  if (conditions.size() != rows) {
    icl::detail::throw_invalid(fn, "conditions has ", conditions.size(), " labels for ", rows, " rows of X");
  }
  if (folds.size() != rows) icl::detail::throw_invalid(fn, "folds has ", folds.size(), " labels for ", rows, " rows of X");
  std::vector<int> condition_values, fold_values;
  const std::vector<std::size_t> c = dense_codes(conditions, condition_values);
  const std::vector<std::size_t> f = dense_codes(folds, fold_values);
  const std::size_t n = condition_values.size(), k = fold_values.size();
  if (n < 2) icl::detail::throw_invalid(fn, "need at least 2 conditions, got ", n);
  if (k < 2) icl::detail::throw_invalid(fn, "need at least 2 folds, got ", k);
  gather_row_statistics(fn, X, row_transform::none, nan_policy::raise);

  // Per (fold, condition) sums and counts, in double.
  std::vector<Eigen::MatrixXd> fold_sum(k, Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(d)));
  std::vector<std::vector<std::size_t>> fold_count(k, std::vector<std::size_t>(n, 0));
  Eigen::MatrixXd total_sum = Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(d));
  std::vector<std::size_t> total_count(n, 0);
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t j = 0; j < d; ++j) {
      const double v = icl::detail::to_double(X(r, j));
      fold_sum[f[r]](static_cast<Eigen::Index>(c[r]), static_cast<Eigen::Index>(j)) += v;
      total_sum(static_cast<Eigen::Index>(c[r]), static_cast<Eigen::Index>(j)) += v;
    }
    ++fold_count[f[r]][c[r]];
    ++total_count[c[r]];
  }
  for (std::size_t fold = 0; fold < k; ++fold) {
    for (std::size_t cond = 0; cond < n; ++cond) {
      if (fold_count[fold][cond] == 0) {
        icl::detail::throw_invalid(fn, "condition ", condition_values[cond], " has no measurement in fold ",
                                   fold_values[fold], " (every condition must occur in every fold)");
      }
    }
  }
  if (precision != nullptr && (static_cast<std::size_t>(precision->rows()) != d)) {
    icl::detail::throw_invalid(fn, "precision is ", precision->rows(), " x ", precision->cols(), ", expected d x d = ", d,
                               " x ", d);
  }
  std::vector<double> values(icl::detail::checked_pair_count(fn, n), 0.0);
  for (std::size_t fold = 0; fold < k; ++fold) {
    Eigen::MatrixXd test = fold_sum[fold];
    Eigen::MatrixXd train = total_sum - fold_sum[fold];
    for (std::size_t cond = 0; cond < n; ++cond) {
      const auto row = static_cast<Eigen::Index>(cond);
      test.row(row) /= static_cast<double>(fold_count[fold][cond]);
      train.row(row) /= static_cast<double>(total_count[cond] - fold_count[fold][cond]);
    }
    const Eigen::MatrixXd kernel = precision != nullptr ? Eigen::MatrixXd(train * (*precision) * test.transpose())
                                                        : Eigen::MatrixXd(train * test.transpose());
    std::size_t idx = 0;
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t j = i + 1; j < n; ++j, ++idx) {
        const auto a = static_cast<Eigen::Index>(i), b = static_cast<Eigen::Index>(j);
        values[idx] += (kernel(a, a) + kernel(b, b) - kernel(a, b) - kernel(b, a)) / static_cast<double>(d);
      }
    }
  }
  for (double& v : values) v /= static_cast<double>(k);
  return rdm(n, std::move(values));
}

}  // namespace detail

/// Crossnobis RDM with the identity as precision (cross-validated squared Euclidean / d).
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
