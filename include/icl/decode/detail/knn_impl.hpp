#ifndef ICL_DECODE_DETAIL_KNN_IMPL_HPP
#define ICL_DECODE_DETAIL_KNN_IMPL_HPP

/// Leave-one-out k nearest neighbours of every row, from tiled Gram blocks (METRICS.md 3).
///
/// Distances come from the Gram matrix: ‖a − b‖² = ‖a‖² + ‖b‖² − 2aᵀb (Euclidean; the square is
/// never rooted, it ranks the same) or 1 − aᵀb/(‖a‖‖b‖) (cosine). The rows are cut into blocks of
/// b rows; only the blocks (I, J ≥ I) are computed — SYRK for I = J, GEMM otherwise — and each
/// b x b tile feeds the candidate lists of BOTH its rows (I) and its columns (J): every pair of
/// points is computed once. Each row keeps its k best (distance, index) candidates in a sorted
/// array (insertion is rare once the list is full; a single comparison against the k-th
/// distance rejects almost every candidate). Memory: n·k candidates, one b x b tile and, for
/// inputs that are not contiguous rows of the compute type, two b x d converted blocks — never an
/// n x n matrix.
///
/// Threads: the products are single BLAS calls (threaded by the BLAS); the candidate updates of
/// a tile run in parallel with each thread owning whole rows (the row pass) or whole columns
/// (the column pass) of the tile, so no list is touched by two threads. The k best under the
/// strict order (distance, index) do not depend on the order candidates arrive in, so results are
/// the same at any thread count.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <vector>

#include "icl/core/error.hpp"
#include "icl/core/linalg.hpp"
#include "icl/core/parallel.hpp"
#include "icl/core/view.hpp"

namespace icl::decode::detail {

using icl::detail::compute_t;
using icl::detail::parallel_for;
using icl::detail::throw_error;
using icl::detail::throw_invalid;
using icl::detail::to_double;

enum class distance_kind { euclidean, cosine };

/// For each of n rows, `groups` lists of at most k (distance, index) candidates in increasing
/// (distance, index) order. With one group a row's list holds its k nearest neighbours; with one
/// group per class, list (i, c) holds the k nearest neighbours of i within class c.
struct candidate_lists {
  std::size_t n = 0, groups = 1, k = 0;
  std::vector<double> dist;         ///< [n][groups][k]
  std::vector<std::size_t> index;   ///< [n][groups][k]
  std::vector<std::size_t> count;   ///< [n][groups]: candidates held (≤ k)
  std::vector<double> bound;        ///< [n][groups]: k-th distance held, +inf while not full

  void reset(std::size_t rows, std::size_t lists_per_row, std::size_t capacity) {
    n = rows;
    groups = lists_per_row;
    k = capacity;
    dist.assign(n * groups * k, 0.0);
    index.assign(n * groups * k, 0);
    count.assign(n * groups, 0);
    bound.assign(n * groups, std::numeric_limits<double>::infinity());
  }

