// Average ranks (scipy.stats.rankdata 'average') and the Kendall pair counts.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <utility>
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

// Average ranks (1-based, ties given their mean rank) from the comparison sort of (value, index)
// pairs: the reference for the radix path.
std::vector<double> comparison_average_ranks(const std::vector<double>& x) {
  const std::size_t m = x.size();
  std::vector<icl::detail::value_index> pairs;
  icl::detail::sort_with_index(x.data(), m, pairs);
  std::vector<double> ranks(m);
  std::size_t first = 0;
  while (first < m) {
    std::size_t last = first + 1;
    while (last < m && pairs[last].value == pairs[first].value) ++last;
    for (std::size_t t = first; t < last; ++t) ranks[pairs[t].index] = 0.5 * double(first + 1 + last);
    first = last;
  }
  return ranks;
}

// The Kendall pair counts by looking at every pair: O(m^2), the reference for kendall_count.
icl::detail::kendall_counts brute_force_counts(const std::vector<double>& a, const std::vector<double>& b) {
  icl::detail::kendall_counts c;
  const std::size_t m = a.size();
  c.total = m * (m - 1) / 2;
  for (std::size_t i = 0; i < m; ++i) {
    for (std::size_t j = i + 1; j < m; ++j) {
      const bool ta = a[i] == a[j];
      const bool tb = b[i] == b[j];
      c.ties_a += ta;
      c.ties_b += tb;
      c.ties_joint += ta && tb;
      c.discordant += (!ta && !tb && ((a[i] < a[j]) != (b[i] < b[j])));
    }
  }
  return c;
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
    const icl::detail::kendall_counts expected = brute_force_counts(a, b);
    const icl::detail::kendall_counts k = icl::detail::kendall_count(a.data(), b.data(), m);
    INFO("seed " << seed);
    REQUIRE(k.total == m * (m - 1) / 2);
    REQUIRE(k.ties_a == expected.ties_a);
    REQUIRE(k.ties_b == expected.ties_b);
    REQUIRE(k.ties_joint == expected.ties_joint);
    REQUIRE(k.discordant == expected.discordant);
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

// The radix path (m >= radix_sort_min_size) against the comparison-sort path and brute force.

TEST_CASE("ordered_key orders doubles as operator< does", "[core][rank]") {
  const double inf = std::numeric_limits<double>::infinity();
  const double denormal = std::numeric_limits<double>::denorm_min();
  const std::vector<double> v = {-inf, -1e308, -2.5, -1.0, -denormal, -0.0, 0.0, denormal, 1e-300, 1.0, 3.0, 1e308, inf};
  for (std::size_t i = 0; i < v.size(); ++i) {
    for (std::size_t j = 0; j < v.size(); ++j) {
      INFO(v[i] << " vs " << v[j]);
      REQUIRE((icl::detail::ordered_key(v[i]) < icl::detail::ordered_key(v[j])) == (v[i] < v[j]));
      REQUIRE((icl::detail::ordered_key(v[i]) == icl::detail::ordered_key(v[j])) == (v[i] == v[j]));
    }
  }
}

TEST_CASE("average_ranks: the radix sort gives the comparison sort's ranks", "[core][rank]") {
  std::mt19937 gen(5);
  std::normal_distribution<double> normal(0.0, 3.0);
  const double inf = std::numeric_limits<double>::infinity();
  for (const std::size_t m : {std::size_t{4096}, std::size_t{4097}, std::size_t{30011}}) {
    for (const int levels : {0, 3, 1000}) {  // 0: continuous values
      std::vector<double> x = levels == 0 ? std::vector<double>(m) : random_ties(m, levels, 17);
      if (levels == 0) {
        for (double& v : x) v = normal(gen);
      } else {
        for (double& v : x) v -= 0.25 * levels;  // negative and positive values
      }
      x[3] = -0.0;
      x[m / 2] = 0.0;
      x[7] = inf;
      x[m - 1] = -inf;
      std::vector<double> radix(m);
      icl::detail::rank_workspace ws;
      icl::detail::average_ranks_into(x.data(), m, radix.data(), ws);
      const std::vector<double> comparison = comparison_average_ranks(x);
      INFO("m " << m << " levels " << levels);
      REQUIRE(radix == comparison);
    }
  }
}

TEST_CASE("sort_order gives std::sort's (value, position) order", "[core][rank]") {
  // Values that share their top bits (so that the truncated keys tie and the runs must be put
  // in order on the full keys), exact ties, signed zeros and infinities, at several sizes.
  std::mt19937 gen(21);
  std::uniform_int_distribution<int> pick(0, 5);
  const double inf = std::numeric_limits<double>::infinity();
  for (const std::size_t m : {std::size_t{2}, std::size_t{4096}, std::size_t{70001}, std::size_t{1} << 21}) {
    std::vector<double> x(m);
    for (std::size_t k = 0; k < m; ++k) {
      switch (pick(gen)) {
        case 0: x[k] = 1.0 + std::ldexp(static_cast<double>(gen() % 4096), -52); break;  // low mantissa bits
        case 1: x[k] = -1.0 - std::ldexp(static_cast<double>(gen() % 64), -50); break;
        case 2: x[k] = (gen() % 2 != 0) ? 0.0 : -0.0; break;
        case 3: x[k] = (gen() % 2 != 0) ? inf : -inf; break;
        case 4: x[k] = static_cast<double>(gen() % 7) - 3.0; break;
        default: x[k] = std::ldexp(static_cast<double>(gen()), -20); break;
      }
    }
    icl::detail::sorted_order order;
    const auto value = [&](std::size_t t) { return x[t]; };
    icl::detail::sort_order(m, value, order);
    std::vector<icl::detail::value_index> expected;
    icl::detail::sort_with_index(x.data(), m, expected);
    INFO("m " << m);
    for (std::size_t u = 0; u < m; ++u) REQUIRE(order.position(u) == expected[u].index);
    // The runs of equal values, and nothing but them.
    std::size_t next = 0;
    icl::detail::for_each_run_of_equal_values(order, m, value, [&](std::size_t first, std::size_t last) {
      REQUIRE(first == next);
      REQUIRE(last > first);
      for (std::size_t u = first + 1; u < last; ++u) REQUIRE(expected[u].value == expected[first].value);
      if (last < m) REQUIRE(expected[last].value != expected[first].value);
      next = last;
    });
    REQUIRE(next == m);
  }
}

TEST_CASE("kendall_count: the radix path equals brute force and the comparison path", "[core][rank]") {
  const std::size_t m = 6000;  // above radix_sort_min_size, small enough for the O(m^2) count
  for (std::uint32_t seed = 1; seed <= 3; ++seed) {
    const std::vector<double> a = random_ties(m, seed == 3 ? 2 : 40, seed);
    std::vector<double> b = random_ties(m, 25 * static_cast<int>(seed), seed + 50);
    b[1] = -0.0;
    b[2] = 0.0;
    const icl::detail::kendall_counts expected = brute_force_counts(a, b);
    const icl::detail::kendall_counts k = icl::detail::kendall_count(a.data(), b.data(), m);
    const icl::detail::kendall_counts s = icl::detail::kendall_count_by_comparison_sort(a.data(), b.data(), m);
    INFO("seed " << seed);
    REQUIRE(k.ties_a == expected.ties_a);
    REQUIRE(k.ties_b == expected.ties_b);
    REQUIRE(k.ties_joint == expected.ties_joint);
    REQUIRE(k.discordant == expected.discordant);
    REQUIRE(s.discordant == expected.discordant);
    REQUIRE(s.ties_joint == expected.ties_joint);
  }
}

// The pieces of the long-input paths: large buffers, the radix sort, and the inversion count by
// bits.

TEST_CASE("large_array: resize keeps the elements within the capacity; swap and move exchange storage",
          "[core][rank]") {
  icl::detail::large_array<std::uint32_t> small(100);
  for (std::size_t k = 0; k < small.size(); ++k) small[k] = static_cast<std::uint32_t>(3 * k);
  small.resize(40);
  REQUIRE(small.size() == 40);
  small.resize(100);
  for (std::size_t k = 0; k < small.size(); ++k) REQUIRE(small[k] == 3 * k);
  // From 2 MiB on the storage is a mapping of its own on Linux: written and read back whole.
  const std::size_t m = (std::size_t{5} << 20) / sizeof(std::uint64_t) + 3;
  icl::detail::large_array<std::uint64_t> big(m);
  for (std::size_t k = 0; k < m; ++k) big[k] = k * k;
  icl::detail::large_array<std::uint64_t> other;
  other.swap(big);
  REQUIRE(big.empty());
  REQUIRE(other.size() == m);
  icl::detail::large_array<std::uint64_t> moved(std::move(other));
  REQUIRE(moved.size() == m);
  for (std::size_t k = 0; k < m; ++k) REQUIRE(moved[k] == k * k);
  other = std::move(moved);
  REQUIRE(other.size() == m);
  REQUIRE(other[m - 1] == (m - 1) * (m - 1));
}

TEST_CASE("radix_sort_words sorts stably on the bits from low_bit up", "[core][rank]") {
  std::mt19937_64 gen(31);
  for (const std::size_t m : {std::size_t{2}, std::size_t{5000}, std::size_t{70001}}) {
    for (const unsigned low_bit : {0U, 21U, 40U, 60U}) {
      std::vector<std::uint64_t> words(m);
      // Few distinct high digits (skipped or short passes) and many low ones.
      for (auto& w : words) w = ((gen() % 5) << 61) | (gen() >> 20);
      std::vector<std::uint64_t> expected = words;
      const std::uint64_t mask = low_bit == 0 ? ~std::uint64_t{0} : ~((std::uint64_t{1} << low_bit) - 1);
      std::stable_sort(expected.begin(), expected.end(),
                       [mask](std::uint64_t x, std::uint64_t y) { return (x & mask) < (y & mask); });
      icl::detail::large_array<std::uint64_t> word(m), scratch;
      std::copy(words.begin(), words.end(), word.begin());
      icl::detail::radix_sort_words(word, scratch, low_bit);
      INFO("m " << m << " low_bit " << low_bit);
      REQUIRE(std::equal(word.begin(), word.end(), expected.begin()));
    }
  }
}

TEST_CASE("inversions_by_bits and inversions_of_ranks count the strict inversions", "[core][rank]") {
  std::mt19937 gen(17);
  for (const std::size_t m : {std::size_t{0}, std::size_t{1}, std::size_t{2}, std::size_t{37}, std::size_t{5000},
                              std::size_t{70001}}) {
    for (const std::uint32_t levels : {1U, 2U, 7U, 1000U, 70001U, 4000000000U}) {
      std::uniform_int_distribution<std::uint32_t> value(0, levels - 1);
      std::vector<std::uint32_t> data(m);
      for (auto& v : data) v = value(gen);
      std::vector<std::uint32_t> copy = data, scratch(m);
      const std::uint64_t expected = icl::detail::sort_counting_inversions(copy.data(), scratch.data(), m);
      INFO("m " << m << " levels " << levels);
      copy = data;
      REQUIRE(icl::detail::inversions_by_bits(copy.data(), scratch.data(), m, icl::detail::bits_below(levels)) ==
              expected);
      for (const std::size_t parts : {std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{8}}) {
        copy = data;
        INFO("parts " << parts);
        REQUIRE(icl::detail::inversions_of_ranks(copy.data(), scratch.data(), m, levels, parts) == expected);
      }
    }
  }
  // All 32 bits, and the largest count of m values (m descending, distinct).
  std::vector<std::uint32_t> descending = {0xFFFFFFFFU, 0x80000000U, 0x7FFFFFFFU, 5U, 0U};
  std::vector<std::uint32_t> scratch(descending.size());
  REQUIRE(icl::detail::inversions_by_bits(descending.data(), scratch.data(), descending.size(), 32) == 10);
}

TEST_CASE("kendall_count: long inputs equal the comparison path", "[core][rank]") {
  const std::size_t m = 100000;  // above min_parallel_work: the count runs in pieces on the threads
  std::mt19937 gen(77);
  std::normal_distribution<double> normal;
  for (int c = 0; c < 3; ++c) {
    std::vector<double> a(m), b(m);
    if (c == 0) {  // continuous
      for (std::size_t k = 0; k < m; ++k) {
        a[k] = normal(gen);
        b[k] = a[k] + 1.5 * normal(gen);
      }
    } else {  // long runs of ties in a, b or both
      a = random_ties(m, c == 1 ? 7 : 300, 5 + static_cast<std::uint32_t>(c));
      b = random_ties(m, c == 1 ? 3000 : 4, 9 + static_cast<std::uint32_t>(c));
      b[4] = -0.0;
      b[5] = 0.0;
    }
    const icl::detail::kendall_counts k = icl::detail::kendall_count(a.data(), b.data(), m);
    const icl::detail::kendall_counts s = icl::detail::kendall_count_by_comparison_sort(a.data(), b.data(), m);
    INFO("case " << c);
    REQUIRE(k.total == s.total);
    REQUIRE(k.ties_a == s.ties_a);
    REQUIRE(k.ties_b == s.ties_b);
    REQUIRE(k.ties_joint == s.ties_joint);
    REQUIRE(k.discordant == s.discordant);
  }
}

TEST_CASE("average_ranks and doubled_ranks: long inputs with ties equal the comparison sort's ranks",
          "[core][rank]") {
  const std::size_t m = 150001;
  for (const int levels : {2, 500, 100000000}) {
    const std::vector<double> x = random_ties(m, levels, 40 + static_cast<std::uint32_t>(levels % 97));
    std::vector<double> radix(m);
    icl::detail::rank_workspace ws;
    icl::detail::average_ranks_into(x.data(), m, radix.data(), ws);
    const std::vector<double> comparison = comparison_average_ranks(x);
    const auto& twice = icl::detail::doubled_ranks(x.data(), m, ws);
    INFO("levels " << levels);
    REQUIRE(radix == comparison);
    for (std::size_t t = 0; t < m; ++t) REQUIRE(static_cast<double>(twice[t]) == 2.0 * comparison[t]);
  }
}
