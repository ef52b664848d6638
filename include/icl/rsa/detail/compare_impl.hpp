#ifndef ICL_RSA_DETAIL_COMPARE_IMPL_HPP
#define ICL_RSA_DETAIL_COMPARE_IMPL_HPP

/// Kernels behind icl::rsa::compare (docs/metrics.md 1.4), the checks shared by every function where
/// two RDMs meet (check_rdm_pair, compare_checked), and the bodies of the functions of
/// icl/rsa/compare.hpp. Not a public header: include icl/rsa/compare.hpp.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "icl/core/condensed.hpp"
#include "icl/core/view.hpp"
#include "icl/core/detail/kendall.hpp"
#include "icl/core/error.hpp"
#include "icl/core/parallel.hpp"
#include "icl/core/rank.hpp"
#include "icl/rsa/types.hpp"

namespace icl::rsa::detail {

using icl::detail::throw_invalid;

inline constexpr double quiet_nan = std::numeric_limits<double>::quiet_NaN();

inline const char* comparison_name(comparison c) noexcept { return enum_name_or_null(c); }

/// Throws when `c` is not one of the enumerators (a bad cast from an integer).
inline void check_comparison(const char* fn, comparison c) {
  if (comparison_name(c) == nullptr) {
    throw_invalid(fn, "unknown comparison value ", static_cast<int>(c));
  }
}

/// True when the comparison divides by a spread that a constant vector makes zero
/// (docs/metrics.md 1.4: pearson, spearman, kendall_tau_b). tau-a, rho_a, cosine and
/// whitened_cosine have a defined value for every input.
inline bool undefined_for_constant(comparison c) noexcept {
  return c == comparison::pearson || c == comparison::spearman || c == comparison::kendall_tau_b;
}

inline bool is_constant(const double* x, std::size_t m) noexcept {
  for (std::size_t k = 1; k < m; ++k) {
    if (x[k] != x[0]) return false;
  }
  return true;
}

inline double clamp_unit(double r) noexcept { return r > 1.0 ? 1.0 : (r < -1.0 ? -1.0 : r); }

/// What the kernels do when the statistic is undefined for the input.
struct undefined_handling {
  const char* function;  ///< the public function, for messages
  bool raise;            ///< throw icl::invalid_argument (else return NaN)
};

[[noreturn]] inline void throw_constant(const undefined_handling& u, comparison c, const char* name, std::size_t m,
                                        double value) {
  throw_invalid(u.function, name, " is constant (all ", m, " values equal ", value, "): ", comparison_name(c),
                " is undefined (use nan_policy::propagate to get NaN)");
}

/// When c needs a spread and a or b is constant: throws (u.raise) or returns true (the caller
/// then returns NaN). Returns false when the statistic is defined.
inline bool constant_input(const double* a, const double* b, std::size_t m, comparison c,
                           const undefined_handling& u) {
  if (!undefined_for_constant(c)) return false;
  if (is_constant(a, m)) {
    if (u.raise) throw_constant(u, c, "a", m, a[0]);
    return true;
  }
  if (is_constant(b, m)) {
    if (u.raise) throw_constant(u, c, "b", m, b[0]);
    return true;
  }
  return false;
}

/// x minus its mean, written to out; returns the sum of squares of the result.
inline double center_into(const double* x, std::size_t m, double* out) {
  double sum = 0.0;
  for (std::size_t k = 0; k < m; ++k) sum += x[k];
  const double mean = sum / static_cast<double>(m);
  double squares = 0.0;
  for (std::size_t k = 0; k < m; ++k) {
    out[k] = x[k] - mean;
    squares += out[k] * out[k];
  }
  return squares;
}

inline double dot(const double* x, const double* y, std::size_t m) noexcept {
  double s = 0.0;
  for (std::size_t k = 0; k < m; ++k) s += x[k] * y[k];
  return s;
}

/// Pearson correlation as scipy.stats.pearsonr: centered cross product over the product of the
/// centered norms, clipped to [-1, 1]. Inputs must not be constant. When the spread underflows
/// to zero the result is undefined (handled like a constant vector).
inline double pearson_kernel(const double* a, const double* b, std::size_t m, const undefined_handling& u) {
  std::vector<double> ca(m);
  std::vector<double> cb(m);
  const double saa = center_into(a, m, ca.data());
  const double sbb = center_into(b, m, cb.data());
  const double denominator = std::sqrt(saa) * std::sqrt(sbb);
  if (!(denominator > 0.0) || !std::isfinite(denominator)) {
    if (u.raise) {
      throw_invalid(u.function, "the spread of a or b is zero or overflows in double (sum of squared deviations ",
                    saa, " and ", sbb, "): the correlation is undefined");
    }
    return quiet_nan;
  }
  return clamp_unit(dot(ca.data(), cb.data(), m) / denominator);
}

/// Average ranks (scipy rankdata 'average') minus their mean (m+1)/2.
inline void centered_ranks_into(const double* x, std::size_t m, double* out) {
  icl::detail::rank_workspace workspace;
  icl::detail::average_ranks_into(x, m, out, workspace);
  const double mean = 0.5 * static_cast<double>(m + 1);
  for (std::size_t k = 0; k < m; ++k) out[k] -= mean;
}

/// The centered ranks of a and of b, the two rankings side by side on the library's threads
/// when the vectors are long (each is one sort; together they are all of spearman's cost).
inline void centered_ranks_of_both(const double* a, const double* b, std::size_t m, std::vector<double>& ra,
                                   std::vector<double>& rb) {
  ra.resize(m);
  rb.resize(m);
  icl::detail::parallel_for_sized(0, 2, 2 * m, [&](std::size_t which) {
    if (which == 0) {
      centered_ranks_into(a, m, ra.data());
    } else {
      centered_ranks_into(b, m, rb.data());
    }
  });
}

/// Spearman's rho from centered average ranks: their Pearson correlation. Ranks are bounded by
/// m, so the norms neither underflow nor overflow; both are positive when neither input is
/// constant (checked before).
inline double spearman_from_centered_ranks(const double* ra, const double* rb, std::size_t m) noexcept {
  const double denominator = std::sqrt(dot(ra, ra, m)) * std::sqrt(dot(rb, rb, m));
  return clamp_unit(dot(ra, rb, m) / denominator);
}

/// Σ ca·cb, Σ ca², Σ cb² over the centered average ranks ca, cb of a and b.
struct centered_rank_sums {
  double ab = 0.0, aa = 0.0, bb = 0.0;
};

/// The sums behind spearman and rho_a. The two vectors are ranked side by side on the library's
/// threads when long, each into its own workspace, and the ranks kept as the integers 2·rank
/// (icl::detail::doubled_ranks): for long vectors they live in the sort's spare buffer and no
/// rank array is allocated, which matters where first touching fresh memory is slow (m = 2·10⁶
/// on the benchmark machine: 60 ms with two 16 MB rank arrays, 41 ms without;
/// docs/benchmarks.md, "Ranks"). The centered values (2·rank − (m + 1)) / 2 are exact, so the
/// sums equal those of centered double ranks added in the same order.
inline centered_rank_sums centered_rank_sums_of(const double* a, const double* b, std::size_t m) {
  icl::detail::rank_workspace workspace_a, workspace_b;
  const std::uint64_t* twice_a = nullptr;
  const std::uint64_t* twice_b = nullptr;
  icl::detail::parallel_for_sized(0, 2, 2 * m, [&](std::size_t which) {
    if (which == 0) {
      twice_a = icl::detail::doubled_ranks(a, m, workspace_a).data();
    } else {
      twice_b = icl::detail::doubled_ranks(b, m, workspace_b).data();
    }
  });
  centered_rank_sums sums;
  const auto twice_mean = static_cast<double>(m + 1);
  for (std::size_t k = 0; k < m; ++k) {
    const double ca = (static_cast<double>(twice_a[k]) - twice_mean) * 0.5;
    const double cb = (static_cast<double>(twice_b[k]) - twice_mean) * 0.5;
    sums.ab += ca * cb;
    sums.aa += ca * ca;
    sums.bb += cb * cb;
  }
  return sums;
}

/// Spearman's rho as scipy.stats.spearmanr: Pearson correlation of the average ranks.
inline double spearman_kernel(const double* a, const double* b, std::size_t m) {
  const centered_rank_sums s = centered_rank_sums_of(a, b, m);
  return clamp_unit(s.ab / (std::sqrt(s.aa) * std::sqrt(s.bb)));
}

/// 12 / (m^3 - m): the scale of rho_a (rsatoolbox compare_rho_a), in double.
inline double rho_a_scale(std::size_t m) noexcept {
  const auto md = static_cast<double>(m);
  return 12.0 / (md * md * md - md);
}

/// rho_a from centered average ranks.
inline double rho_a_from_centered_ranks(const double* ra, const double* rb, std::size_t m) noexcept {
  return dot(ra, rb, m) * rho_a_scale(m);
}

/// rho_a = 12 (r_a - mean)^T (r_b - mean) / (m^3 - m) on average ranks (rsatoolbox). A constant
/// vector has all ranks equal to the mean and gives 0, as in rsatoolbox.
inline double rho_a_kernel(const double* a, const double* b, std::size_t m) {
  return centered_rank_sums_of(a, b, m).ab * rho_a_scale(m);
}

/// Pair counts are exact only below m = 2^32 (m(m-1)/2 must fit in a signed 64-bit integer).
inline void check_kendall_size(const char* fn, std::size_t m) {
  if (static_cast<std::uint64_t>(m) >= (std::uint64_t{1} << 32)) {
    throw_invalid(fn, "Kendall's tau needs m < 2^32 values, got m = ", m);
  }
}

/// sqrt((total - ties_a)(total - ties_b)): the tau-b denominator (scipy.stats.kendalltau).
inline double tau_b_denominator(const icl::detail::kendall_counts& k) noexcept {
  return std::sqrt(static_cast<double>(k.total - k.ties_a)) * std::sqrt(static_cast<double>(k.total - k.ties_b));
}

/// Kendall tau-b (scipy.stats.kendalltau, variant 'b'); inputs must not be constant.
inline double kendall_tau_b_kernel(const double* a, const double* b, std::size_t m) {
  const icl::detail::kendall_counts k = icl::detail::kendall_count(a, b, m);
  return clamp_unit(static_cast<double>(k.concordant_minus_discordant()) / tau_b_denominator(k));
}

/// Kendall tau-a (rsatoolbox compare_kendall_tau_a): (C - D) / (m(m-1)/2), where a pair tied
/// in a or in b is neither concordant nor discordant; an all-tied vector gives 0.
inline double kendall_tau_a_kernel(const double* a, const double* b, std::size_t m) {
  const icl::detail::kendall_counts k = icl::detail::kendall_count(a, b, m);
  return clamp_unit(static_cast<double>(k.concordant_minus_discordant()) / static_cast<double>(k.total));
}

/// Cosine a^T b / (|a| |b|); 0 when either norm is 0 (rsatoolbox _cosine).
inline double cosine_kernel(const double* a, const double* b, std::size_t m) {
  const double na = std::sqrt(dot(a, a, m));
  const double nb = std::sqrt(dot(b, b, m));
  if (na == 0.0 || nb == 0.0) return 0.0;
  return clamp_unit(dot(a, b, m) / (na * nb));
}

/// The second-moment matrix G = -1/2 C D C of an RDM (docs/metrics.md 1.4), D the full symmetric
/// matrix with zero diagonal and C = I - 11^T/n, kept as its strict upper triangle (condensed
/// order) and its diagonal: the n x n matrix is never formed.
///
/// With r_i = (1/n) sum_j D_ij and r = (1/n) sum_i r_i:
///   G_ij = -1/2 (D_ij - r_i - r_j + r)   (i != j),      G_ii = r_i - r/2   (D_ii = 0).
/// The squared Frobenius norm counts every off-diagonal entry twice:
///   |G|_F^2 = 2 sum_{i<j} G_ij^2 + sum_i G_ii^2,
/// which is rsatoolbox's _cov_weighting vector (off-diagonal entries times sqrt 2, then the
/// diagonal) with no noise model.
struct second_moment {
  std::vector<double> upper;     ///< G_ij for i < j, condensed order
  std::vector<double> diagonal;  ///< G_ii
  double squared_norm = 0.0;     ///< |G|_F^2
};

inline second_moment double_center(const double* d, std::size_t n) {
  const std::size_t m = icl::detail::checked_pair_count("icl::rsa::compare", n);
  std::vector<double> row_mean(n, 0.0);
  for (std::size_t i = 0, k = 0; i < n; ++i) {
    for (std::size_t j = i + 1; j < n; ++j, ++k) {
      row_mean[i] += d[k];
      row_mean[j] += d[k];
    }
  }
  const auto nd = static_cast<double>(n);
  double grand = 0.0;
  for (double& r : row_mean) {
    r /= nd;
    grand += r;
  }
  grand /= nd;
  second_moment g;
  g.upper.resize(m);
  g.diagonal.resize(n);
  double off_squares = 0.0;
  for (std::size_t i = 0, k = 0; i < n; ++i) {
    for (std::size_t j = i + 1; j < n; ++j, ++k) {
      g.upper[k] = -0.5 * (d[k] - row_mean[i] - row_mean[j] + grand);
      off_squares += g.upper[k] * g.upper[k];
    }
  }
  double diagonal_squares = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    g.diagonal[i] = row_mean[i] - 0.5 * grand;
    diagonal_squares += g.diagonal[i] * g.diagonal[i];
  }
  g.squared_norm = 2.0 * off_squares + diagonal_squares;
  return g;
}

