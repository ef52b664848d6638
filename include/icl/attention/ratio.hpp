#ifndef ICL_ATTENTION_RATIO_HPP
#define ICL_ATTENTION_RATIO_HPP

/// Attention ratio (METRICS.md section 5, P1): how much more a head attends, from the source
/// positions, to the relevant keys than to the irrelevant ones, per (layer, head).
///
///   ratio(l, h) = (sum_{q in Q} sum_{j in R} A[l,h,q,j] / |R|) / (sum_{q in Q} sum_{j in I} A[l,h,q,j] / |I|)
///
/// (per-token means; normalize = false drops the divisions by |R| and |I|). Only the rows of the
/// source positions are read. A zero denominator gives +inf and sets the value's flag in
/// head_map::zero_denominator (never an exception, never NaN).

#include <cstddef>
#include <vector>

#include "icl/attention/detail/attention_impl.hpp"

namespace icl::attention {

/// attention_ratio for one prompt's attention [layers, heads, T, T] (row q = query position).
/// Errors (icl::invalid_argument): non-square maps, no layer/head, an empty or repeated or
/// out-of-range (>= T) position in sources/relevant/irrelevant, NaN/Inf in a source row, an
/// all-zero source row (naming layer, head and position), and with params.check_row_sums a
/// source row whose sum is not 1 within params.row_sum_tolerance.
template <class T>
head_map attention_ratio(tensor_view<const T, 4> A, const std::vector<std::size_t>& sources,
                         const std::vector<std::size_t>& relevant, const std::vector<std::size_t>& irrelevant,
                         bool normalize = true, const attention_params& params = {}) {
  return detail::attention_ratio_impl("icl::attention::attention_ratio", A, sources, relevant, irrelevant, normalize,
                                      params);
}

/// The same for one layer's attention [heads, T, T]; the result has one layer.
template <class T>
head_map attention_ratio(tensor_view<const T, 3> A, const std::vector<std::size_t>& sources,
                         const std::vector<std::size_t>& relevant, const std::vector<std::size_t>& irrelevant,
                         bool normalize = true, const attention_params& params = {}) {
  return detail::attention_ratio_impl("icl::attention::attention_ratio", detail::as_one_layer(A), sources, relevant,
                                      irrelevant, normalize, params);
}

/// Mean over prompts of the per-prompt attention ratio, one prompt at a time (prompts may have
/// different T and positions). merge() combines accumulators filled on different workers; the
/// result equals adding every prompt to one accumulator (up to the rounding of the sums).
/// A (layer, head) whose denominator was zero in any prompt is +inf in result() and flagged.
class ratio_accumulator {
 public:
  explicit ratio_accumulator(bool normalize = true, attention_params params = {})
      : normalize_(normalize), params_(params) {}

  template <class T>
  void add(tensor_view<const T, 4> A, const std::vector<std::size_t>& sources, const std::vector<std::size_t>& relevant,
           const std::vector<std::size_t>& irrelevant) {
    constexpr const char* fn = "icl::attention::ratio_accumulator::add";
    head_map one = detail::attention_ratio_impl(fn, A, sources, relevant, irrelevant, normalize_, params_);
    detail::add_into(fn, sum_, one);
    ++prompts_;
  }

  void merge(const ratio_accumulator& other) {
    constexpr const char* fn = "icl::attention::ratio_accumulator::merge";
    if (other.normalize_ != normalize_) throw_invalid_merge(fn);
    if (other.prompts_ == 0) return;
    detail::add_into(fn, sum_, other.sum_);
    prompts_ += other.prompts_;
  }

  std::size_t prompts() const noexcept { return prompts_; }

  /// Mean over the prompts added; icl::invalid_argument when none was added.
  head_map result() const {
    if (prompts_ == 0) detail::throw_invalid("icl::attention::ratio_accumulator::result", "no prompt was added");
    head_map out = sum_;
    for (double& v : out.values) v /= static_cast<double>(prompts_);
    return out;
  }

 private:
  [[noreturn]] static void throw_invalid_merge(const char* fn) {
    detail::throw_invalid(fn, "accumulators differ in normalize");
  }
  bool normalize_;
  attention_params params_;
  head_map sum_;
  std::size_t prompts_ = 0;
};

}  // namespace icl::attention

#endif  // ICL_ATTENTION_RATIO_HPP
