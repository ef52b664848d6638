// Task decodability: the names of its enum (icl::enum_traits) and the defaults of its options.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "icl/decode/types.hpp"
#include "support/enum_names.hpp"

TEST_CASE("dissimilarity names round-trip", "[decode][types]") {
  using icl::decode::dissimilarity;
  icl_test::require_round_trip<dissimilarity>({dissimilarity::euclidean, dissimilarity::cosine},
                                              {"euclidean", "cosine"});
  REQUIRE_THROWS_AS(icl::from_string<dissimilarity>("Cosine"), icl::invalid_argument);
  icl_test::require_name_and_value_errors<dissimilarity>(
      "manhattan", "icl::from_string: 'manhattan' is not a icl::decode::dissimilarity (one of euclidean, cosine)", 5,
      "icl::to_string: icl::decode::dissimilarity has no value 5");
}

TEST_CASE("decode_params defaults and field order", "[decode][types]") {
  const icl::decode::decode_params p;
  REQUIRE(p.k == 10);
  REQUIRE(p.dissimilarity == icl::decode::dissimilarity::euclidean);
  REQUIRE(p.block_rows == 0);
  const icl::decode::decode_params q{5, icl::decode::dissimilarity::cosine, 64};
  REQUIRE(q.k == 5);
  REQUIRE(q.dissimilarity == icl::decode::dissimilarity::cosine);
  REQUIRE(q.block_rows == 64);
}
