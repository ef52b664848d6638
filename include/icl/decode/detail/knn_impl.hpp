#ifndef ICL_DECODE_DETAIL_KNN_IMPL_HPP
#define ICL_DECODE_DETAIL_KNN_IMPL_HPP

/// Task decodability behind icl/decode/knn.hpp (docs/metrics.md section 3): the argument checks,
/// the leave-one-out k nearest neighbours of every row from tiled Gram blocks, the vote, the
/// pairwise merge, and the per-layer step of decodability_tracker.
///
/// Distances come from the Gram matrix: ‖a − b‖² = ‖a‖² + ‖b‖² − 2aᵀb (Euclidean; the square is
/// never rooted, it ranks the same) or 1 − aᵀb/(‖a‖‖b‖) (cosine). The rows are cut into blocks of
/// b rows; only the blocks (I, J ≥ I) are computed — SYRK for I = J, GEMM otherwise — and each
/// b x b tile feeds the candidate lists of BOTH its rows (I) and its columns (J): every pair of
/// points is computed once. A diagonal tile is first made whole (its lower triangle copied from
/// the upper), so that each of its rows takes its pairs in one pass over one tile row. Each row keeps its k best (distance, index) candidates in a sorted
/// array, a max-heap above k = 128 (insertion is rare once the list is full; a single comparison
/// against the k-th distance rejects almost every candidate). Memory: n·k candidates, one b x b tile and, for
/// inputs that are not contiguous rows of the compute type, two b x d converted blocks — never an
/// n x n matrix.
///
/// Ranking by a recomputed distance: a Gram entry from the tiles depends on the BLAS's summation
/// order, so on its own it would give a pair a distance that varies in the last bits with the tile
/// holding the pair (block size, threads, MPI ranks), and near ties would fall differently. The
/// tile's distance therefore only filters: a candidate whose tile distance, less a bound on its
/// rounding error (pair_recompute), could enter the list is recomputed from its two rows with the
/// Gram entry in double in a fixed order (fixed_order_dot), and the lists rank that value. A pair
/// so has one distance wherever it is computed, and the k best do not depend on the tiling.
/// A list's filter for the candidates of a tile is the k-th smallest of its held distances and
/// the candidates' upper bounds (tile_limit), so only about the candidates that stay in the
/// list are recomputed.
///
/// Threads: the products are single BLAS calls (threaded by the BLAS); the candidate updates of
/// a tile are one loop over chunks of rows (icl::detail::beside_blas_for: on the calling thread
/// beside BLAS products, parallel over Eigen's), each task writing only the lists of its own rows
/// (taking the tile's rows for rows of I and its columns for rows of J), so no list is touched by
/// two threads. The k best under the strict order (distance, index) do not depend on the order
/// candidates arrive in, so results are the same at any thread count.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include "icl/core/detail/sorted_candidates.hpp"
#include "icl/core/error.hpp"
#include "icl/core/labels.hpp"
#include "icl/core/linalg.hpp"
#include "icl/core/parallel.hpp"
#include "icl/core/view.hpp"
#include "icl/decode/types.hpp"

namespace icl::decode::detail {

using namespace icl::detail;  // NOLINT(google-build-using-namespace): core helpers

/// For each of n rows, `groups` lists of at most k (distance, index) candidates under the strict
/// order (distance, index). With one group a row's list holds its k nearest neighbours; with one
/// group per class, list (i, c) holds the k nearest neighbours of i within class c.
///
/// For k <= sorted_limit a list is a sorted array (insertion by shifting, sorted_offer of
/// icl/core/detail/sorted_candidates.hpp, as the device kNN's lists: fastest for small k);
/// above it a binary max-heap (O(log k) per insertion), sorted by finish(). After finish() every
/// list is in increasing (distance, index) order.
struct candidate_lists {
  static constexpr std::size_t sorted_limit = 128;

  std::size_t n = 0, groups = 1, k = 0;
  bool heap = false;
  std::vector<double> dist;         ///< [n][groups][k]
  std::vector<std::size_t> index;   ///< [n][groups][k]
  std::vector<std::size_t> count;   ///< [n][groups]: candidates held (≤ k)
  std::vector<double> bound;        ///< [n][groups]: largest distance held once full, +inf before

  void reset(std::size_t rows, std::size_t lists_per_row, std::size_t capacity) {
    n = rows;
    groups = lists_per_row;
    k = capacity;
    heap = k > sorted_limit;
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
    if (heap) {
      offer_heap(d, x, c, dv, j);
    } else if (!sorted_offer(d, x, c, k, dv, j)) {
      return;
    }
    if (c == k) bound[list] = heap ? d[0] : d[k - 1];
  }

  /// Sorts the heap-ordered lists (nothing to do for sorted arrays).
  void finish() {
    if (!heap) return;
    std::vector<std::pair<double, std::size_t>> items;
    for (std::size_t list = 0; list < n * groups; ++list) {
      double* d = dist.data() + list * k;
      std::size_t* x = index.data() + list * k;
      items.resize(count[list]);
      for (std::size_t r = 0; r < items.size(); ++r) items[r] = {d[r], x[r]};
      std::sort(items.begin(), items.end());
      for (std::size_t r = 0; r < items.size(); ++r) {
        d[r] = items[r].first;
        x[r] = items[r].second;
      }
    }
  }