/// Frobenius inner product of two second-moment matrices.
inline double frobenius_inner(const second_moment& ga, const second_moment& gb) noexcept {
  return 2.0 * dot(ga.upper.data(), gb.upper.data(), ga.upper.size()) +
         dot(ga.diagonal.data(), gb.diagonal.data(), ga.diagonal.size());
}

/// Cosine of G_a and G_b as Frobenius vectors (= rsatoolbox compare_cosine_cov_weighted with
/// no noise model, = linear CKA of the implied second moments). O(m) time, O(m) memory. Only
/// an all-zero RDM has G = 0; its cosine is 0, as rsatoolbox's _cosine gives.
inline double whitened_cosine_kernel(const double* a, const double* b, std::size_t n) {
  const second_moment ga = double_center(a, n);
  const second_moment gb = double_center(b, n);
  if (ga.squared_norm == 0.0 || gb.squared_norm == 0.0) return 0.0;
  return clamp_unit(frobenius_inner(ga, gb) / (std::sqrt(ga.squared_norm) * std::sqrt(gb.squared_norm)));
}

/// The statistic for finite a, b of length m >= 2. `n` is the number of conditions (used by
/// whitened_cosine only; m must equal n(n-1)/2 there). Undefined cases throw or give NaN per u.
inline double statistic(const double* a, const double* b, std::size_t m, std::size_t n, comparison c,
                        const undefined_handling& u) {
  if (constant_input(a, b, m, c, u)) return quiet_nan;
  switch (c) {
    case comparison::pearson:
      return pearson_kernel(a, b, m, u);
    case comparison::spearman:
      return spearman_kernel(a, b, m);
    case comparison::kendall_tau_a:
      check_kendall_size(u.function, m);
      return kendall_tau_a_kernel(a, b, m);
    case comparison::kendall_tau_b:
      check_kendall_size(u.function, m);
      return kendall_tau_b_kernel(a, b, m);
    case comparison::rho_a:
      return rho_a_kernel(a, b, m);
    case comparison::cosine:
      return cosine_kernel(a, b, m);
    case comparison::whitened_cosine:
      return whitened_cosine_kernel(a, b, n);
  }
  check_comparison(u.function, c);
  return quiet_nan;
}

