#ifndef ICL_CORE_STATS_HPP
#define ICL_CORE_STATS_HPP

/// Distributions and tests used by the inference metrics (docs/metrics.md 1.5): the regularized
/// incomplete beta function, the Student t and standard normal tails, and Welch's t-test.
///
/// All arithmetic is in double. Accuracy: the Student t survival function agrees with
/// scipy.stats.t.sf to 4e-14 relative wherever the tail is above 1e-20 and to 4e-13 down to
/// 1e-300, for df from 1e-3 to 1e25 (the normal distribution beyond); details in
/// icl/core/detail/special_functions.hpp.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <string_view>
#include <utility>
#include <vector>

#include "icl/core/detail/special_functions.hpp"
#include "icl/core/error.hpp"
#include "icl/core/mann_whitney.hpp"
#include "icl/core/stats_types.hpp"

namespace icl {


namespace stats {

/// The regularized incomplete beta function I_x(a, b) = B(x; a, b) / B(a, b)
/// (scipy.special.betainc(a, b, x)), for a > 0, b > 0 and 0 <= x <= 1.
/// Throws icl::invalid_argument for parameters outside that range (NaN included).
inline double regularized_incomplete_beta(double a, double b, double x) {
  const char* fn = "icl::stats::regularized_incomplete_beta";
  if (!(a > 0.0) || !std::isfinite(a)) detail::throw_invalid(fn, "a must be finite and > 0, got ", a);
  if (!(b > 0.0) || !std::isfinite(b)) detail::throw_invalid(fn, "b must be finite and > 0, got ", b);
  if (!(x >= 0.0 && x <= 1.0)) detail::throw_invalid(fn, "x must lie in [0, 1], got ", x);
  return detail::incomplete_beta_pair(a, b, x).value;
}

/// The standard normal survival function P(Z > x) = ½ erfc(x / √2), accurate in the upper tail.
/// Throws icl::invalid_argument when x is NaN.
inline double normal_sf(double x) {
  if (std::isnan(x)) detail::throw_invalid("icl::stats::normal_sf", "x is NaN");
  constexpr double inv_sqrt2 = 0.70710678118654752440;
  return 0.5 * std::erfc(x * inv_sqrt2);
}

/// The standard normal cumulative distribution function P(Z <= x) = ½ erfc(−x / √2).
/// Throws icl::invalid_argument when x is NaN.
inline double normal_cdf(double x) {
  if (std::isnan(x)) detail::throw_invalid("icl::stats::normal_cdf", "x is NaN");
  constexpr double inv_sqrt2 = 0.70710678118654752440;
  return 0.5 * std::erfc(-x * inv_sqrt2);
}

}  // namespace stats

namespace detail {

/// P(T > t) for Student's t with df degrees of freedom; `function` names the caller in errors.
///
/// For r = |t| > 0, P(T > r) = ½ I_x(df/2, ½) with x = df / (df + r²) (the t density integrated
/// by the substitution x = df / (df + s²)). x and 1 − x = r² / (df + r²) are both formed from
/// u = r² / df, so that neither loses digits, and their logarithms from log1p (or, when u
/// overflows, from log(r / √df) directly), so the far tail does not underflow early.
inline double student_t_tail(const char* function, double t, double df) {
  if (std::isnan(t)) throw_invalid(function, "t is NaN");
  if (!(df > 0.0)) throw_invalid(function, "df must be > 0, got ", df);
  // Beyond df = 1e25 the t distribution is the normal one to double precision: the leading term
  // of the difference, P_t(T > t) − P(Z > t) ≈ φ(t)(t³ + t) / (4 df), is below 1e-19 relative
  // for every t whose tail does not underflow (t < 38). Above that the continued fraction's
  // coefficients (of size 1/df²) would underflow.
  if (df > 1e25) return stats::normal_sf(t);
  if (t == 0.0) return 0.5;
  if (std::isinf(t)) return t > 0.0 ? 0.0 : 1.0;

  const double s = std::abs(t) / std::sqrt(df);  // u = s²
  double x, y, log_x, log_y;
  if (s < 1e150) {
    const double u = s * s;
    x = 1.0 / (1.0 + u);
    y = u / (1.0 + u);
    log_x = -std::log1p(u);
    log_y = -std::log1p(1.0 / u);
  } else {
    // u = s² overflows: x = 1 / (1 + u) ≈ 1 / s² to within a relative 1e-300.
    log_x = -2.0 * std::log(s);
    x = std::exp(log_x);
    y = 1.0;
    log_y = 0.0;
  }
  const beta_pair half = incomplete_beta_pair(0.5 * df, 0.5, x, y, log_x, log_y);
  // Upper tail of |t| is ½ I; the lower tail of a negative t is its mirror image.
  return t > 0.0 ? 0.5 * half.value : 0.5 + 0.5 * half.complement;
}

}  // namespace detail

namespace stats {

/// The Student t survival function P(T > t) (scipy.stats.t.sf(t, df)) for real df > 0;
/// df = +inf (and any df > 1e25, where the two agree to double precision) gives the standard
/// normal. Throws icl::invalid_argument when t is NaN or df is not
/// > 0. Both tails are computed without cancellation (relative accuracy about 1e-14).
inline double student_t_sf(double t, double df) { return detail::student_t_tail("icl::stats::student_t_sf", t, df); }

/// The Student t cumulative distribution function P(T <= t) = P(T > −t) (scipy.stats.t.cdf).
/// Same domain and errors as student_t_sf.
inline double student_t_cdf(double t, double df) {
  return detail::student_t_tail("icl::stats::student_t_cdf", -t, df);
}

/// The result of Welch's two-sample t-test.
struct welch_result {
  double t;            ///< (mean_a − mean_b) / sqrt(var_a / n_a + var_b / n_b), ddof = 1 variances
  double df;           ///< Welch–Satterthwaite degrees of freedom (real-valued)
  double p_value;      ///< from the Student t distribution with df degrees of freedom
  double mean_a, mean_b;
  std::size_t n_a, n_b;
};

}  // namespace stats

namespace detail {

/// Mean and ddof = 1 variance of a sample, two passes (0 exactly for a constant sample); rejects
/// fewer than 2 values and NaN/Inf, naming the sample and the index.
inline void sample_moments(const char* function, const char* name, const std::vector<double>& v, double& mean,
                              double& variance) {
  if (v.size() < 2) {
    throw_invalid(function, "sample ", name, " has ", v.size(), " value(s), need at least 2");
  }
  double sum = 0.0;
  bool constant = true;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (!std::isfinite(v[i])) {
      throw_invalid(function, "sample ", name, " value ", i, " is ", v[i], " (NaN/Inf not allowed)");
    }
    sum += v[i];
    constant = constant && v[i] == v[0];
  }
  if (constant) {
    // Exactly zero variance; the rounded sum / n need not reproduce v[0] exactly.
    mean = v[0];
    variance = 0.0;
    return;
  }
  const double n = static_cast<double>(v.size());
  mean = sum / n;
  // Second pass about the mean, with the first-order correction of the rounding in the mean.
  double squares = 0.0;
  double residual = 0.0;
  for (const double value : v) {
    const double d = value - mean;
    squares += d * d;
    residual += d;
  }
  variance = (squares - residual * residual / n) / (n - 1.0);
  if (variance < 0.0) variance = 0.0;
}

}  // namespace detail

