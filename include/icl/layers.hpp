#ifndef ICL_LAYERS_HPP
#define ICL_LAYERS_HPP

/// Per-layer curves (docs/metrics.md 6): one value per layer, with the peak layer; and
/// icl::layer_tracker, the one per-layer tracker that every module's *_tracker instantiates.

#include <cmath>
#include <cstddef>
#include <utility>
#include <vector>

#include "icl/core/error.hpp"
#include "icl/core/view.hpp"

namespace icl {

/// A metric's value at each layer. NaN marks a layer where the metric was undefined (only under
/// nan_policy::propagate); the peak ignores such layers.
struct layer_curve {
  std::vector<double> values;

  std::size_t layers() const noexcept { return values.size(); }
  double operator[](std::size_t layer) const { return values.at(layer); }

  /// The layer with the largest value (the first on ties). Throws icl::invalid_argument when
  /// the curve has no finite value.
  std::size_t peak_layer() const {
    std::size_t best = values.size();
    for (std::size_t l = 0; l < values.size(); ++l) {
      if (std::isfinite(values[l]) && (best == values.size() || values[l] > values[best])) best = l;
    }
    if (best == values.size()) {
      icl::detail::throw_invalid("icl::layer_curve::peak_layer", "the curve of ", values.size(),
                                 " layers has no finite value");
    }
    return best;
  }
  /// The value at peak_layer().
  double peak_value() const { return values[peak_layer()]; }
};

/// Element-wise difference a − b of two curves of the same length (e.g. ICL minus no-ICL).
inline layer_curve curve_difference(const layer_curve& a, const layer_curve& b) {
  if (a.values.size() != b.values.size()) {
    icl::detail::throw_invalid("icl::curve_difference", "curves have ", a.values.size(), " and ", b.values.size(),
                               " layers");
  }
  layer_curve out;
  out.values.resize(a.values.size());
  for (std::size_t l = 0; l < a.values.size(); ++l) out.values[l] = a.values[l] - b.values[l];
  return out;
}

/// Computes a metric one layer at a time and keeps its curve: for callers that produce layers in
/// sequence (an inference engine's evaluation callback) and drop each layer after use. Every
/// module's tracker (icl::decode::decodability_tracker, icl::rsa::hypothesis_alignment_tracker,
/// …) is this class over that module's Step:
///
///   struct Step {
///     using result_type = ...;                               // what one layer gives
///     static constexpr const char* add_layer_function = "icl::module::x_tracker::add_layer";
///     template <class T>                                      // checks H, computes the layer's result
///     result_type operator()(matrix_view<const T> H, std::size_t layer) const;
///     static double curve_value(const result_type& r);        // the layer's point on the curve
///   };
///
/// add_layer checks that every layer has the width (d) of the first one, then calls the step.
/// Not thread-safe: one tracker is fed by one thread at a time.
template <class Step>
class layer_tracker {
 public:
  using step_type = Step;
  using result_type = typename Step::result_type;

  explicit layer_tracker(Step step) : step_(std::move(step)) {}

  /// Adds the next layer's states (n x d, any strides) and returns its result (a reference into
  /// layers(), valid until the next add_layer). Throws icl::invalid_argument when d differs from
  /// the first layer's, and whatever the step throws for the layer (nothing is added then).
  template <class T>
  const result_type& add_layer(matrix_view<const T> H) {
    const std::size_t layer = results_.size();
    if (layer > 0 && H.cols() != features_) {
      detail::throw_invalid(Step::add_layer_function, "layer ", layer, " has ", H.cols(), " features but layer 0 had ",
                            features_);
    }
    result_type result = step_(H, layer);
    curve_.values.push_back(Step::curve_value(result));
    results_.push_back(std::move(result));
    features_ = H.cols();
    return results_.back();
  }

  /// Adds every layer of H ([layers, n, d], any strides), in order.
  template <class T>
  void add_layers(tensor_view<const T, 3> H) {
    for (std::size_t l = 0; l < H.extent(0); ++l) add_layer(H.matrix(l));
  }

  /// The curve (one value per layer added so far).
  const layer_curve& curve() const noexcept { return curve_; }
  /// The full result of each layer added so far.
  const std::vector<result_type>& layers() const noexcept { return results_; }
  /// Number of layers added so far.
  std::size_t size() const noexcept { return results_.size(); }
  /// The layer of the highest curve value (the first on ties); throws when no layer has a finite
  /// value (in particular when none was added).
  std::size_t peak_layer() const { return curve_.peak_layer(); }

 protected:
  const Step& step() const noexcept { return step_; }

 private:
  Step step_;
  std::vector<result_type> results_;
  layer_curve curve_;
  std::size_t features_ = 0;
};

namespace detail {

/// Checks a [layers, n, d] tensor argument and returns the number of layers.
template <class T>
std::size_t check_layers(const char* function, const char* name, tensor_view<const T, 3> H) {
  static_check_element<T>();
  const std::size_t total = checked_mul(function, checked_mul(function, H.extent(0), H.extent(1), name), H.extent(2), name);
  if (H.extent(0) == 0) throw_invalid(function, name, " has no layers");
  if (H.data() == nullptr && total != 0) throw_invalid(function, name, " has a null data pointer");
  return H.extent(0);
}

/// A Tracker (a layer_tracker) built from tracker_args and fed every layer of H ([layers, n, d],
/// any strides), after H is checked as `function`'s argument: the body of the modules' *_curve
/// functions.
template <class Tracker, class T, class... Args>
Tracker feed_all_layers(const char* function, tensor_view<const T, 3> H, Args&&... tracker_args) {
  check_layers(function, "H", H);
  Tracker tracker(std::forward<Args>(tracker_args)...);
  tracker.add_layers(H);
  return tracker;
}

}  // namespace detail
}  // namespace icl

#endif  // ICL_LAYERS_HPP
