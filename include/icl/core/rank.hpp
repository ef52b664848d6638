#ifndef ICL_CORE_RANK_HPP
#define ICL_CORE_RANK_HPP

/// Rank statistics: average ranks with ties (scipy.stats.rankdata, method 'average') and the
/// tie counts that the rank correlations of docs/metrics.md 1.4 need.
///
/// Everything here is O(m log m) in time and O(m) in memory: short vectors are sorted as
/// (value, index) pairs with std::sort, long ones with the radix sort of detail/radix_sort.hpp
/// (about ten times faster at m = 2·10⁶).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "icl/core/detail/radix_sort.hpp"
#include "icl/core/error.hpp"

namespace icl {
namespace detail {

/// A value with its position in the input, sorted by (value, position): ties keep input order.
struct value_index {
  double value;
  std::size_t index;
};

/// Fills `out` with (x[k], k) for k < m, sorted ascending by value, ties by position.
/// x must hold no NaN (the order would not be a strict weak order).
inline void sort_with_index(const double* x, std::size_t m, std::vector<value_index>& out) {
  out.resize(m);
  for (std::size_t k = 0; k < m; ++k) out[k] = value_index{x[k], k};
  std::sort(out.begin(), out.end(), [](const value_index& l, const value_index& r) {
    return l.value < r.value || (l.value == r.value && l.index < r.index);
  });
}

/// Reusable storage of the rank functions below.
struct rank_workspace {
  std::vector<value_index> pairs;  ///< the comparison sort (short vectors)
  sorted_order order;              ///< the radix sort (long vectors)
};

/// Sorts x[0..m) (no NaN) and calls run(first, last, position) for each run [first, last) of
/// equal values in ascending order, where position(u) is the input index of the u-th smallest
/// value. Short vectors (and m ≥ 2^32) are sorted as (value, index) pairs with std::sort, long
/// ones with the radix sort of detail/radix_sort.hpp; the runs and positions are the same.
template <class Run>
void for_each_tie_run(const double* x, std::size_t m, rank_workspace& ws, Run&& run) {
  if (m < radix_sort_min_size || m > std::numeric_limits<std::uint32_t>::max()) {
    sort_with_index(x, m, ws.pairs);
    const auto position = [&ws](std::size_t u) { return ws.pairs[u].index; };
    std::size_t first = 0;
    while (first < m) {
      std::size_t last = first + 1;
      while (last < m && ws.pairs[last].value == ws.pairs[first].value) ++last;
      run(first, last, position);
      first = last;
    }
    return;
  }
  const auto value = [x](std::size_t t) { return x[t]; };
  sort_order(m, value, ws.order);
  const sorted_order& order = ws.order;
  const auto position = [&order](std::size_t u) { return order.position(u); };
  for_each_run_of_equal_values(order, m, value, [&](std::size_t first, std::size_t last) { run(first, last, position); });
}

/// 1-based average ranks of x[0..m) written to out[0..m) (ties get the mean of the ranks they
/// span: sorted positions first..last-1 carry ranks first+1..last, whose mean is
/// (first+1+last)/2). `ws` is reused storage. x must hold no NaN; out may not alias x.
inline void average_ranks_into(const double* x, std::size_t m, double* out, rank_workspace& ws) {
  for_each_tie_run(x, m, ws, [&](std::size_t first, std::size_t last, const auto& position) {
    const double rank = 0.5 * static_cast<double>(first + 1 + last);
    for (std::size_t u = first; u < last; ++u) out[position(u)] = rank;
  });
}

/// Twice the average rank of each x[k] — the integer first + 1 + last of its run — in a buffer
/// of `ws` (returned, m words). For long vectors that buffer is the radix sort's second one,
/// free once the sort is done, so ranking allocates nothing beyond the sort.
inline const large_array<std::uint64_t>& doubled_ranks(const double* x, std::size_t m, rank_workspace& ws) {
  large_array<std::uint64_t>& twice = ws.order.scratch;
  twice.resize(m);  // the radix sort resizes it to m as well
  for_each_tie_run(x, m, ws, [&](std::size_t first, std::size_t last, const auto& position) {
    const auto value = static_cast<std::uint64_t>(first + 1 + last);
    for (std::size_t u = first; u < last; ++u) twice[position(u)] = value;
  });
  return twice;
}

/// Sum over the runs of equal values in a sorted range of t(t-1)/2: the number of tied pairs.
template <class T>
std::uint64_t tied_pairs_sorted(const T* sorted, std::size_t m) {
  std::uint64_t pairs = 0;
  std::size_t first = 0;
  while (first < m) {
    std::size_t last = first + 1;
    while (last < m && sorted[last] == sorted[first]) ++last;
    const auto run = static_cast<std::uint64_t>(last - first);
    pairs += run * (run - 1) / 2;
    first = last;
  }
  return pairs;
}

/// Index of the first NaN in x[0..m), or m when there is none.
inline std::size_t first_nan(const double* x, std::size_t m) noexcept {
  for (std::size_t k = 0; k < m; ++k) {
    if (std::isnan(x[k])) return k;
  }
  return m;
}

}  // namespace detail

/// Average ranks of `values`, 1-based, ties receiving the mean of the ranks they span — the
/// result of scipy.stats.rankdata(values, method='average').
///
/// Parameters:
///   values : the m values to rank; ±Inf is allowed (ranked first/last), NaN is not.
///
/// Returns: m ranks as doubles (each a whole or half-integer in [1, m]); empty for empty input.
/// Throws icl::invalid_argument ("icl::average_ranks: ...") naming the index of a NaN value.
/// Cost: one sort of the values with their positions (a radix sort from 4096 values on), O(m)
/// extra memory.
inline std::vector<double> average_ranks(const std::vector<double>& values) {
  const std::size_t m = values.size();
  const std::size_t bad = detail::first_nan(values.data(), m);
  if (bad != m) detail::throw_invalid("icl::average_ranks", "value ", bad, " of ", m, " is NaN (cannot be ranked)");
  std::vector<double> ranks(m);
  detail::rank_workspace workspace;
  detail::average_ranks_into(values.data(), m, ranks.data(), workspace);
  return ranks;
}

}  // namespace icl

#endif  // ICL_CORE_RANK_HPP
