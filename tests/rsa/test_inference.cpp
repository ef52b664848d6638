// Permutation test and bootstrap over conditions (METRICS.md 1.5), against exact permutation
// p-values (tests/data/rsa_inference.txt) and against direct recomputation.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numeric>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "icl/config.hpp"
#include "icl/core/random.hpp"
#include "icl/rsa/compare.hpp"
#include "icl/rsa/inference.hpp"
#include "support/fixture.hpp"

#if ICL_HAS_OPENMP
#include <omp.h>
#endif

using icl::rsa::comparison;
using icl::rsa::rdm;

namespace {

const comparison all_comparisons[] = {comparison::pearson, comparison::spearman,       comparison::kendall_tau_a,
                                      comparison::kendall_tau_b, comparison::rho_a, comparison::cosine,
                                      comparison::whitened_cosine};

// a'(i, j) = a(order[i], order[j]).
rdm permute(const rdm& a, const std::vector<std::size_t>& order) {
  const std::size_t n = a.n();
  std::vector<double> values;
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = i + 1; j < n; ++j) values.push_back(a(order[i], order[j]));
  }
  return rdm(n, values);
}

// The exact two-sided p over all n! permutations (identity included), tolerance as the fixture.
double exact_p(const rdm& a, const rdm& b, comparison c) {
  const double observed = std::abs(icl::rsa::compare(a, b, c));
  std::vector<std::size_t> order(a.n());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::size_t extreme = 0;
  std::size_t total = 0;
  do {
    extreme += std::abs(icl::rsa::compare(permute(a, order), b, c)) >= observed - 1e-12 ? 1 : 0;
    ++total;
  } while (std::next_permutation(order.begin(), order.end()));
  return static_cast<double>(extreme) / static_cast<double>(total);
}

// A structured pair: conditions on a line, b a noisy version of a, plus ties in b.
std::pair<rdm, rdm> structured_pair(std::size_t n, std::uint32_t seed) {
  std::mt19937_64 gen(seed);
  std::normal_distribution<double> noise(0.0, 1.0);
  std::vector<double> position(n);
  for (std::size_t i = 0; i < n; ++i) position[i] = static_cast<double>(i) + 0.3 * noise(gen);
  std::vector<double> va;
  std::vector<double> vb;
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = i + 1; j < n; ++j) {
      const double d = std::abs(position[i] - position[j]);
      va.push_back(d);
      vb.push_back(std::round(d + 1.5 * noise(gen)));
    }
  }
  return {rdm(n, va), rdm(n, vb)};
}

// Permutation options that keep the null distribution.
icl::rsa::permutation_params kept_null(std::size_t permutations, std::uint64_t seed) {
  icl::rsa::permutation_params p;
  p.permutations = permutations;
  p.seed = seed;
  p.keep_null = true;
  return p;
}

}  // namespace

TEST_CASE("permutation_test p-values approach the exact permutation p", "[rsa][inference]") {
  const icl_test::fixture_file f("rsa_inference.txt");
  const rdm a = icl::rsa::rdm_from_condensed(f.values("p_a"));
  const rdm b = icl::rsa::rdm_from_condensed(f.values("p_b"));
  for (const std::string name : {"spearman", "pearson"}) {
    INFO(name);
    const comparison c = name == "spearman" ? comparison::spearman : comparison::pearson;
    const double exact = f.scalar("p_exact_" + name);
    REQUIRE(exact_p(a, b, c) == Approx(exact).epsilon(1e-12));
    const icl::rsa::permutation_result r = icl::rsa::permutation_test(a, b, c, 20000, 42);
    const double obs = f.scalar("p_" + name + "_obs");
    REQUIRE(std::abs(r.statistic - obs) <= 1e-10 * std::abs(obs));
    REQUIRE(r.permutations == 20000);
    REQUIRE(std::abs(r.p_value - exact) < 0.02);
    REQUIRE(r.null_distribution.empty());
  }
  // The other comparisons against their own exact p (computed here through compare()).
  for (comparison c : {comparison::kendall_tau_a, comparison::kendall_tau_b, comparison::rho_a, comparison::cosine,
                       comparison::whitened_cosine}) {
    INFO(icl::rsa::to_string(c));
    const icl::rsa::permutation_result r = icl::rsa::permutation_test(a, b, c, 20000, 7);
    REQUIRE(std::abs(r.p_value - exact_p(a, b, c)) < 0.02);
  }
}

