#ifndef ICL_RSA_TYPES_HPP
#define ICL_RSA_TYPES_HPP

/// The public types of icl::rsa: the enums (with their icl::enum_traits), the rdm class, and the
/// parameter and result structs of every function of the module. The functions themselves are
/// in rdm.hpp, hypothesis.hpp, compare.hpp, inference.hpp and alignment.hpp.

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>
#include <utility>
#include <vector>

#include "icl/core/condensed.hpp"
#include "icl/core/enum_names.hpp"
#include "icl/core/error.hpp"
#include "icl/core/preprocess_types.hpp"
#include "icl/core/stats.hpp"
#include "icl/layers.hpp"

namespace icl::rsa {

/// The alternative hypothesis: icl::alternative (icl/core/stats.hpp) — two_sided, greater, less.
using icl::alternative;
/// Pooling and standardization of prompt embeddings: icl::pooling, icl::standardization
/// (icl/core/preprocess_types.hpp).
using icl::pooling;
using icl::standardization;

/// The dissimilarity between two condition patterns x_i, x_j ∈ R^d (docs/metrics.md 1.2).
enum class dissimilarity {
  euclidean,                ///< ‖x_i − x_j‖₂ (scipy pdist 'euclidean')
  sqeuclidean,              ///< ‖x_i − x_j‖₂² (scipy pdist 'sqeuclidean')
  sqeuclidean_per_feature,  ///< ‖x_i − x_j‖₂² / d (what rsatoolbox calls 'euclidean')
  correlation,              ///< 1 − pearson(x_i, x_j) (scipy pdist 'correlation')
  cosine                    ///< 1 − x_iᵀx_j / (‖x_i‖‖x_j‖) (scipy pdist 'cosine')
};

/// Names of icl::rsa::dissimilarity for icl::to_string / icl::from_string.
constexpr enum_table<dissimilarity, 5> icl_enum_table(dissimilarity) {
  return {"icl::rsa::dissimilarity", {{{dissimilarity::euclidean, "euclidean"},
                                       {dissimilarity::sqeuclidean, "sqeuclidean"},
                                       {dissimilarity::sqeuclidean_per_feature, "sqeuclidean_per_feature"},
                                       {dissimilarity::correlation, "correlation"},
                                       {dissimilarity::cosine, "cosine"}}}};
}

/// How two RDMs are compared (docs/metrics.md 1.4). a and b are the condensed vectors, m entries.
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

/// Names of icl::rsa::comparison for icl::to_string / icl::from_string.
constexpr enum_table<comparison, 7> icl_enum_table(comparison) {
  return {"icl::rsa::comparison", {{{comparison::pearson, "pearson"}, {comparison::spearman, "spearman"},
                                    {comparison::kendall_tau_a, "kendall_tau_a"},
                                    {comparison::kendall_tau_b, "kendall_tau_b"}, {comparison::rho_a, "rho_a"},
                                    {comparison::cosine, "cosine"},
                                    {comparison::whitened_cosine, "whitened_cosine"}}}};
}

/// How parameter_rdm turns two parameter values into a dissimilarity.
enum class parameter_distance {
  absolute,  ///< |a_i − a_j| (docs/metrics.md 1.3, the default)
  squared    ///< (a_i − a_j)², the squared Euclidean distance of the one-dimensional parameter
};

/// Names of icl::rsa::parameter_distance for icl::to_string / icl::from_string.
constexpr enum_table<parameter_distance, 2> icl_enum_table(parameter_distance) {
  return {"icl::rsa::parameter_distance", {{{parameter_distance::absolute, "absolute"},
                                            {parameter_distance::squared, "squared"}}}};
}

namespace detail {

/// The name of `value` from its enum_traits table, or nullptr outside the enumeration.
template <class E>
const char* enum_name_or_null(E value) noexcept {
  for (const auto& entry : enum_traits<E>::names) {
    if (entry.first == value) return entry.second.data();  // the names are string literals
  }
  return nullptr;
}

}  // namespace detail

/// Name of a dissimilarity, as used in files and reports ("correlation", ...); "unknown" for a
/// value outside the enumeration (icl::to_string throws there instead).
inline const char* to_string(dissimilarity d) noexcept {
  const char* name = detail::enum_name_or_null(d);
  return name != nullptr ? name : "unknown";
}

/// The enumerator's name ("pearson", "spearman", "kendall_tau_a", "kendall_tau_b", "rho_a",
/// "cosine", "whitened_cosine"); "unknown" for a value outside the enumeration.
inline const char* to_string(comparison c) noexcept {
  const char* name = detail::enum_name_or_null(c);
  return name != nullptr ? name : "unknown";
}

/// A symmetric n x n dissimilarity matrix with zero diagonal, stored as its strict upper
/// triangle in row-major order — the order of scipy.spatial.distance.squareform and pdist:
/// (0,1), (0,2), ..., (0,n-1), (1,2), ..., (n-2,n-1). m = n(n-1)/2 values
/// (icl/core/condensed.hpp).
class rdm {
 public:
  rdm() = default;

