#ifndef ICL_ATTENTION_BIAS_HPP
#define ICL_ATTENTION_BIAS_HPP

/// Label-attention bias statistics (METRICS.md section 5, [P4]): how the attention that the last
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
/// j demonstrations).

#include <algorithm>
#include <cstddef>
#include <limits>
#include <numeric>
#include <utility>
#include <vector>

#include "icl/attention/detail/attention_impl.hpp"
#include "icl/attention/heads.hpp"
#include "icl/core/labels.hpp"

namespace icl::attention {

/// Bias statistics per (layer, head), for one prompt or as means over prompts.
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

/// The bias statistics of one prompt (defined below the accumulator it uses).
template <class T>
label_bias label_bias_statistics(tensor_view<const T, 4> A, const std::vector<std::size_t>& label_positions,
                                 const std::vector<int>& label_classes, const attention_params& params = {});

/// Adds one prompt's bias statistics, one prompt at a time (prompts may differ in T and in the
/// number of demonstrations); merge() combines accumulators of different workers; result() gives
/// the means. Errors (icl::invalid_argument, naming "icl::attention::label_bias_accumulator::add"):
/// those of label_attention, plus a head whose attention from the last position to the label
/// positions is exactly zero (the shares are undefined), and a prompt whose (layers, heads) differ
/// from the accumulated ones.
class label_bias_accumulator {
 public:
  explicit label_bias_accumulator(attention_params params = {}) : params_(params) {}

  template <class T>
  void add(tensor_view<const T, 4> A, const std::vector<std::size_t>& label_positions,
           const std::vector<int>& label_classes) {
    add_prompt("icl::attention::label_bias_accumulator::add", A, label_positions, label_classes);
  }

  void merge(const label_bias_accumulator& other) {
    constexpr const char* fn = "icl::attention::label_bias_accumulator::merge";
    if (other.prompts_ == 0) return;
    if (prompts_ == 0) {
      *this = label_bias_accumulator(other);
      return;
    }
    check_shape(fn, other.layers_, other.heads_);
    grow_profile(other.profile_prompts_.size());
    for (std::size_t i = 0; i < majority_sum_.size(); ++i) {
      majority_sum_[i] += other.majority_sum_[i];
      recency_sum_[i] += other.recency_sum_[i];
    }
    const std::size_t width = profile_prompts_.size(), other_width = other.profile_prompts_.size();
    for (std::size_t u = 0; u < layers_ * heads_; ++u) {
      for (std::size_t j = 0; j < other_width; ++j) profile_sum_[u * width + j] += other.profile_sum_[u * other_width + j];
    }
    for (std::size_t j = 0; j < other_width; ++j) profile_prompts_[j] += other.profile_prompts_[j];
    prompts_ += other.prompts_;
    majority_prompts_ += other.majority_prompts_;
  }

  std::size_t prompts() const noexcept { return prompts_; }

  /// The means over the prompts added; icl::invalid_argument when none was added.
  label_bias result() const {
    if (prompts_ == 0) detail::throw_invalid("icl::attention::label_bias_accumulator::result", "no prompt was added");
    label_bias out;
    out.layers = layers_;
    out.heads = heads_;
    out.prompts = prompts_;
    out.majority_prompts = majority_prompts_;
    out.max_demonstrations = profile_prompts_.size();
    out.profile_prompts = profile_prompts_;
    const std::size_t units = layers_ * heads_, width = out.max_demonstrations;
    out.majority_excess.assign(units, std::numeric_limits<double>::quiet_NaN());
    out.recency_excess.assign(units, 0.0);
    out.recency_profile.assign(units * width, 0.0);
    for (std::size_t u = 0; u < units; ++u) {
      if (majority_prompts_ > 0) out.majority_excess[u] = majority_sum_[u] / static_cast<double>(majority_prompts_);
      out.recency_excess[u] = recency_sum_[u] / static_cast<double>(prompts_);
      for (std::size_t j = 0; j < width; ++j) {
        out.recency_profile[u * width + j] = profile_sum_[u * width + j] / static_cast<double>(profile_prompts_[j]);
      }
    }
    return out;
  }

 private:
  template <class T>
  friend label_bias label_bias_statistics(tensor_view<const T, 4>, const std::vector<std::size_t>&,
                                          const std::vector<int>&, const attention_params&);

