#ifndef ICL_CUDA_DETAIL_ATTENTION_HEADS_HPP
#define ICL_CUDA_DETAIL_ATTENTION_HEADS_HPP

/// The arithmetic and the index space of the device head scores (previous_token_score,
/// induction_score, label_attention, attention_ratio). No CUDA header and nothing of the library:
/// elements come through a reader (offset -> double), which widens __half / __nv_bfloat16 on the
/// device and icl::f16 / icl::bf16 on the host.
///
/// Every unit of work (a head, or one row of one head) belongs to one warp of 32 lanes:
///   - a row [l, h, q, :] is read along the keys, lane j taking the steps of V = 16 / sizeof(T)
///     consecutive keys that start at V·j, V·(j + 32), ... (row_lane: one 16-byte load per step
///     where the keys are contiguous and aligned, V single loads otherwise: the same keys, added
///     in the same order, so a strided view gives the same doubles as a contiguous one);
///   - the subdiagonal of previous_token_score: lane j takes k = 1 + j, 1 + j + 32, ...;
///   - a list of label positions: lane j takes entries j, j + 32, ...;
///   - the source rows of one head (attention_ratio): lane j takes rows j, j + 32, ...
/// Each lane sums its part in double, in order; the 32 partial results are then combined by the
/// tree of lane_tree (the kernels: warp shuffles, offsets 16, 8, 4, 2, 1), a fixed order, so that
/// every run gives the same bits. The CPU tests run the same lanes and the same tree. Against
/// icl::attention, which sums in index order, the sums therefore agree to double rounding (and
/// exactly where the partial sums are exact, as for values with few significant bits).

#include <cstddef>

#include "icl/cuda/detail/host_device.hpp"

namespace icl::cuda {
namespace detail {

/// Lanes per warp: one warp per unit of work.
constexpr unsigned attention_lanes = 32;

/// Keys per lane step for elements of `element_bytes` bytes: 16 bytes of them.
constexpr std::size_t keys_per_step(std::size_t element_bytes) noexcept { return 16 / element_bytes; }

/// The shape and strides (in elements) of one prompt's attention [layers, heads, T, T].
struct attention_layout {
  std::size_t layers, heads, tokens;
  std::ptrdiff_t s_layer, s_head, s_query, s_key;

  ICL_HOST_DEVICE std::ptrdiff_t offset(std::size_t l, std::size_t h, std::size_t q, std::size_t k) const {
    return static_cast<std::ptrdiff_t>(l) * s_layer + static_cast<std::ptrdiff_t>(h) * s_head +
           static_cast<std::ptrdiff_t>(q) * s_query + static_cast<std::ptrdiff_t>(k) * s_key;
  }
  /// Offset of row q of head `head` (= l · heads + h).
  ICL_HOST_DEVICE std::ptrdiff_t row(std::size_t head, std::size_t q) const {
    return offset(head / heads, head % heads, q, 0);
  }
};

/// Where per-head values go: [layers, heads, classes] doubles with strides (classes is 1 for a
/// head map); data null: nowhere.
struct head_values {
  double* data;
  std::ptrdiff_t s_layer, s_head, s_class;

