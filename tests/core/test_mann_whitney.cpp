// icl-test: also-without-blas
// The Mann–Whitney U test (icl/core/mann_whitney.hpp) against scipy.stats.mannwhitneyu
// (tests/data/p2_mann_whitney.txt, written by tests/data/make_p2_fixtures.py): exact and
// asymptotic p-values, ties, the three alternatives, and its errors.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <vector>

#include "icl/core/stats.hpp"
#include "support/fixture.hpp"

namespace {

const char* const cases[] = {"exact_small",     "exact_one",       "exact_8x8",     "exact_3x40",
                             "exact_extreme",   "asym_9x9",        "asym_30x45",    "asym_ties_small",
                             "asym_ties_large", "asym_all_tied",   "heads",         "heads_small"};
const icl::alternative alternatives[] = {icl::alternative::two_sided, icl::alternative::greater,
                                         icl::alternative::less};

}  // namespace

TEST_CASE("mann_whitney_u equals scipy.stats.mannwhitneyu(method='auto')", "[core][stats][mann_whitney]") {
  const icl_test::fixture_file f("p2_mann_whitney.txt");
  for (const std::string name : cases) {
    const auto& x = f.values(name + "_x");
    const auto& y = f.values(name + "_y");
    const auto& expected = f.values(name + "_result");
    for (std::size_t k = 0; k < 3; ++k) {
      INFO("case " << name << ", alternative " << icl::to_string(alternatives[k]));
      const icl::stats::test_result r = icl::stats::mann_whitney_u(x, y, alternatives[k]);
      REQUIRE(r.statistic == expected[2 * k]);
      REQUIRE(r.p_value == Approx(expected[2 * k + 1]).epsilon(1e-12).margin(1e-300));
    }
  }
}

TEST_CASE("mann_whitney_u: default alternative, symmetry and the statistic of y", "[core][stats][mann_whitney]") {
  const std::vector<double> x = {19, 22, 16, 29, 24}, y = {20, 11, 17, 12};
  const auto two = icl::stats::mann_whitney_u(x, y);
  REQUIRE(two.statistic == 17.0);
  REQUIRE(two.p_value == icl::stats::mann_whitney_u(x, y, icl::alternative::two_sided).p_value);
  // Swapping the samples gives U2 = n1 n2 − U1 and exchanges greater and less.
  const auto swapped = icl::stats::mann_whitney_u(y, x, icl::alternative::less);
  REQUIRE(swapped.statistic == 3.0);
  REQUIRE(swapped.p_value == Approx(icl::stats::mann_whitney_u(x, y, icl::alternative::greater).p_value).epsilon(1e-15));
  // Every value tied: no evidence either way.
  REQUIRE(icl::stats::mann_whitney_u({1, 1}, {1, 1, 1}).p_value == 1.0);
}

TEST_CASE("mann_whitney_u rejects empty and non-finite samples", "[core][stats][mann_whitney][errors]") {
  using Catch::Contains;
  const std::vector<double> some = {1, 2, 3};
  REQUIRE_THROWS_AS(icl::stats::mann_whitney_u({}, some), icl::invalid_argument);
  REQUIRE_THROWS_WITH(icl::stats::mann_whitney_u({}, some), Contains("icl::stats::mann_whitney_u: x is empty"));
  REQUIRE_THROWS_WITH(icl::stats::mann_whitney_u(some, {}), Contains("icl::stats::mann_whitney_u: y is empty"));
  REQUIRE_THROWS_WITH(icl::stats::mann_whitney_u(some, {1, std::numeric_limits<double>::quiet_NaN()}),
                      Contains("icl::stats::mann_whitney_u: y[1] = nan is not finite"));
  REQUIRE_THROWS_WITH(icl::stats::mann_whitney_u({std::numeric_limits<double>::infinity()}, some),
                      Contains("icl::stats::mann_whitney_u: x[0] = inf is not finite"));
  REQUIRE_THROWS_WITH(icl::stats::mann_whitney_u(some, some, static_cast<icl::alternative>(5)),
                      Contains("icl::stats::mann_whitney_u: unknown alternative 5"));
}
