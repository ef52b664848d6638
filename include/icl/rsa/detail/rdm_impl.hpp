#ifndef ICL_RSA_DETAIL_RDM_IMPL_HPP
#define ICL_RSA_DETAIL_RDM_IMPL_HPP

/// Bodies of the functions of icl/rsa/rdm.hpp; not a public header. Blocked computation of RDMs
/// from Gram blocks (docs/metrics.md 1.2).
///
/// The rows are cut into blocks of b rows. For each pair of blocks (I, J ≥ I) the Gram block
/// G = X_I·X_Jᵀ is one SYRK (I = J) or GEMM call, and every pair (i < j) inside it is mapped to
/// its dissimilarity from g_ij and the squared row norms:
///   sqeuclidean  ‖x_i − x_j‖² = ‖x_i‖² + ‖x_j‖² − 2 g_ij   (clamped at 0 against rounding)
///   cosine       1 − g_ij / (‖x_i‖ ‖x_j‖)
///   correlation  the cosine dissimilarity of the rows after removing each row's mean: through
///                the Gram entries, g_ij − d·μ_i·μ_j, when every row's mean is small against its
///                spread (the input then read in place, as for cosine); from centered copies of
///                the rows otherwise
/// Memory is O(b·d + b²) beyond the input and the condensed output: the input is read in place
/// when its rows are contiguous in the compute type, otherwise converted block by block.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <map>
#include <type_traits>
#include <utility>
#include <vector>

#include <Eigen/Core>
#include <Eigen/Eigenvalues>

#include "icl/core/condensed.hpp"
#include "icl/core/error.hpp"
#include "icl/core/linalg.hpp"
#include "icl/core/matrix.hpp"
#include "icl/core/parallel.hpp"
#include "icl/core/view.hpp"
#include "icl/rsa/types.hpp"

