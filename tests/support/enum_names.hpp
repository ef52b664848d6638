// Checks of an enum's names (icl::enum_names, icl::to_string, icl::from_string), shared by the
// modules' type tests.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "icl/core/enum_names.hpp"
#include "icl/core/error.hpp"

namespace icl_test {

/// Every value of E survives to_string then from_string, and the names are `expected` in order.
template <class E>
void require_round_trip(const std::vector<E>& values, const std::vector<std::string>& expected) {
  REQUIRE(icl::enum_names<E>() == expected);
  REQUIRE(values.size() == expected.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    REQUIRE(icl::to_string(values[i]) == expected[i]);
    REQUIRE(icl::from_string<E>(expected[i]) == values[i]);
    REQUIRE(icl::from_string<E>(icl::to_string(values[i])) == values[i]);
  }
}

/// from_string<E>(name) and to_string of the value `value` of E throw, with messages that
/// contain `name_message` and `value_message`.
template <class E>
void require_name_and_value_errors(const std::string& name, const std::string& name_message, int value,
                                   const std::string& value_message) {
  REQUIRE_THROWS_WITH(icl::from_string<E>(name), Catch::Contains(name_message));
  REQUIRE_THROWS_WITH(icl::to_string(static_cast<E>(value)), Catch::Contains(value_message));
}

}  // namespace icl_test
