// icl-test: also-without-blas
// Logistic probe against scikit-learn LogisticRegression(C, lbfgs) (tests/data/probe_logistic.txt).
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "icl/probe/logistic.hpp"
#include "support/fixture.hpp"
#include "support/views.hpp"

namespace {

struct logistic_case {
  std::string data, name;
};

const logistic_case cases[] = {{"bin_wide", "bin_wide_0"},     {"bin_wide", "bin_wide_1"},
                               {"bin_tall", "bin_tall_0"},     {"bin_tall", "bin_tall_1"},
                               {"multi_wide", "multi_wide_0"}, {"multi_wide", "multi_wide_1"},
                               {"multi_tall", "multi_tall_0"}, {"multi_tall", "multi_tall_1"}};

// Coefficients within 1e-4 relative of the optimum (scaled by the largest coefficient).
void require_coef_close(const std::vector<double>& actual, const std::vector<double>& expected) {
  REQUIRE(actual.size() == expected.size());
  double scale = 0.0;
  for (double v : expected) scale = std::max(scale, std::abs(v));
  for (std::size_t k = 0; k < actual.size(); ++k) {
    INFO("index " << k);
    REQUIRE(actual[k] == Approx(expected[k]).epsilon(1e-4).margin(1e-4 * scale));
  }
}

}  // namespace

TEMPLATE_TEST_CASE("fit_logistic reaches scikit-learn's optimum", "[probe][logistic]", float, double) {
  const icl_test::fixture_file f("probe_logistic.txt");
  for (const auto& c : cases) {
    const auto& shape = f.shape("X_" + c.data);
    const std::size_t n = shape[0], d = shape[1];
    const std::vector<int> y = f.ints("y_" + c.data);
    icl::probe::logistic_params p;
    p.C = f.scalar("C_" + c.name);
    const auto xnew = icl_test::row_major<TestType>(f.values("Xnew_" + c.data), f.shape("Xnew_" + c.data)[0], d);
    for (const auto& X : icl_test::all_layouts<TestType>(f.values("X_" + c.data), n, d)) {
      for (const auto solver : {icl::probe::logistic_solver::automatic, icl::probe::logistic_solver::primal,
                                icl::probe::logistic_solver::dual}) {
        INFO(c.name << " solver " << static_cast<int>(solver));
        p.solver = solver;
        const auto m = icl::probe::fit_logistic(X.view, y, p);
        REQUIRE(m.report.converged);
        REQUIRE(m.report.gradient_norm <= p.tol * m.report.initial_gradient_norm);
        const bool dual = solver == icl::probe::logistic_solver::dual ||
                          (solver == icl::probe::logistic_solver::automatic && n <= d);
        REQUIRE(m.report.method ==
                (dual ? icl::probe::fit_method::logistic_dual : icl::probe::fit_method::logistic_primal));
        REQUIRE(m.n_features == d);
        REQUIRE(m.classes.size() == f.shape("intercept_" + c.name)[0] + (m.n_outputs == 1 ? 1 : 0));
        require_coef_close(m.coef, f.values("coef_" + c.name));
        require_coef_close(m.intercept, f.values("intercept_" + c.name));
        REQUIRE(m.report.objective ==
                Approx(f.scalar("objective_" + c.name)).epsilon(std::is_same_v<TestType, double> ? 1e-8 : 1e-5));
        REQUIRE(icl::probe::predict_class(m, xnew.view) == f.ints("pred_" + c.name));
        icl_test::require_close<float>(icl::probe::predict_proba(m, xnew.view), f.values("proba_" + c.name));
        REQUIRE(icl::probe::score_accuracy(m, X.view, y) == Approx(f.scalar("accuracy_" + c.name)).epsilon(1e-12));
      }
    }
  }
}