namespace icl::rsa::detail {

using namespace icl::detail;  // NOLINT(google-build-using-namespace): core helpers

/// How a block of rows is turned into Gram operands.
enum class row_transform { none, center };

/// Per-row statistics gathered in one pass: squared norm of the (transformed) row, its mean,
/// and whether the row is usable (finite, and non-zero where the metric divides by its norm).
struct row_statistics {
  std::vector<double> mean;
  std::vector<double> squared_norm;
  std::vector<unsigned char> valid;
};

/// Block size in rows: about 16 MiB of packed rows, between 64 and 1024 rows. The upper bound
/// keeps the b x b Gram tile at 4 MiB (float) or 8 MiB (double): a larger tile is slower to
/// allocate and first touch than the products it saves.
template <class C>
std::size_t default_block_rows(std::size_t n, std::size_t d) {
  const std::size_t bytes_per_row = std::max<std::size_t>(1, d) * sizeof(C);
  const std::size_t target = (std::size_t{16} << 20) / bytes_per_row;
  return std::min(n, std::clamp<std::size_t>(target, 64, 1024));
}

/// Reads rows [first, first + count) of X as a row-major block of C. Returns the block's
/// pointer and leading dimension: the input itself when it already has that form (the
/// contiguous fast path), otherwise `buffer`, filled with converted (and centered) rows.
template <class T, class C>
const C* load_rows(matrix_view<const T> X, std::size_t first, std::size_t count, row_transform transform,
                   const row_statistics& stats, std::vector<C>& buffer, std::size_t& leading_dimension) {
  if (transform == row_transform::none) return rows_as_compute<C>(X, first, count, buffer, leading_dimension);
  convert_rows<C>(X, first, count, buffer,
                  [&](std::size_t i, T value) { return static_cast<C>(to_double(value) - stats.mean[i]); });
  leading_dimension = X.cols();
  return buffer.data();
}

/// Mean and squared norm (after centering under row_transform::center) of one contiguous row,
/// in double with four independent partial sums. Returns false, leaving the outputs alone, when
/// a sum is not finite: a NaN or Inf element makes it so (the sum of d finite floats or of
/// their squares cannot overflow a double), and the caller then scans the row element by element.
template <class T>
bool contiguous_row_statistics(const T* in, std::size_t d, row_transform transform, double& mean_out,
                               double& squared_norm_out) {
  double mean = 0.0;
  double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
  std::size_t j = 0;
  if (transform == row_transform::center) {
    for (; j + 4 <= d; j += 4) {
      s0 += to_double(in[j]);
      s1 += to_double(in[j + 1]);
      s2 += to_double(in[j + 2]);
      s3 += to_double(in[j + 3]);
    }
    for (; j < d; ++j) s0 += to_double(in[j]);
    const double sum = (s0 + s1) + (s2 + s3);
    if (!std::isfinite(sum)) return false;
    mean = sum / static_cast<double>(d);
    s0 = s1 = s2 = s3 = 0.0;
  }
  for (j = 0; j + 4 <= d; j += 4) {
    const double v0 = to_double(in[j]) - mean, v1 = to_double(in[j + 1]) - mean;
    const double v2 = to_double(in[j + 2]) - mean, v3 = to_double(in[j + 3]) - mean;
    s0 += v0 * v0;
    s1 += v1 * v1;
    s2 += v2 * v2;
    s3 += v3 * v3;
  }
  for (; j < d; ++j) {
    const double v = to_double(in[j]) - mean;
    s0 += v * v;
  }
  const double squared_norm = (s0 + s1) + (s2 + s3);
  if (!std::isfinite(squared_norm)) return false;
  mean_out = mean;
  squared_norm_out = squared_norm;
  return true;
}

/// One pass over X: finiteness, row means and squared norms in double.
/// Under nan_policy::raise a non-finite element is an error naming its row and column.
template <class T>
row_statistics gather_row_statistics(const char* function, matrix_view<const T> X, row_transform transform,
                                     nan_policy policy) {
  const std::size_t n = X.rows(), d = X.cols();
  row_statistics stats;
  stats.mean.assign(n, 0.0);
  stats.squared_norm.assign(n, 0.0);
  stats.valid.assign(n, 1);
  std::vector<std::size_t> bad_column(n, d);
  if (X.row_stride() == 1 && X.col_stride() != 1 && n > 1) {
    // Column-major input: walk each chunk of rows column by column, so that every read is
    // contiguous. Each row still sums its elements in column order, as the row loop below does.
    constexpr std::size_t chunk = 64;
    beside_blas_for(0, (n + chunk - 1) / chunk, n * d, [&](std::size_t c) {
      const std::size_t first = c * chunk, count = std::min(chunk, n - first);
      double sum[chunk] = {}, sq[chunk] = {}, mean[chunk] = {};
      if (transform == row_transform::center) {
        for (std::size_t j = 0; j < d; ++j) {
          const T* column = &X(first, j);
          for (std::size_t r = 0; r < count; ++r) sum[r] += to_double(column[r]);
        }
        for (std::size_t r = 0; r < count; ++r) mean[r] = sum[r] / static_cast<double>(d);
      }
      for (std::size_t j = 0; j < d; ++j) {
        const T* column = &X(first, j);
        for (std::size_t r = 0; r < count; ++r) {
          const double v = to_double(column[r]) - mean[r];
          sq[r] += v * v;
        }
      }
      for (std::size_t r = 0; r < count; ++r) {
        stats.mean[first + r] = mean[r];
        stats.squared_norm[first + r] = sq[r];
        // A NaN or Inf element leaves a non-finite sum: mark the row for the element scan below.
        if (!std::isfinite(sum[r]) || !std::isfinite(sq[r])) stats.valid[first + r] = 0;
      }
    });
  }
  const bool contiguous = X.rows_contiguous();
  const bool column_major = X.row_stride() == 1 && X.col_stride() != 1 && n > 1;
  beside_blas_for(0, n, n * d, [&](std::size_t i) {
    if (column_major && stats.valid[i]) return;  // done above
    stats.valid[i] = 1;
    if (contiguous && contiguous_row_statistics(X.row_data(i), d, transform, stats.mean[i], stats.squared_norm[i])) {
      return;
    }
    double sum = 0.0;
    for (std::size_t j = 0; j < d; ++j) {
      const double v = to_double(X(i, j));
      if (!std::isfinite(v)) {
        bad_column[i] = j;
        stats.valid[i] = 0;
        return;
      }
      sum += v;
    }
    const double mean = transform == row_transform::center ? sum / static_cast<double>(d) : 0.0;
    double sq = 0.0;
    for (std::size_t j = 0; j < d; ++j) {
      const double v = to_double(X(i, j)) - mean;
      sq += v * v;
    }
    stats.mean[i] = mean;
    stats.squared_norm[i] = sq;
  });
  if (policy == nan_policy::raise) {
    for (std::size_t i = 0; i < n; ++i) {
      if (!stats.valid[i]) {
        throw_invalid(function, "row ", i, " column ", bad_column[i], " is ", to_double(X(i, bad_column[i])),
                      " (NaN/Inf in the input; pass nan_policy::propagate for NaN dissimilarities)");
      }
    }
  }
  return stats;
}

/// The kind of value computed from (squared norms, Gram entry).
enum class gram_map { sqeuclidean, euclidean, sqeuclidean_per_feature, cosine };

/// Per-row factors of the mapping, NaN for an unusable row so that every dissimilarity involving
/// it comes out NaN without a test in the inner loop: 1/‖x_i‖ for cosine, ‖x_i‖² otherwise.
inline std::vector<double> gram_row_factors(const row_statistics& stats, gram_map map) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::vector<double> factor(stats.squared_norm.size());
  for (std::size_t i = 0; i < factor.size(); ++i) {
    const double sq = stats.squared_norm[i];
    factor[i] = !stats.valid[i] ? nan : (map == gram_map::cosine ? 1.0 / std::sqrt(sq) : sq);
  }
  return factor;
}

