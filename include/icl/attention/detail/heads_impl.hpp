#ifndef ICL_ATTENTION_DETAIL_HEADS_IMPL_HPP
#define ICL_ATTENTION_DETAIL_HEADS_IMPL_HPP

/// Kernels of the head scores: previous-token and induction scores, label attention per class,
/// top heads, and the names of previous_token_accumulator and induction_accumulator.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <numeric>
#include <utility>
#include <vector>

#include "icl/attention/detail/accumulator.hpp"
#include "icl/attention/detail/attention_checks.hpp"
#include "icl/attention/detail/row_sums.hpp"
#include "icl/attention/types.hpp"
#include "icl/core/labels.hpp"
#include "icl/core/view.hpp"

namespace icl::attention::detail {

template <class T>
head_map previous_token_impl(const char* function, const tensor_view<const T, 4>& A) {
  const auto s = check_attention(function, A, 2);
  head_map out = zero_head_map(s);
  for (std::size_t l = 0; l < s.layers; ++l) {
    for (std::size_t h = 0; h < s.heads; ++h) {
      double total = 0.0;
      for (std::size_t k = 1; k < s.tokens; ++k) {
        const double v = s.at(s.row(l, h, k), k - 1);
        if (!(v - v == 0.0)) throw_non_finite(function, l, h, k, k - 1, v);
        total += v;
      }
      out.values[l * s.heads + h] = total;
    }
  }
  return out;
}

template <class T>
head_map induction_impl(const char* function, const tensor_view<const T, 4>& A,
                        const std::vector<std::size_t>& label_positions, const attention_params& params) {
  const auto s = check_attention(function, A);
  check_positions(function, "label_positions", label_positions, s.tokens);
  const std::vector<std::size_t> last{s.tokens - 1};
  head_map out = zero_head_map(s);
  for (std::size_t l = 0; l < s.layers; ++l) {
    for (std::size_t h = 0; h < s.heads; ++h) {
      check_full_row(function, s, l, h, s.tokens - 1, params);
      out.values[l * s.heads + h] = mass(s, l, h, last, label_positions);
    }
  }
  return out;
}

template <class T>
label_attention_map label_attention_impl(const char* function, const tensor_view<const T, 4>& A,
                                         const std::vector<std::size_t>& label_positions, const std::vector<int>& labels,
                                         const attention_params& params) {
  const auto s = check_attention(function, A);
  check_positions(function, "label_positions", label_positions, s.tokens);
  const auto enc = icl::detail::encode_labels(function, labels, label_positions.size(), 1, "label_positions");
  label_attention_map out;
  out.layers = s.layers;
  out.heads = s.heads;
  out.classes = enc.classes;
  const std::size_t C = enc.n_classes();
  out.values.assign(s.layers * s.heads * C, 0.0);
  for (std::size_t l = 0; l < s.layers; ++l) {
    for (std::size_t h = 0; h < s.heads; ++h) {
      check_full_row(function, s, l, h, s.tokens - 1, params);
      const T* r = s.row(l, h, s.tokens - 1);
      double* dst = out.values.data() + (l * s.heads + h) * C;
      for (std::size_t i = 0; i < label_positions.size(); ++i) dst[enc.codes[i]] += s.at(r, label_positions[i]);
    }
  }
  return out;
}

inline std::vector<std::pair<std::size_t, std::size_t>> top_heads_impl(const char* function, const head_map& s,
                                                                       double fraction) {
  if (!(fraction > 0.0 && fraction <= 1.0)) throw_invalid(function, "fraction = ", fraction, " must be in (0, 1]");
  check_head_map(function, s, "score");
  const std::size_t n = s.layers * s.heads;
  auto count = static_cast<std::size_t>(std::ceil(fraction * static_cast<double>(n) - 1e-9));
  count = std::min(n, std::max<std::size_t>(count, 1));
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return s.values[a] > s.values[b]; });
  std::vector<std::pair<std::size_t, std::size_t>> out;
  out.reserve(count);
  for (std::size_t i = 0; i < count; ++i) out.emplace_back(order[i] / s.heads, order[i] % s.heads);
  return out;
}

inline constexpr char previous_token_accumulator_name[] = "icl::attention::previous_token_accumulator";
inline constexpr char induction_accumulator_name[] = "icl::attention::induction_accumulator";

}  // namespace icl::attention::detail

#endif  // ICL_ATTENTION_DETAIL_HEADS_IMPL_HPP
