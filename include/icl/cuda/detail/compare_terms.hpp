#ifndef ICL_CUDA_DETAIL_COMPARE_TERMS_HPP
#define ICL_CUDA_DETAIL_COMPARE_TERMS_HPP

/// The arithmetic of the device comparison of two condensed vectors a and b of m values
/// (icl::cuda::compare, icl/cuda/compare.cuh), as icl::rsa::compare computes it:
///   scan  (per element, merged over the grid): Σa, Σb, the first NaN/Inf of each, and whether
///         an element differs from element 0 (the CPU's constant-vector test);
///   sums  (per element): Σxy, Σx², Σy² over the terms x, y: a − mean(a) for pearson, a itself
///         for cosine, the centred average ranks (ranks.hpp) for spearman and rho_a;
///   then the outcome (defined, or which CPU error or NaN) and the statistic from the sums.
/// The permuted statistic of the permutation test is scale·Σ x[σ(k)] y[k] (the CPU's
/// permutation_kernel): permutation_scale and permuted_statistic below. whitened_cosine compares
/// the second-moment matrices G = −½·C·D·C of the two RDMs (the CPU's double_center): its terms
/// are G's strict upper triangle (condensed, from the rows' means of D and their mean) and its
/// diagonal, kept apart. No CUDA header and nothing of the library is included, so the CPU tests
/// run these functions as they are.

#include <cmath>
#include <cstddef>

#include "icl/config.hpp"
#include "icl/cuda/detail/host_device.hpp"
#include "icl/cuda/detail/permutation_index.hpp"  // unordered_position

