// Average ranks (scipy.stats.rankdata 'average') and the Kendall pair counts.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "icl/core/detail/kendall.hpp"
#include "icl/core/rank.hpp"
#include "support/fixture.hpp"

namespace {

std::vector<double> random_ties(std::size_t m, int levels, std::uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_int_distribution<int> level(0, levels - 1);
  std::vector<double> v(m);
  for (double& x : v) x = 0.5 * level(gen);
  return v;
}

}  // namespace

TEST_CASE("average_ranks matches scipy rankdata on the fixtures", "[core][rank]") {
  const icl_test::fixture_file f("rsa_compare.txt");
  for (const std::string c : {"cont", "ties", "big"}) {
    INFO(c);
    const std::vector<double> ranks = icl::average_ranks(f.values(c + "_a"));
    const std::vector<double>& expected = f.values(c + "_ranks_a");
    REQUIRE(ranks.size() == expected.size());
    for (std::size_t k = 0; k < ranks.size(); ++k) REQUIRE(ranks[k] == expected[k]);  // exact halves
  }
}

TEST_CASE("average_ranks on small hand-checked inputs", "[core][rank]") {
  // scipy.stats.rankdata([3, 1, 4, 1, 5, 9, 2, 6, 5]) = [4, 1.5, 5, 1.5, 6.5, 9, 3, 8, 6.5]
  REQUIRE(icl::average_ranks({3, 1, 4, 1, 5, 9, 2, 6, 5}) ==
          std::vector<double>{4, 1.5, 5, 1.5, 6.5, 9, 3, 8, 6.5});
  REQUIRE(icl::average_ranks({}).empty());
  REQUIRE(icl::average_ranks({-2.5}) == std::vector<double>{1.0});
  REQUIRE(icl::average_ranks({7, 7, 7, 7}) == std::vector<double>{2.5, 2.5, 2.5, 2.5});
  const double inf = std::numeric_limits<double>::infinity();
  REQUIRE(icl::average_ranks({inf, 0.0, -inf, inf}) == std::vector<double>{3.5, 2, 1, 3.5});
  // -0.0 and +0.0 compare equal: one tie.
  REQUIRE(icl::average_ranks({0.0, -0.0, 1.0}) == std::vector<double>{1.5, 1.5, 3});
}

TEST_CASE("average_ranks: the ranks sum to m(m+1)/2 and respect the order", "[core][rank]") {
  const std::vector<double> x = random_ties(5000, 37, 11);
  const std::vector<double> r = icl::average_ranks(x);
  double sum = 0.0;
  for (double v : r) sum += v;
  REQUIRE(sum == 5000.0 * 5001.0 / 2.0);
  for (std::size_t i = 0; i < 200; ++i) {
    for (std::size_t j = 0; j < 200; ++j) {
      if (x[i] < x[j]) REQUIRE(r[i] < r[j]);
      if (x[i] == x[j]) REQUIRE(r[i] == r[j]);
    }
  }
}

TEST_CASE("average_ranks rejects NaN, naming the index", "[core][rank]") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  REQUIRE_THROWS_AS(icl::average_ranks({1.0, 2.0, nan}), icl::invalid_argument);
  REQUIRE_THROWS_WITH(icl::average_ranks({1.0, 2.0, nan}),
                      Catch::Contains("icl::average_ranks") && Catch::Contains("value 2"));
}

TEMPLATE_TEST_CASE("sort_counting_inversions sorts and counts strict inversions", "[core][rank]", int, double,
                   std::int64_t) {
  std::mt19937 gen(5);
  for (std::size_t m : {0u, 1u, 2u, 15u, 16u, 17u, 33u, 100u, 1000u}) {
    std::uniform_int_distribution<int> value(-6, 6);
    std::vector<TestType> data(m);
    for (auto& x : data) x = static_cast<TestType>(value(gen));
    std::uint64_t expected = 0;
    for (std::size_t i = 0; i < m; ++i) {
      for (std::size_t j = i + 1; j < m; ++j) expected += data[i] > data[j] ? 1 : 0;
    }
    std::vector<TestType> sorted = data;
    std::sort(sorted.begin(), sorted.end());
    std::vector<TestType> scratch(m);
    INFO("m = " << m);
    REQUIRE(icl::detail::sort_counting_inversions(data.data(), scratch.data(), m) == expected);
    REQUIRE(data == sorted);
  }
}

TEST_CASE("kendall_count equals the O(m^2) pair counts", "[core][rank]") {
  for (std::uint32_t seed = 1; seed <= 5; ++seed) {
    const std::size_t m = 257;
    const std::vector<double> a = random_ties(m, 6, seed);
    const std::vector<double> b = random_ties(m, 4 + static_cast<int>(seed), seed + 100);
    std::uint64_t ties_a = 0, ties_b = 0, joint = 0, discordant = 0;
    for (std::size_t i = 0; i < m; ++i) {
      for (std::size_t j = i + 1; j < m; ++j) {
        const bool ta = a[i] == a[j];
        const bool tb = b[i] == b[j];
        ties_a += ta;
        ties_b += tb;
        joint += ta && tb;
        discordant += (!ta && !tb && ((a[i] < a[j]) != (b[i] < b[j])));
      }
    }
    const icl::detail::kendall_counts k = icl::detail::kendall_count(a.data(), b.data(), m);
    INFO("seed " << seed);
    REQUIRE(k.total == m * (m - 1) / 2);
    REQUIRE(k.ties_a == ties_a);
    REQUIRE(k.ties_b == ties_b);
    REQUIRE(k.ties_joint == joint);
    REQUIRE(k.discordant == discordant);
  }
}

TEMPLATE_TEST_CASE("merge_runs_counting_inversions merges sorted runs and counts cross inversions", "[core][rank]",
                   std::uint32_t, double) {
  std::mt19937 gen(9);
  for (std::size_t runs : {1u, 2u, 3u, 5u, 8u, 13u}) {
    std::uniform_int_distribution<int> value(0, 9);
    std::uniform_int_distribution<int> length(0, 20);
    std::vector<TestType> data;
    std::vector<std::size_t> bounds;
    for (std::size_t r = 0; r < runs; ++r) {
      bounds.push_back(data.size());
      const std::size_t first = data.size();
      const int len = length(gen);
      for (int k = 0; k < len; ++k) data.push_back(static_cast<TestType>(value(gen)));
      std::sort(data.begin() + static_cast<std::ptrdiff_t>(first), data.end());
    }
    bounds.push_back(data.size());
    std::uint64_t expected = 0;  // inside a sorted run there are none, so this counts cross-run pairs
    for (std::size_t i = 0; i < data.size(); ++i) {
      for (std::size_t j = i + 1; j < data.size(); ++j) expected += data[i] > data[j] ? 1 : 0;
    }
    std::vector<TestType> sorted = data;
    std::sort(sorted.begin(), sorted.end());
    std::vector<TestType> scratch(data.size());
    INFO("runs = " << runs);
    REQUIRE(icl::detail::merge_runs_counting_inversions(data.data(), scratch.data(), bounds) == expected);
    REQUIRE(data == sorted);
  }
}
