#ifndef ICL_CORE_CONDENSED_HPP
#define ICL_CORE_CONDENSED_HPP

/// The condensed upper triangle of a symmetric n x n matrix with zero diagonal: its n(n-1)/2
/// entries (i, j), i < j, in row-major order, the order of scipy.spatial.distance.squareform
/// and pdist: (0,1), (0,2), ..., (0,n-1), (1,2), ..., (n-2,n-1). The one place of the library
/// that turns a pair of conditions into a position of that vector, and back.

#include <cmath>
#include <cstddef>
#include <utility>
#include <vector>

#include "icl/core/error.hpp"

namespace icl::detail {

/// Where row i of the condensed vector of n conditions begins (the position of pair (i, i+1)):
/// i·n − i(i+1)/2.
constexpr std::size_t condensed_row_start(std::size_t n, std::size_t i) noexcept { return i * n - i * (i + 1) / 2; }

/// Position of pair (i, j), i < j < n, in the condensed vector of n conditions.
constexpr std::size_t condensed_index(std::size_t n, std::size_t i, std::size_t j) noexcept {
  return condensed_row_start(n, i) + (j - i - 1);
}

/// Position of the unordered pair {i, j}, i != j, both < n.
constexpr std::size_t condensed_index_unordered(std::size_t n, std::size_t i, std::size_t j) noexcept {
  return i < j ? condensed_index(n, i, j) : condensed_index(n, j, i);
}

/// condensed_index_unordered with the row starts tabulated once, for loops that look up many
/// pairs of the same n (permutations and bootstrap resamples of conditions).
class condensed_indexer {
 public:
  condensed_indexer() = default;
  explicit condensed_indexer(std::size_t n) : start_(n) {
    for (std::size_t i = 0; i < n; ++i) start_[i] = condensed_row_start(n, i);
  }

  /// Position of the unordered pair {p, q}, p != q.
  std::size_t operator()(std::size_t p, std::size_t q) const noexcept {
    return p < q ? start_[p] + (q - p - 1) : start_[q] + (p - q - 1);
  }

 private:
  std::vector<std::size_t> start_;
};

/// The n with n(n-1)/2 == m, or icl::invalid_argument naming `function` when m is not triangular
/// (or n would be below 2).
inline std::size_t conditions_from_pair_count(const char* function, std::size_t m) {
  // Solve n^2 - n - 2m = 0 in floating point, then confirm in integers.
  const double estimate = std::floor((1.0 + std::sqrt(1.0 + 8.0 * static_cast<double>(m))) / 2.0);
  for (double candidate = estimate - 1.0; candidate <= estimate + 1.0; candidate += 1.0) {
    if (candidate < 2.0) continue;
    const auto n = static_cast<std::size_t>(candidate);
    if (n % 2 == 0 ? (n / 2) * (n - 1) == m : n * ((n - 1) / 2) == m) return n;
  }
  throw_invalid(function, "length ", m, " is not a triangular number n(n-1)/2 with n >= 2");
}

}  // namespace icl::detail

#endif  // ICL_CORE_CONDENSED_HPP
