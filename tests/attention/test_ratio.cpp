// Attention ratio and its accumulator (tests/data/attention_heads.txt: numpy values).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <vector>

#include "icl/attention/ratio.hpp"
#include "support/attention.hpp"
#include "support/fixture.hpp"
#include "support/views.hpp"

namespace {

using icl_test::make_attention;
using icl_test::positions;
using icl_test::require_rel;
using icl_test::typed_attention;

struct prompt {
  std::vector<double> a;
  std::size_t L, H, n;
  std::vector<std::size_t> sources, relevant, irrelevant;
};

prompt load(const icl_test::fixture_file& f, int p) {
  const std::string name = "p" + std::to_string(p) + "_";
  const auto& shape = f.shape(name + "A");
  return prompt{f.values(name + "A"), shape[0], shape[1], shape[2], positions(f, name + "sources"),
                positions(f, name + "relevant"), positions(f, name + "irrelevant")};
}

}  // namespace

TEMPLATE_TEST_CASE("attention_ratio matches numpy (contiguous and permuted layouts)", "[attention][ratio]", float,
                   double) {
  const icl_test::fixture_file f("attention_heads.txt");
  for (int p = 0; p < 3; ++p) {
    const prompt P = load(f, p);
    const std::string name = "p" + std::to_string(p) + "_";
    for (bool permuted : {false, true}) {
      INFO("prompt " << p << " permuted " << permuted);
      const auto A = make_attention<TestType>(P.a, P.L, P.H, P.n, permuted);
      const auto r = icl::attention::attention_ratio(A.view, P.sources, P.relevant, P.irrelevant);
      REQUIRE(r.layers == P.L);
      REQUIRE(r.heads == P.H);
      REQUIRE(r.zero_denominator_count == 0);
      icl_test::require_close<TestType>(r.values, f.values(name + "ratio"));
      REQUIRE(r(1, 2) == r.values[1 * P.H + 2]);
      icl_test::require_close<TestType>(icl::attention::mean_over_heads(r).values, f.values(name + "ratio_mean_heads"));
      const auto raw = icl::attention::attention_ratio(A.view, P.sources, P.relevant, P.irrelevant, false);
      icl_test::require_close<TestType>(raw.values, f.values(name + "ratio_raw"));
      // One layer [heads, T, T] (a strided slice of the 4-D buffer) gives that layer's row.
      for (std::size_t l = 0; l < P.L; ++l) {
        const auto one = icl::attention::attention_ratio(A.view[l], P.sources, P.relevant, P.irrelevant);
        REQUIRE(one.layers == 1);
        for (std::size_t h = 0; h < P.H; ++h) REQUIRE(one(0, h) == r(l, h));
      }
    }
  }
}

TEMPLATE_TEST_CASE("attention_ratio on half precision is within its rounding", "[attention][ratio]", icl::f16,
                   icl::bf16) {
  const icl_test::fixture_file f("attention_heads.txt");
  // Sums of positive terms each rounded once: the ratio is within about 2 units of roundoff.
  const double rel = std::is_same_v<TestType, icl::f16> ? 1.5e-3 : 1e-2;
  for (int p = 0; p < 3; ++p) {
    const prompt P = load(f, p);
    for (bool permuted : {false, true}) {
      const auto A = make_attention<TestType>(P.a, P.L, P.H, P.n, permuted);
      const auto r = icl::attention::attention_ratio(A.view, P.sources, P.relevant, P.irrelevant);
      require_rel(r.values, f.values("p" + std::to_string(p) + "_ratio"), rel);
    }
  }
}

TEST_CASE("attention_ratio reports a zero denominator as +inf with a flag", "[attention][ratio]") {
  // 1 layer, 2 heads, T = 3; head 0 gives the irrelevant key 0 nothing from position 2.
  const std::vector<double> a = {1, 0, 0, 0.5, 0.5, 0, 0, 0.25, 0.75,   // head 0
                                 1, 0, 0, 0.5, 0.5, 0, 0.5, 0.25, 0.25};  // head 1
  const auto A = icl::make_tensor_view<double, 4>(a.data(), {1, 2, 3, 3});
  const auto r = icl::attention::attention_ratio(A, {2}, {1, 2}, {0});
  REQUIRE(std::isinf(r(0, 0)));
  REQUIRE(r(0, 0) > 0);
  REQUIRE(r.undefined(0, 0));
  REQUIRE(!r.undefined(0, 1));
  REQUIRE(r.zero_denominator_count == 1);
  REQUIRE(r.zero_denominator == std::vector<unsigned char>{1, 0});
  REQUIRE(r(0, 1) == Approx((0.25 + 0.25) / 2 / 0.5));
  REQUIRE(std::isinf(icl::attention::mean_over_heads(r)[0]));
  // Zero numerator and denominator is flagged the same way.
  const auto both = icl::attention::attention_ratio(A, {1}, {2}, {2});
  REQUIRE(both.zero_denominator_count == 2);
  REQUIRE(std::isinf(both(0, 1)));
}