/// Maps `count` Gram entries g of one row (factor fi) against rows of factors f to their
/// dissimilarities in dst; per_feature is 1/d.
template <class C>
void map_gram_run(gram_map map, const C* g, double fi, const double* f, std::size_t count, double per_feature,
                  double* dst) {
  // max(0, v) that keeps a NaN (std::max(0.0, NaN) is 0).
  const auto clamp_at_zero = [](double v) { return v < 0.0 ? 0.0 : v; };
  switch (map) {
    case gram_map::cosine:
      for (std::size_t k = 0; k < count; ++k) dst[k] = 1.0 - static_cast<double>(g[k]) * fi * f[k];
      break;
    case gram_map::sqeuclidean:
      for (std::size_t k = 0; k < count; ++k) dst[k] = clamp_at_zero(fi + f[k] - 2.0 * static_cast<double>(g[k]));
      break;
    case gram_map::euclidean:
      for (std::size_t k = 0; k < count; ++k) {
        dst[k] = std::sqrt(clamp_at_zero(fi + f[k] - 2.0 * static_cast<double>(g[k])));
      }
      break;
    case gram_map::sqeuclidean_per_feature:
      for (std::size_t k = 0; k < count; ++k) {
        dst[k] = clamp_at_zero(fi + f[k] - 2.0 * static_cast<double>(g[k])) * per_feature;
      }
      break;
  }
}

/// The cosine map of rows centered through the Gram entries: dst = 1 − (g − s_i s_j) fi f_j,
/// with s_i = √d · mean_i, so that g − s_i s_j is the product of the centered rows.
template <class C>
void map_shifted_cosine_run(const C* g, double fi, double si, const double* f, const double* s, std::size_t count,
                            double* dst) {
  for (std::size_t k = 0; k < count; ++k) dst[k] = 1.0 - (static_cast<double>(g[k]) - si * s[k]) * fi * f[k];
}

/// The row shifts s_i = √d · mean_i with which the correlation RDM may use the rows as they are
/// (centering applied to the Gram entries, map_shifted_cosine_run) instead of centered copies:
/// when every usable row's mean is small against its spread, d·mean_i² ≤ ¼‖x_i − mean_i‖², so
/// that a Gram entry's rounding error is at most (1 + ½)² that of the centered rows'. Empty
/// otherwise.
inline std::vector<double> correlation_shifts(const row_statistics& stats, std::size_t d) {
  const auto features = static_cast<double>(d);
  std::vector<double> shift(stats.mean.size(), 0.0);
  for (std::size_t i = 0; i < shift.size(); ++i) {
    if (!stats.valid[i]) continue;
    if (!(features * stats.mean[i] * stats.mean[i] <= 0.25 * stats.squared_norm[i])) return {};
    shift[i] = std::sqrt(features) * stats.mean[i];
  }
  return shift;
}

