// The public entry points of shared API.md, called exactly as written there through the umbrella
// header, with their documented return types. A change that breaks the stable API fails to
// compile here; the values are checked by the module tests against reference fixtures.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>
#include <vector>

#include <icl/icl.hpp>

namespace {

/// n points in d dimensions, two well separated classes (even rows class 0, odd rows class 1).
std::vector<float> two_clusters(std::size_t n, std::size_t d) {
  std::vector<float> x(n * d);
  icl::counter_rng rng(7);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < d; ++j) {
      const double noise = rng.uniform01() - 0.5;
      x[i * d + j] = static_cast<float>(noise + (j == 0 ? (i % 2 == 0 ? -3.0 : 3.0) : 0.0));
    }
  }
  return x;
}

}  // namespace

TEST_CASE("API.md: views", "[api]") {
  const std::vector<float> x = two_clusters(4, 3);
  const icl::matrix_view<const float> a = icl::make_matrix_view(x.data(), 4, 3);
  const icl::matrix_view<const float> b = icl::make_matrix_view(x.data(), 4, 3, 3, 1);
  const icl::tensor_view<const float, 3> t = icl::make_tensor_view<float, 3>(x.data(), {1, 4, 3});
  REQUIRE(a.rows() == 4);
  REQUIRE(a.cols() == 3);
  REQUIRE(a.row_stride() == b.row_stride());
  REQUIRE(a.col_stride() == 1);
  REQUIRE(a.data() == t.data());
  REQUIRE(a(3, 2) == t(0, 3, 2));
  REQUIRE(t.extent(1) == 4);
  REQUIRE(t.stride(0) == 12);
}

TEST_CASE("API.md: probes", "[api][probe]") {
  const std::size_t n = 40, d = 6;
  const std::vector<float> x = two_clusters(n, d);
  const auto X = icl::make_matrix_view(x.data(), n, d);
  std::vector<int> y(n);
  std::vector<double> target(n);
  for (std::size_t i = 0; i < n; ++i) {
    y[i] = static_cast<int>(i % 2);
    target[i] = static_cast<double>(x[i * d]);
  }

  icl::probe::logistic_params lp;
  static_assert(std::is_same_v<decltype(lp.C), double> && std::is_same_v<decltype(lp.max_iter), std::size_t> &&
                std::is_same_v<decltype(lp.tol), double>);
  REQUIRE(lp.C == 1.0);
  REQUIRE(lp.max_iter == 100);
  REQUIRE(lp.tol == 1e-6);
  icl::probe::ridge_params rp;
  REQUIRE(rp.alpha == 1.0);
  icl::probe::cv_params cv;
  REQUIRE(cv.folds == 5);
  REQUIRE(cv.seed == 0);
  REQUIRE(cv.stratified);

  const icl::probe::cv_result logistic_cv = icl::probe::cross_validate_logistic(X, y, lp, cv);
  const icl::probe::cv_result ridge_cv = icl::probe::cross_validate_ridge(X, target, rp, cv);
  static_assert(std::is_same_v<decltype(icl::probe::cv_result::fold_scores), std::vector<double>>);
  REQUIRE(logistic_cv.fold_scores.size() == 5);
  REQUIRE(logistic_cv.mean == 1.0);
  REQUIRE(logistic_cv.std == 0.0);
  REQUIRE(ridge_cv.mean > 0.9);

  const icl::probe::linear_model logistic = icl::probe::fit_logistic(X, y, lp);
  REQUIRE(logistic.n_outputs == 1);
  REQUIRE(logistic.n_features == d);
  REQUIRE(logistic.coef.size() == d);
  REQUIRE(logistic.intercept.size() == 1);
  const icl::probe::linear_model ridge = icl::probe::fit_ridge(X, target, rp);
  REQUIRE(ridge.n_outputs == 1);
  const std::vector<int> predicted = icl::probe::predict_class(logistic, X);
  REQUIRE(predicted == y);
}

TEST_CASE("API.md: task decodability", "[api][decode]") {
  const std::size_t n = 30, d = 4;
  const std::vector<float> x = two_clusters(n, d);
  std::vector<int> labels(n);
  for (std::size_t i = 0; i < n; ++i) labels[i] = static_cast<int>(i % 2);
  const icl::decode::decodability_result r = icl::decode::task_decodability(icl::make_matrix_view(x.data(), n, d), labels);
  static_assert(std::is_same_v<decltype(icl::decode::decodability_result::overall), double>);
  REQUIRE(r.overall == 1.0);
  REQUIRE(r.per_class == std::vector<double>{1.0, 1.0});
  const auto k3 = icl::decode::task_decodability(icl::make_matrix_view(x.data(), n, d), labels, 3);
  REQUIRE(k3.overall == 1.0);
}

