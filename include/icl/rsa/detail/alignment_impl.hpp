#ifndef ICL_RSA_DETAIL_ALIGNMENT_IMPL_HPP
#define ICL_RSA_DETAIL_ALIGNMENT_IMPL_HPP

/// Bodies of the functions of icl/rsa/alignment.hpp (docs/metrics.md 1.5 and 6), and the step of
/// icl::rsa::hypothesis_alignment_tracker. Not a public header.

#include <cmath>
#include <cstddef>
#include <limits>
#include <utility>

#include "icl/core/detail/preprocess_impl.hpp"
#include "icl/core/error.hpp"
#include "icl/core/stats.hpp"
#include "icl/core/view.hpp"
#include "icl/layers.hpp"
#include "icl/rsa/detail/compare_impl.hpp"
#include "icl/rsa/detail/inference_impl.hpp"
#include "icl/rsa/detail/rdm_impl.hpp"
#include "icl/rsa/types.hpp"

namespace icl::rsa::detail {

/// Checks one layer's states H (n x d) against the hypothesis: a valid view with n rows.
template <class T>
void check_layer_states(const char* fn, matrix_view<const T> H, const rdm& hypothesis) {
  icl::detail::check_matrix(fn, "H", H);
  if (H.rows() != hypothesis.n()) {
    throw_invalid(fn, "H has ", H.rows(), " rows (prompts) but the hypothesis RDM has n = ", hypothesis.n());
  }
}

/// The RDM of one layer's states as the alignment functions build it: standardized first when
/// params.standardize asks for it (icl::rsa::standardize), then icl::rsa::compute_rdm.
template <class T>
rdm layer_rdm(matrix_view<const T> H, const hypothesis_alignment_params& params) {
  if (params.standardize == standardization::none) {
    return detail::compute_rdm("icl::rsa::compute_rdm", H, params.dissimilarity, params.rdm_options);
  }
  const auto standardized =
      icl::detail::standardize("icl::rsa::standardize", H, params.standardize, params.rdm_options.nan);
  return detail::compute_rdm("icl::rsa::compute_rdm", standardized.view(), params.dissimilarity, params.rdm_options);
}

/// compare(RDM(H), hypothesis) for one layer.
template <class T>
double hypothesis_alignment(const char* fn, matrix_view<const T> H, const rdm& hypothesis,
                            const hypothesis_alignment_params& params) {
  check_layer_states(fn, H, hypothesis);
  return compare_rdms("icl::rsa::compare", layer_rdm(H, params), hypothesis, params.comparison, params.compare_options);
}

/// The step of icl::rsa::hypothesis_alignment_tracker (see icl::layer_tracker): one layer's
/// hypothesis_alignment.
struct hypothesis_alignment_step {
  using result_type = double;
  static constexpr const char* add_layer_function = "icl::rsa::hypothesis_alignment_tracker::add_layer";

  rdm hypothesis;
  hypothesis_alignment_params params;