TEST_CASE("fit_logistic: classes, warm starts and the convergence report", "[probe][logistic]") {
  const icl_test::fixture_file f("probe_logistic.txt");
  const std::size_t n = f.shape("X_multi_wide")[0], d = f.shape("X_multi_wide")[1];
  const auto X = icl_test::row_major<double>(f.values("X_multi_wide"), n, d);
  const std::vector<int> y = f.ints("y_multi_wide");
  icl::probe::logistic_params p;
  const auto m = icl::probe::fit_logistic(X.view, y, p);
  REQUIRE(m.classes == std::vector<int>{2, 5, 7});
  REQUIRE(m.n_outputs == 3);
  REQUIRE(m.dual_coef.size() == 3 * n);
  double sum_b = 0.0;
  for (double b : m.intercept) sum_b += b;
  REQUIRE(std::abs(sum_b) < 1e-12);

  // Warm start from the solution: converged at once.
  icl::probe::logistic_params warm = p;
  warm.warm_start.dual = m.dual_coef;
  warm.warm_start.intercept = m.intercept;
  const auto m2 = icl::probe::fit_logistic(X.view, y, warm);
  REQUIRE(m2.report.converged);
  REQUIRE(m2.report.iterations <= 1);
  require_coef_close(m2.coef, m.coef);

  // max_iter too small: reported, not thrown.
  icl::probe::logistic_params short_run = p;
  short_run.max_iter = 2;
  const auto m3 = icl::probe::fit_logistic(X.view, y, short_run);
  REQUIRE_FALSE(m3.report.converged);
  REQUIRE(m3.report.iterations == 2);
  REQUIRE(m3.report.message == "reached max_iter");
  REQUIRE(m3.report.gradient_norm > p.tol * m3.report.initial_gradient_norm);
}

TEMPLATE_TEST_CASE("fit_logistic on half-precision inputs", "[probe][logistic]", icl::bf16, icl::f16) {
  const icl_test::fixture_file f("probe_logistic.txt");
  const std::size_t n = f.shape("X_bin_tall")[0], d = f.shape("X_bin_tall")[1];
  const auto X = icl_test::row_major<TestType>(f.values("X_bin_tall"), n, d);
  // The bf16 rows are the data: compare with the double fit of the same rounded values.
  std::vector<double> rounded(X.storage.size());
  for (std::size_t k = 0; k < rounded.size(); ++k) rounded[k] = static_cast<double>(static_cast<float>(X.storage[k]));
  const auto exact = icl::probe::fit_logistic(icl::make_matrix_view(rounded.data(), n, d), f.ints("y_bin_tall"));
  const auto half = icl::probe::fit_logistic(X.view, f.ints("y_bin_tall"));
  require_coef_close(half.coef, exact.coef);
}

TEST_CASE("fit_logistic and predict_class reject bad input", "[probe][logistic][errors]") {
  const std::vector<double> x = {0.0, 1.0, 1.0, 0.0, 2.0, 1.0, 0.5, 0.3};
  const auto X = icl::make_matrix_view(x.data(), 4, 2);
  const std::vector<int> y = {0, 1, 0, 1};
  icl::probe::logistic_params p;
  REQUIRE_THROWS_AS(icl::probe::fit_logistic(X, std::vector<int>{0, 1, 0}, p), icl::invalid_argument);
  REQUIRE_THROWS_WITH(icl::probe::fit_logistic(X, std::vector<int>{0, 1, 0}, p),
                      Catch::Contains("icl::probe::fit_logistic: labels has 3 entries but X has 4 rows"));
  REQUIRE_THROWS_WITH(icl::probe::fit_logistic(X, std::vector<int>{3, 3, 3, 3}, p),
                      Catch::Contains("icl::probe::fit_logistic: labels hold 1 distinct class(es), need at least 2"));
  p.C = 0.0;
  REQUIRE_THROWS_AS(icl::probe::fit_logistic(X, y, p), icl::invalid_argument);
  REQUIRE_THROWS_WITH(icl::probe::fit_logistic(X, y, p), Catch::Contains("icl::probe::fit_logistic: C = 0 must be"));
  p.C = -1.0;
  REQUIRE_THROWS_WITH(icl::probe::fit_logistic(X, y, p), Catch::Contains("C = -1 must be finite and > 0"));
  p.C = 1.0;
  std::vector<double> bad = x;
  bad[5] = std::numeric_limits<double>::quiet_NaN();
  REQUIRE_THROWS_AS(icl::probe::fit_logistic(icl::make_matrix_view(bad.data(), 4, 2), y, p), icl::invalid_argument);
  REQUIRE_THROWS_WITH(icl::probe::fit_logistic(icl::make_matrix_view(bad.data(), 4, 2), y, p),
                      Catch::Contains("icl::probe::fit_logistic: X (2, 1) is nan"));
  bad[5] = std::numeric_limits<double>::infinity();
  REQUIRE_THROWS_WITH(icl::probe::fit_logistic(icl::make_matrix_view(bad.data(), 4, 2), y, p),
                      Catch::Contains("X (2, 1) is inf"));
  REQUIRE_THROWS_WITH(icl::probe::fit_logistic(icl::make_matrix_view(x.data(), 0, 2), std::vector<int>{}, p),
                      Catch::Contains("icl::probe::fit_logistic: X is empty (0 x 2)"));

  const auto m = icl::probe::fit_logistic(X, y, p);
  const std::vector<double> x3 = {1.0, 2.0, 3.0};
  REQUIRE_THROWS_AS(icl::probe::predict_class(m, icl::make_matrix_view(x3.data(), 1, 3)), icl::invalid_argument);
  REQUIRE_THROWS_WITH(icl::probe::predict_class(m, icl::make_matrix_view(x3.data(), 1, 3)),
                      Catch::Contains("icl::probe::predict_class: X has 3 columns but the model has 2 features"));
  REQUIRE_THROWS_WITH(icl::probe::predict_proba(m, icl::make_matrix_view(x3.data(), 1, 3)),
                      Catch::Contains("icl::probe::predict_proba: X has 3 columns"));
  REQUIRE_THROWS_WITH(icl::probe::predict_class(m, icl::make_matrix_view(x.data(), 0, 2)),
                      Catch::Contains("icl::probe::predict_class: X is empty (0 rows)"));
  REQUIRE_THROWS_WITH(icl::probe::score_accuracy(m, X, std::vector<int>{0, 1}),
                      Catch::Contains("icl::probe::score_accuracy: labels has 2 entries but X has 4 rows"));
  icl::probe::linear_model unfitted;
  REQUIRE_THROWS_WITH(icl::probe::predict_class(unfitted, X), Catch::Contains("the model is not fitted"));
}

