#ifndef ICL_ATTENTION_DETAIL_ATTENTION_CHECKS_HPP
#define ICL_ATTENTION_DETAIL_ATTENTION_CHECKS_HPP

/// Argument checks of the attention metrics, and the strided reader they share: the shape of one
/// prompt's [layers, heads, T, T] tensor with element access as double, position-set checks, the
/// full-row check, and the checks of a head map given to the functions that summarize one. Every
/// reader walks the caller's tensor through its strides and widens the elements it needs to
/// double one at a time: no copy of the tensor is ever made.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

#include "icl/attention/types.hpp"
#include "icl/core/error.hpp"
#include "icl/core/view.hpp"

namespace icl::attention::detail {

using namespace icl::detail;  // NOLINT(google-build-using-namespace): core helpers

/// The shape of one prompt's attention with its strides, and element access as double.
template <class T>
struct attention_shape {
  const T* data;
  std::size_t layers, heads, tokens;
  std::ptrdiff_t s_layer, s_head, s_query, s_key;

  const T* row(std::size_t l, std::size_t h, std::size_t q) const noexcept {
    return data + static_cast<std::ptrdiff_t>(l) * s_layer + static_cast<std::ptrdiff_t>(h) * s_head +
           static_cast<std::ptrdiff_t>(q) * s_query;
  }
  double at(const T* row_ptr, std::size_t k) const noexcept {
    return to_double(row_ptr[static_cast<std::ptrdiff_t>(k) * s_key]);
  }
};

/// Checks the tensor (non-empty, square T x T maps, non-null data) and returns its shape.
template <class T>
attention_shape<T> check_attention(const char* function, const tensor_view<const T, 4>& A, std::size_t min_tokens = 1) {
  static_check_element<T>();
  const std::size_t L = A.extent(0), H = A.extent(1), Tq = A.extent(2), Tk = A.extent(3);
  if (Tq != Tk) throw_invalid(function, "attention maps must be square (T x T), got ", Tq, " x ", Tk);
  if (L == 0 || H == 0) throw_invalid(function, "attention has ", L, " layer(s) and ", H, " head(s); need at least one of each");
  if (Tq < min_tokens) throw_invalid(function, "attention has T = ", Tq, " positions, need at least ", min_tokens);
  checked_mul(function, checked_mul(function, L, H, "layers x heads"), checked_mul(function, Tq, Tk, "T x T"), "attention size");
  if (A.data() == nullptr) throw_invalid(function, "attention has a null data pointer");
  return attention_shape<T>{A.data(), L, H, Tq, A.stride(0), A.stride(1), A.stride(2), A.stride(3)};
}

/// One layer [heads, T, T] seen as [1, heads, T, T].
template <class T>
tensor_view<const T, 4> as_one_layer(const tensor_view<const T, 3>& A) noexcept {
  return tensor_view<const T, 4>(A.data(), {1, A.extent(0), A.extent(1), A.extent(2)},
                                 {0, A.stride(0), A.stride(1), A.stride(2)});
}

/// Checks a set of positions: non-empty, each < T, no repeats.
inline void check_positions(const char* function, const char* name, const std::vector<std::size_t>& positions,
                            std::size_t tokens) {
  if (positions.empty()) throw_invalid(function, name, " is empty");
  for (std::size_t i = 0; i < positions.size(); ++i) {
    if (positions[i] >= tokens) {
      throw_invalid(function, name, "[", i, "] = ", positions[i], " must be < T = ", tokens);
    }
  }
  std::vector<std::size_t> sorted(positions);
  std::sort(sorted.begin(), sorted.end());
  const auto dup = std::adjacent_find(sorted.begin(), sorted.end());
  if (dup != sorted.end()) throw_invalid(function, name, " holds position ", *dup, " more than once");
}

/// The error for a NaN/Inf element v at (l, h, q, k).
[[noreturn]] inline void throw_non_finite(const char* function, std::size_t l, std::size_t h, std::size_t q,
                                          std::size_t k, double v) {
  throw_invalid(function, "attention (layer ", l, ", head ", h, ", query ", q, ", key ", k, ") is ", v,
                " (NaN/Inf not allowed)");
}

/// Reads the full row q of head (l, h) once: checks it is finite, not all zero and (optionally)
/// sums to one. Returns nothing; the callers then read the columns they need.
template <class T>
void check_full_row(const char* function, const attention_shape<T>& s, std::size_t l, std::size_t h, std::size_t q,
                    const attention_params& params) {
  const T* r = s.row(l, h, q);
  double sum = 0.0;
  bool any_nonzero = false;
  for (std::size_t k = 0; k < s.tokens; ++k) {
    const double v = s.at(r, k);
    if (!(v - v == 0.0)) throw_non_finite(function, l, h, q, k, v);
    if (v != 0.0) any_nonzero = true;
    sum += v;
  }
  if (!any_nonzero) {
    throw_invalid(function, "attention row of layer ", l, ", head ", h, ", query position ", q, " is all zero");
  }
  if (params.check_row_sums && !(std::abs(sum - 1.0) <= params.row_sum_tolerance)) {
    throw_invalid(function, "attention row of layer ", l, ", head ", h, ", query position ", q, " sums to ", sum,
                  ", not 1 within ", params.row_sum_tolerance);
  }
}

/// A head map of the shape of `s` with every value 0.
template <class Shape>
head_map zero_head_map(const Shape& s) {
  head_map out;
  out.layers = s.layers;
  out.heads = s.heads;
  out.values.assign(s.layers * s.heads, 0.0);
  return out;
}

/// Checks a head map given to a summary (mean_over_heads, top_heads): not empty, layers x heads
/// values, none NaN (`what` names a value in the NaN message: "value", "score").
inline void check_head_map(const char* function, const head_map& s, const char* what) {
  const std::size_t n = s.layers * s.heads;
  if (n == 0) throw_invalid(function, "the head map is empty (", s.layers, " layers x ", s.heads, " heads)");
  if (s.values.size() != n) throw_invalid(function, "values has ", s.values.size(), " entries, expected layers x heads = ", n);
  for (std::size_t i = 0; i < n; ++i) {
    if (std::isnan(s.values[i])) throw_invalid(function, what, " of layer ", i / s.heads, ", head ", i % s.heads, " is NaN");
  }
}

}  // namespace icl::attention::detail

#endif  // ICL_ATTENTION_DETAIL_ATTENTION_CHECKS_HPP
