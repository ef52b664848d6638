// icl-test: also-without-blas
// compute_rdm and its variants against scipy / rsatoolbox references (tests/data/rsa_rdm.txt).
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>

#include "icl/rsa/rdm.hpp"
#include "support/fixture.hpp"
#include "support/views.hpp"

using icl::rsa::dissimilarity;

namespace {

const dissimilarity all_dissimilarities[] = {dissimilarity::euclidean, dissimilarity::sqeuclidean,
                                             dissimilarity::sqeuclidean_per_feature, dissimilarity::correlation,
                                             dissimilarity::cosine};

}  // namespace

TEMPLATE_TEST_CASE("compute_rdm matches scipy pdist and rsatoolbox", "[rsa][rdm]", float, double) {
  const icl_test::fixture_file f("rsa_rdm.txt");
  for (const auto& [prefix, name] : {std::pair<std::string, std::string>{"rdm_", "X"}, {"big_rdm_", "X_big"}}) {
    const auto& shape = f.shape(name);
    for (const auto& X : icl_test::all_layouts<TestType>(f.values(name), shape[0], shape[1])) {
      for (dissimilarity d : all_dissimilarities) {
        INFO(name << " " << icl::rsa::to_string(d) << " row_stride " << X.view.row_stride());
        const auto expected = f.values(prefix + icl::rsa::to_string(d));
        // Default blocks (one block) and small blocks (several SYRK/GEMM tiles, ragged edge).
        for (std::size_t block_rows : {std::size_t{0}, std::size_t{5}}) {
          icl::rsa::rdm_params params;
          params.block_rows = block_rows;
          const auto r = icl::rsa::compute_rdm(X.view, d, params);
          REQUIRE(r.n() == shape[0]);
          icl_test::require_close<TestType>(r.condensed(), expected);
        }
      }
    }
  }
}

TEMPLATE_TEST_CASE("compute_rdm_mahalanobis matches rsatoolbox", "[rsa][rdm]", float, double) {
  const icl_test::fixture_file f("rsa_rdm.txt");
  const auto& shape = f.shape("X");
  const auto P = icl_test::row_major<double>(f.values("P"), shape[1], shape[1]);
  for (const auto& X : icl_test::all_layouts<TestType>(f.values("X"), shape[0], shape[1])) {
    const auto r = icl::rsa::compute_rdm_mahalanobis(X.view, P.view);
    icl_test::require_close<TestType>(r.condensed(), f.values("rdm_mahalanobis"));
  }
}

TEMPLATE_TEST_CASE("compute_rdm_crossnobis matches rsatoolbox", "[rsa][rdm]", float, double) {
  const icl_test::fixture_file f("rsa_rdm.txt");
  const auto& shape = f.shape("cn_X");
  const auto P = icl_test::column_major_padded<float>(f.values("cn_P"), shape[1], shape[1]);
  const auto conditions = f.ints("cn_conditions");
  const auto folds = f.ints("cn_folds");
  for (const auto& X : icl_test::all_layouts<TestType>(f.values("cn_X"), shape[0], shape[1])) {
    const auto r = icl::rsa::compute_rdm_crossnobis(X.view, conditions, folds, P.view);
    REQUIRE(r.n() == 6);
    // P is given in float here, so the reference agreement is that of float inputs.
    icl_test::require_close<float>(r.condensed(), f.values("rdm_crossnobis"));
  }
  // With the identity precision, crossnobis is the unbiased (cross-validated) squared distance / d.
  std::vector<double> identity(shape[1] * shape[1], 0.0);
  for (std::size_t i = 0; i < shape[1]; ++i) identity[i * shape[1] + i] = 1.0;
  const auto X = icl_test::row_major<TestType>(f.values("cn_X"), shape[0], shape[1]);
  const auto with_identity =
      icl::rsa::compute_rdm_crossnobis(X.view, conditions, folds, icl::make_matrix_view(identity.data(), 5, 5));
  const auto without = icl::rsa::compute_rdm_crossnobis(X.view, conditions, folds);
  icl_test::require_close<double>(without.condensed(), with_identity.condensed());
}