TEST_CASE("primal and dual solvers take the same L-BFGS iterates", "[probe][logistic]") {
  // W = A·X in the dual and the same line search: after any number of iterations the two
  // solvers hold the same (W, b) up to rounding, converged or not.
  const icl_test::fixture_file f("probe_logistic.txt");
  for (const char* data : {"bin_wide", "multi_tall"}) {
    INFO(data);
    const std::string s = data;
    const std::size_t n = f.shape("X_" + s)[0], d = f.shape("X_" + s)[1];
    const auto X = icl_test::row_major<double>(f.values("X_" + s), n, d);
    const auto y = f.ints("y_" + s);
    for (const std::size_t iters : {std::size_t{1}, std::size_t{3}, std::size_t{6}}) {
      icl::probe::logistic_params p;
      p.max_iter = iters;
      p.solver = icl::probe::logistic_solver::primal;
      const auto primal = icl::probe::fit_logistic(X.view, y, p);
      p.solver = icl::probe::logistic_solver::dual;
      const auto dual = icl::probe::fit_logistic(X.view, y, p);
      REQUIRE(primal.report.iterations == iters);
      REQUIRE(dual.report.iterations == iters);
      REQUIRE_FALSE(dual.report.converged);
      double scale = 0.0;
      for (double v : primal.coef) scale = std::max(scale, std::abs(v));
      for (std::size_t k = 0; k < primal.coef.size(); ++k) REQUIRE(dual.coef[k] == Approx(primal.coef[k]).margin(1e-9 * scale));
      for (std::size_t k = 0; k < primal.intercept.size(); ++k)
        REQUIRE(dual.intercept[k] == Approx(primal.intercept[k]).margin(1e-9));
      REQUIRE(dual.report.objective == Approx(primal.report.objective).epsilon(1e-12));
    }
  }
}

TEST_CASE("fit_logistic without intercept matches scikit-learn", "[probe][logistic]") {
  const icl_test::fixture_file f("probe_logistic.txt");
  const std::size_t n = f.shape("X_bin_tall")[0], d = f.shape("X_bin_tall")[1];
  const auto X = icl_test::row_major<double>(f.values("X_bin_tall"), n, d);
  icl::probe::logistic_params p;
  p.fit_intercept = false;
  const auto primal = icl::probe::fit_logistic(X.view, f.ints("y_bin_tall"), p);
  p.solver = icl::probe::logistic_solver::dual;
  const auto dual = icl::probe::fit_logistic(X.view, f.ints("y_bin_tall"), p);
  REQUIRE(primal.intercept == std::vector<double>{0.0});
  REQUIRE(dual.intercept == std::vector<double>{0.0});
  REQUIRE(primal.report.converged);
  REQUIRE(dual.report.converged);
  require_coef_close(primal.coef, f.values("coef_bin_tall_nointercept"));
  require_coef_close(dual.coef, f.values("coef_bin_tall_nointercept"));
  // Not the model with an intercept (the data has a common offset).
  const auto with = icl::probe::fit_logistic(X.view, f.ints("y_bin_tall"));
  REQUIRE(std::abs(with.intercept[0]) > 1e-3);
}
