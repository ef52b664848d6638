#ifndef ICL_ATTENTION_DETAIL_BIAS_IMPL_HPP
#define ICL_ATTENTION_DETAIL_BIAS_IMPL_HPP

/// Kernels of the label-attention bias statistics: one prompt's per-head shares (bias_prompt),
/// their sums over prompts (bias_sums, the state of label_bias_accumulator), and the
/// label-attention shift.

#include <algorithm>
#include <cstddef>
#include <limits>
#include <numeric>
#include <utility>
#include <vector>

#include "icl/attention/detail/accumulator.hpp"
#include "icl/attention/detail/attention_checks.hpp"
#include "icl/attention/types.hpp"
#include "icl/core/labels.hpp"
#include "icl/core/view.hpp"

namespace icl::attention::detail {

/// One prompt's bias statistics per head, before they are summed.
struct bias_prompt {
  std::size_t layers = 0, heads = 0;
  std::size_t demonstrations = 0;        ///< k, the number of label positions
  bool unique_majority = false;
  std::vector<double> majority_excess;   ///< [units]
  std::vector<double> recency_excess;    ///< [units]
  std::vector<double> profile;           ///< [units, k], nearest first
};

/// Sums of bias statistics over prompts: the state of label_bias_accumulator.
class bias_sums {
 public:
  using part = bias_prompt;

  std::size_t prompts() const noexcept { return prompts_; }

  /// Calls f on every member of the state (f takes each by reference): how the state travels
  /// between processes (icl/mpi/attention.hpp writes and reads it field by field).
  template <class F>
  void for_each_field(F&& f) {
    f(layers_);
    f(heads_);
    f(prompts_);
    f(majority_prompts_);
    f(majority_sum_);
    f(recency_sum_);
    f(profile_sum_);
    f(profile_prompts_);
  }

  /// icl::invalid_argument when prompts were added and their (layers, heads) differ from these.
  void check_shape(const char* function, std::size_t layers, std::size_t heads) const {
    if (prompts_ > 0 && (layers != layers_ || heads != heads_)) {
      throw_invalid(function, "shape ", layers, " layers x ", heads, " heads does not match the accumulated ", layers_,
                    " x ", heads_);
    }
  }

  void add(const char* function, const bias_prompt& p) {
    check_shape(function, p.layers, p.heads);
    const std::size_t units = p.layers * p.heads, k = p.demonstrations;
    if (prompts_ == 0) {
      layers_ = p.layers;
      heads_ = p.heads;
      majority_sum_.assign(units, 0.0);
      recency_sum_.assign(units, 0.0);
    }
    grow_profile(k);
    const std::size_t width = profile_prompts_.size();
    for (std::size_t u = 0; u < units; ++u) {
      if (p.unique_majority) majority_sum_[u] += p.majority_excess[u];
      recency_sum_[u] += p.recency_excess[u];
      for (std::size_t i = 0; i < k; ++i) profile_sum_[u * width + i] += p.profile[u * k + i];
    }
    for (std::size_t i = 0; i < k; ++i) ++profile_prompts_[i];
    ++prompts_;
    if (p.unique_majority) ++majority_prompts_;
  }

  void merge(const char* function, const bias_sums& other) {
    if (other.prompts_ == 0) return;
    if (prompts_ == 0) {
      *this = other;
      return;
    }
    check_shape(function, other.layers_, other.heads_);
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

  /// The means over the prompts added; icl::invalid_argument when none was added.
  label_bias means(const char* function) const {
    if (prompts_ == 0) throw_invalid(function, "no prompt was added");
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

  std::size_t layers_ = 0, heads_ = 0;
  std::size_t prompts_ = 0, majority_prompts_ = 0;
  std::vector<double> majority_sum_, recency_sum_;
  std::vector<double> profile_sum_;              ///< [units, profile width]
  std::vector<std::size_t> profile_prompts_;     ///< prompts with at least j + 1 label positions
};

/// One prompt's bias statistics. Checks the arguments, then (before reading any head) that the
/// prompt's (layers, heads) match those already in `into`; nothing is added to `into`.
template <class T>
bias_prompt bias_statistics_of(const char* function, const tensor_view<const T, 4>& A,
                               const std::vector<std::size_t>& label_positions, const std::vector<int>& label_classes,
                               const attention_params& params, const bias_sums& into) {
  const auto s = check_attention(function, A);
  check_positions(function, "label_positions", label_positions, s.tokens);
  const auto enc = icl::detail::encode_labels(function, label_classes, label_positions.size(), 1, "label_positions");
  into.check_shape(function, s.layers, s.heads);

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

  const std::size_t units = s.layers * s.heads;
  bias_prompt out;
  out.layers = s.layers;
  out.heads = s.heads;
  out.demonstrations = k;
  out.unique_majority = unique_majority;
  out.majority_excess.resize(units);
  out.recency_excess.resize(units);
  out.profile.resize(units * k);
  std::vector<double> mass(k);
  for (std::size_t l = 0; l < s.layers; ++l) {
    for (std::size_t h = 0; h < s.heads; ++h) {
      check_full_row(function, s, l, h, s.tokens - 1, params);
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
        throw_invalid(function, "attention from the last position (", s.tokens - 1,
                      ") to the label positions is zero in layer ", l, ", head ", h,
                      ": the label shares are undefined");
      }
      for (std::size_t i = 0; i < k; ++i) out.profile[u * k + i] = mass[nearest_first[i]] / total;
      out.majority_excess[u] = majority_mass / total - majority_share;
      out.recency_excess[u] = out.profile[u * k] - 1.0 / static_cast<double>(k);
    }
  }
  return out;
}

inline constexpr char label_bias_accumulator_name[] = "icl::attention::label_bias_accumulator";

inline label_attention_map label_attention_shift_impl(const char* function, const label_attention_map& original,
                                                      const label_attention_map& reversed) {
  if (original.layers != reversed.layers || original.heads != reversed.heads) {
    throw_invalid(function, "shapes differ: ", original.layers, " x ", original.heads, " and ", reversed.layers, " x ",
                  reversed.heads, " (layers x heads)");
  }
  if (original.classes != reversed.classes) throw_invalid(function, "the two maps have different label classes");
  if (original.values.size() != reversed.values.size()) throw_invalid(function, "the two maps differ in size");
  label_attention_map out = reversed;
  for (std::size_t i = 0; i < out.values.size(); ++i) out.values[i] -= original.values[i];
  return out;
}

}  // namespace icl::attention::detail

#endif  // ICL_ATTENTION_DETAIL_BIAS_IMPL_HPP