  /// Wraps condensed values for n conditions; values.size() must be n(n-1)/2.
  rdm(std::size_t n, std::vector<double> values) : n_(n), values_(std::move(values)) {
    const std::size_t expected = icl::detail::checked_pair_count("icl::rsa::rdm", n);
    if (values_.size() != expected) {
      icl::detail::throw_invalid("icl::rsa::rdm", "got ", values_.size(), " condensed values for n = ", n,
                                 " conditions (expected n(n-1)/2 = ", expected, ")");
    }
  }

  /// Number of conditions n.
  std::size_t n() const noexcept { return n_; }
  /// Number of stored pairs m = n(n-1)/2.
  std::size_t size() const noexcept { return values_.size(); }
  /// The condensed upper triangle (scipy squareform order).
  const std::vector<double>& condensed() const noexcept { return values_; }
  std::vector<double>& condensed() noexcept { return values_; }

  /// Position of pair (i, j), i != j, in condensed().
  std::size_t pair_index(std::size_t i, std::size_t j) const noexcept {
    return icl::detail::condensed_index_unordered(n_, i, j);
  }

  /// Dissimilarity of conditions i and j: 0 on the diagonal, symmetric.
  double operator()(std::size_t i, std::size_t j) const {
    if (i >= n_ || j >= n_) {
      icl::detail::throw_invalid("icl::rsa::rdm::operator()", "index (", i, ", ", j, ") out of range for n = ", n_);
    }
    return i == j ? 0.0 : values_[pair_index(i, j)];
  }

  /// The full symmetric n x n matrix, row-major (for display; metrics never need it).
  std::vector<double> square() const {
    std::vector<double> full(icl::detail::checked_mul("icl::rsa::rdm::square", n_, n_, "n x n"), 0.0);
    for (std::size_t i = 0, k = 0; i < n_; ++i) {
      for (std::size_t j = i + 1; j < n_; ++j, ++k) full[i * n_ + j] = full[j * n_ + i] = values_[k];
    }
    return full;
  }

