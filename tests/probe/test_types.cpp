// Probes: the names of their enums (icl::enum_traits) and the defaults of their options.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "icl/probe/types.hpp"
#include "support/enum_names.hpp"

using icl_test::require_name_and_value_errors;
using icl_test::require_round_trip;

TEST_CASE("logistic_solver names round-trip", "[probe][types]") {
  using icl::probe::logistic_solver;
  require_round_trip<logistic_solver>({logistic_solver::automatic, logistic_solver::primal, logistic_solver::dual},
                                      {"automatic", "primal", "dual"});
  REQUIRE_THROWS_AS(icl::from_string<logistic_solver>("Dual"), icl::invalid_argument);
  require_name_and_value_errors<logistic_solver>(
      "lbfgs", "icl::from_string: 'lbfgs' is not a icl::probe::logistic_solver (one of automatic, "
      "primal, dual)",
      9, "icl::to_string: icl::probe::logistic_solver has no value 9");
}

TEST_CASE("ridge_solver names round-trip", "[probe][types]") {
  using icl::probe::ridge_solver;
  require_round_trip<ridge_solver>({ridge_solver::automatic, ridge_solver::primal, ridge_solver::dual},
                                   {"automatic", "primal", "dual"});
  require_name_and_value_errors<ridge_solver>(
      "cholesky", "icl::from_string: 'cholesky' is not a icl::probe::ridge_solver (one of automatic, "
      "primal, dual)",
      3, "icl::to_string: icl::probe::ridge_solver has no value 3");
}

TEST_CASE("fit_method names round-trip", "[probe][types]") {
  using icl::probe::fit_method;
  require_round_trip<fit_method>({fit_method::none, fit_method::logistic_primal, fit_method::logistic_dual,
                                  fit_method::ridge_primal, fit_method::ridge_dual},
                                 {"none", "logistic_primal", "logistic_dual", "ridge_primal", "ridge_dual"});
  require_name_and_value_errors<fit_method>(
      "dual", "icl::from_string: 'dual' is not a icl::probe::fit_method (one of none, "
      "logistic_primal, logistic_dual, ridge_primal, ridge_dual)",
      -1, "icl::to_string: icl::probe::fit_method has no value -1");
}

TEST_CASE("probe option defaults", "[probe][types]") {
  const icl::probe::logistic_params lp;
  REQUIRE(lp.C == 1.0);
  REQUIRE(lp.max_iter == 100);
  REQUIRE(lp.tol == 1e-6);
  REQUIRE(lp.fit_intercept);
  REQUIRE(lp.solver == icl::probe::logistic_solver::automatic);
  REQUIRE(lp.memory == 10);
  const icl::probe::ridge_params rp;
  REQUIRE(rp.alpha == 1.0);
  REQUIRE(rp.fit_intercept);
  REQUIRE(rp.solver == icl::probe::ridge_solver::automatic);
  const icl::probe::cv_params cv;
  REQUIRE(cv.folds == 5);
  REQUIRE(cv.seed == 0);
  REQUIRE(cv.stratified);
  const icl::probe::linear_model m;
  REQUIRE(m.report.method == icl::probe::fit_method::none);
}
