#ifndef ICL_PROBE_CROSS_VALIDATION_HPP
#define ICL_PROBE_CROSS_VALIDATION_HPP

/// Cross-validated probes (docs/metrics.md section 2): k-fold splits (stratified for classes,
/// shuffled with an explicit seed), cross-validated accuracy / R², the train/test split of [P2],
/// control tasks and selectivity (Hewitt & Liang 2019), and per-layer probe curves with an
/// incremental form. The options and results (cv_params, cv_result, split_indices,
/// selectivity_result) are declared in icl/probe/types.hpp.

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "icl/core/error.hpp"
#include "icl/core/labels.hpp"
#include "icl/core/view.hpp"
#include "icl/layers.hpp"
#include "icl/probe/detail/cv_impl.hpp"
#include "icl/probe/detail/folds_impl.hpp"
#include "icl/probe/logistic.hpp"
#include "icl/probe/model.hpp"
#include "icl/probe/ridge.hpp"
#include "icl/probe/types.hpp"

namespace icl::probe {

/// Fold id (0..folds−1) of each of n rows: a shuffled plain k-fold (row order permuted with
/// counter_rng(seed, 0), then dealt round-robin; sizes differ by at most one).
/// Throws icl::invalid_argument unless 2 <= folds <= n.
inline std::vector<std::size_t> make_folds(std::size_t n, const cv_params& cv) {
  return detail::plain_folds("icl::probe::make_folds", n, cv);
}

/// Fold id of each row for class labels: stratified when cv.stratified (each class's members
/// shuffled with counter_rng(seed, class index) and dealt round-robin, continuing across
/// classes, so per-class and overall fold sizes differ by at most one), plain k-fold otherwise.
/// Throws icl::invalid_argument unless 2 <= folds <= n, or (stratified) when a class has fewer
/// members than folds.
inline std::vector<std::size_t> make_folds(const std::vector<int>& labels, const cv_params& cv) {
  constexpr const char* fn = "icl::probe::make_folds";
  if (!cv.stratified) return detail::plain_folds(fn, labels.size(), cv);
  return detail::stratified_folds(fn, icl::detail::encode_labels(fn, labels, labels.size(), 1, "labels"), cv);
}

/// Stratified train/test split ([P2]'s random half): within each class (members shuffled with
/// counter_rng(seed, class index)) round(test_fraction · count) rows — at least one, at most
/// count − 1 — go to test, the rest to train. Throws icl::invalid_argument unless
/// 0 < test_fraction < 1, when labels is empty, or when a class has fewer than 2 members.
inline split_indices stratified_split(const std::vector<int>& labels, double test_fraction, std::uint64_t seed) {
  constexpr const char* fn = "icl::probe::stratified_split";
  if (!(test_fraction > 0.0 && test_fraction < 1.0)) {
    icl::detail::throw_invalid(fn, "test_fraction = ", test_fraction, " must be in (0, 1)");
  }
  if (labels.empty()) icl::detail::throw_invalid(fn, "labels is empty");
  return detail::stratified_split(fn, labels, test_fraction, seed);
}

/// Cross-validated accuracy of the logistic probe on explicit folds (fold_ids[i] = fold of row
/// i; folds 0..F−1, each non-empty, F >= 2). Each fold's training rows must hold two classes.
template <class T>
cv_result cross_validate_logistic(matrix_view<const T> X, const std::vector<int>& y, const logistic_params& p,
                                  const std::vector<std::size_t>& fold_ids) {
  constexpr const char* fn = "icl::probe::cross_validate_logistic";
  const auto enc = detail::check_logistic_inputs(fn, X, y, p);
  const std::size_t F = detail::check_fold_ids(fn, fold_ids, X.rows());
  icl::detail::require_finite(fn, "X", X);
  return detail::cv_logistic(fn, X, enc, fold_ids, F, p, nullptr);
}

/// Cross-validated accuracy of the logistic probe (folds from make_folds(y, cv)): per-fold
/// accuracy, mean and population std. With the dual solver the Gram matrix is computed once.
template <class T>
cv_result cross_validate_logistic(matrix_view<const T> X, const std::vector<int>& y, const logistic_params& p = {},
                                  const cv_params& cv = {}) {
  constexpr const char* fn = "icl::probe::cross_validate_logistic";
  const auto enc = detail::check_logistic_inputs(fn, X, y, p);
  const auto folds = cv.stratified ? detail::stratified_folds(fn, enc, cv) : detail::plain_folds(fn, X.rows(), cv);
  icl::detail::require_finite(fn, "X", X);
  return detail::cv_logistic(fn, X, enc, folds, cv.folds, p, nullptr);
}

/// Cross-validated R² of the ridge probe on explicit folds.
template <class T>
cv_result cross_validate_ridge(matrix_view<const T> X, const std::vector<double>& y, const ridge_params& p,
                               const std::vector<std::size_t>& fold_ids) {
  constexpr const char* fn = "icl::probe::cross_validate_ridge";
  detail::check_ridge_inputs(fn, X, y, p);
  const std::size_t F = detail::check_fold_ids(fn, fold_ids, X.rows());
  icl::detail::require_finite(fn, "X", X);
  return detail::cv_ridge(fn, X, y, fold_ids, F, p);
}

/// Cross-validated R² of the ridge probe (plain shuffled folds, make_folds(n, cv); cv.stratified
/// does not apply to continuous targets).
template <class T>
cv_result cross_validate_ridge(matrix_view<const T> X, const std::vector<double>& y, const ridge_params& p = {},
                               const cv_params& cv = {}) {
  constexpr const char* fn = "icl::probe::cross_validate_ridge";
  detail::check_ridge_inputs(fn, X, y, p);
  const auto folds = detail::plain_folds(fn, X.rows(), cv);
  icl::detail::require_finite(fn, "X", X);
  return detail::cv_ridge(fn, X, y, folds, cv.folds, p);
}

/// Control-task labels (Hewitt & Liang 2019): every input type (input_type[i], any int ids)
/// gets one label drawn from the empirical label distribution (a uniformly random sample's
/// label, counter_rng(seed), types in increasing id order); all samples of a type share it.
/// Throws icl::invalid_argument when the lengths differ or labels is empty.
inline std::vector<int> control_labels(const std::vector<int>& labels, const std::vector<int>& input_type,
                                       std::uint64_t seed) {
  constexpr const char* fn = "icl::probe::control_labels";
  if (labels.empty()) icl::detail::throw_invalid(fn, "labels is empty");
  if (input_type.size() != labels.size()) {
    icl::detail::throw_invalid(fn, "input_type has ", input_type.size(), " entries but labels has ", labels.size());
  }
  return detail::control_labels_by_type(fn, labels, input_type, seed);
}

/// Control-task labels without input types: the labels under a fixed random permutation
/// (counter_rng(seed)); class counts are kept. Throws icl::invalid_argument when labels is empty.
inline std::vector<int> control_labels(const std::vector<int>& labels, std::uint64_t seed) {
  if (labels.empty()) icl::detail::throw_invalid("icl::probe::control_labels", "labels is empty");
  return detail::permuted_labels(labels, seed);
}

/// Selectivity = CV accuracy − control CV accuracy, both on the same X with the same params and
/// cv options. The control labels are control_labels(labels, input_type, control_seed) when
/// input_type is non-empty, control_labels(labels, control_seed) otherwise.
template <class T>
selectivity_result selectivity(matrix_view<const T> X, const std::vector<int>& labels,
                               const std::vector<int>& input_type = {}, const logistic_params& p = {},
                               const cv_params& cv = {}, std::uint64_t control_seed = 1) {
  selectivity_result r;
  r.task = cross_validate_logistic(X, labels, p, cv);
  const auto control = input_type.empty() ? control_labels(labels, control_seed)
                                           : control_labels(labels, input_type, control_seed);
  r.control = cross_validate_logistic(X, control, p, cv);
  r.selectivity = r.task.mean - r.control.mean;
  return r;
}

namespace detail {

/// What the two probe curve trackers share: icl::layer_tracker over one layer's
/// cross-validation, whose add_layer gives the layer's mean CV score.
template <class Step>
class cv_curve_tracker : public layer_tracker<Step> {
 public:
  using layer_tracker<Step>::layer_tracker;

