#ifndef ICL_CORE_DETAIL_MANN_WHITNEY_IMPL_HPP
#define ICL_CORE_DETAIL_MANN_WHITNEY_IMPL_HPP

/// The pieces of icl::stats::mann_whitney_u (icl/core/mann_whitney.hpp): the statistic with the
/// tie counts of the pooled sample, the exact null distribution of U (no ties) and the normal
/// approximation with the tie and continuity corrections. Arguments are checked by the caller.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <numeric>
#include <vector>

#include "icl/config.hpp"
#include "icl/core/error.hpp"

namespace icl::detail {

/// U of x, and Σ(t³ − t) over the groups of tied values of x ∪ y (0 without ties).
struct mann_whitney_counts {
  double u1 = 0.0;
  double tie_term = 0.0;
};

/// U1 = R1 − n1(n1 + 1)/2 with R1 the sum of the average ranks of x in the pooled sample.
inline mann_whitney_counts mann_whitney_statistic(const std::vector<double>& x, const std::vector<double>& y) {
  const std::size_t n1 = x.size(), n = x.size() + y.size();
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  const auto value = [&](std::size_t k) { return k < n1 ? x[k] : y[k - n1]; };
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return value(a) < value(b); });
  mann_whitney_counts out;
  double rank_sum = 0.0;
  for (std::size_t i = 0; i < n;) {
    std::size_t j = i + 1;
    while (j < n && value(order[j]) == value(order[i])) ++j;
    const double t = static_cast<double>(j - i);
    const double average_rank = 0.5 * static_cast<double>(i + 1 + j);  // ranks i+1 .. j
    for (std::size_t k = i; k < j; ++k) rank_sum += order[k] < n1 ? average_rank : 0.0;
    out.tie_term += t * t * t - t;
    i = j;
  }
  const double m = static_cast<double>(n1);
  out.u1 = rank_sum - m * (m + 1.0) / 2.0;
  return out;
}

/// P(U ≥ u) under the null hypothesis for samples of sizes n1 and n2 without ties: the
/// distribution of U over the C(n1+n2, n1) equally likely arrangements, from the recurrence
/// p_{a,b}(k) = a/(a+b) · p_{a−1,b}(k − b) + b/(a+b) · p_{a,b−1}(k) (the largest value belongs to
/// x or to y), over a ≤ min(n1, n2) and b ≤ max(n1, n2). All terms are probabilities (no
/// cancellation). Cost O(min² · max²) operations.
inline double mann_whitney_exact_sf(std::size_t n1, std::size_t n2, double u) {
  const std::size_t a_max = std::min(n1, n2), b_max = std::max(n1, n2);
  // prev[a]: p_{a, b−1}(·), size a·(b−1) + 1; cur[a]: p_{a, b}(·).
  std::vector<std::vector<double>> prev(a_max + 1), cur(a_max + 1);
  for (std::size_t a = 0; a <= a_max; ++a) prev[a] = {1.0};  // b = 0: U = 0 with probability 1
  for (std::size_t b = 1; b <= b_max; ++b) {
    cur[0] = {1.0};
    for (std::size_t a = 1; a <= a_max; ++a) {
      std::vector<double>& out = cur[a];
      out.assign(a * b + 1, 0.0);
      const double wa = static_cast<double>(a) / static_cast<double>(a + b);
      const double wb = static_cast<double>(b) / static_cast<double>(a + b);
      const std::vector<double>& left = cur[a - 1];  // p_{a−1, b}, shifted by b
      for (std::size_t k = 0; k < left.size(); ++k) out[k + b] += wa * left[k];
      const std::vector<double>& down = prev[a];  // p_{a, b−1}
      for (std::size_t k = 0; k < down.size(); ++k) out[k] += wb * down[k];
    }
    std::swap(prev, cur);
  }
  const std::vector<double>& pmf = prev[a_max];
  const double start = std::ceil(u);
  if (start <= 0.0) return 1.0;
  double tail = 0.0;
  for (std::size_t k = pmf.size(); k-- > 0;) {
    if (static_cast<double>(k) < start) break;
    tail += pmf[k];
  }
  return std::min(1.0, tail);
}

/// The standardized statistic of the normal approximation,
/// z = (u − n1·n2/2 − 0.5) / s,  s = sqrt(n1·n2/12 · ((n + 1) − Σ(t³ − t)/(n(n − 1)))),
/// with the continuity correction (−0.5, the mass at u is counted in the upper tail). When
/// s = 0 (every value tied) z is −∞ (the upper tail is 1).
inline double mann_whitney_z(std::size_t n1, std::size_t n2, double u, double tie_term) {
  const double a = static_cast<double>(n1), b = static_cast<double>(n2), n = a + b;
  const double variance = a * b / 12.0 * ((n + 1.0) - tie_term / (n * (n - 1.0)));
  const double numerator = u - a * b / 2.0 - 0.5;
  if (!(variance > 0.0)) return -std::numeric_limits<double>::infinity();
  return numerator / std::sqrt(variance);
}

/// Throws "<fn>: x is empty" / "<fn>: y[i] = nan is not finite" for an empty or non-finite sample.
inline void check_mann_whitney_samples(const char* fn, const std::vector<double>& x, const std::vector<double>& y) {
  const std::vector<double>* samples[2] = {&x, &y};
  for (int s = 0; s < 2; ++s) {
    const char* name = s == 0 ? "x" : "y";
    const std::vector<double>& v = *samples[s];
    if (v.empty()) throw_invalid(fn, name, " is empty");
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (!std::isfinite(v[i])) throw_invalid(fn, name, "[", i, "] = ", v[i], " is not finite");
    }
  }
}

/// P(U_null ≥ u) as scipy's method='auto' computes it: exact when a sample has at most 8 values
/// and nothing is tied, otherwise the normal approximation (tie and continuity corrections).
inline double mann_whitney_upper_tail(std::size_t n1, std::size_t n2, double u, double tie_term) {
  if ((n1 <= 8 || n2 <= 8) && tie_term == 0.0) return mann_whitney_exact_sf(n1, n2, u);
  constexpr double inv_sqrt2 = 0.70710678118654752440;
  return 0.5 * std::erfc(mann_whitney_z(n1, n2, u, tie_term) * inv_sqrt2);
}

}  // namespace icl::detail

#endif  // ICL_CORE_DETAIL_MANN_WHITNEY_IMPL_HPP
