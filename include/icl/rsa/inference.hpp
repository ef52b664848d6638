#ifndef ICL_RSA_INFERENCE_HPP
#define ICL_RSA_INFERENCE_HPP

/// Inference on RDM comparisons (docs/metrics.md 1.5): a permutation test over condition labels and
/// a bootstrap over conditions. Both are deterministic for a given seed: work item k draws from
/// icl::counter_rng(seed, k), so results do not depend on the number of threads. Their params
/// and result structs are in icl/rsa/types.hpp.

#include <cstddef>
#include <cstdint>

#include "icl/rsa/detail/inference_impl.hpp"
#include "icl/rsa/rdm_type.hpp"
#include "icl/rsa/types.hpp"

namespace icl::rsa {

/// Permutation test of compare(a, b, c) against the null of exchangeable condition labels
/// (docs/metrics.md 1.5): the conditions of `a` are permuted (rows and columns together) N times.
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
inline permutation_result permutation_test(const rdm& a, const rdm& b, comparison c, const permutation_params& params) {
  return detail::permutation_test("icl::rsa::permutation_test", a, b, c, params);
}

/// Two-sided permutation test with N = `permutations` and the given seed; the other
/// options at their permutation_params defaults.
inline permutation_result permutation_test(const rdm& a, const rdm& b, comparison c, std::size_t permutations,
                                           std::uint64_t seed) {
  permutation_params params;
  params.permutations = permutations;
  params.seed = seed;
  return permutation_test(a, b, c, params);
}

/// Bootstrap over conditions (docs/metrics.md 1.5): each sample draws n conditions with
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
                                          const bootstrap_params& params = {}) {
  return detail::bootstrap_compare("icl::rsa::bootstrap_compare", a, b, c, params);
}

}  // namespace icl::rsa

#endif  // ICL_RSA_INFERENCE_HPP