  /// The work of add(), with the function name used in error messages.
  template <class T>
  void add_prompt(const char* fn, tensor_view<const T, 4> A, const std::vector<std::size_t>& label_positions,
                  const std::vector<int>& label_classes) {
    const auto s = detail::check_attention(fn, A);
    detail::check_positions(fn, "label_positions", label_positions, s.tokens);
    const auto enc = icl::detail::encode_labels(fn, label_classes, label_positions.size(), 1, "label_positions");
    if (prompts_ > 0) check_shape(fn, s.layers, s.heads);

    // Demonstrations ordered nearest first (largest position first), and the majority class.
    const std::size_t k = label_positions.size();
    std::vector<std::size_t> nearest_first(k);
    std::iota(nearest_first.begin(), nearest_first.end(), std::size_t{0});
    std::sort(nearest_first.begin(), nearest_first.end(),
              [&](std::size_t a, std::size_t b) { return label_positions[a] > label_positions[b]; });
    std::size_t majority = 0;
    bool unique_majority = true;
    for (std::size_t c = 1; c < enc.n_classes(); ++c) {
      if (enc.counts[c] > enc.counts[majority]) {
        majority = c;
        unique_majority = true;
      } else if (enc.counts[c] == enc.counts[majority]) {
        unique_majority = false;
      }
    }
    const double majority_share = static_cast<double>(enc.counts[majority]) / static_cast<double>(k);

    // Per-head values of this prompt first, so that a throwing head leaves the sums untouched.
    const std::size_t units = s.layers * s.heads;
    std::vector<double> majority_excess(units), recency_excess(units), profile(units * k), mass(k);
    for (std::size_t l = 0; l < s.layers; ++l) {
      for (std::size_t h = 0; h < s.heads; ++h) {
        detail::check_full_row(fn, s, l, h, s.tokens - 1, params_);
        const T* row = s.row(l, h, s.tokens - 1);
        const std::size_t u = l * s.heads + h;
        double total = 0.0, majority_mass = 0.0;
        for (std::size_t i = 0; i < k; ++i) {
          const double m = s.at(row, label_positions[i]);
          mass[i] = m;
          total += m;
          if (enc.codes[i] == majority) majority_mass += m;
        }
        if (total == 0.0) {
          detail::throw_invalid(fn, "attention from the last position (", s.tokens - 1, ") to the label positions is zero in layer ", l,
                                ", head ", h, ": the label shares are undefined");
        }
        for (std::size_t i = 0; i < k; ++i) profile[u * k + i] = mass[nearest_first[i]] / total;
        majority_excess[u] = majority_mass / total - majority_share;
        recency_excess[u] = profile[u * k] - 1.0 / static_cast<double>(k);
      }
    }

    if (prompts_ == 0) {
      layers_ = s.layers;
      heads_ = s.heads;
      majority_sum_.assign(units, 0.0);
      recency_sum_.assign(units, 0.0);
    }
    grow_profile(k);
    const std::size_t width = profile_prompts_.size();
    for (std::size_t u = 0; u < units; ++u) {
      if (unique_majority) majority_sum_[u] += majority_excess[u];
      recency_sum_[u] += recency_excess[u];
      for (std::size_t i = 0; i < k; ++i) profile_sum_[u * width + i] += profile[u * k + i];
    }
    for (std::size_t i = 0; i < k; ++i) ++profile_prompts_[i];
    ++prompts_;
    if (unique_majority) ++majority_prompts_;
  }

  void check_shape(const char* fn, std::size_t layers, std::size_t heads) const {
    if (layers != layers_ || heads != heads_) {
      detail::throw_invalid(fn, "shape ", layers, " layers x ", heads, " heads does not match the accumulated ", layers_,
                            " x ", heads_);
    }
  }

  /// Widens the recency profile to `width` demonstrations (re-laying out profile_sum_).
  void grow_profile(std::size_t width) {
    const std::size_t old_width = profile_prompts_.size();
    if (width <= old_width) return;
    const std::size_t units = layers_ * heads_;
    std::vector<double> wider(units * width, 0.0);
    for (std::size_t u = 0; u < units; ++u) {
      for (std::size_t j = 0; j < old_width; ++j) wider[u * width + j] = profile_sum_[u * old_width + j];
    }
    profile_sum_ = std::move(wider);
    profile_prompts_.resize(width, 0);
  }

  attention_params params_;
  std::size_t layers_ = 0, heads_ = 0;
  std::size_t prompts_ = 0, majority_prompts_ = 0;
  std::vector<double> majority_sum_, recency_sum_;
  std::vector<double> profile_sum_;              ///< [units, profile width]
  std::vector<std::size_t> profile_prompts_;     ///< prompts with at least j + 1 label positions
};

/// The bias statistics of one prompt (label_classes[i] is the class of label_positions[i]).
/// Errors: see label_bias_accumulator; named "icl::attention::label_bias_statistics".
template <class T>
label_bias label_bias_statistics(tensor_view<const T, 4> A, const std::vector<std::size_t>& label_positions,
                                 const std::vector<int>& label_classes, const attention_params& params) {
  label_bias_accumulator one(params);
  one.add_prompt("icl::attention::label_bias_statistics", A, label_positions, label_classes);
  return one.result();
}

/// The shift of label attention between a prompt and the same prompt with its labels reversed
/// ([P4]): reversed - original, per (layer, head, class). Both maps must have the same layers,
/// heads and classes (icl::invalid_argument otherwise).
inline label_attention_map label_attention_shift(const label_attention_map& original,
                                                 const label_attention_map& reversed) {
  constexpr const char* fn = "icl::attention::label_attention_shift";
  if (original.layers != reversed.layers || original.heads != reversed.heads) {
    detail::throw_invalid(fn, "shapes differ: ", original.layers, " x ", original.heads, " and ", reversed.layers, " x ",
                          reversed.heads, " (layers x heads)");
  }
  if (original.classes != reversed.classes) detail::throw_invalid(fn, "the two maps have different label classes");
  if (original.values.size() != reversed.values.size()) detail::throw_invalid(fn, "the two maps differ in size");
  label_attention_map out = reversed;
  for (std::size_t i = 0; i < out.values.size(); ++i) out.values[i] -= original.values[i];
  return out;
}

}  // namespace icl::attention

#endif  // ICL_ATTENTION_BIAS_HPP
