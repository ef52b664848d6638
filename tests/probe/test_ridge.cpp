// Ridge probe against scikit-learn Ridge(alpha) (tests/data/probe_ridge.txt).
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "icl/probe/ridge.hpp"
#include "support/fixture.hpp"
#include "support/views.hpp"

TEMPLATE_TEST_CASE("fit_ridge matches scikit-learn", "[probe][ridge]", float, double) {
  const icl_test::fixture_file f("probe_ridge.txt");
  for (const char* data : {"wide", "tall"}) {
    const std::string s = data;
    const auto& shape = f.shape("X_" + s);
    const std::size_t n = shape[0], d = shape[1];
    const auto& y = f.values("y_" + s);
    const auto xnew = icl_test::row_major<TestType>(f.values("Xnew_" + s), f.shape("Xnew_" + s)[0], d);
    for (int j = 0; j < 2; ++j) {
      const std::string c = s + "_" + std::to_string(j);
      icl::probe::ridge_params p;
      p.alpha = f.scalar("alpha_" + c);
      for (const auto& X : icl_test::all_layouts<TestType>(f.values("X_" + s), n, d)) {
        for (const auto solver : {icl::probe::ridge_solver::automatic, icl::probe::ridge_solver::primal,
                                  icl::probe::ridge_solver::dual}) {
          INFO(c << " solver " << static_cast<int>(solver));
          p.solver = solver;
          const auto m = icl::probe::fit_ridge(X.view, y, p);
          const bool dual = solver == icl::probe::ridge_solver::dual ||
                            (solver == icl::probe::ridge_solver::automatic && n <= d);
          REQUIRE(m.report.method == (dual ? icl::probe::fit_method::ridge_dual : icl::probe::fit_method::ridge_primal));
          REQUIRE(m.n_outputs == 1);
          REQUIRE(m.classes.empty());
          double scale = 0.0;
          for (double v : f.values("coef_" + c)) scale = std::max(scale, std::abs(v));
          icl_test::require_close<TestType>(m.coef, f.values("coef_" + c), scale);
          icl_test::require_close<TestType>(m.intercept, {f.scalar("intercept_" + c)});
          const auto pred = icl::probe::predict_value(m, xnew.view);
          icl_test::require_close<TestType>(pred, f.values("pred_" + c));
          const auto& ynew = f.values("ynew_" + s);
          REQUIRE(icl::probe::r2_score(ynew, pred) == Approx(f.scalar("r2_" + c)).epsilon(icl_test::tolerance<TestType>()));
          REQUIRE(icl::probe::score_r2(m, xnew.view, ynew) == Approx(f.scalar("r2_" + c)).epsilon(icl_test::tolerance<TestType>()));
          REQUIRE(icl::probe::score_pearson(m, xnew.view, ynew) ==
                  Approx(f.scalar("pearson_" + c)).epsilon(icl_test::tolerance<TestType>()));
        }
      }
    }
  }
}

TEMPLATE_TEST_CASE("fit_ridge without intercept matches scikit-learn", "[probe][ridge]", float, double) {
  const icl_test::fixture_file f("probe_ridge.txt");
  for (const char* data : {"wide", "tall"}) {
    const std::string s = data;
    const std::size_t n = f.shape("X_" + s)[0], d = f.shape("X_" + s)[1];
    const auto& expected = f.values("coef_" + s + "_nointercept");
    double scale = 0.0;
    for (double v : expected) scale = std::max(scale, std::abs(v));
    for (const auto& X : icl_test::all_layouts<TestType>(f.values("X_" + s), n, d)) {
      for (const auto solver : {icl::probe::ridge_solver::primal, icl::probe::ridge_solver::dual}) {
        INFO(s << " solver " << static_cast<int>(solver));
        icl::probe::ridge_params p;
        p.fit_intercept = false;
        p.solver = solver;
        const auto m = icl::probe::fit_ridge(X.view, f.values("y_" + s), p);
        icl_test::require_close<TestType>(m.coef, expected, scale);
        REQUIRE(m.intercept == std::vector<double>{0.0});
      }
    }
  }
}

