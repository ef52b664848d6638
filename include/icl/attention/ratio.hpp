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

#include <cmath>
#include <cstddef>
#include <initializer_list>
#include <limits>
#include <vector>

#include "icl/attention/detail/attention_impl.hpp"
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

namespace detail {

/// Per-layer means of a head map, leaving out the flagged (undefined) heads when skip_flagged;
/// left_out (when given) receives the number left out per layer. Checks as mean_over_heads.
inline layer_curve layer_means(const char* fn, const head_map& s, bool skip_flagged, std::vector<std::size_t>* left_out) {
  const std::size_t n = s.layers * s.heads;
  if (n == 0) throw_invalid(fn, "the head map is empty (", s.layers, " layers x ", s.heads, " heads)");
  if (s.values.size() != n) throw_invalid(fn, "values has ", s.values.size(), " entries, expected layers x heads = ", n);
  layer_curve out;
  out.values.assign(s.layers, 0.0);
  if (left_out != nullptr) left_out->assign(s.layers, 0);
  for (std::size_t l = 0; l < s.layers; ++l) {
    double total = 0.0;
    std::size_t used = 0;
    for (std::size_t h = 0; h < s.heads; ++h) {
      const double v = s.values[l * s.heads + h];
      if (std::isnan(v)) throw_invalid(fn, "value of layer ", l, ", head ", h, " is NaN");
      if (skip_flagged && s.undefined(l, h)) {
        if (left_out != nullptr) ++(*left_out)[l];
        continue;
      }
      total += v;
      ++used;
    }
    out.values[l] = used > 0 ? total / static_cast<double>(used) : std::numeric_limits<double>::quiet_NaN();
  }
  return out;
}

}  // namespace detail

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

/// The ICL-minus-no-ICL change of a head map (METRICS.md section 5): with_icl - without_icl for
/// every (layer, head) — e.g. the mean attention ratio (or induction score) of prompts with
/// demonstrations minus that of the same queries without them. A value flagged undefined in
/// either input (a +inf ratio from a zero denominator) stays flagged in the result, whose value
/// is then the IEEE difference (+inf, -inf, or NaN for inf - inf) — check undefined(l, h).
/// Errors (icl::invalid_argument): an empty map, values.size() != layers * heads, maps of
/// different shapes.
inline head_map icl_change(const head_map& with_icl, const head_map& without_icl) {
  constexpr const char* fn = "icl::attention::icl_change";
  for (const head_map* m : {&with_icl, &without_icl}) {
    const char* name = m == &with_icl ? "with_icl" : "without_icl";
    if (m->layers * m->heads == 0) detail::throw_invalid(fn, name, " is empty (", m->layers, " layers x ", m->heads, " heads)");
    if (m->values.size() != m->layers * m->heads) {
      detail::throw_invalid(fn, name, " has ", m->values.size(), " values, expected layers x heads = ", m->layers * m->heads);
    }
  }
  if (with_icl.layers != without_icl.layers || with_icl.heads != without_icl.heads) {
    detail::throw_invalid(fn, "with_icl is ", with_icl.layers, " x ", with_icl.heads, " and without_icl is ",
                          without_icl.layers, " x ", without_icl.heads, " (layers x heads)");
  }
  head_map out;
  out.layers = with_icl.layers;
  out.heads = with_icl.heads;
  out.values.resize(with_icl.values.size());
  for (std::size_t i = 0; i < out.values.size(); ++i) out.values[i] = with_icl.values[i] - without_icl.values[i];
  if (!with_icl.zero_denominator.empty() || !without_icl.zero_denominator.empty()) {
    out.zero_denominator.assign(out.values.size(), 0);
    for (std::size_t i = 0; i < out.values.size(); ++i) {
      const bool flagged = (!with_icl.zero_denominator.empty() && with_icl.zero_denominator[i] != 0) ||
                           (!without_icl.zero_denominator.empty() && without_icl.zero_denominator[i] != 0);
      if (flagged) {
        out.zero_denominator[i] = 1;
        ++out.zero_denominator_count;
      }
    }
  }
  return out;
}

/// Mean over prompts of the per-prompt attention ratio, one prompt at a time (prompts may have
/// different T and positions) — or one layer of a prompt at a time with add_layer, as an
/// inference engine computes them. merge() combines accumulators filled on different workers; the
/// result equals adding every prompt to one accumulator (up to the rounding of the sums). A
/// (layer, head) whose denominator was zero in any prompt is +inf in result() and flagged.
class ratio_accumulator {
 public:
  explicit ratio_accumulator(bool normalize = true, attention_params params = {})
      : normalize_(normalize), params_(params) {}

  /// Adds one prompt's attention [layers, heads, T, T].
  template <class T>
  void add(tensor_view<const T, 4> A, const std::vector<std::size_t>& sources, const std::vector<std::size_t>& relevant,
           const std::vector<std::size_t>& irrelevant) {
    constexpr const char* fn = "icl::attention::ratio_accumulator::add";
    sum_.add(fn, detail::attention_ratio_impl(fn, A, sources, relevant, irrelevant, normalize_, params_));
  }

  /// Adds layer `layer` of one prompt, [heads, T, T]; every layer must be fed before result().
  template <class T>
  void add_layer(std::size_t layer, tensor_view<const T, 3> A, const std::vector<std::size_t>& sources,
                 const std::vector<std::size_t>& relevant, const std::vector<std::size_t>& irrelevant) {
    constexpr const char* fn = "icl::attention::ratio_accumulator::add_layer";
    sum_.add_layer(fn, layer,
                   detail::attention_ratio_impl(fn, detail::as_one_layer(A), sources, relevant, irrelevant, normalize_,
                                                params_));
  }

  void merge(const ratio_accumulator& other) {
    constexpr const char* fn = "icl::attention::ratio_accumulator::merge";
    if (other.normalize_ != normalize_) throw_invalid_merge(fn);
    sum_.merge(fn, other.sum_);
  }

  /// Prompts added (with add_layer: the most any layer received).
  std::size_t prompts() const noexcept { return sum_.prompts(); }
  /// Prompts received by each layer.
  const std::vector<std::size_t>& layer_prompts() const noexcept { return sum_.layer_prompts(); }

  /// Mean over the prompts added, per layer; icl::invalid_argument when none was added or a
  /// layer received none.
  head_map result() const { return sum_.mean("icl::attention::ratio_accumulator::result"); }

 private:
  [[noreturn]] static void throw_invalid_merge(const char* fn) {
    detail::throw_invalid(fn, "accumulators differ in normalize");
  }
  bool normalize_;
  attention_params params_;
  detail::layered_sum sum_;
};

}  // namespace icl::attention

#endif  // ICL_ATTENTION_RATIO_HPP
