#ifndef ICL_CUDA_DETAIL_ATTENTION_RESULTS_HPP
#define ICL_CUDA_DETAIL_ATTENTION_RESULTS_HPP

/// The host's decisions on what the head-score kernels bring back: the errors icl::attention
/// raises, in its order and with its messages. Host code, compiled by nvcc for the device
/// functions and by a host compiler for their CPU tests.

#include <cmath>
#include <cstddef>
#include <utility>
#include <vector>

#if defined(__CUDACC__)
#pragma nv_diag_suppress 20012  // Eigen, under nvcc: see icl/cuda/detail/host_library.cuh
#endif
#include "icl/attention/detail/attention_checks.hpp"
#include "icl/attention/detail/ratio_impl.hpp"
#include "icl/attention/types.hpp"
#include "icl/core/error.hpp"
#if defined(__CUDACC__)
#pragma nv_diag_default 20012
#endif

#include "icl/cuda/detail/attention_heads.hpp"

namespace icl::cuda {
namespace detail {

/// The errors of icl::attention's full-row check (a NaN/Inf element, an all-zero row, with
/// params.check_row_sums a sum other than 1) for row q of head `head`, from its scan.
inline void raise_row_errors(const char* function, const attention_layout& s, std::size_t head, std::size_t q,
                             const row_scan& row, const icl::attention::attention_params& params) {
  const std::size_t l = head / s.heads, h = head % s.heads;
  if (row.bad_key != s.tokens) icl::attention::detail::throw_non_finite(function, l, h, q, row.bad_key, row.bad_value);
  if (!row.any_nonzero) {
    icl::detail::throw_invalid(function, "attention row of layer ", l, ", head ", h, ", query position ", q,
                               " is all zero");
  }
  if (params.check_row_sums && !(std::abs(row.sum - 1.0) <= params.row_sum_tolerance)) {
    icl::detail::throw_invalid(function, "attention row of layer ", l, ", head ", h, ", query position ", q,
                               " sums to ", row.sum, ", not 1 within ", params.row_sum_tolerance);
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

/// The head map of per-head induction scores, after the full-row errors of each head in order.
inline icl::attention::head_map induction_map(const char* function, const attention_layout& s,
                                              const induction_head* heads, const icl::attention::attention_params& params) {
  icl::attention::head_map out = icl::attention::detail::zero_head_map(s);
  for (std::size_t i = 0; i < out.values.size(); ++i) {
    raise_row_errors(function, s, i, s.tokens - 1, heads[i].row, params);
    out.values[i] = heads[i].total;
  }
  return out;
}

/// The label attention map of `classes` per-head sums (values: [layers * heads, classes]), after
/// the full-row errors of each head in order.
inline icl::attention::label_attention_map label_attention_map_of(const char* function, const attention_layout& s,
                                                                  const row_scan* rows, std::vector<int> classes,
                                                                  std::vector<double> values,
                                                                  const icl::attention::attention_params& params) {
  for (std::size_t i = 0; i < s.layers * s.heads; ++i) raise_row_errors(function, s, i, s.tokens - 1, rows[i], params);
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
  icl::attention::head_map numerator = icl::attention::detail::zero_head_map(s);
  icl::attention::head_map denominator = icl::attention::detail::zero_head_map(s);
  const double nr = normalize ? static_cast<double>(n_relevant) : 1.0;
  const double ni = normalize ? static_cast<double>(n_irrelevant) : 1.0;
  for (std::size_t i = 0; i < numerator.values.size(); ++i) {
    if (heads[i].bad_source != sources.size()) {
      raise_row_errors(function, s, i, sources[heads[i].bad_source], heads[i].row, params);
    }
    numerator.values[i] = heads[i].relevant / nr;
    denominator.values[i] = heads[i].irrelevant / ni;
  }
  icl::attention::head_map out;
  icl::attention::detail::divide_into(out, numerator, denominator);
  return out;
}

}  // namespace detail
}  // namespace icl::cuda

#endif  // ICL_CUDA_DETAIL_ATTENTION_RESULTS_HPP
