#ifndef ICL_ATTENTION_RATIO_HPP
#define ICL_ATTENTION_RATIO_HPP

/// Attention ratio (docs/metrics.md section 5, P1): how much more a head attends, from the source
/// positions, to the relevant keys than to the irrelevant ones, per (layer, head).
///
///   ratio(l, h) = (sum_{q in Q} sum_{j in R} A[l,h,q,j] / |R|) / (sum_{q in Q} sum_{j in I} A[l,h,q,j] / |I|)
///
/// (per-token means; normalize = false drops the divisions by |R| and |I|). Only the rows of the
/// source positions are read. A zero denominator gives +inf and sets the value's flag in
/// head_map::zero_denominator (never an exception, never NaN).
///
/// Over prompts, ratio_accumulator gives both the mean of the per-prompt ratios (result()) and
/// the ratio of the summed terms (ratio_of_sums()); docs/attention.md says when to use which.
///
/// Thread safety: the functions only read their arguments and may be called concurrently; a
/// large attention_ratio spreads its heads over the library's threads. An accumulator is not
/// thread-safe: give each worker its own and merge() them at the end.

#include <cstddef>
#include <vector>

#include "icl/attention/detail/accumulator.hpp"
#include "icl/attention/detail/ratio_impl.hpp"
#include "icl/attention/types.hpp"
#include "icl/core/view.hpp"
#include "icl/layers.hpp"

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

/// Mean over the heads of each layer, as a layer curve (peak_layer() etc.). A layer with a +inf
/// value (a flagged zero denominator) has a +inf mean. Errors: an empty map, values.size() !=
/// layers * heads, a NaN value.
inline layer_curve mean_over_heads(const head_map& s) {
  return detail::layer_means("icl::attention::mean_over_heads", s, false, nullptr);
}

/// Mean over the heads of each layer whose value is defined: heads flagged undefined (a ratio
/// with a zero denominator) are left out, and `left_out`, when given, receives how many per
/// layer. A layer whose heads are all undefined has a NaN mean (documented, not an error).
/// Errors: as mean_over_heads.
inline layer_curve mean_over_defined_heads(const head_map& s, std::vector<std::size_t>* left_out = nullptr) {
  return detail::layer_means("icl::attention::mean_over_defined_heads", s, true, left_out);
}

/// The ICL-minus-no-ICL change of a head map (docs/metrics.md section 5): with_icl - without_icl for
/// every (layer, head) — e.g. the mean attention ratio (or induction score) of prompts with
/// demonstrations minus that of the same queries without them. A value flagged undefined in
/// either input (a +inf ratio from a zero denominator) stays flagged in the result, whose value
/// is then the IEEE difference (+inf, -inf, or NaN for inf - inf) — check undefined(l, h).
/// Errors (icl::invalid_argument): an empty map, values.size() != layers * heads, maps of
/// different shapes.
inline head_map icl_change(const head_map& with_icl, const head_map& without_icl) {
  return detail::icl_change_impl("icl::attention::icl_change", with_icl, without_icl);
}

/// The attention ratio over many prompts, one prompt at a time (prompts may have different T and
/// positions) — or one layer of a prompt at a time with add_layer. Two summaries per
/// (layer, head):
///
///   result()         mean over prompts p of ratio_p = N_p / D_p
///   ratio_of_sums()  (sum_p N_p) / (sum_p D_p)
///
/// where N_p and D_p are prompt p's numerator and denominator as attention_ratio defines them
/// (per-token means when normalize, raw masses otherwise). In result(), a (layer, head) whose
/// denominator was zero in any prompt is +inf and flagged; in ratio_of_sums(), only one whose
/// summed denominator is zero (+inf, flagged, as for one prompt).
///
/// merge(other) adds another accumulator's prompts (icl::invalid_argument when the two differ in
/// normalize or in shape); the result equals adding every prompt to one accumulator, up to the
/// rounding of the sums. Not thread-safe: one accumulator per worker, merge() at the end.
class ratio_accumulator
    : public detail::layered_accumulator<detail::ratio_sums, detail::ratio_settings, detail::ratio_accumulator_name> {
 public:
  explicit ratio_accumulator(bool normalize = true, attention_params params = {})
      : layered_accumulator(detail::ratio_settings{normalize, params}) {}

  /// Adds one prompt's attention [layers, heads, T, T]. Errors: those of attention_ratio, and a
  /// prompt whose (layers, heads) differ from the accumulated ones (nothing is added then).
  template <class T>
  void add(tensor_view<const T, 4> A, const std::vector<std::size_t>& sources, const std::vector<std::size_t>& relevant,
           const std::vector<std::size_t>& irrelevant) {
    add_part(detail::attention_ratio_terms(function_name<detail::add_member>(), A, sources, relevant, irrelevant,
                                           settings().normalize, settings().params));
  }

  /// Adds layer `layer` of one prompt, [heads, T, T]; every layer must be fed before result().
  /// Layers may come in any order; the first add or add_layer fixes the number of heads.
  template <class T>
  void add_layer(std::size_t layer, tensor_view<const T, 3> A, const std::vector<std::size_t>& sources,
                 const std::vector<std::size_t>& relevant, const std::vector<std::size_t>& irrelevant) {
    add_layer_part(layer, detail::attention_ratio_terms(function_name<detail::add_layer_member>(),
                                                        detail::as_one_layer(A), sources, relevant, irrelevant,
                                                        settings().normalize, settings().params));
  }

  /// Mean over the prompts added of the per-prompt ratio, per layer; icl::invalid_argument when
  /// none was added or a layer received none.
  head_map result() const { return sums().mean_of_ratios(function_name<detail::result_member>()); }

  /// Summed numerators over summed denominators; errors as result().
  head_map ratio_of_sums() const { return sums().ratio_of_sums(function_name<detail::ratio_of_sums_member>()); }
};

}  // namespace icl::attention

#endif  // ICL_ATTENTION_RATIO_HPP
