// counter_rng: reproducibility, independence of streams, distributions, and the Philox4x32-10
// known-answer test.
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "icl/core/random.hpp"

namespace {

std::vector<std::uint64_t> draw(icl::counter_rng rng, std::size_t count) {
  std::vector<std::uint64_t> out(count);
  for (auto& v : out) v = rng();
  return out;
}

}  // namespace

TEST_CASE("counter_rng matches the Philox4x32-10 known answer", "[core][random]") {
  // Random123's kat_vectors: philox4x32_10 with counter {0, 0, 0, 0} and key {0, 0} gives
  // {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}. counter_rng(seed 0, stream 0) computes
  // block 0 with exactly that counter and key, and returns words (3, 2) first, then (1, 0).
  icl::counter_rng rng(0, 0);
  CHECK(rng() == 0x9b00dbd8bc57ac4cULL);
  CHECK(rng() == 0xe169c58d6627e8d5ULL);
}

TEST_CASE("counter_rng is a pure function of (seed, stream)", "[core][random]") {
  const auto a = draw(icl::counter_rng(42, 7), 1000);
  const auto b = draw(icl::counter_rng(42, 7), 1000);
  CHECK(a == b);

  // Other streams and other seeds give other sequences.
  const auto other_stream = draw(icl::counter_rng(42, 8), 1000);
  const auto other_seed = draw(icl::counter_rng(43, 7), 1000);
  const auto high_stream = draw(icl::counter_rng(42, 7 + (std::uint64_t{1} << 32)), 1000);
  const auto high_seed = draw(icl::counter_rng(42 + (std::uint64_t{1} << 32), 7), 1000);
  for (const auto* other : {&other_stream, &other_seed, &high_stream, &high_seed}) {
    CHECK(*other != a);
    // Not merely shifted or partly equal: (almost) no value in common at the same position.
    std::size_t same = 0;
    for (std::size_t k = 0; k < a.size(); ++k) same += (*other)[k] == a[k] ? 1 : 0;
    CHECK(same == 0);
  }

  // The default stream is stream 0.
  CHECK(draw(icl::counter_rng(5), 16) == draw(icl::counter_rng(5, 0), 16));
}

TEST_CASE("counter_rng copies continue the same sequence", "[core][random]") {
  icl::counter_rng rng(9, 3);
  rng();
  rng();
  rng();  // mid-block: one value left in the buffer
  icl::counter_rng copy = rng;
  CHECK(draw(rng, 10) == draw(copy, 10));
}

TEST_CASE("counter_rng::uniform_below is unbiased", "[core][random]") {
  // Chi-square goodness of fit over 10^5 draws for bound 7 (6 degrees of freedom). The seed is
  // fixed, so the statistic is a fixed number; the bound 22.46 is the 0.999 quantile of
  // chi-square(6), which a fair generator exceeds with probability 0.001.
  constexpr std::uint64_t bound = 7;
  constexpr std::size_t draws = 100000;
  icl::counter_rng rng(20240601, 1);
  std::array<std::size_t, bound> counts{};
  for (std::size_t k = 0; k < draws; ++k) {
    const std::uint64_t v = rng.uniform_below(bound);
    REQUIRE(v < bound);
    ++counts[v];
  }
  const double expected = static_cast<double>(draws) / static_cast<double>(bound);
  double chi_square = 0.0;
  for (std::size_t c : counts) {
    const double diff = static_cast<double>(c) - expected;
    chi_square += diff * diff / expected;
  }
  INFO("chi-square = " << chi_square);
  CHECK(chi_square < 22.46);

  // Edge bounds: 1 always gives 0; a power of two and a bound above 2^63 stay in range.
  icl::counter_rng edge(1);
  for (int k = 0; k < 100; ++k) {
    CHECK(edge.uniform_below(1) == 0);
    CHECK(edge.uniform_below(64) < 64);
    const std::uint64_t big = (std::uint64_t{1} << 63) + 12345;
    CHECK(edge.uniform_below(big) < big);
  }
}

TEST_CASE("counter_rng::uniform01 lies in [0, 1)", "[core][random]") {
  icl::counter_rng rng(77, 2);
  double sum = 0.0;
  double smallest = 1.0;
  double largest = 0.0;
  constexpr int draws = 100000;
  for (int k = 0; k < draws; ++k) {
    const double u = rng.uniform01();
    REQUIRE(u >= 0.0);
    REQUIRE(u < 1.0);
    sum += u;
    smallest = std::min(smallest, u);
    largest = std::max(largest, u);
  }
  // Mean 1/2 with standard error sqrt(1/12 / 10^5) ~ 9.1e-4: 5 standard errors.
  CHECK(sum / draws == Approx(0.5).margin(5 * 9.2e-4));
  CHECK(smallest < 1e-3);
  CHECK(largest > 1.0 - 1e-3);
}

TEST_CASE("counter_rng::permutation is a permutation", "[core][random]") {
  icl::counter_rng rng(123, 4);
  for (std::size_t count : {std::size_t{0}, std::size_t{1}, std::size_t{2}, std::size_t{17}, std::size_t{1000}}) {
    const std::vector<std::size_t> p = rng.permutation(count);
    REQUIRE(p.size() == count);
    std::vector<std::size_t> sorted = p;
    std::sort(sorted.begin(), sorted.end());
    for (std::size_t i = 0; i < count; ++i) CHECK(sorted[i] == i);
  }
  // Reproducible, and not the identity for a long permutation.
  const auto a = icl::counter_rng(5, 5).permutation(100);
  const auto b = icl::counter_rng(5, 5).permutation(100);
  CHECK(a == b);
  std::size_t fixed_points = 0;
  for (std::size_t i = 0; i < a.size(); ++i) fixed_points += a[i] == i ? 1 : 0;
  CHECK(fixed_points < 10);

  // Every one of the 6 orders of 3 elements occurs, about equally often.
  std::array<std::size_t, 6> order_counts{};
  icl::counter_rng small(8, 0);
  for (int k = 0; k < 6000; ++k) {
    const auto q = small.permutation(3);
    const std::size_t code = q[0] * 2 + (q[1] > q[2] ? 1 : 0);  // q[0] and the order of the rest
    ++order_counts[code];
  }
  for (std::size_t c : order_counts) {
    CHECK(c > 850);
    CHECK(c < 1150);
  }
}

TEST_CASE("counter_rng::shuffle keeps the elements", "[core][random]") {
  std::vector<int> values{5, 1, 4, 1, 5, 9, 2, 6};
  std::vector<int> shuffled = values;
  icl::counter_rng rng(3);
  rng.shuffle(shuffled.begin(), shuffled.size());
  std::sort(values.begin(), values.end());
  std::sort(shuffled.begin(), shuffled.end());
  CHECK(values == shuffled);
}