TEST_CASE("API.md: geometry", "[api][geometry]") {
  const std::size_t n = 24, d = 5;
  const std::vector<float> x = two_clusters(n, d);
  const auto H = icl::make_matrix_view(x.data(), n, d);
  const double dim = icl::geometry::effective_dimension(H);
  REQUIRE(dim >= 1.0);
  REQUIRE(dim <= static_cast<double>(d));
  const double cka = icl::geometry::linear_cka(H, H);
  REQUIRE(cka == Approx(1.0).epsilon(1e-6));
  REQUIRE(icl::geometry::linear_cka(H, H, true) == Approx(1.0).epsilon(1e-6));

  std::vector<int> labels(n);
  for (std::size_t i = 0; i < n; ++i) labels[i] = static_cast<int>(i % 2);
  // Label directions: the unembedding rows of the two label tokens, along the class axis.
  std::vector<double> directions(2 * d, 0.0);
  directions[0] = -1.0;
  directions[d] = 1.0;
  icl::geometry::separability_alignment_params params;
  params.denoise_rank = 2;  // d = 5: below the default rank 10
  const auto result =
      icl::geometry::separability_alignment(H, labels, icl::make_matrix_view(directions.data(), 2, d), params);
  REQUIRE(result.separability == 1.0);
  REQUIRE(result.output_alignment == 1.0);
  REQUIRE(result.singular_alignment == Approx(1.0).epsilon(1e-3));
}

TEST_CASE("API.md: RSA", "[api][rsa]") {
  const std::vector<float> x = two_clusters(6, 3);
  const icl::rsa::rdm r = icl::rsa::compute_rdm(icl::make_matrix_view(x.data(), 6, 3), icl::rsa::dissimilarity::euclidean);
  REQUIRE(r.n() == 6);
  const icl::rsa::rdm hypothesis = icl::rsa::categorical_rdm({0, 1, 0, 1, 0, 1});
  REQUIRE(icl::rsa::compare(r, hypothesis, icl::rsa::comparison::spearman) > 0.5);
  const icl::rsa::permutation_result p =
      icl::rsa::permutation_test(r, hypothesis, icl::rsa::comparison::spearman, 99, std::uint64_t{1});
  REQUIRE(p.permutations == 99);
  REQUIRE(icl::rsa::parameter_rdm({1.0, 2.0, 4.0})(0, 2) == 3.0);
  REQUIRE(icl::rsa::rdm_from_condensed({1.0, 2.0, 3.0}).n() == 3);
}

TEST_CASE("API.md: attention", "[api][attention]") {
  // One prompt, 1 layer x 2 heads, T = 3: causal rows. Head 0 attends to the previous token,
  // head 1 to the first token.
  const std::vector<double> a = {1, 0, 0, 1, 0, 0, 0, 1, 0,     // layer 0, head 0
                                 1, 0, 0, 1, 0, 0, 1, 0, 0};    // layer 0, head 1
  const icl::tensor_view<const double, 4> A = icl::make_tensor_view<double, 4>(a.data(), {1, 2, 3, 3});
  const icl::attention::head_map ratio = icl::attention::attention_ratio(A, {2}, {1}, {0});
  static_assert(std::is_same_v<decltype(icl::attention::head_map::values), std::vector<double>>);
  REQUIRE(ratio.layers == 1);
  REQUIRE(ratio.heads == 2);
  REQUIRE(ratio(0, 1) == 0.0);  // all of position 2's attention goes to the irrelevant key 0
  REQUIRE(std::isinf(ratio(0, 0)));  // nothing on the irrelevant key: +inf (flagged)
  REQUIRE(icl::attention::attention_ratio(A, {2}, {1}, {0}, false)(0, 1) == 0.0);
  const icl::attention::head_map pth = icl::attention::previous_token_score(A);
  REQUIRE(pth(0, 0) == 2.0);
  REQUIRE(pth(0, 1) == 1.0);
  const icl::attention::head_map ih = icl::attention::induction_score(A, {1});
  REQUIRE(ih(0, 0) == 1.0);
  const std::vector<std::pair<std::size_t, std::size_t>> top = icl::attention::top_heads(pth, 0.5);
  REQUIRE(top == std::vector<std::pair<std::size_t, std::size_t>>{{0, 0}});
}