 private:
  /// Max-heap by (distance, index): the root is the candidate to drop first.
  void offer_heap(double* d, std::size_t* x, std::size_t& c, double dv, std::size_t j) const noexcept {
    if (c < k) {
      std::size_t pos = c++;
      while (pos > 0) {
        const std::size_t parent = (pos - 1) / 2;
        if (!candidate_before(d[parent], x[parent], dv, j)) break;
        d[pos] = d[parent];
        x[pos] = x[parent];
        pos = parent;
      }
      d[pos] = dv;
      x[pos] = j;
      return;
    }
    if (!candidate_before(dv, j, d[0], x[0])) return;
    std::size_t pos = 0;
    for (;;) {
      const std::size_t left = 2 * pos + 1;
      if (left >= k) break;
      std::size_t child = left;
      if (left + 1 < k && candidate_before(d[left], x[left], d[left + 1], x[left + 1])) child = left + 1;
      if (!candidate_before(dv, j, d[child], x[child])) break;
      d[pos] = d[child];
      x[pos] = x[child];
      pos = child;
    }
    d[pos] = dv;
    x[pos] = j;
  }
};

/// aᵀb of two rows of d compute-type values, in double, in one fixed order: 32 partial sums over
/// j mod 32 (four independent vectors of eight, so the loop is not bound by the latency of one
/// chain of additions), added pairwise at the end. The same value for the same two rows in any
/// tile, thread or rank.
template <class C>
double fixed_order_dot(const C* x, const C* y, std::size_t d) noexcept {
  constexpr std::size_t lanes = 32;
  double part[lanes] = {};
  std::size_t j = 0;
  for (; j + lanes <= d; j += lanes) {
    for (std::size_t l = 0; l < lanes; ++l) part[l] += static_cast<double>(x[j + l]) * static_cast<double>(y[j + l]);
  }
  for (std::size_t l = 0; j < d; ++j, ++l) part[l] += static_cast<double>(x[j]) * static_cast<double>(y[j]);
  for (std::size_t width = lanes / 2; width > 0; width /= 2) {
    for (std::size_t l = 0; l < width; ++l) part[l] += part[l + width];
  }
  return part[0];
}

/// Per-row terms of the distance from a Gram entry g_ij: dv(i, j) = (a_i + a_j) − (c·s_i·s_j)·g_ij.
/// Euclidean (squared): a = ‖x‖², s = 1, c = 2. Cosine: a = 1/2, s = 1/‖x‖, c = 1.
struct row_terms {
  std::vector<double> a;  ///< euclidean: ‖x_i‖²; cosine: 1/2
  std::vector<double> s;  ///< euclidean: 1; cosine: 1/‖x_i‖
  double c = 2.0;         ///< euclidean: 2; cosine: 1
};

/// Squared norms of the rows (fixed_order_dot of the compute-type values), with the checks
/// for NaN/Inf, float overflow and (cosine) zero rows. Errors name the first offending row, as
/// first_row + its index (first_row: where these rows start among all rows).
template <class C, class T>
row_terms compute_row_terms(const char* fn, matrix_view<const T> X, decode::dissimilarity kind, std::size_t block,
                            std::size_t first_row = 0) {
  const std::size_t n = X.rows(), d = X.cols();
  std::vector<double> norm2(n, 0.0);
  // One loop over chunks of rows (see icl::detail::beside_blas_for), each converting its own rows
  // when they are not contiguous in C (the buffer is then chunk x d).
  const std::size_t chunk = std::max<std::size_t>(1, std::min<std::size_t>(block, 256));
  icl::detail::beside_blas_for(0, (n + chunk - 1) / chunk, n * d, [&](std::size_t q) {
    const std::size_t first = q * chunk, count = std::min(chunk, n - first);
    std::vector<C> buffer;
    std::size_t ld = 0;
    const C* rows = icl::detail::rows_as_compute<C>(X, first, count, buffer, ld);
    // In the order of the recomputed Gram entries (fixed_order_dot): a row's distance to an
    // identical row is then exactly zero.
    for (std::size_t r = 0; r < count; ++r) norm2[first + r] = fixed_order_dot(rows + r * ld, rows + r * ld, d);
  });
  // A quarter of the largest finite value of C: above it a Gram entry or a distance can overflow.
  const double limit = static_cast<double>(std::numeric_limits<C>::max()) / 4.0;
  for (std::size_t i = 0; i < n; ++i) {
    if (std::isfinite(norm2[i]) && norm2[i] <= limit) continue;
    for (std::size_t j = 0; j < d; ++j) {
      const double v = to_double(X(i, j));
      if (!(v - v == 0.0)) throw_invalid(fn, "H (", first_row + i, ", ", j, ") is ", v, " (NaN/Inf not allowed)");
    }
    throw_error(fn, "row ", first_row + i, " of H has squared norm ", norm2[i],
                ", beyond the range of the compute type");
  }
  row_terms t;
  if (kind == decode::dissimilarity::euclidean) {
    t.a = std::move(norm2);
    t.s.assign(n, 1.0);
    t.c = 2.0;
  } else {
    t.a.assign(n, 0.5);
    t.s.resize(n);
    t.c = 1.0;
    for (std::size_t i = 0; i < n; ++i) {
      if (norm2[i] == 0.0) throw_invalid(fn, "row ", first_row + i, " of H is zero (cosine distance undefined)");
      t.s[i] = 1.0 / std::sqrt(norm2[i]);
    }
  }
  return t;
}

/// Candidates per filter step: distances of a run of pairs are computed in a vectorizable loop
/// together with "does any beat its list's bound", and only then offered one by one.
constexpr std::size_t run = 32;

/// The recompute of a pair's distance (see the header comment) for rows of d compute-type values.
///
/// A tile's Gram entry g̃ and the fixed-order one ĝ both differ from the exact aᵀb by at most
/// γ_d·‖a‖‖b‖ in their own precision (γ_d = d·u / (1 − d·u), u the unit roundoff, for any
/// summation order), and c·s_i·s_j·‖a‖‖b‖ ≤ a_i + a_j (Euclidean: 2‖a‖‖b‖ ≤ ‖a‖² + ‖b‖²;
/// cosine: 1 = 1/2 + 1/2). So the two distances differ by at most sigma·(a_i + a_j), sigma the two
/// γ_d plus a margin for the rounding of the double formula; a candidate is recomputed when its
/// tile distance less that slack does not exceed its list's bound.
template <class C>
struct pair_recompute {
  std::size_t d = 0;
  double sigma = 0.0;

