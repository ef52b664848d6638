#ifndef ICL_RSA_P1_HPP
#define ICL_RSA_P1_HPP

/// The [P1] preset (Yousefi et al., "Decoding In-Context Learning", arXiv 2310.00313;
/// docs/metrics.md 1.1, 1.5 and 5b): a prompt's embedding at a layer is the element-wise MAXIMUM of
/// its token states over a token subset; each feature is z-scored across the n prompts
/// (icl::standardization::zscore_features, population std); the representational similarity
/// matrix is the cosine similarity of those embeddings, RSM = 1 − RDM with the RDM under
/// dissimilarity::cosine; a layer's alignment with a hypothesis RDM is Spearman's rho of the
/// condensed RDMs (rho(RDM, hypothesis RDM) = −rho(RSM, hypothesis RDM): a representation that
/// matches the hypothesis gives a positive rho).
///
/// The z-scoring axis: each feature across the prompts (docs/metrics.md 1.1 records [P1]'s
/// "standardize the embeddings before computing pairwise cosine similarities"; the axis is not
/// spelled out there, and the preset takes the usual column-wise standardization).
/// zscore_rows stays available through the params (`standardize`).
///
///   auto r = icl::rsa::p1_rdm(tokens, subset);                     // one layer, [n, T, d]
///   auto c = icl::rsa::p1_rsa_curve(all_layers, subset, hypothesis); // [layers, n, T, d]
///   auto e = icl::rsa::p1_icl_effect(with, subset_with, without, subset_without, hypothesis);
///
/// The same pipeline by hand: icl::pool_tokens(.., pooling::max), then rsa_curve (or
/// hypothesis_alignment) with p1_alignment_params() / p1_curve_params().

#include <cstddef>
#include <vector>

#include "icl/core/view.hpp"
#include "icl/rsa/alignment.hpp"
#include "icl/rsa/detail/p1_impl.hpp"
#include "icl/rsa/types.hpp"

namespace icl::rsa {

/// The [P1] comparison options: dissimilarity::cosine, comparison::spearman,
/// standardization::zscore_features (rdm_options and compare_options at their defaults).
inline hypothesis_alignment_params p1_alignment_params() { return detail::p1_alignment_defaults(); }

/// rsa_curve_params with alignment = p1_alignment_params() and the defaults of rsa_curve_params
/// otherwise (10000 permutations, two-sided; 1000 bootstrap samples, 95 %; seed 0).
inline rsa_curve_params p1_curve_params() {
  rsa_curve_params p;
  p.alignment = p1_alignment_params();
  return p;
}

/// The [P1] RDM of one layer: tokens [n prompts, T tokens, d] (any strides; float, double, f16,
/// bf16) max-pooled over subsets[i] for prompt i, z-scored per feature across prompts, cosine
/// dissimilarities (1 − cosine similarity). `params` may change the standardization, the
/// dissimilarity and rdm_options (NaN policy, block_rows); its comparison is not used.
///
/// Throws icl::invalid_argument ("icl::rsa::p1_rdm: ...") for the errors of icl::pool_tokens
/// (subsets.size() != n, an empty subset, a position >= T, NaN/Inf pooled), of
/// icl::standardize (a feature constant across prompts, unless nan_policy::propagate) and of
/// compute_rdm (n < 2, a zero embedding under cosine).
template <class T>
rdm p1_rdm(tensor_view<const T, 3> tokens, const std::vector<std::vector<std::size_t>>& subsets,
           const hypothesis_alignment_params& params = p1_alignment_params()) {
  return detail::p1_rdm("icl::rsa::p1_rdm", tokens, subsets, params);
}

/// p1_rdm with the same token subset for every prompt.
template <class T>
rdm p1_rdm(tensor_view<const T, 3> tokens, const std::vector<std::size_t>& token_subset,
           const hypothesis_alignment_params& params = p1_alignment_params()) {
  return detail::p1_rdm("icl::rsa::p1_rdm", tokens,
                        std::vector<std::vector<std::size_t>>(tokens.extent(0), token_subset), params);
}

/// The [P1] pipeline at every layer: tokens [layers, n, T, d] (any strides) max-pooled over the
/// subsets at each layer, then rsa_curve(pooled, hypothesis, params): per layer the z-scored
/// cosine RDM, its Spearman rho with the hypothesis, the permutation p-value and the bootstrap
/// interval. Equal to icl::pool_tokens(.., pooling::max) per layer followed by rsa_curve with
/// the same params.
///
/// Throws icl::invalid_argument ("icl::rsa::p1_rsa_curve: ...") when tokens has no layers, for
/// a pooling error (prefixed "layer <l>: "), and for every error of rsa_curve.
template <class T>
layer_rsa_result p1_rsa_curve(tensor_view<const T, 4> tokens, const std::vector<std::vector<std::size_t>>& subsets,
                              const rdm& hypothesis, const rsa_curve_params& params = p1_curve_params()) {
  return detail::p1_rsa_curve("icl::rsa::p1_rsa_curve", tokens, subsets, hypothesis, params);
}

/// p1_rsa_curve with the same token subset for every prompt.
template <class T>
layer_rsa_result p1_rsa_curve(tensor_view<const T, 4> tokens, const std::vector<std::size_t>& token_subset,
                              const rdm& hypothesis, const rsa_curve_params& params = p1_curve_params()) {
  return detail::p1_rsa_curve("icl::rsa::p1_rsa_curve", tokens,
                              std::vector<std::vector<std::size_t>>(tokens.extent(1), token_subset), hypothesis,
                              params);
}

/// The [P1] ICL effect: the alignment of every layer with and without demonstrations and their
/// difference Δ(layer) = with − without (docs/metrics.md 1.5), each tensor [layers, n, T, d] max-pooled
/// over its own subsets (the prompts differ in length, so their token positions do), then
/// icl_effect with `params` (default p1_alignment_params()). Both tensors hold the same n
/// prompts in the hypothesis' order and the same number of layers.
///
/// Throws icl::invalid_argument ("icl::rsa::p1_icl_effect: ...") for a pooling error (prefixed
/// "layer <l>: "), different layer counts, and the errors of icl_effect.
template <class T, class U>
icl_effect_result p1_icl_effect(tensor_view<const T, 4> with_icl,
                                const std::vector<std::vector<std::size_t>>& with_subsets,
                                tensor_view<const U, 4> without_icl,
                                const std::vector<std::vector<std::size_t>>& without_subsets, const rdm& hypothesis,
                                const hypothesis_alignment_params& params = p1_alignment_params()) {
  return detail::p1_icl_effect("icl::rsa::p1_icl_effect", with_icl, with_subsets, without_icl, without_subsets,
                               hypothesis, params);
}

/// p1_icl_effect with one token subset shared by the prompts of each tensor.
template <class T, class U>
icl_effect_result p1_icl_effect(tensor_view<const T, 4> with_icl, const std::vector<std::size_t>& with_subset,
                                tensor_view<const U, 4> without_icl, const std::vector<std::size_t>& without_subset,
                                const rdm& hypothesis, const hypothesis_alignment_params& params = p1_alignment_params()) {
  return detail::p1_icl_effect("icl::rsa::p1_icl_effect", with_icl,
                               std::vector<std::vector<std::size_t>>(with_icl.extent(1), with_subset), without_icl,
                               std::vector<std::vector<std::size_t>>(without_icl.extent(1), without_subset),
                               hypothesis, params);
}

}  // namespace icl::rsa

#endif  // ICL_RSA_P1_HPP
