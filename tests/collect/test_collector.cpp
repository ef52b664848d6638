// icl::collect::prompt_collector: storage in the stored precision, prompt order, the per-layer
// suite against the batch functions on the same rows, errors and enum names.
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <string>
#include <vector>

#include "icl/collect/collector.hpp"
#include "support.hpp"

namespace {

using icl::collect::precision;
using icl::collect::prompt_collector;
using icl::collect::suite_params;
using icl::collect::suite_result;

/// The states at position t in prompt order, copied contiguous in the stored type S: [layers, n, d].
template <class S>
std::vector<S> contiguous_states(const icl_test::synthetic_set& set, std::size_t t) {
  const std::size_t L = set.layers, n = set.prompts.size(), d = set.width;
  std::vector<S> out(L * n * d);
  for (std::size_t l = 0; l < L; ++l) {
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t k = 0; k < d; ++k) {
        out[(l * n + i) * d + k] = static_cast<S>(set.prompts[i].states[(l * set.positions + t) * d + k]);
      }
    }
  }
  return out;
}

suite_params quick_params() {
  suite_params p;
  p.permutation.permutations = 200;
  p.permutation.seed = 7;
  p.bootstrap = icl::rsa::bootstrap_params{};
  p.bootstrap->samples = 100;
  p.decode.k = 3;
  p.cv.folds = 3;
  return p;
}

/// Every family of `got` equals the batch functions on H ([layers, n, d]) exactly.
template <class S>
void require_batch_results(const suite_result& got, icl::tensor_view<const S, 3> H, const std::vector<int>& labels,
                           const suite_params& p, const std::vector<icl_test::synthetic_prompt>& prompts,
                           const icl_test::synthetic_set& set) {
  const std::size_t L = H.extent(0);
  const icl::rsa::rdm hypothesis = icl::rsa::categorical_rdm(labels);
  REQUIRE(got.rsa.size() == L);
  for (std::size_t l = 0; l < L; ++l) {
    const icl::rsa::rdm r = icl::rsa::compute_rdm(H.matrix(l), p.dissimilarity, p.rdm);
    const auto want = icl::rsa::permutation_test(r, hypothesis, p.comparison, p.permutation);
    CHECK(got.rsa[l].statistic == want.statistic);
    CHECK(got.rsa[l].p_value == want.p_value);
    CHECK(got.rsa_curve.values[l] == want.statistic);
    const auto interval = icl::rsa::bootstrap_compare(r, hypothesis, p.comparison, *p.bootstrap);
    CHECK(got.rsa_bootstrap[l].ci_low == interval.ci_low);
    CHECK(got.rsa_bootstrap[l].ci_high == interval.ci_high);
  }
  const auto td = icl::decode::decodability_curve(H, labels, p.decode);
  CHECK(got.decodability.curve.values == td.curve.values);
  CHECK(got.decodability.peak_layer == td.peak_layer);
  REQUIRE(got.probes.size() == L);
  REQUIRE(got.geometry.size() == L);
  for (std::size_t l = 0; l < L; ++l) {
    CHECK(got.decodability.layers[l].predictions == td.layers[l].predictions);
    const auto cv = icl::probe::cross_validate_logistic(H.matrix(l), labels, p.probe, p.cv);
    CHECK(got.probes[l].fold_scores == cv.fold_scores);
    CHECK(got.probe_curve.values[l] == cv.mean);
    const auto sep = icl::geometry::separability(H.matrix(l), labels, p.geometry);
    CHECK(got.geometry[l].separability == sep.separability);
    CHECK(got.separability_curve.values[l] == sep.separability);
    CHECK(got.effective_dimension.values[l] == icl::geometry::effective_dimension(H.matrix(l)));
    if (l + 1 < L) {
      CHECK(got.cka_consecutive.values[l] == icl::geometry::linear_cka(H.matrix(l), H.matrix(l + 1), p.cka_debiased));
    }
  }
  CHECK(got.cka_consecutive.values.size() == L - 1);

  // Attention: the accumulators fed every prompt in index order.
  icl::attention::previous_token_accumulator previous;
  icl::attention::induction_accumulator induction;
  icl::attention::ratio_accumulator ratio;
  for (const auto& prompt : prompts) {
    const auto t = icl_test::typed<double>(set, prompt);
    previous.add(t.attn());
    induction.add(t.attn(), prompt.positions.label_positions);
    if (!prompt.positions.relevant.empty()) {
      ratio.add(t.attn(), prompt.positions.sources, prompt.positions.relevant, prompt.positions.irrelevant);
    }
  }
  REQUIRE(got.attention.previous_token.has_value());
  REQUIRE(got.attention.induction.has_value());
  REQUIRE(got.attention.ratio.has_value());
  CHECK(got.attention.previous_token->values == previous.result().values);
  CHECK(got.attention.induction->values == induction.result().values);
  CHECK(got.attention.ratio->values == ratio.result().values);
  CHECK(got.attention.previous_token_curve.values == icl::attention::mean_over_heads(previous.result()).values);
  CHECK(got.attention.ratio_curve.values == icl::attention::mean_over_defined_heads(ratio.result()).values);
  REQUIRE(got.attention.ratio_of_sums.has_value());
  CHECK(got.attention.ratio_of_sums->values == ratio.ratio_of_sums().values);
  CHECK(got.attention.ratio_of_sums_curve.values ==
        icl::attention::mean_over_defined_heads(ratio.ratio_of_sums()).values);
}

}  // namespace

