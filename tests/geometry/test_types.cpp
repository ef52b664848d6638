// icl/geometry/types.hpp: the names of the geometry's enums, and the defaults of its options.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "icl/geometry/types.hpp"
#include "support/enum_names.hpp"

TEST_CASE("variance_mode names round-trip", "[geometry][types]") {
  using icl::geometry::variance_mode;
  icl_test::require_round_trip<variance_mode>({variance_mode::proportion, variance_mode::raw}, {"proportion", "raw"});
  REQUIRE_THROWS_AS(icl::from_string<variance_mode>("Raw"), icl::invalid_argument);
  icl_test::require_name_and_value_errors<variance_mode>(
      "share", "icl::from_string: 'share' is not a icl::geometry::variance_mode (one of proportion, raw)", 7,
      "icl::to_string: icl::geometry::variance_mode has no value 7");
}

TEST_CASE("separability_alignment_params defaults", "[geometry][types]") {
  const icl::geometry::separability_alignment_params p;
  REQUIRE(p.separability);
  REQUIRE(p.test_fraction == 0.5);
  REQUIRE_FALSE(p.final_norm.has_value());  // no norm unless one is given
  REQUIRE(p.variance == icl::geometry::variance_mode::proportion);
  REQUIRE(p.singular_vectors == 2);
  REQUIRE(p.denoise_rank == 10);  // [P2] Fig. 6
  REQUIRE(p.argmax == icl::geometry::lens_argmax::vocabulary);
  const icl::rms_norm_params norm;  // the shared RMSNorm default
  REQUIRE(norm.epsilon == 1e-6);
}
