// Probes and cross-validation.
#include <string>
#include <type_traits>

#include "bindings.hpp"

namespace icl_py {

namespace {

using icl::probe::cv_result;

icl::probe::cv_params cv_of(std::size_t folds, std::uint64_t seed, bool stratified) {
  icl::probe::cv_params cv;
  cv.folds = folds;
  cv.seed = seed;
  cv.stratified = stratified;
  return cv;
}

/// The cross-validation of X (read in place) against targets already taken.
icl::probe::logistic_params logistic_of(double C, std::size_t max_iter, double tol, bool fit_intercept) {
  icl::probe::logistic_params p;
  p.C = C;
  p.max_iter = max_iter;
  p.tol = tol;
  p.fit_intercept = fit_intercept;
  return p;
}

/// `folds` is a number of folds (drawn from `seed`) or the fold of each row (an integer array).
template <class Targets, class Params>
cv_result cross_validate(const char* fn, array_like X, const Targets& y, const Params& p, array_like folds,
                         std::uint64_t seed, bool stratified) {
  const array_arg x = take_array(X, fn, "X", 2);
  const bool given = nb::hasattr(folds, "__len__");
  const auto fold_ids = given ? take_indices(folds, fn, "folds") : std::vector<std::size_t>{};
  const auto cv = cv_of(given ? 0 : nb::cast<std::size_t>(folds), seed, stratified);
  return released([&] {
    return visit(x, [&](auto t) {
      const auto view = matrix_of<decltype(t)>(x);
      if constexpr (std::is_same_v<Params, icl::probe::logistic_params>) {
        return given ? icl::probe::cross_validate_logistic(view, y, p, fold_ids)
                     : icl::probe::cross_validate_logistic(view, y, p, cv);
      } else {
        return given ? icl::probe::cross_validate_ridge(view, y, p, fold_ids)
                     : icl::probe::cross_validate_ridge(view, y, p, cv);
      }
    });
  });
}

cv_result cross_validate_logistic(array_like X, array_like y, double C, array_like folds, std::uint64_t seed,
                                  std::size_t max_iter, double tol, bool fit_intercept, bool stratified) {
  const char* fn = "icl::probe::cross_validate_logistic";
  return cross_validate(fn, X, take_labels(y, fn, "y"), logistic_of(C, max_iter, tol, fit_intercept), folds, seed,
                        stratified);
}

cv_result cross_validate_ridge(array_like X, array_like y, double alpha, array_like folds, std::uint64_t seed,
                               bool fit_intercept) {
  const char* fn = "icl::probe::cross_validate_ridge";
  icl::probe::ridge_params p;
  p.alpha = alpha;
  p.fit_intercept = fit_intercept;
  return cross_validate(fn, X, take_doubles(y, fn, "y"), p, folds, seed, false);
}

icl::probe::linear_model fit_logistic(array_like X, array_like y, double C, std::size_t max_iter, double tol,
                                      bool fit_intercept) {
  const char* fn = "icl::probe::fit_logistic";
  const array_arg x = take_array(X, fn, "X", 2);
  const auto labels = take_labels(y, fn, "y");
  const auto p = logistic_of(C, max_iter, tol, fit_intercept);
  return released([&] {
    return visit(x, [&](auto t) { return icl::probe::fit_logistic(matrix_of<decltype(t)>(x), labels, p); });
  });
}

icl::probe::linear_model fit_ridge(array_like X, array_like y, double alpha, bool fit_intercept) {
  const char* fn = "icl::probe::fit_ridge";
  const array_arg x = take_array(X, fn, "X", 2);
  const auto target = take_doubles(y, fn, "y");
  icl::probe::ridge_params p;
  p.alpha = alpha;
  p.fit_intercept = fit_intercept;
  return released([&] {
    return visit(x, [&](auto t) { return icl::probe::fit_ridge(matrix_of<decltype(t)>(x), target, p); });
  });
}

nb::ndarray<nb::numpy, double> decision_function(const icl::probe::linear_model& m, array_like X) {
  const array_arg x = take_array(X, "icl::probe::decision_function", "X", 2);
  auto v = released([&] {
    return visit(x, [&](auto t) { return icl::probe::decision_function(m, matrix_of<decltype(t)>(x)); });
  });
  const std::size_t n = x.shape[0], outputs = m.n_outputs;
  return to_numpy(std::move(v), {n, outputs});
}

nb::ndarray<nb::numpy, int> predict(const icl::probe::linear_model& m, array_like X) {
  const array_arg x = take_array(X, "icl::probe::predict_class", "X", 2);
  return to_numpy(released([&] {
    return visit(x, [&](auto t) { return icl::probe::predict_class(m, matrix_of<decltype(t)>(x)); });
  }));
}

}  // namespace

void init_probe(nb::module_& m) {
  nb::class_<cv_result>(m, "CVResult", "Result of cross-validation: mean, std, fold_scores, converged.")
      .def_ro("mean", &cv_result::mean, "Mean of the fold scores.")
      .def_ro("std", &cv_result::std, "Population standard deviation (ddof = 0) of the fold scores.")
      .def_prop_ro("fold_scores", array_field(&cv_result::fold_scores), nb::rv_policy::move,
          "Score of each fold (accuracy or R^2), in fold order (float64 [folds]).")
      .def_prop_ro(
          "converged",
          [](const cv_result& r) {
            for (const auto& f : r.fold_reports) {
              if (!f.converged) return false;
            }
            return true;
          },
          "True when every fold's fit reached its stopping rule within max_iter.")
      .def("__repr__", [](const cv_result& r) {
        std::string scores;
        for (std::size_t f = 0; f < r.fold_scores.size(); ++f) scores += (f ? ", " : "") + fmt(r.fold_scores[f]);
        return "CVResult(mean=" + fmt(r.mean) + ", std=" + fmt(r.std) + ", fold_scores=[" + scores + "])";
      });

  using icl::probe::linear_model;
  nb::class_<linear_model>(m, "LinearModel",
                           "A fitted probe (fit_logistic, fit_ridge): coef, intercept, classes, converged, "
                           "iterations; predict(X), decision_function(X).")
      .def_prop_ro(
          "coef",
          [](const linear_model& r) {
            return to_numpy(std::vector<double>(r.coef), {r.n_outputs, r.n_features});
          },
          nb::rv_policy::move, "Coefficients (float64 [outputs, features]; one output for binary and ridge).")
      .def_prop_ro("intercept", array_field(&linear_model::intercept), nb::rv_policy::move,
                   "Intercepts (float64 [outputs]).")
      .def_prop_ro("classes", array_field(&linear_model::classes), nb::rv_policy::move,
                   "Logistic: the distinct labels, increasing (int32); empty for ridge.")
      .def_prop_ro(
          "converged", [](const linear_model& r) { return r.report.converged; },
          "True when the solver reached its stopping rule.")
      .def_prop_ro(
          "iterations", [](const linear_model& r) { return r.report.iterations; },
          "L-BFGS iterations (0 for a closed form).")
      .def("predict", &predict, nb::arg("X"),
           doc("The predicted label of each row (a logistic model).", "X : array [n, features]",
               "numpy.ndarray, int32 [n]", "    a width other than the model's, NaN/Inf, a ridge model.")
               .c_str())
      .def("decision_function", &decision_function, nb::arg("X"),
           doc("X coef^T + intercept.", "X : array [n, features]", "numpy.ndarray, float64 [n, outputs]",
               "    a width other than the model's, NaN/Inf.")
               .c_str())
      .def("__repr__", [](const linear_model& r) {
        return "LinearModel(outputs=" + std::to_string(r.n_outputs) + ", features=" + std::to_string(r.n_features) +
               ", converged=" + (r.report.converged ? "True" : "False") + ")";
      });

  m.def("fit_logistic", &fit_logistic, nb::arg("X"), nb::arg("y"), nb::arg("C") = 1.0, nb::arg("max_iter") = 100,
        nb::arg("tol") = 1e-6, nb::arg("fit_intercept") = true,
        doc(R"(An L2-regularized logistic-regression probe: the optimum of scikit-learn's
LogisticRegression(C=C) (lbfgs; multinomial for more than two classes).)",
            R"(X : array [n, d]
    float16, bfloat16, float32 or float64 in place (strides kept).
y : integer array or list [n], at least two classes
C, max_iter, tol, fit_intercept :
    as cross_validate_logistic.)",
            "LinearModel", "    a y length other than n, one class, NaN/Inf, C <= 0.")
            .c_str());
  m.def("fit_ridge", &fit_ridge, nb::arg("X"), nb::arg("y"), nb::arg("alpha") = 1.0, nb::arg("fit_intercept") = true,
        doc("A ridge-regression probe: scikit-learn's Ridge(alpha) solution, intercept not penalized.",
            R"(X : array [n, d]
y : array or list [n]
alpha : float, default 1.0
fit_intercept : bool, default True)",
            "LinearModel", "    a y length other than n, NaN/Inf, alpha < 0.")
            .c_str());
  m.def("cross_validate_logistic", &cross_validate_logistic, nb::arg("X"), nb::arg("y"), nb::arg("C") = 1.0,
        nb::arg("folds") = 5, nb::arg("seed") = 0, nb::arg("max_iter") = 100, nb::arg("tol") = 1e-6,
        nb::arg("fit_intercept") = true, nb::arg("stratified") = true,
        doc(R"(Cross-validated accuracy of an L2-regularized logistic-regression probe (the optimum of
scikit-learn's LogisticRegression(C=C), lbfgs; multinomial for more than two classes).)", R"(X : array [n, d]
    float16, bfloat16, float32 or float64 read in place with their strides; other dtypes are
    converted to a float64 copy.
y : integer array or list [n]
    Class labels, at least two classes.
C : float, default 1.0
    Inverse regularization strength (> 0).
folds : int or integer array [n], default 5
    Number of folds (>= 2), or the fold of each row (0 .. F-1, each fold non-empty; seed and
    stratified are then unused).
seed : int, default 0
    Seed of the fold assignment.
max_iter : int, default 100
    L-BFGS iterations per fit (reaching it is reported in .converged, not raised).
tol : float, default 1e-6
    Stopping rule: gradient norm <= tol times its value at zero.
fit_intercept : bool, default True
stratified : bool, default True
    Folds with the class proportions of y.)",
        R"(CVResult
    .mean, .std (ddof = 0), .fold_scores (float64 [folds]), .converged.)", R"(    a y length other than n, fewer than two classes, a class with fewer members than folds
    (stratified), a fold whose training rows hold one class, NaN/Inf in X, C <= 0.)").c_str());
  m.def("cross_validate_ridge", &cross_validate_ridge, nb::arg("X"), nb::arg("y"), nb::arg("alpha") = 1.0,
        nb::arg("folds") = 5, nb::arg("seed") = 0, nb::arg("fit_intercept") = true,
        doc(R"(Cross-validated R^2 of a ridge-regression probe (scikit-learn's Ridge(alpha), intercept not
penalized), on shuffled folds.)", R"(X : array [n, d]
    As cross_validate_logistic.
y : array or list [n]
    Real targets.
alpha : float, default 1.0
    Regularization strength (>= 0).
folds : int or integer array [n], default 5
    As cross_validate_logistic.
seed : int, default 0
fit_intercept : bool, default True)",
        R"(CVResult)", R"(    a y length other than n, folds < 2 or > n, NaN/Inf, alpha < 0.)").c_str());
}

}  // namespace icl_py
