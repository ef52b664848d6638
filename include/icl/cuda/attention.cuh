#ifndef ICL_CUDA_ATTENTION_CUH
#define ICL_CUDA_ATTENTION_CUH

/// Head scores on attention in device memory, with the names, parameters, results and errors of
/// icl::attention (icl/attention/heads.hpp) and the resources object first:
///
///   previous_token_score(res, A)                      PTH(l, h) = sum_{k=1..T-1} A[l,h,k,k-1]
///   induction_score(res, A, label_positions, params)  IH(l, h)  = sum_{k in label positions} A[l,h,T-1,k]
///   label_attention(res, A, label_positions, labels, params)   per class c: sum_{p labelled c} A[l,h,T-1,p]
///   attention_ratio(res, A, sources, relevant, irrelevant, normalize, params)   METRICS.md 5
///
/// A is one prompt's [layers, heads, T, T] (or one layer's [heads, T, T]) in any strides. One
/// thread per head reads what it needs (icl/cuda/detail/attention_heads.hpp holds the
/// arithmetic, attention_results.hpp the host's decisions; the CPU tests run both against
/// icl::attention); the per-head results come back to the host, so a call waits for
/// res.stream(). A NaN or Inf raises the CPU path's error,
/// naming its (layer, head, query, key).

#include "icl/cuda/detail/host_library.cuh"

#include <array>
#include <cstddef>
#include <type_traits>
#include <utility>
#include <vector>

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "icl/cuda/buffer.cuh"
#include "icl/cuda/detail/attention_heads.hpp"
#include "icl/cuda/detail/attention_results.hpp"
#include "icl/cuda/detail/checks.cuh"
#include "icl/cuda/detail/convert.cuh"
#include "icl/cuda/error.cuh"
#include "icl/cuda/resources.cuh"
#include "icl/cuda/view.cuh"

