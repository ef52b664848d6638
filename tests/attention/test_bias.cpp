// Label-attention bias statistics, the label-attention shift under reversed labels and the
// ICL-minus-no-ICL change of a head map (tests/data/attention_heads.txt: numpy values).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "icl/attention/bias.hpp"
#include "icl/attention/ratio.hpp"
#include "support/attention.hpp"
#include "support/fixture.hpp"
#include "support/views.hpp"

namespace {

using icl_test::positions;
using icl_test::require_rel;
using icl_test::prompt_attention;
using icl_test::typed_attention;

std::string prefix(int p) { return "p" + std::to_string(p) + "_"; }

}  // namespace

TEMPLATE_TEST_CASE("label_bias_statistics matches numpy for one prompt", "[attention][bias]", float, double) {
  const icl_test::fixture_file f("attention_heads.txt");
  for (int p = 0; p < 3; ++p) {
    for (bool permuted : {false, true}) {
      INFO("prompt " << p << " permuted " << permuted);
      const auto A = prompt_attention<TestType>(f, p, permuted);
      const auto bias = icl::attention::label_bias_statistics(A.view, positions(f, prefix(p) + "label_positions"),
                                                              f.ints(prefix(p) + "labels"));
      REQUIRE(bias.prompts == 1);
      REQUIRE(bias.max_demonstrations == f.ints(prefix(p) + "labels").size());
      REQUIRE(bias.profile_prompts == std::vector<std::size_t>(bias.max_demonstrations, 1));
      icl_test::require_close<TestType>(bias.recency_excess, f.values(prefix(p) + "recency_excess"));
      icl_test::require_close<TestType>(bias.recency_profile, f.values(prefix(p) + "recency_profile"));
      REQUIRE(bias.recency(1, 2) == bias.recency_excess[1 * bias.heads + 2]);
      REQUIRE(bias.profile(2, 3, 1) == bias.recency_profile[(2 * bias.heads + 3) * bias.max_demonstrations + 1]);
      if (f.has(prefix(p) + "majority_excess")) {
        REQUIRE(bias.majority_prompts == 1);
        icl_test::require_close<TestType>(bias.majority_excess, f.values(prefix(p) + "majority_excess"));
      } else {
        // Prompt 0 has one demonstration of each class: no majority, documented NaN.
        REQUIRE(bias.majority_prompts == 0);
        for (double v : bias.majority_excess) REQUIRE(std::isnan(v));
      }
    }
  }
}

TEMPLATE_TEST_CASE("label bias statistics on half precision are within its rounding", "[attention][bias]", icl::f16,
                   icl::bf16) {
  const icl_test::fixture_file f("attention_heads.txt");
  const double abs_tol = std::is_same_v<TestType, icl::f16> ? 2e-3 : 1.5e-2;  // shares in [0, 1], rounded once
  for (int p = 1; p < 3; ++p) {
    const auto A = prompt_attention<TestType>(f, p, p == 2);
    const auto bias = icl::attention::label_bias_statistics(A.view, positions(f, prefix(p) + "label_positions"),
                                                            f.ints(prefix(p) + "labels"));
    const auto& expected = f.values(prefix(p) + "majority_excess");
    for (std::size_t i = 0; i < expected.size(); ++i) {
      REQUIRE(bias.majority_excess[i] == Approx(expected[i]).margin(abs_tol));
      REQUIRE(bias.recency_excess[i] == Approx(f.values(prefix(p) + "recency_excess")[i]).margin(abs_tol));
    }
  }
}

