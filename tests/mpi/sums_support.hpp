// Helpers of the tests of the sum-shaped MPI functions: reproducible data that every rank builds
// whole, the splits of its rows among the ranks (even, uneven, a rank with no rows), and each
// rank's rows of a view (any strides) as a view.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include <mpi.h>

#include "icl/core/random.hpp"
#include "icl/core/view.hpp"

namespace sums_test {

inline int rank() {
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}

inline int ranks() {
  int p = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &p);
  return p;
}

/// n x d values: a few latent directions plus noise, shifted away from zero (so that centering matters).
inline std::vector<double> values(std::size_t n, std::size_t d, std::uint64_t seed) {
  icl::counter_rng rng(seed, 0);
  std::vector<double> z(n * 3), out(n * d);
  for (double& v : z) v = rng.uniform01() * 2.0 - 1.0;
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < d; ++j)
      out[i * d + j] = 2.0 + z[i * 3 + j % 3] * (1.0 + 0.1 * static_cast<double>(j)) + 0.3 * (rng.uniform01() - 0.5);
  return out;
}

/// k classes from the first two columns of the n x d values x (a few flipped so that no split is
/// perfect), as the labels base, base + 5, base + 10, ...
inline std::vector<int> classes(const std::vector<double>& x, std::size_t n, std::size_t d, int k, int base) {
  std::vector<int> y(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double s = x[i * d] - x[i * d + 1] + (i % 7 == 0 ? 0.8 : 0.0);
    const int c = k == 2 ? (s > 0.0 ? 1 : 0) : static_cast<int>(std::fmod(std::floor((s + 3.0) * 1.3), k));
    y[i] = base + 5 * c;
  }
  return y;
}

/// Row counts per rank of n rows: an even split, an uneven one, and (with 2 or more ranks) one
/// where rank 0 has no rows and the last rank has most.
inline std::vector<std::vector<std::size_t>> splits(std::size_t n) {
  const auto p = static_cast<std::size_t>(ranks());
  std::vector<std::vector<std::size_t>> out;
  std::vector<std::size_t> even(p, n / p), uneven(p, 0), empty_first(p, 0);
  even[p - 1] += n % p;
  out.push_back(even);
  if (p > 1) {
    std::size_t left = n;
    for (std::size_t r = 0; r + 1 < p; ++r) left -= (uneven[r] = (r + 1) * n / (p * (p + 1)) + 1);
    uneven[p - 1] = left;
    out.push_back(uneven);
    empty_first[p - 1] = n - 2 * (p - 2);
    for (std::size_t r = 1; r + 1 < p; ++r) empty_first[r] = 2;
    out.push_back(empty_first);
  }
  return out;
}

/// First global row of this rank under `counts`.
inline std::size_t first_row(const std::vector<std::size_t>& counts) {
  std::size_t first = 0;
  for (int r = 0; r < rank(); ++r) first += counts[static_cast<std::size_t>(r)];
  return first;
}

/// This rank's rows of X (a view with X's strides).
template <class T>
icl::matrix_view<const T> local_rows(icl::matrix_view<const T> X, const std::vector<std::size_t>& counts) {
  const std::size_t first = first_row(counts), count = counts[static_cast<std::size_t>(rank())];
  return icl::make_matrix_view(X.data() + static_cast<std::ptrdiff_t>(first) * X.row_stride(), count, X.cols(),
                               X.row_stride(), X.col_stride());
}

/// This rank's entries of a per-row vector.
template <class V>
std::vector<V> local_entries(const std::vector<V>& all, const std::vector<std::size_t>& counts) {
  const std::size_t first = first_row(counts), count = counts[static_cast<std::size_t>(rank())];
  return std::vector<V>(all.begin() + static_cast<std::ptrdiff_t>(first),
                        all.begin() + static_cast<std::ptrdiff_t>(first + count));
}

}  // namespace sums_test
