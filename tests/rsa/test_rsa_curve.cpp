// Per-layer RSA with inference (icl::rsa::rsa_curve): each layer's statistic, permutation
// p-value and bootstrap interval equal those of a loop that calls hypothesis_alignment,
// permutation_test and bootstrap_compare itself; and the hypothesis_alignment_tracker.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstddef>
#include <limits>
#include <type_traits>
#include <vector>

#include "icl/layers.hpp"
#include "icl/rsa/alignment.hpp"
#include "icl/rsa/hypothesis.hpp"
#include "icl/rsa/inference.hpp"
#include "icl/rsa/rdm.hpp"
#include "support/fixture.hpp"
#include "support/views.hpp"

namespace {

// The RDM of one layer as rsa_curve builds it.
template <class T>
icl::rsa::rdm layer_rdm(icl::matrix_view<const T> H, const icl::rsa::hypothesis_alignment_params& p) {
  if (p.standardize == icl::standardization::none) return icl::rsa::compute_rdm(H, p.dissimilarity, p.rdm_options);
  return icl::rsa::compute_rdm(icl::rsa::standardize(H, p.standardize, p.rdm_options.nan), p.dissimilarity,
                               p.rdm_options);
}

// rsa_curve against the hand loop, value for value (exact equality).
template <class T>
void require_equals_hand_loop(icl::tensor_view<const T, 3> H, const icl::rsa::rdm& hypothesis,
                              const icl::rsa::rsa_curve_params& p) {
  const icl::rsa::layer_rsa_result result = icl::rsa::rsa_curve(H, hypothesis, p);
  const std::size_t layers = H.extent(0);
  REQUIRE(result.layers() == layers);
  REQUIRE(result.curve.values == result.statistic);
  REQUIRE(result.curve.values == icl::rsa::alignment_curve(H, hypothesis, p.alignment).values);
  for (std::size_t l = 0; l < layers; ++l) {
    INFO("layer " << l);
    const icl::rsa::rdm r = layer_rdm(H.matrix(l), p.alignment);
    REQUIRE(result.statistic[l] == icl::rsa::hypothesis_alignment(H.matrix(l), hypothesis, p.alignment));
    if (p.permutations > 0) {
      icl::rsa::permutation_params pp;
      pp.permutations = p.permutations;
      pp.seed = p.seed;
      pp.alt = p.alt;
      const auto test = icl::rsa::permutation_test(r, hypothesis, p.alignment.comparison, pp);
      REQUIRE(result.p_value[l] == test.p_value);
      REQUIRE(result.statistic[l] == test.statistic);
    } else {
      REQUIRE(std::isnan(result.p_value[l]));
    }
    if (p.bootstrap_samples > 0) {
      icl::rsa::bootstrap_params bp;
      bp.samples = p.bootstrap_samples;
      bp.confidence = p.confidence;
      bp.seed = p.seed;
      const auto interval = icl::rsa::bootstrap_compare(r, hypothesis, p.alignment.comparison, bp);
      REQUIRE(result.ci_low[l] == interval.ci_low);
      REQUIRE(result.ci_high[l] == interval.ci_high);
    } else {
      REQUIRE(std::isnan(result.ci_low[l]));
      REQUIRE(std::isnan(result.ci_high[l]));
    }
  }
  REQUIRE(result.peak_layer() == result.curve.peak_layer());
}

}  // namespace

