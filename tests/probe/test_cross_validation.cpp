// Folds, splits and cross-validated probes (tests/data/probe_cv.txt: scikit-learn on the same folds).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "icl/probe/cross_validation.hpp"
#include "support/fixture.hpp"
#include "support/views.hpp"

namespace {

std::vector<std::size_t> to_size(const std::vector<int>& v) { return std::vector<std::size_t>(v.begin(), v.end()); }

std::vector<int> cycle_labels(std::size_t n, const std::vector<std::size_t>& per_class) {
  std::vector<int> y;
  for (std::size_t c = 0; c < per_class.size(); ++c)
    for (std::size_t j = 0; j < per_class[c]; ++j) y.push_back(static_cast<int>(10 * c) - 5);
  (void)n;
  // interleave deterministically so that classes are not contiguous
  std::vector<int> out(y.size());
  for (std::size_t i = 0; i < y.size(); ++i) out[(i * 5) % y.size()] = y[i];  // 5 is coprime with the sizes used
  return out;
}

}  // namespace

TEST_CASE("make_folds: stratified folds are balanced per class and overall", "[probe][cv]") {
  const std::vector<int> y = cycle_labels(0, {13, 7, 9});  // 29 rows
  icl::probe::cv_params cv;
  cv.folds = 5;
  cv.seed = 42;
  const auto folds = icl::probe::make_folds(y, cv);
  REQUIRE(folds.size() == y.size());
  std::vector<std::size_t> total(5, 0);
  for (int label : {-5, 5, 15}) {
    std::vector<std::size_t> per(5, 0);
    for (std::size_t i = 0; i < y.size(); ++i)
      if (y[i] == label) ++per[folds[i]];
    REQUIRE(*std::max_element(per.begin(), per.end()) - *std::min_element(per.begin(), per.end()) <= 1);
    for (std::size_t f = 0; f < 5; ++f) total[f] += per[f];
  }
  REQUIRE(*std::max_element(total.begin(), total.end()) - *std::min_element(total.begin(), total.end()) <= 1);
  // Deterministic in the seed; another seed gives other folds.
  REQUIRE(icl::probe::make_folds(y, cv) == folds);
  cv.seed = 43;
  REQUIRE(icl::probe::make_folds(y, cv) != folds);
  // Plain folds: sizes differ by at most one.
  const auto plain = icl::probe::make_folds(23, cv);
  std::vector<std::size_t> sizes(5, 0);
  for (auto f : plain) ++sizes[f];
  REQUIRE(*std::max_element(sizes.begin(), sizes.end()) - *std::min_element(sizes.begin(), sizes.end()) <= 1);
  cv.stratified = false;
  REQUIRE(icl::probe::make_folds(y, cv) == icl::probe::make_folds(y.size(), cv));
}

TEST_CASE("stratified_split: a seeded half per class", "[probe][cv]") {
  const std::vector<int> y = cycle_labels(0, {10, 7, 4});
  const auto s = icl::probe::stratified_split(y, 0.5, 3);
  REQUIRE(s.train.size() + s.test.size() == y.size());
  std::set<std::size_t> all(s.train.begin(), s.train.end());
  all.insert(s.test.begin(), s.test.end());
  REQUIRE(all.size() == y.size());
  REQUIRE(std::is_sorted(s.train.begin(), s.train.end()));
  std::size_t test_per[3] = {0, 0, 0};
  for (auto i : s.test) ++test_per[(y[i] + 5) / 10];
  REQUIRE(test_per[0] == 5);
  REQUIRE(test_per[1] == 4);  // round(3.5) = 4
  REQUIRE(test_per[2] == 2);
  REQUIRE(icl::probe::stratified_split(y, 0.5, 3).test == s.test);
  REQUIRE(icl::probe::stratified_split(y, 0.5, 4).test != s.test);

  REQUIRE_THROWS_AS(icl::probe::stratified_split(y, 1.0, 0), icl::invalid_argument);
  REQUIRE_THROWS_WITH(icl::probe::stratified_split(y, 0.0, 0),
                      Catch::Contains("icl::probe::stratified_split: test_fraction = 0 must be in (0, 1)"));
  REQUIRE_THROWS_WITH(icl::probe::stratified_split(std::vector<int>{1, 1, 2}, 0.5, 0),
                      Catch::Contains("icl::probe::stratified_split: class 2 has 1 member(s), need at least 2"));
}

