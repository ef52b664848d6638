#ifndef ICL_ATTENTION_IN_CONTEXT_HEADS_HPP
#define ICL_ATTENTION_IN_CONTEXT_HEADS_HPP

/// In-context heads of [P4] (Yu & Ananiadou, arXiv 2402.02872; docs/metrics.md 5).
///
/// The paper scores every head by the log-probability increase of the predicted label token
/// (head_logprob_increase in logit_lens.hpp, averaged over the prompts predicted foo for the
/// foo-heads and over those predicted bar for the bar-heads), keeps the top 10 heads of each
/// label, and merges the two lists: on Llama-7B the top 10 foo-heads and top 10 bar-heads give 12
/// in-context heads (about 1 % of 1024 heads; docs/metrics.md 5). Two lists of 10 can only give 12
/// heads as their union with 8 heads in common, so the merge here is the union, each head once.
/// Order of the merged list (the paper gives none): by the best rank a head has in any label's
/// list, then by label order.
///
/// The same selection ranks heads by logit-minus at the label positions: fill one head map per
/// label with label_logit_minus (its at_a for foo, −at_b for bar) and pass them instead.
///
/// Thread safety: the functions only read their arguments and may be called concurrently.

#include <cstddef>
#include <utility>
#include <vector>

#include "icl/attention/detail/in_context_impl.hpp"
#include "icl/attention/types.hpp"
#include "icl/core/view.hpp"

namespace icl::attention {

/// The in-context heads: per label map of scores (e.g. {foo, bar}), its top heads (params.top_k,
/// default 10, or ceil(params.fraction · layers · heads) when fraction > 0), highest first, ties
/// in (layer, head) order; and their union (see the header comment). Throws
/// icl::invalid_argument for no map, maps of different shapes, an empty map, a NaN score,
/// fraction outside [0, 1], top_k = 0 or top_k > layers · heads.
inline in_context_head_set select_in_context_heads(const std::vector<head_map>& label_scores,
                                                   const head_selection_params& params = {}) {
  return detail::select_in_context_heads("icl::attention::select_in_context_heads", label_scores, params);
}

/// The mean head scores per label over prompts, as [P4] ranks heads "over the data": add(label,
/// scores) adds one prompt's head map to its label (e.g. a prompt predicted foo adds
/// head_logprob_increase(...)[foo_index] to label foo_index); result() gives one mean map per
/// label, ready for select_in_context_heads. merge() adds another worker's prompts. Errors
/// (icl::invalid_argument, naming the member): labels = 0 at construction, a label index >=
/// labels, an empty or non-finite map, a map whose shape differs from earlier ones, merging
/// accumulators of different label counts, result() while a label received no prompt. Not
/// thread-safe: one accumulator per worker, merge() at the end.
class label_score_accumulator {
 public:
  explicit label_score_accumulator(std::size_t labels) {
    if (labels == 0) detail::throw_invalid("icl::attention::label_score_accumulator", "labels = 0: give at least one label");
    state_.sums.resize(labels);
    state_.counts.assign(labels, 0);
  }
  void add(std::size_t label, const head_map& scores) {
    state_.add("icl::attention::label_score_accumulator::add", label, scores);
  }
  void merge(const label_score_accumulator& other) {
    state_.merge("icl::attention::label_score_accumulator::merge", other.state_);
  }
  std::vector<head_map> result() const { return state_.means("icl::attention::label_score_accumulator::result"); }
  /// Prompts added to `label` (0 for an index >= labels).
  std::size_t prompts(std::size_t label) const { return label < state_.counts.size() ? state_.counts[label] : 0; }
  std::size_t labels() const { return state_.counts.size(); }

  /// Calls f on every member of the state: how the accumulator travels between processes
  /// (icl::mpi::merge in icl/mpi/attention.hpp).
  template <class F>
  void for_each_field(F&& f) {
    state_.for_each_field(f);
  }

 private:
  detail::label_score_sums state_;
};

/// Logit-minus of one head's value-output vectors at the label positions [P4]: with
/// M_p = (E_a − E_b)·N(u_p) (logit_minus, fixed scale of final_hidden), at_a is the mean of M_p
/// over positions_a (the label positions of token a's demonstrations) and at_b over positions_b.
/// U holds the head's u_p (or vo_p), T x d (value_output_vectors). A head that writes label
/// information has at_a > 0 > at_b. Errors: those of logit_minus (a token id >= |V|, widths,
/// NaN/Inf), an empty position set, a position >= T.
template <class T, class TE>
label_logit_minus_result label_logit_minus(matrix_view<const T> U, matrix_view<const TE> E, std::size_t token_a,
                                           std::size_t token_b, const std::vector<std::size_t>& positions_a,
                                           const std::vector<std::size_t>& positions_b,
                                           const std::vector<double>& final_hidden,
                                           const logit_lens_params& params = {}) {
  const auto m = detail::label_logit_minus("icl::attention::label_logit_minus", U, E, token_a, token_b, positions_a,
                                           positions_b, final_hidden, params);
  return {m.first, m.second};
}

}  // namespace icl::attention

#endif  // ICL_ATTENTION_IN_CONTEXT_HEADS_HPP
