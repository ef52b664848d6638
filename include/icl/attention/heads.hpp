#ifndef ICL_ATTENTION_HEADS_HPP
#define ICL_ATTENTION_HEADS_HPP

/// Head scores (METRICS.md section 5, P2 and P4), per (layer, head) of one prompt's attention
/// [layers, heads, T, T] (row q = query position, 0-based positions):
///
///   previous_token_score  PTH(l, h) = sum_{k=1..T-1} A[l,h,k,k-1]       (reads the subdiagonal)
///   induction_score       IH(l, h)  = sum_{k in label positions} A[l,h,T-1,k]   (reads row T-1)
///   label_attention       per label class c: sum_{p labelled c} A[l,h,T-1,p]    (reads row T-1)
///
/// Over many prompts the scores are sums (METRICS.md): previous_token_accumulator and
/// induction_accumulator add one prompt at a time and merge across workers.
/// top_heads picks the highest-scoring (layer, head) pairs.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <numeric>
#include <utility>
#include <vector>

#include "icl/attention/detail/attention_impl.hpp"
#include "icl/core/labels.hpp"

namespace icl::attention {

/// PTH for one prompt. Errors: non-square maps, T < 2, no layer/head, NaN/Inf on the subdiagonal.
template <class T>
head_map previous_token_score(tensor_view<const T, 4> A) {
  return detail::previous_token_impl("icl::attention::previous_token_score", A);
}
template <class T>
head_map previous_token_score(tensor_view<const T, 3> A) {
  return detail::previous_token_impl("icl::attention::previous_token_score", detail::as_one_layer(A));
}

/// IH for one prompt: attention from the last position T-1 to the label positions. Errors:
/// non-square maps, empty/repeated/out-of-range label positions, NaN/Inf or all zeros in row
/// T-1, and with params.check_row_sums a row T-1 whose sum is not 1.
template <class T>
head_map induction_score(tensor_view<const T, 4> A, const std::vector<std::size_t>& label_positions,
                         const attention_params& params = {}) {
  return detail::induction_impl("icl::attention::induction_score", A, label_positions, params);
}
template <class T>
head_map induction_score(tensor_view<const T, 3> A, const std::vector<std::size_t>& label_positions,
                         const attention_params& params = {}) {
  return detail::induction_impl("icl::attention::induction_score", detail::as_one_layer(A), label_positions, params);
}

/// The ceil(fraction * layers * heads) (layer, head) pairs of highest score, highest first;
/// equal scores keep (layer, head) order. To absorb the rounding of fraction * n (0.3 * 10 is
/// 3.0000000000000004 in double), the count is ceil(fraction * n - 1e-9). +inf ranks first.
/// Errors: fraction not in (0, 1], an empty map, values.size() != layers * heads, a NaN score.
inline std::vector<std::pair<std::size_t, std::size_t>> top_heads(const head_map& s, double fraction = 0.1) {
  constexpr const char* fn = "icl::attention::top_heads";
  if (!(fraction > 0.0 && fraction <= 1.0)) detail::throw_invalid(fn, "fraction = ", fraction, " must be in (0, 1]");
  const std::size_t n = s.layers * s.heads;
  if (n == 0) detail::throw_invalid(fn, "the head map is empty (", s.layers, " layers x ", s.heads, " heads)");
  if (s.values.size() != n) {
    detail::throw_invalid(fn, "values has ", s.values.size(), " entries, expected layers x heads = ", n);
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (std::isnan(s.values[i])) {
      detail::throw_invalid(fn, "score of layer ", i / s.heads, ", head ", i % s.heads, " is NaN");
    }
  }
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

/// Sum of previous_token_score over prompts (prompts may have different T), fed a whole prompt
/// (add) or one layer of a prompt at a time (add_layer, as an inference engine computes them).
class previous_token_accumulator {
 public:
  template <class T>
  void add(tensor_view<const T, 4> A) {
    constexpr const char* fn = "icl::attention::previous_token_accumulator::add";
    sum_.add(fn, detail::previous_token_impl(fn, A));
  }
  /// Adds layer `layer` of one prompt, [heads, T, T]; every layer must be fed before result().
  template <class T>
  void add_layer(std::size_t layer, tensor_view<const T, 3> A) {
    constexpr const char* fn = "icl::attention::previous_token_accumulator::add_layer";
    sum_.add_layer(fn, layer, detail::previous_token_impl(fn, detail::as_one_layer(A)));
  }
  void merge(const previous_token_accumulator& other) {
    sum_.merge("icl::attention::previous_token_accumulator::merge", other.sum_);
  }
  /// Prompts added (with add_layer: the most any layer received).
  std::size_t prompts() const noexcept { return sum_.prompts(); }
  /// Prompts received by each layer.
  const std::vector<std::size_t>& layer_prompts() const noexcept { return sum_.layer_prompts(); }
  /// The sum over the prompts added; icl::invalid_argument when none was added or a layer
  /// received none.
  head_map result() const { return sum_.total("icl::attention::previous_token_accumulator::result"); }

 private:
  detail::layered_sum sum_;
};

/// Sum of induction_score over prompts (each prompt with its own T and label positions), fed a
/// whole prompt (add) or one layer at a time (add_layer).
class induction_accumulator {
 public:
  explicit induction_accumulator(attention_params params = {}) : params_(params) {}
  template <class T>
  void add(tensor_view<const T, 4> A, const std::vector<std::size_t>& label_positions) {
    constexpr const char* fn = "icl::attention::induction_accumulator::add";
    sum_.add(fn, detail::induction_impl(fn, A, label_positions, params_));
  }
  /// Adds layer `layer` of one prompt, [heads, T, T]; every layer must be fed before result().
  template <class T>
  void add_layer(std::size_t layer, tensor_view<const T, 3> A, const std::vector<std::size_t>& label_positions) {
    constexpr const char* fn = "icl::attention::induction_accumulator::add_layer";
    sum_.add_layer(fn, layer, detail::induction_impl(fn, detail::as_one_layer(A), label_positions, params_));
  }
  void merge(const induction_accumulator& other) {
    sum_.merge("icl::attention::induction_accumulator::merge", other.sum_);
  }
  /// Prompts added (with add_layer: the most any layer received).
  std::size_t prompts() const noexcept { return sum_.prompts(); }
  /// Prompts received by each layer.
  const std::vector<std::size_t>& layer_prompts() const noexcept { return sum_.layer_prompts(); }
  /// The sum over the prompts added; icl::invalid_argument when none was added or a layer
  /// received none.
  head_map result() const { return sum_.total("icl::attention::induction_accumulator::result"); }

 private:
  attention_params params_;
  detail::layered_sum sum_;
};

/// Attention from the last position to the label positions, summed per label class.
struct label_attention_map {
  std::size_t layers = 0, heads = 0;
  std::vector<int> classes;     ///< distinct labels, increasing
  std::vector<double> values;   ///< row-major [layers, heads, classes]
  double operator()(std::size_t layer, std::size_t head, std::size_t c) const {
    return values[(layer * heads + head) * classes.size() + c];
  }
};

/// label_attention [P4]: for each (layer, head) and label class c, sum over the label positions
/// p with labels[i] == c of A[l, h, T-1, p]. labels[i] is the label of label_positions[i]; one
/// class is enough. Errors: as induction_score, plus labels.size() != label_positions.size().
template <class T>
label_attention_map label_attention(tensor_view<const T, 4> A, const std::vector<std::size_t>& label_positions,
                                    const std::vector<int>& labels, const attention_params& params = {}) {
  constexpr const char* fn = "icl::attention::label_attention";
  const auto s = detail::check_attention(fn, A);
  detail::check_positions(fn, "label_positions", label_positions, s.tokens);
  const auto enc = icl::detail::encode_labels(fn, labels, label_positions.size(), 1, "label_positions");
  label_attention_map out;
  out.layers = s.layers;
  out.heads = s.heads;
  out.classes = enc.classes;
  const std::size_t C = enc.n_classes();
  out.values.assign(s.layers * s.heads * C, 0.0);
  for (std::size_t l = 0; l < s.layers; ++l) {
    for (std::size_t h = 0; h < s.heads; ++h) {
      detail::check_full_row(fn, s, l, h, s.tokens - 1, params);
      const T* r = s.row(l, h, s.tokens - 1);
      double* dst = out.values.data() + (l * s.heads + h) * C;
      for (std::size_t i = 0; i < label_positions.size(); ++i) dst[enc.codes[i]] += s.at(r, label_positions[i]);
    }
  }
  return out;
}

}  // namespace icl::attention

#endif  // ICL_ATTENTION_HEADS_HPP
