#ifndef ICL_DECODE_TYPES_HPP
#define ICL_DECODE_TYPES_HPP

/// The public types of task decodability (icl/decode/knn.hpp): the dissimilarity between hidden
/// states, the options of every decodability function, and their results.

#include <array>
#include <cstddef>
#include <string_view>
#include <utility>
#include <vector>

#include "icl/core/enum_names.hpp"
#include "icl/layers.hpp"

namespace icl::decode {

/// How two hidden states are compared (the neighbours of a point are the rows of least
/// dissimilarity).
enum class dissimilarity {
  euclidean,  ///< ‖a − b‖₂ (default)
  cosine      ///< 1 − aᵀb / (‖a‖‖b‖) (scikit-learn metric='cosine'); a zero row is an error
};

/// Names of icl::decode::dissimilarity: "euclidean", "cosine".
constexpr enum_table<dissimilarity, 2> icl_enum_table(dissimilarity) {
  return {"icl::decode::dissimilarity", {{{dissimilarity::euclidean, "euclidean"},
                                          {dissimilarity::cosine, "cosine"}}}};
}

/// Options of every decodability function.
struct decode_params {
  /// Number of neighbours. Default 10 ([P3]). Must satisfy 1 <= k <= n − 1.
  std::size_t k = 10;
  /// Dissimilarity between states. Default: euclidean.
  decode::dissimilarity dissimilarity = decode::dissimilarity::euclidean;
  /// Rows per Gram tile (0 = automatic: all n rows up to 2048 for float, f16 and bf16 input and
  /// 1448 for double, else the fewest equal blocks of at most that many; on the device and over
  /// MPI 1024 and 724). Memory is O(n·k + b·d + b²); results do not depend on it.
  std::size_t block_rows = 0;
};

/// Leave-one-out kNN decodability of one layer.
struct decodability_result {
  double overall;                          ///< accuracy over all n points
  std::vector<double> per_class;           ///< per_class[c]: accuracy within class classes[c]
  std::vector<int> classes;                ///< the distinct labels, increasing
  std::vector<std::size_t> class_counts;   ///< points per class, same order
  std::vector<int> predictions;            ///< predicted label of each point (its own excluded)
  std::size_t k = 0;                       ///< neighbours used
  decode::dissimilarity dissimilarity = decode::dissimilarity::euclidean;  ///< dissimilarity used
};

/// The k nearest neighbours of every point among the other n − 1 (no labels involved).
struct neighbor_result {
  std::size_t n = 0, k = 0;
  std::vector<std::size_t> indices;  ///< n x k row-major: neighbours of i, nearest first
  std::vector<double> distances;     ///< n x k: their dissimilarities (Euclidean or cosine distance)
  decode::dissimilarity dissimilarity = decode::dissimilarity::euclidean;

  std::size_t index(std::size_t i, std::size_t rank) const { return indices.at(i * k + rank); }
  double distance(std::size_t i, std::size_t rank) const { return distances.at(i * k + rank); }
};

/// Pairwise decodability: entry (a, b) is the leave-one-out kNN accuracy computed on the points
/// of classes a and b only. Symmetric; the diagonal is NaN (a class against itself is undefined).
struct pairwise_result {
  std::vector<int> classes;    ///< the distinct labels, increasing; row/column c is classes[c]
  std::vector<double> values;  ///< m x m, row-major
  std::size_t k = 0;
  decode::dissimilarity dissimilarity = decode::dissimilarity::euclidean;

  std::size_t size() const noexcept { return classes.size(); }
  double operator()(std::size_t a, std::size_t b) const { return values.at(a * classes.size() + b); }
};

/// Decodability of every layer.
struct decodability_curve_result {
  layer_curve curve;                         ///< overall TD per layer
  std::vector<decodability_result> layers;   ///< full result per layer
  std::size_t peak_layer = 0;                ///< curve.peak_layer(): highest TD, first on ties
};

}  // namespace icl::decode

#endif  // ICL_DECODE_TYPES_HPP