  explicit pair_recompute(std::size_t width) : d(width) {
    const auto gamma = [&](double unit) {
      const double du = static_cast<double>(width) * unit;
      return du < 0.5 ? du / (1.0 - du) : 1.0;
    };
    constexpr double double_unit = std::numeric_limits<double>::epsilon() / 2;
    sigma = gamma(std::numeric_limits<C>::epsilon() / 2) + gamma(double_unit) + 32.0 * double_unit;
  }

  /// The distance from the row terms and a Gram entry g: (a_i + a_j) − (si·s_j)·g (si = c·s_i).
  static double from_gram(double ai, double si, double aj, double sj, double g) noexcept {
    return (ai + aj) - (si * sj) * g;
  }
  /// Bounds of the recomputed distance of a pair whose tile entry is g.
  double lower(double ai, double si, double aj, double sj, double g) const noexcept {
    return from_gram(ai, si, aj, sj, g) - sigma * (ai + aj);
  }
  double upper(double ai, double si, double aj, double sj, double g) const noexcept {
    return from_gram(ai, si, aj, sj, g) + sigma * (ai + aj);
  }
  /// The recomputed distance: from_gram with the fixed-order Gram entry of rows xi, xj.
  double distance(double ai, double si, double aj, double sj, const C* xi, const C* xj) const noexcept {
    return from_gram(ai, si, aj, sj, fixed_order_dot(xi, xj, d));
  }
};

/// The filter limit of one list for the candidates of one tile. Every candidate gets an upper
/// bound of its recomputed distance (tile distance plus the slack of pair_recompute). Together
/// with the k distances the list already holds, the k-th smallest of these values is one that k
/// candidates do not exceed: after this tile the list holds only candidates whose recomputed
/// distance is at most that value, so a candidate whose lower bound lies above it is not
/// recomputed. limit() is that value, or +inf while fewer than k values are known.
/// Filtering by the list's bound alone would recompute every candidate while the list fills, and
/// after N candidates about k·ln(1 + m/N) of the next m (each beats the bound of the moment),
/// where only about k·m/(N + m) of them stay.
/// For k up to inline_k the k smallest values are kept sorted as they come (one comparison with
/// worst() rejects most); for larger k every value below the list's bound is kept and the k-th
/// found at the end (std::nth_element, linear), so the cost stays linear in the values.
class tile_limit {
 public:
  static constexpr std::size_t inline_k = 32;
  static_assert(inline_k <= candidate_lists::sorted_limit, "start() reads held distances as a sorted array");

  /// Starts from the distances held by list `list`.
  void start(const candidate_lists& lists, std::size_t list) {
    k_ = lists.k;
    const double* held = lists.dist.data() + list * lists.k;
    const std::size_t count = lists.count[list];
    if (k_ <= inline_k) {
      std::copy(held, held + count, small_);  // a sorted array (k <= sorted_limit)
      size_ = count;
      worst_ = size_ == k_ ? small_[k_ - 1] : std::numeric_limits<double>::infinity();
    } else {
      large_.assign(held, held + count);
      worst_ = count == k_ ? lists.bound[list] : std::numeric_limits<double>::infinity();
    }
  }

  /// A value at or above worst() does not change the limit.
  double worst() const noexcept { return worst_; }

  void add(double upper) {
    if (!(upper < worst_)) return;
    if (k_ > inline_k) {
      large_.push_back(upper);
      return;
    }
    std::size_t pos = size_ < k_ ? size_++ : k_ - 1;
    while (pos > 0 && small_[pos - 1] > upper) {
      small_[pos] = small_[pos - 1];
      --pos;
    }
    small_[pos] = upper;
    if (size_ == k_) worst_ = small_[k_ - 1];
  }

