#ifndef ICL_CUDA_DETAIL_ATTENTION_RESULTS_HPP
#define ICL_CUDA_DETAIL_ATTENTION_RESULTS_HPP

/// The host's decisions on what the head-score kernels bring back: the errors icl::attention
/// raises, in its order and with its messages. Host code, compiled by nvcc for the device
/// functions and by a host compiler for their CPU tests.

#include <cmath>
#include <cstddef>
#include <limits>
#include <utility>
#include <vector>

#include "icl/cuda/detail/host_device.hpp"
ICL_CUDA_HOST_LIBRARY_BEGIN
#include "icl/attention/detail/attention_checks.hpp"
#include "icl/attention/detail/ratio_impl.hpp"
#include "icl/attention/types.hpp"
#include "icl/core/error.hpp"
ICL_CUDA_HOST_LIBRARY_END

#include "icl/cuda/detail/attention_heads.hpp"

namespace icl::cuda {
namespace detail {

/// The errors of icl::attention's full-row check for row q of head `head`, from its scan, raised
/// by icl::attention itself: a NaN/Inf element through throw_non_finite; otherwise check_full_row
/// reads a two-element stand-in for the row with the scan's sum and non-zero flag (0 and 0 for a
/// zero row; the sum and 0; 1 and -1 for a non-zero row that sums to 0; twice the largest double
/// of the sum's sign for a sum beyond the double range), which gives its "all zero" and "sums to"
/// errors with their messages.
inline void raise_row_errors(const char* function, const attention_layout& s, std::size_t head, std::size_t q,
                             const row_scan& row, const icl::attention::attention_params& params) {
  const std::size_t l = head / s.heads, h = head % s.heads;
  if (row.bad_key != s.tokens) icl::attention::detail::throw_non_finite(function, l, h, q, row.bad_key, row.bad_value);
  double stand_in[2] = {row.sum, 0.0};
  if (!row.any_nonzero) {
    stand_in[0] = 0.0;
  } else if (row.sum == 0.0) {
    stand_in[0] = 1.0;
    stand_in[1] = -1.0;
  } else if (!(row.sum - row.sum == 0.0)) {
    stand_in[0] = stand_in[1] = std::copysign(std::numeric_limits<double>::max(), row.sum);
  }
  const icl::attention::detail::attention_shape<double> one_row{stand_in, 1, 1, 2, 0, 0, 0, 1};
  icl::attention::detail::check_full_row(function, one_row, l, h, q, params);
}

/// The full-row errors of row T-1 of every head in order (induction_score, label_attention).
inline void raise_last_row_errors(const char* function, const attention_layout& s, const row_scan* rows,
                                  const icl::attention::attention_params& params) {
  for (std::size_t i = 0; i < s.layers * s.heads; ++i) raise_row_errors(function, s, i, s.tokens - 1, rows[i], params);
}

/// The first failing source row's error, of the first head in order that has one (attention_ratio).
inline void raise_ratio_errors(const char* function, const attention_layout& s, const ratio_head* heads,
                               const std::vector<std::size_t>& sources, const icl::attention::attention_params& params) {
  for (std::size_t i = 0; i < s.layers * s.heads; ++i) {
    if (heads[i].bad_source != sources.size()) {
      raise_row_errors(function, s, i, sources[heads[i].bad_source], heads[i].row, params);
    }
  }
}

/// The head map of per-head previous-token sums; the first head with a NaN/Inf element raises
/// icl::attention's error (its key is query - 1).
inline icl::attention::head_map previous_token_map(const char* function, const attention_layout& s,
                                                   const head_sum* sums) {
  icl::attention::head_map out = icl::attention::detail::zero_head_map(s);
  for (std::size_t i = 0; i < out.values.size(); ++i) {
    if (sums[i].bad_query != s.tokens) {
      icl::attention::detail::throw_non_finite(function, i / s.heads, i % s.heads, sums[i].bad_query,
                                               sums[i].bad_query - 1, sums[i].bad_value);
    }
    out.values[i] = sums[i].total;
  }
  return out;
}

/// The head map of per-head induction scores (totals), after the full-row errors of each head's
/// row T-1 in order.
inline icl::attention::head_map induction_map(const char* function, const attention_layout& s, const row_scan* rows,
                                              const double* totals, const icl::attention::attention_params& params) {
  raise_last_row_errors(function, s, rows, params);
  icl::attention::head_map out = icl::attention::detail::zero_head_map(s);
  for (std::size_t i = 0; i < out.values.size(); ++i) out.values[i] = totals[i];
  return out;
}

/// The label attention map of `classes` per-head sums (values: [layers * heads, classes]), after
/// the full-row errors of each head in order.
inline icl::attention::label_attention_map label_attention_map_of(const char* function, const attention_layout& s,
                                                                  const row_scan* rows, std::vector<int> classes,
                                                                  std::vector<double> values,
                                                                  const icl::attention::attention_params& params) {
  raise_last_row_errors(function, s, rows, params);
  icl::attention::label_attention_map out;
  out.layers = s.layers;
  out.heads = s.heads;
  out.classes = std::move(classes);
  out.values = std::move(values);
  return out;
}

/// The attention ratio from the per-head masses: the full-row error of the first failing head,
/// then (relevant / |R|) / (irrelevant / |I|) with normalize (plain masses without), +inf and
/// flagged where the denominator is 0, as icl::attention::attention_ratio.
inline icl::attention::head_map ratio_map(const char* function, const attention_layout& s, const ratio_head* heads,
                                          const std::vector<std::size_t>& sources, std::size_t n_relevant,
                                          std::size_t n_irrelevant, bool normalize,
                                          const icl::attention::attention_params& params) {
  raise_ratio_errors(function, s, heads, sources, params);
  icl::attention::head_map numerator = icl::attention::detail::zero_head_map(s);
  icl::attention::head_map denominator = icl::attention::detail::zero_head_map(s);
  const double nr = normalize ? static_cast<double>(n_relevant) : 1.0;
  const double ni = normalize ? static_cast<double>(n_irrelevant) : 1.0;
  for (std::size_t i = 0; i < numerator.values.size(); ++i) {
    numerator.values[i] = heads[i].relevant / nr;
    denominator.values[i] = heads[i].irrelevant / ni;
  }
  icl::attention::head_map out;
  icl::attention::detail::divide_into(out, numerator, denominator);
  return out;
}

/// The keys of attention_ratio's two sets as the kernels read them: per key, bit 0 when it is
/// relevant, bit 1 when it is irrelevant.
inline std::vector<unsigned char> key_mask(std::size_t tokens, const std::vector<std::size_t>& relevant,
                                           const std::vector<std::size_t>& irrelevant) {
  std::vector<unsigned char> mask(tokens, 0);
  for (std::size_t k : relevant) mask[k] |= 1u;
  for (std::size_t k : irrelevant) mask[k] |= 2u;
  return mask;
}

/// Label positions grouped by class, each class's in their given order: `keys` (the positions)
/// and `first` (classes + 1 entries: class c's run is keys[first[c] .. first[c + 1])).
struct class_runs {
  std::vector<std::size_t> keys, first;
};

inline class_runs keys_by_class(const std::vector<std::size_t>& positions, const std::vector<std::size_t>& codes,
                                std::size_t classes) {
  class_runs out{std::vector<std::size_t>(positions.size()), std::vector<std::size_t>(classes + 1, 0)};
  for (std::size_t code : codes) ++out.first[code + 1];
  for (std::size_t c = 0; c < classes; ++c) out.first[c + 1] += out.first[c];
  std::vector<std::size_t> next(out.first.begin(), out.first.end() - 1);
  for (std::size_t i = 0; i < positions.size(); ++i) out.keys[next[codes[i]]++] = positions[i];
  return out;
}

/// The label positions as one class, in their order (induction_score).
inline class_runs one_class_runs(const std::vector<std::size_t>& label_positions) {
  return class_runs{label_positions, {0, label_positions.size()}};
}

/// The row check of `params` as the kernels take it.
inline row_check row_check_of(const icl::attention::attention_params& params) {
  return row_check{params.check_row_sums, params.row_sum_tolerance};
}

}  // namespace detail
}  // namespace icl::cuda

#endif  // ICL_CUDA_DETAIL_ATTENTION_RESULTS_HPP
