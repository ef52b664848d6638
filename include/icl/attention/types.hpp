#ifndef ICL_ATTENTION_TYPES_HPP
#define ICL_ATTENTION_TYPES_HPP

/// The public types of icl::attention: the per-(layer, head) results (head_map,
/// label_attention_map, label_bias), the options (attention_params, logit_lens_params) and the
/// logit lens's logprob_result with its normalizer enum, the value-output vectors
/// (value_output_params, value_outputs), the in-context head selection (head_selection_params,
/// in_context_head_set, label_logit_minus_result) and the paper-level bias measures (accuracy_gap). The functions and
/// accumulators that fill them are declared in ratio.hpp, heads.hpp, bias.hpp, logit_lens.hpp,
/// value_output.hpp and in_context_heads.hpp.

#include <array>
#include <cstddef>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "icl/core/enum_names.hpp"
#include "icl/core/rms_norm.hpp"

namespace icl::attention {

/// One value per (layer, head), row-major [layers, heads].
///
/// attention_ratio (and ratio_accumulator's result() and ratio_of_sums()) also fill
/// zero_denominator (one flag per value, 1 where the irrelevant-key mass was exactly zero and the
/// value was set to +inf) and zero_denominator_count; the other metrics leave zero_denominator
/// empty.
struct head_map {
  std::size_t layers = 0;
  std::size_t heads = 0;
  std::vector<double> values;                    ///< values[layer * heads + head]
  std::vector<unsigned char> zero_denominator;   ///< ratio only: 1 where the denominator was zero
  std::size_t zero_denominator_count = 0;        ///< ratio only: number of flags set

  double operator()(std::size_t layer, std::size_t head) const { return values[layer * heads + head]; }
  /// True when the value at (layer, head) is +inf because its denominator was zero.
  bool undefined(std::size_t layer, std::size_t head) const {
    return !zero_denominator.empty() && zero_denominator[layer * heads + head] != 0;
  }
};

/// Options shared by the attention metrics.
struct attention_params {
  /// When true, every full row that is read (ratio: the source rows; induction and label
  /// attention: row T-1) must sum to 1 within row_sum_tolerance. Off by default (attention
  /// exported after head masking or with sink tokens need not sum to one).
  bool check_row_sums = false;
  double row_sum_tolerance = 1e-3;
};

/// Attention from the last position to the label positions, summed per label class
/// (label_attention, label_attention_shift).
struct label_attention_map {
  std::size_t layers = 0, heads = 0;
  std::vector<int> classes;     ///< distinct labels, increasing
  std::vector<double> values;   ///< row-major [layers, heads, classes]
  double operator()(std::size_t layer, std::size_t head, std::size_t c) const {
    return values[(layer * heads + head) * classes.size() + c];
  }
};

/// Bias statistics per (layer, head), for one prompt (label_bias_statistics) or as means over
/// prompts (label_bias_accumulator::result); definitions in bias.hpp.
struct label_bias {
  std::size_t layers = 0, heads = 0;
  std::size_t prompts = 0;             ///< prompts behind the statistics
  std::size_t majority_prompts = 0;    ///< of these, prompts with a unique majority class
  std::size_t max_demonstrations = 0;  ///< the longest recency profile (the most label positions of a prompt)
  /// [layers, heads]: mean of a_maj - s_maj over the prompts with a unique majority class; NaN
  /// (documented, not an error) for every head when majority_prompts == 0.
  std::vector<double> majority_excess;
  /// [layers, heads]: mean of r_1 - 1/k over the prompts.
  std::vector<double> recency_excess;
  /// [layers, heads, max_demonstrations]: mean of r_j over the prompts with at least j label positions.
  std::vector<double> recency_profile;
  /// [max_demonstrations]: how many prompts had at least j + 1 label positions.
  std::vector<std::size_t> profile_prompts;

