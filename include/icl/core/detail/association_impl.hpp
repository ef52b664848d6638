#ifndef ICL_CORE_DETAIL_ASSOCIATION_IMPL_HPP
#define ICL_CORE_DETAIL_ASSOCIATION_IMPL_HPP

/// Body of icl::stats::behaviour_association (icl/core/association.hpp). Not a public header.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <vector>

#include "icl/core/association_types.hpp"
#include "icl/core/detail/bootstrap_summary.hpp"
#include "icl/core/error.hpp"
#include "icl/core/parallel.hpp"
#include "icl/core/random.hpp"
#include "icl/core/rank.hpp"
#include "icl/core/stats.hpp"
#include "icl/core/view.hpp"

namespace icl::detail {

inline constexpr double association_nan = std::numeric_limits<double>::quiet_NaN();

/// Checks the options of behaviour_association.
inline void check_association_params(const char* fn, const stats::association_params& p) {
  if (p.statistic != stats::correlation::pearson && p.statistic != stats::correlation::spearman) {
    throw_invalid(fn, "unknown correlation value ", static_cast<int>(p.statistic));
  }
  check_alternative(fn, p.alt);
  if (p.nan != nan_policy::raise && p.nan != nan_policy::propagate && p.nan != nan_policy::omit) {
    throw_invalid(fn, "unknown nan_policy value ", static_cast<int>(p.nan));
  }
  if (p.bootstrap_samples == 1) throw_invalid(fn, "bootstrap_samples must be 0 (no interval) or >= 2, got 1");
  if (p.bootstrap_samples > 0 && !(p.confidence > 0.0 && p.confidence < 1.0)) {
    throw_invalid(fn, "confidence must lie strictly between 0 and 1, got ", p.confidence);
  }
}

/// The pairs of x and y as doubles; NaN/Inf handled by `policy` (raise: throw naming the vector
/// and index; omit: dropped; propagate: kept, `has_non_finite` set).
template <class T>
void association_pairs(const char* fn, tensor_view<const T, 1> x, tensor_view<const T, 1> y, nan_policy policy,
                       std::vector<double>& xs, std::vector<double>& ys, bool& has_non_finite) {
  static_check_element<T>();
  if (x.extent(0) != y.extent(0)) throw_invalid(fn, "x has ", x.extent(0), " values, y has ", y.extent(0));
  const std::size_t n = x.extent(0);
  if ((x.data() == nullptr || y.data() == nullptr) && n != 0) throw_invalid(fn, "x or y has a null data pointer");
  xs.clear();
  ys.clear();
  has_non_finite = false;
  for (std::size_t i = 0; i < n; ++i) {
    const double a = to_double(x(i)), b = to_double(y(i));
    const bool finite_a = std::isfinite(a), finite_b = std::isfinite(b);
    if (!finite_a || !finite_b) {
      if (policy == nan_policy::raise) {
        throw_invalid(fn, finite_a ? "y" : "x", " value ", i, " is ", finite_a ? b : a, " (NaN/Inf not allowed)");
      }
      if (policy == nan_policy::omit) continue;
      has_non_finite = true;
    }
    xs.push_back(a);
    ys.push_back(b);
  }
  if (xs.size() < 3) {
    throw_invalid(fn, "need at least 3 pairs, got ", xs.size(), policy == nan_policy::omit ? " (after omitting NaN/Inf)" : "");
  }
}

/// v minus its mean, written to out; returns the sum of squares of the result.
inline double association_center(const std::vector<double>& v, std::vector<double>& out) {
  double sum = 0.0;
  for (const double value : v) sum += value;
  const double mean = sum / static_cast<double>(v.size());
  out.resize(v.size());
  double squares = 0.0;
  for (std::size_t i = 0; i < v.size(); ++i) {
    out[i] = v[i] - mean;
    squares += out[i] * out[i];
  }
  return squares;
}

inline bool association_constant(const std::vector<double>& v) noexcept {
  for (const double value : v) {
    if (value != v[0]) return false;
  }
  return true;
}

inline double association_clamp(double r) noexcept { return r > 1.0 ? 1.0 : (r < -1.0 ? -1.0 : r); }

/// Pearson r of (a, b), NaN when either spread is zero (or overflows).
inline double association_pearson(const std::vector<double>& a, const std::vector<double>& b,
                                  std::vector<double>& ca, std::vector<double>& cb) {
  const double saa = association_center(a, ca);
  const double sbb = association_center(b, cb);
  const double denominator = std::sqrt(saa) * std::sqrt(sbb);
  if (!(denominator > 0.0) || !std::isfinite(denominator)) return association_nan;
  double cross = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) cross += ca[i] * cb[i];
  return association_clamp(cross / denominator);
}