TEMPLATE_TEST_CASE("compute_rdm properties", "[rsa][rdm]", float, double, icl::f16, icl::bf16) {
  const icl_test::fixture_file f("rsa_rdm.txt");
  const auto& shape = f.shape("X_big");
  const std::size_t n = shape[0], d = shape[1];
  const auto X = icl_test::row_major<TestType>(f.values("X_big"), n, d);
  for (dissimilarity m : all_dissimilarities) {
    const auto r = icl::rsa::compute_rdm(X.view, m);
    for (std::size_t i = 0; i < n; ++i) {
      REQUIRE(r(i, i) == 0.0);
      for (std::size_t j = 0; j < n; ++j) REQUIRE(r(i, j) == r(j, i));
    }
    for (double v : r.condensed()) REQUIRE(v >= 0.0);
  }
}

TEMPLATE_TEST_CASE("half inputs agree with float within their precision", "[rsa][rdm]", icl::f16, icl::bf16) {
  const icl_test::fixture_file f("rsa_rdm.txt");
  const auto& shape = f.shape("X_big");
  const auto X = icl_test::column_major_padded<TestType>(f.values("X_big"), shape[0], shape[1]);
  const double eps = std::is_same_v<TestType, icl::f16> ? 1e-2 : 6e-2;  // 2^-10 and 2^-7 mantissas, summed over d
  for (dissimilarity m : {dissimilarity::euclidean, dissimilarity::correlation}) {
    const auto r = icl::rsa::compute_rdm(X.view, m);
    const auto expected = f.values(std::string("big_rdm_") + icl::rsa::to_string(m));
    for (std::size_t k = 0; k < expected.size(); ++k) REQUIRE(r.condensed()[k] == Approx(expected[k]).epsilon(eps));
  }
}

TEMPLATE_TEST_CASE("correlation distance is invariant to row scaling and shifts", "[rsa][rdm]", float, double) {
  const icl_test::fixture_file f("rsa_rdm.txt");
  const auto& shape = f.shape("X");
  const std::size_t n = shape[0], d = shape[1];
  std::vector<double> moved = f.values("X");
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < d; ++j) moved[i * d + j] = moved[i * d + j] * (0.5 + static_cast<double>(i)) + 3.0 * static_cast<double>(i);
  }
  const auto a = icl::rsa::compute_rdm(icl_test::row_major<TestType>(f.values("X"), n, d).view, dissimilarity::correlation);
  const auto b = icl::rsa::compute_rdm(icl_test::row_major<TestType>(moved, n, d).view, dissimilarity::correlation);
  icl_test::require_close<TestType>(b.condensed(), a.condensed());
}

