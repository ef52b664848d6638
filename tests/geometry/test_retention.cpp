// Layer retention / filtering (icl/geometry/retention.hpp) against numpy
// (tests/data/p2_retention.txt, written by tests/data/make_p2_fixtures.py): the norms of
// V_{l−1}ᵀV_lV_lᵀ's rows, the signed directions and their decoded tokens, for float and double on
// a contiguous and an interleaved (strided) tensor, with n > d and n < d; the documented errors.
#include <catch2/catch.hpp>

#include <cstddef>
#include <limits>
#include <string>
#include <vector>

#include "icl/geometry/retention.hpp"
#include "support/fixture.hpp"
#include "support/views.hpp"

namespace {

std::vector<std::size_t> row_of(const std::vector<int>& values, std::size_t row, std::size_t width) {
  std::vector<std::size_t> out;
  for (std::size_t j = 0; j < width; ++j) out.push_back(static_cast<std::size_t>(values[row * width + j]));
  return out;
}

/// One fixture case (records prefixed by `prefix`) on a contiguous and an interleaved tensor.
template <class T>
void check_case(const icl_test::fixture_file& f, const std::string& prefix) {
  INFO("case " << (prefix.empty() ? "n > d" : "n < d"));
  const auto& shape = f.shape(prefix + "H");
  const std::size_t layers = shape[0], n = shape[1], d = shape[2];
  const auto r = static_cast<std::size_t>(f.scalar(prefix + "r"));
  const auto k = static_cast<std::size_t>(f.scalar(prefix + "k"));
  const auto& values = f.values(prefix + "H");
  const auto layouts = icl_test::both_layer_layouts<T>(values, layers, n, d);
  const auto a = layouts.contiguous_view();
  const auto b = layouts.interleaved_view();
  const auto& e_shape = f.shape(prefix + "E");
  const auto E = icl_test::column_major_padded<T>(f.values(prefix + "E"), e_shape[0], e_shape[1]);

  for (const auto& H : {a, b}) {
    const auto steps = icl::geometry::layer_retention(H, r, E.view, k);
    const auto plain = icl::geometry::layer_retention(H, r);
    REQUIRE(steps.size() == layers - 1);
    for (std::size_t l = 1; l < layers; ++l) {
      INFO("transition to layer " << l);
      const auto& s = steps[l - 1];
      REQUIRE(s.layer == l);
      icl_test::require_close<T>(s.norms, f.values(prefix + "norms_" + std::to_string(l)));
      icl_test::require_close<T>(s.directions, f.values(prefix + "directions_" + std::to_string(l)));
      REQUIRE(s.singular_values.size() == r);
      REQUIRE(s.top_tokens.size() == r);
      for (std::size_t i = 0; i < r; ++i) {
        REQUIRE(s.top_tokens[i] == row_of(f.ints(prefix + "top_" + std::to_string(l)), i, k));
        REQUIRE(s.bottom_tokens[i] == row_of(f.ints(prefix + "bottom_" + std::to_string(l)), i, k));
      }
      REQUIRE(plain[l - 1].norms == s.norms);
      REQUIRE(plain[l - 1].top_tokens.empty());
      // The pair form gives the same transition.
      const auto pair = icl::geometry::retention(H.matrix(l - 1), H.matrix(l), r, E.view, k);
      REQUIRE(pair.layer == 1);
      REQUIRE(pair.norms == s.norms);
      REQUIRE(pair.top_tokens == s.top_tokens);
    }
  }
}

}  // namespace

TEMPLATE_TEST_CASE("layer_retention equals numpy's SVD-based norms and decoded tokens", "[geometry][retention][p2]",
                   float, double) {
  const icl_test::fixture_file f("p2_retention.txt");
  check_case<TestType>(f, "");       // n > d: the covariance route of the SVD
  check_case<TestType>(f, "wide_");  // n < d: the Gram route
}

TEST_CASE("retention rejects a single layer, a rank beyond the states and a mismatched unembedding",
          "[geometry][retention][p2][errors]") {
  using Catch::Contains;
  // 5 rows x 4 columns; the second matrix has centred rank 1.
  const std::vector<double> h = {1, 0, 2, 1, 0, 3, 1, 1, 2, 2, 0, 1, 1, 1, 1, 3, 0, 2, 2, 0};
  const std::vector<double> flat = {1, 2, 0, 0, 2, 4, 0, 0, 3, 6, 0, 0, 4, 8, 0, 0, 5, 10, 0, 0};
  const auto H = icl::make_matrix_view(h.data(), 5, 4);
  const auto F = icl::make_matrix_view(flat.data(), 5, 4);
  const auto one = icl::make_tensor_view<double, 3>(h.data(), {1, 5, 4});
  REQUIRE_THROWS_AS(icl::geometry::layer_retention(one, 2), icl::invalid_argument);
  REQUIRE_THROWS_WITH(icl::geometry::layer_retention(one, 2),
                      Contains("icl::geometry::layer_retention: H has 1 layer(s): retention needs at least 2"));
  REQUIRE_THROWS_WITH(icl::geometry::retention(H, H, 5),
                      Contains("icl::geometry::retention: r = 5 must be in [1, min(n - 1, d)] = [1, 4] for previous"));
  REQUIRE_THROWS_WITH(icl::geometry::retention(H, H, 0), Contains("r = 0 must be in [1, min(n - 1, d)]"));
  REQUIRE_THROWS_WITH(icl::geometry::retention(H, F, 2),
                      Contains("icl::geometry::retention: r = 2 exceeds the rank 1 of the centred states of layer 1"));
  REQUIRE_THROWS_WITH(icl::geometry::retention(H, icl::make_matrix_view(h.data(), 4, 5), 2),
                      Contains("icl::geometry::retention: previous has d = 4 columns but current has d = 5"));
  const std::vector<double> e(3 * 5, 1.0);
  REQUIRE_THROWS_WITH(icl::geometry::retention(H, H, 2, icl::make_matrix_view(e.data(), 3, 5)),
                      Contains("icl::geometry::retention: E has 5 columns but the states have d = 4"));
  REQUIRE_THROWS_WITH(icl::geometry::retention(H, H, 2, icl::make_matrix_view(e.data(), 3, 4), 4),
                      Contains("icl::geometry::retention: top_k = 4 must be in [1, 3] (the rows of E)"));
  const auto two = icl::make_tensor_view<double, 3>(h.data(), {2, 5, 2});
  REQUIRE_THROWS_WITH(icl::geometry::layer_retention(two, 1, icl::make_matrix_view(e.data(), 3, 4)),
                      Contains("icl::geometry::layer_retention: E has 4 columns but the states have d = 2"));
  std::vector<double> bad = h;
  bad[6] = std::numeric_limits<double>::quiet_NaN();
  REQUIRE_THROWS_WITH(icl::geometry::retention(H, icl::make_matrix_view(bad.data(), 5, 4), 2),
                      Contains("icl::geometry::retention: current (1, 2) is nan"));
}