/// Fills `out` (condensed, n(n-1)/2) from the Gram blocks of X under `map`. With `shift`
/// (gram_map::cosine and row_transform::none only), the rows are centered through the Gram
/// entries (correlation_shifts).
template <class C, class T>
void condensed_from_gram(matrix_view<const T> X, row_transform transform, const row_statistics& stats, gram_map map,
                         std::size_t block_rows, double* out, const double* shift = nullptr) {
  const std::size_t n = X.rows(), d = X.cols();
  if (n < 2) return;
  const std::size_t b = block_rows == 0 ? default_block_rows<C>(n, d) : std::min(block_rows, n);
  if constexpr (!std::is_same_v<std::remove_cv_t<T>, C>) {
    // Rows that must be converted (half precision, or float rows of a double computation): when
    // the whole matrix is no larger than the two row blocks, convert it once and read it in
    // place, instead of converting row block J again for every block I.
    if (transform == row_transform::none && n <= 2 * b) {
      std::vector<C> whole;
      std::size_t ld = 0;
      const C* rows = rows_as_compute<C>(X, 0, n, whole, ld);
      condensed_from_gram<C>(make_matrix_view(rows, n, d, static_cast<std::ptrdiff_t>(ld), 1), transform, stats, map,
                             b, out, shift);
      return;
    }
  }
  std::vector<C> rows_i, rows_j, tile(b * b);
  const std::vector<double> factor = gram_row_factors(stats, map);
  const double per_feature = 1.0 / static_cast<double>(d);

  for (std::size_t i0 = 0; i0 < n; i0 += b) {
    const std::size_t bi = std::min(b, n - i0);
    std::size_t ldi = 0;
    const C* block_i = load_rows<T, C>(X, i0, bi, transform, stats, rows_i, ldi);
    for (std::size_t j0 = i0; j0 < n; j0 += b) {
      const std::size_t bj = std::min(b, n - j0);
      if (j0 == i0) {
        product_aat_upper<C>(block_i, bi, ldi, d, tile.data(), bj);
      } else {
        std::size_t ldj = 0;
        const C* block_j = load_rows<T, C>(X, j0, bj, transform, stats, rows_j, ldj);
        product_abt<C>(block_i, bi, ldi, block_j, bj, ldj, d, tile.data(), bj);
      }
      // Map the tile: each row r of block I writes its own run of the condensed vector.
      beside_blas_for(0, bi, bi * bj, [&](std::size_t r) {
        const std::size_t i = i0 + r;
        const std::size_t j_begin = std::max(j0, i + 1);
        if (j_begin >= j0 + bj) return;
        const C* g = tile.data() + r * bj + (j_begin - j0);
        double* dst = out + condensed_index(n, i, j_begin);
        if (shift != nullptr) {
          map_shifted_cosine_run(g, factor[i], shift[i], factor.data() + j_begin, shift + j_begin, j0 + bj - j_begin,
                                 dst);
        } else {
          map_gram_run(map, g, factor[i], factor.data() + j_begin, j0 + bj - j_begin, per_feature, dst);
        }
      });
    }
  }
}

// ---- checks, and the bodies of the functions of icl/rsa/rdm.hpp ------------------------------

/// The input of compute_rdm and compute_rdm_mahalanobis: a valid view, n >= 2, d >= 1.
template <class T>
void check_rdm_input(const char* function, matrix_view<const T> X) {
  check_matrix(function, "X", X);
  if (X.rows() < 2) throw_invalid(function, "need n >= 2 conditions (rows), got ", X.rows());
  if (X.cols() < 1) throw_invalid(function, "need d >= 1 features (columns), got ", X.cols());
  checked_pair_count(function, X.rows());
}

/// The mapping from Gram entries of dissimilarity d (correlation: cosine of the centred rows).
inline gram_map gram_map_of(dissimilarity d) {
  switch (d) {
    case dissimilarity::euclidean: return gram_map::euclidean;
    case dissimilarity::sqeuclidean: return gram_map::sqeuclidean;
    case dissimilarity::sqeuclidean_per_feature: return gram_map::sqeuclidean_per_feature;
    case dissimilarity::correlation:
    case dissimilarity::cosine: return gram_map::cosine;
  }
  return gram_map::sqeuclidean;
}

