// Previous-token and induction scores, label attention, top heads and the accumulators
// (tests/data/attention_heads.txt: numpy values).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "icl/attention/heads.hpp"
#include "support/attention.hpp"
#include "support/fixture.hpp"
#include "support/views.hpp"

namespace {

using head = std::pair<std::size_t, std::size_t>;
using icl_test::positions;
using icl_test::require_rel;
using icl_test::typed_attention;

/// make_attention from a fixture record's values and its [L, H, T, T] shape.
template <class T>
icl_test::typed_attention<T> make_attention(const std::vector<double>& a, const std::vector<std::size_t>& shape,
                                            bool permuted) {
  return icl_test::make_attention<T>(a, shape[0], shape[1], shape[2], permuted);
}

std::string prefix(int p) { return "p" + std::to_string(p) + "_"; }

}  // namespace

TEMPLATE_TEST_CASE("previous_token_score, induction_score and label_attention match numpy", "[attention][heads]",
                   float, double) {
  const icl_test::fixture_file f("attention_heads.txt");
  for (int p = 0; p < 3; ++p) {
    const std::string name = prefix(p);
    const auto labels = positions(f, name + "label_positions");
    for (bool permuted : {false, true}) {
      INFO("prompt " << p << " permuted " << permuted);
      const auto A = make_attention<TestType>(f.values(name + "A"), f.shape(name + "A"), permuted);
      const auto pth = icl::attention::previous_token_score(A.view);
      REQUIRE(pth.zero_denominator.empty());
      icl_test::require_close<TestType>(pth.values, f.values(name + "pth"));
      const auto ih = icl::attention::induction_score(A.view, labels);
      icl_test::require_close<TestType>(ih.values, f.values(name + "ih"));
      const auto la = icl::attention::label_attention(A.view, labels, f.ints(name + "labels"));
      REQUIRE(la.classes == f.ints(name + "classes"));
      icl_test::require_close<TestType>(la.values, f.values(name + "label_attention"));
      REQUIRE(la(1, 2, 0) == la.values[(1 * la.heads + 2) * la.classes.size()]);
      // One layer [heads, T, T], a strided slice of the 4-D buffer.
      for (std::size_t l = 0; l < pth.layers; ++l) {
        const auto one_pth = icl::attention::previous_token_score(A.view[l]);
        const auto one_ih = icl::attention::induction_score(A.view[l], labels);
        REQUIRE(one_pth.layers == 1);
        for (std::size_t h = 0; h < pth.heads; ++h) {
          REQUIRE(one_pth(0, h) == pth(l, h));
          REQUIRE(one_ih(0, h) == ih(l, h));
        }
      }
    }
  }
}

TEMPLATE_TEST_CASE("head scores on half precision are within its rounding", "[attention][heads]", icl::f16, icl::bf16) {
  const icl_test::fixture_file f("attention_heads.txt");
  const double rel = std::is_same_v<TestType, icl::f16> ? 1e-3 : 8e-3;  // sums of positive terms rounded once
  for (int p = 0; p < 3; ++p) {
    const std::string name = prefix(p);
    const auto A = make_attention<TestType>(f.values(name + "A"), f.shape(name + "A"), p == 2);
    require_rel(icl::attention::previous_token_score(A.view).values, f.values(name + "pth"), rel);
    require_rel(icl::attention::induction_score(A.view, positions(f, name + "label_positions")).values,
                f.values(name + "ih"), rel);
  }
}