TEMPLATE_TEST_CASE("rsa_curve equals a hand loop over permutation_test and bootstrap_compare", "[rsa][layers]", float,
                   double) {
  const icl_test::fixture_file f("rsa_layers.txt");
  const auto hypothesis = icl::rsa::rdm_from_condensed(f.values("hyp"));

  // H [layers, n, d] in C order, and the same tensor stored [n, layers, d] (strided layers).
  const auto layouts = icl_test::both_layer_layouts<TestType>(f.values("H"), f.shape("H"));
  const auto a = layouts.contiguous_view();
  const auto b = layouts.interleaved_view();

  icl::rsa::rsa_curve_params p;
  p.permutations = 199;
  p.bootstrap_samples = 150;
  p.seed = 5;
  for (const auto& H : {a, b}) {
    require_equals_hand_loop(H, hypothesis, p);
    // The strided layout gives the same numbers as the contiguous one.
    const auto from_a = icl::rsa::rsa_curve(a, hypothesis, p);
    const auto from_h = icl::rsa::rsa_curve(H, hypothesis, p);
    REQUIRE(from_h.p_value == from_a.p_value);
    REQUIRE(from_h.ci_low == from_a.ci_low);
    REQUIRE(from_h.ci_high == from_a.ci_high);
    for (std::size_t l = 0; l < layouts.layers; ++l) REQUIRE(from_h.statistic[l] == Approx(from_a.statistic[l]).margin(1e-12));
  }
  // Other options: Pearson on Euclidean RDMs of z-scored features, one-sided, another seed.
  p.alignment.dissimilarity = icl::rsa::dissimilarity::euclidean;
  p.alignment.comparison = icl::rsa::comparison::pearson;
  p.alignment.standardize = icl::standardization::zscore_features;
  p.alt = icl::alternative::greater;
  p.seed = 11;
  p.confidence = 0.9;
  require_equals_hand_loop(b, hypothesis, p);
  // Skipping the test or the interval leaves NaN.
  p.permutations = 0;
  require_equals_hand_loop(a, hypothesis, p);
  p.permutations = 50;
  p.bootstrap_samples = 0;
  require_equals_hand_loop(b, hypothesis, p);
}

TEST_CASE("rsa_curve names the function and the layer in its errors", "[rsa][layers][errors]") {
  using Catch::Contains;
  using Catch::StartsWith;
  const std::size_t layers = 3, n = 5, d = 4;
  std::vector<double> h(layers * n * d);
  for (std::size_t k = 0; k < h.size(); ++k) h[k] = static_cast<double>((k * 7) % 11) + 0.1 * static_cast<double>(k % 3);
  const auto H = icl::make_tensor_view<double, 3>(h.data(), {layers, n, d});
  const auto hypothesis = icl::rsa::parameter_rdm({0.0, 1.0, 2.0, 4.0, 7.0});
  icl::rsa::rsa_curve_params p;
  p.permutations = 20;
  p.bootstrap_samples = 20;

  REQUIRE_THROWS_WITH(icl::rsa::rsa_curve(H, icl::rsa::parameter_rdm({0.0, 1.0, 2.0, 3.0}), p),
                      StartsWith("icl::rsa::rsa_curve:") && Contains("H has 5 prompts per layer") &&
                          Contains("n = 4"));
  const auto empty = icl::make_tensor_view<double, 3>(h.data(), {0, n, d});
  REQUIRE_THROWS_WITH(icl::rsa::rsa_curve(empty, hypothesis, p), StartsWith("icl::rsa::rsa_curve:") && Contains("no layers"));
  {
    auto q = p;
    q.bootstrap_samples = 1;
    REQUIRE_THROWS_WITH(icl::rsa::rsa_curve(H, hypothesis, q), StartsWith("icl::rsa::rsa_curve:") && Contains("bootstrap_samples"));
    q.bootstrap_samples = 10;
    q.confidence = 1.0;
    REQUIRE_THROWS_WITH(icl::rsa::rsa_curve(H, hypothesis, q), StartsWith("icl::rsa::rsa_curve:") && Contains("confidence"));
    q.confidence = 0.95;
    q.alignment.comparison = icl::rsa::comparison::whitened_cosine;
    REQUIRE_THROWS_WITH(icl::rsa::rsa_curve(H, hypothesis, q), StartsWith("icl::rsa::rsa_curve:") && Contains("whitened_cosine"));
    q.alignment.comparison = static_cast<icl::rsa::comparison>(17);
    REQUIRE_THROWS_WITH(icl::rsa::rsa_curve(H, hypothesis, q), StartsWith("icl::rsa::rsa_curve:") && Contains("17"));
    q = p;
    q.alt = static_cast<icl::alternative>(9);
    REQUIRE_THROWS_WITH(icl::rsa::rsa_curve(H, hypothesis, q), StartsWith("icl::rsa::rsa_curve:") && Contains("unknown alternative 9"));
    q = p;
    q.alignment.compare_options.nan = icl::nan_policy::omit;
    REQUIRE_THROWS_WITH(icl::rsa::rsa_curve(H, hypothesis, q), StartsWith("icl::rsa::rsa_curve:") && Contains("omit"));
  }
  // A NaN in layer 2 is reported with the layer and the function that found it.
  h[(2 * n + 3) * d + 1] = std::numeric_limits<double>::quiet_NaN();
  REQUIRE_THROWS_AS(icl::rsa::rsa_curve(H, hypothesis, p), icl::invalid_argument);
  REQUIRE_THROWS_WITH(icl::rsa::rsa_curve(H, hypothesis, p),
                      StartsWith("icl::rsa::rsa_curve: layer 2: icl::rsa::compute_rdm: row 3 column 1"));
  // A layer whose prompts are all the same has a constant RDM: Spearman is undefined there.
  std::vector<double> flat(layers * n * d, 1.0);
  for (std::size_t k = 0; k < n * d; ++k) flat[k] = h[k];
  for (std::size_t i = 0; i < n; ++i) flat[(1 * n + i) * d] = 2.0;  // layer 1: rows (2, 1, 1, 1)
  const auto F = icl::make_tensor_view<double, 3>(flat.data(), {layers, n, d});
  REQUIRE_THROWS_WITH(icl::rsa::rsa_curve(F, hypothesis, p),
                      StartsWith("icl::rsa::rsa_curve: layer 1: icl::rsa::compare:") && Contains("constant"));
}

