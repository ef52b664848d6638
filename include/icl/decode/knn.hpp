#ifndef ICL_DECODE_KNN_HPP
#define ICL_DECODE_KNN_HPP

/// Task (concept) decodability (METRICS.md 3): leave-one-out k-nearest-neighbour accuracy of the
/// task labels from one layer's hidden states, per class, per pair of classes and per layer.
///
/// For each point i: remove it, find its k nearest neighbours among the other n − 1 points, and
/// predict the majority label among them. Vote ties go to the lowest label (scikit-learn's
/// KNeighborsClassifier: classes sorted, argmax takes the first); distance ties between
/// neighbours go to the smaller row index. TD = accuracy over all points; per-class TD = accuracy
/// within a class. The result equals KNeighborsClassifier(n_neighbors=k, algorithm='brute')
/// fitted on the other n − 1 points, for every i. See docs/decodability.md.

#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "icl/core/error.hpp"
#include "icl/core/labels.hpp"
#include "icl/core/view.hpp"
#include "icl/decode/detail/knn_impl.hpp"
#include "icl/layers.hpp"

namespace icl::decode {

/// The distance between hidden states.
enum class distance_metric {
  euclidean,  ///< ‖a − b‖₂ (default)
  cosine      ///< 1 − aᵀb / (‖a‖‖b‖) (scikit-learn metric='cosine'); a zero row is an error
};

inline const char* to_string(distance_metric m) noexcept {
  return m == distance_metric::euclidean ? "euclidean" : "cosine";
}

/// Options of every decodability function.
struct decode_params {
  /// Number of neighbours. Default 10 ([P3]). Must satisfy 1 <= k <= n − 1.
  std::size_t k = 10;
  /// Distance between states. Default: euclidean.
  distance_metric metric = distance_metric::euclidean;
  /// Rows per Gram tile (0 = automatic: 1024 for float, f16 and bf16 input, 724 for double).
  /// Memory is O(n·k + b·d + b²); results do not depend on it.
  std::size_t block_size = 0;
};

/// Leave-one-out kNN decodability of one layer.
struct decodability_result {
  double overall;                          ///< accuracy over all n points
  std::vector<double> per_class;           ///< per_class[c]: accuracy within class classes[c]
  std::vector<int> classes;                ///< the distinct labels, increasing
  std::vector<std::size_t> class_counts;   ///< points per class, same order
  std::vector<int> predictions;            ///< predicted label of each point (its own excluded)
  std::size_t k = 0;                       ///< neighbours used
  distance_metric metric = distance_metric::euclidean;  ///< distance used
};

/// The k nearest neighbours of every point among the other n − 1 (no labels involved).
struct neighbor_result {
  std::size_t n = 0, k = 0;
  std::vector<std::size_t> indices;  ///< n x k row-major: neighbours of i, nearest first
  std::vector<double> distances;     ///< n x k: their distances (Euclidean or cosine distance)
  distance_metric metric = distance_metric::euclidean;

  std::size_t index(std::size_t i, std::size_t rank) const { return indices.at(i * k + rank); }
  double distance(std::size_t i, std::size_t rank) const { return distances.at(i * k + rank); }
};

/// Pairwise decodability: entry (a, b) is the leave-one-out kNN accuracy computed on the points
/// of classes a and b only. Symmetric; the diagonal is NaN (a class against itself is undefined).
struct pairwise_result {
  std::vector<int> classes;    ///< the distinct labels, increasing; row/column c is classes[c]
  std::vector<double> values;  ///< m x m, row-major
  std::size_t k = 0;
  distance_metric metric = distance_metric::euclidean;

