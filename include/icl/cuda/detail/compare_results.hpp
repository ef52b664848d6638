#ifndef ICL_CUDA_DETAIL_COMPARE_RESULTS_HPP
#define ICL_CUDA_DETAIL_COMPARE_RESULTS_HPP

/// Host-side glue of the device comparison and permutation test (icl/cuda/compare.cuh): which
/// comparisons run on the device, the argument checks and errors of icl::rsa::compare and
/// icl::rsa::permutation_test (the CPU's checks where they are functions, and its messages,
/// in its order), the summary the device hands back, and the permutations drawn on the host as
/// the CPU draws them. Kept apart from the arithmetic (compare_terms.hpp, permutation_index.hpp),
/// which includes nothing of the library.

#include <cstddef>
#include <cstdint>

#include "icl/core/error.hpp"
#include "icl/core/random.hpp"
#include "icl/core/stats_types.hpp"
#include "icl/cuda/detail/compare_terms.hpp"
#include "icl/rsa/detail/compare_impl.hpp"
#include "icl/rsa/types.hpp"

namespace icl::detail::device {

/// What the device hands back after a comparison: one copy, one wait.
struct compare_summary {
  pair_scan scan;
  pair_sums sums;
  pair_sums diagonal;               ///< whitened_cosine: the sums over G's diagonals
  double grand_a, grand_b;          ///< whitened_cosine: the means of the rows' means
  double a0, b0;                    ///< the first values (named by the constant-vector error)
  double bad_a_value, bad_b_value;  ///< the first NaN/Inf values (0 when none)
  compare_outcome outcome;
  double statistic;  ///< NaN unless the outcome is defined
  double scale;      ///< permutation_scale of the sums
};

/// The device kind of c; throws icl::invalid_argument for an unknown enumerator (the CPU's
/// message) and for the comparisons that are computed on the host only.
inline compare_kind device_comparison(const char* fn, icl::rsa::comparison c) {
  using icl::rsa::comparison;
  icl::rsa::detail::check_comparison(fn, c);
  switch (c) {
    case comparison::pearson: return compare_kind::pearson;
    case comparison::spearman: return compare_kind::spearman;
    case comparison::rho_a: return compare_kind::rho_a;
    case comparison::cosine: return compare_kind::cosine;
    case comparison::whitened_cosine: return compare_kind::whitened_cosine;
    default: break;
  }
  throw_invalid(fn, icl::rsa::detail::comparison_name(c),
                " is not computed on the device (pearson, spearman, rho_a, cosine and whitened_cosine are); use "
                "icl::rsa::compare or icl::rsa::permutation_test on the host");
}

/// The CPU's checks of a comparison of m values under `policy` before any value is read (m >= 2,
/// a known policy), then the device's own limits: no nan_policy::omit (dropping positions needs
/// a compaction the device path does not do), and fewer than 2^32 values for the rank
/// comparisons (positions are 32-bit in the device sort).
inline void check_compare_size(const char* fn, compare_kind kind, std::size_t m, icl::nan_policy policy) {
  if (m < 2) throw_invalid(fn, "need at least 2 pairs (m >= 2, i.e. n >= 3 conditions), got m = ", m);
  if (policy != icl::nan_policy::raise && policy != icl::nan_policy::propagate && policy != icl::nan_policy::omit) {
    throw_invalid(fn, "unknown nan_policy value ", static_cast<int>(policy));
  }
  if (policy == icl::nan_policy::omit) {
    throw_invalid(fn, "nan_policy::omit is not supported on the device (use raise or propagate)");
  }
  if (compares_ranks(kind) && static_cast<std::uint64_t>(m) > 0xffffffffULL) {
    throw_invalid(fn, "ranks on the device need m < 2^32 values, got m = ", m);
  }
}

/// The size check of two condensed vectors (the CPU's vector overload of compare).
inline void check_same_size(const char* fn, std::size_t m_a, std::size_t m_b) {
  if (m_a != m_b) throw_invalid(fn, "a has ", m_a, " values but b has ", m_b, " (sizes must match)");
}

/// Under nan_policy::raise: throws what icl::rsa::compare throws for the summary's outcome
/// (nothing when it is defined). Under propagate the statistic is already NaN.
inline void raise_compare_outcome(const char* fn, icl::rsa::comparison c, const compare_summary& s, std::size_t m,
                                  icl::nan_policy policy) {
  if (policy != icl::nan_policy::raise) return;
  const icl::rsa::detail::undefined_handling raise{fn, true};
  switch (s.outcome) {
    case compare_outcome::defined:
      return;
    case compare_outcome::non_finite_a:
      throw_invalid(fn, "a[", s.scan.bad_a, "] is ", s.bad_a_value, " (NaN/Inf not allowed; m = ", m, ")");
    case compare_outcome::non_finite_b:
      throw_invalid(fn, "b[", s.scan.bad_b, "] is ", s.bad_b_value, " (NaN/Inf not allowed; m = ", m, ")");
    case compare_outcome::constant_a:
      icl::rsa::detail::throw_constant(raise, c, "a", m, s.a0);
    case compare_outcome::constant_b:
      icl::rsa::detail::throw_constant(raise, c, "b", m, s.b0);
    case compare_outcome::no_spread:
      break;
  }
  throw_invalid(fn, "the spread of a or b is zero or overflows in double (sum of squared deviations ", s.sums.xx,
                " and ", s.sums.yy, "): the correlation is undefined");
}

/// The checks of icl::rsa::permutation_test after the pair's sizes (same order and messages):
/// N >= 1, a known alternative, no nan_policy::omit. Returns the tail.
inline test_tail check_permutation_params(const char* fn, const icl::rsa::permutation_params& params) {
  if (params.permutations == 0) throw_invalid(fn, "need at least 1 permutation, got 0");
  check_alternative(fn, params.alt);
  if (params.nan == icl::nan_policy::omit) {
    throw_invalid(fn, "nan_policy::omit is not supported (use raise or propagate)");
  }
  return params.alt == icl::alternative::greater ? test_tail::greater
         : params.alt == icl::alternative::less  ? test_tail::less
                                                 : test_tail::two_sided;
}

/// Permutations first .. first + count − 1 of n conditions, drawn as icl::rsa::permutation_test
/// draws them (permutation k: the identity shuffled by icl::counter_rng(seed, k)), into
/// out[(k − first)·n + i] = π_k(i).
inline void draw_permutations(std::uint64_t seed, std::size_t first, std::size_t count, std::size_t n,
                              std::uint32_t* out) {
  for (std::size_t k = 0; k < count; ++k) {
    std::uint32_t* order = out + k * n;
    for (std::size_t i = 0; i < n; ++i) order[i] = static_cast<std::uint32_t>(i);
    icl::counter_rng rng(seed, first + k);
    rng.shuffle(order, n);
  }
}

/// p = (1 + extreme) / (1 + N).
inline double permutation_p_value(std::uint64_t extreme, std::size_t count) noexcept {
  return static_cast<double>(1 + extreme) / static_cast<double>(1 + count);
}

}  // namespace icl::detail::device

#endif  // ICL_CUDA_DETAIL_COMPARE_RESULTS_HPP