TEST_CASE("hypothesis_alignment_tracker is an icl::layer_tracker", "[rsa][layers]") {
  static_assert(std::is_base_of_v<icl::layer_tracker<icl::rsa::hypothesis_alignment_tracker::step_type>,
                                  icl::rsa::hypothesis_alignment_tracker>);
  const std::size_t layers = 3, n = 6, d = 4;
  std::vector<float> h(layers * n * d);
  for (std::size_t k = 0; k < h.size(); ++k) h[k] = static_cast<float>((k * 5) % 13) + 0.25f * static_cast<float>(k % 4);
  const auto H = icl::make_tensor_view<float, 3>(h.data(), {layers, n, d});
  const auto hypothesis = icl::rsa::categorical_rdm({0, 0, 1, 1, 2, 2});
  icl::rsa::hypothesis_alignment_params p;
  p.comparison = icl::rsa::comparison::kendall_tau_b;
  icl::rsa::hypothesis_alignment_tracker tracker(hypothesis, p);
  for (std::size_t l = 0; l < layers; ++l) {
    const double value = tracker.add_layer(H.matrix(l));
    REQUIRE(value == icl::rsa::hypothesis_alignment(H.matrix(l), hypothesis, p));
  }
  REQUIRE(tracker.size() == layers);
  REQUIRE(tracker.layers().size() == layers);
  REQUIRE(tracker.curve().values == icl::rsa::alignment_curve(H, hypothesis, p).values);
  REQUIRE(tracker.peak_layer() == tracker.curve().peak_layer());
  REQUIRE(tracker.hypothesis().condensed() == hypothesis.condensed());
  // A layer of another width is rejected by name, and nothing is added.
  std::vector<float> narrow(n * 3, 1.0f);
  for (std::size_t k = 0; k < narrow.size(); ++k) narrow[k] = static_cast<float>(k % 7);
  REQUIRE_THROWS_WITH(tracker.add_layer(icl::make_matrix_view(narrow.data(), n, 3)),
                      Catch::StartsWith("icl::rsa::hypothesis_alignment_tracker::add_layer: layer 3 has 3 features"));
  REQUIRE(tracker.size() == layers);
}
