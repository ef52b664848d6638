// The [P1] preset (icl/rsa/p1.hpp): max-pooling over a token subset, z-scoring each feature
// across prompts, cosine RDM, Spearman with a hypothesis — against the numpy/scipy pipeline of
// tests/data/make_p13_fixtures.py (rsa_p1.txt), for float and double, on strided tokens; and
// against the library's own chain (pool_tokens, rsa_curve with p1_curve_params()).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstddef>
#include <limits>
#include <type_traits>
#include <vector>

#include "icl/core/preprocess.hpp"
#include "icl/rsa/alignment.hpp"
#include "icl/rsa/hypothesis.hpp"
#include "icl/rsa/p1.hpp"
#include "icl/rsa/rdm.hpp"
#include "support/fixture.hpp"
#include "support/views.hpp"

namespace {

struct p1_data {
  std::size_t layers, n, length, d;
  std::vector<double> tokens;
  std::vector<std::size_t> subset;
  std::vector<std::vector<std::size_t>> subsets;
};

p1_data load(const icl_test::fixture_file& f) {
  p1_data out;
  const auto& shape = f.shape("tokens");
  out.layers = shape[0];
  out.n = shape[1];
  out.length = shape[2];
  out.d = shape[3];
  out.tokens = f.values("tokens");
  for (int p : f.ints("subset")) out.subset.push_back(static_cast<std::size_t>(p));
  const auto flat = f.ints("positions_flat");
  const auto offsets = f.ints("positions_offsets");
  for (std::size_t i = 0; i + 1 < offsets.size(); ++i) {
    std::vector<std::size_t> s;
    for (int k = offsets[i]; k < offsets[i + 1]; ++k) s.push_back(static_cast<std::size_t>(flat[static_cast<std::size_t>(k)]));
    out.subsets.push_back(s);
  }
  return out;
}

// The tokens stored [T, layers, d, n] (every axis strided), viewed as [layers, n, T, d].
template <class T>
struct strided_tokens {
  std::vector<T> buffer;
  icl::tensor_view<const T, 4> view;
  explicit strided_tokens(const p1_data& s) : buffer(s.tokens.size()) {
    for (std::size_t l = 0; l < s.layers; ++l)
      for (std::size_t i = 0; i < s.n; ++i)
        for (std::size_t t = 0; t < s.length; ++t)
          for (std::size_t j = 0; j < s.d; ++j)
            buffer[((t * s.layers + l) * s.d + j) * s.n + i] =
                static_cast<T>(s.tokens[((l * s.n + i) * s.length + t) * s.d + j]);
    const auto st = [](std::size_t v) { return static_cast<std::ptrdiff_t>(v); };
    view = icl::make_tensor_view<T, 4>(buffer.data(), {s.layers, s.n, s.length, s.d},
                                       {st(s.d * s.n), 1, st(s.layers * s.d * s.n), st(s.n)});
  }
};

}  // namespace