TEST_CASE("compute_rdm rejects bad input", "[rsa][rdm][errors]") {
  std::vector<double> x = {1, 2, 3, 4, 5, 6};
  using Catch::Contains;
  REQUIRE_THROWS_AS(icl::rsa::compute_rdm(icl::make_matrix_view(x.data(), 1, 6), dissimilarity::euclidean),
                    icl::invalid_argument);
  REQUIRE_THROWS_WITH(icl::rsa::compute_rdm(icl::make_matrix_view(x.data(), 1, 6), dissimilarity::euclidean),
                      Contains("icl::rsa::compute_rdm") && Contains("n >= 2"));
  REQUIRE_THROWS_WITH(icl::rsa::compute_rdm(icl::make_matrix_view(x.data(), 6, 0), dissimilarity::euclidean),
                      Contains("d >= 1"));
  const double* null_data = nullptr;
  REQUIRE_THROWS_WITH(icl::rsa::compute_rdm(icl::make_matrix_view(null_data, 3, 2), dissimilarity::euclidean),
                      Contains("null data pointer"));

  std::vector<double> with_nan = {1, 2, 3, 4, std::numeric_limits<double>::quiet_NaN(), 6};
  REQUIRE_THROWS_WITH(icl::rsa::compute_rdm(icl::make_matrix_view(with_nan.data(), 3, 2), dissimilarity::cosine),
                      Contains("icl::rsa::compute_rdm: row 2 column 0"));
  icl::rsa::rdm_params propagate;
  propagate.nan = icl::nan_policy::propagate;
  const auto r = icl::rsa::compute_rdm(icl::make_matrix_view(with_nan.data(), 3, 2), dissimilarity::euclidean, propagate);
  REQUIRE(std::isfinite(r(0, 1)));
  REQUIRE(std::isnan(r(0, 2)));
  REQUIRE(std::isnan(r(1, 2)));

  std::vector<double> constant_row = {1, 2, 3, 5, 5, 5, 0, 1, 0};
  REQUIRE_THROWS_WITH(icl::rsa::compute_rdm(icl::make_matrix_view(constant_row.data(), 3, 3), dissimilarity::correlation),
                      Contains("icl::rsa::compute_rdm: row 1 has zero variance"));
  const auto c = icl::rsa::compute_rdm(icl::make_matrix_view(constant_row.data(), 3, 3), dissimilarity::correlation, propagate);
  REQUIRE(std::isnan(c(0, 1)));
  REQUIRE(std::isfinite(c(0, 2)));
  std::vector<double> zero_row = {1, 2, 3, 0, 0, 0, 0, 1, 0};
  REQUIRE_THROWS_WITH(icl::rsa::compute_rdm(icl::make_matrix_view(zero_row.data(), 3, 3), dissimilarity::cosine),
                      Contains("row 1 is all zeros"));

  std::vector<double> p = {1, 0.5, 0.4, 1};  // not symmetric
  REQUIRE_THROWS_WITH(icl::rsa::compute_rdm_mahalanobis(icl::make_matrix_view(x.data(), 3, 2), icl::make_matrix_view(p.data(), 2, 2)),
                      Contains("icl::rsa::compute_rdm_mahalanobis: precision is not symmetric"));
  std::vector<double> indefinite = {1, 2, 2, 1};
  REQUIRE_THROWS_WITH(icl::rsa::compute_rdm_mahalanobis(icl::make_matrix_view(x.data(), 3, 2), icl::make_matrix_view(indefinite.data(), 2, 2)),
                      Contains("not positive semi-definite"));
  REQUIRE_THROWS_WITH(icl::rsa::compute_rdm_mahalanobis(icl::make_matrix_view(x.data(), 3, 2), icl::make_matrix_view(p.data(), 1, 1)),
                      Contains("precision is 1 x 1, expected d x d = 2 x 2"));

  std::vector<double> m(8 * 2, 1.0);
  for (std::size_t k = 0; k < m.size(); ++k) m[k] = static_cast<double>(k % 5);
  const auto X = icl::make_matrix_view(m.data(), 8, 2);
  REQUIRE_THROWS_WITH(icl::rsa::compute_rdm_crossnobis(X, {0, 1, 0, 1}, {0, 0, 1, 1, 0, 0, 1, 1}),
                      Contains("conditions has 4 labels for 8 rows"));
  REQUIRE_THROWS_WITH(icl::rsa::compute_rdm_crossnobis(X, {0, 1, 0, 1, 0, 1, 0, 1}, {0, 0, 0, 0, 0, 0, 0, 0}),
                      Contains("need at least 2 folds"));
  REQUIRE_THROWS_WITH(icl::rsa::compute_rdm_crossnobis(X, {0, 1, 0, 1, 0, 0, 0, 0}, {0, 0, 1, 1, 2, 2, 2, 2}),
                      Contains("condition 1 has no measurement in fold 2"));
}

TEST_CASE("rdm_from_condensed infers n and rejects non-triangular lengths", "[rsa][rdm][errors]") {
  const auto r = icl::rsa::rdm_from_condensed({1, 2, 3, 4, 5, 6});
  REQUIRE(r.n() == 4);
  REQUIRE(r(3, 2) == 6);
  REQUIRE(r(1, 0) == 1);
  REQUIRE_THROWS_WITH(icl::rsa::rdm_from_condensed({1, 2, 3, 4}),
                      Catch::Contains("icl::rsa::rdm_from_condensed: length 4 is not a triangular number"));
  REQUIRE_THROWS_WITH(icl::rsa::rdm_from_condensed({}), Catch::Contains("length 0"));
  REQUIRE_THROWS_WITH(icl::rsa::rdm_from_condensed({1, std::nan(""), 3}), Catch::Contains("value 1 is nan"));
  REQUIRE_THROWS_WITH(r(4, 0), Catch::Contains("index (4, 0) out of range for n = 4"));
}
