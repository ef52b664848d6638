#ifndef ICL_CUDA_DETAIL_ATTENTION_HEADS_HPP
#define ICL_CUDA_DETAIL_ATTENTION_HEADS_HPP

/// The arithmetic of the device head scores (previous_token_score, induction_score,
/// label_attention, attention_ratio), one
/// (layer, head) at a time: a kernel runs it with one thread per head, the CPU tests over every
/// head, both against icl::attention. No CUDA header and nothing of the library: elements come through a reader (offset -> double), which
/// widens __half / __nv_bfloat16 on the device and icl::f16 / icl::bf16 on the host.

#include <cstddef>

#include "icl/cuda/detail/host_device.hpp"

namespace icl::cuda {
namespace detail {

/// The shape and strides (in elements) of one prompt's attention [layers, heads, T, T].
struct attention_layout {
  std::size_t layers, heads, tokens;
  std::ptrdiff_t s_layer, s_head, s_query, s_key;

  ICL_HOST_DEVICE std::ptrdiff_t offset(std::size_t l, std::size_t h, std::size_t q, std::size_t k) const {
    return static_cast<std::ptrdiff_t>(l) * s_layer + static_cast<std::ptrdiff_t>(h) * s_head +
           static_cast<std::ptrdiff_t>(q) * s_query + static_cast<std::ptrdiff_t>(k) * s_key;
  }
};

/// One head's score: the sum in double, and the first element that is NaN or ±Inf (its query
/// position, or `tokens` when there is none, and its value).
struct head_sum {
  double total;
  std::size_t bad_query;
  double bad_value;
};

/// previous_token_score of head `head` (= layer * heads + h): the sum over k = 1..T-1 of
/// A[l, h, k, k-1], stopping at the first non-finite element as icl::attention does.
template <class Read>
ICL_HOST_DEVICE head_sum previous_token_head(const attention_layout& s, std::size_t head, Read read) {
  const std::size_t l = head / s.heads, h = head % s.heads;
  head_sum out{0.0, s.tokens, 0.0};
  for (std::size_t k = 1; k < s.tokens; ++k) {
    const double v = read(s.offset(l, h, k, k - 1));
    if (!(v - v == 0.0)) {  // false exactly for NaN and ±Inf
      out.bad_query = k;
      out.bad_value = v;
      return out;
    }
    out.total += v;
  }
  return out;
}

/// What icl::attention checks of a full row before it reads from it: the first non-finite
/// element (its key, or `tokens` when there is none, and its value), whether any element is
/// non-zero, and the sum (in key order, up to the first non-finite element).
struct row_scan {
  double sum;
  std::size_t bad_key;
  double bad_value;
  bool any_nonzero;
};

template <class Read>
ICL_HOST_DEVICE row_scan scan_row(const attention_layout& s, std::size_t l, std::size_t h, std::size_t q, Read read) {
  row_scan out{0.0, s.tokens, 0.0, false};
  for (std::size_t k = 0; k < s.tokens; ++k) {
    const double v = read(s.offset(l, h, q, k));
    if (!(v - v == 0.0)) {
      out.bad_key = k;
      out.bad_value = v;
      return out;
    }
    if (v != 0.0) out.any_nonzero = true;
    out.sum += v;
  }
  return out;
}

/// One head's induction score and the scan of its row T-1.
struct induction_head {
  double total;
  row_scan row;
};

/// induction_score of head `head`: row T-1 scanned, then the sum of A[l, h, T-1, k] over the
/// `count` label positions `keys`, in their order.
template <class Read>
ICL_HOST_DEVICE induction_head induction_head_score(const attention_layout& s, std::size_t head, const std::size_t* keys,
                                                    std::size_t count, Read read) {
  const std::size_t l = head / s.heads, h = head % s.heads, q = s.tokens - 1;
  induction_head out{0.0, scan_row(s, l, h, q, read)};
  if (out.row.bad_key != s.tokens) return out;
  for (std::size_t i = 0; i < count; ++i) out.total += read(s.offset(l, h, q, keys[i]));
  return out;
}

/// label_attention of head `head`: row T-1 scanned, then the head's `classes` sums in `dst`
/// (zeroed here): A[l, h, T-1, keys[i]] added to dst[codes[i]] for each label position i in
/// order.
template <class Read>
ICL_HOST_DEVICE row_scan label_attention_head(const attention_layout& s, std::size_t head, const std::size_t* keys,
                                              const std::size_t* codes, std::size_t count, std::size_t classes,
                                              double* dst, Read read) {
  const std::size_t l = head / s.heads, h = head % s.heads, q = s.tokens - 1;
  for (std::size_t c = 0; c < classes; ++c) dst[c] = 0.0;
  const row_scan row = scan_row(s, l, h, q, read);
  if (row.bad_key != s.tokens) return row;
  for (std::size_t i = 0; i < count; ++i) dst[codes[i]] += read(s.offset(l, h, q, keys[i]));
  return row;
}

/// The positions of an attention ratio (device or host arrays) and the row-sum check.
struct ratio_positions {
  const std::size_t* sources;
  std::size_t n_sources;
  const std::size_t* relevant;
  std::size_t n_relevant;
  const std::size_t* irrelevant;
  std::size_t n_irrelevant;
  bool check_row_sums;
  double row_sum_tolerance;
};

/// One head's attention-ratio masses (sums over the source rows and each key set, in double, in
/// icl::attention's order), or the first source row that fails its full-row check: bad_source
/// (an index into sources; n_sources when every row passes) and that row's scan.
struct ratio_head {
  double relevant;
  double irrelevant;
  std::size_t bad_source;
  row_scan row;
};

template <class Read>
ICL_HOST_DEVICE double mass_of(const attention_layout& s, std::size_t l, std::size_t h, const ratio_positions& p,
                               const std::size_t* keys, std::size_t count, Read read) {
  double total = 0.0;
  for (std::size_t i = 0; i < p.n_sources; ++i) {
    for (std::size_t j = 0; j < count; ++j) total += read(s.offset(l, h, p.sources[i], keys[j]));
  }
  return total;
}

template <class Read>
ICL_HOST_DEVICE ratio_head ratio_head_masses(const attention_layout& s, std::size_t head, const ratio_positions& p,
                                             Read read) {
  const std::size_t l = head / s.heads, h = head % s.heads;
  ratio_head out{0.0, 0.0, p.n_sources, row_scan{0.0, s.tokens, 0.0, false}};
  for (std::size_t i = 0; i < p.n_sources; ++i) {
    const row_scan row = scan_row(s, l, h, p.sources[i], read);
    const double off = row.sum - 1.0;
    if (row.bad_key != s.tokens || !row.any_nonzero ||
        (p.check_row_sums && !((off < 0.0 ? -off : off) <= p.row_sum_tolerance))) {
      out.bad_source = i;
      out.row = row;
      return out;
    }
  }
  out.relevant = mass_of(s, l, h, p, p.relevant, p.n_relevant, read);
  out.irrelevant = mass_of(s, l, h, p, p.irrelevant, p.n_irrelevant, read);
  return out;
}

}  // namespace detail
}  // namespace icl::cuda

#endif  // ICL_CUDA_DETAIL_ATTENTION_HEADS_HPP
