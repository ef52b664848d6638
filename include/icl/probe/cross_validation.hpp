#ifndef ICL_PROBE_CROSS_VALIDATION_HPP
#define ICL_PROBE_CROSS_VALIDATION_HPP

/// Cross-validated probes (METRICS.md 2): k-fold splits (stratified for classes, shuffled with
/// an explicit seed), cross-validated accuracy / R², the train/test split of [P2], control tasks
/// and selectivity (Hewitt & Liang 2019), and per-layer probe curves with an incremental form.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "icl/core/error.hpp"
#include "icl/core/labels.hpp"
#include "icl/core/random.hpp"
#include "icl/core/view.hpp"
#include "icl/layers.hpp"
#include "icl/probe/detail/cv_impl.hpp"
#include "icl/probe/logistic.hpp"
#include "icl/probe/model.hpp"
#include "icl/probe/ridge.hpp"

namespace icl::probe {

/// Options of the k-fold splits.
struct cv_params {
  /// Number of folds k, 2 <= k <= n. Default 5.
  std::size_t folds = 5;
  /// Seed of the shuffles (counter_rng). Default 0.
  std::uint64_t seed = 0;
  /// Stratify by class (classification only; ridge folds are always plain shuffled k-fold).
  /// Default true.
  bool stratified = true;
};

/// Row indices of a train/test split, each increasing.
struct split_indices {
  std::vector<std::size_t> train, test;
};

namespace detail {

inline void check_folds(const char* function, std::size_t folds, std::size_t n) {
  if (folds < 2) icl::detail::throw_invalid(function, "folds = ", folds, " must be >= 2");
  if (folds > n) icl::detail::throw_invalid(function, "folds = ", folds, " must be <= n = ", n);
}

inline std::vector<std::size_t> plain_folds(const char* function, std::size_t n, const cv_params& cv) {
  check_folds(function, cv.folds, n);
  icl::counter_rng rng(cv.seed, 0);
  const std::vector<std::size_t> perm = rng.permutation(n);
  std::vector<std::size_t> fold(n);
  for (std::size_t j = 0; j < n; ++j) fold[perm[j]] = j % cv.folds;
  return fold;
}

inline std::vector<std::size_t> stratified_folds(const char* function, const icl::detail::encoded_labels& enc,
                                                 const cv_params& cv) {
  const std::size_t n = enc.codes.size();
  check_folds(function, cv.folds, n);
  for (std::size_t c = 0; c < enc.n_classes(); ++c) {
    if (enc.counts[c] < cv.folds) {
      icl::detail::throw_invalid(function, "class ", enc.classes[c], " has ", enc.counts[c],
                                 " member(s), fewer than folds = ", cv.folds);
    }
  }
  std::vector<std::vector<std::size_t>> members(enc.n_classes());
  for (std::size_t i = 0; i < n; ++i) members[enc.codes[i]].push_back(i);
  std::vector<std::size_t> fold(n);
  std::size_t offset = 0;  // round-robin continues across classes: overall sizes differ by <= 1
  for (std::size_t c = 0; c < members.size(); ++c) {
    icl::counter_rng rng(cv.seed, c);
    rng.shuffle(members[c].begin(), members[c].size());
    for (std::size_t j = 0; j < members[c].size(); ++j) fold[members[c][j]] = (offset + j) % cv.folds;
    offset = (offset + members[c].size()) % cv.folds;
  }
  return fold;
}

}  // namespace detail

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
  const auto enc = icl::detail::encode_labels(fn, labels, labels.size(), 1, "labels");
  return detail::stratified_folds(fn, enc, cv);
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
  const auto enc = icl::detail::encode_labels(fn, labels, labels.size(), 1, "labels");
  std::vector<std::vector<std::size_t>> members(enc.n_classes());
  for (std::size_t i = 0; i < labels.size(); ++i) members[enc.codes[i]].push_back(i);
  split_indices out;
  for (std::size_t c = 0; c < members.size(); ++c) {
    const std::size_t count = members[c].size();
    if (count < 2) {
      icl::detail::throw_invalid(fn, "class ", enc.classes[c], " has ", count, " member(s), need at least 2");
    }
    icl::counter_rng rng(seed, c);
    rng.shuffle(members[c].begin(), count);
    auto n_test = static_cast<std::size_t>(std::floor(test_fraction * static_cast<double>(count) + 0.5));
    n_test = std::min(std::max<std::size_t>(n_test, 1), count - 1);
    out.test.insert(out.test.end(), members[c].begin(), members[c].begin() + static_cast<std::ptrdiff_t>(n_test));
    out.train.insert(out.train.end(), members[c].begin() + static_cast<std::ptrdiff_t>(n_test), members[c].end());
  }
  std::sort(out.train.begin(), out.train.end());
  std::sort(out.test.begin(), out.test.end());
  return out;
}

