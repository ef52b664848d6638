#ifndef ICL_CORE_DETAIL_BOOTSTRAP_SUMMARY_HPP
#define ICL_CORE_DETAIL_BOOTSTRAP_SUMMARY_HPP

/// The summary of a bootstrap distribution that every bootstrap of the library reports: the
/// standard error and the percentile interval over the samples whose statistic is defined.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

#include "icl/core/error.hpp"

namespace icl::detail {

/// The q-quantile of sorted values by numpy's default 'linear' method: the value at the
/// virtual index q (N - 1), interpolated as numpy's _lerp does.
inline double linear_quantile(const std::vector<double>& sorted, double q) {
  const std::size_t count = sorted.size();
  const double h = q * static_cast<double>(count - 1);
  const double below = std::floor(h);
  const auto lo = static_cast<std::size_t>(below);
  if (lo >= count - 1) return sorted[count - 1];
  const double t = h - below;
  const double a = sorted[lo];
  const double b = sorted[lo + 1];
  const double diff = b - a;
  return t >= 0.5 ? b - diff * (1.0 - t) : a + diff * t;
}

struct bootstrap_summary {
  std::size_t skipped;    ///< samples whose statistic was undefined (NaN)
  double standard_error;  ///< sample standard deviation (ddof = 1) of the defined statistics
  double ci_low;          ///< (1 − confidence)/2 quantile of the defined statistics
  double ci_high;         ///< (1 + confidence)/2 quantile
};

/// Summarizes one statistic per bootstrap sample (NaN where undefined). Throws icl::error
/// "<function>: only K of B bootstrap samples <defined_means> (need at least 2)" when fewer
/// than two are defined.
inline bootstrap_summary summarize_bootstrap(const char* function, const std::vector<double>& statistics,
                                             double confidence, const char* defined_means) {
  std::vector<double> defined;
  defined.reserve(statistics.size());
  for (const double s : statistics) {
    if (!std::isnan(s)) defined.push_back(s);
  }
  if (defined.size() < 2) {
    throw_error(function, "only ", defined.size(), " of ", statistics.size(), " bootstrap samples ", defined_means,
                " (need at least 2)");
  }
  bootstrap_summary out{};
  out.skipped = statistics.size() - defined.size();
  double sum = 0.0;
  for (const double s : defined) sum += s;
  const double mean = sum / static_cast<double>(defined.size());
  double squares = 0.0;
  for (const double s : defined) squares += (s - mean) * (s - mean);
  out.standard_error = std::sqrt(squares / static_cast<double>(defined.size() - 1));
  std::sort(defined.begin(), defined.end());
  const double tail = 0.5 * (1.0 - confidence);
  out.ci_low = linear_quantile(defined, tail);
  out.ci_high = linear_quantile(defined, 1.0 - tail);
  return out;
}

}  // namespace icl::detail

#endif  // ICL_CORE_DETAIL_BOOTSTRAP_SUMMARY_HPP