TEST_CASE("permutation_test null statistics equal compare() on the permuted RDM", "[rsa][inference]") {
  const auto [a, b] = structured_pair(9, 3);
  const icl::rsa::permutation_params p = kept_null(50, 123);
  for (comparison c : all_comparisons) {
    INFO(icl::rsa::to_string(c));
    const icl::rsa::permutation_result r = icl::rsa::permutation_test(a, b, c, p);
    REQUIRE(r.null_distribution.size() == 50);
    REQUIRE(r.statistic == icl::rsa::compare(a, b, c));
    for (std::size_t k = 0; k < 50; ++k) {
      const std::vector<std::size_t> order = icl::counter_rng(123, k).permutation(9);
      const double direct = icl::rsa::compare(permute(a, order), b, c);
      REQUIRE(r.null_distribution[k] == Approx(direct).epsilon(1e-12).margin(1e-14));
    }
  }
}

TEST_CASE("permutation kernel: the square and the condensed form of x give the same statistics", "[rsa][inference]") {
  // Up to square_max_conditions the kernel reads a full n x n copy of x; above, condensed
  // indices. Both must add the same products in the same order.
  const auto [a, b] = structured_pair(23, 8);
  icl::rsa::detail::permutation_scratch scratch;
  for (comparison c : all_comparisons) {
    INFO(icl::rsa::to_string(c));
    const icl::rsa::detail::permutation_kernel square(a, b, c);
    const icl::rsa::detail::permutation_kernel condensed(a, b, c, 0);
    for (std::uint64_t k = 0; k < 20; ++k) {
      const std::vector<std::size_t> order = icl::counter_rng(9, k).permutation(23);
      REQUIRE(square.evaluate(order, scratch) == condensed.evaluate(order, scratch));
    }
  }
}

TEST_CASE("permutation_test Kendall null on long tie runs and mixed segments", "[rsa][inference]") {
  // n = 130: a categorical b (two groups of 65) has two runs of tied b longer than 4096 pairs;
  // a mixed b has runs of ties between stretches of distinct values.
  const std::size_t n = 130;
  std::mt19937_64 gen(17);
  std::uniform_int_distribution<int> level(0, 40);
  std::normal_distribution<double> noise(0.0, 1.0);
  std::vector<double> va;
  std::vector<double> categorical;
  std::vector<double> mixed;
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = i + 1; j < n; ++j) {
      va.push_back(static_cast<double>(level(gen)));
      categorical.push_back((i < 65) == (j < 65) ? 0.0 : 1.0);
      const double x = noise(gen);
      mixed.push_back(x > 0.0 ? x : std::round(2.0 * x));
    }
  }
  const rdm a(n, va);
  const icl::rsa::permutation_params p = kept_null(4, 8);
  for (const auto& vb : {categorical, mixed}) {
    const rdm b(n, vb);
    for (comparison c : {comparison::kendall_tau_a, comparison::kendall_tau_b}) {
      INFO(icl::rsa::to_string(c));
      const icl::rsa::permutation_result r = icl::rsa::permutation_test(a, b, c, p);
      for (std::size_t k = 0; k < p.permutations; ++k) {
        const std::vector<std::size_t> order = icl::counter_rng(8, k).permutation(n);
        REQUIRE(r.null_distribution[k] == Approx(icl::rsa::compare(permute(a, order), b, c)).epsilon(1e-12));
      }
    }
  }
}

TEST_CASE("permutation_test is deterministic and thread-count independent", "[rsa][inference]") {
  const auto [a, b] = structured_pair(30, 9);
  const icl::rsa::permutation_params p = kept_null(3000, 2024);
  for (comparison c : all_comparisons) {
    INFO(icl::rsa::to_string(c));
    const icl::rsa::permutation_result first = icl::rsa::permutation_test(a, b, c, p);
    const icl::rsa::permutation_result again = icl::rsa::permutation_test(a, b, c, p);
    REQUIRE(first.p_value == again.p_value);
    REQUIRE(first.null_distribution == again.null_distribution);
    REQUIRE(first.p_value > 0.0);
    REQUIRE(first.p_value <= 1.0);
    // Structured data: a strong association, so the smallest p-value possible.
    if (c != comparison::cosine) REQUIRE(first.p_value == 1.0 / 3001.0);
#if ICL_HAS_OPENMP
    const int threads = omp_get_max_threads();
    for (int t : {1, 2, 3}) {
      omp_set_num_threads(t);
      const icl::rsa::permutation_result r = icl::rsa::permutation_test(a, b, c, p);
      REQUIRE(r.p_value == first.p_value);
      REQUIRE(r.null_distribution == first.null_distribution);
    }
    omp_set_num_threads(threads);
#endif
  }
  // The API.md overload is the two-sided test with default options.
  const auto r = icl::rsa::permutation_test(a, b, comparison::spearman, 3000, 2024);
  REQUIRE(r.p_value == icl::rsa::permutation_test(a, b, comparison::spearman, p).p_value);
}