TEST_CASE("label_bias_accumulator averages ragged prompts and merges", "[attention][bias][accumulator]") {
  const icl_test::fixture_file f("attention_heads.txt");
  std::vector<typed_attention<double>> tensors;
  for (int p = 0; p < 3; ++p) tensors.push_back(prompt_attention<double>(f, p, p == 1));
  const auto labels = [&](int p) { return positions(f, prefix(p) + "label_positions"); };
  const auto classes = [&](int p) { return f.ints(prefix(p) + "labels"); };

  icl::attention::label_bias_accumulator all, first, rest;
  for (int p = 0; p < 3; ++p) all.add(tensors[p].view, labels(p), classes(p));
  const auto mean = all.result();
  REQUIRE(mean.prompts == 3);
  REQUIRE(mean.majority_prompts == 2);
  REQUIRE(mean.max_demonstrations == 3);  // prompts have 2, 3 and 3 label positions
  std::vector<std::size_t> counts;
  for (int c : f.ints("profile_prompts")) counts.push_back(static_cast<std::size_t>(c));
  REQUIRE(mean.profile_prompts == counts);
  icl_test::require_close<double>(mean.majority_excess, f.values("mean_majority_excess"));
  icl_test::require_close<double>(mean.recency_excess, f.values("mean_recency_excess"));
  icl_test::require_close<double>(mean.recency_profile, f.values("mean_recency_profile"));

  // merge: the short prompt alone, then the two others; the profile widens on merge.
  rest.add(tensors[1].view, labels(1), classes(1));
  rest.add(tensors[2].view, labels(2), classes(2));
  first.add(tensors[0].view, labels(0), classes(0));
  first.merge(rest);
  first.merge(icl::attention::label_bias_accumulator{});
  const auto merged = first.result();
  REQUIRE(merged.prompts == 3);
  REQUIRE(merged.profile_prompts == counts);
  for (std::size_t i = 0; i < mean.recency_profile.size(); ++i) {
    REQUIRE(merged.recency_profile[i] == Approx(mean.recency_profile[i]).epsilon(1e-14));
  }
  for (std::size_t i = 0; i < mean.majority_excess.size(); ++i) {
    REQUIRE(merged.majority_excess[i] == Approx(mean.majority_excess[i]).epsilon(1e-14));
    REQUIRE(merged.recency_excess[i] == Approx(mean.recency_excess[i]).epsilon(1e-14));
  }
  // Merging into an empty accumulator copies.
  icl::attention::label_bias_accumulator empty;
  empty.merge(rest);
  REQUIRE(empty.prompts() == 2);
}

TEST_CASE("label_attention_shift and icl_change match numpy", "[attention][bias][change]") {
  const icl_test::fixture_file f("attention_heads.txt");
  const auto A1 = prompt_attention<float>(f, 1, true);
  const auto labels = positions(f, "p1_label_positions");
  const auto original = icl::attention::label_attention(A1.view, labels, f.ints("p1_labels"));
  const auto reversed = icl::attention::label_attention(A1.view, labels, f.ints("p1_reversed_labels"));
  const auto shift = icl::attention::label_attention_shift(original, reversed);
  REQUIRE(shift.classes == original.classes);
  icl_test::require_close<float>(shift.values, f.values("p1_label_attention_shift"));

  const auto A0 = prompt_attention<double>(f, 0, false);
  const auto A1d = prompt_attention<double>(f, 1, false);
  const auto r0 = icl::attention::attention_ratio(A0.view, positions(f, "p0_sources"), positions(f, "p0_relevant"),
                                                  positions(f, "p0_irrelevant"));
  const auto r1 = icl::attention::attention_ratio(A1d.view, positions(f, "p1_sources"), positions(f, "p1_relevant"),
                                                  positions(f, "p1_irrelevant"));
  const auto change = icl::attention::icl_change(r0, r1);
  icl_test::require_close<double>(change.values, f.values("change_ratio_p0_minus_p1"));
  REQUIRE(change.zero_denominator_count == 0);
  REQUIRE_FALSE(change.undefined(0, 0));
}

TEST_CASE("icl_change keeps the flags of undefined ratios", "[attention][change]") {
  const double inf = std::numeric_limits<double>::infinity();
  icl::attention::head_map with, without;
  with.layers = without.layers = 1;
  with.heads = without.heads = 3;
  with.values = {2.0, inf, inf};
  with.zero_denominator = {0, 1, 1};
  with.zero_denominator_count = 2;
  without.values = {0.5, 1.0, inf};
  without.zero_denominator = {0, 0, 1};
  without.zero_denominator_count = 1;
  const auto change = icl::attention::icl_change(with, without);
  REQUIRE(change.values[0] == 1.5);
  REQUIRE(change.values[1] == inf);
  REQUIRE(std::isnan(change.values[2]));
  REQUIRE(change.zero_denominator_count == 2);
  REQUIRE_FALSE(change.undefined(0, 0));
  REQUIRE(change.undefined(0, 1));
  REQUIRE(change.undefined(0, 2));
  // Unflagged maps (e.g. induction scores) give an unflagged difference.
  with.zero_denominator.clear();
  with.values = {1, 2, 3};
  without.zero_denominator.clear();
  REQUIRE(icl::attention::icl_change(with, without).zero_denominator.empty());
}