/// Cross-validated accuracy of the logistic probe on explicit folds (fold_ids[i] = fold of row
/// i; folds 0..F−1, each non-empty, F >= 2). Each fold's training rows must hold two classes.
template <class T>
cv_result cross_validate_logistic(matrix_view<const T> X, const std::vector<int>& y, const logistic_params& p,
                                  const std::vector<std::size_t>& fold_ids) {
  constexpr const char* fn = "icl::probe::cross_validate_logistic";
  detail::check_design(fn, X);
  detail::check_logistic_params(fn, p);
  const auto enc = icl::detail::encode_labels(fn, y, X.rows(), 2);
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
  detail::check_design(fn, X);
  detail::check_logistic_params(fn, p);
  const auto enc = icl::detail::encode_labels(fn, y, X.rows(), 2);
  const auto folds = cv.stratified ? detail::stratified_folds(fn, enc, cv) : detail::plain_folds(fn, X.rows(), cv);
  icl::detail::require_finite(fn, "X", X);
  return detail::cv_logistic(fn, X, enc, folds, cv.folds, p, nullptr);
}

/// Cross-validated R² of the ridge probe on explicit folds.
template <class T>
cv_result cross_validate_ridge(matrix_view<const T> X, const std::vector<double>& y, const ridge_params& p,
                               const std::vector<std::size_t>& fold_ids) {
  constexpr const char* fn = "icl::probe::cross_validate_ridge";
  detail::check_design(fn, X);
  detail::check_ridge_params(fn, p);
  detail::check_targets(fn, y, X.rows());
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
  detail::check_design(fn, X);
  detail::check_ridge_params(fn, p);
  detail::check_targets(fn, y, X.rows());
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
  const auto types = icl::detail::encode_labels(fn, input_type, labels.size(), 1, "labels");
  icl::counter_rng rng(seed, 0);
  std::vector<int> assigned(types.n_classes());
  for (std::size_t t = 0; t < types.n_classes(); ++t) assigned[t] = labels[rng.uniform_below(labels.size())];
  std::vector<int> out(labels.size());
  for (std::size_t i = 0; i < labels.size(); ++i) out[i] = assigned[types.codes[i]];
  return out;
}

/// Control-task labels without input types: the labels under a fixed random permutation
/// (counter_rng(seed)); class counts are kept. Throws icl::invalid_argument when labels is empty.
inline std::vector<int> control_labels(const std::vector<int>& labels, std::uint64_t seed) {
  if (labels.empty()) icl::detail::throw_invalid("icl::probe::control_labels", "labels is empty");
  icl::counter_rng rng(seed, 0);
  const auto perm = rng.permutation(labels.size());
  std::vector<int> out(labels.size());
  for (std::size_t i = 0; i < labels.size(); ++i) out[i] = labels[perm[i]];
  return out;
}

/// Probe accuracy on the task and on its control task, and their difference.
struct selectivity_result {
  cv_result task;     ///< cross-validated accuracy on the labels
  cv_result control;  ///< cross-validated accuracy on the control labels
  double selectivity = 0.0;  ///< task.mean − control.mean
};

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

/// Builds a logistic-probe curve one layer at a time (an inference engine's callback hands over
/// each layer's n x d states): the folds are fixed at construction, each layer's fold fits start
/// from the same fold of the previous layer.
class logistic_curve_tracker {
 public:
  logistic_curve_tracker(std::vector<int> labels, logistic_params params = {}, cv_params cv = {})
      : labels_(std::move(labels)), params_(std::move(params)), cv_(cv) {
    constexpr const char* fn = "icl::probe::logistic_curve_tracker";
    detail::check_logistic_params(fn, params_);
    enc_ = icl::detail::encode_labels(fn, labels_, labels_.size(), 2, "labels");
    folds_ = cv_.stratified ? detail::stratified_folds(fn, enc_, cv_) : detail::plain_folds(fn, labels_.size(), cv_);
  }