TEST_CASE("collector: the suite equals the batch functions on the same rows", "[collect]") {
  const auto set = icl_test::make_set(24, 11);
  prompt_collector c(icl_test::config_of(set, precision::f32));
  // Arrival order differs from index order: the results follow the indices.
  std::vector<std::size_t> arrival(set.prompts.size());
  for (std::size_t i = 0; i < arrival.size(); ++i) arrival[i] = (i * 7) % arrival.size();
  for (std::size_t i : arrival) icl_test::feed(c, set, set.prompts[i]);
  CHECK_FALSE(c.sorted());
  CHECK_THROWS_WITH(c.visit_states([](auto) { return 0; }), Catch::Contains("call sort() first"));

  const suite_params p = quick_params();
  const suite_result got = c.run_suite(p);
  CHECK(c.sorted());
  std::vector<std::size_t> order(set.prompts.size());
  std::vector<int> labels;
  for (std::size_t i = 0; i < order.size(); ++i) {
    order[i] = i;
    labels.push_back(set.prompts[i].label);
  }
  CHECK(got.prompt_indices == order);
  CHECK(got.labels == labels);
  CHECK(got.position == set.positions - 1);
  CHECK_FALSE(got.used_grown_rdm);

  SECTION("on the collector's own view") {
    c.visit_states([&](auto H) { require_batch_results(got, H, labels, p, set.prompts, set); });
  }
  SECTION("on a contiguous copy of the same values") {
    const std::vector<float> copy = contiguous_states<float>(set, set.positions - 1);
    const auto H = icl::make_tensor_view(copy.data(), std::array<std::size_t, 3>{set.layers, set.prompts.size(), set.width});
    require_batch_results(got, H, labels, p, set.prompts, set);
  }
}

TEST_CASE("collector: stores in the engine's precision, any input type and strides", "[collect]") {
  const auto set = icl_test::make_set(6, 3, 2, 2, 5);
  for (precision stored : {precision::f16, precision::bf16, precision::f32, precision::f64}) {
    prompt_collector c(icl_test::config_of(set, stored));
    for (const auto& p : set.prompts) {
      // float input, each layer's positions x d block read through a transposed (column-major) view
      const auto t = icl_test::typed<float>(set, p);
      std::vector<float> transposed(t.states.size());
      std::vector<icl::matrix_view<const float>> layers;
      for (std::size_t l = 0; l < set.layers; ++l) {
        float* block = transposed.data() + l * set.positions * set.width;
        for (std::size_t r = 0; r < set.positions; ++r) {
          for (std::size_t k = 0; k < set.width; ++k) {
            block[k * set.positions + r] = t.states[(l * set.positions + r) * set.width + k];
          }
        }
        layers.push_back(icl::make_matrix_view<float>(block, set.positions, set.width, 1,
                                                      static_cast<std::ptrdiff_t>(set.positions)));
      }
      c.add_prompt(icl_test::info_of(p), layers);
    }
    const std::size_t elements = set.prompts.size() * set.layers * set.positions * set.width;
    CHECK(c.memory().states == elements * icl::collect::element_size(stored));
    CHECK(c.bytes_held() >= c.memory().states);
    CHECK(c.memory().grown_rdm == 0);
    for (std::size_t t = 0; t < set.positions; ++t) {
      c.visit_states(
          [&](auto H) {
            using S = typename decltype(H)::value_type;
            CHECK(sizeof(S) == icl::collect::element_size(stored));
            for (std::size_t l = 0; l < set.layers; ++l) {
              for (std::size_t i = 0; i < set.prompts.size(); ++i) {
                for (std::size_t k = 0; k < set.width; ++k) {
                  const float in = static_cast<float>(set.prompts[i].states[(l * set.positions + t) * set.width + k]);
                  CHECK(icl::detail::to_double(H(l, i, k)) == icl::detail::to_double(static_cast<S>(in)));
                }
              }
            }
          },
          t);
    }
  }
}

