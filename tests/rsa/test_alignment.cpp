// Per-layer hypothesis alignment and the ICL effect (tests/data/rsa_layers.txt: scipy values).
#include <catch2/catch.hpp>

#include <vector>

#include "icl/rsa/alignment.hpp"
#include "support/fixture.hpp"
#include "support/views.hpp"

TEMPLATE_TEST_CASE("alignment_curve matches scipy per layer", "[rsa][layers]", float, double) {
  const icl_test::fixture_file f("rsa_layers.txt");
  const auto hypothesis = icl::rsa::rdm_from_condensed(f.values("hyp"));

  // H [layers, n, d] in C order, and the same tensor stored [n, layers, d] (layer is not the slowest axis).
  const auto layouts = icl_test::both_layer_layouts<TestType>(f.values("H"), f.shape("H"));
  const std::size_t layers = layouts.layers;
  const auto a = layouts.contiguous_view();
  const auto b = layouts.interleaved_view();
  for (const auto& H : {a, b}) {
    const auto curve = icl::rsa::alignment_curve(H, hypothesis);
    icl_test::require_close<TestType>(curve.values, f.values("align_spearman_correlation"));
    REQUIRE(curve.peak_layer() == 2);

    icl::rsa::hypothesis_alignment_params pearson;
    pearson.dissimilarity = icl::rsa::dissimilarity::euclidean;
    pearson.comparison = icl::rsa::comparison::pearson;
    icl_test::require_close<TestType>(icl::rsa::alignment_curve(H, hypothesis, pearson).values,
                                      f.values("align_pearson_euclidean"));

    // The incremental form gives the same curve, layer by layer.
    icl::rsa::hypothesis_alignment_tracker tracker(hypothesis);
    for (std::size_t l = 0; l < layers; ++l) tracker.add_layer(H.matrix(l));
    REQUIRE(tracker.curve().values == curve.values);

    // ICL effect of a tensor against itself is zero; against a shuffled copy it is the difference.
    const auto same = icl::rsa::icl_effect(H, H, hypothesis);
    for (double v : same.delta.values) REQUIRE(v == 0.0);
  }
  const auto effect = icl::rsa::icl_effect(a, b, hypothesis);
  for (std::size_t l = 0; l < layers; ++l) REQUIRE(effect.delta[l] == Approx(0.0).margin(1e-12));
}

TEST_CASE("alignment rejects mismatched shapes", "[rsa][layers][errors]") {
  using Catch::Contains;
  std::vector<double> h(2 * 4 * 3);
  for (std::size_t k = 0; k < h.size(); ++k) h[k] = static_cast<double>((k * 7) % 11);
  const auto H = icl::make_tensor_view<double, 3>(h.data(), {2, 4, 3});
  const auto H3 = icl::make_tensor_view<double, 3>(h.data(), {1, 4, 3});
  const auto wrong = icl::rsa::rdm_from_condensed({1, 2, 3});
  REQUIRE_THROWS_WITH(icl::rsa::alignment_curve(H, wrong),
                      Contains("icl::rsa::hypothesis_alignment: H has 4 rows (prompts) but the hypothesis RDM has n = 3"));
  const auto hyp = icl::rsa::rdm_from_condensed({1, 2, 3, 4, 5, 6});
  REQUIRE_THROWS_WITH(icl::rsa::icl_effect(H, H3, hyp), Contains("icl::rsa::icl_effect: with_icl has 2 layers, without_icl has 1"));
  const auto empty = icl::make_tensor_view<double, 3>(h.data(), {0, 4, 3});
  REQUIRE_THROWS_WITH(icl::rsa::alignment_curve(empty, hyp), Contains("H has no layers"));
  icl::layer_curve nan_curve{{std::nan("")}};
  REQUIRE_THROWS_WITH(nan_curve.peak_layer(), Contains("icl::layer_curve::peak_layer"));
}