  ICL_HOST_DEVICE double& at(std::size_t l, std::size_t h, std::size_t c) const {
    return data[static_cast<std::ptrdiff_t>(l) * s_layer + static_cast<std::ptrdiff_t>(h) * s_head +
                static_cast<std::ptrdiff_t>(c) * s_class];
  }
};

/// The row check of icl::attention (params.check_row_sums, params.row_sum_tolerance).
struct row_check {
  bool check_row_sums;
  double tolerance;
};

// ---- the partial results and how two of them combine ------------------------------------------------

/// One head's previous-token sum (in double) and its first NaN/Inf element: the query position
/// (`tokens` when there is none) and the value.
struct head_sum {
  double total;
  std::size_t bad_query;
  double bad_value;
};

/// A row as icl::attention checks it: the sum of its finite elements, the first NaN/Inf element
/// (its key, `tokens` when there is none, and its value), whether any element is non-zero.
struct row_scan {
  double sum;
  std::size_t bad_key;
  double bad_value;
  bool any_nonzero;
};

/// A row's scan and its masses on two key sets (attention_ratio's relevant and irrelevant keys).
struct row_part {
  row_scan scan;
  double relevant, irrelevant;
};

/// One head's attention-ratio masses (sums over its source rows) and the first source row that
/// fails its check: bad_source (an index into the sources; their count when every row passes)
/// and that row's scan.
struct ratio_head {
  double relevant, irrelevant;
  std::size_t bad_source;
  row_scan row;
};

/// `a` (the lower lane) and `b` combined: sums added, the first bad element kept.
ICL_HOST_DEVICE inline double combine(double a, double b) { return a + b; }

ICL_HOST_DEVICE inline head_sum combine(head_sum a, const head_sum& b) {
  a.total += b.total;
  if (b.bad_query < a.bad_query) {
    a.bad_query = b.bad_query;
    a.bad_value = b.bad_value;
  }
  return a;
}

ICL_HOST_DEVICE inline row_scan combine(row_scan a, const row_scan& b) {
  a.sum += b.sum;
  if (b.bad_key < a.bad_key) {
    a.bad_key = b.bad_key;
    a.bad_value = b.bad_value;
  }
  a.any_nonzero = a.any_nonzero || b.any_nonzero;
  return a;
}

ICL_HOST_DEVICE inline row_part combine(row_part a, const row_part& b) {
  a.scan = combine(a.scan, b.scan);
  a.relevant += b.relevant;
  a.irrelevant += b.irrelevant;
  return a;
}

ICL_HOST_DEVICE inline ratio_head combine(ratio_head a, const ratio_head& b) {
  a.relevant += b.relevant;
  a.irrelevant += b.irrelevant;
  if (b.bad_source < a.bad_source) {
    a.bad_source = b.bad_source;
    a.row = b.row;
  }
  return a;
}

/// The warp's tree over the 32 lanes' partial results: for offset 16, 8, 4, 2, 1, lane i < offset
/// combines lane i + offset into itself; lane 0 ends with the result. The kernels take it with
/// shuffles (warp_tree in icl/cuda/attention.cuh); the CPU tests over an array of 32 partials.
template <class Part>
ICL_HOST_DEVICE Part lane_tree(Part* lanes) {
  for (unsigned offset = attention_lanes / 2; offset > 0; offset /= 2) {
    for (unsigned i = 0; i < offset; ++i) lanes[i] = combine(lanes[i], lanes[i + offset]);
  }
  return lanes[0];
}

// ---- each lane's part -------------------------------------------------------------------------------

/// Lane `lane`'s part of head `head`'s previous-token sum: A[l, h, k, k-1] over its k, in order.
template <class Read>
ICL_HOST_DEVICE head_sum previous_token_lane(const attention_layout& s, std::size_t head, unsigned lane, Read read) {
  const std::size_t l = head / s.heads, h = head % s.heads;
  head_sum out{0.0, s.tokens, 0.0};
  for (std::size_t k = 1 + lane; k < s.tokens; k += attention_lanes) {
    const double v = read(s.offset(l, h, k, k - 1));
    if (!(v - v == 0.0)) {  // false exactly for NaN and ±Inf
      if (out.bad_query == s.tokens) {
        out.bad_query = k;
        out.bad_value = v;
      }
      continue;
    }
    out.total += v;
  }
  return out;
}

/// Key k's element v added to a row's part; `mask` (null: none) marks the keys of the two sets
/// (bit 0: relevant, bit 1: irrelevant).
ICL_HOST_DEVICE inline void add_key(row_part& p, std::size_t k, double v, const unsigned char* mask) {
  if (!(v - v == 0.0)) {
    if (k < p.scan.bad_key) {
      p.scan.bad_key = k;
      p.scan.bad_value = v;
    }
    return;
  }
  if (v != 0.0) p.scan.any_nonzero = true;
  p.scan.sum += v;
  if (mask != nullptr) {
    const unsigned m = mask[k];
    if ((m & 1u) != 0) p.relevant += v;
    if ((m & 2u) != 0) p.irrelevant += v;
  }
}

/// Elements [base, base + count) of the row at offset `row`, one at a time through read(offset)
/// (what a 16-byte load gives where the keys are contiguous and aligned).
template <class Read>
ICL_HOST_DEVICE void read_keys(std::ptrdiff_t s_key, std::ptrdiff_t row, std::size_t base, std::size_t count,
                               double* v, Read read) {
  for (std::size_t j = 0; j < count; ++j) v[j] = read(row + static_cast<std::ptrdiff_t>(base + j) * s_key);
}

/// Lane `lane`'s part of the row at offset `row`: its steps of V keys, each read by
/// read_step(row, base, count, values) and added in key order.
template <std::size_t V, class ReadStep>
ICL_HOST_DEVICE row_part row_lane(const attention_layout& s, std::ptrdiff_t row, const unsigned char* mask,
                                  unsigned lane, ReadStep read_step) {
  row_part out{row_scan{0.0, s.tokens, 0.0, false}, 0.0, 0.0};
  for (std::size_t base = lane * V; base < s.tokens; base += attention_lanes * V) {
    const std::size_t count = s.tokens - base < V ? s.tokens - base : V;
    double v[V];
    read_step(row, base, count, v);
    for (std::size_t j = 0; j < count; ++j) add_key(out, base + j, v[j], mask);
  }
  return out;
}

/// Lane `lane`'s part of the sum of the row at offset `row` over the keys keys[first..last).
template <class Read>
ICL_HOST_DEVICE double keys_lane(const attention_layout& s, std::ptrdiff_t row, const std::size_t* keys,
                                 std::size_t first, std::size_t last, unsigned lane, Read read) {
  double total = 0.0;
  for (std::size_t i = first + lane; i < last; i += attention_lanes) {
    total += read(row + static_cast<std::ptrdiff_t>(keys[i]) * s.s_key);
  }
  return total;
}

/// True when a row fails icl::attention's full-row check: a NaN/Inf element, no non-zero
/// element, or (check_row_sums) a sum further than the tolerance from 1.
ICL_HOST_DEVICE inline bool row_fails(const row_scan& r, std::size_t tokens, const row_check& check) {
  const double off = r.sum - 1.0;
  return r.bad_key != tokens || !r.any_nonzero ||
         (check.check_row_sums && !((off < 0.0 ? -off : off) <= check.tolerance));
}

/// Lane `lane`'s part of one head's ratio from its source rows' parts rows[0..n_sources).
ICL_HOST_DEVICE inline ratio_head ratio_lane(const row_part* rows, std::size_t n_sources, std::size_t tokens,
                                             const row_check& check, unsigned lane) {
  ratio_head out{0.0, 0.0, n_sources, row_scan{0.0, tokens, 0.0, false}};
  for (std::size_t i = lane; i < n_sources; i += attention_lanes) {
    out.relevant += rows[i].relevant;
    out.irrelevant += rows[i].irrelevant;
    if (out.bad_source == n_sources && row_fails(rows[i].scan, tokens, check)) {
      out.bad_source = i;
      out.row = rows[i].scan;
    }
  }
  return out;
}

// ---- the values the _async functions write ------------------------------------------------------------

/// A head's previous-token score, NaN when its subdiagonal holds a NaN/Inf.
ICL_HOST_DEVICE inline double previous_token_value(const head_sum& p, std::size_t tokens) {
  return p.bad_query == tokens ? p.total : icl::detail::device::quiet_nan();
}

/// A head's sum over label positions, NaN when its row T-1 fails the check.
ICL_HOST_DEVICE inline double checked_row_value(double total, const row_scan& row, std::size_t tokens,
                                                const row_check& check) {
  return row_fails(row, tokens, check) ? icl::detail::device::quiet_nan() : total;
}

/// A head's attention ratio: (relevant / nr) / (irrelevant / ni), +inf where the denominator is 0
/// (as icl::attention::attention_ratio), NaN when a source row fails the check.
ICL_HOST_DEVICE inline double ratio_value(const ratio_head& p, std::size_t n_sources, double nr, double ni) {
  if (p.bad_source != n_sources) return icl::detail::device::quiet_nan();
  const double denominator = p.irrelevant / ni;
  return denominator == 0.0 ? icl::detail::device::infinity() : (p.relevant / nr) / denominator;
}

}  // namespace detail
}  // namespace icl::cuda

#endif  // ICL_CUDA_DETAIL_ATTENTION_HEADS_HPP