  double limit() {
    if (k_ <= inline_k) return size_ == k_ ? small_[k_ - 1] : std::numeric_limits<double>::infinity();
    if (large_.size() < k_) return std::numeric_limits<double>::infinity();
    std::nth_element(large_.begin(), large_.begin() + static_cast<std::ptrdiff_t>(k_ - 1), large_.end());
    return large_[k_ - 1];
  }

 private:
  std::size_t k_ = 0, size_ = 0;
  double worst_ = 0.0;
  double small_[inline_k] = {};
  std::vector<double> large_;
};

/// Largest of `count` limits (a valid filter for every list of a row).
inline double largest(const double* limit, std::size_t count) noexcept {
  double m = limit[0];
  for (std::size_t g = 1; g < count; ++g) m = std::max(m, limit[g]);
  return m;
}

static_assert(run <= 32, "a run's candidates are the bits of a 32-bit mask");

/// Bit c set for the values value[c] < threshold, c < len <= run.
inline std::uint32_t below_mask(const double* value, std::size_t len, double threshold) noexcept {
  std::uint32_t mask = 0;
  for (std::size_t c = 0; c < len; ++c) mask |= static_cast<std::uint32_t>(value[c] < threshold) << c;
  return mask;
}
/// Bit c set for the values value[c] <= threshold, c < len <= run.
inline std::uint32_t at_most_mask(const double* value, std::size_t len, double threshold) noexcept {
  std::uint32_t mask = 0;
  for (std::size_t c = 0; c < len; ++c) mask |= static_cast<std::uint32_t>(value[c] <= threshold) << c;
  return mask;
}

/// Index of the lowest set bit of a non-zero mask.
inline std::size_t lowest_bit(std::uint32_t mask) noexcept {
#if defined(__GNUC__) || defined(__clang__)
  return static_cast<std::size_t>(__builtin_ctz(mask));
#else
  std::size_t c = 0;
  while ((mask & 1U) == 0) {
    mask >>= 1;
    ++c;
  }
  return c;
#endif
}

/// No candidate to skip (see feed_list).
constexpr std::size_t no_skip = std::numeric_limits<std::size_t>::max();

/// Offers the tile entries g[c], c in [first, end) except c = skip, to row i as candidates
/// j = j0 + c (to its list, or with group_of to its list of group_of[j]), with the row's terms ai
/// and si = c·s_i and the candidates' terms aj[c], sj[c]. The rows: xi (row i) and xj + c·ldj
/// (candidate j0 + c), for the recompute of the candidates that pass the filter.
/// Two passes over the entries: the limit of each list (tile_limit), then the filter and the
/// recompute.
template <class C>
void feed_list(double ai, double si, const double* aj, const double* sj, candidate_lists& lists,
               const std::vector<std::size_t>* group_of, std::size_t i, std::size_t j0, const C* g, std::size_t first,
               std::size_t end, const pair_recompute<C>& recompute, const C* xi, const C* xj, std::size_t ldj,
               std::size_t skip = no_skip) {
  const std::size_t groups = lists.groups;
  const auto group = [&](std::size_t c) { return group_of == nullptr ? std::size_t{0} : (*group_of)[j0 + c]; };
  // One list (the plain kNN) needs no allocation.
  tile_limit one;
  std::vector<tile_limit> many(groups > 1 ? groups : 0);
  tile_limit* limits = groups > 1 ? many.data() : &one;
  double limit_one = 0.0;
  std::vector<double> limit_many(groups > 1 ? groups : 0);
  double* limit = groups > 1 ? limit_many.data() : &limit_one;
  for (std::size_t gq = 0; gq < groups; ++gq) limits[gq].start(lists, i * groups + gq);

  // Candidate cc, whose recomputed distance is at least `lower`, for list gq: recomputed and
  // offered when `lower` is within the list's limit and bound (the second pass).
  const auto offer_if_within = [&](std::size_t cc, double lower, std::size_t gq) {
    const std::size_t list = i * groups + gq;
    if (lower > std::min(limit[gq], lists.bound[list])) return;
    const double exact = recompute.distance(ai, si, aj[cc], sj[cc], xi, xj + cc * ldj);
    if (exact <= lists.bound[list]) lists.offer(list, exact, j0 + cc);
  };

  double value[run], lower[run];
  // One list: the first pass also notes the candidates whose lower bound is at most the limit's
  // worst() of the moment (a value the final limit does not exceed), up to `noted_capacity` of
  // them; the second pass then visits only those instead of every entry.
  constexpr std::size_t noted_capacity = 4 * run;
  std::size_t noted_index[noted_capacity];
  double noted_lower[noted_capacity];
  std::size_t noted = 0;
  const bool one_list = groups == 1;
  bool all_noted = one_list;
  for (std::size_t c0 = first; c0 < end; c0 += run) {
    const std::size_t len = std::min(run, end - c0);
    for (std::size_t c = 0; c < len; ++c) {
      const std::size_t cc = c0 + c;
      value[c] = recompute.upper(ai, si, aj[cc], sj[cc], static_cast<double>(g[cc]));
      if (one_list) lower[c] = recompute.lower(ai, si, aj[cc], sj[cc], static_cast<double>(g[cc]));
    }
    if (!one_list) {
      for (std::size_t c = 0; c < len; ++c) {
        if (c0 + c != skip) limits[group(c0 + c)].add(value[c]);
      }
      continue;
    }
    // Only the values below the limit's worst() of the moment are offered to it.
    for (std::uint32_t below = below_mask(value, len, one.worst()); below != 0; below &= below - 1) {
      const std::size_t c = lowest_bit(below);
      if (c0 + c != skip) one.add(value[c]);
    }
    if (!all_noted) continue;
    for (std::uint32_t hit = at_most_mask(lower, len, one.worst()); hit != 0; hit &= hit - 1) {
      const std::size_t c = lowest_bit(hit);
      if (c0 + c == skip) continue;
      if (noted == noted_capacity) {
        all_noted = false;
        break;
      }
      noted_index[noted] = c0 + c;
      noted_lower[noted] = lower[c];
      ++noted;
    }
  }
  for (std::size_t gq = 0; gq < groups; ++gq) limit[gq] = limits[gq].limit();

  if (all_noted) {
    // The noted candidates in increasing order, as the full second pass below would meet them.
    for (std::size_t q = 0; q < noted; ++q) offer_if_within(noted_index[q], noted_lower[q], 0);
    return;
  }

  for (std::size_t c0 = first; c0 < end; c0 += run) {
    const std::size_t len = std::min(run, end - c0);
    for (std::size_t gq = 0; gq < groups; ++gq) limit[gq] = std::min(limit[gq], lists.bound[i * groups + gq]);
    const double bound = largest(limit, groups);
    for (std::size_t c = 0; c < len; ++c) {
      const std::size_t cc = c0 + c;
      lower[c] = recompute.lower(ai, si, aj[cc], sj[cc], static_cast<double>(g[cc]));
    }
    for (std::uint32_t hit = at_most_mask(lower, len, bound); hit != 0; hit &= hit - 1) {
      const std::size_t c = lowest_bit(hit);
      if (c0 + c != skip) offer_if_within(c0 + c, lower[c], group(c0 + c));
    }
  }
}

/// One side of a tile, rows or columns: the distance terms a, s of its points (indexed by the
/// tile row or column), the list of its first point (list0: the row of `lists`) and that point's
/// index as a candidate (id0; the same as list0 except where lists hold one MPI rank's rows), and
/// the points' rows in the compute type (x, leading dimension ld) for the recompute.
template <class C>
struct tile_side {
  const double* a;
  const double* s;
  std::size_t list0;
  std::size_t id0;
  const C* x;
  std::size_t ld;
};

/// Offers the tile entries g[c], c in [0, end) except skip, to the list of point r of `own` as
/// the candidates c of `others` (c: the distance factor of row_terms).
template <class C>
void feed_row(const C* g, std::size_t end, std::size_t skip, const tile_side<C>& own, std::size_t r, double c,
              const tile_side<C>& others, candidate_lists& lists, const std::vector<std::size_t>* group_of,
              const pair_recompute<C>& recompute) {
  feed_list(own.a[r], c * own.s[r], others.a, others.s, lists, group_of, own.list0 + r, others.id0, g, 0, end,
            recompute, own.x + r * own.ld, others.x, others.ld, skip);
}

/// Offers the columns [first, last) of a tile (entries tile[r·ld + col], rows r in [0, rows))
/// each to the list of its point of `columns`, as the candidates r of `rows_side`. Each strip of
/// `run` columns is first transposed (into `run` rows of `rows` values, padded by 64 bytes; read
/// in the tile's row order) so that each column is one contiguous row for feed_row.
template <class C>
void feed_columns(const C* tile, std::size_t ld, std::size_t rows, std::size_t first, std::size_t last,
                  const tile_side<C>& columns, double c, const tile_side<C>& rows_side, candidate_lists& lists,
                  const std::vector<std::size_t>* group_of, const pair_recompute<C>& recompute) {
  const std::size_t stride = rows + 64 / sizeof(C);  // padded as the tile's rows
  std::vector<C> strip(std::min(run, last - first) * stride);
  for (std::size_t c0 = first; c0 < last; c0 += run) {
    const std::size_t width = std::min(run, last - c0);
    for (std::size_t r = 0; r < rows; ++r) {
      for (std::size_t q = 0; q < width; ++q) strip[q * stride + r] = tile[r * ld + c0 + q];
    }
    for (std::size_t q = 0; q < width; ++q) {
      feed_row(strip.data() + q * stride, rows, no_skip, columns, c0 + q, c, rows_side, lists, group_of, recompute);
    }
  }
}

/// Offers every pair of one tile (entries tile[r·ld + col]: rows r < bi of `side_i`, columns
/// col < bj of `side_j`) to the candidate lists: to row r's list in `row_lists` as the row pass
/// (feed_row) and, off the diagonal, to column col's list in `column_lists` as the column pass
/// (feed_columns); either may be null. A diagonal tile (the pairs within one block) must be whole
/// (mirror_upper_triangle): each row then takes all its pairs in the tile as one row, so its
/// list's limit (tile_limit) sees all of them, and the pair (r, r) is skipped. One loop per tile
/// (see icl::detail::beside_blas_for) over chunks of rows and of columns whose lists only that
/// task writes: about four tasks per thread and side, a multiple of the run length (results do
/// not depend on it).
template <class C>
void feed_tile(const C* tile, std::size_t ld, std::size_t bi, std::size_t bj, bool diagonal, const tile_side<C>& side_i,
               const tile_side<C>& side_j, double c, candidate_lists* row_lists, candidate_lists* column_lists,
               const std::vector<std::size_t>* group_of, const pair_recompute<C>& recompute) {
  const auto threads = static_cast<std::size_t>(icl::max_threads());
  const std::size_t widest = std::max(bi, bj);
  const std::size_t chunk = std::max<std::size_t>(run, (widest + 4 * threads * run - 1) / (4 * threads * run) * run);
  const std::size_t chunks_i = row_lists != nullptr ? (bi + chunk - 1) / chunk : 0;
  const std::size_t chunks_j = column_lists != nullptr && !diagonal ? (bj + chunk - 1) / chunk : 0;
  const auto update = [&](std::size_t task) {
    if (task < chunks_i) {
      const std::size_t r0 = task * chunk, r1 = std::min(bi, r0 + chunk);
      for (std::size_t r = r0; r < r1; ++r) {
        feed_row(tile + r * ld, bj, diagonal ? r : no_skip, side_i, r, c, side_j, *row_lists, group_of, recompute);
      }
      return;
    }
    const std::size_t q0 = (task - chunks_i) * chunk, q1 = std::min(bj, q0 + chunk);
    feed_columns(tile, ld, bi, q0, q1, side_j, c, side_i, *column_lists, group_of, recompute);
  };
  icl::detail::beside_blas_for(0, chunks_i + chunks_j, (chunks_i > 0) * bi * bj + (chunks_j > 0) * bi * bj, update);
}

/// Copies the upper triangle of a size x size tile (leading dimension ld) to its lower triangle,
/// in square blocks so that both the rows read and the columns written stay in cache. Task q
/// writes the columns [q·block, (q + 1)·block) of the lower triangle.
template <class C>
void mirror_upper_triangle(C* tile, std::size_t size, std::size_t ld) {
  constexpr std::size_t block = 32;
  icl::detail::beside_blas_for(0, (size + block - 1) / block, size * size / 2, [&](std::size_t q) {
    const std::size_t r0 = q * block, r1 = std::min(size, r0 + block);
    for (std::size_t c0 = r0; c0 < size; c0 += block) {
      const std::size_t c1 = std::min(size, c0 + block);
      for (std::size_t r = r0; r < r1; ++r) {
        for (std::size_t c = std::max(c0, r + 1); c < c1; ++c) tile[c * ld + r] = tile[r * ld + c];
      }
    }
  });
}

/// The default tile of the device and MPI paths: 1024 rows for float, 724 for double (a tile of
/// about 4 MiB).
template <class C>
constexpr std::size_t default_block() {
  return sizeof(C) == 4 ? 1024 : 724;
}

/// The default tile of the CPU path for n rows: all of them up to 2048 for float (1448 for
/// double: a tile of at most 16 MiB), else the rows cut into the fewest equal blocks of at most
/// that size. A list takes about k recomputes in the first tile that holds its neighbours and
/// about k/t more in its t-th (see the header comment); fewer, larger tiles recompute less:
/// n = 2000, k = 10 takes 20 000 recomputes in one tile against 31 000 in tiles of 1024.
template <class C>
std::size_t default_block_rows(std::size_t n) {
  const std::size_t largest = sizeof(C) == 4 ? 2048 : 1448;
  if (n <= largest) return n;
  const std::size_t blocks = (n + largest - 1) / largest;
  return (n + blocks - 1) / blocks;
}

/// Fills `lists` with the leave-one-out k nearest neighbours of every row of X. With
/// `group_of` non-null, candidate j goes to list (i, group_of[j]) of row i (n_groups lists per row);
/// otherwise to the single list of row i.
template <class T>
void nearest_neighbors(const char* fn, matrix_view<const T> X, std::size_t k, decode::dissimilarity kind, std::size_t block,
                       const std::vector<std::size_t>* group_of, std::size_t n_groups, candidate_lists& lists) {
  using C = compute_t<T>;
  const std::size_t n = X.rows(), d = X.cols();
  const std::size_t b = std::max<std::size_t>(1, std::min(block == 0 ? default_block_rows<C>(n) : block, n));
  const row_terms terms = compute_row_terms<C>(fn, X, kind, b);
  const std::size_t groups = group_of != nullptr ? n_groups : 1;
  lists.reset(n, groups, k);

  const pair_recompute<C> recompute(d);
  // The tile's rows are padded by 64 bytes: with a leading dimension of a power of two bytes
  // (b = 1024 floats: 4 KiB) the rows of a column share one set of the cache, and the mirroring
  // of the diagonal tile and the column passes evict their own lines.
  const std::size_t ld = b + 64 / sizeof(C);
  std::vector<C> buffer_i, buffer_j, tile(b * ld);
  for (std::size_t i0 = 0; i0 < n; i0 += b) {
    const std::size_t bi = std::min(b, n - i0);
    std::size_t ldi = 0;
    const C* rows_i = icl::detail::rows_as_compute<C>(X, i0, bi, buffer_i, ldi);
    for (std::size_t j0 = i0; j0 < n; j0 += b) {
      const std::size_t bj = std::min(b, n - j0);
      const bool diagonal = j0 == i0;
      const C* rows_j = rows_i;
      std::size_t ldj = ldi;
      if (diagonal) {
        icl::detail::product_aat_upper<C>(rows_i, bi, ldi, d, tile.data(), ld);
      } else {
        rows_j = icl::detail::rows_as_compute<C>(X, j0, bj, buffer_j, ldj);
        icl::detail::product_abt<C>(rows_i, bi, ldi, rows_j, bj, ldj, d, tile.data(), ld);
      }
      const tile_side<C> side_i{terms.a.data() + i0, terms.s.data() + i0, i0, i0, rows_i, ldi};
      const tile_side<C> side_j{terms.a.data() + j0, terms.s.data() + j0, j0, j0, rows_j, ldj};
      // The diagonal tile is made whole first (its lower triangle from the upper), as feed_tile needs.
      if (diagonal) mirror_upper_triangle(tile.data(), bi, ld);
      feed_tile(tile.data(), ld, bi, bj, diagonal, side_i, side_j, terms.c, &lists, &lists, group_of, recompute);
    }
  }
  lists.finish();
}

// ---- checks, votes and results ------------------------------------------------------------------

template <class T>
void check_states(const char* fn, matrix_view<const T> H) {
  icl::detail::check_matrix(fn, "H", H);
  if (H.empty()) throw_invalid(fn, "H is empty (", H.rows(), " x ", H.cols(), ")");
}

inline void check_k(const char* fn, std::size_t k, std::size_t n) {
  if (k == 0 || k >= n) {
    throw_invalid(fn, "k = ", k, " must satisfy 1 <= k <= n - 1 = ", n - 1, " (n = ", n, " points)");
  }
}

/// Majority vote over the k neighbours held in `lists` (one list per row; list i is row
/// first_row + i's, its neighbours' indices are rows of enc); ties → lowest class. Writes each
/// row's predicted class code to predicted[i] and adds its rows predicted right to correct[class].
inline void vote(const candidate_lists& lists, const icl::detail::encoded_labels& enc, std::size_t first_row,
                 std::size_t* predicted, std::vector<std::size_t>& correct) {
  const std::size_t n = lists.n, k = lists.k;
  std::vector<std::size_t> votes(enc.n_classes(), 0);
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t* nb = lists.index.data() + i * k;
    for (std::size_t r = 0; r < k; ++r) ++votes[enc.codes[nb[r]]];
    std::size_t best = enc.codes[nb[0]];
    for (std::size_t r = 0; r < k; ++r) {
      const std::size_t c = enc.codes[nb[r]];
      if (votes[c] > votes[best] || (votes[c] == votes[best] && c < best)) best = c;
    }
    for (std::size_t r = 0; r < k; ++r) votes[enc.codes[nb[r]]] = 0;
    predicted[i] = best;
    if (best == enc.codes[first_row + i]) ++correct[best];
  }
}

