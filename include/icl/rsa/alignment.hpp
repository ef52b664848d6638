#ifndef ICL_RSA_ALIGNMENT_HPP
#define ICL_RSA_ALIGNMENT_HPP

/// Hypothesis alignment per layer and the ICL effect (docs/metrics.md 1.5 and 6):
///   alignment(layer) = compare(RDM(H_layer), hypothesis)
///   Δ(layer)         = alignment_with_ICL(layer) − alignment_without_ICL(layer)
/// and rsa_curve, the alignment of every layer with its permutation p-value and bootstrap
/// interval. The params and result structs are in icl/rsa/types.hpp.

#include <cstddef>
#include <utility>

#include "icl/core/error.hpp"
#include "icl/core/view.hpp"
#include "icl/layers.hpp"
#include "icl/rsa/compare.hpp"
#include "icl/rsa/detail/alignment_impl.hpp"
#include "icl/rsa/embedding.hpp"
#include "icl/rsa/inference.hpp"
#include "icl/rsa/rdm.hpp"
#include "icl/rsa/types.hpp"

namespace icl::rsa {

/// compare(RDM(H), hypothesis) for one layer's states H (n prompts x d, any strides): the RDM
/// under params.dissimilarity (after params.standardize), compared by params.comparison.
/// Throws icl::invalid_argument when H has a different number of rows than hypothesis.n(), and
/// whatever compute_rdm, standardize and compare throw (their messages name them).
template <class T>
double hypothesis_alignment(matrix_view<const T> H, const rdm& hypothesis,
                            const hypothesis_alignment_params& params = {}) {
  return detail::hypothesis_alignment("icl::rsa::hypothesis_alignment", H, hypothesis, params);
}

/// Builds an alignment curve one layer at a time, for callers that produce layers in sequence
/// (an inference engine's evaluation callback) and drop each after use: icl::layer_tracker over
/// one layer's hypothesis_alignment. add_layer(H) returns the layer's alignment; curve(),
/// layers(), size() and peak_layer() as in icl::layer_tracker. Every layer must have the width
/// (d) of the first one. Not thread-safe.
class hypothesis_alignment_tracker : public layer_tracker<detail::hypothesis_alignment_step> {
 public:
  explicit hypothesis_alignment_tracker(rdm hypothesis, hypothesis_alignment_params params = {})
      : layer_tracker(detail::hypothesis_alignment_step{std::move(hypothesis), params}) {}

  /// The hypothesis RDM every layer is compared with.
  const rdm& hypothesis() const noexcept { return step().hypothesis; }
};

/// The alignment of every layer of H ([layers, n, d], any strides) with the hypothesis.
template <class T>
layer_curve alignment_curve(tensor_view<const T, 3> H, const rdm& hypothesis,
                            const hypothesis_alignment_params& params = {}) {
  return icl::detail::feed_all_layers<hypothesis_alignment_tracker>("icl::rsa::alignment_curve", H, hypothesis, params)
      .curve();
}

/// The ICL effect on hypothesis alignment: both tensors are [layers, n, d] states of the same n
/// prompts (same order as the hypothesis), with and without demonstrations.
template <class T, class U>
icl_effect_result icl_effect(tensor_view<const T, 3> with_icl, tensor_view<const U, 3> without_icl,
                             const rdm& hypothesis, const hypothesis_alignment_params& params = {}) {
  return detail::icl_effect("icl::rsa::icl_effect", with_icl, without_icl, hypothesis, params);
}

/// Per-layer RSA with inference: for each layer l of H ([layers, n, d], any strides),
///   statistic[l]        = hypothesis_alignment(H_l, hypothesis, params.alignment),
///   p_value[l]          = permutation_test(R_l, hypothesis, c, {permutations, seed, alt,
///                         nan = alignment.compare_options.nan}).p_value,
///   ci_low[l], ci_high[l] = bootstrap_compare(R_l, hypothesis, c, {bootstrap_samples,
///                         confidence, seed}).ci_low / .ci_high,
/// where R_l is the layer's RDM as hypothesis_alignment builds it and c =
/// params.alignment.comparison. Every layer uses the same seed, so each layer's numbers equal
/// those of a loop that calls these functions itself. permutations = 0 leaves p_value NaN,
/// bootstrap_samples = 0 leaves the interval NaN; a statistic that is NaN (only under
/// nan_policy::propagate) leaves both NaN. curve holds the statistics; peak_layer() their peak.
///
/// Cost: per layer one RDM, one comparison, one permutation test and one bootstrap (each
/// parallel inside, see permutation_test and bootstrap_compare).
/// Throws icl::invalid_argument ("icl::rsa::rsa_curve: ...") when H has no layers or its n
/// differs from hypothesis.n(), for n < 3, an unknown comparison or alternative, omit with
/// permutations, bootstrap_samples = 1, a confidence outside (0, 1), whitened_cosine with a
/// bootstrap; and, for a failure at one layer, the error of the function that failed with
/// "icl::rsa::rsa_curve: layer <l>: " in front (same exception type).
template <class T>
layer_rsa_result rsa_curve(tensor_view<const T, 3> H, const rdm& hypothesis, const rsa_curve_params& params = {}) {
  return detail::rsa_curve("icl::rsa::rsa_curve", H, hypothesis, params);
}

}  // namespace icl::rsa

#endif  // ICL_RSA_ALIGNMENT_HPP
