#ifndef ICL_CORE_LABELS_HPP
#define ICL_CORE_LABELS_HPP

/// Class labels as every classifier-shaped metric takes them (probes, task decodability,
/// separability): any int values, negative and non-contiguous ones included. They are mapped to
/// class indices 0..m−1 in increasing label order — scikit-learn's `classes_` convention — and
/// results report per-class values in that order together with the original labels.

#include <algorithm>
#include <cstddef>
#include <vector>

#include "icl/core/error.hpp"

namespace icl::detail {

/// Labels mapped to class indices.
struct encoded_labels {
  std::vector<int> classes;          ///< the distinct labels, increasing; class c has label classes[c]
  std::vector<std::size_t> codes;    ///< codes[i] = class index of sample i
  std::vector<std::size_t> counts;   ///< counts[c] = number of samples of class c

  std::size_t n_classes() const noexcept { return classes.size(); }
};

/// Encodes `labels`, checking that there is one per sample (`expected_count`, the number of rows
/// of the data) and, when `min_classes` > 0, that at least that many distinct classes occur.
/// Errors name `function`, e.g. "icl::decode::task_decodability: labels has 9 entries but H has 10 rows".
inline encoded_labels encode_labels(const char* function, const std::vector<int>& labels, std::size_t expected_count,
                                    std::size_t min_classes = 2, const char* data_name = "X") {
  if (labels.size() != expected_count) {
    throw_invalid(function, "labels has ", labels.size(), " entries but ", data_name, " has ", expected_count, " rows");
  }
  encoded_labels out;
  out.classes = labels;
  std::sort(out.classes.begin(), out.classes.end());
  out.classes.erase(std::unique(out.classes.begin(), out.classes.end()), out.classes.end());
  if (out.classes.size() < min_classes) {
    throw_invalid(function, "labels hold ", out.classes.size(), " distinct class(es), need at least ", min_classes);
  }
  out.codes.resize(labels.size());
  out.counts.assign(out.classes.size(), 0);
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const auto it = std::lower_bound(out.classes.begin(), out.classes.end(), labels[i]);
    const auto c = static_cast<std::size_t>(it - out.classes.begin());
    out.codes[i] = c;
    ++out.counts[c];
  }
  return out;
}

}  // namespace icl::detail

#endif  // ICL_CORE_LABELS_HPP