TEST_CASE("ratio_accumulator averages ragged prompts and merges", "[attention][ratio][accumulator]") {
  const icl_test::fixture_file f("attention_heads.txt");
  std::vector<prompt> prompts;
  std::vector<typed_attention<float>> tensors;
  for (int p = 0; p < 3; ++p) {
    prompts.push_back(load(f, p));
    tensors.push_back(make_attention<float>(prompts.back().a, prompts.back().L, prompts.back().H, prompts.back().n, p == 1));
  }
  icl::attention::ratio_accumulator all;
  for (std::size_t p = 0; p < 3; ++p) all.add(tensors[p].view, prompts[p].sources, prompts[p].relevant, prompts[p].irrelevant);
  REQUIRE(all.prompts() == 3);
  icl_test::require_close<float>(all.result().values, f.values("mean_ratio"));

  icl::attention::ratio_accumulator a, b, empty;
  a.add(tensors[0].view, prompts[0].sources, prompts[0].relevant, prompts[0].irrelevant);
  b.add(tensors[1].view, prompts[1].sources, prompts[1].relevant, prompts[1].irrelevant);
  b.add(tensors[2].view, prompts[2].sources, prompts[2].relevant, prompts[2].irrelevant);
  a.merge(b);
  a.merge(empty);
  REQUIRE(a.prompts() == 3);
  const auto merged = a.result().values, direct = all.result().values;
  for (std::size_t i = 0; i < direct.size(); ++i) REQUIRE(merged[i] == Approx(direct[i]).epsilon(1e-14));
  empty.merge(a);
  REQUIRE(empty.result().values == a.result().values);

  // A zero denominator in one prompt makes the mean +inf and flags it.
  const std::vector<double> z = {1, 0, 0, 0.5, 0.5, 0, 0, 0.25, 0.75};
  const std::vector<double> nz = {1, 0, 0, 0.5, 0.5, 0, 0.5, 0.25, 0.25};
  icl::attention::ratio_accumulator zacc;
  zacc.add(icl::make_tensor_view<double, 4>(nz.data(), {1, 1, 3, 3}), {2}, {1}, {0});
  zacc.add(icl::make_tensor_view<double, 4>(z.data(), {1, 1, 3, 3}), {2}, {1}, {0});
  REQUIRE(std::isinf(zacc.result()(0, 0)));
  REQUIRE(zacc.result().undefined(0, 0));
  REQUIRE(zacc.result().zero_denominator_count == 1);
}