  std::size_t size() const noexcept { return classes.size(); }
  double operator()(std::size_t a, std::size_t b) const { return values.at(a * classes.size() + b); }
};

namespace detail {

template <class T>
void check_states(const char* fn, matrix_view<const T> H) {
  icl::detail::check_matrix(fn, "H", H);
  if (H.empty()) icl::detail::throw_invalid(fn, "H is empty (", H.rows(), " x ", H.cols(), ")");
}

inline void check_k(const char* fn, std::size_t k, std::size_t n) {
  if (k == 0 || k >= n) {
    icl::detail::throw_invalid(fn, "k = ", k, " must satisfy 1 <= k <= n - 1 = ", n - 1, " (n = ", n, " points)");
  }
}

inline distance_kind kind_of(distance_metric m) noexcept {
  return m == distance_metric::euclidean ? distance_kind::euclidean : distance_kind::cosine;
}

/// Majority vote over the k neighbours held in `lists` (one list per row); ties → lowest class.
inline decodability_result score(const candidate_lists& lists, const icl::detail::encoded_labels& enc,
                                 const decode_params& params) {
  const std::size_t n = lists.n, k = lists.k, m = enc.n_classes();
  decodability_result out{};
  out.per_class.assign(m, 0.0);
  out.classes = enc.classes;
  out.class_counts = enc.counts;
  out.predictions.resize(n);
  out.k = k;
  out.metric = params.metric;
  std::vector<std::size_t> votes(m, 0), correct(m, 0);
  std::size_t total = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t* nb = lists.index.data() + i * k;
    for (std::size_t r = 0; r < k; ++r) ++votes[enc.codes[nb[r]]];
    std::size_t best = enc.codes[nb[0]];
    for (std::size_t r = 0; r < k; ++r) {
      const std::size_t c = enc.codes[nb[r]];
      if (votes[c] > votes[best] || (votes[c] == votes[best] && c < best)) best = c;
    }
    for (std::size_t r = 0; r < k; ++r) votes[enc.codes[nb[r]]] = 0;
    out.predictions[i] = enc.classes[best];
    if (best == enc.codes[i]) {
      ++correct[best];
      ++total;
    }
  }
  out.overall = static_cast<double>(total) / static_cast<double>(n);
  for (std::size_t c = 0; c < m; ++c) {
    out.per_class[c] = static_cast<double>(correct[c]) / static_cast<double>(enc.counts[c]);
  }
  return out;
}

template <class T>
decodability_result decodability(const char* fn, matrix_view<const T> H, const icl::detail::encoded_labels& enc,
                                 const decode_params& params) {
  check_k(fn, params.k, H.rows());
  candidate_lists lists;
  nearest_neighbors(fn, H, params.k, kind_of(params.metric), params.block_size, nullptr, 0, lists);
  return score(lists, enc, params);
}

}  // namespace detail

/// Leave-one-out kNN decodability of `labels` from the rows of H (n points x d features), with
/// the options in `params`. Labels may be any int values (mapped to sorted classes as
/// scikit-learn's classes_). Computed through tiled Gram products in float for float, f16 and
/// bf16 input, in double for double input; squared norms in double.
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

/// The k nearest neighbours of every row of H among the other rows (params.k, params.metric,
/// params.block_size), nearest first, distance ties by smaller index. Same errors as
/// task_decodability, without the label checks.
template <class T>
neighbor_result loo_neighbors(matrix_view<const T> H, const decode_params& params = {}) {
  const char* fn = "icl::decode::loo_neighbors";
  detail::check_states(fn, H);
  detail::check_k(fn, params.k, H.rows());
  detail::candidate_lists lists;
  detail::nearest_neighbors(fn, H, params.k, detail::kind_of(params.metric), params.block_size, nullptr, 0, lists);
  neighbor_result out;
  out.n = H.rows();
  out.k = params.k;
  out.metric = params.metric;
  out.indices = std::move(lists.index);
  out.distances = std::move(lists.dist);
  if (params.metric == distance_metric::euclidean) {
    for (double& v : out.distances) v = std::sqrt(v > 0.0 ? v : 0.0);
  }
  return out;
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
  const std::size_t k = params.k, m = enc.n_classes(), n = H.rows();
  detail::check_k(fn, k, n);
  for (std::size_t a = 0; a < m; ++a) {
    for (std::size_t b = a + 1; b < m; ++b) {
      if (enc.counts[a] + enc.counts[b] < k + 1) {
        icl::detail::throw_invalid(fn, "classes ", enc.classes[a], " and ", enc.classes[b], " have ",
                                   enc.counts[a] + enc.counts[b], " points together, need at least k + 1 = ", k + 1);
      }
    }
  }
  detail::candidate_lists lists;
  detail::nearest_neighbors(fn, H, k, detail::kind_of(params.metric), params.block_size, &enc.codes, m, lists);

  pairwise_result out;
  out.classes = enc.classes;
  out.k = k;
  out.metric = params.metric;
  out.values.assign(m * m, std::numeric_limits<double>::quiet_NaN());
  // correct[a * m + b]: points of class a classified correctly against class b.
  std::vector<std::size_t> correct(m * m, 0);
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t own = enc.codes[i];
    const std::size_t list_own = i * m + own;
    for (std::size_t other = 0; other < m; ++other) {
      if (other == own) continue;
      const std::size_t list_other = i * m + other;
      // Merge the two sorted lists; the first k by (distance, index) are the neighbours.
      std::size_t p = 0, q = 0, votes_own = 0, votes_other = 0;
      const std::size_t np = lists.count[list_own], nq = lists.count[list_other];
      const double* dp = lists.dist.data() + list_own * k;
      const double* dq = lists.dist.data() + list_other * k;
      const std::size_t* xp = lists.index.data() + list_own * k;
      const std::size_t* xq = lists.index.data() + list_other * k;
      for (std::size_t r = 0; r < k; ++r) {
        const bool take_own =
            q == nq || (p < np && (dp[p] < dq[q] || (dp[p] == dq[q] && xp[p] < xq[q])));
        if (take_own) {
          ++p;
          ++votes_own;
        } else {
          ++q;
          ++votes_other;
        }
      }
      const bool right = votes_own > votes_other || (votes_own == votes_other && own < other);
      if (right) ++correct[own * m + other];
    }
  }
  for (std::size_t a = 0; a < m; ++a) {
    for (std::size_t b = a + 1; b < m; ++b) {
      const double v = static_cast<double>(correct[a * m + b] + correct[b * m + a]) /
                       static_cast<double>(enc.counts[a] + enc.counts[b]);
      out.values[a * m + b] = v;
      out.values[b * m + a] = v;
    }
  }
  return out;
}

