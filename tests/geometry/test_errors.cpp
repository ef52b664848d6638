// Every documented error of icl/geometry: type and message.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <vector>

#include "icl/geometry/alignment.hpp"
#include "icl/geometry/cka.hpp"

using Catch::Contains;

namespace {

// 6 rows x 4 columns, classes 1 (rows 0-2) and 2 (rows 3-5), not degenerate.
const std::vector<double> h = {1, 0.5, 0, 2, 0.3, 1.2, -1, 0, 0.7, 0.1, 0.4, -0.2,
                               -1, 0.2, 1, 0, -0.8, -0.9, 0.5, 1, -0.6, 0.3, -1.4, 0.1};
const std::vector<int> labels = {1, 1, 1, 2, 2, 2};
const std::vector<double> dirs = {1, 0, 0, 0, 0, 1, 0, 0};

icl::geometry::separability_alignment_params no_probe() {
  icl::geometry::separability_alignment_params p;
  p.separability = false;
  p.denoise_rank = 2;  // d = 4: below the default rank 10
  return p;
}

}  // namespace

TEST_CASE("separability_alignment rejects bad labels and directions", "[geometry][errors]") {
  const auto H = icl::make_matrix_view(h.data(), 6, 4);
  const auto D = icl::make_matrix_view(dirs.data(), 2, 4);
  const auto p = no_probe();
  REQUIRE_NOTHROW(icl::geometry::separability_alignment(H, labels, D, p));
  REQUIRE_THROWS_AS(icl::geometry::separability_alignment(H, {1, 1, 2}, D, p), icl::invalid_argument);
  REQUIRE_THROWS_WITH(icl::geometry::separability_alignment(H, {1, 1, 2}, D, p),
                      Contains("icl::geometry::separability_alignment: labels has 3 entries but H has 6 rows"));
  REQUIRE_THROWS_WITH(icl::geometry::separability_alignment(H, {1, 1, 1, 1, 1, 1}, D, p),
                      Contains("icl::geometry::separability_alignment: labels hold 1 distinct class(es), need at least 2"));
  // Wrong width, wrong number of rows.
  REQUIRE_THROWS_WITH(icl::geometry::separability_alignment(H, labels, icl::make_matrix_view(dirs.data(), 2, 3), p),
                      Contains("label_directions has 3 columns but H has d = 4"));
  REQUIRE_THROWS_AS(icl::geometry::separability_alignment(H, labels, icl::make_matrix_view(dirs.data(), 1, 4), p),
                    icl::invalid_argument);
  REQUIRE_THROWS_WITH(icl::geometry::separability_alignment(H, labels, icl::make_matrix_view(dirs.data(), 1, 4), p),
                      Contains("label_directions has 1 rows but the labels hold 2 classes"));
  // Two identical label directions: e undefined.
  const std::vector<double> same = {1, 2, 3, 4, 1, 2, 3, 4};
  REQUIRE_THROWS_WITH(icl::geometry::separability_alignment(H, labels, icl::make_matrix_view(same.data(), 2, 4), p),
                      Contains("icl::geometry::separability_alignment: the label directions of labels 1 and 2 are identical"));
  // Token ids: wrong count and out of range.
  auto tokens = p;
  tokens.label_token_ids = {0};
  REQUIRE_THROWS_WITH(icl::geometry::separability_alignment(H, labels, D, tokens),
                      Contains("label_token_ids has 1 entries but the labels hold 2 classes"));
  tokens.label_token_ids = {0, 2};
  REQUIRE_THROWS_WITH(icl::geometry::separability_alignment(H, labels, D, tokens),
                      Contains("label_token_ids[1] = 2 is out of range for an unembedding of 2 rows"));
}

