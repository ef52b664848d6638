#ifndef ICL_ATTENTION_BIAS_HPP
#define ICL_ATTENTION_BIAS_HPP

/// Label-attention bias statistics (docs/metrics.md section 5, [P4]): how the attention that the last
/// position pays to the demonstrations' label tokens is spread over label classes and over
/// demonstrations, against what the demonstrations alone would predict.
///
/// For one prompt and one (layer, head), with label positions p_1 .. p_k (one per
/// demonstration), their classes c_i, and m_i = A[l, h, T-1, p_i], M = sum_i m_i > 0:
///
///   attention share of class c      a_c = sum_{i : c_i = c} m_i / M
///   demonstration share of class c  s_c = |{i : c_i = c}| / k
///   majority-label bias             a_maj - s_maj, maj = the class with the most demonstrations
///                                   (defined only when that class is unique)
///   recency profile                 r_j = m_(j) / M, m_(j) the mass on the j-th nearest label
///                                   position (j = 1: the largest position, the demonstration
///                                   closest to the query)
///   recency bias                    r_1 - 1/k
///
/// Both biases are 0 for a head that spreads its label attention exactly as the demonstrations
/// are spread (by class, and evenly over demonstrations); positive values mean more attention to
/// the majority label / the most recent demonstration than that. Over prompts, each statistic is
/// the mean over the prompts where it is defined (the profile entry j over prompts with at least
/// j demonstrations). The functions take a whole prompt [layers, heads, T, T] (there is no
/// one-layer overload).
///
/// Beside these attention-excess statistics, the bias measures as [P4] (Yu & Ananiadou, arXiv
/// 2402.02872, Sec. on majority label bias and recency bias) reports them, from the model's
/// behaviour and from the in-context heads' label attention: majority_label_gap,
/// order_accuracy_std and label_attention_std (below).
///
/// Thread safety: the functions only read their arguments and may be called concurrently. An
/// accumulator is not thread-safe: give each worker its own and merge() them at the end.

#include <cstddef>
#include <vector>

#include "icl/attention/detail/accumulator.hpp"
#include "icl/attention/detail/bias_impl.hpp"
#include "icl/attention/detail/bias_measures_impl.hpp"
#include "icl/attention/heads.hpp"
#include "icl/attention/types.hpp"
#include "icl/core/view.hpp"

namespace icl::attention {

/// Adds one prompt's bias statistics, one prompt at a time (prompts may differ in T and in the
/// number of demonstrations); merge() combines accumulators of different workers; result() gives
/// the means. Errors (icl::invalid_argument, naming "icl::attention::label_bias_accumulator::add"):
/// those of label_attention, plus a head whose attention from the last position to the label
/// positions is exactly zero (the shares are undefined), and a prompt whose (layers, heads) differ
/// from the accumulated ones (nothing is added then). Not thread-safe: one accumulator per
/// worker, merge() at the end.
class label_bias_accumulator
    : public detail::prompt_accumulator<detail::bias_sums, attention_params, detail::label_bias_accumulator_name> {
 public:
  explicit label_bias_accumulator(attention_params params = {}) : prompt_accumulator(params) {}

  /// Adds one prompt (label_classes[i] is the class of label_positions[i]).
  template <class T>
  void add(tensor_view<const T, 4> A, const std::vector<std::size_t>& label_positions,
           const std::vector<int>& label_classes) {
    add_part(detail::bias_statistics_of(function_name<detail::add_member>(), A, label_positions, label_classes,
                                        settings(), sums()));
  }

  /// The means over the prompts added; icl::invalid_argument when none was added.
  label_bias result() const { return sums().means(function_name<detail::result_member>()); }
};

/// The bias statistics of one prompt (label_classes[i] is the class of label_positions[i]).
/// Errors: see label_bias_accumulator; named "icl::attention::label_bias_statistics".
template <class T>
label_bias label_bias_statistics(tensor_view<const T, 4> A, const std::vector<std::size_t>& label_positions,
                                 const std::vector<int>& label_classes, const attention_params& params = {}) {
  constexpr const char* function = "icl::attention::label_bias_statistics";
  detail::bias_sums one;
  one.add(function, detail::bias_statistics_of(function, A, label_positions, label_classes, params, one));
  return one.means(function);
}

/// The shift of label attention between a prompt and the same prompt with its labels reversed
/// ([P4]): reversed - original, per (layer, head, class). Both maps must have the same layers,
/// heads and classes (icl::invalid_argument otherwise).
inline label_attention_map label_attention_shift(const label_attention_map& original,
                                                 const label_attention_map& reversed) {
  return detail::label_attention_shift_impl("icl::attention::label_attention_shift", original, reversed);
}

/// Majority-label bias as [P4] measures it: the accuracy on balanced prompts minus the accuracy on
/// prompts with one fewer demonstration of a label. balanced_correct[i] and reduced_correct[i]
/// are 1 when prompt i of that condition was answered correctly, 0 otherwise (the two conditions
/// may hold different prompt counts; to follow the paper, give the queries of the label that lost
/// a demonstration). Returns both accuracies and gap = balanced − reduced. Throws
/// icl::invalid_argument for an empty vector or a value other than 0 or 1.
inline accuracy_gap majority_label_gap(const std::vector<int>& balanced_correct,
                                       const std::vector<int>& reduced_correct) {
  return detail::majority_label_gap("icl::attention::majority_label_gap", balanced_correct, reduced_correct);
}

/// Recency bias as [P4] measures it from behaviour: the standard deviation, across demonstration
/// orders, of the accuracy under each order. correct_by_order[r][i] is 1 when prompt i under
/// order r was answered correctly (orders may hold different prompt counts). std = sqrt(Σ_r
/// (acc_r − mean)² / (R − ddof)); ddof = 0 (default) is the population std, numpy.std's default
/// (the paper does not state its divisor); ddof = 1 the sample std. Throws icl::invalid_argument
/// for R <= ddof orders, an empty order, a value other than 0 or 1.
inline double order_accuracy_std(const std::vector<std::vector<int>>& correct_by_order, std::size_t ddof = 0) {
  return detail::order_accuracy_std("icl::attention::order_accuracy_std", correct_by_order, ddof);
}

/// Recency bias as [P4] measures it in the in-context heads: the standard deviation across
/// demonstration orders of each head's label attention. attention is R x k (row r: order r,
/// column j: in-context head j's label attention under that order, e.g. label_attention summed
/// over a class, averaged over prompts); any strides. Returns k values; ddof as
/// order_accuracy_std (default 0, population). Throws icl::invalid_argument for no column,
/// R <= ddof rows, NaN/Inf.
template <class T>
std::vector<double> label_attention_std(matrix_view<const T> attention, std::size_t ddof = 0) {
  return detail::label_attention_std("icl::attention::label_attention_std", attention, ddof);
}

}  // namespace icl::attention

#endif  // ICL_ATTENTION_BIAS_HPP
