#ifndef ICL_GEOMETRY_DETAIL_LANE_SUMS_HPP
#define ICL_GEOMETRY_DETAIL_LANE_SUMS_HPP

/// Long double-precision reductions of the geometry kernels (CKA's inner products, the
/// alignment's projections) in partial sums: element c goes to partial sum c mod lanes
/// (independent chains the processor can overlap, where one accumulator would wait on each
/// addition), and the partial sums are added in a fixed order at the end, so the result does
/// not depend on threads.

#include <cstddef>

#include "icl/config.hpp"

namespace icl::geometry::detail {

inline constexpr std::size_t lanes = 8;

inline double sum_lanes(const double (&lane)[lanes]) {
  double total = 0.0;
  for (double v : lane) total += v;
  return total;
}

/// Σ_j x_j·y_j over j in [first, end), in double: element j goes to partial sum (j − first) mod
/// lanes, the partial sums added by sum_lanes (a fixed order).
template <class X, class Y>
double lane_dot(const X* x, const Y* y, std::size_t first, std::size_t end) {
  double lane[lanes] = {};
  std::size_t j = first;
  for (; j + lanes <= end; j += lanes)
    for (std::size_t q = 0; q < lanes; ++q) lane[q] += static_cast<double>(x[j + q]) * static_cast<double>(y[j + q]);
  for (std::size_t q = 0; j < end; ++j, ++q) lane[q] += static_cast<double>(x[j]) * static_cast<double>(y[j]);
  return sum_lanes(lane);
}

}  // namespace icl::geometry::detail

#endif  // ICL_GEOMETRY_DETAIL_LANE_SUMS_HPP