/// First non-finite entry of x, or m.
inline std::size_t first_non_finite(const double* x, std::size_t m) noexcept {
  for (std::size_t k = 0; k < m; ++k) {
    if (!std::isfinite(x[k])) return k;
  }
  return m;
}

/// compare() after the size checks: NaN/Inf policy, then the statistic. `n` as in statistic().
inline double compare_checked(const double* a, const double* b, std::size_t m, std::size_t n, comparison c,
                              nan_policy policy, const char* fn) {
  check_comparison(fn, c);
  if (m < 2) throw_invalid(fn, "need at least 2 pairs (m >= 2, i.e. n >= 3 conditions), got m = ", m);
  if (policy != nan_policy::raise && policy != nan_policy::propagate && policy != nan_policy::omit) {
    throw_invalid(fn, "unknown nan_policy value ", static_cast<int>(policy));
  }
  const std::size_t bad_a = first_non_finite(a, m);
  const std::size_t bad_b = first_non_finite(b, m);
  const undefined_handling u{fn, policy != nan_policy::propagate};
  if (bad_a == m && bad_b == m) return statistic(a, b, m, n, c, u);
  switch (policy) {
    case nan_policy::raise:
      if (bad_a != m) throw_invalid(fn, "a[", bad_a, "] is ", a[bad_a], " (NaN/Inf not allowed; m = ", m, ")");
      throw_invalid(fn, "b[", bad_b, "] is ", b[bad_b], " (NaN/Inf not allowed; m = ", m, ")");
    case nan_policy::propagate:
      return quiet_nan;
    case nan_policy::omit:
      break;
  }
  // omit: drop every position where a or b is NaN or Inf.
  if (c == comparison::whitened_cosine) {
    throw_invalid(fn, "nan_policy::omit is not supported for whitened_cosine (it needs the complete RDM)");
  }
  std::vector<double> kept_a;
  std::vector<double> kept_b;
  for (std::size_t k = 0; k < m; ++k) {
    if (std::isfinite(a[k]) && std::isfinite(b[k])) {
      kept_a.push_back(a[k]);
      kept_b.push_back(b[k]);
    }
  }
  if (kept_a.size() < 2) {
    throw_invalid(fn, "only ", kept_a.size(), " of m = ", m,
                  " pairs are finite in both a and b after nan_policy::omit");
  }
  return statistic(kept_a.data(), kept_b.data(), kept_a.size(), 0, c, u);
}