TEST_CASE("attention_ratio rejects bad arguments", "[attention][ratio][errors]") {
  std::vector<double> a = {1, 0, 0, 0.5, 0.5, 0, 0.2, 0.3, 0.5};
  const auto A = icl::make_tensor_view<double, 4>(a.data(), {1, 1, 3, 3});
  using icl::attention::attention_ratio;
  using Catch::Contains;
  REQUIRE_THROWS_AS(attention_ratio(A, {}, {1}, {0}), icl::invalid_argument);
  REQUIRE_THROWS_WITH(attention_ratio(A, {}, {1}, {0}), Contains("icl::attention::attention_ratio: sources is empty"));
  REQUIRE_THROWS_WITH(attention_ratio(A, {2}, {}, {0}), Contains("relevant is empty"));
  REQUIRE_THROWS_WITH(attention_ratio(A, {2}, {1}, {}), Contains("irrelevant is empty"));
  REQUIRE_THROWS_WITH(attention_ratio(A, {3}, {1}, {0}), Contains("sources[0] = 3 must be < T = 3"));
  REQUIRE_THROWS_WITH(attention_ratio(A, {2}, {1, 5}, {0}), Contains("relevant[1] = 5 must be < T = 3"));
  REQUIRE_THROWS_WITH(attention_ratio(A, {2}, {1}, {0, 0}), Contains("irrelevant holds position 0 more than once"));
  const auto rect = icl::make_tensor_view<double, 4>(a.data(), {1, 1, 3, 2});
  REQUIRE_THROWS_AS(attention_ratio(rect, {1}, {1}, {0}), icl::invalid_argument);
  REQUIRE_THROWS_WITH(attention_ratio(rect, {1}, {1}, {0}), Contains("must be square (T x T), got 3 x 2"));
  const auto no_heads = icl::make_tensor_view<double, 4>(a.data(), {1, 0, 3, 3});
  REQUIRE_THROWS_WITH(attention_ratio(no_heads, {1}, {1}, {0}), Contains("1 layer(s) and 0 head(s)"));
  const auto null_view = icl::make_tensor_view<double, 4>(nullptr, {1, 1, 3, 3});
  REQUIRE_THROWS_WITH(attention_ratio(null_view, {1}, {1}, {0}), Contains("null data pointer"));

  std::vector<double> bad = a;
  bad[7] = std::numeric_limits<double>::quiet_NaN();
  const auto B = icl::make_tensor_view<double, 4>(bad.data(), {1, 1, 3, 3});
  REQUIRE_THROWS_AS(attention_ratio(B, {2}, {1}, {0}), icl::invalid_argument);
  REQUIRE_THROWS_WITH(attention_ratio(B, {2}, {1}, {0}),
                      Contains("attention (layer 0, head 0, query 2, key 1) is nan (NaN/Inf not allowed)"));
  // Only the source rows are read: a NaN in row 2 is not seen when the source is position 1.
  REQUIRE_NOTHROW(attention_ratio(B, {1}, {1}, {0}));
  bad[7] = std::numeric_limits<double>::infinity();
  REQUIRE_THROWS_WITH(attention_ratio(B, {2}, {1}, {0}), Contains("is inf"));

  std::vector<double> zero = a;
  zero[6] = zero[7] = zero[8] = 0.0;
  const auto Z = icl::make_tensor_view<double, 4>(zero.data(), {1, 1, 3, 3});
  REQUIRE_THROWS_WITH(attention_ratio(Z, {1, 2}, {1}, {0}),
                      Contains("attention row of layer 0, head 0, query position 2 is all zero"));

  std::vector<double> off = a;
  off[8] = 0.6;  // row 2 sums to 1.1
  const auto O = icl::make_tensor_view<double, 4>(off.data(), {1, 1, 3, 3});
  REQUIRE_NOTHROW(attention_ratio(O, {2}, {1}, {0}));
  icl::attention::attention_params check;
  check.check_row_sums = true;
  REQUIRE_NOTHROW(attention_ratio(A, {2}, {1}, {0}, true, check));
  REQUIRE_THROWS_WITH(attention_ratio(O, {2}, {1}, {0}, true, check),
                      Contains("query position 2 sums to 1.1") && Contains("not 1 within 0.001"));

  icl::attention::head_map m;
  REQUIRE_THROWS_WITH(icl::attention::mean_over_heads(m), Contains("icl::attention::mean_over_heads: the head map is empty"));
  m.layers = 1;
  m.heads = 2;
  m.values = {1.0};
  REQUIRE_THROWS_WITH(icl::attention::mean_over_heads(m), Contains("values has 1 entries, expected layers x heads = 2"));
  m.values = {1.0, std::numeric_limits<double>::quiet_NaN()};
  REQUIRE_THROWS_WITH(icl::attention::mean_over_heads(m), Contains("value of layer 0, head 1 is NaN"));

  icl::attention::ratio_accumulator acc, raw(false);
  REQUIRE_THROWS_WITH(acc.result(), Contains("icl::attention::ratio_accumulator::result: no prompt was added"));
  REQUIRE_THROWS_WITH(acc.add(B, {2}, {1}, {0}), Contains("icl::attention::ratio_accumulator::add: attention (layer 0"));
  acc.add(A, {2}, {1}, {0});
  raw.add(A, {2}, {1}, {0});
  REQUIRE_THROWS_WITH(acc.merge(raw), Contains("icl::attention::ratio_accumulator::merge: accumulators differ in normalize"));
  const std::vector<double> two(18, 0.5);
  REQUIRE_THROWS_WITH(acc.add(icl::make_tensor_view<double, 4>(two.data(), {2, 1, 3, 3}), {2}, {1}, {0}),
                      Contains("shape 2 layers x 1 heads does not match the accumulated 1 x 1"));
  REQUIRE(acc.prompts() == 1);
}