TEST_CASE("r2_score and pearson_r", "[probe][ridge]") {
  const std::vector<double> a = {1.0, 2.0, 3.0, 4.0}, b = {2.0, 4.0, 6.0, 8.0};
  REQUIRE(icl::probe::pearson_r(a, b) == Approx(1.0).epsilon(1e-15));
  REQUIRE(icl::probe::r2_score(a, a) == 1.0);
  // 1 − Σ(a−b)² / Σ(a−ā)² = 1 − 30/5 = −5
  REQUIRE(icl::probe::r2_score(a, b) == Approx(-5.0).epsilon(1e-15));
  REQUIRE_THROWS_AS(icl::probe::r2_score({1.0, 1.0, 1.0}, {1.0, 2.0, 3.0}), icl::invalid_argument);
  REQUIRE_THROWS_WITH(icl::probe::r2_score({1.0, 1.0, 1.0}, {1.0, 2.0, 3.0}),
                      Catch::Contains("icl::probe::r2_score: y_true is constant (R² undefined)"));
  REQUIRE_THROWS_WITH(icl::probe::r2_score({1.0, 2.0}, {1.0}),
                      Catch::Contains("icl::probe::r2_score: y_true has 2 values but y_pred has 1"));
  REQUIRE_THROWS_WITH(icl::probe::pearson_r({1.0, 2.0, 3.0}, {5.0, 5.0, 5.0}),
                      Catch::Contains("icl::probe::pearson_r: an input is constant (r undefined)"));
  REQUIRE_THROWS_WITH(icl::probe::pearson_r({1.0}, {2.0}), Catch::Contains("need at least 2 values, got 1"));
}

TEST_CASE("fit_ridge rejects bad input", "[probe][ridge][errors]") {
  const std::vector<double> x = {0.0, 1.0, 1.0, 0.0, 2.0, 1.0, 0.5, 0.3};
  const auto X = icl::make_matrix_view(x.data(), 4, 2);
  const std::vector<double> y = {0.1, 1.0, 2.0, 0.3};
  icl::probe::ridge_params p;
  p.alpha = 0.0;
  REQUIRE_THROWS_AS(icl::probe::fit_ridge(X, y, p), icl::invalid_argument);
  REQUIRE_THROWS_WITH(icl::probe::fit_ridge(X, y, p), Catch::Contains("icl::probe::fit_ridge: alpha = 0 must be finite and > 0"));
  p.alpha = -1.0;
  REQUIRE_THROWS_WITH(icl::probe::fit_ridge(X, y, p), Catch::Contains("alpha = -1 must be finite and > 0"));
  p.alpha = 1.0;
  REQUIRE_THROWS_WITH(icl::probe::fit_ridge(X, std::vector<double>{1.0, 2.0}, p),
                      Catch::Contains("icl::probe::fit_ridge: y has 2 entries but X has 4 rows"));
  std::vector<double> ybad = y;
  ybad[2] = std::numeric_limits<double>::infinity();
  REQUIRE_THROWS_WITH(icl::probe::fit_ridge(X, ybad, p), Catch::Contains("icl::probe::fit_ridge: y[2] is inf (NaN/Inf not allowed)"));
  std::vector<double> xbad = x;
  xbad[3] = std::numeric_limits<double>::quiet_NaN();
  REQUIRE_THROWS_WITH(icl::probe::fit_ridge(icl::make_matrix_view(xbad.data(), 4, 2), y, p),
                      Catch::Contains("icl::probe::fit_ridge: X (1, 1) is nan"));
  REQUIRE_THROWS_WITH(icl::probe::fit_ridge(icl::make_matrix_view(x.data(), 4, 0), y, p),
                      Catch::Contains("icl::probe::fit_ridge: X is empty (4 x 0)"));
  const auto m = icl::probe::fit_ridge(X, y, p);
  REQUIRE_THROWS_WITH(icl::probe::predict_value(m, icl::make_matrix_view(x.data(), 2, 4)),
                      Catch::Contains("icl::probe::predict_value: X has 4 columns but the model has 2 features"));
  REQUIRE_THROWS_WITH(icl::probe::predict_class(m, X), Catch::Contains("icl::probe::predict_class: the model has 0 classes"));
  REQUIRE_THROWS_WITH(icl::probe::score_r2(m, X, std::vector<double>{1.0}),
                      Catch::Contains("icl::probe::score_r2: y has 1 entries but X has 4 rows"));
}