namespace stats {

/// Welch's unequal-variance t-test of two independent samples, the same test as
/// scipy.stats.ttest_ind(a, b, equal_var=False, alternative=...):
///   t  = (mean_a − mean_b) / sqrt(v_a + v_b),  v_k = var_k / n_k (sample variances, ddof = 1),
///   df = (v_a + v_b)² / (v_a² / (n_a − 1) + v_b² / (n_b − 1))   (Welch–Satterthwaite),
///   p  = 2 P(T > |t|) (two_sided), P(T > t) (greater: mean_a > mean_b), P(T < t) (less).
/// Throws icl::invalid_argument (message starting "icl::stats::welch_t_test") when a sample has
/// fewer than 2 values, holds NaN/Inf (named by sample and index), when both samples have zero
/// variance (t undefined), or for an unknown `alt`; icl::error when the statistic overflows
/// (values near the largest double).
inline welch_result welch_t_test(const std::vector<double>& a, const std::vector<double>& b,
                                 alternative alt = alternative::two_sided) {
  const char* fn = "icl::stats::welch_t_test";
  detail::check_alternative(fn, alt);
  double mean_a = 0.0, var_a = 0.0, mean_b = 0.0, var_b = 0.0;
  detail::sample_moments(fn, "a", a, mean_a, var_a);
  detail::sample_moments(fn, "b", b, mean_b, var_b);
  const double n_a = static_cast<double>(a.size());
  const double n_b = static_cast<double>(b.size());
  const double v_a = var_a / n_a;
  const double v_b = var_b / n_b;
  if (v_a == 0.0 && v_b == 0.0) {
    detail::throw_invalid(fn, "both samples have zero variance (t statistic undefined)");
  }
  // The Welch–Satterthwaite formula on v / max(v), which is free of overflow and underflow in the
  // squares; the ratio is scale invariant.
  const double scale = std::max(v_a, v_b);
  const double r_a = v_a / scale;
  const double r_b = v_b / scale;
  const double df = (r_a + r_b) * (r_a + r_b) / (r_a * r_a / (n_a - 1.0) + r_b * r_b / (n_b - 1.0));
  const double t = (mean_a - mean_b) / (std::sqrt(scale) * std::sqrt(r_a + r_b));
  if (!std::isfinite(t) || !std::isfinite(df) || !std::isfinite(mean_a) || !std::isfinite(mean_b)) {
    detail::throw_error(fn, "the statistic overflowed (t = ", t, ", df = ", df,
                        "); the values are too large for double arithmetic");
  }
  double p = 0.0;
  switch (alt) {
    case alternative::two_sided:
      p = std::min(1.0, 2.0 * detail::student_t_tail(fn, std::abs(t), df));
      break;
    case alternative::greater:
      p = detail::student_t_tail(fn, t, df);
      break;
    case alternative::less:
      p = detail::student_t_tail(fn, -t, df);
      break;
  }
  return welch_result{t, df, p, mean_a, mean_b, a.size(), b.size()};
}

}  // namespace stats
}  // namespace icl

#endif  // ICL_CORE_STATS_HPP
