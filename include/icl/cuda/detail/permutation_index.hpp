#ifndef ICL_CUDA_DETAIL_PERMUTATION_INDEX_HPP
#define ICL_CUDA_DETAIL_PERMUTATION_INDEX_HPP

/// The index arithmetic of the device permutation test (icl::cuda::permutation_test,
/// icl/cuda/compare.cuh). A permutation π of the n conditions permutes the RDM's rows and columns
/// together: position k = (i, j), i < j, of the permuted condensed vector holds the entry at the
/// pair {π(i), π(j)} (the CPU's permutation_kernel). Each thread sums x[σ_π(k)]·y[k] over a run of
/// consecutive positions: it finds the pair of its first position once (pair_at) and then steps
/// along the rows (pair_cursor), so no thread holds a table of pairs.

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "icl/config.hpp"
#include "icl/cuda/detail/host_device.hpp"
#include "icl/cuda/detail/rdm_tile.hpp"  // pair_position

namespace icl::detail::device {

/// A pair (i, j), i < j, of conditions and its condensed position, advanced in condensed order.
struct pair_cursor {
  std::size_t n, i, j;

  /// The next pair: (i, j + 1), or (i + 1, i + 2) at the end of row i.
  ICL_HOST_DEVICE void advance() noexcept {
    if (++j == n) {
      ++i;
      j = i + 1;
    }
  }
};

/// The pair at condensed position k < n(n−1)/2: row i from the root of the row starts (in
/// double), then corrected in integers, so the answer is exact for any n.
ICL_HOST_DEVICE inline pair_cursor pair_at(std::size_t n, std::size_t k) noexcept {
  // Row i starts at s(i) = i·n − i(i+1)/2; the row of k is the largest i with s(i) <= k.
  const double b = 2.0 * static_cast<double>(n) - 1.0;
  const double root = std::sqrt(b * b - 8.0 * static_cast<double>(k));
  const double guess = std::floor((b - root) / 2.0);
  std::size_t i = guess > 0.0 ? static_cast<std::size_t>(guess) : 0;
  if (i > n - 2) i = n - 2;
  while (i > 0 && pair_position(n, i, i + 1) > k) --i;
  while (i + 2 < n && pair_position(n, i + 1, i + 2) <= k) ++i;
  return pair_cursor{n, i, i + 1 + (k - pair_position(n, i, i + 1))};
}

/// The condensed position of the unordered pair {p, q}, p != q.
ICL_HOST_DEVICE inline std::size_t unordered_position(std::size_t n, std::size_t p, std::size_t q) noexcept {
  return p < q ? pair_position(n, p, q) : pair_position(n, q, p);
}

/// Σ x[σ_π(k)]·y[k] over the positions [first, first + count) (within the m = n(n−1)/2 of n
/// conditions), added in order; `order` is π (order[i] = π(i)). x and y are condensed.
template <class Index>
ICL_HOST_DEVICE double permuted_partial(const double* x, const double* y, std::size_t n, const Index* order,
                                        std::size_t first, std::size_t count) noexcept {
  double sum = 0.0;
  if (count == 0) return sum;
  pair_cursor c = pair_at(n, first);
  for (std::size_t t = 0; t < count; ++t, c.advance()) {
    const std::size_t source = unordered_position(n, static_cast<std::size_t>(order[c.i]),
                                                  static_cast<std::size_t>(order[c.j]));
    sum += x[source] * y[first + t];
  }
  return sum;
}

/// Σ x_diag[π(i)]·y_diag[i] over the n conditions, in order (whitened_cosine's diagonal term).
template <class Index>
ICL_HOST_DEVICE double permuted_diagonal(const double* x_diagonal, const double* y_diagonal, std::size_t n,
                                         const Index* order) noexcept {
  double sum = 0.0;
  for (std::size_t i = 0; i < n; ++i) sum += x_diagonal[static_cast<std::size_t>(order[i])] * y_diagonal[i];
  return sum;
}

/// How the permutation kernel cuts the m positions: blocks of `threads` threads, each thread
/// summing `items` consecutive positions; chunk c covers [c·threads·items, (c+1)·threads·items).
struct permutation_tiling {
  std::size_t m;
  std::size_t threads;
  std::size_t items;

  ICL_HOST_DEVICE std::size_t chunk_size() const noexcept { return threads * items; }
  ICL_HOST_DEVICE std::size_t chunks() const noexcept { return (m + chunk_size() - 1) / chunk_size(); }
  /// The first position of thread t of chunk c, and how many it sums.
  ICL_HOST_DEVICE std::size_t first(std::size_t c, std::size_t t) const noexcept {
    return c * chunk_size() + t * items;
  }
  ICL_HOST_DEVICE std::size_t count(std::size_t c, std::size_t t) const noexcept {
    const std::size_t f = first(c, t);
    return f >= m ? 0 : (m - f < items ? m - f : items);
  }
};

}  // namespace icl::detail::device

#endif  // ICL_CUDA_DETAIL_PERMUTATION_INDEX_HPP
