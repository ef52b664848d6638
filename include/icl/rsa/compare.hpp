#ifndef ICL_RSA_COMPARE_HPP
#define ICL_RSA_COMPARE_HPP

/// Comparing two RDMs (METRICS.md 1.4): correlations, rank correlations and cosines of their
/// condensed vectors a and b (length m = n(n-1)/2, scipy squareform order).

#include <cstddef>
#include <vector>

#include "icl/core/error.hpp"
#include "icl/rsa/rdm_type.hpp"

namespace icl::rsa {

/// How two RDMs are compared (METRICS.md 1.4). a and b are the condensed vectors, m entries.
enum class comparison {
  pearson,        ///< Pearson correlation (scipy.stats.pearsonr). Undefined for a constant vector.
  spearman,       ///< Pearson correlation of average ranks (scipy.stats.spearmanr); the default for
                  ///< hypothesis alignment. Undefined for a constant vector.
  kendall_tau_a,  ///< (C - D) / (m(m-1)/2), ties count as neither (rsatoolbox); all-tied gives 0.
  kendall_tau_b,  ///< tie-corrected Kendall tau (scipy.stats.kendalltau). Undefined for a constant vector.
  rho_a,          ///< 12 (r_a - mean)^T (r_b - mean) / (m^3 - m) on average ranks (rsatoolbox);
                  ///< a constant vector gives 0.
  cosine,         ///< a^T b / (|a| |b|); 0 when either norm is 0 (rsatoolbox).
  whitened_cosine ///< cosine of G = -1/2 C D C of each RDM as Frobenius vectors (rsatoolbox
                  ///< 'cosine_cov' without a noise model; linear CKA of the second moments);
                  ///< 0 for an all-zero RDM (rsatoolbox). Needs the whole triangle.
};

/// Options of compare().
struct compare_params {
  /// What to do with NaN/Inf entries and with undefined statistics (default nan_policy::raise):
  ///   raise     : a NaN/Inf entry or an undefined statistic (a constant vector under pearson,
  ///               spearman or kendall_tau_b) throws icl::invalid_argument naming the index or
  ///               the vector;
  ///   propagate : NaN/Inf in a or b, or an undefined statistic, gives NaN;
  ///   omit      : positions where a or b is NaN or Inf are dropped from both (scipy's 'omit';
  ///               not available for whitened_cosine, which needs the complete RDM); an
  ///               undefined statistic on what remains still throws.
  nan_policy nan = nan_policy::raise;
};

/// The enumerator's name ("pearson", "spearman", "kendall_tau_a", "kendall_tau_b", "rho_a",
/// "cosine", "whitened_cosine"); "unknown" for a value outside the enumeration.
inline const char* to_string(comparison c) noexcept;

/// Compares two condensed vectors.
///
/// Parameters:
///   a, b   : the vectors, equal length m >= 2. For whitened_cosine m must be n(n-1)/2 (the
///            condensed RDM of n >= 3 conditions; n is inferred from m).
///   c      : the comparison (see `comparison`).
///   params : compare_params (default: nan_policy::raise).
///
/// Returns the statistic in [-1, 1] (NaN only under nan_policy::propagate).
/// Throws icl::invalid_argument, message starting "icl::rsa::compare:", for: sizes that differ
/// (both named), m < 2, a length that is not triangular under whitened_cosine, a NaN/Inf entry
/// under raise (its index named), a constant vector under pearson, spearman or kendall_tau_b
/// (unless propagate), an unknown enumerator.
/// Cost: O(m) for pearson and cosine; O(m) time and O(m + n) memory for whitened_cosine (G is
/// double-centered from the condensed vector: the n x n matrices are never formed); O(m log m)
/// for the rank statistics (one sort per vector; Kendall by Knight's algorithm with exact
/// 64-bit pair counts). Double accumulation throughout.
inline double compare(const std::vector<double>& a, const std::vector<double>& b, comparison c,
                      const compare_params& params = {});

/// Compares two RDMs of the same n conditions (see the vector overload for the statistics,
/// errors and costs). Throws icl::invalid_argument when a.n() != b.n() (both named) or n < 3.
inline double compare(const rdm& a, const rdm& b, comparison c, const compare_params& params);

/// compare(a, b, c, compare_params{}): NaN/Inf entries and undefined statistics throw.
inline double compare(const rdm& a, const rdm& b, comparison c);

}  // namespace icl::rsa

// The kernels and the definitions of the functions above.
#include "icl/rsa/detail/compare_impl.hpp"

#endif  // ICL_RSA_COMPARE_HPP