TEST_CASE("accumulators sum ragged prompts and merge", "[attention][heads][accumulator]") {
  const icl_test::fixture_file f("attention_heads.txt");
  std::vector<typed_attention<double>> tensors;
  for (int p = 0; p < 3; ++p) tensors.push_back(make_attention<double>(f.values(prefix(p) + "A"), f.shape(prefix(p) + "A"), p == 0));
  const auto labels = [&](int p) { return positions(f, prefix(p) + "label_positions"); };

  icl::attention::previous_token_accumulator pth_all, pth_a, pth_b;
  icl::attention::induction_accumulator ih_all, ih_a, ih_b;
  for (int p = 0; p < 3; ++p) {
    pth_all.add(tensors[p].view);
    ih_all.add(tensors[p].view, labels(p));
  }
  REQUIRE(pth_all.prompts() == 3);
  REQUIRE(ih_all.prompts() == 3);
  icl_test::require_close<double>(pth_all.result().values, f.values("sum_pth"));
  icl_test::require_close<double>(ih_all.result().values, f.values("sum_ih"));

  pth_a.add(tensors[0].view);
  ih_a.add(tensors[0].view, labels(0));
  for (int p = 1; p < 3; ++p) {
    pth_b.add(tensors[p].view);
    ih_b.add(tensors[p].view, labels(p));
  }
  pth_a.merge(pth_b);
  ih_a.merge(ih_b);
  pth_a.merge(icl::attention::previous_token_accumulator{});
  REQUIRE(pth_a.prompts() == 3);
  REQUIRE(ih_a.prompts() == 3);
  for (std::size_t i = 0; i < pth_a.result().values.size(); ++i) {
    REQUIRE(pth_a.result().values[i] == Approx(pth_all.result().values[i]).epsilon(1e-14));
    REQUIRE(ih_a.result().values[i] == Approx(ih_all.result().values[i]).epsilon(1e-14));
  }
}

TEST_CASE("top_heads ranks by score with ties in (layer, head) order", "[attention][heads][top]") {
  icl::attention::head_map s;
  s.layers = 2;
  s.heads = 5;
  s.values = {0.1, 0.9, 0.5, 0.9, 0.2, 0.3, std::numeric_limits<double>::infinity(), 0.5, 0.0, 0.9};
  REQUIRE(icl::attention::top_heads(s, 0.1) == std::vector<head>{{1, 1}});
  REQUIRE(icl::attention::top_heads(s) == std::vector<head>{{1, 1}});
  REQUIRE(icl::attention::top_heads(s, 0.3) == std::vector<head>{{1, 1}, {0, 1}, {0, 3}});  // 0.3 * 10 is 3, not 4
  REQUIRE(icl::attention::top_heads(s, 0.31) == std::vector<head>{{1, 1}, {0, 1}, {0, 3}, {1, 4}});
  REQUIRE(icl::attention::top_heads(s, 0.6) ==
          std::vector<head>{{1, 1}, {0, 1}, {0, 3}, {1, 4}, {0, 2}, {1, 2}});
  REQUIRE(icl::attention::top_heads(s, 0.01) == std::vector<head>{{1, 1}});  // at least one
  REQUIRE(icl::attention::top_heads(s, 1.0).size() == 10);
  REQUIRE(icl::attention::top_heads(s, 1.0).back() == head{1, 3});
}