namespace icl::detail::device {

/// The grid of the reductions over the m positions: blocks of reduction_threads threads, at most
/// reduction_max_blocks of them, each thread striding over the grid; each block merges its
/// threads' values by a fixed tree, and one thread merges the blocks' values in order.
inline constexpr unsigned reduction_threads = 256;
inline constexpr unsigned reduction_max_blocks = 1024;

ICL_HOST_DEVICE inline unsigned reduction_blocks(std::size_t m) noexcept {
  const std::size_t blocks = (m + reduction_threads - 1) / reduction_threads;
  return static_cast<unsigned>(blocks < reduction_max_blocks ? blocks : reduction_max_blocks);
}

/// The comparisons computed on the device.
enum class compare_kind : unsigned char { pearson, spearman, rho_a, cosine, whitened_cosine };

/// Whether the terms are centred average ranks (spearman, rho_a).
ICL_HOST_DEVICE inline bool compares_ranks(compare_kind k) noexcept {
  return k == compare_kind::spearman || k == compare_kind::rho_a;
}

/// Whether a constant vector makes the statistic undefined (pearson, spearman).
ICL_HOST_DEVICE inline bool needs_spread(compare_kind k) noexcept {
  return k == compare_kind::pearson || k == compare_kind::spearman;
}

/// x is neither NaN nor ±Inf.
ICL_HOST_DEVICE inline bool finite_value(double x) noexcept { return x - x == 0.0; }

/// r clipped to [-1, 1] (a NaN stays NaN), as the CPU's clamp_unit.
ICL_HOST_DEVICE inline double clip_unit(double r) noexcept { return r > 1.0 ? 1.0 : (r < -1.0 ? -1.0 : r); }

/// What the first pass finds in a and b. A plain aggregate (kernels keep it in shared memory).
struct pair_scan {
  double sum_a, sum_b;
  std::size_t bad_a, bad_b;  ///< first NaN/Inf position, m when none
  bool varies_a, varies_b;   ///< some element differs from element 0
};

ICL_HOST_DEVICE inline pair_scan empty_scan(std::size_t m) noexcept { return pair_scan{0.0, 0.0, m, m, false, false}; }

/// Adds position k (values a, b; a0, b0 the values at position 0).
ICL_HOST_DEVICE inline void scan_add(pair_scan& s, std::size_t k, double a, double b, double a0, double b0) noexcept {
  s.sum_a += a;
  s.sum_b += b;
  if (!finite_value(a) && k < s.bad_a) s.bad_a = k;
  if (!finite_value(b) && k < s.bad_b) s.bad_b = k;
  if (!(a == a0)) s.varies_a = true;
  if (!(b == b0)) s.varies_b = true;
}

/// Merges the scan of other positions into s.
ICL_HOST_DEVICE inline void scan_merge(pair_scan& s, const pair_scan& o) noexcept {
  s.sum_a += o.sum_a;
  s.sum_b += o.sum_b;
  if (o.bad_a < s.bad_a) s.bad_a = o.bad_a;
  if (o.bad_b < s.bad_b) s.bad_b = o.bad_b;
  s.varies_a = s.varies_a || o.varies_a;
  s.varies_b = s.varies_b || o.varies_b;
}

/// The mean of m values that sum to `sum` (the CPU's sum / m).
ICL_HOST_DEVICE inline double mean_of(double sum, std::size_t m) noexcept { return sum / static_cast<double>(m); }

/// The sums of the second pass.
struct pair_sums {
  double xy, xx, yy;
};

ICL_HOST_DEVICE inline pair_sums empty_sums() noexcept { return pair_sums{0.0, 0.0, 0.0}; }

ICL_HOST_DEVICE inline void sums_add(pair_sums& s, double x, double y) noexcept {
  s.xy += x * y;
  s.xx += x * x;
  s.yy += y * y;
}

ICL_HOST_DEVICE inline void sums_merge(pair_sums& s, const pair_sums& o) noexcept {
  s.xy += o.xy;
  s.xx += o.xx;
  s.yy += o.yy;
}

/// The term of a value v in the sums: v − mean for pearson; v otherwise (cosine reads the
/// values, spearman and rho_a their centred ranks).
ICL_HOST_DEVICE inline double compare_term(compare_kind k, double v, double mean) noexcept {
  return k == compare_kind::pearson ? v - mean : v;
}

/// whitened_cosine: the mean of row i of the n x n matrix D given by its condensed vector d
/// (zero diagonal), its entries added in column order (the CPU's order).
ICL_HOST_DEVICE inline double condensed_row_mean(const double* d, std::size_t n, std::size_t i) noexcept {
  double sum = 0.0;
  for (std::size_t j = 0; j < n; ++j) {
    if (j != i) sum += d[unordered_position(n, i, j)];
  }
  return mean_of(sum, n);
}

/// G_ij (i != j) of the entry d = D_ij, from the rows' means r_i, r_j and their mean r.
ICL_HOST_DEVICE inline double second_moment_upper(double d, double ri, double rj, double r) noexcept {
  return -0.5 * (d - ri - rj + r);
}

/// G_ii from the row's mean r_i and the mean r of the rows' means.
ICL_HOST_DEVICE inline double second_moment_diagonal(double ri, double r) noexcept { return ri - 0.5 * r; }

/// The squared Frobenius norms of G_a and G_b, 2·Σ upper² + Σ diagonal², from the sums of the
/// strict upper triangles (off) and of the diagonals.
ICL_HOST_DEVICE inline void second_moment_norms(const pair_sums& off, const pair_sums& diagonal, double& na,
                                                double& nb) noexcept {
  na = 2.0 * off.xx + diagonal.xx;
  nb = 2.0 * off.yy + diagonal.yy;
}

/// 12 / (m³ − m), the scale of rho_a (the CPU's rho_a_scale).
ICL_HOST_DEVICE inline double rho_a_factor(std::size_t m) noexcept {
  const auto md = static_cast<double>(m);
  return 12.0 / (md * md * md - md);
}

/// Whether the statistic is defined, or which error the CPU raises (in its order of checks:
/// NaN/Inf in a, in b; a constant a, b; a pearson spread that is zero or not finite).
enum class compare_outcome : unsigned char { defined, non_finite_a, non_finite_b, constant_a, constant_b, no_spread };

ICL_HOST_DEVICE inline compare_outcome outcome_of(compare_kind k, const pair_scan& s, const pair_sums& sums,
                                                  std::size_t m) noexcept {
  if (s.bad_a < m) return compare_outcome::non_finite_a;
  if (s.bad_b < m) return compare_outcome::non_finite_b;
  if (needs_spread(k) && !s.varies_a) return compare_outcome::constant_a;
  if (needs_spread(k) && !s.varies_b) return compare_outcome::constant_b;
  if (k == compare_kind::pearson) {
    const double denominator = std::sqrt(sums.xx) * std::sqrt(sums.yy);
    if (!(denominator > 0.0) || !finite_value(denominator)) return compare_outcome::no_spread;
  }
  return compare_outcome::defined;
}

/// The statistic from the sums of a defined comparison (NaN when the outcome is not defined);
/// `diagonal` holds the sums over G's diagonals (whitened_cosine only).
ICL_HOST_DEVICE inline double statistic_of(compare_kind k, compare_outcome outcome, const pair_sums& s,
                                           const pair_sums& diagonal, std::size_t m) noexcept {
  if (outcome != compare_outcome::defined) return quiet_nan();
  switch (k) {
    case compare_kind::whitened_cosine: {
      double na = 0.0, nb = 0.0;
      second_moment_norms(s, diagonal, na, nb);
      return na == 0.0 || nb == 0.0 ? 0.0 : clip_unit((2.0 * s.xy + diagonal.xy) / (std::sqrt(na) * std::sqrt(nb)));
    }
    case compare_kind::rho_a:
      return s.xy * rho_a_factor(m);
    case compare_kind::cosine: {
      const double na = std::sqrt(s.xx), nb = std::sqrt(s.yy);
      return na == 0.0 || nb == 0.0 ? 0.0 : clip_unit(s.xy / (na * nb));
    }
    case compare_kind::pearson:
    case compare_kind::spearman:
      break;
  }
  return clip_unit(s.xy / (std::sqrt(s.xx) * std::sqrt(s.yy)));
}

/// The factor of the permuted statistic, scale·Σ x[σ(k)] y[k] (the CPU's permutation_kernel):
/// 1/(‖x‖‖y‖) for pearson and spearman, 12/(m³ − m) for rho_a, 1/(‖a‖‖b‖) or 0 for cosine,
/// 1/(‖G_a‖‖G_b‖) or 0 for whitened_cosine.
ICL_HOST_DEVICE inline double permutation_scale(compare_kind k, const pair_sums& s, const pair_sums& diagonal,
                                                std::size_t m) noexcept {
  switch (k) {
    case compare_kind::whitened_cosine: {
      double na = 0.0, nb = 0.0;
      second_moment_norms(s, diagonal, na, nb);
      return na == 0.0 || nb == 0.0 ? 0.0 : 1.0 / (std::sqrt(na) * std::sqrt(nb));
    }
    case compare_kind::rho_a:
      return rho_a_factor(m);
    case compare_kind::cosine: {
      const double na = std::sqrt(s.xx), nb = std::sqrt(s.yy);
      return na == 0.0 || nb == 0.0 ? 0.0 : 1.0 / (na * nb);
    }
    case compare_kind::pearson:
    case compare_kind::spearman:
      break;
  }
  return 1.0 / (std::sqrt(s.xx) * std::sqrt(s.yy));
}

/// The statistic of one permutation from its permuted sum Σ x[σ(k)] y[k] (and, for
/// whitened_cosine, its permuted diagonal sum Σ x_diag[π(i)] y_diag[i]).
ICL_HOST_DEVICE inline double permuted_statistic(compare_kind k, double dot, double diagonal, double scale) noexcept {
  if (k == compare_kind::whitened_cosine) return clip_unit((2.0 * dot + diagonal) * scale);
  return k == compare_kind::rho_a ? dot * scale : clip_unit(dot * scale);
}

/// The tails of the test (icl::alternative's enumerators, in a type the device knows).
enum class test_tail : unsigned char { two_sided, greater, less };

/// Whether a permuted statistic s counts as at least as extreme as the observed one, with the
/// CPU's relative slack of 1e-12·|observed|.
ICL_HOST_DEVICE inline bool counts_as_extreme(test_tail tail, double s, double observed) noexcept {
  const double slack = 1e-12 * std::fabs(observed);
  if (tail == test_tail::greater) return s >= observed - slack;
  if (tail == test_tail::less) return s <= observed + slack;
  return std::fabs(s) >= std::fabs(observed) - slack;
}

}  // namespace icl::detail::device

#endif  // ICL_CUDA_DETAIL_COMPARE_TERMS_HPP
