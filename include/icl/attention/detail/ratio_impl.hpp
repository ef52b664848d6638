#ifndef ICL_ATTENTION_DETAIL_RATIO_IMPL_HPP
#define ICL_ATTENTION_DETAIL_RATIO_IMPL_HPP

/// The attention ratio of one prompt (its numerator and denominator per head, read by
/// row_sums.hpp over the heads in parallel), the sums of ratio_accumulator, the per-layer means
/// of a head map and the ICL-minus-no-ICL change.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <initializer_list>
#include <limits>
#include <vector>

#include "icl/attention/detail/accumulator.hpp"
#include "icl/attention/detail/attention_checks.hpp"
#include "icl/attention/detail/row_sums.hpp"
#include "icl/attention/types.hpp"
#include "icl/core/parallel.hpp"
#include "icl/core/view.hpp"
#include "icl/layers.hpp"

namespace icl::attention::detail {

/// Elements a call must read before its heads are spread over threads.
inline constexpr std::size_t parallel_attention_work = std::size_t{1} << 22;

/// Runs body(unit) for unit in [0, units), in parallel when `parallel`; errors follow the
/// library's policy (core/parallel.hpp): the exception of the smallest failing unit is rethrown,
/// so that the error named does not depend on the thread count.
template <class Body>
void for_each_head(std::size_t units, bool parallel, Body&& body) {
  if (parallel) {
    icl::detail::parallel_for(0, units, body);
  } else {
    for (std::size_t unit = 0; unit < units; ++unit) body(unit);
  }
}

/// One prompt's attention ratio with its two terms per (layer, head): numerator = relevant mass
/// (divided by |R| when normalizing), denominator = irrelevant mass (divided by |I|), and
/// ratio = numerator / denominator (+inf and flagged when the denominator is 0).
struct ratio_terms {
  head_map ratio;
  head_map numerator;
  head_map denominator;
};

/// numerator / denominator per value, +inf and flagged where the denominator is zero.
inline void divide_into(head_map& out, const head_map& numerator, const head_map& denominator) {
  out.layers = numerator.layers;
  out.heads = numerator.heads;
  out.values.assign(numerator.values.size(), 0.0);
  out.zero_denominator.assign(numerator.values.size(), 0);
  out.zero_denominator_count = 0;
  for (std::size_t u = 0; u < out.values.size(); ++u) {
    if (denominator.values[u] == 0.0) {
      out.values[u] = std::numeric_limits<double>::infinity();
      out.zero_denominator[u] = 1;
      ++out.zero_denominator_count;
    } else {
      out.values[u] = numerator.values[u] / denominator.values[u];
    }
  }
}

template <class T>
ratio_terms attention_ratio_terms(const char* function, const tensor_view<const T, 4>& A,
                                  const std::vector<std::size_t>& sources, const std::vector<std::size_t>& relevant,
                                  const std::vector<std::size_t>& irrelevant, bool normalize,
                                  const attention_params& params) {
  const auto s = check_attention(function, A);
  check_positions(function, "sources", sources, s.tokens);
  check_positions(function, "relevant", relevant, s.tokens);
  check_positions(function, "irrelevant", irrelevant, s.tokens);
  ratio_terms out;
  out.numerator = zero_head_map(s);
  out.denominator = zero_head_map(s);
  const double nr = normalize ? static_cast<double>(relevant.size()) : 1.0;
  const double ni = normalize ? static_cast<double>(irrelevant.size()) : 1.0;
  using C = icl::detail::compute_t<T>;
  const key_masks<C> masks(s.tokens, relevant, irrelevant);
  // One unit per (layer, head): |sources| rows of T values. Small totals (the last-token ratio
  // reads one row per head) run on the calling thread: there, starting threads costs more than
  // the reading.
  const std::size_t work = sources.size() * s.tokens * s.layers * s.heads;
  for_each_head(s.layers * s.heads, work >= parallel_attention_work, [&](std::size_t unit) {
    const std::size_t l = unit / s.heads, h = unit % s.heads;
    thread_local std::vector<C> buffer;
    buffer.resize(s.tokens);
    const auto [relevant_mass, irrelevant_mass] =
        head_masses(function, s, l, h, sources, relevant, irrelevant, masks, buffer, params);
    out.numerator.values[unit] = relevant_mass / nr;
    out.denominator.values[unit] = irrelevant_mass / ni;
  });
  divide_into(out.ratio, out.numerator, out.denominator);
  return out;
}

template <class T>
head_map attention_ratio_impl(const char* function, const tensor_view<const T, 4>& A,
                              const std::vector<std::size_t>& sources, const std::vector<std::size_t>& relevant,
                              const std::vector<std::size_t>& irrelevant, bool normalize,
                              const attention_params& params) {
  return attention_ratio_terms(function, A, sources, relevant, irrelevant, normalize, params).ratio;
}

/// The sums of ratio_accumulator: the per-prompt ratios (for their mean) and the two terms (for
/// the ratio of sums), all fed and merged together, with layered_sum's rules.
class ratio_sums {
 public:
  using part = ratio_terms;

