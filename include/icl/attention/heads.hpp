#ifndef ICL_ATTENTION_HEADS_HPP
#define ICL_ATTENTION_HEADS_HPP

/// Head scores (docs/metrics.md section 5, P2 and P4), per (layer, head) of one prompt's attention
/// [layers, heads, T, T] (row q = query position, 0-based positions):
///
///   previous_token_score  PTH(l, h) = sum_{k=1..T-1} A[l,h,k,k-1]       (reads the subdiagonal)
///   induction_score       IH(l, h)  = sum_{k in label positions} A[l,h,T-1,k]   (reads row T-1)
///   label_attention       per label class c: sum_{p labelled c} A[l,h,T-1,p]    (reads row T-1)
///
/// Over many prompts the scores are sums (docs/metrics.md): previous_token_accumulator and
/// induction_accumulator add one prompt at a time and merge across workers.
/// top_heads picks the highest-scoring (layer, head) pairs.
///
/// Thread safety: the functions only read their arguments and may be called concurrently. An
/// accumulator is not thread-safe: give each worker its own and merge() them at the end.

#include <cstddef>
#include <utility>
#include <vector>

#include "icl/attention/detail/accumulator.hpp"
#include "icl/attention/detail/heads_impl.hpp"
#include "icl/attention/types.hpp"
#include "icl/core/view.hpp"

namespace icl::attention {

/// PTH for one prompt. Errors: non-square maps, T < 2, no layer/head, NaN/Inf on the subdiagonal.
template <class T>
head_map previous_token_score(tensor_view<const T, 4> A) {
  return detail::previous_token_impl("icl::attention::previous_token_score", A);
}
/// PTH for one layer [heads, T, T]; the result has one layer.
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
/// IH for one layer [heads, T, T]; the result has one layer.
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
  return detail::top_heads_impl("icl::attention::top_heads", s, fraction);
}

/// Sum of previous_token_score over prompts (prompts may have different T), fed a whole prompt
/// (add) or one layer of a prompt at a time (add_layer). merge(other) adds another worker's
/// prompts (icl::invalid_argument for another shape); prompts(), layer_prompts(). Not
/// thread-safe: one accumulator per worker, merge() at the end.
class previous_token_accumulator
    : public detail::layered_accumulator<detail::layered_sum, detail::no_settings,
                                         detail::previous_token_accumulator_name> {
 public:
  previous_token_accumulator() : layered_accumulator(detail::no_settings{}) {}

  /// Adds one prompt's attention [layers, heads, T, T]. Errors: those of previous_token_score,
  /// and a prompt whose (layers, heads) differ from the accumulated ones.
  template <class T>
  void add(tensor_view<const T, 4> A) {
    add_part(detail::previous_token_impl(function_name<detail::add_member>(), A));
  }
  /// Adds layer `layer` of one prompt, [heads, T, T]; every layer must be fed before result().
  template <class T>
  void add_layer(std::size_t layer, tensor_view<const T, 3> A) {
    add_layer_part(layer,
                   detail::previous_token_impl(function_name<detail::add_layer_member>(), detail::as_one_layer(A)));
  }
  /// The sum over the prompts added; icl::invalid_argument when none was added or a layer
  /// received none.
  head_map result() const { return sums().total(function_name<detail::result_member>()); }
};

/// Sum of induction_score over prompts (each prompt with its own T and label positions), fed a
/// whole prompt (add) or one layer at a time (add_layer); merge, prompts(), layer_prompts() and
/// thread safety as previous_token_accumulator.
class induction_accumulator
    : public detail::layered_accumulator<detail::layered_sum, attention_params, detail::induction_accumulator_name> {
 public:
  explicit induction_accumulator(attention_params params = {}) : layered_accumulator(params) {}

  /// Adds one prompt's attention [layers, heads, T, T]. Errors: those of induction_score, and a
  /// prompt whose (layers, heads) differ from the accumulated ones.
  template <class T>
  void add(tensor_view<const T, 4> A, const std::vector<std::size_t>& label_positions) {
    add_part(detail::induction_impl(function_name<detail::add_member>(), A, label_positions, settings()));
  }
  /// Adds layer `layer` of one prompt, [heads, T, T]; every layer must be fed before result().
  template <class T>
  void add_layer(std::size_t layer, tensor_view<const T, 3> A, const std::vector<std::size_t>& label_positions) {
    add_layer_part(layer, detail::induction_impl(function_name<detail::add_layer_member>(), detail::as_one_layer(A),
                                                 label_positions, settings()));
  }
  /// The sum over the prompts added; icl::invalid_argument when none was added or a layer
  /// received none.
  head_map result() const { return sums().total(function_name<detail::result_member>()); }
};

/// label_attention [P4]: for each (layer, head) and label class c, sum over the label positions
/// p with labels[i] == c of A[l, h, T-1, p]. labels[i] is the label of label_positions[i]; one
/// class is enough. Takes a whole prompt [layers, heads, T, T] (there is no one-layer overload).
/// Errors: as induction_score, plus labels.size() != label_positions.size().
template <class T>
label_attention_map label_attention(tensor_view<const T, 4> A, const std::vector<std::size_t>& label_positions,
                                    const std::vector<int>& labels, const attention_params& params = {}) {
  return detail::label_attention_impl("icl::attention::label_attention", A, label_positions, labels, params);
}

}  // namespace icl::attention

#endif  // ICL_ATTENTION_HEADS_HPP
