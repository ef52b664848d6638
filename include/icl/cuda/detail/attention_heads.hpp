#ifndef ICL_CUDA_DETAIL_ATTENTION_HEADS_HPP
#define ICL_CUDA_DETAIL_ATTENTION_HEADS_HPP

/// The arithmetic of the device head scores, one (layer, head) at a time: a kernel runs it with
/// one thread per head, the CPU tests over every head, both against icl::attention. No CUDA
/// header and nothing of the library: elements come through a reader (offset -> double), which
/// widens __half / __nv_bfloat16 on the device and icl::f16 / icl::bf16 on the host.

#include <cstddef>

#include "icl/cuda/detail/host_device.hpp"

namespace icl {
namespace cuda {
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

}  // namespace detail
}  // namespace cuda
}  // namespace icl

#endif  // ICL_CUDA_DETAIL_ATTENTION_HEADS_HPP
