// icl::rms_norm_params: its default and the one check of its values (detail::check_rms_norm),
// shared by the logit lens and the geometry.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <vector>

#include "icl/core/error.hpp"
#include "icl/core/rms_norm.hpp"

TEST_CASE("rms_norm_params: defaults", "[core][rms_norm]") {
  const icl::rms_norm_params norm;
  CHECK(norm.gamma.empty());
  CHECK(norm.epsilon == 1e-6);
  CHECK(icl::detail::rms_norm_gain(norm, 0) == 1.0);
  CHECK(icl::detail::rms_norm_gain(norm, 1000) == 1.0);
  const icl::rms_norm_params scaled{{2.0, -0.5, 0.0}, 1e-5};
  CHECK(icl::detail::rms_norm_gain(scaled, 0) == 2.0);
  CHECK(icl::detail::rms_norm_gain(scaled, 1) == -0.5);
  CHECK(icl::detail::rms_norm_gain(scaled, 2) == 0.0);
}

TEST_CASE("rms_norm_params: accepted values", "[core][rms_norm]") {
  CHECK_NOTHROW(icl::detail::check_rms_norm("icl::test", "params.norm", icl::rms_norm_params{}, 4));
  CHECK_NOTHROW(icl::detail::check_rms_norm("icl::test", "params.norm", icl::rms_norm_params{{1.0, 2.0}, 0.0}, 2));
  CHECK_NOTHROW(icl::detail::check_rms_norm("icl::test", "params.norm", icl::rms_norm_params{{}, 1e-5}, 0));
}

TEST_CASE("rms_norm_params: rejected values name the function, the parameter and the index", "[core][rms_norm]") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  const auto check = [](const icl::rms_norm_params& norm, std::size_t d) {
    icl::detail::check_rms_norm("icl::test::f", "params.norm", norm, d);
  };
  REQUIRE_THROWS_AS(check({{1.0, 2.0}, 1e-6}, 3), icl::invalid_argument);
  REQUIRE_THROWS_WITH(check({{1.0, 2.0}, 1e-6}, 3),
                      "icl::test::f: params.norm.gamma has 2 values but the vectors have d = 3");
  REQUIRE_THROWS_WITH(check({{1.0, nan, 3.0}, 1e-6}, 3), Catch::StartsWith("icl::test::f: params.norm.gamma[1] is "));
  REQUIRE_THROWS_WITH(check({{1.0, 2.0, -inf}, 1e-6}, 3), Catch::Contains("gamma[2]") && Catch::Contains("NaN/Inf"));
  REQUIRE_THROWS_WITH(check({{}, -1e-6}, 3), Catch::StartsWith("icl::test::f: params.norm.epsilon = ") &&
                                                 Catch::EndsWith("must be finite and >= 0"));
  REQUIRE_THROWS_AS(check({{}, nan}, 3), icl::invalid_argument);
  REQUIRE_THROWS_AS(check({{}, inf}, 3), icl::invalid_argument);
}