/// The decodability result of the votes of all rows of enc: predicted class codes and rows
/// predicted right per class.
inline decodability_result vote_result(const icl::detail::encoded_labels& enc, const std::vector<std::size_t>& predicted,
                                       const std::vector<std::size_t>& correct, std::size_t k,
                                       const decode_params& params) {
  const std::size_t n = predicted.size(), m = enc.n_classes();
  decodability_result out{};
  out.per_class.assign(m, 0.0);
  out.classes = enc.classes;
  out.class_counts = enc.counts;
  out.predictions.resize(n);
  out.k = k;
  out.dissimilarity = params.dissimilarity;
  std::size_t total = 0;
  for (std::size_t i = 0; i < n; ++i) out.predictions[i] = enc.classes[predicted[i]];
  for (std::size_t c = 0; c < m; ++c) total += correct[c];
  out.overall = static_cast<double>(total) / static_cast<double>(n);
  for (std::size_t c = 0; c < m; ++c) {
    out.per_class[c] = static_cast<double>(correct[c]) / static_cast<double>(enc.counts[c]);
  }
  return out;
}

/// Majority vote over the k neighbours held in `lists` (one list per row); ties → lowest class.
inline decodability_result score(const candidate_lists& lists, const icl::detail::encoded_labels& enc,
                                 const decode_params& params) {
  std::vector<std::size_t> predicted(lists.n), correct(enc.n_classes(), 0);
  vote(lists, enc, 0, predicted.data(), correct);
  return vote_result(enc, predicted, correct, lists.k, params);
}