  template <class T>
  double operator()(matrix_view<const T> H, std::size_t /*layer*/) const {
    return detail::hypothesis_alignment("icl::rsa::hypothesis_alignment", H, hypothesis, params);
  }
  static double curve_value(double value) noexcept { return value; }
};

/// icl_effect: the alignment curves of both tensors (layer by layer, as alignment_curve) and
/// their difference.
template <class T, class U>
icl_effect_result icl_effect(const char* fn, tensor_view<const T, 3> with_icl, tensor_view<const U, 3> without_icl,
                             const rdm& hypothesis, const hypothesis_alignment_params& params) {
  const std::size_t layers = icl::detail::check_layers(fn, "with_icl", with_icl);
  if (icl::detail::check_layers(fn, "without_icl", without_icl) != layers) {
    throw_invalid(fn, "with_icl has ", layers, " layers, without_icl has ", without_icl.extent(0));
  }
  icl_effect_result out;
  for (std::size_t l = 0; l < layers; ++l) {
    out.with_icl.values.push_back(
        hypothesis_alignment("icl::rsa::hypothesis_alignment", with_icl.matrix(l), hypothesis, params));
  }
  for (std::size_t l = 0; l < layers; ++l) {
    out.without_icl.values.push_back(
        hypothesis_alignment("icl::rsa::hypothesis_alignment", without_icl.matrix(l), hypothesis, params));
  }
  out.delta = curve_difference(out.with_icl, out.without_icl);
  return out;
}

/// The checks of rsa_curve that need no layer: its options and the hypothesis.
inline void check_rsa_curve_params(const char* fn, const rdm& hypothesis, const rsa_curve_params& p) {
  check_comparison(fn, p.alignment.comparison);
  icl::detail::check_alternative(fn, p.alt);
  if (hypothesis.n() < 3) throw_invalid(fn, "the hypothesis RDM needs n >= 3 conditions, got n = ", hypothesis.n());
  if (p.permutations > 0 && p.alignment.compare_options.nan == nan_policy::omit) {
    throw_invalid(fn, "nan_policy::omit (alignment.compare_options.nan) is not supported by the permutation test; "
                      "use raise or propagate, or permutations = 0");
  }
  if (p.bootstrap_samples == 1) throw_invalid(fn, "bootstrap_samples must be 0 (no interval) or >= 2, got 1");
  if (p.bootstrap_samples > 0) {
    if (!(p.confidence > 0.0 && p.confidence < 1.0)) {
      throw_invalid(fn, "confidence must lie strictly between 0 and 1, got ", p.confidence);
    }
    if (p.alignment.comparison == comparison::whitened_cosine) {
      throw_invalid(fn, "whitened_cosine has no bootstrap over conditions; set bootstrap_samples = 0");
    }
  }
}

/// Runs `body` for layer l and rethrows what it throws with "<fn>: layer <l>: " in front,
/// keeping the exception's type (icl::invalid_argument or icl::error).
template <class Body>
void with_layer_context(const char* fn, std::size_t layer, Body&& body) {
  try {
    body();
  } catch (const icl::invalid_argument& e) {
    throw icl::invalid_argument(icl::detail::concat(fn, ": layer ", layer, ": ", e.what()));
  } catch (const icl::error& e) {
    throw icl::error(icl::detail::concat(fn, ": layer ", layer, ": ", e.what()));
  }
}

/// rsa_curve: per layer, the layer's RDM, its statistic, permutation p-value and bootstrap
/// interval, each from the library's own functions with the same options at every layer.
template <class T>
layer_rsa_result rsa_curve(const char* fn, tensor_view<const T, 3> H, const rdm& hypothesis,
                           const rsa_curve_params& params) {
  const std::size_t layers = icl::detail::check_layers(fn, "H", H);
  if (H.extent(1) != hypothesis.n()) {
    throw_invalid(fn, "H has ", H.extent(1), " prompts per layer but the hypothesis RDM has n = ", hypothesis.n());
  }
  check_rsa_curve_params(fn, hypothesis, params);
  const hypothesis_alignment_params& alignment = params.alignment;
  permutation_params permutation;
  permutation.permutations = params.permutations;
  permutation.seed = params.seed;
  permutation.alt = params.alt;
  permutation.nan = alignment.compare_options.nan;
  bootstrap_params bootstrap;
  bootstrap.samples = params.bootstrap_samples;
  bootstrap.confidence = params.confidence;
  bootstrap.seed = params.seed;

  const double nan = std::numeric_limits<double>::quiet_NaN();
  layer_rsa_result out;
  out.statistic.assign(layers, nan);
  out.p_value.assign(layers, nan);
  out.ci_low.assign(layers, nan);
  out.ci_high.assign(layers, nan);
  for (std::size_t l = 0; l < layers; ++l) {
    with_layer_context(fn, l, [&] {
      const rdm r = layer_rdm(H.matrix(l), alignment);
      const double statistic =
          compare_rdms("icl::rsa::compare", r, hypothesis, alignment.comparison, alignment.compare_options);
      out.statistic[l] = statistic;
      if (std::isnan(statistic)) return;  // undefined under nan_policy::propagate: no test, no interval
      if (params.permutations > 0) {
        out.p_value[l] =
            permutation_test("icl::rsa::permutation_test", r, hypothesis, alignment.comparison, permutation).p_value;
      }
      if (params.bootstrap_samples > 0) {
        const bootstrap_result b =
            bootstrap_compare("icl::rsa::bootstrap_compare", r, hypothesis, alignment.comparison, bootstrap);
        out.ci_low[l] = b.ci_low;
        out.ci_high[l] = b.ci_high;
      }
    });
  }
  out.curve.values = out.statistic;
  return out;
}

}  // namespace icl::rsa::detail

#endif  // ICL_RSA_DETAIL_ALIGNMENT_IMPL_HPP