TEST_CASE("separability_alignment rejects bad options and non-finite input", "[geometry][errors]") {
  const auto H = icl::make_matrix_view(h.data(), 6, 4);
  const auto D = icl::make_matrix_view(dirs.data(), 2, 4);
  auto p = no_probe();
  p.final_norm = icl::rms_norm_params{{1, 1, 1}, 1e-5};
  REQUIRE_THROWS_WITH(icl::geometry::separability_alignment(H, labels, D, p),
                      Contains("icl::geometry::separability_alignment: final_norm.gamma has 3 values but the vectors have d = 4"));
  p.final_norm = icl::rms_norm_params{{1, std::nan(""), 1, 1}, 1e-5};
  REQUIRE_THROWS_WITH(icl::geometry::separability_alignment(H, labels, D, p), Contains("final_norm.gamma[1] is nan"));
  p = no_probe();
  p.denoise_rank = 0;
  REQUIRE_THROWS_WITH(icl::geometry::separability_alignment(H, labels, D, p),
                      Contains("icl::geometry::separability_alignment: denoise_rank r = 0 must be >= 1"));
  p.denoise_rank = 5;
  REQUIRE_THROWS_AS(icl::geometry::separability_alignment(H, labels, D, p), icl::invalid_argument);
  REQUIRE_THROWS_WITH(icl::geometry::separability_alignment(H, labels, D, p),
                      Contains("denoise_rank r = 5 must be in [1, min(n, d)] = [1, 4]"));
  REQUIRE_THROWS_WITH(icl::geometry::denoised_output_alignment(H, labels, D, 7, no_probe()),
                      Contains("denoise_rank r = 7 must be in [1, min(n, d)] = [1, 4]"));

  std::vector<double> bad = h;
  bad[9] = std::numeric_limits<double>::quiet_NaN();
  REQUIRE_THROWS_WITH(icl::geometry::separability_alignment(icl::make_matrix_view(bad.data(), 6, 4), labels, D, no_probe()),
                      Contains("icl::geometry::separability_alignment: H (2, 1) is nan"));
  std::vector<float> bad_dirs(dirs.begin(), dirs.end());
  bad_dirs[6] = std::numeric_limits<float>::infinity();
  REQUIRE_THROWS_WITH(
      icl::geometry::separability_alignment(H, labels, icl::make_matrix_view(bad_dirs.data(), 2, 4), no_probe()),
      Contains("label_directions (1, 2) is inf"));
}

TEST_CASE("separability_alignment rejects undefined ratios", "[geometry][errors]") {
  const auto D = icl::make_matrix_view(dirs.data(), 2, 4);
  // Every row equal: total variance 0.
  const std::vector<double> flat(6 * 4, 0.5);
  REQUIRE_THROWS_AS(icl::geometry::separability_alignment(icl::make_matrix_view(flat.data(), 6, 4), labels, D, no_probe()),
                    icl::invalid_argument);
  REQUIRE_THROWS_WITH(
      icl::geometry::separability_alignment(icl::make_matrix_view(flat.data(), 6, 4), labels, D, no_probe()),
      Contains("icl::geometry::separability_alignment: label pair (1, 2) with 6 rows: the centered states are all zero "
               "(total variance 0: variance_alignment, singular_alignment and effective_dimension undefined)"));
  // e = (1, -1, 0, 0)/√2; h·e is constant within each class while the states vary: the pooled
  // variance of h·e is 0.
  const std::vector<double> flat_e = {1, 0, 0, 0, 2, 1, 1, 0, 3, 2, 0, 1, 0, 1, 5, 0, 1, 2, 0, 3, 2, 3, 1, 1};
  REQUIRE_THROWS_WITH(
      icl::geometry::separability_alignment(icl::make_matrix_view(flat_e.data(), 6, 4), labels, D, no_probe()),
      Contains("icl::geometry::separability_alignment: label pair (1, 2) with 6 rows: the pooled within-class variance "
               "of h.e is 0 (mean_alignment undefined)"));
  REQUIRE_THROWS_WITH(icl::geometry::effective_dimension(icl::make_matrix_view(flat.data(), 6, 4)),
                      Contains("icl::geometry::effective_dimension: H has zero variance"));
}