  void add(const char* function, const ratio_terms& prompt) {
    ratio_.add(function, prompt.ratio);  // checks the shape before anything is added
    numerator_.add(function, prompt.numerator);
    denominator_.add(function, prompt.denominator);
  }
  void add_layer(const char* function, std::size_t layer, const ratio_terms& one_layer) {
    ratio_.add_layer(function, layer, one_layer.ratio);
    numerator_.add_layer(function, layer, one_layer.numerator);
    denominator_.add_layer(function, layer, one_layer.denominator);
  }
  void merge(const char* function, const ratio_sums& other) {
    ratio_.merge(function, other.ratio_);
    numerator_.merge(function, other.numerator_);
    denominator_.merge(function, other.denominator_);
  }
  std::size_t prompts() const noexcept { return ratio_.prompts(); }
  const std::vector<std::size_t>& layer_prompts() const noexcept { return ratio_.layer_prompts(); }

  /// Calls f on every member of the state (f takes each by reference): how the state travels
  /// between processes (icl/mpi/attention.hpp writes and reads it field by field).
  template <class F>
  void for_each_field(F&& f) {
    ratio_.for_each_field(f);
    numerator_.for_each_field(f);
    denominator_.for_each_field(f);
  }

  /// The mean of the per-prompt ratios (flags OR-ed over prompts).
  head_map mean_of_ratios(const char* function) const { return ratio_.mean(function); }

  /// Summed numerators over summed denominators (+inf and flagged where the latter is 0).
  head_map ratio_of_sums(const char* function) const {
    head_map out;
    divide_into(out, numerator_.total(function), denominator_.total(function));
    return out;
  }

 private:
  layered_sum ratio_, numerator_, denominator_;
};

/// What a ratio_accumulator fixes at construction; accumulators that differ in normalize do not
/// merge.
struct ratio_settings {
  bool normalize = true;
  attention_params params;
};
template <class F>
void for_each_setting(ratio_settings& s, F&& f) {
  f(s.normalize);
  for_each_setting(s.params, f);
}
inline void check_mergeable(const char* function, const ratio_settings& mine, const ratio_settings& other) {
  if (mine.normalize != other.normalize) throw_invalid(function, "accumulators differ in normalize");
}

inline constexpr char ratio_accumulator_name[] = "icl::attention::ratio_accumulator";
inline constexpr char ratio_of_sums_member[] = "ratio_of_sums";

/// Per-layer means of a head map, leaving out the flagged (undefined) heads when skip_flagged;
/// left_out (when given) receives the number left out per layer. Checks as mean_over_heads.
inline layer_curve layer_means(const char* function, const head_map& s, bool skip_flagged,
                               std::vector<std::size_t>* left_out) {
  check_head_map(function, s, "value");
  layer_curve out;
  out.values.assign(s.layers, 0.0);
  if (left_out != nullptr) left_out->assign(s.layers, 0);
  for (std::size_t l = 0; l < s.layers; ++l) {
    double total = 0.0;
    std::size_t used = 0;
    for (std::size_t h = 0; h < s.heads; ++h) {
      if (skip_flagged && s.undefined(l, h)) {
        if (left_out != nullptr) ++(*left_out)[l];
        continue;
      }
      total += s.values[l * s.heads + h];
      ++used;
    }
    out.values[l] = used > 0 ? total / static_cast<double>(used) : std::numeric_limits<double>::quiet_NaN();
  }
  return out;
}

/// icl_change: with_icl - without_icl, flags OR-ed.
inline head_map icl_change_impl(const char* function, const head_map& with_icl, const head_map& without_icl) {
  for (const head_map* m : {&with_icl, &without_icl}) {
    const char* name = m == &with_icl ? "with_icl" : "without_icl";
    if (m->layers * m->heads == 0) throw_invalid(function, name, " is empty (", m->layers, " layers x ", m->heads, " heads)");
    if (m->values.size() != m->layers * m->heads) {
      throw_invalid(function, name, " has ", m->values.size(), " values, expected layers x heads = ", m->layers * m->heads);
    }
  }
  if (with_icl.layers != without_icl.layers || with_icl.heads != without_icl.heads) {
    throw_invalid(function, "with_icl is ", with_icl.layers, " x ", with_icl.heads, " and without_icl is ",
                  without_icl.layers, " x ", without_icl.heads, " (layers x heads)");
  }
  head_map out;
  out.layers = with_icl.layers;
  out.heads = with_icl.heads;
  out.values.resize(with_icl.values.size());
  for (std::size_t i = 0; i < out.values.size(); ++i) out.values[i] = with_icl.values[i] - without_icl.values[i];
  if (!with_icl.zero_denominator.empty() || !without_icl.zero_denominator.empty()) {
    out.zero_denominator.assign(out.values.size(), 0);
    const auto flagged = [](const head_map& m, std::size_t i) {
      return !m.zero_denominator.empty() && m.zero_denominator[i] != 0;
    };
    for (std::size_t i = 0; i < out.values.size(); ++i) {
      if (flagged(with_icl, i) || flagged(without_icl, i)) {
        out.zero_denominator[i] = 1;
        ++out.zero_denominator_count;
      }
    }
  }
  return out;
}

}  // namespace icl::attention::detail

#endif  // ICL_ATTENTION_DETAIL_RATIO_IMPL_HPP