TEST_CASE("head scores reject bad arguments", "[attention][heads][errors]") {
  using Catch::Contains;
  std::vector<double> a = {1, 0, 0, 0.5, 0.5, 0, 0.2, 0.3, 0.5};
  const auto A = icl::make_tensor_view<double, 4>(a.data(), {1, 1, 3, 3});
  const std::vector<double> one = {1.0};
  const auto single = icl::make_tensor_view<double, 4>(one.data(), {1, 1, 1, 1});
  REQUIRE_THROWS_AS(icl::attention::previous_token_score(single), icl::invalid_argument);
  REQUIRE_THROWS_WITH(icl::attention::previous_token_score(single),
                      Contains("icl::attention::previous_token_score: attention has T = 1 positions, need at least 2"));
  const auto rect = icl::make_tensor_view<double, 4>(a.data(), {1, 1, 2, 3});
  REQUIRE_THROWS_WITH(icl::attention::previous_token_score(rect), Contains("must be square (T x T), got 2 x 3"));
  REQUIRE_THROWS_WITH(icl::attention::induction_score(rect, {0}),
                      Contains("icl::attention::induction_score: attention maps must be square"));

  std::vector<double> bad = a;
  bad[3] = std::numeric_limits<double>::quiet_NaN();  // (query 1, key 0): on the subdiagonal, not in row 2
  const auto B = icl::make_tensor_view<double, 4>(bad.data(), {1, 1, 3, 3});
  REQUIRE_THROWS_WITH(icl::attention::previous_token_score(B),
                      Contains("attention (layer 0, head 0, query 1, key 0) is nan"));
  REQUIRE_NOTHROW(icl::attention::induction_score(B, {0, 1}));  // only row T-1 is read
  bad[3] = 0.5;
  bad[6] = -std::numeric_limits<double>::infinity();
  REQUIRE_THROWS_WITH(icl::attention::induction_score(B, {1}),
                      Contains("icl::attention::induction_score: attention (layer 0, head 0, query 2, key 0) is -inf"));
  REQUIRE_NOTHROW(icl::attention::previous_token_score(B));  // (2, 0) is not on the subdiagonal

  REQUIRE_THROWS_WITH(icl::attention::induction_score(A, {}), Contains("label_positions is empty"));
  REQUIRE_THROWS_WITH(icl::attention::induction_score(A, {0, 3}), Contains("label_positions[1] = 3 must be < T = 3"));
  REQUIRE_THROWS_WITH(icl::attention::induction_score(A, {1, 1}), Contains("label_positions holds position 1 more than once"));
  std::vector<double> zero = a;
  zero[6] = zero[7] = zero[8] = 0.0;
  REQUIRE_THROWS_WITH(icl::attention::induction_score(icl::make_tensor_view<double, 4>(zero.data(), {1, 1, 3, 3}), {1}),
                      Contains("attention row of layer 0, head 0, query position 2 is all zero"));
  icl::attention::attention_params check;
  check.check_row_sums = true;
  check.row_sum_tolerance = 1e-6;
  std::vector<double> off = a;
  off[8] = 0.4;
  REQUIRE_NOTHROW(icl::attention::induction_score(A, {1}, check));
  REQUIRE_THROWS_WITH(icl::attention::induction_score(icl::make_tensor_view<double, 4>(off.data(), {1, 1, 3, 3}), {1}, check),
                      Contains("query position 2 sums to 0.9"));

  REQUIRE_THROWS_WITH(icl::attention::label_attention(A, {0, 1}, {3}),
                      Contains("icl::attention::label_attention: labels has 1 entries but label_positions has 2 rows"));
  REQUIRE_THROWS_WITH(icl::attention::label_attention(A, {0, 4}, {3, 3}), Contains("label_positions[1] = 4 must be < T = 3"));

  icl::attention::head_map s;
  s.layers = 1;
  s.heads = 2;
  s.values = {0.5, 0.25};
  for (double bad_fraction : {0.0, -0.1, 1.5, std::numeric_limits<double>::quiet_NaN()}) {
    REQUIRE_THROWS_AS(icl::attention::top_heads(s, bad_fraction), icl::invalid_argument);
  }
  REQUIRE_THROWS_WITH(icl::attention::top_heads(s, 1.5), Contains("icl::attention::top_heads: fraction = 1.5 must be in (0, 1]"));
  s.values[1] = std::numeric_limits<double>::quiet_NaN();
  REQUIRE_THROWS_WITH(icl::attention::top_heads(s, 0.5), Contains("score of layer 0, head 1 is NaN"));
  s.values = {0.5};
  REQUIRE_THROWS_WITH(icl::attention::top_heads(s, 0.5), Contains("values has 1 entries, expected layers x heads = 2"));
  REQUIRE_THROWS_WITH(icl::attention::top_heads(icl::attention::head_map{}, 0.5), Contains("the head map is empty"));

  icl::attention::previous_token_accumulator pth;
  icl::attention::induction_accumulator ih;
  REQUIRE_THROWS_WITH(pth.result(), Contains("icl::attention::previous_token_accumulator::result: no prompt was added"));
  REQUIRE_THROWS_WITH(ih.result(), Contains("icl::attention::induction_accumulator::result: no prompt was added"));
  pth.add(A);
  ih.add(A, {1});
  const std::vector<double> two(18, 0.5);
  const auto A2 = icl::make_tensor_view<double, 4>(two.data(), {1, 2, 3, 3});
  REQUIRE_THROWS_WITH(pth.add(A2), Contains("icl::attention::previous_token_accumulator::add: shape 1 layers x 2 heads "
                                            "does not match the accumulated 1 x 1"));
  REQUIRE_THROWS_WITH(ih.add(A2, {3}), Contains("icl::attention::induction_accumulator::add: label_positions[0] = 3"));
  icl::attention::induction_accumulator other;
  other.add(A2, {1});
  REQUIRE_THROWS_WITH(ih.merge(other), Contains("icl::attention::induction_accumulator::merge: shape 1 layers x 2 heads"));
  REQUIRE(pth.prompts() == 1);
  REQUIRE(ih.prompts() == 1);
}