namespace icl::cuda {
namespace detail {

/// The reader of the arithmetic headers: element at an offset, as double.
template <class T>
struct element_reader {
  const T* data;
  __device__ double operator()(std::ptrdiff_t offset) const { return widen(data[offset]); }
};

template <class T>
__global__ void previous_token_kernel(attention_layout s, const T* data, head_sum* out) {
  const std::size_t head = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (head < s.layers * s.heads) out[head] = previous_token_head(s, head, element_reader<T>{data});
}

template <class T>
__global__ void induction_kernel(attention_layout s, const T* data, const std::size_t* keys, std::size_t count,
                                 induction_head* out) {
  const std::size_t head = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (head < s.layers * s.heads) out[head] = induction_head_score(s, head, keys, count, element_reader<T>{data});
}

template <class T>
__global__ void label_attention_kernel(attention_layout s, const T* data, const std::size_t* keys,
                                       const std::size_t* codes, std::size_t count, std::size_t classes,
                                       double* values, row_scan* rows) {
  const std::size_t head = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (head < s.layers * s.heads) {
    rows[head] = label_attention_head(s, head, keys, codes, count, classes, values + head * classes, element_reader<T>{data});
  }
}

template <class T>
__global__ void ratio_kernel(attention_layout s, const T* data, ratio_positions p, ratio_head* out) {
  const std::size_t head = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (head < s.layers * s.heads) out[head] = ratio_head_masses(s, head, p, element_reader<T>{data});
}

/// icl::attention's checks of one prompt's attention, with its messages (they read the shape and
/// the pointer, never an element, so the pointer is passed on as it is), then the device pointer.
template <class T>
attention_layout check_device_attention(const char* function, const device_tensor_view<const T, 4>& A,
                                        std::size_t min_tokens) {
  const auto s = icl::attention::detail::check_attention(
      function, icl::tensor_view<const float, 4>(reinterpret_cast<const float*>(A.data()), A.extents(), A.strides()),
      min_tokens);
  check_device_pointer(function, "attention", A.data());
  return attention_layout{s.layers, s.heads, s.tokens, s.s_layer, s.s_head, s.s_query, s.s_key};
}

/// One prompt's attention as [layers, heads, T, T]: itself, or one layer [heads, T, T] seen as
/// [1, heads, T, T].
template <class T>
device_tensor_view<const T, 4> whole_prompt(const device_tensor_view<const T, 4>& A) {
  return A;
}
template <class T>
device_tensor_view<const T, 4> whole_prompt(const device_tensor_view<const T, 3>& A) {
  return device_tensor_view<const T, 4>(A.data(), {1, A.extent(0), A.extent(1), A.extent(2)},
                                        {0, A.stride(0), A.stride(1), A.stride(2)});
}

/// The ranks the head scores take: 4 (a prompt) or 3 (one layer; the result has one layer).
template <std::size_t N>
using prompt_or_layer = std::enable_if_t<N == 3 || N == 4>;

/// Index lists (positions, label codes) one after the other in one device buffer: one
/// allocation and one copy per call.
template <class... Lists>
device_buffer<std::size_t> upload_lists(resources& res, const Lists&... lists) {
  std::vector<std::size_t> all;
  (all.insert(all.end(), lists.begin(), lists.end()), ...);
  device_buffer<std::size_t> out(res, all.size());
  out.copy_from_host(all.data(), all.size());
  return out;
}

/// Launches `kernel` (named `name` in a launch error) with one thread per head of `s`, on
/// `args...` then the per-head output, and brings that output back to the host.
template <class Out, class... Params, class... Args>
std::vector<Out> per_head(const char* function, const char* name, resources& res, const attention_layout& s,
                          void (*kernel)(Params...), const Args&... args) {
  const std::size_t n = s.layers * s.heads;
  device_buffer<Out> out(res, n);
  constexpr unsigned block = 128;
  kernel<<<static_cast<unsigned>((n + block - 1) / block), block, 0, res.stream()>>>(s, args..., out.data());
  check_launch(function, name);
  std::vector<Out> host(n);
  out.copy_to_host(host.data(), n);
  return host;
}

template <class T>
icl::attention::head_map previous_token_impl(const char* function, resources& res,
                                             const device_tensor_view<const T, 4>& A) {
  const attention_layout s = check_device_attention(function, A, 2);
  const auto sums = per_head<head_sum>(function, "previous_token_kernel", res, s, previous_token_kernel<T>, A.data());
  return previous_token_map(function, s, sums.data());
}

template <class T>
icl::attention::head_map induction_impl(const char* function, resources& res, const device_tensor_view<const T, 4>& A,
                                        const std::vector<std::size_t>& label_positions,
                                        const icl::attention::attention_params& params) {
  const attention_layout s = check_device_attention(function, A, 1);
  icl::attention::detail::check_positions(function, "label_positions", label_positions, s.tokens);
  const auto keys = upload_lists(res, label_positions);
  const auto heads = per_head<induction_head>(function, "induction_kernel", res, s, induction_kernel<T>, A.data(),
                                              keys.data(), keys.size());
  return induction_map(function, s, heads.data(), params);
}

template <class T>
icl::attention::label_attention_map label_attention_impl(const char* function, resources& res,
                                                         const device_tensor_view<const T, 4>& A,
                                                         const std::vector<std::size_t>& label_positions,
                                                         const std::vector<int>& labels,
                                                         const icl::attention::attention_params& params) {
  const attention_layout s = check_device_attention(function, A, 1);
  icl::attention::detail::check_positions(function, "label_positions", label_positions, s.tokens);
  auto enc = icl::detail::encode_labels(function, labels, label_positions.size(), 1, "label_positions");
  const std::size_t count = label_positions.size(), C = enc.n_classes();
  // The label positions, then their class codes.
  const auto lists = upload_lists(res, label_positions, enc.codes);
  device_buffer<double> values(res,
                               icl::detail::checked_mul(function, s.layers * s.heads, C, "layers x heads x classes"));
  const auto rows = per_head<row_scan>(function, "label_attention_kernel", res, s, label_attention_kernel<T>, A.data(),
                                       lists.data(), lists.data() + count, count, C, values.data());
  std::vector<double> host_values(values.size());
  values.copy_to_host(host_values.data(), host_values.size());
  return label_attention_map_of(function, s, rows.data(), std::move(enc.classes), std::move(host_values), params);
}

template <class T>
icl::attention::head_map attention_ratio_impl(const char* function, resources& res,
                                              const device_tensor_view<const T, 4>& A,
                                              const std::vector<std::size_t>& sources,
                                              const std::vector<std::size_t>& relevant,
                                              const std::vector<std::size_t>& irrelevant, bool normalize,
                                              const icl::attention::attention_params& params) {
  const attention_layout s = check_device_attention(function, A, 1);
  icl::attention::detail::check_positions(function, "sources", sources, s.tokens);
  icl::attention::detail::check_positions(function, "relevant", relevant, s.tokens);
  icl::attention::detail::check_positions(function, "irrelevant", irrelevant, s.tokens);
  // The three position lists: sources, then relevant, then irrelevant.
  const auto positions = upload_lists(res, sources, relevant, irrelevant);
  const std::size_t* first = positions.data();
  const ratio_positions p{first, sources.size(), first + sources.size(), relevant.size(),
                          first + sources.size() + relevant.size(), irrelevant.size(), params.check_row_sums,
                          params.row_sum_tolerance};
  const auto heads = per_head<ratio_head>(function, "ratio_kernel", res, s, ratio_kernel<T>, A.data(), p);
  return ratio_map(function, s, heads.data(), sources, relevant.size(), irrelevant.size(), normalize, params);
}

}  // namespace detail

/// icl::attention::attention_ratio on one prompt's [layers, heads, T, T] device attention, or
/// one layer's [heads, T, T]: attention mass from the source rows to the relevant keys over that
/// to the irrelevant keys (per-token means with normalize), +inf and flagged where the
/// irrelevant mass is 0. Every element is summed in double; the CPU path sums each row in the
/// compute type (float for float, __half and __nv_bfloat16 inputs), so the two agree to that
/// type's rounding.
template <class T, std::size_t N, class = detail::prompt_or_layer<N>>
icl::attention::head_map attention_ratio(resources& res, device_tensor_view<const T, N> A,
                                         const std::vector<std::size_t>& sources,
                                         const std::vector<std::size_t>& relevant,
                                         const std::vector<std::size_t>& irrelevant, bool normalize = true,
                                         const icl::attention::attention_params& params = {}) {
  return detail::attention_ratio_impl("icl::cuda::attention_ratio", res, detail::whole_prompt(A), sources, relevant,
                                      irrelevant, normalize, params);
}

/// icl::attention::previous_token_score on [layers, heads, T, T] or [heads, T, T] device attention.
template <class T, std::size_t N, class = detail::prompt_or_layer<N>>
icl::attention::head_map previous_token_score(resources& res, device_tensor_view<const T, N> A) {
  return detail::previous_token_impl("icl::cuda::previous_token_score", res, detail::whole_prompt(A));
}

/// icl::attention::induction_score on [layers, heads, T, T] or [heads, T, T] device attention:
/// attention from the last position T-1 to the label positions, with the CPU path's checks
/// (label positions, and row T-1 finite, not all zero and, with params.check_row_sums,
/// summing to 1).
template <class T, std::size_t N, class = detail::prompt_or_layer<N>>
icl::attention::head_map induction_score(resources& res, device_tensor_view<const T, N> A,
                                         const std::vector<std::size_t>& label_positions,
                                         const icl::attention::attention_params& params = {}) {
  return detail::induction_impl("icl::cuda::induction_score", res, detail::whole_prompt(A), label_positions, params);
}

/// icl::attention::label_attention on one prompt's [layers, heads, T, T] device attention: per
/// (layer, head) and label class, the attention from T-1 to the label positions of that class.
/// Errors: as induction_score, plus labels.size() != label_positions.size().
template <class T>
icl::attention::label_attention_map label_attention(resources& res, device_tensor_view<const T, 4> A,
                                                    const std::vector<std::size_t>& label_positions,
                                                    const std::vector<int>& labels,
                                                    const icl::attention::attention_params& params = {}) {
  return detail::label_attention_impl("icl::cuda::label_attention", res, A, label_positions, labels, params);
}

}  // namespace icl::cuda

#endif  // ICL_CUDA_ATTENTION_CUH
