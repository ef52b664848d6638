#ifndef ICL_DECODE_KNN_HPP
#define ICL_DECODE_KNN_HPP

/// Task (concept) decodability (docs/metrics.md section 3): leave-one-out k-nearest-neighbour accuracy of the
/// task labels from one layer's hidden states, per class, per pair of classes and per layer.
///
/// For each point i: remove it, find its k nearest neighbours among the other n − 1 points, and
/// predict the majority label among them. Vote ties go to the lowest label (scikit-learn's
/// KNeighborsClassifier: classes sorted, argmax takes the first); ties in dissimilarity
/// between neighbours go to the smaller row index. TD = accuracy over all points; per-class TD = accuracy
/// within a class. The result equals KNeighborsClassifier(n_neighbors=k, algorithm='brute')
/// fitted on the other n − 1 points, for every i. See docs/decodability.md.

#include <cstddef>
#include <vector>

#include "icl/core/labels.hpp"
#include "icl/core/view.hpp"
#include "icl/decode/detail/knn_impl.hpp"
#include "icl/decode/types.hpp"
#include "icl/layers.hpp"

namespace icl::decode {

/// Leave-one-out kNN decodability of `labels` from the rows of H (n points x d features, any
/// strides), with the options in `params`. Labels may be any int values (mapped to sorted
/// classes as scikit-learn's classes_). Computed through tiled Gram products in float for float,
/// f16 and bf16 input, in double for double input; squared norms in double.
///
/// Throws icl::invalid_argument when H is empty, labels do not have n entries or hold a single
/// class, k is 0 or k >= n, H holds NaN/Inf, or (cosine) a row of H is zero.
template <class T>
decodability_result task_decodability(matrix_view<const T> H, const std::vector<int>& labels,
                                      const decode_params& params) {
  const char* fn = "icl::decode::task_decodability";
  detail::check_states(fn, H);
  const auto enc = icl::detail::encode_labels(fn, labels, H.rows(), 2, "H");
  return detail::decodability(fn, H, enc, params);
}

/// Leave-one-out kNN decodability with k neighbours and the Euclidean distance.
template <class T>
decodability_result task_decodability(matrix_view<const T> H, const std::vector<int>& labels, std::size_t k = 10) {
  decode_params params;
  params.k = k;
  return task_decodability(H, labels, params);
}

/// The k nearest neighbours of every row of H (any strides) among the other rows (params.k,
/// params.dissimilarity, params.block_rows), nearest first, ties by smaller index. Euclidean
/// distances are returned rooted. Same errors as task_decodability, without the label checks.
template <class T>
neighbor_result loo_neighbors(matrix_view<const T> H, const decode_params& params = {}) {
  const char* fn = "icl::decode::loo_neighbors";
  detail::check_states(fn, H);
  return detail::loo_neighbors(fn, H, params);
}

/// Pairwise decodability of every pair of classes (a, b): leave-one-out kNN on the points of the
/// two classes only, the vote tie going to the lower label. One pass over the Gram tiles keeps,
/// for every point, its k nearest neighbours within each class (memory O(n·m·k)); the k nearest
/// among classes a and b are merged from those lists.
///
/// Throws as task_decodability, and when two classes together have fewer than k + 1 points
/// (naming the pair).
template <class T>
pairwise_result pairwise_decodability(matrix_view<const T> H, const std::vector<int>& labels,
                                      const decode_params& params = {}) {
  const char* fn = "icl::decode::pairwise_decodability";
  detail::check_states(fn, H);
  const auto enc = icl::detail::encode_labels(fn, labels, H.rows(), 2, "H");
  return detail::pairwise(fn, H, enc, params);
}

/// Builds a decodability curve one layer at a time (an inference engine's evaluation callback
/// can feed each layer's states as it is computed, then drop them): icl::layer_tracker over one
/// layer's task_decodability. Its members: add_layer(H) (n x d, any strides; d the same for every
/// layer) returns the layer's decodability_result (a reference into layers(), valid until the
/// next add_layer); add_layers, curve() (overall TD per layer), layers(), size(), peak_layer()
/// (highest overall TD, the first on ties; throws when no layer was added) and params().
/// Not thread-safe: one tracker is fed by one thread at a time.
class decodability_tracker : public layer_tracker<detail::decodability_step> {
 public:
  /// Labels of the n points (checked: at least two classes) and the options for every layer.
  explicit decodability_tracker(const std::vector<int>& labels, decode_params params = {})
      : layer_tracker(detail::decodability_step(labels, params)) {}

  /// The options used for every layer.
  const decode_params& params() const noexcept { return step().params; }
};

/// Decodability of every layer of H ([layers, n, d], any strides).
template <class T>
decodability_curve_result decodability_curve(tensor_view<const T, 3> H, const std::vector<int>& labels,
                                             const decode_params& params = {}) {
  const char* fn = "icl::decode::decodability_curve";
  icl::detail::check_layers(fn, "H", H);
  if (H.extent(1) != labels.size()) {
    icl::detail::throw_invalid(fn, "H has ", H.extent(1), " rows per layer but labels has ", labels.size(), " entries");
  }
  decodability_tracker tracker(labels, params);
  tracker.add_layers(H);
  return decodability_curve_result{tracker.curve(), tracker.layers(), tracker.peak_layer()};
}

}  // namespace icl::decode

#endif  // ICL_DECODE_KNN_HPP