TEST_CASE("collector: one layer at a time gives what add_prompt gives", "[collect]") {
  const auto set = icl_test::make_set(9, 5);
  auto config = icl_test::config_of(set, precision::bf16);
  config.grown_rdm = icl::rsa::dissimilarity::euclidean;
  prompt_collector whole(config), layered(config);
  for (const auto& p : set.prompts) {
    icl_test::feed(whole, set, p);
    const auto t = icl_test::typed<double>(set, p);
    const std::size_t index = layered.begin_prompt(icl_test::info_of(p));
    CHECK(index == p.index);
    CHECK(layered.prompt_open());
    for (std::size_t l = set.layers; l-- > 0;) {  // any layer order
      layered.add_attention(l, t.attn()[l]);
      layered.add_layer(l, t.hidden().matrix(l));
    }
    layered.end_prompt();
  }
  CHECK_FALSE(layered.prompt_open());
  CHECK(layered.heads() == set.heads);
  CHECK(layered.memory().states == whole.memory().states);
  for (std::size_t l = 0; l < set.layers; ++l) {
    CHECK(layered.grown_rdm(l).condensed() == whole.grown_rdm(l).condensed());
  }
  const auto p = quick_params();
  const auto a = whole.run_suite(p), b = layered.run_suite(p);
  CHECK(a.prompt_indices == b.prompt_indices);
  CHECK(a.rsa_curve.values == b.rsa_curve.values);
  CHECK(a.decodability.curve.values == b.decodability.curve.values);
  CHECK(a.attention.previous_token->values == b.attention.previous_token->values);
  CHECK(a.attention.induction->values == b.attention.induction->values);
  CHECK(a.attention.ratio->values == b.attention.ratio->values);
}

TEST_CASE("collector: auto indices, discard and the prompts' positions", "[collect]") {
  const auto set = icl_test::make_set(5, 9, 2, 1, 4, 2);
  prompt_collector c(icl_test::config_of(set, precision::f64));
  for (const auto& p : set.prompts) {
    auto info = icl_test::info_of(p);
    info.index = icl::collect::auto_index;
    const auto t = icl_test::typed<double>(set, p);
    CHECK(c.add_prompt(info, t.hidden()) == p.index);
  }
  CHECK(c.prompts() == 5);
  c.begin_prompt({});
  c.add_layer(0, icl_test::typed<double>(set, set.prompts[0]).hidden().matrix(0));
  c.discard_prompt();
  CHECK(c.prompts() == 5);
  CHECK(c.memory().states == 5 * 2 * 1 * 4 * sizeof(double));
  icl::collect::prompt_info late;
  late.index = 100;
  CHECK(c.begin_prompt(late) == 100);
  c.discard_prompt();
  CHECK(c.begin_prompt({}) == 5);
  c.discard_prompt();
  CHECK(c.heads() == 0);
  const auto r = c.run_suite([] {
    suite_params p = quick_params();
    p.decode.k = 2;
    p.cv.folds = 2;
    p.separability = false;
    return p;
  }());
  CHECK_FALSE(r.attention.previous_token.has_value());
  CHECK(r.geometry.empty());
  CHECK(r.rsa.size() == 2);
}