TEST_CASE("bias statistics, shift and change reject bad arguments", "[attention][bias][errors]") {
  using Catch::Contains;
  // One head, T = 4; the last row puts no weight on positions 0 and 1.
  std::vector<double> a = {1, 0, 0, 0, 0.5, 0.5, 0, 0, 0.2, 0.3, 0.5, 0, 0, 0, 0.4, 0.6};
  const auto A = icl::make_tensor_view<double, 4>(a.data(), {1, 1, 4, 4});
  REQUIRE_THROWS_AS(icl::attention::label_bias_statistics(A, {0, 1}, {0, 1}), icl::invalid_argument);
  REQUIRE_THROWS_WITH(icl::attention::label_bias_statistics(A, {0, 1}, {0, 1}),
                      Contains("icl::attention::label_bias_statistics: attention from the last position (3) to the "
                               "label positions is zero in layer 0, head 0"));
  REQUIRE_NOTHROW(icl::attention::label_bias_statistics(A, {0, 2}, {0, 1}));
  REQUIRE_THROWS_WITH(icl::attention::label_bias_statistics(A, {0, 2}, {0}),
                      Contains("labels has 1 entries but label_positions has 2 rows"));
  REQUIRE_THROWS_WITH(icl::attention::label_bias_statistics(A, {}, {}), Contains("label_positions is empty"));
  REQUIRE_THROWS_WITH(icl::attention::label_bias_statistics(A, {2, 4}, {0, 1}),
                      Contains("label_positions[1] = 4 must be < T = 4"));
  std::vector<double> bad = a;
  bad[12] = std::numeric_limits<double>::quiet_NaN();
  REQUIRE_THROWS_WITH(icl::attention::label_bias_statistics(icl::make_tensor_view<double, 4>(bad.data(), {1, 1, 4, 4}),
                                                            {2}, {0}),
                      Contains("attention (layer 0, head 0, query 3, key 0) is nan"));

  icl::attention::label_bias_accumulator acc;
  REQUIRE_THROWS_WITH(acc.result(), Contains("icl::attention::label_bias_accumulator::result: no prompt was added"));
  acc.add(A, {2, 3}, {5, 5});
  const std::vector<double> two(32, 0.25);
  const auto A2 = icl::make_tensor_view<double, 4>(two.data(), {1, 2, 4, 4});
  REQUIRE_THROWS_WITH(acc.add(A2, {2}, {0}), Contains("icl::attention::label_bias_accumulator::add: shape 1 layers x 2 "
                                                      "heads does not match the accumulated 1 x 1"));
  icl::attention::label_bias_accumulator other;
  other.add(A2, {1}, {0});
  REQUIRE_THROWS_WITH(acc.merge(other), Contains("icl::attention::label_bias_accumulator::merge: shape 1 layers x 2 heads"));
  REQUIRE(acc.prompts() == 1);
  const auto one = acc.result();
  REQUIRE(one.majority_prompts == 1);               // a single class is a unique majority
  REQUIRE(one.majority_excess[0] == Approx(0.0));   // all attention goes to it, as all demonstrations do

  const auto la = icl::attention::label_attention(A, {2, 3}, {0, 1});
  const auto la2 = icl::attention::label_attention(A2, {2, 3}, {0, 1});
  const auto la3 = icl::attention::label_attention(A, {2, 3}, {0, 2});
  REQUIRE_THROWS_WITH(icl::attention::label_attention_shift(la, la2),
                      Contains("icl::attention::label_attention_shift: shapes differ: 1 x 1 and 1 x 2"));
  REQUIRE_THROWS_WITH(icl::attention::label_attention_shift(la, la3), Contains("different label classes"));

  icl::attention::head_map h1, h2;
  h1.layers = 1;
  h1.heads = 2;
  h1.values = {1, 2};
  h2.layers = 2;
  h2.heads = 1;
  h2.values = {1, 2};
  REQUIRE_THROWS_WITH(icl::attention::icl_change(h1, h2),
                      Contains("icl::attention::icl_change: with_icl is 1 x 2 and without_icl is 2 x 1"));
  REQUIRE_THROWS_WITH(icl::attention::icl_change(h1, icl::attention::head_map{}), Contains("without_icl is empty"));
  h2 = h1;
  h2.values.pop_back();
  REQUIRE_THROWS_WITH(icl::attention::icl_change(h1, h2), Contains("without_icl has 1 values, expected layers x heads = 2"));
}