TEMPLATE_TEST_CASE("p1_rdm and p1_rsa_curve match the numpy [P1] pipeline", "[rsa][p1]", float, double) {
  const icl_test::fixture_file f("rsa_p1.txt");
  const p1_data s = load(f);
  const std::vector<TestType> contiguous(s.tokens.begin(), s.tokens.end());
  const auto a = icl::make_tensor_view<TestType, 4>(contiguous.data(), {s.layers, s.n, s.length, s.d});
  const strided_tokens<TestType> b(s);
  const auto hypothesis = icl::rsa::rdm_from_condensed(f.values("hyp"));
  const double tol = std::is_same_v<TestType, double> ? 1e-10 : 2e-5;
  const std::size_t m = s.n * (s.n - 1) / 2;
  const auto& rdm_shared = f.values("rdm_shared");
  const auto& rdm_per = f.values("rdm_per");
  for (const auto& tokens : {a, b.view}) {
    for (std::size_t l = 0; l < s.layers; ++l) {
      INFO("layer " << l);
      const icl::rsa::rdm shared = icl::rsa::p1_rdm(tokens[l], s.subset);
      const icl::rsa::rdm per = icl::rsa::p1_rdm(tokens[l], s.subsets);
      REQUIRE(shared.size() == m);
      for (std::size_t k = 0; k < m; ++k) {
        CHECK(shared.condensed()[k] == Approx(rdm_shared[l * m + k]).margin(tol));
        CHECK(per.condensed()[k] == Approx(rdm_per[l * m + k]).margin(tol));
      }
    }
    icl::rsa::rsa_curve_params p = icl::rsa::p1_curve_params();
    p.permutations = 199;
    p.bootstrap_samples = 100;
    p.seed = 8;
    const icl::rsa::layer_rsa_result shared = icl::rsa::p1_rsa_curve(tokens, s.subset, hypothesis, p);
    const icl::rsa::layer_rsa_result per = icl::rsa::p1_rsa_curve(tokens, s.subsets, hypothesis, p);
    const auto& align_shared = f.values("align_shared");
    const auto& align_per = f.values("align_per");
    REQUIRE(shared.layers() == s.layers);
    for (std::size_t l = 0; l < s.layers; ++l) {
      CHECK(shared.statistic[l] == Approx(align_shared[l]).margin(1e-12));
      CHECK(per.statistic[l] == Approx(align_per[l]).margin(1e-12));
      CHECK(shared.p_value[l] > 0.0);
      CHECK(shared.ci_low[l] <= shared.ci_high[l]);
    }
    CHECK(shared.peak_layer() == 1);
    // The same as pooling by hand and calling rsa_curve with the preset's params.
    std::vector<double> pooled;
    for (std::size_t l = 0; l < s.layers; ++l) {
      const auto layer = icl::pool_tokens(tokens[l], s.subset, icl::pooling::max);
      pooled.insert(pooled.end(), layer.values().begin(), layer.values().end());
    }
    std::vector<TestType> pooled_t(pooled.begin(), pooled.end());
    const auto H = icl::make_tensor_view<TestType, 3>(pooled_t.data(), {s.layers, s.n, s.d});
    const icl::rsa::layer_rsa_result by_hand = icl::rsa::rsa_curve(H, hypothesis, p);
    CHECK(by_hand.statistic == shared.statistic);
    CHECK(by_hand.p_value == shared.p_value);
    CHECK(by_hand.ci_low == shared.ci_low);
    CHECK(by_hand.ci_high == shared.ci_high);
  }
}

TEMPLATE_TEST_CASE("p1_icl_effect matches the numpy [P1] pipeline with and without demonstrations", "[rsa][p1]",
                   float, double) {
  const icl_test::fixture_file f("rsa_p1.txt");
  const p1_data s = load(f);
  const auto& none = f.values("tokens_none");
  const auto& shape = f.shape("tokens_none");
  const auto with_t = icl_test::c_order_tensor<TestType, 4>(s.tokens, {s.layers, s.n, s.length, s.d});
  const auto none_t = icl_test::c_order_tensor<TestType, 4>(none, icl_test::extents_of<4>(shape));
  const auto& with_icl = with_t.view;
  const auto& without = none_t.view;
  const strided_tokens<TestType> strided(s);
  std::vector<std::size_t> subset_none;
  for (int p : f.ints("subset_none")) subset_none.push_back(static_cast<std::size_t>(p));
  const auto hypothesis = icl::rsa::rdm_from_condensed(f.values("hyp"));
  const auto& align_shared = f.values("align_shared");
  const auto& align_none = f.values("align_none");
  for (const auto& tokens : {with_icl, strided.view}) {
    const icl::rsa::icl_effect_result e = icl::rsa::p1_icl_effect(tokens, s.subset, without, subset_none, hypothesis);
    REQUIRE(e.delta.layers() == s.layers);
    for (std::size_t l = 0; l < s.layers; ++l) {
      CHECK(e.with_icl[l] == Approx(align_shared[l]).margin(1e-12));
      CHECK(e.without_icl[l] == Approx(align_none[l]).margin(1e-12));
      CHECK(e.delta[l] == Approx(align_shared[l] - align_none[l]).margin(1e-12));
    }
  }
  const auto fn = Catch::StartsWith("icl::rsa::p1_icl_effect:");
  REQUIRE_THROWS_WITH(icl::rsa::p1_icl_effect(with_icl, s.subset, without, std::vector<std::size_t>{4}, hypothesis),
                      fn && Catch::Contains("layer 0: ") && Catch::Contains("position 4"));
  const auto two_layers = icl::make_tensor_view<TestType, 4>(none_t.storage.data(), {2, shape[1], shape[2], shape[3]});
  REQUIRE_THROWS_WITH(icl::rsa::p1_icl_effect(with_icl, s.subset, two_layers, subset_none, hypothesis),
                      fn && Catch::Contains("without_icl has 2"));
}

