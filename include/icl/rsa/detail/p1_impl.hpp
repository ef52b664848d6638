#ifndef ICL_RSA_DETAIL_P1_IMPL_HPP
#define ICL_RSA_DETAIL_P1_IMPL_HPP

/// Bodies of the [P1] preset (icl/rsa/p1.hpp): max-pooling over the token subset, z-scoring of
/// each feature across prompts, cosine RDM. Not a public header.

#include <cstddef>
#include <vector>

#include "icl/core/detail/preprocess_impl.hpp"
#include "icl/core/error.hpp"
#include "icl/core/matrix.hpp"
#include "icl/core/view.hpp"
#include "icl/rsa/detail/alignment_impl.hpp"
#include "icl/rsa/detail/rdm_impl.hpp"
#include "icl/rsa/types.hpp"

namespace icl::rsa::detail {

/// The options of the [P1] pipeline: cosine RDM of feature-z-scored embeddings, compared by
/// Spearman's rho.
inline hypothesis_alignment_params p1_alignment_defaults() {
  hypothesis_alignment_params p;
  p.dissimilarity = dissimilarity::cosine;
  p.comparison = comparison::spearman;
  p.standardize = standardization::zscore_features;
  return p;
}

/// One layer: max-pool tokens [n, T, d] over each prompt's subset, standardize as
/// params.standardize says, then the RDM under params.dissimilarity.
template <class T>
rdm p1_rdm(const char* fn, tensor_view<const T, 3> tokens, const std::vector<std::vector<std::size_t>>& subsets,
           const hypothesis_alignment_params& params) {
  const auto pooled = icl::detail::pool_tokens(fn, tokens, subsets, pooling::max);
  const auto z = icl::detail::standardize(fn, pooled.view(), params.standardize, params.rdm_options.nan);
  return detail::compute_rdm(fn, z.view(), params.dissimilarity, params.rdm_options);
}

/// Checks a [layers, n, T, d] token tensor.
template <class T>
std::size_t check_token_layers(const char* fn, tensor_view<const T, 4> tokens) {
  icl::detail::static_check_element<T>();
  std::size_t total = tokens.extent(0);
  for (std::size_t k = 1; k < 4; ++k) total = icl::detail::checked_mul(fn, total, tokens.extent(k), "tokens");
  if (tokens.extent(0) == 0) throw_invalid(fn, "tokens has no layers");
  if (tokens.data() == nullptr && total != 0) throw_invalid(fn, "tokens has a null data pointer");
  return tokens.extent(0);
}

/// Every layer of tokens [layers, n, T, d] max-pooled into one contiguous [layers, n, d] buffer
/// in the compute type (a pooling error names its layer).
template <class T>
std::vector<icl::detail::compute_t<T>> p1_pool_layers(const char* fn, tensor_view<const T, 4> tokens,
                                                     const std::vector<std::vector<std::size_t>>& subsets) {
  const std::size_t layers = check_token_layers(fn, tokens);
  const std::size_t n = tokens.extent(1), d = tokens.extent(3);
  std::vector<icl::detail::compute_t<T>> pooled;
  pooled.reserve(layers * n * d);
  for (std::size_t l = 0; l < layers; ++l) {
    with_layer_context(fn, l, [&] {
      const auto layer = icl::detail::pool_tokens("icl::pool_tokens", tokens[l], subsets, pooling::max);
      pooled.insert(pooled.end(), layer.values().begin(), layer.values().end());
    });
  }
  return pooled;
}

/// The [P1] pipeline at every layer against a hypothesis: pooled by p1_pool_layers, then
/// rsa_curve (standardization, RDM, comparison, test and interval as params says).
template <class T>
layer_rsa_result p1_rsa_curve(const char* fn, tensor_view<const T, 4> tokens,
                              const std::vector<std::vector<std::size_t>>& subsets, const rdm& hypothesis,
                              const rsa_curve_params& params) {
  const auto pooled = p1_pool_layers(fn, tokens, subsets);
  const std::size_t layers = tokens.extent(0), n = tokens.extent(1), d = tokens.extent(3);
  using C = icl::detail::compute_t<T>;
  const auto H = make_tensor_view<C, 3>(pooled.data(), {layers, n, d});
  return detail::rsa_curve(fn, H, hypothesis, params);
}

/// The [P1] ICL effect: both token tensors pooled by p1_pool_layers (each over its own
/// subsets), then icl_effect.
template <class T, class U>
icl_effect_result p1_icl_effect(const char* fn, tensor_view<const T, 4> with_icl,
                                const std::vector<std::vector<std::size_t>>& with_subsets,
                                tensor_view<const U, 4> without_icl,
                                const std::vector<std::vector<std::size_t>>& without_subsets, const rdm& hypothesis,
                                const hypothesis_alignment_params& params) {
  const auto pooled_with = p1_pool_layers(fn, with_icl, with_subsets);
  const auto pooled_without = p1_pool_layers(fn, without_icl, without_subsets);
  const auto a = make_tensor_view<icl::detail::compute_t<T>, 3>(
      pooled_with.data(), {with_icl.extent(0), with_icl.extent(1), with_icl.extent(3)});
  const auto b = make_tensor_view<icl::detail::compute_t<U>, 3>(
      pooled_without.data(), {without_icl.extent(0), without_icl.extent(1), without_icl.extent(3)});
  return detail::icl_effect(fn, a, b, hypothesis, params);
}

}  // namespace icl::rsa::detail

#endif  // ICL_RSA_DETAIL_P1_IMPL_HPP