/// Average ranks (scipy rankdata 'average').
inline std::vector<double> association_ranks(const std::vector<double>& v, rank_workspace& ws) {
  std::vector<double> ranks(v.size());
  average_ranks_into(v.data(), v.size(), ranks.data(), ws);
  return ranks;
}

/// The r of `which` on (a, b); NaN when undefined. `ws`, `ca`, `cb` are reusable storage.
inline double association_r(stats::correlation which, const std::vector<double>& a, const std::vector<double>& b,
                            rank_workspace& ws, std::vector<double>& ca, std::vector<double>& cb) {
  if (which == stats::correlation::spearman) {
    return association_pearson(association_ranks(a, ws), association_ranks(b, ws), ca, cb);
  }
  return association_pearson(a, b, ca, cb);
}

/// p-value of a correlation r of n pairs from Student's t with n − 2 degrees of freedom.
inline double association_t_p_value(const char* fn, double r, std::size_t n, alternative alt) {
  const double df = static_cast<double>(n - 2);
  const double t = std::abs(r) >= 1.0 ? std::copysign(std::numeric_limits<double>::infinity(), r)
                                      : r * std::sqrt(df / ((1.0 - r) * (1.0 + r)));
  switch (alt) {
    case alternative::greater:
      return student_t_tail(fn, t, df);
    case alternative::less:
      return student_t_tail(fn, -t, df);
    case alternative::two_sided:
      break;
  }
  return std::min(1.0, 2.0 * student_t_tail(fn, std::abs(t), df));
}

/// Permutation p-value of r: y (as prepared in yc) is shuffled by counter_rng(seed, k) for
/// permutation k; r_k = Σ xc[i] yc[π(i)] · scale (means and norms are invariant under π).
inline double association_permutation_p(const std::vector<double>& xc, const std::vector<double>& yc, double scale,
                                        double observed, const stats::association_params& p) {
  const std::size_t n = xc.size(), count = p.permutations;
  const double slack = 1e-12 * std::abs(observed);
  constexpr std::size_t chunk_size = 256;
  const std::size_t chunks = (count + chunk_size - 1) / chunk_size;
  std::vector<std::size_t> chunk_counts(chunks, 0);
  parallel_for(0, chunks, [&](std::size_t chunk) {
    std::vector<std::size_t> order(n);
    const std::size_t first = chunk * chunk_size, last = std::min(first + chunk_size, count);
    std::size_t extreme = 0;
    for (std::size_t k = first; k < last; ++k) {
      for (std::size_t i = 0; i < n; ++i) order[i] = i;
      counter_rng rng(p.seed, k);
      rng.shuffle(order.begin(), n);
      double sum = 0.0;
      for (std::size_t i = 0; i < n; ++i) sum += xc[i] * yc[order[i]];
      const double r = association_clamp(sum * scale);
      bool hit = false;
      switch (p.alt) {
        case alternative::greater:
          hit = r >= observed - slack;
          break;
        case alternative::less:
          hit = r <= observed + slack;
          break;
        case alternative::two_sided:
          hit = std::abs(r) >= std::abs(observed) - slack;
          break;
      }
      if (hit) ++extreme;
    }
    chunk_counts[chunk] = extreme;
  });
  std::size_t extreme = 0;
  for (const std::size_t e : chunk_counts) extreme += e;
  return static_cast<double>(1 + extreme) / static_cast<double>(1 + count);
}