TEST_CASE("the [P1] preset's parameters", "[rsa][p1]") {
  const icl::rsa::hypothesis_alignment_params a = icl::rsa::p1_alignment_params();
  CHECK(a.dissimilarity == icl::rsa::dissimilarity::cosine);
  CHECK(a.comparison == icl::rsa::comparison::spearman);
  CHECK(a.standardize == icl::standardization::zscore_features);
  const icl::rsa::rsa_curve_params c = icl::rsa::p1_curve_params();
  CHECK(c.alignment.dissimilarity == icl::rsa::dissimilarity::cosine);
  CHECK(c.alignment.standardize == icl::standardization::zscore_features);
  CHECK(c.permutations == icl::rsa::rsa_curve_params{}.permutations);
}

TEST_CASE("the [P1] preset names the function in every documented error", "[rsa][p1][errors]") {
  using Catch::Contains;
  using Catch::StartsWith;
  // 2 layers, 4 prompts, 3 tokens, 2 features.
  std::vector<double> t(2 * 4 * 3 * 2);
  for (std::size_t i = 0; i < t.size(); ++i) t[i] = std::sin(0.7 * static_cast<double>(i * i) + 0.3);
  const auto tokens = icl::make_tensor_view<double, 4>(t.data(), {2, 4, 3, 2});
  const auto hypothesis = icl::rsa::parameter_rdm({0.0, 1.0, 2.0, 3.0});
  const auto rdm_fn = StartsWith("icl::rsa::p1_rdm:");
  REQUIRE_THROWS_AS(icl::rsa::p1_rdm(tokens[0], std::vector<std::size_t>{3}), icl::invalid_argument);
  REQUIRE_THROWS_WITH(icl::rsa::p1_rdm(tokens[0], std::vector<std::size_t>{3}), rdm_fn && Contains("position 3"));
  REQUIRE_THROWS_WITH(icl::rsa::p1_rdm(tokens[0], std::vector<std::size_t>{}), rdm_fn && Contains("empty position subset"));
  REQUIRE_THROWS_WITH(icl::rsa::p1_rdm(tokens[0], std::vector<std::vector<std::size_t>>(3, {0})),
                      rdm_fn && Contains("3 subsets for 4 prompts"));
  // A feature constant across prompts has no z-score.
  std::vector<double> c(t);
  for (std::size_t i = 0; i < 4; ++i)
    for (std::size_t k = 0; k < 3; ++k) c[(i * 3 + k) * 2 + 1] = 5.0;
  const auto constant = icl::make_tensor_view<double, 3>(c.data(), {4, 3, 2});
  REQUIRE_THROWS_WITH(icl::rsa::p1_rdm(constant, std::vector<std::size_t>{0, 1}),
                      rdm_fn && Contains("feature 1 is constant"));
  // A NaN token in the subset.
  std::vector<double> bad(t);
  bad[(2 * 3 + 1) * 2] = std::numeric_limits<double>::quiet_NaN();
  const auto with_nan = icl::make_tensor_view<double, 3>(bad.data(), {4, 3, 2});
  REQUIRE_THROWS_WITH(icl::rsa::p1_rdm(with_nan, std::vector<std::size_t>{1}), rdm_fn && Contains("prompt 2"));
  // One prompt: no RDM.
  const auto one = icl::make_tensor_view<double, 3>(t.data(), {1, 3, 2});
  REQUIRE_THROWS_WITH(icl::rsa::p1_rdm(one, std::vector<std::size_t>{0}), StartsWith("icl::rsa::p1_rdm:"));

  const auto curve_fn = StartsWith("icl::rsa::p1_rsa_curve:");
  icl::rsa::rsa_curve_params p = icl::rsa::p1_curve_params();
  p.permutations = 10;
  p.bootstrap_samples = 10;
  const auto empty = icl::make_tensor_view<double, 4>(t.data(), {0, 4, 3, 2});
  REQUIRE_THROWS_WITH(icl::rsa::p1_rsa_curve(empty, std::vector<std::size_t>{0}, hypothesis, p),
                      curve_fn && Contains("no layers"));
  REQUIRE_THROWS_WITH(icl::rsa::p1_rsa_curve(tokens, std::vector<std::size_t>{5}, hypothesis, p),
                      curve_fn && Contains("layer 0: ") && Contains("position 5"));
  REQUIRE_THROWS_WITH(icl::rsa::p1_rsa_curve(tokens, std::vector<std::size_t>{0}, icl::rsa::parameter_rdm({0.0, 1.0, 2.0}), p),
                      curve_fn && Contains("hypothesis RDM has n = 3"));
}