TEST_CASE("permutation_test: one-sided alternatives", "[rsa][inference]") {
  const icl_test::fixture_file f("rsa_inference.txt");
  const rdm a = icl::rsa::rdm_from_condensed(f.values("p_a"));
  const rdm b = icl::rsa::rdm_from_condensed(f.values("p_b"));
  icl::rsa::permutation_params p = kept_null(5000, 11);
  const auto two = icl::rsa::permutation_test(a, b, comparison::pearson, p);
  p.alt = icl::rsa::alternative::greater;
  const auto greater = icl::rsa::permutation_test(a, b, comparison::pearson, p);
  p.alt = icl::rsa::alternative::less;
  const auto less = icl::rsa::permutation_test(a, b, comparison::pearson, p);
  // Same permutations, so the counts can be checked from the null distribution.
  REQUIRE(greater.null_distribution == two.null_distribution);
  std::size_t at_least = 0;
  std::size_t at_most = 0;
  std::size_t extreme = 0;
  const double obs = two.statistic;
  for (double s : two.null_distribution) {
    at_least += s >= obs - 1e-12 * obs ? 1 : 0;
    at_most += s <= obs + 1e-12 * obs ? 1 : 0;
    extreme += std::abs(s) >= obs - 1e-12 * obs ? 1 : 0;
  }
  REQUIRE(greater.p_value == static_cast<double>(1 + at_least) / 5001.0);
  REQUIRE(less.p_value == static_cast<double>(1 + at_most) / 5001.0);
  REQUIRE(two.p_value == static_cast<double>(1 + extreme) / 5001.0);
  REQUIRE(greater.p_value < 0.05);
  REQUIRE(less.p_value > 0.9);
}

TEST_CASE("permutation_test: NaN and undefined statistics", "[rsa][inference]") {
  const auto [a, b] = structured_pair(6, 1);
  rdm constant(6, std::vector<double>(15, 2.0));
  rdm with_nan = a;
  with_nan.condensed()[4] = std::numeric_limits<double>::quiet_NaN();
  icl::rsa::permutation_params p;
  p.permutations = 100;
  REQUIRE_THROWS_WITH(icl::rsa::permutation_test(constant, b, comparison::spearman, p),
                      Catch::StartsWith("icl::rsa::permutation_test:") && Catch::Contains("constant"));
  REQUIRE_THROWS_WITH(icl::rsa::permutation_test(with_nan, b, comparison::pearson, p),
                      Catch::StartsWith("icl::rsa::permutation_test:") && Catch::Contains("a[4]"));
  p.nan = icl::nan_policy::propagate;
  const auto undefined = icl::rsa::permutation_test(constant, b, comparison::spearman, p);
  REQUIRE(std::isnan(undefined.statistic));
  REQUIRE(std::isnan(undefined.p_value));
  REQUIRE(std::isnan(icl::rsa::permutation_test(with_nan, b, comparison::pearson, p).p_value));
  // tau-a and rho_a are defined (0) for a constant RDM: every permutation ties, p = 1.
  for (comparison c : {comparison::kendall_tau_a, comparison::rho_a}) {
    const auto r = icl::rsa::permutation_test(constant, b, c, p);
    REQUIRE(r.statistic == 0.0);
    REQUIRE(r.p_value == 1.0);
  }
}

TEST_CASE("permutation_test rejects bad input", "[rsa][inference]") {
  const auto [a, b] = structured_pair(6, 2);
  const rdm small = structured_pair(5, 2).first;
  const rdm pair_rdm(2, {1.0});
  REQUIRE_THROWS_AS(icl::rsa::permutation_test(a, small, comparison::spearman, 10, 0), icl::invalid_argument);
  REQUIRE_THROWS_WITH(icl::rsa::permutation_test(a, small, comparison::spearman, 10, 0),
                      Catch::StartsWith("icl::rsa::permutation_test:") && Catch::Contains("n = 6") &&
                          Catch::Contains("n = 5"));
  REQUIRE_THROWS_WITH(icl::rsa::permutation_test(pair_rdm, pair_rdm, comparison::spearman, 10, 0),
                      Catch::StartsWith("icl::rsa::permutation_test:") && Catch::Contains("n = 2"));
  REQUIRE_THROWS_WITH(icl::rsa::permutation_test(a, b, comparison::spearman, 0, 0),
                      Catch::StartsWith("icl::rsa::permutation_test:") && Catch::Contains("permutation"));
  icl::rsa::permutation_params p;
  p.nan = icl::nan_policy::omit;
  REQUIRE_THROWS_WITH(icl::rsa::permutation_test(a, b, comparison::spearman, p),
                      Catch::StartsWith("icl::rsa::permutation_test:") && Catch::Contains("omit"));
  p.nan = icl::nan_policy::raise;
  p.alt = static_cast<icl::rsa::alternative>(7);
  REQUIRE_THROWS_WITH(icl::rsa::permutation_test(a, b, comparison::spearman, p),
                      Catch::StartsWith("icl::rsa::permutation_test:") && Catch::Contains("alternative"));
  REQUIRE_THROWS_WITH(icl::rsa::permutation_test(a, b, static_cast<comparison>(42), 10, 0),
                      Catch::StartsWith("icl::rsa::permutation_test:") && Catch::Contains("42"));
}

