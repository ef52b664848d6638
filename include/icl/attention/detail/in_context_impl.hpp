#ifndef ICL_ATTENTION_DETAIL_IN_CONTEXT_IMPL_HPP
#define ICL_ATTENTION_DETAIL_IN_CONTEXT_IMPL_HPP

/// Kernels of the in-context head selection (docs/metrics.md 5 [P4]): the ranking of one head map
/// (stable: equal scores keep (layer, head) order), the union of several ranked lists by best
/// rank, and the label-position logit-minus of one head.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <numeric>
#include <utility>
#include <vector>

#include "icl/attention/detail/attention_checks.hpp"
#include "icl/attention/detail/logit_lens_impl.hpp"
#include "icl/attention/types.hpp"
#include "icl/core/view.hpp"

namespace icl::attention::detail {

using head_list = std::vector<std::pair<std::size_t, std::size_t>>;

/// The `count` highest scores of s, highest first, ties in (layer, head) order.
inline head_list ranked_heads(const head_map& s, std::size_t count) {
  const std::size_t n = s.layers * s.heads;
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return s.values[a] > s.values[b]; });
  head_list out;
  out.reserve(count);
  for (std::size_t i = 0; i < count; ++i) out.emplace_back(order[i] / s.heads, order[i] % s.heads);
  return out;
}

/// Heads kept per list under params, for n heads in all.
inline std::size_t selection_count(const char* function, const head_selection_params& params, std::size_t n) {
  if (!(params.fraction >= 0.0 && params.fraction <= 1.0)) {
    throw_invalid(function, "params.fraction = ", params.fraction, " must be in [0, 1] (0: use top_k)");
  }
  if (params.fraction > 0.0) {
    const auto count = static_cast<std::size_t>(std::ceil(params.fraction * static_cast<double>(n) - 1e-9));
    return std::min(n, std::max<std::size_t>(count, 1));
  }
  if (params.top_k == 0) throw_invalid(function, "params.top_k = 0: keep at least one head");
  if (params.top_k > n) throw_invalid(function, "params.top_k = ", params.top_k, " exceeds the ", n, " heads of the map");
  return params.top_k;
}

/// Union of the lists, ordered by the best rank each head has in any list; among heads of the
/// same best rank, the order of the lists.
inline head_list merge_by_rank(const std::vector<head_list>& lists) {
  head_list out;
  std::size_t longest = 0;
  for (const auto& l : lists) longest = std::max(longest, l.size());
  for (std::size_t r = 0; r < longest; ++r) {
    for (const auto& l : lists) {
      if (r < l.size() && std::find(out.begin(), out.end(), l[r]) == out.end()) out.push_back(l[r]);
    }
  }
  return out;
}

inline in_context_head_set select_in_context_heads(const char* function, const std::vector<head_map>& scores,
                                                   const head_selection_params& params) {
  if (scores.empty()) throw_invalid(function, "no head map was given (one per label)");
  for (std::size_t k = 0; k < scores.size(); ++k) {
    check_head_map(function, scores[k], "score");
    if (scores[k].layers != scores[0].layers || scores[k].heads != scores[0].heads) {
      throw_invalid(function, "scores[", k, "] is ", scores[k].layers, " x ", scores[k].heads, " but scores[0] is ",
                    scores[0].layers, " x ", scores[0].heads);
    }
  }
  const std::size_t count = selection_count(function, params, scores[0].layers * scores[0].heads);
  in_context_head_set out;
  for (const auto& s : scores) out.per_label.push_back(ranked_heads(s, count));
  out.merged = merge_by_rank(out.per_label);
  return out;
}

/// Means of logit_minus over two position sets of U's rows.
template <class T, class TE>
std::pair<double, double> label_logit_minus(const char* function, matrix_view<const T> U, matrix_view<const TE> E,
                                            std::size_t token_a, std::size_t token_b,
                                            const std::vector<std::size_t>& positions_a,
                                            const std::vector<std::size_t>& positions_b,
                                            const std::vector<double>& final_hidden, const logit_lens_params& params) {
  if (positions_a.empty() || positions_b.empty()) {
    throw_invalid(function, "positions_a has ", positions_a.size(), " and positions_b ", positions_b.size(),
                  " entries; both must be non-empty");
  }
  for (std::size_t i = 0; i < positions_a.size(); ++i) {
    if (positions_a[i] >= U.rows()) throw_invalid(function, "positions_a[", i, "] = ", positions_a[i], " must be < T = ", U.rows());
  }
  for (std::size_t i = 0; i < positions_b.size(); ++i) {
    if (positions_b[i] >= U.rows()) throw_invalid(function, "positions_b[", i, "] = ", positions_b[i], " must be < T = ", U.rows());
  }
  const std::vector<double> m = attention::detail::logit_minus(function, U, E, token_a, token_b, final_hidden, params);
  double a = 0.0, b = 0.0;
  for (std::size_t p : positions_a) a += m[p];
  for (std::size_t p : positions_b) b += m[p];
  return {a / static_cast<double>(positions_a.size()), b / static_cast<double>(positions_b.size())};
}

/// State of label_score_accumulator: per label, the sum of the head maps added and their count.
struct label_score_sums {
  std::vector<head_map> sums;
  std::vector<std::size_t> counts;

  /// Calls f on every member of the state (f takes each by reference): how the state travels
  /// between processes (icl/mpi/attention.hpp writes and reads it field by field).
  template <class F>
  void for_each_field(F&& f) {
    f(sums);
    f(counts);
  }

  void add(const char* function, std::size_t label, const head_map& scores) {
    if (label >= sums.size()) throw_invalid(function, "label = ", label, " must be < labels = ", sums.size());
    check_head_map(function, scores, "score");
    for (std::size_t i = 0; i < scores.values.size(); ++i) {
      if (!std::isfinite(scores.values[i])) {
        throw_invalid(function, "score of layer ", i / scores.heads, ", head ", i % scores.heads, " is ", scores.values[i]);
      }
    }
    for (const head_map& s : sums) {
      if (s.layers != 0 && (s.layers != scores.layers || s.heads != scores.heads)) {
        throw_invalid(function, "scores are ", scores.layers, " x ", scores.heads, " but earlier ones were ", s.layers,
                      " x ", s.heads);
      }
    }
    head_map& into = sums[label];
    if (into.layers == 0) {
      into.layers = scores.layers;
      into.heads = scores.heads;
      into.values.assign(scores.values.size(), 0.0);
    }
    for (std::size_t i = 0; i < scores.values.size(); ++i) into.values[i] += scores.values[i];
    ++counts[label];
  }

  void merge(const char* function, const label_score_sums& from) {
    const label_score_sums other = from;  // a copy: merging an accumulator into itself is defined
    if (other.sums.size() != sums.size()) {
      throw_invalid(function, "the accumulators have ", sums.size(), " and ", other.sums.size(), " labels");
    }
    for (std::size_t k = 0; k < sums.size(); ++k) {
      if (other.counts[k] == 0) continue;
      head_map total = other.sums[k];
      add(function, k, total);  // shape checks; counts one prompt
      counts[k] += other.counts[k] - 1;
    }
  }

  std::vector<head_map> means(const char* function) const {
    std::vector<head_map> out = sums;
    for (std::size_t k = 0; k < out.size(); ++k) {
      if (counts[k] == 0) throw_invalid(function, "label ", k, " received no prompt");
      for (double& v : out[k].values) v /= static_cast<double>(counts[k]);
    }
    return out;
  }
};

}  // namespace icl::attention::detail

#endif  // ICL_ATTENTION_DETAIL_IN_CONTEXT_IMPL_HPP