/// Decodability of H (checked) with encoded labels.
template <class T>
decodability_result decodability(const char* fn, matrix_view<const T> H, const icl::detail::encoded_labels& enc,
                                 const decode_params& params) {
  check_k(fn, params.k, H.rows());
  candidate_lists lists;
  nearest_neighbors(fn, H, params.k, params.dissimilarity, params.block_rows, nullptr, 0, lists);
  return score(lists, enc, params);
}

/// loo_neighbors after its checks of H.
template <class T>
neighbor_result loo_neighbors(const char* fn, matrix_view<const T> H, const decode_params& params) {
  check_k(fn, params.k, H.rows());
  candidate_lists lists;
  nearest_neighbors(fn, H, params.k, params.dissimilarity, params.block_rows, nullptr, 0, lists);
  neighbor_result out;
  out.n = H.rows();
  out.k = params.k;
  out.dissimilarity = params.dissimilarity;
  out.indices = std::move(lists.index);
  out.distances = std::move(lists.dist);
  if (params.dissimilarity == decode::dissimilarity::euclidean) {
    for (double& v : out.distances) v = std::sqrt(v > 0.0 ? v : 0.0);
  }
  return out;
}

/// Throws when two classes together have fewer than k + 1 points (naming the pair).
inline void check_pair_sizes(const char* fn, const icl::detail::encoded_labels& enc, std::size_t k) {
  const std::size_t m = enc.n_classes();
  for (std::size_t a = 0; a < m; ++a) {
    for (std::size_t b = a + 1; b < m; ++b) {
      if (enc.counts[a] + enc.counts[b] < k + 1) {
        throw_invalid(fn, "classes ", enc.classes[a], " and ", enc.classes[b], " have ", enc.counts[a] + enc.counts[b],
                      " points together, need at least k + 1 = ", k + 1);
      }
    }
  }
}

