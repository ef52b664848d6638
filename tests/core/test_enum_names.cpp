// icl::enum_traits and the functions built on it (to_string, from_string, enum_names), on an
// enum of the test's own and on icl::nan_policy.
#include <catch2/catch.hpp>

#include <array>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "icl/core/enum_names.hpp"
#include "icl/core/error.hpp"

namespace icl_enum_test {
enum class colour { red, green, light_blue };
}  // namespace icl_enum_test

namespace icl {
template <>
struct enum_traits<icl_enum_test::colour> {
  static constexpr const char* type_name = "icl_enum_test::colour";
  static constexpr std::array<std::pair<icl_enum_test::colour, std::string_view>, 3> names = {{
      {icl_enum_test::colour::red, "red"},
      {icl_enum_test::colour::green, "green"},
      {icl_enum_test::colour::light_blue, "light_blue"},
  }};
};
}  // namespace icl

using icl_enum_test::colour;

TEST_CASE("enum names: round trip through to_string and from_string", "[core][enum]") {
  for (colour c : {colour::red, colour::green, colour::light_blue}) {
    CHECK(icl::from_string<colour>(icl::to_string(c)) == c);
  }
  CHECK(icl::to_string(colour::light_blue) == "light_blue");
  CHECK(icl::from_string<colour>(std::string("green")) == colour::green);
  CHECK(icl::enum_names<colour>() == std::vector<std::string>{"red", "green", "light_blue"});
}

TEST_CASE("enum names: unknown names and values", "[core][enum]") {
  REQUIRE_THROWS_AS(icl::from_string<colour>("blue"), icl::invalid_argument);
  REQUIRE_THROWS_WITH(icl::from_string<colour>("blue"),
                      "icl::from_string: 'blue' is not a icl_enum_test::colour (one of red, green, light_blue)");
  // Exact and case-sensitive: no prefix, no other case, no surrounding space.
  CHECK_THROWS_AS(icl::from_string<colour>("Red"), icl::invalid_argument);
  CHECK_THROWS_AS(icl::from_string<colour>("re"), icl::invalid_argument);
  CHECK_THROWS_AS(icl::from_string<colour>("red "), icl::invalid_argument);
  CHECK_THROWS_AS(icl::from_string<colour>(""), icl::invalid_argument);

  REQUIRE_THROWS_AS(icl::to_string(static_cast<colour>(7)), icl::invalid_argument);
  REQUIRE_THROWS_WITH(icl::to_string(static_cast<colour>(7)), "icl::to_string: icl_enum_test::colour has no value 7");
}

TEST_CASE("enum names: nan_policy", "[core][enum]") {
  using icl::nan_policy;
  CHECK(icl::enum_names<nan_policy>() == std::vector<std::string>{"raise", "propagate", "omit"});
  for (nan_policy p : {nan_policy::raise, nan_policy::propagate, nan_policy::omit}) {
    CHECK(icl::from_string<nan_policy>(icl::to_string(p)) == p);
  }
  CHECK(icl::to_string(nan_policy::omit) == "omit");
  REQUIRE_THROWS_WITH(icl::from_string<nan_policy>("ignore"),
                      "icl::from_string: 'ignore' is not a icl::nan_policy (one of raise, propagate, omit)");
}