TEMPLATE_TEST_CASE("cross_validate_logistic matches scikit-learn on explicit folds", "[probe][cv]", float, double) {
  const icl_test::fixture_file f("probe_cv.txt");
  for (const char* name : {"bin", "multi"}) {
    INFO(name);
    const std::string s = name;
    const auto& shape = f.shape("X_log_" + s);
    const auto folds = to_size(f.ints("folds_log_" + s));
    const auto y = f.ints("y_log_" + s);
    for (const auto& X : icl_test::all_layouts<TestType>(f.values("X_log_" + s), shape[0], shape[1])) {
      for (const auto solver : {icl::probe::logistic_solver::automatic, icl::probe::logistic_solver::primal,
                                icl::probe::logistic_solver::dual}) {
        icl::probe::logistic_params p;
        p.solver = solver;
        const auto r = icl::probe::cross_validate_logistic(X.view, y, p, folds);
        REQUIRE(r.fold_scores == f.values("scores_log_" + s));
        REQUIRE(r.mean == Approx(f.scalar("mean_log_" + s)).epsilon(1e-12));
        REQUIRE(r.std == Approx(f.scalar("std_log_" + s)).epsilon(1e-12).margin(1e-15));
        for (const auto& rep : r.fold_reports) REQUIRE(rep.converged);
      }
    }
  }
}

TEMPLATE_TEST_CASE("cross_validate_ridge matches scikit-learn on explicit folds", "[probe][cv]", float, double) {
  const icl_test::fixture_file f("probe_cv.txt");
  for (const char* name : {"wide", "tall"}) {
    INFO(name);
    const std::string s = name;
    const auto& shape = f.shape("X_ridge_" + s);
    const auto folds = to_size(f.ints("folds_ridge_" + s));
    const auto& y = f.values("y_ridge_" + s);
    for (const auto& X : icl_test::all_layouts<TestType>(f.values("X_ridge_" + s), shape[0], shape[1])) {
      for (const auto solver : {icl::probe::ridge_solver::automatic, icl::probe::ridge_solver::primal,
                                icl::probe::ridge_solver::dual}) {
        icl::probe::ridge_params p;
        p.alpha = 2.0;
        p.solver = solver;
        const auto r = icl::probe::cross_validate_ridge(X.view, y, p, folds);
        icl_test::require_close<TestType>(r.fold_scores, f.values("scores_ridge_" + s));
        REQUIRE(r.mean == Approx(f.scalar("mean_ridge_" + s)).epsilon(icl_test::tolerance<TestType>()));
        REQUIRE(r.std ==
                Approx(f.scalar("std_ridge_" + s)).epsilon(icl_test::tolerance<TestType>()).margin(icl_test::tolerance<TestType>()));
      }
    }
  }
}

TEST_CASE("cross-validation with generated folds and warm starts", "[probe][cv]") {
  const icl_test::fixture_file f("probe_cv.txt");
  const auto& shape = f.shape("X_log_multi");
  const auto X = icl_test::row_major<double>(f.values("X_log_multi"), shape[0], shape[1]);
  const auto y = f.ints("y_log_multi");
  icl::probe::cv_params cv;
  cv.seed = 7;
  const auto r = icl::probe::cross_validate_logistic(X.view, y, {}, cv);
  const auto folds = icl::probe::make_folds(y, cv);
  const auto same = icl::probe::cross_validate_logistic(X.view, y, {}, folds);
  REQUIRE(r.fold_scores == same.fold_scores);
  REQUIRE(r.fold_scores.size() == 5);
  REQUIRE(r.mean > 0.6);  // planted classes: far above chance (1/3)
  // Each fold equals a cold fit on the fold's rows: warm starts change the path, not the optimum.
  for (std::size_t fold = 0; fold < 5; ++fold) {
    std::vector<double> train_rows, test_rows;
    std::vector<int> ytr, yte;
    for (std::size_t i = 0; i < y.size(); ++i) {
      auto& rows = folds[i] == fold ? test_rows : train_rows;
      for (std::size_t j = 0; j < shape[1]; ++j) rows.push_back(X.view(i, j));
      (folds[i] == fold ? yte : ytr).push_back(y[i]);
    }
    const auto m = icl::probe::fit_logistic(icl::make_matrix_view(train_rows.data(), ytr.size(), shape[1]), ytr);
    const double acc = icl::probe::score_accuracy(m, icl::make_matrix_view(test_rows.data(), yte.size(), shape[1]), yte);
    REQUIRE(acc == r.fold_scores[fold]);
  }
}