TEMPLATE_TEST_CASE("attention_ratio names the first bad head and row at any thread count", "[attention][ratio][errors]",
                   float, icl::f16) {
  using Catch::Contains;
  // 4 layers x 8 heads, T = 40 (the contiguous, widened path): uniform causal rows.
  const std::size_t L = 4, H = 8, T = 40;
  std::vector<TestType> a(L * H * T * T, static_cast<TestType>(0.0f));
  for (std::size_t u = 0; u < L * H; ++u)
    for (std::size_t q = 0; q < T; ++q)
      for (std::size_t k = 0; k <= q; ++k) a[(u * T + q) * T + k] = static_cast<TestType>(1.0f / static_cast<float>(q + 1));
  std::vector<std::size_t> all(T), relevant{3, 7, 11}, irrelevant{0, 1, 2};
  for (std::size_t q = 0; q < T; ++q) all[q] = q;
  const auto view = icl::make_tensor_view<TestType, 4>(a.data(), {L, H, T, T});
  const auto ok = icl::attention::attention_ratio(view, std::vector<std::size_t>(all.begin() + 11, all.end()), relevant,
                                                  irrelevant);
  REQUIRE(ok(2, 5) == Approx(1.0).epsilon(1e-6));  // every row is uniform over its keys
  // Bad values in three heads; the error names the smallest (layer, head), then its first row.
  const auto at = [&](std::size_t l, std::size_t h, std::size_t q, std::size_t k) -> TestType& {
    return a[((l * H + h) * T + q) * T + k];
  };
  at(3, 6, 20, 4) = static_cast<TestType>(std::numeric_limits<float>::infinity());
  at(1, 2, 30, 5) = static_cast<TestType>(std::numeric_limits<float>::quiet_NaN());
  for (std::size_t k = 0; k < T; ++k) at(1, 2, 25, k) = static_cast<TestType>(0.0f);
  REQUIRE_THROWS_WITH(icl::attention::attention_ratio(view, all, relevant, irrelevant),
                      Contains("attention row of layer 1, head 2, query position 25 is all zero"));
  at(1, 2, 25, 0) = static_cast<TestType>(1.0f);
  REQUIRE_THROWS_WITH(icl::attention::attention_ratio(view, all, relevant, irrelevant),
                      Contains("attention (layer 1, head 2, query 30, key 5) is nan"));
  // Rows that are not sources are never read.
  REQUIRE_NOTHROW(icl::attention::attention_ratio(view, {T - 1}, relevant, irrelevant));
}

TEST_CASE("mean_over_defined_heads leaves flagged heads out and counts them", "[attention][ratio]") {
  const double inf = std::numeric_limits<double>::infinity();
  icl::attention::head_map m;
  m.layers = 3;
  m.heads = 2;
  m.values = {1.0, 3.0, inf, 4.0, inf, inf};
  m.zero_denominator = {0, 0, 1, 0, 1, 1};
  m.zero_denominator_count = 3;
  std::vector<std::size_t> left_out;
  const auto defined = icl::attention::mean_over_defined_heads(m, &left_out);
  REQUIRE(defined.values[0] == 2.0);
  REQUIRE(defined.values[1] == 4.0);
  REQUIRE(std::isnan(defined.values[2]));
  REQUIRE(left_out == std::vector<std::size_t>{0, 1, 2});
  const auto all = icl::attention::mean_over_heads(m);
  REQUIRE(all.values[0] == 2.0);
  REQUIRE(all.values[1] == inf);
  m.values[0] = std::numeric_limits<double>::quiet_NaN();
  REQUIRE_THROWS_WITH(icl::attention::mean_over_defined_heads(m),
                      Catch::Contains("icl::attention::mean_over_defined_heads: value of layer 0, head 0 is NaN"));
}