/// Paired bootstrap: sample k draws n indices with replacement from counter_rng(seed, k).
inline void association_bootstrap(const char* fn, const std::vector<double>& xs, const std::vector<double>& ys,
                                  const stats::association_params& p, stats::association_result& out) {
  const std::size_t n = xs.size(), count = p.bootstrap_samples;
  std::vector<double> statistics(count);
  constexpr std::size_t chunk_size = 32;
  const std::size_t chunks = (count + chunk_size - 1) / chunk_size;
  parallel_for(0, chunks, [&](std::size_t chunk) {
    std::vector<double> a(n), b(n), ca, cb;
    rank_workspace ws;
    const std::size_t first = chunk * chunk_size, last = std::min(first + chunk_size, count);
    for (std::size_t s = first; s < last; ++s) {
      counter_rng rng(p.seed, s);
      for (std::size_t i = 0; i < n; ++i) {
        const auto k = static_cast<std::size_t>(rng.uniform_below(n));
        a[i] = xs[k];
        b[i] = ys[k];
      }
      statistics[s] = (association_constant(a) || association_constant(b))
                          ? association_nan
                          : association_r(p.statistic, a, b, ws, ca, cb);
    }
  });
  const auto summary = summarize_bootstrap(fn, statistics, p.confidence, "had a non-constant x and y");
  out.bootstrap_skipped = summary.skipped;
  out.standard_error = summary.standard_error;
  out.ci_low = summary.ci_low;
  out.ci_high = summary.ci_high;
}

/// The body of icl::stats::behaviour_association.
template <class T>
stats::association_result behaviour_association(const char* fn, tensor_view<const T, 1> x, tensor_view<const T, 1> y,
                                                const stats::association_params& p) {
  check_association_params(fn, p);
  std::vector<double> xs, ys;
  bool non_finite = false;
  association_pairs(fn, x, y, p.nan, xs, ys, non_finite);
  const double nan = association_nan;
  const std::size_t n = xs.size();
  stats::association_result out{n,   nan, nan, nan, nan, nan, nan, nan, nan, nan, nan, nan,
                                 p.permutations, p.bootstrap_samples, 0};
  if (non_finite) return out;  // nan_policy::propagate
  const bool constant_x = association_constant(xs), constant_y = association_constant(ys);
  if (constant_x || constant_y) {
    if (p.nan == nan_policy::propagate) return out;
    const std::vector<double>& v = constant_x ? xs : ys;
    throw_invalid(fn, constant_x ? "x" : "y", " is constant (all ", n, " values equal ", v[0],
                  "): the correlation is undefined (use nan_policy::propagate to get NaN)");
  }
  std::vector<double> xc, yc, rx, ry;
  const double sxx = association_center(xs, xc);
  const double syy = association_center(ys, yc);
  rank_workspace ws;
  out.pearson_r = association_pearson(xs, ys, rx, ry);
  const std::vector<double> rank_x = association_ranks(xs, ws), rank_y = association_ranks(ys, ws);
  std::vector<double> rank_xc, rank_yc;
  const double srx = association_center(rank_x, rank_xc);
  const double sry = association_center(rank_y, rank_yc);
  out.spearman_r = association_pearson(rank_x, rank_y, rx, ry);
  if (std::isnan(out.pearson_r)) {
    if (p.nan == nan_policy::propagate) return out;
    throw_invalid(fn, "the spread of x or y is zero or overflows in double (sums of squared deviations ", sxx,
                  " and ", syy, "): the correlation is undefined");
  }
  double sxy = 0.0, sum_x = 0.0, sum_y = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    sxy += xc[i] * yc[i];
    sum_x += xs[i];
    sum_y += ys[i];
  }
  out.r_squared = out.pearson_r * out.pearson_r;
  out.slope = sxy / sxx;
  out.intercept = sum_y / static_cast<double>(n) - out.slope * (sum_x / static_cast<double>(n));
  const bool spearman = p.statistic == stats::correlation::spearman;
  out.statistic = spearman ? out.spearman_r : out.pearson_r;
  out.analytic_p_value = association_t_p_value(fn, out.statistic, n, p.alt);
  if (p.permutations > 0) {
    const std::vector<double>& a = spearman ? rank_xc : xc;
    const std::vector<double>& b = spearman ? rank_yc : yc;
    const double scale = spearman ? 1.0 / (std::sqrt(srx) * std::sqrt(sry)) : 1.0 / (std::sqrt(sxx) * std::sqrt(syy));
    out.p_value = association_permutation_p(a, b, scale, out.statistic, p);
  }
  if (p.bootstrap_samples > 0) association_bootstrap(fn, xs, ys, p, out);
  return out;
}

}  // namespace icl::detail

#endif  // ICL_CORE_DETAIL_ASSOCIATION_IMPL_HPP