/// pairwise_decodability after its checks of H and the labels: one pass over the Gram tiles
/// keeps, for every point, its k nearest neighbours within each class; the k nearest among
/// classes a and b are merged from those lists.
template <class T>
pairwise_result pairwise(const char* fn, matrix_view<const T> H, const icl::detail::encoded_labels& enc,
                         const decode_params& params) {
  const std::size_t k = params.k, m = enc.n_classes(), n = H.rows();
  check_k(fn, k, n);
  check_pair_sizes(fn, enc, k);
  candidate_lists lists;
  nearest_neighbors(fn, H, k, params.dissimilarity, params.block_rows, &enc.codes, m, lists);

  pairwise_result out;
  out.classes = enc.classes;
  out.k = k;
  out.dissimilarity = params.dissimilarity;
  out.values.assign(m * m, std::numeric_limits<double>::quiet_NaN());
  // correct[a * m + b]: points of class a classified correctly against class b.
  std::vector<std::size_t> correct(m * m, 0);
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t own = enc.codes[i];
    const std::size_t list_own = i * m + own;
    for (std::size_t other = 0; other < m; ++other) {
      if (other == own) continue;
      const std::size_t list_other = i * m + other;
      // Merge the two sorted lists; the first k by (distance, index) are the neighbours.
      std::size_t p = 0, q = 0, votes_own = 0, votes_other = 0;
      const std::size_t np = lists.count[list_own], nq = lists.count[list_other];
      const double* dp = lists.dist.data() + list_own * k;
      const double* dq = lists.dist.data() + list_other * k;
      const std::size_t* xp = lists.index.data() + list_own * k;
      const std::size_t* xq = lists.index.data() + list_other * k;
      for (std::size_t r = 0; r < k; ++r) {
        const bool take_own =
            q == nq || (p < np && (dp[p] < dq[q] || (dp[p] == dq[q] && xp[p] < xq[q])));
        if (take_own) {
          ++p;
          ++votes_own;
        } else {
          ++q;
          ++votes_other;
        }
      }
      const bool right = votes_own > votes_other || (votes_own == votes_other && own < other);
      if (right) ++correct[own * m + other];
    }
  }
  for (std::size_t a = 0; a < m; ++a) {
    for (std::size_t b = a + 1; b < m; ++b) {
      const double v = static_cast<double>(correct[a * m + b] + correct[b * m + a]) /
                       static_cast<double>(enc.counts[a] + enc.counts[b]);
      out.values[a * m + b] = v;
      out.values[b * m + a] = v;
    }
  }
  return out;
}

/// The step of icl::decode::decodability_tracker (see icl::layer_tracker): one layer's
/// decodability with the tracker's labels and options.
struct decodability_step {
  using result_type = decodability_result;
  static constexpr const char* add_layer_function = "icl::decode::decodability_tracker::add_layer";

  icl::detail::encoded_labels labels;
  decode_params params;

  decodability_step(const std::vector<int>& y, const decode_params& p)
      : labels(icl::detail::encode_labels("icl::decode::decodability_tracker", y, y.size(), 2, "H")), params(p) {}

  template <class T>
  decodability_result operator()(matrix_view<const T> H, std::size_t layer) const {
    if (H.rows() != labels.codes.size()) {
      throw_invalid(add_layer_function, "layer ", layer, " has ", H.rows(), " rows but labels has ",
                    labels.codes.size(), " entries");
    }
    check_states(add_layer_function, H);
    return decodability(add_layer_function, H, labels, params);
  }

  static double curve_value(const decodability_result& r) noexcept { return r.overall; }
};

}  // namespace icl::decode::detail

#endif  // ICL_DECODE_DETAIL_KNN_IMPL_HPP