/// Two condensed RDMs must describe the same n conditions (both named with their lengths).
inline void check_same_conditions(const char* fn, std::size_t n_a, std::size_t m_a, std::size_t n_b,
                                  std::size_t m_b) {
  if (n_a != n_b) {
    throw_invalid(fn, "a has n = ", n_a, " conditions (m = ", m_a, ") but b has n = ", n_b, " (m = ", m_b, ")");
  }
}

/// The one check of a pair of RDMs, wherever two meet (compare, permutation_test,
/// bootstrap_compare, the alignment functions): the same n (both named), a condensed length
/// n(n-1)/2 for each, and n >= 3 conditions (m >= 2 pairs). Their entries are checked by
/// compare_checked, under the caller's nan_policy.
inline void check_rdm_pair(const char* fn, const rdm& a, const rdm& b) {
  check_same_conditions(fn, a.n(), a.size(), b.n(), b.size());
  for (const rdm* r : {&a, &b}) {
    if (r->size() != icl::detail::checked_pair_count(fn, r->n())) {
      throw_invalid(fn, r == &a ? "a" : "b", " holds ", r->size(), " condensed values for n = ", r->n(),
                    " conditions (expected n(n-1)/2)");
    }
  }
  if (a.n() < 3) throw_invalid(fn, "need n >= 3 conditions, got n = ", a.n());
}