TEST_CASE("effective_dimension and directional_separability reject bad input", "[geometry][errors]") {
  const auto H = icl::make_matrix_view(h.data(), 6, 4);
  REQUIRE_THROWS_WITH(icl::geometry::effective_dimension(icl::make_matrix_view(h.data(), 1, 4)),
                      Contains("icl::geometry::effective_dimension: need n >= 2 rows and d >= 1 columns, got 1 x 4"));
  std::vector<float> bad(h.begin(), h.end());
  bad[3] = -std::numeric_limits<float>::infinity();
  REQUIRE_THROWS_WITH(icl::geometry::effective_dimension(icl::make_matrix_view(bad.data(), 6, 4)),
                      Contains("icl::geometry::effective_dimension: H (0, 3) is -inf"));
  REQUIRE_THROWS_WITH(icl::geometry::directional_separability(H, {1, 1, 2, 2, 3, 3}, {1, 0, 0, 0}),
                      Contains("icl::geometry::directional_separability: labels hold 3 classes, need exactly 2"));
  REQUIRE_THROWS_WITH(icl::geometry::directional_separability(H, labels, {1, 0}),
                      Contains("icl::geometry::directional_separability: u has 2 entries but H has d = 4"));
  REQUIRE_THROWS_WITH(icl::geometry::directional_separability(H, {1, 2}, {1, 0, 0, 0}),
                      Contains("labels has 2 entries but H has 6 rows"));
}

TEST_CASE("linear_cka rejects bad input", "[geometry][errors]") {
  const auto X = icl::make_matrix_view(h.data(), 6, 4);
  const auto Y5 = icl::make_matrix_view(h.data(), 5, 4);
  REQUIRE_THROWS_AS(icl::geometry::linear_cka(X, Y5), icl::invalid_argument);
  REQUIRE_THROWS_WITH(icl::geometry::linear_cka(X, Y5), Contains("icl::geometry::linear_cka: X has 6 rows but Y has 5"));
  const auto X3 = icl::make_matrix_view(h.data(), 3, 4);
  REQUIRE_NOTHROW(icl::geometry::linear_cka(X3, X3));
  REQUIRE_THROWS_WITH(icl::geometry::linear_cka(X3, X3, true),
                      Contains("icl::geometry::linear_cka: debiased CKA needs n > 3 rows, got n = 3"));
  const std::vector<double> flat(6 * 4, 2.0);
  REQUIRE_THROWS_WITH(icl::geometry::linear_cka(X, icl::make_matrix_view(flat.data(), 6, 4)),
                      Contains("icl::geometry::linear_cka: Y has zero variance (every row equal): linear CKA is undefined"));
  REQUIRE_THROWS_WITH(icl::geometry::linear_cka(icl::make_matrix_view(flat.data(), 6, 4), X, true),
                      Contains("icl::geometry::linear_cka: the unbiased HSIC estimate of X with itself is"));
  std::vector<double> bad = h;
  bad[5] = std::nan("");
  REQUIRE_THROWS_WITH(icl::geometry::linear_cka(X, icl::make_matrix_view(bad.data(), 6, 4)),
                      Contains("icl::geometry::linear_cka: Y (1, 1) is nan"));
  const auto T2 = icl::make_tensor_view<double, 3>(h.data(), {2, 3, 4});
  const auto T1 = icl::make_tensor_view<double, 3>(h.data(), {1, 3, 4});
  REQUIRE_THROWS_WITH(icl::geometry::cka_curve(T2, T1), Contains("icl::geometry::cka_curve: X has 2 layers but Y has 1"));
  REQUIRE_THROWS_WITH(icl::geometry::cka_matrix(T2, true), Contains("icl::geometry::cka_matrix: debiased CKA needs n > 3"));
  const auto T6 = icl::make_tensor_view<double, 3>(h.data(), {1, 6, 4});
  REQUIRE_THROWS_WITH(icl::geometry::cka_matrix(T6, T2), Contains("icl::geometry::cka_matrix: X has 6 rows per layer but Y has 3"));
}
