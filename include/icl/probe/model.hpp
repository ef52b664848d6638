#ifndef ICL_PROBE_MODEL_HPP
#define ICL_PROBE_MODEL_HPP

/// Applying a fitted linear model (icl::probe::linear_model, shared by the logistic and ridge
/// probes; docs/metrics.md section 2) to new rows: decision function, class prediction, class
/// probabilities, regression prediction. The model, its convergence report (fit_report) and the
/// solver enums are declared in icl/probe/types.hpp.

#include <vector>

#include "icl/core/error.hpp"
#include "icl/core/view.hpp"
#include "icl/probe/detail/model_impl.hpp"
#include "icl/probe/types.hpp"

namespace icl::probe {

/// The decision function X·coefᵀ + intercept (n x n_outputs, row-major), in double.
/// Throws icl::invalid_argument when X.cols() differs from the model's n_features, X is empty
/// or holds NaN/Inf.
template <class T>
std::vector<double> decision_function(const linear_model& m, matrix_view<const T> X) {
  detail::check_model_input("icl::probe::decision_function", m, X);
  return detail::decision_values(m, X);
}

/// The predicted label of each row of X (a logistic model: one of m.classes; binary: classes[1]
/// where the decision is > 0, multinomial: the argmax, the first on ties).
template <class T>
std::vector<int> predict_class(const linear_model& m, matrix_view<const T> X) {
  detail::check_model_input("icl::probe::predict_class", m, X);
  detail::check_classifier("icl::probe::predict_class", m);
  return detail::predicted_classes(m, X);
}

/// Class probabilities (n x classes.size(), row-major, columns in m.classes order): sigmoid for
/// a binary model, softmax for a multinomial one.
template <class T>
std::vector<double> predict_proba(const linear_model& m, matrix_view<const T> X) {
  detail::check_model_input("icl::probe::predict_proba", m, X);
  detail::check_classifier("icl::probe::predict_proba", m);
  return detail::probabilities(m, X);
}

/// The regression prediction of a one-output model (ridge): X·coef + intercept.
template <class T>
std::vector<double> predict_value(const linear_model& m, matrix_view<const T> X) {
  detail::check_model_input("icl::probe::predict_value", m, X);
  if (m.n_outputs != 1) {
    icl::detail::throw_invalid("icl::probe::predict_value", "the model has ", m.n_outputs, " outputs, need 1");
  }
  return detail::decision_values(m, X);
}

}  // namespace icl::probe

#endif  // ICL_PROBE_MODEL_HPP