/// Builds a decodability curve one layer at a time (an inference engine's evaluation callback
/// can feed each layer's states as it is computed, then drop them).
class decodability_tracker {
 public:
  /// Labels of the n points (checked: at least two classes) and the options for every layer.
  explicit decodability_tracker(const std::vector<int>& labels, decode_params params = {})
      : labels_(icl::detail::encode_labels("icl::decode::decodability_tracker", labels, labels.size(), 2, "H")),
        params_(params) {}

  /// Adds the next layer's states (n x d; d the same for every layer) and returns its result
  /// (a reference into layers(), valid until the next add_layer).
  template <class T>
  const decodability_result& add_layer(matrix_view<const T> H) {
    const char* fn = "icl::decode::decodability_tracker::add_layer";
    const std::size_t layer = results_.size();
    if (H.rows() != labels_.codes.size()) {
      icl::detail::throw_invalid(fn, "layer ", layer, " has ", H.rows(), " rows but labels has ",
                                 labels_.codes.size(), " entries");
    }
    if (layer > 0 && H.cols() != features_) {
      icl::detail::throw_invalid(fn, "layer ", layer, " has ", H.cols(), " features but layer 0 had ", features_);
    }
    detail::check_states(fn, H);
    results_.push_back(detail::decodability(fn, H, labels_, params_));
    features_ = H.cols();
    curve_.values.push_back(results_.back().overall);
    return results_.back();
  }

  /// Overall TD of each layer added so far.
  const layer_curve& curve() const noexcept { return curve_; }
  /// Full result of each layer added so far.
  const std::vector<decodability_result>& layers() const noexcept { return results_; }
  /// The layer of highest overall TD (the first on ties); throws when no layer was added.
  std::size_t peak_layer() const { return curve_.peak_layer(); }
  const decode_params& params() const noexcept { return params_; }

 private:
  icl::detail::encoded_labels labels_;
  decode_params params_;
  std::vector<decodability_result> results_;
  layer_curve curve_;
  std::size_t features_ = 0;
};

/// Decodability of every layer.
struct decodability_curve_result {
  layer_curve curve;                         ///< overall TD per layer
  std::vector<decodability_result> layers;   ///< full result per layer
  std::size_t peak_layer = 0;                ///< curve.peak_layer(): highest TD, first on ties
};

/// Decodability of every layer of H ([layers, n, d], any strides).
template <class T>
decodability_curve_result decodability_curve(tensor_view<const T, 3> H, const std::vector<int>& labels,
                                             const decode_params& params = {}) {
  const char* fn = "icl::decode::decodability_curve";
  const std::size_t layers = icl::detail::check_layers(fn, "H", H);
  if (H.extent(1) != labels.size()) {
    icl::detail::throw_invalid(fn, "H has ", H.extent(1), " rows per layer but labels has ", labels.size(), " entries");
  }
  decodability_tracker tracker(labels, params);
  for (std::size_t l = 0; l < layers; ++l) tracker.add_layer(H.matrix(l));
  decodability_curve_result out;
  out.curve = tracker.curve();
  out.layers = tracker.layers();
  out.peak_layer = out.curve.peak_layer();
  return out;
}

}  // namespace icl::decode

#endif  // ICL_DECODE_KNN_HPP