// ---- bootstrap ---------------------------------------------------------------------------------

namespace {

// The bootstrap statistics recomputed from the documented procedure, NaN for undefined samples.
std::vector<double> bootstrap_statistics(const rdm& a, const rdm& b, comparison c, std::size_t samples,
                                         std::uint64_t seed) {
  const std::size_t n = a.n();
  std::vector<double> out;
  icl::rsa::compare_params quiet;
  quiet.nan = icl::nan_policy::propagate;
  for (std::size_t s = 0; s < samples; ++s) {
    icl::counter_rng rng(seed, s);
    std::vector<std::size_t> draw(n);
    for (auto& d : draw) d = static_cast<std::size_t>(rng.uniform_below(n));
    std::vector<double> va;
    std::vector<double> vb;
    for (std::size_t k = 0; k < n; ++k) {
      for (std::size_t l = k + 1; l < n; ++l) {
        if (draw[k] == draw[l]) continue;
        va.push_back(a(draw[k], draw[l]));
        vb.push_back(b(draw[k], draw[l]));
      }
    }
    out.push_back(va.size() < 2 ? std::numeric_limits<double>::quiet_NaN() : icl::rsa::compare(va, vb, c, quiet));
  }
  return out;
}

// numpy.quantile(values, q) with the default 'linear' method.
double numpy_linear_quantile(std::vector<double> values, double q) {
  std::sort(values.begin(), values.end());
  const double h = q * static_cast<double>(values.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(h));
  const std::size_t hi = std::min(lo + 1, values.size() - 1);
  return values[lo] + (h - std::floor(h)) * (values[hi] - values[lo]);
}

}  // namespace

TEST_CASE("bootstrap_compare follows the documented procedure", "[rsa][inference]") {
  const auto [a, b] = structured_pair(12, 5);
  icl::rsa::bootstrap_params p;
  p.samples = 400;
  p.seed = 99;
  p.confidence = 0.9;
  for (comparison c : all_comparisons) {
    if (c == comparison::whitened_cosine) continue;
    INFO(icl::rsa::to_string(c));
    const icl::rsa::bootstrap_result r = icl::rsa::bootstrap_compare(a, b, c, p);
    std::vector<double> stats = bootstrap_statistics(a, b, c, 400, 99);
    std::vector<double> defined;
    for (double s : stats) {
      if (!std::isnan(s)) defined.push_back(s);
    }
    REQUIRE(r.samples == 400);
    REQUIRE(r.skipped == 400 - defined.size());
    REQUIRE(r.statistic == icl::rsa::compare(a, b, c));
    REQUIRE(r.ci_low == Approx(numpy_linear_quantile(defined, 0.05)).epsilon(1e-12));
    REQUIRE(r.ci_high == Approx(numpy_linear_quantile(defined, 0.95)).epsilon(1e-12));
    double mean = 0.0;
    for (double s : defined) mean += s;
    mean /= static_cast<double>(defined.size());
    double ss = 0.0;
    for (double s : defined) ss += (s - mean) * (s - mean);
    REQUIRE(r.standard_error == Approx(std::sqrt(ss / static_cast<double>(defined.size() - 1))).epsilon(1e-12));
  }
}