 private:
  std::size_t n_ = 0;
  std::vector<double> values_;
};

/// Options of compute_rdm and its variants.
struct rdm_params {
  /// What to do with NaN/Inf inputs and with undefined dissimilarities (a zero-variance row under
  /// correlation, a zero row under cosine). raise (default): throw naming the row;
  /// propagate: every dissimilarity that involves such a row is NaN.
  nan_policy nan = nan_policy::raise;
  /// Rows per block of the blocked Gram product; 0 (default) picks about 16 MiB of rows per
  /// block. Results do not depend on it beyond floating-point rounding.
  std::size_t block_rows = 0;
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
  /// A cancellation hook (default empty: never called, and the permutations run in one
  /// parallel loop). When set, the permutations run in batches of 256 per thread (the same
  /// permutations, so the same result) and should_stop() is called on the calling thread before
  /// each batch, never from a worker thread; when it returns true the test stops and throws
  /// icl::error ("icl::rsa::permutation_test: interrupted after k of N permutations"). An
  /// exception thrown by the hook propagates unchanged. For an interactive caller (Ctrl-C)
  /// or a deadline.
  std::function<bool()> should_stop = {};
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

/// Options of bootstrap_compare().
struct bootstrap_params {
  /// Number of bootstrap samples B (default 1000); must be >= 2.
  std::size_t samples = 1000;
  /// Coverage of the percentile interval (default 0.95), strictly between 0 and 1.
  double confidence = 0.95;
  /// Seed (default 0): sample k is drawn from icl::counter_rng(seed, k).
  std::uint64_t seed = 0;
  /// A cancellation hook, as permutation_params::should_stop: when set, the samples run in
  /// batches of 64 per thread, should_stop() is called on the calling thread before each batch,
  /// and true stops the bootstrap with icl::error ("icl::rsa::bootstrap_compare: interrupted
  /// after k of B samples").
  std::function<bool()> should_stop = {};
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

/// The result of within_between_test.
struct group_test_result {
  stats::welch_result test;   ///< Welch's t-test of within- minus between-group entries
  std::size_t within_pairs;   ///< number of pairs i < j with groups[i] == groups[j]
  std::size_t between_pairs;  ///< number of pairs i < j with groups[i] != groups[j]
  double mean_within;         ///< mean RDM entry over within-group pairs (= test.mean_a)
  double mean_between;        ///< mean RDM entry over between-group pairs (= test.mean_b)
};

/// Options of hypothesis_alignment, hypothesis_alignment_tracker, alignment_curve, icl_effect
/// and rsa_curve: how a layer's RDM is built and compared with the hypothesis.
struct hypothesis_alignment_params {
  /// Dissimilarity of the layer's RDM. Default: correlation (1 − Pearson r between prompts).
  icl::rsa::dissimilarity dissimilarity = icl::rsa::dissimilarity::correlation;
  /// How the layer RDM is compared with the hypothesis. Default: spearman ([P1] convention).
  icl::rsa::comparison comparison = icl::rsa::comparison::spearman;
  /// Standardization of the states before the RDM. Default: none. The [P1] pipeline is
  /// standardization::zscore_features with dissimilarity::cosine.
  icl::standardization standardize = icl::standardization::none;
  /// Options of compute_rdm (NaN policy, block_rows).
  rdm_params rdm_options = {};
  /// Options of compare (NaN policy for undefined comparisons).
  compare_params compare_options = {};
};

/// Alignment with and without in-context demonstrations, and their difference per layer.
struct icl_effect_result {
  layer_curve with_icl;
  layer_curve without_icl;
  layer_curve delta;  ///< with_icl − without_icl
};

/// Options of rsa_curve: the alignment of each layer, with its permutation p-value and its
/// bootstrap interval. Every layer uses the same seed, so layer l's numbers are those of
/// permutation_test / bootstrap_compare called on that layer's RDM with these options.
struct rsa_curve_params {
  /// How each layer's RDM is built and compared with the hypothesis (default: correlation RDMs,
  /// Spearman).
  hypothesis_alignment_params alignment = {};
  /// Permutations N of the test per layer (permutation_params::permutations; default 10000);
  /// 0 skips the test (p_value NaN).
  std::size_t permutations = 10000;
  /// Tail of the permutation test (default two_sided).
  alternative alt = alternative::two_sided;
  /// Bootstrap samples B per layer (bootstrap_params::samples; default 1000, else >= 2); 0 skips
  /// the interval (ci_low, ci_high NaN). whitened_cosine has no bootstrap: set 0 with it.
  std::size_t bootstrap_samples = 1000;
  /// Coverage of the bootstrap interval (default 0.95), strictly between 0 and 1.
  double confidence = 0.95;
  /// Seed of both the permutations and the bootstrap samples (default 0), the same at every layer.
  std::uint64_t seed = 0;
};

/// Result of rsa_curve: one entry per layer in each vector.
struct layer_rsa_result {
  std::vector<double> statistic;  ///< compare(RDM(H_l), hypothesis) (= curve.values)
  std::vector<double> p_value;    ///< permutation p-value (NaN when permutations = 0)
  std::vector<double> ci_low;     ///< bootstrap interval (NaN when bootstrap_samples = 0)
  std::vector<double> ci_high;
  layer_curve curve;              ///< the statistic as a curve

  /// Number of layers.
  std::size_t layers() const noexcept { return statistic.size(); }
  /// The layer of the largest statistic (the first on ties); throws when no layer is finite.
  std::size_t peak_layer() const { return curve.peak_layer(); }
};

}  // namespace icl::rsa

#endif  // ICL_RSA_TYPES_HPP