TEST_CASE("cross-validation rejects bad input", "[probe][cv][errors]") {
  std::vector<double> x(12 * 3);
  for (std::size_t k = 0; k < x.size(); ++k) x[k] = std::sin(1.0 + static_cast<double>(k));
  const auto X = icl::make_matrix_view(x.data(), 12, 3);
  std::vector<int> y(12);
  for (std::size_t i = 0; i < 12; ++i) y[i] = static_cast<int>(i % 2);
  icl::probe::cv_params cv;
  cv.folds = 1;
  REQUIRE_THROWS_AS(icl::probe::cross_validate_logistic(X, y, {}, cv), icl::invalid_argument);
  REQUIRE_THROWS_WITH(icl::probe::cross_validate_logistic(X, y, {}, cv),
                      Catch::Contains("icl::probe::cross_validate_logistic: folds = 1 must be >= 2"));
  cv.folds = 13;
  cv.stratified = false;
  REQUIRE_THROWS_WITH(icl::probe::cross_validate_logistic(X, y, {}, cv), Catch::Contains("folds = 13 must be <= n = 12"));
  REQUIRE_THROWS_WITH(icl::probe::make_folds(12, cv), Catch::Contains("icl::probe::make_folds: folds = 13 must be <= n = 12"));
  cv.folds = 7;
  cv.stratified = true;
  REQUIRE_THROWS_WITH(icl::probe::cross_validate_logistic(X, y, {}, cv),
                      Catch::Contains("icl::probe::cross_validate_logistic: class 0 has 6 member(s), fewer than folds = 7"));
  REQUIRE_THROWS_WITH(icl::probe::make_folds(y, cv), Catch::Contains("icl::probe::make_folds: class 0 has 6 member(s)"));
  cv.folds = 3;
  REQUIRE_THROWS_WITH(icl::probe::cross_validate_logistic(X, std::vector<int>(12, 4), {}, cv),
                      Catch::Contains("labels hold 1 distinct class(es), need at least 2"));
  REQUIRE_THROWS_WITH(icl::probe::cross_validate_logistic(X, std::vector<int>(11, 0), {}, cv),
                      Catch::Contains("labels has 11 entries but X has 12 rows"));
  icl::probe::logistic_params bad_c;
  bad_c.C = -2.0;
  REQUIRE_THROWS_WITH(icl::probe::cross_validate_logistic(X, y, bad_c, cv), Catch::Contains("C = -2 must be finite and > 0"));
  std::vector<std::size_t> ids(12, 0);
  REQUIRE_THROWS_WITH(icl::probe::cross_validate_logistic(X, y, {}, ids),
                      Catch::Contains("fold_ids define 1 fold(s), need at least 2"));
  ids[0] = 2;
  REQUIRE_THROWS_WITH(icl::probe::cross_validate_logistic(X, y, {}, ids), Catch::Contains("fold 1 of 3 is empty"));
  REQUIRE_THROWS_WITH(icl::probe::cross_validate_logistic(X, y, {}, std::vector<std::size_t>(5, 0)),
                      Catch::Contains("fold_ids has 5 entries but X has 12 rows"));
  // A fold whose training rows hold one class.
  std::vector<std::size_t> one_class(12);
  for (std::size_t i = 0; i < 12; ++i) one_class[i] = y[i] == 0 ? 0 : 1;
  REQUIRE_THROWS_WITH(icl::probe::cross_validate_logistic(X, y, {}, one_class),
                      Catch::Contains("the training rows of fold 0 hold 1 class(es), need at least 2"));

  std::vector<double> t(12);
  for (std::size_t i = 0; i < 12; ++i) t[i] = static_cast<double>(i);
  icl::probe::ridge_params rp;
  rp.alpha = 0.0;
  REQUIRE_THROWS_WITH(icl::probe::cross_validate_ridge(X, t, rp, cv),
                      Catch::Contains("icl::probe::cross_validate_ridge: alpha = 0 must be finite and > 0"));
  t[3] = std::numeric_limits<double>::quiet_NaN();
  REQUIRE_THROWS_WITH(icl::probe::cross_validate_ridge(X, t, {}, cv),
                      Catch::Contains("icl::probe::cross_validate_ridge: y[3] is nan (NaN/Inf not allowed)"));
  std::vector<double> xbad = x;
  xbad[4] = std::numeric_limits<double>::infinity();
  REQUIRE_THROWS_WITH(icl::probe::cross_validate_logistic(icl::make_matrix_view(xbad.data(), 12, 3), y, {}, cv),
                      Catch::Contains("icl::probe::cross_validate_logistic: X (1, 1) is inf"));
  REQUIRE_THROWS_WITH(icl::probe::cross_validate_logistic(icl::make_matrix_view(x.data(), 0, 3), std::vector<int>{}, {}, cv),
                      Catch::Contains("icl::probe::cross_validate_logistic: X is empty (0 x 3)"));
}
