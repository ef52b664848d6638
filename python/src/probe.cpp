// Probes and cross-validation.
#include <string>
#include <type_traits>

#include <nanobind/stl/vector.h>

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

nb::ndarray<nb::numpy, double> predict_proba(const icl::probe::linear_model& m, array_like X) {
  const array_arg x = take_array(X, "icl::probe::predict_proba", "X", 2);
  auto p = released([&] {
    return visit(x, [&](auto t) { return icl::probe::predict_proba(m, matrix_of<decltype(t)>(x)); });
  });
  const std::size_t n = x.shape[0], classes = m.classes.size();
  return to_numpy(std::move(p), {n, classes});
}

/// A probe curve through the library's tracker (built by make(view's layers)), one layer at a
/// time with Ctrl-C checked between layers: the values of logistic_curve / ridge_curve.
template <class Make>
nb::ndarray<nb::numpy, double> probe_curve(const char* fn, array_like H, Make&& make) {
  const array_arg h = take_array(H, fn, "H", 3);
  return visit(h, [&](auto t) {
    const auto view = tensor_of<decltype(t), 3>(h);
    icl::detail::check_layers(fn, "H", view);
    auto tracker = make();
    feed_layers(tracker, view);
    return copy_to_numpy(tracker.curve().values);
  });
}

nb::ndarray<nb::numpy, double> logistic_curve(array_like H, array_like y, double C, std::size_t folds,
                                              std::uint64_t seed, std::size_t max_iter, double tol,
                                              bool fit_intercept, bool stratified) {
  const char* fn = "icl::probe::logistic_curve";
  auto labels = take_labels(y, fn, "y");
  const auto p = logistic_of(C, max_iter, tol, fit_intercept);
  return probe_curve(fn, H, [&] { return icl::probe::logistic_curve_tracker(labels, p, cv_of(folds, seed, stratified)); });
}

nb::ndarray<nb::numpy, double> ridge_curve(array_like H, array_like y, double alpha, std::size_t folds,
                                           std::uint64_t seed, bool fit_intercept) {
  const char* fn = "icl::probe::ridge_curve";
  auto targets = take_doubles(y, fn, "y");
  icl::probe::ridge_params p;
  p.alpha = alpha;
  p.fit_intercept = fit_intercept;
  return probe_curve(fn, H, [&] { return icl::probe::ridge_curve_tracker(targets, p, cv_of(folds, seed, false)); });
}

std::vector<int> control_labels_of(nb::handle labels, nb::handle input_type, std::uint64_t seed) {
  const char* fn = "icl::probe::control_labels";
  const auto y = take_labels(labels, fn, "labels");
  return input_type.is_none() ? icl::probe::control_labels(y, seed)
                              : icl::probe::control_labels(y, take_labels(input_type, fn, "input_type"), seed);
}

icl::probe::selectivity_result selectivity(array_like X, array_like labels, nb::handle input_type,
                                           std::uint64_t control_seed, double C, std::size_t folds,
                                           std::uint64_t seed, std::size_t max_iter, double tol, bool stratified) {
  const char* fn = "icl::probe::selectivity";
  const array_arg x = take_array(X, fn, "X", 2);
  const auto y = take_labels(labels, fn, "labels");
  const auto types = input_type.is_none() ? std::vector<int>{} : take_labels(input_type, fn, "input_type");
  const auto p = logistic_of(C, max_iter, tol, true);
  const auto cv = cv_of(folds, seed, stratified);
  return released([&] {
    return visit(x, [&](auto t) {
      return icl::probe::selectivity(matrix_of<decltype(t)>(x), y, types, p, cv, control_seed);
    });
  });
}

nb::ndarray<nb::numpy, std::uint64_t> make_folds(nb::handle n_or_labels, std::size_t folds, std::uint64_t seed,
                                                 bool stratified) {
  const char* fn = "icl::probe::make_folds";
  const auto cv = cv_of(folds, seed, stratified);
  const auto f = nb::isinstance<nb::int_>(n_or_labels)
                     ? icl::probe::make_folds(nb::cast<std::size_t>(n_or_labels), cv)
                     : icl::probe::make_folds(take_labels(n_or_labels, fn, "labels"), cv);
  return to_numpy(std::vector<std::uint64_t>(f.begin(), f.end()));
}