  double majority(std::size_t layer, std::size_t head) const { return majority_excess[layer * heads + head]; }
  double recency(std::size_t layer, std::size_t head) const { return recency_excess[layer * heads + head]; }
  /// Mean share of the j-th nearest label position (j = 0: the nearest).
  double profile(std::size_t layer, std::size_t head, std::size_t j) const {
    return recency_profile[(layer * heads + head) * max_demonstrations + j];
  }
};

/// How logprob_change and logprob_increase scale a vector v before the unembedding.
enum class normalizer {
  /// [P4]'s fixed normaliser (the default): N(v) = γ ⊙ v / sqrt(σ²_f + ε) with σ²_f = mean of
  /// squares of `final_hidden`, the final layer's output at the last position before the final
  /// norm. Every vector is scored at the scale of the real final state (Yu & Ananiadou, arXiv
  /// 2402.02872; docs/metrics.md 5). Needs the overloads that take final_hidden.
  fixed_final,
  /// Each vector divided by its own RMS: N(v) = γ ⊙ v / sqrt(mean(v²) + ε) (the library's earlier
  /// form; what the model's final norm would do to v if v were the final state).
  per_vector
};

/// Names of icl::attention::normalizer (icl::to_string / icl::from_string).
constexpr enum_table<normalizer, 2> icl_enum_table(normalizer) {
  return {"icl::attention::normalizer", {{{normalizer::fixed_final, "fixed_final"},
                                          {normalizer::per_vector, "per_vector"}}}};
}

/// Options of logit_minus, logprob_change and logprob_increase.
struct logit_lens_params {
  /// The model's final RMSNorm: γ (empty, the default, means all ones) and ε (default 1e-6; see
  /// icl/core/rms_norm.hpp for its source, and pass the model's own value).
  rms_norm_params norm;
  /// logprob_change / logprob_increase / head_logprob_increase: the normalizer (default
  /// fixed_final, [P4]'s). logit_minus always uses the fixed scale of final_hidden.
  normalizer scale = normalizer::fixed_final;
  /// Rows per block (logit_minus: rows of U; logprob_increase: vocabulary rows of E);
  /// 0 (default) picks about 4 Mi elements per block.
  std::size_t block_rows = 0;
};

/// The log-probabilities behind logprob_increase (logprob_change).
struct logprob_result {
  double base = 0.0;             ///< log p(b | x)
  std::vector<double> logprob;   ///< log p(b | x + o_p), one per row of O
  std::vector<double> increase;  ///< logprob[p] − base
};

/// Options of value_output_vectors and head_outputs.
struct value_output_params {
  /// The query position q whose attention row weights the values; empty (default): the last
  /// position T-1, as [P4] (α_{T,p}).
  std::optional<std::size_t> query;
};

/// The value-output vectors of one head at one query position q (value_output_vectors), each a
/// row-major [positions, d_model] matrix:
///   unweighted  vo_p = W_O^{(h)} v_p          (v_p the values of the head's kv head at p)
///   weighted    u_p  = α_{q,p} · vo_p
///   head_output o    = Σ_p u_p                (d_model entries)
struct value_outputs {
  std::size_t positions = 0;   ///< T
  std::size_t d_model = 0;     ///< rows of W_O
  std::size_t head = 0;        ///< the query head
  std::size_t kv_head = 0;     ///< its key/value head (grouped-query mapping)
  std::size_t query = 0;       ///< the query position used
  std::vector<double> weighted;     ///< u, [positions, d_model]
  std::vector<double> unweighted;   ///< vo, [positions, d_model]
  std::vector<double> head_output;  ///< o, [d_model]
};

/// Options of select_in_context_heads (and top_k_heads through it).
struct head_selection_params {
  /// Heads kept per list (default 10, [P4]'s top 10 of each label). Used when fraction == 0.
  std::size_t top_k = 10;
  /// When > 0: keep ceil(fraction * layers * heads) heads per list instead of top_k (the count
  /// rule of top_heads). Must be in [0, 1].
  double fraction = 0.0;
};

/// The in-context heads: one ranked list per label (e.g. foo-heads, bar-heads), highest score
/// first, and their merge (the union, each head once; see in_context_heads.hpp for the order).
struct in_context_head_set {
  std::vector<std::vector<std::pair<std::size_t, std::size_t>>> per_label;  ///< (layer, head), best first
  std::vector<std::pair<std::size_t, std::size_t>> merged;                  ///< union of per_label
};

/// Logit-minus of one head at the label positions (label_logit_minus).
struct label_logit_minus_result {
  double at_a = 0.0;  ///< mean M_p over positions_a
  double at_b = 0.0;  ///< mean M_p over positions_b
};

/// The majority-label accuracy gap of [P4] (majority_label_gap).
struct accuracy_gap {
  double balanced = 0.0;  ///< accuracy on the balanced prompts
  double reduced = 0.0;   ///< accuracy on the prompts with one fewer demonstration of a label
  double gap = 0.0;       ///< balanced − reduced
};

}  // namespace icl::attention

#endif  // ICL_ATTENTION_TYPES_HPP
