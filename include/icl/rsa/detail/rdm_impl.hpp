#ifndef ICL_RSA_DETAIL_RDM_IMPL_HPP
#define ICL_RSA_DETAIL_RDM_IMPL_HPP

/// Blocked computation of RDMs from Gram blocks (METRICS.md 1.2).
///
/// The rows are cut into blocks of b rows. For each pair of blocks (I, J ≥ I) the Gram block
/// G = X_I·X_Jᵀ is one SYRK (I = J) or GEMM call, and every pair (i < j) inside it is mapped to
/// its dissimilarity from g_ij and the squared row norms:
///   sqeuclidean  ‖x_i − x_j‖² = ‖x_i‖² + ‖x_j‖² − 2 g_ij   (clamped at 0 against rounding)
///   cosine       1 − g_ij / (‖x_i‖ ‖x_j‖)
///   correlation  the cosine distance of the rows after removing each row's mean
/// Memory is O(b·d + b²) beyond the input and the condensed output: the input is read in place
/// when its rows are contiguous in the compute type, otherwise converted block by block.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <vector>

#include "icl/core/error.hpp"
#include "icl/core/linalg.hpp"
#include "icl/core/parallel.hpp"
#include "icl/core/view.hpp"

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

/// Block size in rows: about 16 MiB of packed rows, between 64 and 2048 rows.
template <class C>
std::size_t default_block_rows(std::size_t n, std::size_t d) {
  const std::size_t bytes_per_row = std::max<std::size_t>(1, d) * sizeof(C);
  const std::size_t target = (std::size_t{16} << 20) / bytes_per_row;
  return std::min(n, std::clamp<std::size_t>(target, 64, 2048));
}

/// Reads rows [first, first + count) of X as a row-major block of C. Returns the block's
/// pointer and leading dimension: the input itself when it already has that form (the
/// contiguous fast path), otherwise `buffer`, filled with converted (and centered) rows.
template <class T, class C>
const C* load_rows(matrix_view<const T> X, std::size_t first, std::size_t count, row_transform transform,
                   const row_statistics& stats, std::vector<C>& buffer, std::size_t& leading_dimension) {
  if (transform == row_transform::none) return rows_as_compute<C>(X, first, count, buffer, leading_dimension);
  const std::size_t d = X.cols();
  buffer.resize(count * d);
  parallel_for(0, count, [&](std::size_t r) {
    const std::size_t i = first + r;
    C* out = buffer.data() + r * d;
    for (std::size_t j = 0; j < d; ++j) out[j] = static_cast<C>(to_double(X(i, j)) - stats.mean[i]);
  });
  leading_dimension = d;
  return buffer.data();
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
  parallel_for(0, n, [&](std::size_t i) {
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
                      " (NaN/Inf in the input; pass nan_policy::propagate for NaN distances)");
      }
    }
  }
  return stats;
}

/// The kind of value computed from (squared norms, Gram entry).
enum class gram_map { sqeuclidean, euclidean, sqeuclidean_per_feature, cosine };

/// Fills `out` (condensed, n(n-1)/2) from the Gram blocks of X under `map`.
template <class C, class T>
void condensed_from_gram(matrix_view<const T> X, row_transform transform, const row_statistics& stats, gram_map map,
                         std::size_t block_rows, double* out) {
  const std::size_t n = X.rows(), d = X.cols();
  if (n < 2) return;
  const std::size_t b = block_rows == 0 ? default_block_rows<C>(n, d) : std::min(block_rows, n);
  std::vector<C> rows_i, rows_j, tile(b * b);
  std::vector<double> inverse_norm;
  if (map == gram_map::cosine) {
    inverse_norm.resize(n);
    for (std::size_t i = 0; i < n; ++i) inverse_norm[i] = 1.0 / std::sqrt(stats.squared_norm[i]);
  }
  const double per_feature = 1.0 / static_cast<double>(d);
  const double nan = std::numeric_limits<double>::quiet_NaN();

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
      parallel_for(0, bi, [&](std::size_t r) {
        const std::size_t i = i0 + r;
        const std::size_t j_begin = std::max(j0, i + 1);
        if (j_begin >= j0 + bj) return;
        double* dst = out + (i * n - i * (i + 1) / 2 + (j_begin - i - 1));
        const C* g = tile.data() + r * bj;
        for (std::size_t j = j_begin; j < j0 + bj; ++j, ++dst) {
          if (!stats.valid[i] || !stats.valid[j]) {
            *dst = nan;
            continue;
          }
          const double gij = static_cast<double>(g[j - j0]);
          switch (map) {
            case gram_map::cosine:
              *dst = 1.0 - gij * inverse_norm[i] * inverse_norm[j];
              break;
            case gram_map::sqeuclidean:
              *dst = std::max(0.0, stats.squared_norm[i] + stats.squared_norm[j] - 2.0 * gij);
              break;
            case gram_map::euclidean:
              *dst = std::sqrt(std::max(0.0, stats.squared_norm[i] + stats.squared_norm[j] - 2.0 * gij));
              break;
            case gram_map::sqeuclidean_per_feature:
              *dst = std::max(0.0, stats.squared_norm[i] + stats.squared_norm[j] - 2.0 * gij) * per_feature;
              break;
          }
        }
      });
    }
  }
}

}  // namespace icl::rsa::detail

#endif  // ICL_RSA_DETAIL_RDM_IMPL_HPP
