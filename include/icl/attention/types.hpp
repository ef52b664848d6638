#ifndef ICL_ATTENTION_TYPES_HPP
#define ICL_ATTENTION_TYPES_HPP

/// The public types of icl::attention: the per-(layer, head) results (head_map,
/// label_attention_map, label_bias), the options (attention_params, logit_lens_params) and the
/// logit lens's logprob_result. The functions and accumulators that fill them are declared in
/// ratio.hpp, heads.hpp, bias.hpp and logit_lens.hpp. The module declares no enum.

#include <cstddef>
#include <vector>

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

/// Options of logit_minus, logprob_change and logprob_increase.
struct logit_lens_params {
  /// The model's final RMSNorm: γ (empty, the default, means all ones) and ε (default 1e-6; see
  /// icl/core/rms_norm.hpp for its source, and pass the model's own value).
  rms_norm_params norm;
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

}  // namespace icl::attention

#endif  // ICL_ATTENTION_TYPES_HPP
