#ifndef ICL_RSA_ALIGNMENT_HPP
#define ICL_RSA_ALIGNMENT_HPP

/// Hypothesis alignment per layer and the ICL effect (METRICS.md 1.5 and 6):
///   alignment(layer) = compare(RDM(H_layer), hypothesis)
///   Δ(layer)         = alignment_with_ICL(layer) − alignment_without_ICL(layer)

#include <cstddef>
#include <utility>
#include <vector>

#include "icl/core/error.hpp"
#include "icl/core/view.hpp"
#include "icl/layers.hpp"
#include "icl/rsa/compare.hpp"
#include "icl/rsa/embedding.hpp"
#include "icl/rsa/rdm.hpp"

namespace icl::rsa {

/// Options of the alignment functions.
struct alignment_params {
  /// Dissimilarity of the layer's RDM. Default: correlation (1 − Pearson r between prompts).
  dissimilarity distance = dissimilarity::correlation;
  /// How the layer RDM is compared with the hypothesis. Default: spearman ([P1] convention).
  comparison method = comparison::spearman;
  /// Standardization of the states before the RDM. Default: none. The [P1] pipeline is
  /// standardization::zscore_features with dissimilarity::cosine.
  standardization standardize = standardization::none;
  /// Options of compute_rdm (NaN policy, block size).
  rdm_params rdm_options = {};
  /// Options of compare (NaN policy for undefined comparisons).
  compare_params compare_options = {};
};

/// compare(RDM(H), hypothesis) for one layer's states H (n prompts x d).
/// Throws icl::invalid_argument when H has a different number of rows than hypothesis.n().
template <class T>
double hypothesis_alignment(matrix_view<const T> H, const rdm& hypothesis, const alignment_params& params = {}) {
  const char* fn = "icl::rsa::hypothesis_alignment";
  icl::detail::check_matrix(fn, "H", H);
  if (H.rows() != hypothesis.n()) {
    icl::detail::throw_invalid(fn, "H has ", H.rows(), " rows (prompts) but the hypothesis RDM has n = ", hypothesis.n());
  }
  if (params.standardize == standardization::none) {
    return compare(compute_rdm(H, params.distance, params.rdm_options), hypothesis, params.method, params.compare_options);
  }
  const auto standardized = standardize(H, params.standardize, params.rdm_options.nan);
  return compare(compute_rdm(standardized.view(), params.distance, params.rdm_options), hypothesis, params.method,
                 params.compare_options);
}

/// Builds an alignment curve one layer at a time, for callers that produce layers in sequence
/// (an inference engine's evaluation callback) and drop each after use.
class alignment_tracker {
 public:
  explicit alignment_tracker(rdm hypothesis, alignment_params params = {})
      : hypothesis_(std::move(hypothesis)), params_(params) {}

  /// Adds the next layer's states (n x d) and returns its alignment.
  template <class T>
  double add_layer(matrix_view<const T> H) {
    const double value = hypothesis_alignment(H, hypothesis_, params_);
    curve_.values.push_back(value);
    return value;
  }

  const layer_curve& curve() const noexcept { return curve_; }
  const rdm& hypothesis() const noexcept { return hypothesis_; }

 private:
  rdm hypothesis_;
  alignment_params params_;
  layer_curve curve_;
};

/// The alignment of every layer of H ([layers, n, d], any strides) with the hypothesis.
template <class T>
layer_curve alignment_curve(tensor_view<const T, 3> H, const rdm& hypothesis, const alignment_params& params = {}) {
  const std::size_t layers = icl::detail::check_layers("icl::rsa::alignment_curve", "H", H);
  alignment_tracker tracker(hypothesis, params);
  for (std::size_t l = 0; l < layers; ++l) tracker.add_layer(H.matrix(l));
  return tracker.curve();
}

/// Alignment with and without in-context demonstrations, and their difference per layer.
struct icl_effect_result {
  layer_curve with_icl;
  layer_curve without_icl;
  layer_curve delta;  ///< with_icl − without_icl
};

/// The ICL effect on hypothesis alignment: both tensors are [layers, n, d] states of the same n
/// prompts (same order as the hypothesis), with and without demonstrations.
template <class T, class U>
icl_effect_result icl_effect(tensor_view<const T, 3> with_icl, tensor_view<const U, 3> without_icl, const rdm& hypothesis,
                             const alignment_params& params = {}) {
  const char* fn = "icl::rsa::icl_effect";
  const std::size_t layers = icl::detail::check_layers(fn, "with_icl", with_icl);
  if (icl::detail::check_layers(fn, "without_icl", without_icl) != layers) {
    icl::detail::throw_invalid(fn, "with_icl has ", layers, " layers, without_icl has ", without_icl.extent(0));
  }
  icl_effect_result out;
  out.with_icl = alignment_curve(with_icl, hypothesis, params);
  out.without_icl = alignment_curve(without_icl, hypothesis, params);
  out.delta = curve_difference(out.with_icl, out.without_icl);
  return out;
}

}  // namespace icl::rsa

#endif  // ICL_RSA_ALIGNMENT_HPP