  /// Offers candidate (dv, j) to list `list`; the caller has checked dv <= bound[list].
  void offer(std::size_t list, double dv, std::size_t j) noexcept {
    double* d = dist.data() + list * k;
    std::size_t* x = index.data() + list * k;
    std::size_t& c = count[list];
    if (c == k && (dv > d[k - 1] || (dv == d[k - 1] && j > x[k - 1]))) return;
    std::size_t pos = c < k ? c : k - 1;
    while (pos > 0 && (dv < d[pos - 1] || (dv == d[pos - 1] && j < x[pos - 1]))) {
      d[pos] = d[pos - 1];
      x[pos] = x[pos - 1];
      --pos;
    }
    d[pos] = dv;
    x[pos] = j;
    if (c < k) ++c;
    if (c == k) bound[list] = d[k - 1];
  }
};

/// Per-row terms of the distance from a Gram entry g_ij: dv(i, j) = (a_i + a_j) − (c·s_i·s_j)·g_ij.
/// Euclidean (squared): a = ‖x‖², s = 1, c = 2. Cosine: a = 1/2, s = 1/‖x‖, c = 1.
struct row_terms {
  std::vector<double> a;  ///< euclidean: ‖x_i‖²; cosine: 1/2
  std::vector<double> s;  ///< euclidean: 1; cosine: 1/‖x_i‖
  double c = 2.0;         ///< euclidean: 2; cosine: 1
};

/// The distance of (i, j) from the Gram entry g. Written once and used by both passes over a
/// tile, so that both members of a pair see the same value.
inline double pair_distance(const row_terms& t, std::size_t i, std::size_t j, double g) noexcept {
  const double scale = (t.c * t.s[i]) * t.s[j];
  const double product = scale * g;
  return (t.a[i] + t.a[j]) - product;
}

/// Squared norms of the rows (double accumulation of the compute-type values), with the checks
/// for NaN/Inf, float overflow and (cosine) zero rows. Errors name the first offending row.
template <class C, class T>
row_terms compute_row_terms(const char* fn, matrix_view<const T> X, distance_kind kind, std::size_t block) {
  const std::size_t n = X.rows(), d = X.cols();
  std::vector<double> norm2(n, 0.0);
  std::vector<C> buffer;
  for (std::size_t first = 0; first < n; first += block) {
    const std::size_t count = std::min(block, n - first);
    std::size_t ld = 0;
    const C* rows = icl::detail::rows_as_compute<C>(X, first, count, buffer, ld);
    parallel_for(0, count, [&](std::size_t r) {
      const C* x = rows + r * ld;
      double sum = 0.0;
      for (std::size_t j = 0; j < d; ++j) sum += static_cast<double>(x[j]) * static_cast<double>(x[j]);
      norm2[first + r] = sum;
    });
  }
  // Half the largest finite value of C: above it a Gram entry or a distance can overflow.
  const double limit = static_cast<double>(std::numeric_limits<C>::max()) / 4.0;
  for (std::size_t i = 0; i < n; ++i) {
    if (std::isfinite(norm2[i]) && norm2[i] <= limit) continue;
    for (std::size_t j = 0; j < d; ++j) {
      const double v = to_double(X(i, j));
      if (!(v - v == 0.0)) throw_invalid(fn, "H (", i, ", ", j, ") is ", v, " (NaN/Inf not allowed)");
    }
    throw_error(fn, "row ", i, " of H has squared norm ", norm2[i], ", beyond the range of the compute type");
  }
  row_terms t;
  if (kind == distance_kind::euclidean) {
    t.a = std::move(norm2);
    t.s.assign(n, 1.0);
    t.c = 2.0;
  } else {
    t.a.assign(n, 0.5);
    t.s.resize(n);
    t.c = 1.0;
    for (std::size_t i = 0; i < n; ++i) {
      if (norm2[i] == 0.0) throw_invalid(fn, "row ", i, " of H is zero (cosine distance undefined)");
      t.s[i] = 1.0 / std::sqrt(norm2[i]);
    }
  }
  return t;
}

/// The default tile: 1024 rows for float, 724 for double (a tile of about 4 MiB).
template <class C>
constexpr std::size_t default_block() {
  return sizeof(C) == 4 ? 1024 : 724;
}

/// Fills `lists` with the leave-one-out k nearest neighbours of every row of X. With
/// `group_of` non-null, candidate j goes to list (i, group_of[j]) of row i (n_groups lists per row);
/// otherwise to the single list of row i.
template <class T>
void nearest_neighbors(const char* fn, matrix_view<const T> X, std::size_t k, distance_kind kind, std::size_t block,
                       const std::vector<std::size_t>* group_of, std::size_t n_groups, candidate_lists& lists) {
  using C = compute_t<T>;
  const std::size_t n = X.rows(), d = X.cols();
  const std::size_t b = std::max<std::size_t>(1, std::min(block == 0 ? default_block<C>() : block, n));
  const row_terms terms = compute_row_terms<C>(fn, X, kind, b);
  const std::size_t groups = group_of != nullptr ? n_groups : 1;
  lists.reset(n, groups, k);
  auto list_of = [&](std::size_t row, std::size_t other) {
    return group_of != nullptr ? row * groups + (*group_of)[other] : row;
  };

  std::vector<C> buffer_i, buffer_j, tile(b * b);
  constexpr std::size_t strip = 16;  // columns per task of the column pass
  for (std::size_t i0 = 0; i0 < n; i0 += b) {
    const std::size_t bi = std::min(b, n - i0);
    std::size_t ldi = 0;
    const C* rows_i = icl::detail::rows_as_compute<C>(X, i0, bi, buffer_i, ldi);
    for (std::size_t j0 = i0; j0 < n; j0 += b) {
      const std::size_t bj = std::min(b, n - j0);
      const bool diagonal = j0 == i0;
      if (diagonal) {
        icl::detail::product_aat_upper<C>(rows_i, bi, ldi, d, tile.data(), bj);
      } else {
        std::size_t ldj = 0;
        const C* rows_j = icl::detail::rows_as_compute<C>(X, j0, bj, buffer_j, ldj);
        icl::detail::product_abt<C>(rows_i, bi, ldi, rows_j, bj, ldj, d, tile.data(), bj);
      }
      // Row pass: row i = i0 + r takes the columns j of the tile (j > i on the diagonal tile).
      parallel_for(0, bi, [&](std::size_t r) {
        const std::size_t i = i0 + r;
        const C* g = tile.data() + r * bj;
        const std::size_t first = diagonal ? r + 1 : 0;
        if (group_of == nullptr) {
          double bound = lists.bound[i];
          for (std::size_t c = first; c < bj; ++c) {
            const double dv = pair_distance(terms, i, j0 + c, static_cast<double>(g[c]));
            if (dv <= bound) {
              lists.offer(i, dv, j0 + c);
              bound = lists.bound[i];
            }
          }
        } else {
          for (std::size_t c = first; c < bj; ++c) {
            const std::size_t j = j0 + c;
            const double dv = pair_distance(terms, i, j, static_cast<double>(g[c]));
            const std::size_t list = list_of(i, j);
            if (dv <= lists.bound[list]) lists.offer(list, dv, j);
          }
        }
      });
      // Column pass: row j = j0 + c takes the rows i of the tile (i < j on the diagonal tile).
      parallel_for(0, (bj + strip - 1) / strip, [&](std::size_t s) {
        const std::size_t c0 = s * strip, c1 = std::min(bj, c0 + strip);
        const std::size_t r_end = diagonal ? c1 - 1 : bi;
        for (std::size_t r = 0; r < r_end; ++r) {
          const std::size_t i = i0 + r;
          const C* g = tile.data() + r * bj;
          for (std::size_t c = diagonal ? std::max(c0, r + 1) : c0; c < c1; ++c) {
            const std::size_t j = j0 + c;
            const double dv = pair_distance(terms, i, j, static_cast<double>(g[c]));
            const std::size_t list = list_of(j, i);
            if (dv <= lists.bound[list]) lists.offer(list, dv, i);
          }
        }
      });
    }
  }
}

}  // namespace icl::decode::detail

#endif  // ICL_DECODE_DETAIL_KNN_IMPL_HPP