/// check_rdm_pair for two condensed vectors of m_a and m_b values: each length must be
/// n(n-1)/2 (n inferred), the same n for both, n >= 3. Returns n.
inline std::size_t check_condensed_pair(const char* fn, std::size_t m_a, std::size_t m_b) {
  const std::size_t n_a = icl::detail::conditions_from_pair_count(fn, m_a);
  const std::size_t n_b = icl::detail::conditions_from_pair_count(fn, m_b);
  check_same_conditions(fn, n_a, m_a, n_b, m_b);
  if (n_a < 3) throw_invalid(fn, "need n >= 3 conditions, got n = ", n_a);
  return n_a;
}

/// compare() of two condensed vectors read in place: unit-stride views are compared where they
/// lie; another stride is first gathered into a contiguous copy (the statistics read contiguous
/// arrays).
inline double compare_views(const char* fn, tensor_view<const double, 1> a, tensor_view<const double, 1> b,
                            comparison c, const compare_params& params) {
  const std::size_t m = a.extent(0);
  if (m != b.extent(0)) {
    throw_invalid(fn, "a has ", m, " values but b has ", b.extent(0), " (sizes must match)");
  }
  std::vector<double> copy_a;
  std::vector<double> copy_b;
  auto contiguous = [m](tensor_view<const double, 1> v, std::vector<double>& copy) -> const double* {
    if (m < 2 || v.stride(0) == 1) return v.data();
    copy.resize(m);
    for (std::size_t k = 0; k < m; ++k) copy[k] = v(k);
    return copy.data();
  };
  const double* pa = contiguous(a, copy_a);
  const double* pb = contiguous(b, copy_b);
  std::size_t n = 0;
  if (c == comparison::whitened_cosine && m >= 2) n = icl::detail::conditions_from_pair_count(fn, m);
  return compare_checked(pa, pb, m, n, c, params.nan, fn);
}

/// compare() of two condensed vectors (compare_views over their contiguous storage).
inline double compare_vectors(const char* fn, const std::vector<double>& a, const std::vector<double>& b, comparison c,
                              const compare_params& params) {
  return compare_views(fn, make_tensor_view<double, 1>(a.data(), {a.size()}),
                       make_tensor_view<double, 1>(b.data(), {b.size()}), c, params);
}

/// compare() of two RDMs.
inline double compare_rdms(const char* fn, const rdm& a, const rdm& b, comparison c, const compare_params& params) {
  check_rdm_pair(fn, a, b);
  return compare_checked(a.condensed().data(), b.condensed().data(), a.size(), a.n(), c, params.nan, fn);
}

}  // namespace icl::rsa::detail

#endif  // ICL_RSA_DETAIL_COMPARE_IMPL_HPP