TEST_CASE("bootstrap_compare: the interval covers the statistic and is reproducible", "[rsa][inference]") {
  const auto [a, b] = structured_pair(25, 8);
  icl::rsa::bootstrap_params p;
  p.samples = 1000;
  p.seed = 5;
  for (comparison c : {comparison::spearman, comparison::pearson, comparison::kendall_tau_b}) {
    INFO(icl::rsa::to_string(c));
    const icl::rsa::bootstrap_result r = icl::rsa::bootstrap_compare(a, b, c, p);
    REQUIRE(r.ci_low < r.statistic);
    REQUIRE(r.statistic < r.ci_high);
    REQUIRE(r.standard_error > 0.0);
    REQUIRE(r.skipped == 0);
    const icl::rsa::bootstrap_result again = icl::rsa::bootstrap_compare(a, b, c, p);
    REQUIRE(again.ci_low == r.ci_low);
    REQUIRE(again.ci_high == r.ci_high);
    REQUIRE(again.standard_error == r.standard_error);
#if ICL_HAS_OPENMP
    const int threads = omp_get_max_threads();
    omp_set_num_threads(1);
    const icl::rsa::bootstrap_result serial = icl::rsa::bootstrap_compare(a, b, c, p);
    omp_set_num_threads(threads);
    REQUIRE(serial.ci_low == r.ci_low);
    REQUIRE(serial.ci_high == r.ci_high);
    REQUIRE(serial.standard_error == r.standard_error);
#endif
    // A wider confidence gives a wider interval.
    icl::rsa::bootstrap_params wide = p;
    wide.confidence = 0.99;
    const icl::rsa::bootstrap_result w = icl::rsa::bootstrap_compare(a, b, c, wide);
    REQUIRE(w.ci_low <= r.ci_low);
    REQUIRE(w.ci_high >= r.ci_high);
  }
}

TEST_CASE("bootstrap_compare counts samples with an undefined statistic", "[rsa][inference]") {
  // b separates condition 3 from the rest: a sample without condition 3 has a constant b.
  const rdm a(4, {1.0, 2.0, 3.5, 1.5, 2.5, 0.5});
  const rdm b(4, {0.0, 0.0, 1.0, 0.0, 1.0, 1.0});
  icl::rsa::bootstrap_params p;
  p.samples = 500;
  p.seed = 3;
  const icl::rsa::bootstrap_result r = icl::rsa::bootstrap_compare(a, b, comparison::spearman, p);
  std::size_t undefined = 0;
  for (double s : bootstrap_statistics(a, b, comparison::spearman, 500, 3)) undefined += std::isnan(s) ? 1 : 0;
  REQUIRE(undefined > 50);  // about (3/4)^4 of the samples, plus those with < 2 pairs
  REQUIRE(r.skipped == undefined);
  // tau-a is defined for a constant vector: only samples with fewer than 2 pairs are skipped.
  const icl::rsa::bootstrap_result tau = icl::rsa::bootstrap_compare(a, b, comparison::kendall_tau_a, p);
  REQUIRE(tau.skipped < r.skipped);
}

TEST_CASE("bootstrap_compare rejects bad input", "[rsa][inference]") {
  // Named variables, not a structured binding: the lambdas below capture them.
  const std::pair<rdm, rdm> data = structured_pair(6, 4);
  const rdm& a = data.first;
  const rdm& b = data.second;
  const rdm small = structured_pair(5, 4).first;
  const rdm pair_rdm(2, {1.0});
  const auto fails_with = [](const auto& call, const char* text) {
    REQUIRE_THROWS_AS(call(), icl::invalid_argument);
    REQUIRE_THROWS_WITH(call(), Catch::StartsWith("icl::rsa::bootstrap_compare:") && Catch::Contains(text));
  };
  fails_with([&] { return icl::rsa::bootstrap_compare(a, b, comparison::whitened_cosine); }, "whitened_cosine");
  fails_with([&] { return icl::rsa::bootstrap_compare(a, small, comparison::spearman); }, "n = 5");
  fails_with([&] { return icl::rsa::bootstrap_compare(pair_rdm, pair_rdm, comparison::spearman); }, "n = 2");
  icl::rsa::bootstrap_params p;
  p.samples = 1;
  fails_with([&] { return icl::rsa::bootstrap_compare(a, b, comparison::spearman, p); }, "samples");
  p.samples = 100;
  for (double bad : {0.0, 1.0, -0.5, std::numeric_limits<double>::quiet_NaN()}) {
    p.confidence = bad;
    fails_with([&] { return icl::rsa::bootstrap_compare(a, b, comparison::spearman, p); }, "confidence");
  }
  rdm with_inf = a;
  with_inf.condensed()[2] = std::numeric_limits<double>::infinity();
  fails_with([&] { return icl::rsa::bootstrap_compare(with_inf, b, comparison::spearman); }, "a[2]");
  const rdm constant(6, std::vector<double>(15, 1.0));
  fails_with([&] { return icl::rsa::bootstrap_compare(constant, b, comparison::pearson); }, "constant");
}