  /// Adds the next layer's states (n x d, any strides) and returns its mean CV score (the
  /// layer's full cv_result is results().back()).
  template <class T>
  double add_layer(matrix_view<const T> H) {
    return layer_tracker<Step>::add_layer(H).mean;
  }

  /// The cross-validation result of each layer added so far (= layers()).
  const std::vector<cv_result>& results() const noexcept { return this->layers(); }
};

}  // namespace detail

/// Builds a logistic-probe curve one layer at a time (an inference engine's callback hands over
/// each layer's n x d states): icl::layer_tracker over one layer's cross_validate_logistic. The
/// folds are fixed at construction; each layer's fold fits start from the same fold of the
/// previous layer. Every layer must have n rows and the width d of the first layer.
/// Not thread-safe: one tracker is fed by one thread at a time.
/// add_layer returns the layer's mean CV accuracy, results() every layer's cv_result.
class logistic_curve_tracker : public detail::cv_curve_tracker<detail::logistic_curve_step> {
 public:
  /// Checks the labels (at least two classes, enough members per class for stratified folds)
  /// and the options, and fixes the folds.
  logistic_curve_tracker(std::vector<int> labels, logistic_params params = {}, cv_params cv = {})
      : cv_curve_tracker(detail::logistic_curve_step(labels, std::move(params), cv)) {}

  /// The fold of each row, fixed for every layer.
  const std::vector<std::size_t>& folds() const noexcept { return step().folds; }
};

/// Mean CV accuracy of the logistic probe at every layer of H ([layers, n, d], any strides).
template <class T>
layer_curve logistic_curve(tensor_view<const T, 3> H, const std::vector<int>& labels, const logistic_params& p = {},
                           const cv_params& cv = {}) {
  return icl::detail::feed_all_layers<logistic_curve_tracker>("icl::probe::logistic_curve", H, labels, p, cv).curve();
}

/// Builds a ridge-probe curve (mean CV R²) one layer at a time, folds fixed at construction:
/// icl::layer_tracker over one layer's cross_validate_ridge. Every layer must have n rows and
/// the width d of the first layer. Not thread-safe: one tracker is fed by one thread at a time.
/// add_layer returns the layer's mean CV R², results() every layer's cv_result.
class ridge_curve_tracker : public detail::cv_curve_tracker<detail::ridge_curve_step> {
 public:
  /// Checks the targets (finite) and the options, and fixes the folds.
  ridge_curve_tracker(std::vector<double> targets, ridge_params params = {}, cv_params cv = {})
      : cv_curve_tracker(detail::ridge_curve_step(std::move(targets), params, cv)) {}
};

/// Mean CV R² of the ridge probe at every layer of H ([layers, n, d], any strides).
template <class T>
layer_curve ridge_curve(tensor_view<const T, 3> H, const std::vector<double>& targets, const ridge_params& p = {},
                        const cv_params& cv = {}) {
  return icl::detail::feed_all_layers<ridge_curve_tracker>("icl::probe::ridge_curve", H, targets, p, cv).curve();
}

}  // namespace icl::probe

#endif  // ICL_PROBE_CROSS_VALIDATION_HPP