/// Marks rows with zero norm as undefined (cosine/correlation): an error under raise, naming the
/// row as first_row + its index (first_row: where these rows start among all rows).
inline void reject_zero_rows(const char* function, row_statistics& stats, dissimilarity d, nan_policy policy,
                             std::size_t first_row = 0) {
  for (std::size_t i = 0; i < stats.squared_norm.size(); ++i) {
    if (stats.valid[i] && !(stats.squared_norm[i] > 0.0)) {
      if (policy == nan_policy::raise) {
        if (d == dissimilarity::correlation) {
          throw_invalid(function, "row ", first_row + i, " has zero variance (correlation dissimilarity undefined)");
        }
        throw_invalid(function, "row ", first_row + i, " is all zeros (cosine dissimilarity undefined)");
      }
      stats.valid[i] = 0;
    }
  }
}

/// compute_rdm after the name of the calling function: statistics, checks, blocked Gram products.
template <class T>
rdm compute_rdm(const char* fn, matrix_view<const T> X, dissimilarity d, const rdm_params& params) {
  check_rdm_input(fn, X);
  if (enum_name_or_null(d) == nullptr) throw_invalid(fn, "unknown dissimilarity value ", static_cast<int>(d));
  using C = compute_t<T>;
  const auto transform = d == dissimilarity::correlation ? row_transform::center : row_transform::none;
  row_statistics stats = gather_row_statistics(fn, X, transform, params.nan);
  const gram_map map = gram_map_of(d);
  if (map == gram_map::cosine) reject_zero_rows(fn, stats, d, params.nan);
  std::vector<double> values(checked_pair_count(fn, X.rows()));
  const std::vector<double> shift =
      transform == row_transform::center ? correlation_shifts(stats, X.cols()) : std::vector<double>();
  if (!shift.empty()) {
    condensed_from_gram<C>(X, row_transform::none, stats, map, params.block_rows, values.data(), shift.data());
  } else {
    condensed_from_gram<C>(X, transform, stats, map, params.block_rows, values.data());
  }
  return rdm(X.rows(), std::move(values));
}

/// W with P = W·Wᵀ for a symmetric positive semi-definite P (through its eigendecomposition),
/// so that (x_i − x_j)ᵀP(x_i − x_j) = ‖(x_i − x_j)ᵀW‖².
template <class P>
Eigen::MatrixXd precision_factor(const char* function, matrix_view<const P> precision, std::size_t d) {
  check_matrix(function, "precision", precision);
  if (precision.rows() != d || precision.cols() != d) {
    throw_invalid(function, "precision is ", precision.rows(), " x ", precision.cols(),
                               ", expected d x d = ", d, " x ", d);
  }
  Eigen::MatrixXd p(static_cast<Eigen::Index>(d), static_cast<Eigen::Index>(d));
  double largest = 0.0;
  for (std::size_t i = 0; i < d; ++i) {
    for (std::size_t j = 0; j < d; ++j) {
      const double v = to_double(precision(i, j));
      if (!std::isfinite(v)) throw_invalid(function, "precision entry (", i, ", ", j, ") is ", v);
      p(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) = v;
      largest = std::max(largest, std::abs(v));
    }
  }
  for (std::size_t i = 0; i < d; ++i) {
    for (std::size_t j = i + 1; j < d; ++j) {
      const double a = p(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j));
      const double b = p(static_cast<Eigen::Index>(j), static_cast<Eigen::Index>(i));
      if (std::abs(a - b) > 1e-10 * largest) {
        throw_invalid(function, "precision is not symmetric at (", i, ", ", j, "): ", a, " vs ", b);
      }
    }
  }
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eigen(p);
  if (eigen.info() != Eigen::Success) throw_error(function, "eigendecomposition of the precision failed");
  const Eigen::VectorXd& lambda = eigen.eigenvalues();
  const double tolerance = 1e-10 * std::max(lambda.cwiseAbs().maxCoeff(), 1e-300);
  if (lambda.minCoeff() < -tolerance) {
    throw_invalid(function, "precision is not positive semi-definite (smallest eigenvalue ",
                               lambda.minCoeff(), ")");
  }
  return eigen.eigenvectors() * lambda.cwiseMax(0.0).cwiseSqrt().asDiagonal();
}

