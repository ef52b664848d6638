#ifndef ICL_ATTENTION_DETAIL_BIAS_MEASURES_IMPL_HPP
#define ICL_ATTENTION_DETAIL_BIAS_MEASURES_IMPL_HPP

/// Kernels of [P4]'s bias measures (docs/metrics.md 5): accuracies of 0/1 correctness vectors, their
/// gap, and standard deviations with a chosen ddof (two-pass: mean, then squared deviations).

#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

#include "icl/attention/types.hpp"
#include "icl/core/error.hpp"
#include "icl/core/view.hpp"

namespace icl::attention::detail {

using namespace icl::detail;  // NOLINT(google-build-using-namespace): core helpers

/// Mean of a 0/1 vector; `name` spells it in messages.
inline double accuracy_of(const char* function, const char* name, const std::vector<int>& correct) {
  if (correct.empty()) throw_invalid(function, name, " is empty");
  double hits = 0.0;
  for (std::size_t i = 0; i < correct.size(); ++i) {
    if (correct[i] != 0 && correct[i] != 1) throw_invalid(function, name, "[", i, "] = ", correct[i], " is not 0 or 1");
    hits += correct[i];
  }
  return hits / static_cast<double>(correct.size());
}

/// Standard deviation of values with divisor n − ddof (n > ddof checked by the caller).
inline double deviation(const std::vector<double>& values, std::size_t ddof) {
  double mean = 0.0;
  for (double v : values) mean += v;
  mean /= static_cast<double>(values.size());
  double ss = 0.0;
  for (double v : values) ss += (v - mean) * (v - mean);
  return std::sqrt(ss / static_cast<double>(values.size() - ddof));
}

inline accuracy_gap majority_label_gap(const char* function, const std::vector<int>& balanced,
                                       const std::vector<int>& reduced) {
  accuracy_gap out;
  out.balanced = accuracy_of(function, "balanced_correct", balanced);
  out.reduced = accuracy_of(function, "reduced_correct", reduced);
  out.gap = out.balanced - out.reduced;
  return out;
}

inline double order_accuracy_std(const char* function, const std::vector<std::vector<int>>& correct_by_order,
                                 std::size_t ddof) {
  if (correct_by_order.size() <= ddof) {
    throw_invalid(function, "correct_by_order has ", correct_by_order.size(), " orders; ddof = ", ddof,
                  " needs more than ", ddof);
  }
  std::vector<double> accuracies;
  accuracies.reserve(correct_by_order.size());
  for (std::size_t r = 0; r < correct_by_order.size(); ++r) {
    const std::string name = concat("correct_by_order[", r, "]");
    accuracies.push_back(accuracy_of(function, name.c_str(), correct_by_order[r]));
  }
  return deviation(accuracies, ddof);
}

template <class T>
std::vector<double> label_attention_std(const char* function, matrix_view<const T> attention, std::size_t ddof) {
  check_matrix(function, "attention", attention);
  if (attention.cols() == 0) throw_invalid(function, "attention has no column (heads)");
  if (attention.rows() <= ddof) {
    throw_invalid(function, "attention has ", attention.rows(), " rows (orders); ddof = ", ddof, " needs more than ", ddof);
  }
  require_finite(function, "attention", attention);
  std::vector<double> out(attention.cols());
  std::vector<double> column(attention.rows());
  for (std::size_t j = 0; j < attention.cols(); ++j) {
    for (std::size_t r = 0; r < attention.rows(); ++r) column[r] = to_double(attention(r, j));
    out[j] = deviation(column, ddof);
  }
  return out;
}

}  // namespace icl::attention::detail

#endif  // ICL_ATTENTION_DETAIL_BIAS_MEASURES_IMPL_HPP
