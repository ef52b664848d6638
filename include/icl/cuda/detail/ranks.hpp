#ifndef ICL_CUDA_DETAIL_RANKS_HPP
#define ICL_CUDA_DETAIL_RANKS_HPP

/// Average ranks (scipy.stats.rankdata 'average', as icl::average_ranks and the spearman
/// comparison of the CPU library) from a sorted sequence: the steps after a device radix sort of
/// the m values with their positions (cub::DeviceRadixSort::SortPairs; NaN rejected before).
///
/// A run of equal values at sorted places [first, last) carries the ranks first + 1 .. last,
/// whose mean is (first + 1 + last) / 2; the CPU library keeps it as the integer first + 1 + last
/// (twice the rank). The runs come from two scans over per-place candidates, so no thread walks a
/// run (a hypothesis RDM may hold a handful of distinct values over millions of places):
///   run_first_candidate(u): u at the head of a run, else 0   → inclusive max-scan: first(u)
///   run_last_candidate(u):  u + 1 at the tail of a run, else m → reverse inclusive min-scan: last(u)
/// then scatter_rank(u) (scatter_centered_rank: minus the mean rank) writes the rank of place u
/// to the value's position. The order of the
/// positions within a run does not matter (they all get the same rank), so a sort that puts
/// -0.0 before +0.0, or one that is not stable, gives the same ranks.

#include <cstddef>
#include <cstdint>

#include "icl/config.hpp"
#include "icl/cuda/detail/host_device.hpp"

namespace icl::detail::device {

/// Whether sorted place u (< m) starts a run of equal values.
ICL_HOST_DEVICE inline bool run_head(const double* sorted, std::size_t u) noexcept {
  return u == 0 || !(sorted[u] == sorted[u - 1]);
}

/// Whether sorted place u (< m) ends a run of equal values.
ICL_HOST_DEVICE inline bool run_tail(const double* sorted, std::size_t m, std::size_t u) noexcept {
  return u + 1 == m || !(sorted[u + 1] == sorted[u]);
}

/// The place's candidate for the first place of its run (to max-scan from the left).
ICL_HOST_DEVICE inline std::size_t run_first_candidate(const double* sorted, std::size_t u) noexcept {
  return run_head(sorted, u) ? u : 0;
}

/// The place's candidate for the end of its run (to min-scan from the right).
ICL_HOST_DEVICE inline std::size_t run_last_candidate(const double* sorted, std::size_t m, std::size_t u) noexcept {
  return run_tail(sorted, m, u) ? u + 1 : m;
}

/// Twice the average rank of a run [first, last): first + 1 + last.
ICL_HOST_DEVICE inline std::uint64_t doubled_rank(std::size_t first, std::size_t last) noexcept {
  return static_cast<std::uint64_t>(first) + 1 + static_cast<std::uint64_t>(last);
}

/// The average rank of a run [first, last): (first + 1 + last) / 2.
ICL_HOST_DEVICE inline double average_rank(std::size_t first, std::size_t last) noexcept {
  return 0.5 * static_cast<double>(doubled_rank(first, last));
}

/// The centred rank of a run in a vector of m values, average_rank − (m + 1)/2, as the spearman
/// comparison computes it from the doubled rank (exact).
ICL_HOST_DEVICE inline double centered_rank(std::size_t first, std::size_t last, std::size_t m) noexcept {
  return (static_cast<double>(doubled_rank(first, last)) - static_cast<double>(m + 1)) * 0.5;
}

/// Writes the average rank of sorted place u to out[position[u]], its run being [first, last)
/// (the per-place kernel body after the two scans).
template <class Position>
ICL_HOST_DEVICE void scatter_rank(const Position* position, std::size_t u, std::size_t first, std::size_t last,
                                  double* out) noexcept {
  out[position[u]] = average_rank(first, last);
}

/// Writes the centred average rank of sorted place u (average_rank − (m + 1)/2, exact) to
/// out[position[u]], its run being [first, last): the ranks the spearman and rho_a sums read.
template <class Position>
ICL_HOST_DEVICE void scatter_centered_rank(const Position* position, std::size_t u, std::size_t first,
                                           std::size_t last, std::size_t m, double* out) noexcept {
  out[position[u]] = centered_rank(first, last, m);
}

}  // namespace icl::detail::device

#endif  // ICL_CUDA_DETAIL_RANKS_HPP
