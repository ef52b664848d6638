// icl-test: also-without-blas
// Names of the RSA enums (and of icl::alternative, which the RSA tests take): icl::to_string,
// icl::from_string and icl::enum_names through icl::enum_traits, and icl::rsa::to_string.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "icl/core/enum_names.hpp"
#include "icl/core/stats.hpp"
#include "icl/rsa/types.hpp"

namespace {

// Every value survives to_string -> from_string, names are the enumerators in declaration
// order, and an unknown name is rejected naming the enum and listing the accepted names.
template <class E>
void require_round_trip(const std::vector<E>& values, const std::vector<std::string>& names, const char* type_name) {
  REQUIRE(icl::enum_names<E>() == names);
  for (std::size_t k = 0; k < values.size(); ++k) {
    INFO(names[k]);
    REQUIRE(std::string(icl::to_string(values[k])) == names[k]);
    REQUIRE(icl::from_string<E>(names[k]) == values[k]);
  }
  REQUIRE_THROWS_AS(icl::from_string<E>("no_such_name"), icl::invalid_argument);
  REQUIRE_THROWS_WITH(icl::from_string<E>("no_such_name"),
                      Catch::StartsWith("icl::from_string: 'no_such_name' is not a " + std::string(type_name)) &&
                          Catch::Contains(names.front()) && Catch::Contains(names.back()));
  REQUIRE_THROWS_WITH(icl::to_string(static_cast<E>(99)), Catch::Contains(type_name) && Catch::Contains("99"));
}

}  // namespace

TEST_CASE("RSA enums have names", "[rsa][names]") {
  using icl::rsa::comparison;
  using icl::rsa::dissimilarity;
  require_round_trip<dissimilarity>({dissimilarity::euclidean, dissimilarity::sqeuclidean,
                                     dissimilarity::sqeuclidean_per_feature, dissimilarity::correlation,
                                     dissimilarity::cosine},
                                    {"euclidean", "sqeuclidean", "sqeuclidean_per_feature", "correlation", "cosine"},
                                    "icl::rsa::dissimilarity");
  require_round_trip<comparison>({comparison::pearson, comparison::spearman, comparison::kendall_tau_a,
                                  comparison::kendall_tau_b, comparison::rho_a, comparison::cosine,
                                  comparison::whitened_cosine},
                                 {"pearson", "spearman", "kendall_tau_a", "kendall_tau_b", "rho_a", "cosine",
                                  "whitened_cosine"},
                                 "icl::rsa::comparison");
  require_round_trip<icl::rsa::parameter_distance>(
      {icl::rsa::parameter_distance::absolute, icl::rsa::parameter_distance::squared}, {"absolute", "squared"},
      "icl::rsa::parameter_distance");
  require_round_trip<icl::alternative>({icl::alternative::two_sided, icl::alternative::greater, icl::alternative::less},
                                       {"two_sided", "greater", "less"}, "icl::alternative");
  // The module's pooling and standardization are icl::pooling and icl::standardization.
  require_round_trip<icl::rsa::pooling>({icl::rsa::pooling::max, icl::rsa::pooling::mean, icl::rsa::pooling::last},
                                        {"max", "mean", "last"}, "icl::pooling");
  require_round_trip<icl::rsa::standardization>(
      {icl::rsa::standardization::none, icl::rsa::standardization::zscore_features,
       icl::rsa::standardization::zscore_rows},
      {"none", "zscore_features", "zscore_rows"}, "icl::standardization");
}

TEST_CASE("icl::rsa::to_string agrees with icl::to_string and says unknown outside the enum", "[rsa][names]") {
  for (const auto d : {icl::rsa::dissimilarity::euclidean, icl::rsa::dissimilarity::cosine}) {
    REQUIRE(std::string(icl::rsa::to_string(d)) == std::string(icl::to_string(d)));
  }
  for (const auto c : {icl::rsa::comparison::pearson, icl::rsa::comparison::whitened_cosine}) {
    REQUIRE(std::string(icl::rsa::to_string(c)) == std::string(icl::to_string(c)));
  }
  REQUIRE(std::string(icl::rsa::to_string(static_cast<icl::rsa::dissimilarity>(42))) == "unknown");
  REQUIRE(std::string(icl::rsa::to_string(static_cast<icl::rsa::comparison>(42))) == "unknown");
}

TEST_CASE("check_alternative is the one check of an alternative", "[rsa][names]") {
  for (const auto alt : {icl::alternative::two_sided, icl::alternative::greater, icl::alternative::less}) {
    REQUIRE_NOTHROW(icl::detail::check_alternative("f", alt));
  }
  REQUIRE_THROWS_AS(icl::detail::check_alternative("icl::x::f", static_cast<icl::alternative>(5)), icl::invalid_argument);
  REQUIRE_THROWS_WITH(icl::detail::check_alternative("icl::x::f", static_cast<icl::alternative>(5)),
                      "icl::x::f: unknown alternative 5");
}
