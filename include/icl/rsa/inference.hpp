#ifndef ICL_RSA_INFERENCE_HPP
#define ICL_RSA_INFERENCE_HPP

/// Inference on RDM comparisons (METRICS.md 1.5): a permutation test over condition labels and
/// a bootstrap over conditions. Both are deterministic for a given seed: work item k draws from
/// icl::counter_rng(seed, k), so results do not depend on the number of threads.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "icl/core/error.hpp"
#include "icl/core/parallel.hpp"
#include "icl/core/random.hpp"
#include "icl/core/stats.hpp"
#include "icl/rsa/compare.hpp"
#include "icl/rsa/detail/inference_impl.hpp"
#include "icl/rsa/rdm_type.hpp"

namespace icl::rsa {

/// The alternative hypothesis: icl::alternative (icl/core/stats.hpp) — two_sided, greater, less.
using icl::alternative;

/// Options of permutation_test().
struct permutation_params {
  /// Number of random permutations N (default 10000); must be >= 1.
  std::size_t permutations = 10000;
  /// Seed of the counter-based generator (default 0): permutation k is drawn from
  /// icl::counter_rng(seed, k), so the p-value is the same at any thread count.
  std::uint64_t seed = 0;
  /// Tail of the test (default two_sided):
  ///   two_sided : p = (1 + #{|s_k| >= |s_obs|}) / (1 + N);
  ///   greater   : p = (1 + #{s_k >= s_obs}) / (1 + N);
  ///   less      : p = (1 + #{s_k <= s_obs}) / (1 + N).
  /// The comparisons allow a relative tolerance of 1e-12 of |s_obs|, so permutations whose
  /// statistic equals the observed one up to rounding count as ties (they always count).
  alternative alt = alternative::two_sided;
  /// NaN/Inf entries and undefined statistics (default nan_policy::raise): raise throws as
  /// compare() does; propagate returns a NaN statistic and p-value; omit is not supported
  /// (a permutation moves entries, so dropped positions would differ per permutation).
  nan_policy nan = nan_policy::raise;
  /// Return the N permuted statistics in permutation_result::null_distribution (default false).
  bool keep_null = false;
};

/// Result of permutation_test().
struct permutation_result {
  double statistic;          ///< the observed statistic compare(a, b, c)
  double p_value;            ///< in (0, 1]: (1 + count) / (1 + permutations)
  std::size_t permutations;  ///< N, the number of random permutations
  /// The permuted statistics in permutation order (permutation k at index k) when
  /// permutation_params::keep_null is set; empty otherwise.
  std::vector<double> null_distribution;
};

/// Permutation test of compare(a, b, c) against the null of exchangeable condition labels
/// (METRICS.md 1.5): the conditions of `a` are permuted (rows and columns together) N times.
///
/// Parameters:
///   a, b   : RDMs of the same n >= 3 conditions.
///   c      : the comparison (any; see icl::rsa::comparison).
///   params : permutation_params (defaults: 10000 permutations, seed 0, two-sided, raise,
///            no null distribution kept).
///
/// Returns the observed statistic, the p-value and N (and the null distribution if asked).
/// Cost: everything invariant under a permutation (ranks, means, norms, the double-centered
/// G matrices, sort orders and tie counts) is computed once. Each permutation then costs O(m)
/// for pearson, spearman, rho_a, cosine and whitened_cosine (a re-indexing of the prepared
/// condensed vector, never a re-sort), and O(m log m) for kendall_tau_a and kendall_tau_b
/// (b's sorted order is computed once; per permutation the ranks of the permuted a values are
/// laid out in that order, runs of tied b sorted, and the inversions counted by merge sort).
/// Permutations run in parallel (OpenMP when enabled), in chunks with their own scratch
/// buffers; O(m) memory per thread.
/// Throws icl::invalid_argument ("icl::rsa::permutation_test: ...") for a.n() != b.n(), n < 3,
/// N = 0, an unknown alternative, comparison or nan_policy, nan_policy::omit, and for NaN/Inf
/// entries or an undefined observed statistic under nan_policy::raise (as compare() does).
inline permutation_result permutation_test(const rdm& a, const rdm& b, comparison c, const permutation_params& params);

/// Two-sided permutation test with N = `permutations` and the given seed (API.md); the other
/// options at their permutation_params defaults.
inline permutation_result permutation_test(const rdm& a, const rdm& b, comparison c, std::size_t permutations,
                                           std::uint64_t seed);

/// Options of bootstrap_compare().
struct bootstrap_params {
  /// Number of bootstrap samples B (default 1000); must be >= 2.
  std::size_t samples = 1000;
  /// Coverage of the percentile interval (default 0.95), strictly between 0 and 1.
  double confidence = 0.95;
  /// Seed (default 0): sample k is drawn from icl::counter_rng(seed, k).
  std::uint64_t seed = 0;
};

/// Result of bootstrap_compare().
struct bootstrap_result {
  double statistic;       ///< the observed statistic compare(a, b, c)
  double ci_low;          ///< the (1 - confidence)/2 quantile of the bootstrap statistics
  double ci_high;         ///< the 1 - (1 - confidence)/2 quantile
  double standard_error;  ///< standard deviation (ddof = 1) of the bootstrap statistics
  std::size_t samples;    ///< B, the number of samples drawn
  std::size_t skipped;    ///< samples whose statistic was undefined, left out of the above
};

/// Bootstrap over conditions (METRICS.md 1.5): each sample draws n conditions with
/// replacement and compares the RDMs restricted to the draw.
///
/// For a draw d_0..d_{n-1}, the resampled condensed vectors hold a(d_k, d_l) and b(d_k, d_l)
/// for every k < l with d_k != d_l: pairs of a condition with its own copy are dropped
/// (rsatoolbox convention), pairs between copies of different conditions are repeated. A sample
/// whose statistic is undefined (fewer than 2 pairs left, or a constant resampled vector under
/// pearson, spearman or kendall_tau_b) is skipped and counted in bootstrap_result::skipped.
/// The interval is the percentile interval with numpy's 'linear' quantiles.
///
/// Parameters:
///   a, b   : RDMs of the same n >= 3 conditions, finite entries.
///   c      : the comparison; every one except whitened_cosine (a resampled list of pairs with
///            repeats is not the RDM of any set of conditions, so G = -1/2 C D C is not defined
///            for it).
///   params : bootstrap_params (defaults: 1000 samples, 95% interval, seed 0).
///
/// Cost: O(B m) for pearson, cosine, spearman and rho_a (each resample is ranked by counting
/// over the dense ranks of a and b, computed once), O(B m log m) for the Kendall taus; samples
/// run in parallel, each with its own buffers; O(B) memory for the statistics.
/// Throws icl::invalid_argument ("icl::rsa::bootstrap_compare: ...") for a.n() != b.n(), n < 3,
/// B < 2, a confidence outside (0, 1), whitened_cosine, an unknown comparison, NaN/Inf entries
/// or an undefined observed statistic; icl::error when fewer than 2 samples give a defined
/// statistic.
inline bootstrap_result bootstrap_compare(const rdm& a, const rdm& b, comparison c,
                                          const bootstrap_params& params = {});

// ---- implementation ------------------------------------------------------------------------

namespace detail {

/// Checks shared by the inference functions: sizes, n >= 3, a consistent condensed length.
inline void check_rdm_pair(const char* fn, const rdm& a, const rdm& b) {
  if (a.n() != b.n()) {
    icl::detail::throw_invalid(fn, "a has n = ", a.n(), " conditions but b has n = ", b.n());
  }
  for (const rdm* r : {&a, &b}) {
    if (r->size() != icl::detail::checked_pair_count(fn, r->n())) {
      icl::detail::throw_invalid(fn, r == &a ? "a" : "b", " holds ", r->size(), " condensed values for n = ", r->n(),
                                 " conditions (expected n(n-1)/2)");
    }
  }
  if (a.n() < 3) icl::detail::throw_invalid(fn, "need n >= 3 conditions, got n = ", a.n());
}

}  // namespace detail

inline permutation_result permutation_test(const rdm& a, const rdm& b, comparison c,
                                           const permutation_params& params) {
  const char* fn = "icl::rsa::permutation_test";
  detail::check_comparison(fn, c);
  detail::check_rdm_pair(fn, a, b);
  const std::size_t count = params.permutations;
  if (count == 0) icl::detail::throw_invalid(fn, "need at least 1 permutation, got 0");
  const alternative alt = params.alt;
  if (alt != alternative::two_sided && alt != alternative::greater && alt != alternative::less) {
    icl::detail::throw_invalid(fn, "unknown alternative ", static_cast<int>(alt));
  }
  if (params.nan == nan_policy::omit) {
    icl::detail::throw_invalid(fn, "nan_policy::omit is not supported (use raise or propagate)");
  }
  if (c == comparison::kendall_tau_a || c == comparison::kendall_tau_b) detail::check_kendall_size(fn, a.size());

  permutation_result result{0.0, 0.0, count, {}};
  result.statistic = detail::compare_checked(a.condensed().data(), b.condensed().data(), a.size(), a.n(), c,
                                             params.nan, fn);
  if (std::isnan(result.statistic)) {
    result.p_value = detail::quiet_nan;
    return result;
  }
  const double observed = result.statistic;
  const double slack = 1e-12 * std::abs(observed);
  const auto counts_as_extreme = [&](double s) {
    switch (alt) {
      case alternative::greater:
        return s >= observed - slack;
      case alternative::less:
        return s <= observed + slack;
      case alternative::two_sided:
        break;
    }
    return std::abs(s) >= std::abs(observed) - slack;
  };

  const detail::permutation_kernel kernel(a, b, c);
  const std::size_t n = a.n();
  if (params.keep_null) result.null_distribution.resize(count);
  constexpr std::size_t chunk_size = 64;
  const std::size_t chunks = (count + chunk_size - 1) / chunk_size;
  std::vector<std::size_t> chunk_counts(chunks, 0);
  icl::detail::parallel_for(0, chunks, [&](std::size_t chunk) {
    detail::permutation_scratch scratch;
    scratch.order.resize(n);
    const std::size_t first = chunk * chunk_size;
    const std::size_t last = std::min(first + chunk_size, count);
    std::size_t extreme = 0;
    for (std::size_t k = first; k < last; ++k) {
      for (std::size_t i = 0; i < n; ++i) scratch.order[i] = i;
      counter_rng rng(params.seed, k);
      rng.shuffle(scratch.order.begin(), n);
      const double s = kernel.evaluate(scratch.order, scratch);
      if (counts_as_extreme(s)) ++extreme;
      if (params.keep_null) result.null_distribution[k] = s;
    }
    chunk_counts[chunk] = extreme;
  });
  std::size_t extreme = 0;
  for (const std::size_t e : chunk_counts) extreme += e;
  result.p_value = static_cast<double>(1 + extreme) / static_cast<double>(1 + count);
  return result;
}

inline permutation_result permutation_test(const rdm& a, const rdm& b, comparison c, std::size_t permutations,
                                           std::uint64_t seed) {
  permutation_params params;
  params.permutations = permutations;
  params.seed = seed;
  return permutation_test(a, b, c, params);
}

inline bootstrap_result bootstrap_compare(const rdm& a, const rdm& b, comparison c, const bootstrap_params& params) {
  const char* fn = "icl::rsa::bootstrap_compare";
  detail::check_comparison(fn, c);
  if (c == comparison::whitened_cosine) {
    icl::detail::throw_invalid(fn, "whitened_cosine is not defined on a bootstrap sample of conditions (repeated "
                                   "conditions do not form an RDM); use another comparison");
  }
  detail::check_rdm_pair(fn, a, b);
  const std::size_t count = params.samples;
  if (count < 2) icl::detail::throw_invalid(fn, "need at least 2 bootstrap samples, got ", count);
  if (!(params.confidence > 0.0 && params.confidence < 1.0)) {
    icl::detail::throw_invalid(fn, "confidence must lie strictly between 0 and 1, got ", params.confidence);
  }
  if (c == comparison::kendall_tau_a || c == comparison::kendall_tau_b) detail::check_kendall_size(fn, a.size());

  bootstrap_result result{0.0, 0.0, 0.0, 0.0, count, 0};
  result.statistic = detail::compare_checked(a.condensed().data(), b.condensed().data(), a.size(), a.n(), c,
                                             nan_policy::raise, fn);
  const std::size_t n = a.n();
  const std::vector<std::size_t> row_start = detail::condensed_row_starts(n);
  const double* pa = a.condensed().data();
  const double* pb = b.condensed().data();
  // Spearman and rho_a rank each resample by counting over the dense ranks of a and b.
  const bool by_ranks = c == comparison::spearman || c == comparison::rho_a;
  detail::dense_ranking dense_a;
  detail::dense_ranking dense_b;
  if (by_ranks) {
    dense_a = detail::dense_ranks(pa, a.size());
    dense_b = detail::dense_ranks(pb, b.size());
  }
  std::vector<double> statistics(count);
  constexpr std::size_t chunk_size = 16;
  const std::size_t chunks = (count + chunk_size - 1) / chunk_size;
  icl::detail::parallel_for(0, chunks, [&](std::size_t chunk) {
    std::vector<std::size_t> draw(n);
    std::vector<std::size_t> pairs;  // condensed indices of the resampled pairs
    std::vector<double> va;
    std::vector<double> vb;
    std::vector<std::size_t> histogram;
    std::vector<double> level_rank;
    pairs.reserve(a.size());
    const detail::undefined_handling quiet{fn, false};
    const std::size_t first = chunk * chunk_size;
    const std::size_t last = std::min(first + chunk_size, count);
    for (std::size_t s = first; s < last; ++s) {
      counter_rng rng(params.seed, s);
      for (std::size_t k = 0; k < n; ++k) draw[k] = static_cast<std::size_t>(rng.uniform_below(n));
      pairs.clear();
      for (std::size_t k = 0; k < n; ++k) {
        for (std::size_t l = k + 1; l < n; ++l) {
          if (draw[k] == draw[l]) continue;  // a condition paired with its own copy
          pairs.push_back(detail::condensed_index(row_start, draw[k], draw[l]));
        }
      }
      const std::size_t size = pairs.size();
      if (size < 2) {
        statistics[s] = detail::quiet_nan;
        continue;
      }
      va.resize(size);
      vb.resize(size);
      if (by_ranks) {
        detail::centered_ranks_of_resample(dense_a, pairs, histogram, level_rank, va.data());
        detail::centered_ranks_of_resample(dense_b, pairs, histogram, level_rank, vb.data());
        if (c == comparison::rho_a) {
          statistics[s] = detail::rho_a_from_centered_ranks(va.data(), vb.data(), size);
        } else if (detail::is_constant(va.data(), size) || detail::is_constant(vb.data(), size)) {
          statistics[s] = detail::quiet_nan;  // spearman of a constant resample
        } else {
          statistics[s] = detail::spearman_from_centered_ranks(va.data(), vb.data(), size);
        }
        continue;
      }
      for (std::size_t t = 0; t < size; ++t) {
        va[t] = pa[pairs[t]];
        vb[t] = pb[pairs[t]];
      }
      statistics[s] = detail::statistic(va.data(), vb.data(), size, 0, c, quiet);
    }
  });
  std::vector<double> defined;
  defined.reserve(count);
  for (const double s : statistics) {
    if (!std::isnan(s)) defined.push_back(s);
  }
  result.skipped = count - defined.size();
  if (defined.size() < 2) {
    icl::detail::throw_error(fn, "only ", defined.size(), " of ", count,
                             " bootstrap samples gave a defined statistic (need at least 2)");
  }
  double sum = 0.0;
  for (const double s : defined) sum += s;
  const double mean = sum / static_cast<double>(defined.size());
  double squares = 0.0;
  for (const double s : defined) squares += (s - mean) * (s - mean);
  result.standard_error = std::sqrt(squares / static_cast<double>(defined.size() - 1));
  std::sort(defined.begin(), defined.end());
  const double tail = 0.5 * (1.0 - params.confidence);
  result.ci_low = detail::linear_quantile(defined, tail);
  result.ci_high = detail::linear_quantile(defined, 1.0 - tail);
  return result;
}

}  // namespace icl::rsa

#endif  // ICL_RSA_INFERENCE_HPP
