#ifndef ICL_LAYERS_HPP
#define ICL_LAYERS_HPP

/// Per-layer curves (METRICS.md 6): one value per layer, with the peak layer.

#include <cmath>
#include <cstddef>
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

}  // namespace detail
}  // namespace icl

#endif  // ICL_LAYERS_HPP