  /// Adds the next layer's states (n x d) and returns its mean CV accuracy.
  template <class T>
  double add_layer(matrix_view<const T> H) {
    constexpr const char* fn = "icl::probe::logistic_curve_tracker::add_layer";
    detail::check_design(fn, H);
    if (H.rows() != labels_.size()) {
      icl::detail::throw_invalid(fn, "H has ", H.rows(), " rows but labels has ", labels_.size(), " entries");
    }
    icl::detail::require_finite(fn, "H", H);
    results_.push_back(detail::cv_logistic(fn, H, enc_, folds_, cv_.folds, params_, &states_));
    curve_.values.push_back(results_.back().mean);
    return results_.back().mean;
  }

  const layer_curve& curve() const noexcept { return curve_; }
  const std::vector<cv_result>& results() const noexcept { return results_; }
  const std::vector<std::size_t>& folds() const noexcept { return folds_; }

 private:
  std::vector<int> labels_;
  logistic_params params_;
  cv_params cv_;
  icl::detail::encoded_labels enc_;
  std::vector<std::size_t> folds_;
  std::vector<detail::fold_state> states_;
  std::vector<cv_result> results_;
  layer_curve curve_;
};

/// Mean CV accuracy of the logistic probe at every layer of H ([layers, n, d], any strides).
template <class T>
layer_curve logistic_curve(tensor_view<const T, 3> H, const std::vector<int>& labels, const logistic_params& p = {},
                           const cv_params& cv = {}) {
  const std::size_t layers = icl::detail::check_layers("icl::probe::logistic_curve", "H", H);
  logistic_curve_tracker tracker(labels, p, cv);
  for (std::size_t l = 0; l < layers; ++l) tracker.add_layer(H.matrix(l));
  return tracker.curve();
}

/// Builds a ridge-probe curve (mean CV R²) one layer at a time, folds fixed at construction.
class ridge_curve_tracker {
 public:
  ridge_curve_tracker(std::vector<double> targets, ridge_params params = {}, cv_params cv = {})
      : targets_(std::move(targets)), params_(params), cv_(cv) {
    constexpr const char* fn = "icl::probe::ridge_curve_tracker";
    detail::check_ridge_params(fn, params_);
    detail::check_targets(fn, targets_, targets_.size(), "targets");
    folds_ = detail::plain_folds(fn, targets_.size(), cv_);
  }

  /// Adds the next layer's states (n x d) and returns its mean CV R².
  template <class T>
  double add_layer(matrix_view<const T> H) {
    constexpr const char* fn = "icl::probe::ridge_curve_tracker::add_layer";
    detail::check_design(fn, H);
    if (H.rows() != targets_.size()) {
      icl::detail::throw_invalid(fn, "H has ", H.rows(), " rows but targets has ", targets_.size(), " entries");
    }
    icl::detail::require_finite(fn, "H", H);
    results_.push_back(detail::cv_ridge(fn, H, targets_, folds_, cv_.folds, params_));
    curve_.values.push_back(results_.back().mean);
    return results_.back().mean;
  }

  const layer_curve& curve() const noexcept { return curve_; }
  const std::vector<cv_result>& results() const noexcept { return results_; }

 private:
  std::vector<double> targets_;
  ridge_params params_;
  cv_params cv_;
  std::vector<std::size_t> folds_;
  std::vector<cv_result> results_;
  layer_curve curve_;
};

/// Mean CV R² of the ridge probe at every layer of H ([layers, n, d], any strides).
template <class T>
layer_curve ridge_curve(tensor_view<const T, 3> H, const std::vector<double>& targets, const ridge_params& p = {},
                        const cv_params& cv = {}) {
  const std::size_t layers = icl::detail::check_layers("icl::probe::ridge_curve", "H", H);
  ridge_curve_tracker tracker(targets, p, cv);
  for (std::size_t l = 0; l < layers; ++l) tracker.add_layer(H.matrix(l));
  return tracker.curve();
}

}  // namespace icl::probe

#endif  // ICL_PROBE_CROSS_VALIDATION_HPP