TEST_CASE("collector: errors name the function and the offending index", "[collect]") {
  const auto set = icl_test::make_set(4, 1, 2, 2, 3, 2);
  const auto config = icl_test::config_of(set, precision::f16);
  auto zero = config;
  zero.width = 0;
  CHECK_THROWS_WITH(prompt_collector(zero), Catch::StartsWith("icl::collect::prompt_collector: width = 0"));
  auto position = config;
  position.grown_rdm_position = 2;
  CHECK_THROWS_WITH(prompt_collector(position), Catch::Contains("position 2 must be < positions = 2"));

  prompt_collector c(config);
  const auto t = icl_test::typed<double>(set, set.prompts[0]);
  CHECK_THROWS_WITH(c.add_layer(0, t.hidden().matrix(0)),
                    Catch::StartsWith("icl::collect::prompt_collector::add_layer: no prompt is open"));
  c.begin_prompt(icl_test::info_of(set.prompts[0]));
  CHECK_THROWS_WITH(c.begin_prompt({}), Catch::Contains("prompt 0 is still open"));
  CHECK_THROWS_WITH(c.add_layer(2, t.hidden().matrix(0)), Catch::Contains("layer 2 must be < layers = 2"));
  const auto wide = icl::make_matrix_view(t.states.data(), 1, 6);
  CHECK_THROWS_WITH(c.add_layer(0, wide), Catch::Contains("rows is 1 x 6, expected positions x width = 2 x 3"));
  std::vector<double> bad(t.states.begin(), t.states.begin() + 6);
  bad[4] = std::nan("");
  CHECK_THROWS_WITH(c.add_layer(1, icl::make_matrix_view(bad.data(), 2, 3)),
                    Catch::Contains("prompt 0 layer 1 position 1 feature 1 is nan"));
  bad[4] = 1e6;  // beyond f16's largest finite value 65504
  CHECK_THROWS_WITH(c.add_layer(1, icl::make_matrix_view(bad.data(), 2, 3)), Catch::Contains("out of the range of f16"));
  c.add_layer(0, t.hidden().matrix(0));
  CHECK_THROWS_WITH(c.add_layer(0, t.hidden().matrix(0)), Catch::Contains("layer 0 was already added"));
  CHECK_THROWS_WITH(c.end_prompt(), Catch::Contains("prompt 0 has no states for layer 1"));
  CHECK_FALSE(c.prompt_open());
  CHECK(c.memory().states == 0);

  c.add_prompt(icl_test::info_of(set.prompts[0]), t.hidden());
  CHECK_THROWS_WITH(c.add_prompt(icl_test::info_of(set.prompts[0]), t.hidden()),
                    Catch::Contains("prompt index 0 was already added"));
  std::vector<icl::matrix_view<const double>> one_layer{t.hidden().matrix(0)};
  CHECK_THROWS_WITH(c.add_prompt(icl_test::info_of(set.prompts[1]), one_layer),
                    Catch::StartsWith("icl::collect::prompt_collector::add_prompt: hidden has 1 layers, expected 2"));

  // attention for some layers only
  c.begin_prompt(icl_test::info_of(set.prompts[1]));
  const auto t1 = icl_test::typed<double>(set, set.prompts[1]);
  c.add_layer(0, t1.hidden().matrix(0));
  c.add_layer(1, t1.hidden().matrix(1));
  c.add_attention(1, t1.attn()[1]);
  CHECK_THROWS_WITH(c.end_prompt(), Catch::Contains("prompt 1 has attention for 1 of 2 layers (layer 0 is missing)"));
  CHECK(c.prompts() == 1);

  // merge
  prompt_collector other(config);
  other.add_prompt(icl_test::info_of(set.prompts[0]), t.hidden());
  CHECK_THROWS_WITH(c.merge(std::move(other)), Catch::Contains("prompt index 0 is in both collectors"));
  auto f32 = config;
  f32.stored = precision::f32;
  CHECK_THROWS_WITH(c.merge(prompt_collector(f32)), Catch::Contains("configurations differ"));
  CHECK_THROWS_WITH(c.grown_rdm(0), Catch::Contains("grows no RDM"));
  CHECK_THROWS_WITH(prompt_collector(config).run_suite(), Catch::Contains("no prompt was added"));
}

TEST_CASE("collector: precision names", "[collect]") {
  using icl::collect::precision;
  for (precision p : {precision::f16, precision::bf16, precision::f32, precision::f64}) {
    CHECK(icl::from_string<precision>(icl::to_string(p)) == p);
  }
  CHECK(icl::to_string(precision::bf16) == "bf16");
  CHECK(icl::enum_names<precision>() == std::vector<std::string>{"f16", "bf16", "f32", "f64"});
  CHECK_THROWS_WITH(icl::from_string<precision>("half"),
                    Catch::Contains("'half' is not a icl::collect::precision (one of f16, bf16, f32, f64)"));
}