TEMPLATE_TEST_CASE("ratio_accumulator::ratio_of_sums equals the summed terms computed directly",
                   "[attention][ratio][accumulator]", float, double) {
  const icl_test::fixture_file f("attention_heads.txt");
  std::vector<prompt> prompts;
  for (int p = 0; p < 3; ++p) prompts.push_back(load(f, p));
  for (bool normalize : {true, false}) {
    // The direct computation: per (layer, head), the sum over prompts of each term, then one division.
    std::vector<double> numerator, denominator;
    for (const prompt& P : prompts) {
      icl_test::add_ratio_terms(P.a, P.L, P.H, P.n, P.sources, P.relevant, P.irrelevant, normalize, numerator,
                                denominator);
    }
    std::vector<double> expected(numerator.size());
    for (std::size_t u = 0; u < expected.size(); ++u) expected[u] = numerator[u] / denominator[u];

    for (bool permuted : {false, true}) {
      INFO("normalize " << normalize << " permuted " << permuted);
      icl::attention::ratio_accumulator whole(normalize), layers(normalize), first(normalize), rest(normalize);
      for (std::size_t p = 0; p < prompts.size(); ++p) {
        const prompt& P = prompts[p];
        const auto A = make_attention<TestType>(P.a, P.L, P.H, P.n, permuted);
        whole.add(A.view, P.sources, P.relevant, P.irrelevant);
        for (std::size_t l = 0; l < P.L; ++l) layers.add_layer(l, A.view[l], P.sources, P.relevant, P.irrelevant);
        (p == 0 ? first : rest).add(A.view, P.sources, P.relevant, P.irrelevant);
      }
      const auto sums = whole.ratio_of_sums();
      REQUIRE(sums.layers == prompts[0].L);
      REQUIRE(sums.heads == prompts[0].H);
      REQUIRE(sums.zero_denominator_count == 0);
      REQUIRE(sums.zero_denominator == std::vector<unsigned char>(expected.size(), 0));
      icl_test::require_close<TestType>(sums.values, expected);
      // Fed layer by layer, or on two workers and merged: the same sums up to their rounding.
      first.merge(rest);
      for (const auto& other : {layers.ratio_of_sums(), first.ratio_of_sums()}) {
        for (std::size_t u = 0; u < expected.size(); ++u) REQUIRE(other.values[u] == Approx(sums.values[u]).epsilon(1e-14));
      }
      // The mean of the per-prompt ratios is another number (the fixture's mean_ratio).
      if (normalize) icl_test::require_close<TestType>(whole.result().values, f.values("mean_ratio"));
    }
  }
}

TEST_CASE("ratio_accumulator::ratio_of_sums is +inf and flagged only where the summed denominator is zero",
          "[attention][ratio][accumulator]") {
  using Catch::Contains;
  // 1 layer, 3 heads, T = 3, source 2, relevant key 1, irrelevant key 0. Rows 0 and 1 are the
  // same in every head; row 2 (the source) differs.
  const auto prompt_of = [](const std::vector<std::vector<double>>& source_rows) {
    std::vector<double> a;
    for (const auto& row : source_rows) {
      for (double v : {1.0, 0.0, 0.0, 0.5, 0.5, 0.0}) a.push_back(v);
      a.insert(a.end(), row.begin(), row.end());
    }
    return a;
  };
  // Head 0: no attention on either key in both prompts (0 / 0). Head 1: no irrelevant attention
  // in the first prompt only. Head 2: defined in both.
  const auto a = prompt_of({{0, 0, 1}, {0, 0.25, 0.75}, {0.5, 0.25, 0.25}});
  const auto b = prompt_of({{0, 0, 1}, {0.5, 0.25, 0.25}, {0.25, 0.5, 0.25}});
  icl::attention::ratio_accumulator acc;
  acc.add(icl::make_tensor_view<double, 4>(a.data(), {1, 3, 3, 3}), {2}, {1}, {0});
  acc.add(icl::make_tensor_view<double, 4>(b.data(), {1, 3, 3, 3}), {2}, {1}, {0});

  const auto sums = acc.ratio_of_sums();
  REQUIRE(std::isinf(sums(0, 0)));
  REQUIRE(sums(0, 0) > 0);
  REQUIRE(sums.undefined(0, 0));
  REQUIRE(sums(0, 1) == (0.25 + 0.25) / (0.0 + 0.5));
  REQUIRE(sums(0, 2) == (0.25 + 0.5) / (0.5 + 0.25));
  REQUIRE(sums.zero_denominator == std::vector<unsigned char>{1, 0, 0});
  REQUIRE(sums.zero_denominator_count == 1);
  // The mean of the per-prompt ratios is +inf wherever one prompt had a zero denominator.
  const auto mean = acc.result();
  REQUIRE(mean.zero_denominator == std::vector<unsigned char>{1, 1, 0});
  REQUIRE(std::isinf(mean(0, 1)));
  REQUIRE(mean(0, 2) == Approx((0.5 + 2.0) / 2));

  icl::attention::ratio_accumulator empty, partial;
  REQUIRE_THROWS_WITH(empty.ratio_of_sums(),
                      Contains("icl::attention::ratio_accumulator::ratio_of_sums: no prompt was added"));
  const auto layer = icl::make_tensor_view<double, 3>(a.data(), {3, 3, 3});
  partial.add_layer(1, layer, {2}, {1}, {0});
  REQUIRE_THROWS_WITH(partial.ratio_of_sums(), Contains("layer 0 received no attention"));
}
