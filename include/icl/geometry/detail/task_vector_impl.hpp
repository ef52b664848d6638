#ifndef ICL_GEOMETRY_DETAIL_TASK_VECTOR_IMPL_HPP
#define ICL_GEOMETRY_DETAIL_TASK_VECTOR_IMPL_HPP

/// The checks and bodies of icl/geometry/task_vectors.hpp. Means are accumulated in double.

#include <cmath>
#include <cstddef>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "icl/core/error.hpp"
#include "icl/core/view.hpp"

namespace icl::geometry::detail {

/// Checks a head list against `layers` x `heads`: not empty, every pair in range.
inline void check_head_list(const char* fn, const std::vector<std::pair<std::size_t, std::size_t>>& list,
                            std::size_t layers, std::size_t heads) {
  if (list.empty()) icl::detail::throw_invalid(fn, "the head list is empty");
  for (std::size_t k = 0; k < list.size(); ++k) {
    if (list[k].first >= layers || list[k].second >= heads) {
      icl::detail::throw_invalid(fn, "heads[", k, "] = (", list[k].first, ", ", list[k].second,
                                 ") is out of range for outputs of ", layers, " layers x ", heads, " heads");
    }
  }
}

/// Mean over the listed heads (and over the prompts of a 4-D tensor) of the output vectors,
/// O [layers, heads, d] or [prompts, layers, heads, d]; each value must be finite.
template <class T, std::size_t N>
std::vector<double> mean_head_output(const char* fn, tensor_view<const T, N> O,
                                     const std::vector<std::pair<std::size_t, std::size_t>>& list) {
  static_assert(N == 3 || N == 4, "outputs are [layers, heads, d] or [prompts, layers, heads, d]");
  constexpr std::size_t first = N - 3;  // axis of the layers
  const std::size_t prompts = N == 4 ? O.extent(0) : 1, d = O.extent(first + 2);
  if (prompts == 0 || d == 0) icl::detail::throw_invalid(fn, "the outputs are empty (no prompt or d = 0)");
  if (O.data() == nullptr) icl::detail::throw_invalid(fn, "the outputs have a null data pointer");
  std::vector<double> mean(d, 0.0);
  for (std::size_t p = 0; p < prompts; ++p) {
    for (const auto& head : list) {
      for (std::size_t j = 0; j < d; ++j) {
        double value = 0.0;
        if constexpr (N == 4) {
          value = icl::detail::to_double(O(p, head.first, head.second, j));
        } else {
          value = icl::detail::to_double(O(head.first, head.second, j));
        }
        if (!std::isfinite(value)) {
          icl::detail::throw_invalid(fn, "the output of head (", head.first, ", ", head.second, ") holds ", value,
                                     " at [", j, "]", N == 4 ? icl::detail::concat(" of prompt ", p) : std::string());
        }
        mean[j] += value;
      }
    }
  }
  const double count = static_cast<double>(prompts * list.size());
  for (double& v : mean) v /= count;
  return mean;
}

/// The body of head_task_vector: the list checked against the layers x heads of O ([layers,
/// heads, d] or [prompts, layers, heads, d]), then mean_head_output.
template <class T, std::size_t N>
std::vector<double> checked_head_mean(const char* fn, tensor_view<const T, N> O,
                                      const std::vector<std::pair<std::size_t, std::size_t>>& list) {
  check_head_list(fn, list, O.extent(N - 3), O.extent(N - 2));
  return mean_head_output(fn, O, list);
}

/// Column means of H (n x d, checked: n >= 1, finite).
template <class T>
std::vector<double> mean_rows(matrix_view<const T> H) {
  std::vector<double> mean(H.cols(), 0.0);
  for (std::size_t i = 0; i < H.rows(); ++i)
    for (std::size_t j = 0; j < H.cols(); ++j) mean[j] += icl::detail::to_double(H(i, j));
  for (double& v : mean) v /= static_cast<double>(H.rows());
  return mean;
}

/// Checks the states of mean_state_task_vector: at least one row and column, finite.
template <class T>
void check_states(const char* fn, matrix_view<const T> H) {
  icl::detail::check_matrix(fn, "states", H);
  if (H.empty()) icl::detail::throw_invalid(fn, "states is empty (", H.rows(), " x ", H.cols(), ")");
  icl::detail::require_finite(fn, "states", H);
}

/// Checks inject_task_vector's arguments: v has one entry per column of h, v and λ finite.
template <class T>
void check_injection(const char* fn, const matrix_view<T>& h, const std::vector<double>& v, double lambda) {
  icl::detail::check_matrix(fn, "h", h);
  if (v.size() != h.cols()) icl::detail::throw_invalid(fn, "v has ", v.size(), " entries but h has d = ", h.cols());
  if (!std::isfinite(lambda)) icl::detail::throw_invalid(fn, "lambda = ", lambda, " is not finite");
  for (std::size_t j = 0; j < v.size(); ++j) {
    if (!std::isfinite(v[j])) icl::detail::throw_invalid(fn, "v[", j, "] = ", v[j], " is not finite");
  }
}

/// h(i, j) ← h(i, j) + λ v_j, the sum in double, rounded once to T (f16/bf16 through float).
template <class T>
void add_scaled(const matrix_view<T>& h, const std::vector<double>& v, double lambda) {
  for (std::size_t i = 0; i < h.rows(); ++i) {
    for (std::size_t j = 0; j < h.cols(); ++j) {
      const double sum = icl::detail::to_double(h(i, j)) + lambda * v[j];
      if constexpr (std::is_same_v<T, double>) {
        h(i, j) = sum;
      } else if constexpr (std::is_same_v<T, float>) {
        h(i, j) = static_cast<float>(sum);
      } else {
        h(i, j) = T(static_cast<float>(sum));
      }
    }
  }
}

}  // namespace icl::geometry::detail

#endif  // ICL_GEOMETRY_DETAIL_TASK_VECTOR_IMPL_HPP