/// compute_rdm_mahalanobis: the rows mapped to Y = X·W with P = W·Wᵀ, then the per-feature
/// squared Euclidean RDM of Y.
template <class T, class P>
rdm compute_rdm_mahalanobis(const char* fn, matrix_view<const T> X, matrix_view<const P> precision,
                            const rdm_params& params) {
  check_rdm_input(fn, X);
  using C = compute_t<T>;
  const std::size_t n = X.rows(), d = X.cols();
  const Eigen::Matrix<C, Eigen::Dynamic, Eigen::Dynamic> w = precision_factor(fn, precision, d).template cast<C>();
  // Check the input first (NaN/Inf are named by row and column before any product).
  gather_row_statistics(fn, X, row_transform::none, params.nan);
  dense_matrix<C> y(n, d);
  std::vector<C> row(d);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < d; ++j) row[j] = to_compute<C>(X(i, j));
    Eigen::Map<const Eigen::Matrix<C, 1, Eigen::Dynamic>> x(row.data(), static_cast<Eigen::Index>(d));
    Eigen::Map<Eigen::Matrix<C, 1, Eigen::Dynamic>> out(y.row_data(i), static_cast<Eigen::Index>(d));
    out.noalias() = x * w;
  }
  return compute_rdm("icl::rsa::compute_rdm", y.view(), dissimilarity::sqeuclidean_per_feature, params);
}

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

/// The crossnobis RDM (see compute_rdm_crossnobis); `precision` may be null (the identity).
template <class T>
rdm crossnobis(const char* fn, matrix_view<const T> X, const std::vector<int>& conditions, const std::vector<int>& folds,
               const Eigen::MatrixXd* precision) {
  check_matrix(fn, "X", X);
  const std::size_t rows = X.rows(), d = X.cols();
  if (d < 1) throw_invalid(fn, "need d >= 1 features (columns), got ", d);
  if (conditions.size() != rows) {
    throw_invalid(fn, "conditions has ", conditions.size(), " labels for ", rows, " rows of X");
  }
  if (folds.size() != rows) throw_invalid(fn, "folds has ", folds.size(), " labels for ", rows, " rows of X");
  std::vector<int> condition_values, fold_values;
  const std::vector<std::size_t> c = dense_codes(conditions, condition_values);
  const std::vector<std::size_t> f = dense_codes(folds, fold_values);
  const std::size_t n = condition_values.size(), k = fold_values.size();
  if (n < 2) throw_invalid(fn, "need at least 2 conditions, got ", n);
  if (k < 2) throw_invalid(fn, "need at least 2 folds, got ", k);
  gather_row_statistics(fn, X, row_transform::none, nan_policy::raise);

  // Per (fold, condition) sums and counts, in double.
  std::vector<Eigen::MatrixXd> fold_sum(k, Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(d)));
  std::vector<std::vector<std::size_t>> fold_count(k, std::vector<std::size_t>(n, 0));
  Eigen::MatrixXd total_sum = Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(d));
  std::vector<std::size_t> total_count(n, 0);
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t j = 0; j < d; ++j) {
      const double v = to_double(X(r, j));
      fold_sum[f[r]](static_cast<Eigen::Index>(c[r]), static_cast<Eigen::Index>(j)) += v;
      total_sum(static_cast<Eigen::Index>(c[r]), static_cast<Eigen::Index>(j)) += v;
    }
    ++fold_count[f[r]][c[r]];
    ++total_count[c[r]];
  }
  for (std::size_t fold = 0; fold < k; ++fold) {
    for (std::size_t cond = 0; cond < n; ++cond) {
      if (fold_count[fold][cond] == 0) {
        throw_invalid(fn, "condition ", condition_values[cond], " has no measurement in fold ",
                                   fold_values[fold], " (every condition must occur in every fold)");
      }
    }
  }
  if (precision != nullptr && (static_cast<std::size_t>(precision->rows()) != d)) {
    throw_invalid(fn, "precision is ", precision->rows(), " x ", precision->cols(), ", expected d x d = ", d,
                               " x ", d);
  }
  std::vector<double> values(checked_pair_count(fn, n), 0.0);
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

}  // namespace icl::rsa::detail

#endif  // ICL_RSA_DETAIL_RDM_IMPL_HPP
