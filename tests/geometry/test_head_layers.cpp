// The Mann–Whitney test on the layer indices of two head sets (icl/geometry/head_layers.hpp)
// against scipy.stats.mannwhitneyu on the layers (tests/data/p2_mann_whitney.txt, cases "heads"
// and "heads_small", written by tests/data/make_p2_fixtures.py); its errors.
#include <catch2/catch.hpp>

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "icl/geometry/head_layers.hpp"
#include "support/fixture.hpp"

namespace {

std::vector<std::pair<std::size_t, std::size_t>> heads_of(const icl_test::fixture_file& f, const std::string& name) {
  const auto& v = f.ints(name);
  std::vector<std::pair<std::size_t, std::size_t>> out;
  for (std::size_t k = 0; k + 1 < v.size(); k += 2) {
    out.emplace_back(static_cast<std::size_t>(v[k]), static_cast<std::size_t>(v[k + 1]));
  }
  return out;
}

}  // namespace

TEST_CASE("head_layer_mann_whitney tests the layer indices of two head lists", "[geometry][head_layers][p2]") {
  const icl_test::fixture_file f("p2_mann_whitney.txt");
  const icl::alternative alternatives[] = {icl::alternative::two_sided, icl::alternative::greater,
                                           icl::alternative::less};
  for (const std::string name : {"heads", "heads_small"}) {
    const auto a = heads_of(f, name + "_a"), b = heads_of(f, name + "_b");
    const auto& expected = f.values(name + "_result");
    for (std::size_t k = 0; k < 3; ++k) {
      INFO(name << ", alternative " << icl::to_string(alternatives[k]));
      const auto r = icl::geometry::head_layer_mann_whitney(a, b, alternatives[k]);
      REQUIRE(r.statistic == expected[2 * k]);
      REQUIRE(r.p_value == Approx(expected[2 * k + 1]).epsilon(1e-12));
    }
  }
  // Previous-token heads sit earlier than induction heads: "less" is the significant side.
  const auto r = icl::geometry::head_layer_mann_whitney(heads_of(f, "heads_a"), heads_of(f, "heads_b"),
                                                        icl::alternative::less);
  REQUIRE(r.p_value < 0.01);
}

TEST_CASE("head_layer_mann_whitney rejects an empty head set", "[geometry][head_layers][p2][errors]") {
  using Catch::Contains;
  const std::vector<std::pair<std::size_t, std::size_t>> some = {{0, 1}, {2, 3}};
  REQUIRE_THROWS_AS(icl::geometry::head_layer_mann_whitney({}, some), icl::invalid_argument);
  REQUIRE_THROWS_WITH(icl::geometry::head_layer_mann_whitney({}, some),
                      Contains("icl::geometry::head_layer_mann_whitney: head set a is empty"));
  REQUIRE_THROWS_WITH(icl::geometry::head_layer_mann_whitney(some, {}),
                      Contains("icl::geometry::head_layer_mann_whitney: head set b is empty"));
  REQUIRE_THROWS_WITH(icl::geometry::head_layer_mann_whitney(some, some, static_cast<icl::alternative>(9)),
                      Contains("icl::geometry::head_layer_mann_whitney: unknown alternative 9"));
}