nb::tuple stratified_split(array_like labels, double test_fraction, std::uint64_t seed) {
  const auto s = icl::probe::stratified_split(take_labels(labels, "icl::probe::stratified_split", "labels"),
                                              test_fraction, seed);
  return nb::make_tuple(to_numpy(std::vector<std::uint64_t>(s.train.begin(), s.train.end())),
                        to_numpy(std::vector<std::uint64_t>(s.test.begin(), s.test.end())));
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
      .def("predict_proba", &predict_proba, nb::arg("X"),
           doc("Class probabilities of each row (a logistic model; classes in the order of .classes).",
               "X : array [n, features]", "numpy.ndarray, float64 [n, classes]",
               "    a width other than the model's, NaN/Inf, a ridge model.")
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

  result_class(m, "SelectivityResult", "Result of selectivity: task and control cross-validation.", 1,
               R"(selectivity: task.mean - control.mean.
task: The CVResult on the labels.
control: The CVResult on the control labels.)",
               &icl::probe::selectivity_result::selectivity, &icl::probe::selectivity_result::task,
               &icl::probe::selectivity_result::control);
  constexpr const char* logistic_options = R"(C : float, default 1.0
folds : int, default 5
seed : int, default 0
max_iter : int, default 100
tol : float, default 1e-6)";
  m.def("logistic_curve", &logistic_curve, nb::arg("H"), nb::arg("y"), nb::arg("C") = 1.0, nb::arg("folds") = 5,
        nb::arg("seed") = 0, nb::arg("max_iter") = 100, nb::arg("tol") = 1e-6, nb::arg("fit_intercept") = true,
        nb::arg("stratified") = true,
        doc(R"(Mean cross-validated accuracy of the logistic probe at every layer (the folds fixed once; each
layer's fits start from the previous layer's). Ctrl-C interrupts between layers.)",
            std::string(R"(H : array [layers, n, d] (any strides)
y : integer array or list [n]
)") + logistic_options + R"(
fit_intercept : bool, default True
stratified : bool, default True)",
            "numpy.ndarray, float64 [layers]",
            "    as cross_validate_logistic, for a layer; layers of different widths.")
            .c_str());
  m.def("ridge_curve", &ridge_curve, nb::arg("H"), nb::arg("y"), nb::arg("alpha") = 1.0, nb::arg("folds") = 5,
        nb::arg("seed") = 0, nb::arg("fit_intercept") = true,
        doc("Mean cross-validated R^2 of the ridge probe at every layer. Ctrl-C interrupts between layers.",
            R"(H : array [layers, n, d] (any strides)
y : array or list [n]
alpha : float, default 1.0
folds : int, default 5
seed : int, default 0
fit_intercept : bool, default True)",
            "numpy.ndarray, float64 [layers]", "    as cross_validate_ridge, for a layer; layers of different widths.")
            .c_str());
  m.def("control_labels", &control_labels_of, nb::arg("labels"), nb::arg("input_type").none() = nb::none(),
        nb::arg("seed") = 0,
        doc(R"(Control-task labels (Hewitt & Liang 2019): one label per input type drawn from the label
distribution, or (input_type None) the labels under a fixed random permutation.)",
            R"(labels : integer array or list [n]
input_type : integer array or list [n] or None, default None
seed : int, default 0)",
            "list of int [n]", "    empty labels, lengths that differ.")
            .c_str());
  m.def("selectivity", &selectivity, nb::arg("X"), nb::arg("labels"), nb::arg("input_type").none() = nb::none(),
        nb::arg("control_seed") = 1, nb::arg("C") = 1.0, nb::arg("folds") = 5, nb::arg("seed") = 0,
        nb::arg("max_iter") = 100, nb::arg("tol") = 1e-6, nb::arg("stratified") = true,
        doc("Selectivity: the probe's CV accuracy on the labels minus that on control labels.",
            std::string(R"(X : array [n, d]
labels : integer array or list [n]
input_type : integer array or list [n] or None, default None
    The control labels: control_labels(labels, input_type, control_seed).
control_seed : int, default 1
)") + logistic_options + R"(
stratified : bool, default True)",
            R"(SelectivityResult
    .selectivity, .task, .control (CVResult).)",
            "    as cross_validate_logistic, for either labelling.")
            .c_str());
  m.def("make_folds", &make_folds, nb::arg("n_or_labels"), nb::arg("folds") = 5, nb::arg("seed") = 0,
        nb::arg("stratified") = true,
        doc("The fold of each row, as the cross-validations draw them.",
            R"(n_or_labels : int or integer array [n]
    A row count (plain shuffled folds) or labels (stratified unless stratified=False).
folds : int, default 5
seed : int, default 0
stratified : bool, default True)",
            "numpy.ndarray, uint64 [n]", "    folds < 2 or > n, a class with fewer members than folds (stratified).")
            .c_str());
  m.def("stratified_split", &stratified_split, nb::arg("labels"), nb::arg("test_fraction"), nb::arg("seed") = 0,
        doc("A stratified train/test split of the rows (the split of the separability probes).",
            R"(labels : integer array or list [n]
test_fraction : float in (0, 1)
seed : int, default 0)",
            "(train, test): two uint64 arrays of row indices, increasing",
            "    empty labels, a test_fraction outside (0, 1), a class too small to split.")
            .c_str());
}

}  // namespace icl_py
