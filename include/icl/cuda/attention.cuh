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
/// and their _async variants, which write into the caller's device memory and return an
/// async_status (icl/cuda/async.cuh) without waiting.
///
/// A is one prompt's [layers, heads, T, T] (or one layer's [heads, T, T]) in any strides. The
/// kernels are bandwidth kernels: one warp per unit of work (a head's subdiagonal, a head's row
/// T-1, one source row of one head), its lanes along the keys, the contiguous axis (16-byte loads
/// where the keys are contiguous and aligned), the lanes' double partial sums combined by a fixed
/// shuffle tree, so that results do not change between runs. attention_ratio adds each head's
/// source rows in a second kernel (one warp per head). icl/cuda/detail/attention_heads.hpp holds
/// the arithmetic and the index space, attention_results.hpp the host's decisions; the CPU tests
/// (cuda_test_attention_heads) run both against icl::attention. The synchronous functions
/// synchronise res.stream() once, when the per-head results come back. A NaN or Inf raises the
/// CPU path's error, naming its (layer, head, query, key).

#include "icl/cuda/detail/host_library.cuh"

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <utility>
#include <vector>

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "icl/cuda/async.cuh"
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

/// The reader of the arithmetic headers: an element at an offset as double, and a lane's step of
/// V keys of a row: one 16-byte load where the keys are contiguous and the step is aligned, V
/// single loads otherwise (the same values either way).
template <class T>
struct step_reader {
  static constexpr std::size_t V = keys_per_step(sizeof(T));
  const T* data;
  std::ptrdiff_t s_key;

  __device__ double operator()(std::ptrdiff_t offset) const { return widen(data[offset]); }
  __device__ void operator()(std::ptrdiff_t row, std::size_t base, std::size_t count, double* v) const {
    const T* p = data + row + static_cast<std::ptrdiff_t>(base);
    if (s_key == 1 && count == V && reinterpret_cast<std::uintptr_t>(p) % 16 == 0) {
      const uint4 raw = __ldg(reinterpret_cast<const uint4*>(p));
      T e[V];
      std::memcpy(static_cast<void*>(e), &raw, sizeof raw);
      for (std::size_t j = 0; j < V; ++j) v[j] = widen(e[j]);
      return;
    }
    read_keys(s_key, row, base, count, v, *this);
  }
};

// ---- the warp's tree (lane_tree of attention_heads.hpp, with shuffles) --------------------------------

__device__ inline double shuffle_down(double v, unsigned offset) { return __shfl_down_sync(0xffffffffu, v, offset); }
__device__ inline std::size_t shuffle_down(std::size_t v, unsigned offset) {
  return static_cast<std::size_t>(__shfl_down_sync(0xffffffffu, static_cast<unsigned long long>(v), offset));
}
__device__ inline bool shuffle_down(bool v, unsigned offset) {
  return __shfl_down_sync(0xffffffffu, static_cast<int>(v), offset) != 0;
}
__device__ inline head_sum shuffle_down(const head_sum& p, unsigned o) {
  return {shuffle_down(p.total, o), shuffle_down(p.bad_query, o), shuffle_down(p.bad_value, o)};
}
__device__ inline row_scan shuffle_down(const row_scan& p, unsigned o) {
  return {shuffle_down(p.sum, o), shuffle_down(p.bad_key, o), shuffle_down(p.bad_value, o),
          shuffle_down(p.any_nonzero, o)};
}
__device__ inline row_part shuffle_down(const row_part& p, unsigned o) {
  return {shuffle_down(p.scan, o), shuffle_down(p.relevant, o), shuffle_down(p.irrelevant, o)};
}
__device__ inline ratio_head shuffle_down(const ratio_head& p, unsigned o) {
  return {shuffle_down(p.relevant, o), shuffle_down(p.irrelevant, o), shuffle_down(p.bad_source, o),
          shuffle_down(p.row, o)};
}

/// lane_tree over the warp: lane i < offset combines lane i + offset, for offset 16 .. 1; lane 0
/// holds the result (the other lanes hold partial combinations).
template <class Part>
__device__ Part warp_tree(Part p) {
  for (unsigned offset = attention_lanes / 2; offset > 0; offset /= 2) p = combine(p, shuffle_down(p, offset));
  return p;
}

/// Warps per block of the head-score kernels; each warp takes units warp, warp + all warps, ...
constexpr unsigned attention_warps = 8;

__device__ inline std::size_t first_unit() {
  return (static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x) / attention_lanes;
}
__device__ inline std::size_t unit_stride() {
  return static_cast<std::size_t>(gridDim.x) * blockDim.x / attention_lanes;
}

/// Blocks for `units` warps' work (at most 2^20 blocks; the warps then take several units).
inline unsigned attention_grid(std::size_t units) {
  const std::size_t blocks = (units + attention_warps - 1) / attention_warps;
  return static_cast<unsigned>(blocks < (std::size_t{1} << 20) ? blocks : (std::size_t{1} << 20));
}

// ---- the kernels ------------------------------------------------------------------------------------

/// One warp per head: its subdiagonal sum and first NaN/Inf; the value (NaN for a bad head) into
/// `out` when it has data.
template <class T>
__global__ void previous_token_kernel(attention_layout s, const T* data, head_sum* sums, head_values out) {
  const unsigned lane = threadIdx.x % attention_lanes;
  const step_reader<T> read{data, s.s_key};
  for (std::size_t head = first_unit(); head < s.layers * s.heads; head += unit_stride()) {
    const head_sum p = warp_tree(previous_token_lane(s, head, lane, read));
    if (lane == 0) {
      sums[head] = p;
      if (out.data != nullptr) out.at(head / s.heads, head % s.heads, 0) = previous_token_value(p, s.tokens);
    }
  }
}

/// One warp per head: the scan of row T-1, then per class c the sum of that row over the label
/// positions keys[first[c] .. first[c + 1]) into out (NaN for a head whose row fails `check`).
template <class T>
__global__ void last_row_kernel(attention_layout s, const T* data, const std::size_t* keys, const std::size_t* first,
                                std::size_t classes, row_check check, row_scan* rows, head_values out) {
  const unsigned lane = threadIdx.x % attention_lanes;
  const step_reader<T> read{data, s.s_key};
  for (std::size_t head = first_unit(); head < s.layers * s.heads; head += unit_stride()) {
    const std::ptrdiff_t row = s.row(head, s.tokens - 1);
    const row_part part = warp_tree(row_lane<step_reader<T>::V>(s, row, nullptr, lane, read));
    if (lane == 0) rows[head] = part.scan;
    for (std::size_t c = 0; c < classes; ++c) {
      const double total = warp_tree(keys_lane(s, row, keys, first[c], first[c + 1], lane, read));
      if (lane == 0) out.at(head / s.heads, head % s.heads, c) = checked_row_value(total, part.scan, s.tokens, check);
    }
  }
}

/// One warp per (head, source row i), unit head · n_sources + i: the row's scan and its masses on
/// the keys marked in `mask`.
template <class T>
__global__ void ratio_rows_kernel(attention_layout s, const T* data, const std::size_t* sources, std::size_t n_sources,
                                  const unsigned char* mask, row_part* rows) {
  const unsigned lane = threadIdx.x % attention_lanes;
  const step_reader<T> read{data, s.s_key};
  for (std::size_t unit = first_unit(); unit < s.layers * s.heads * n_sources; unit += unit_stride()) {
    const std::ptrdiff_t row = s.row(unit / n_sources, sources[unit % n_sources]);
    const row_part part = warp_tree(row_lane<step_reader<T>::V>(s, row, mask, lane, read));
    if (lane == 0) rows[unit] = part;
  }
}

/// One warp per head: its source rows' masses added and its first failing row; the ratio into
/// `out` when it has data. (A template only so that the header may define it.)
template <int = 0>
__global__ void ratio_heads_kernel(attention_layout s, const row_part* rows, std::size_t n_sources,
                                          row_check check, double nr, double ni, ratio_head* heads, head_values out) {
  const unsigned lane = threadIdx.x % attention_lanes;
  for (std::size_t head = first_unit(); head < s.layers * s.heads; head += unit_stride()) {
    const ratio_head p = warp_tree(ratio_lane(rows + head * n_sources, n_sources, s.tokens, check, lane));
    if (lane == 0) {
      heads[head] = p;
      if (out.data != nullptr) out.at(head / s.heads, head % s.heads, 0) = ratio_value(p, n_sources, nr, ni);
    }
  }
}

// ---- the host side ----------------------------------------------------------------------------------

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

/// Host vectors one after the other in one device buffer: one allocation and one copy per call.
template <class Element, class... Lists>
device_buffer<Element> upload_lists(resources& res, const Lists&... lists) {
  std::vector<Element> all;
  (all.insert(all.end(), lists.begin(), lists.end()), ...);
  device_buffer<Element> out(res, all.size());
  out.copy_from_host(all.data(), all.size());
  return out;
}

/// Queues the copy of a device buffer to a new host vector (valid once the stream has run).
template <class X>
std::vector<X> queue_to_host(const char* function, resources& res, const device_buffer<X>& from) {
  std::vector<X> host(from.size());
  if (!host.empty()) {
    check_cuda(function, "cudaMemcpyAsync",
               cudaMemcpyAsync(host.data(), from.data(), from.size() * sizeof(X), cudaMemcpyDeviceToHost,
                               res.stream()));
  }
  return host;
}

/// Per-head values contiguous in `buffer` ([layers, heads, classes]).
inline head_values contiguous_values(const attention_layout& s, std::size_t classes, device_buffer<double>& buffer) {
  const auto c = static_cast<std::ptrdiff_t>(classes);
  return head_values{buffer.data(), static_cast<std::ptrdiff_t>(s.heads) * c, c, 1};
}

/// The caller's [layers, heads] device matrix of an _async head map, checked.
inline head_values head_map_out(const char* function, const attention_layout& s, const device_matrix_view<double>& out) {
  check_device_matrix(function, "out", out);
  if (out.rows() != s.layers || out.cols() != s.heads) {
    icl::detail::throw_invalid(function, "out is ", out.rows(), " x ", out.cols(), ", expected layers x heads = ",
                               s.layers, " x ", s.heads);
  }
  return head_values{out.data(), out.row_stride(), out.col_stride(), 0};
}

template <class T>
device_buffer<head_sum> queue_previous_token(const char* function, resources& res, const attention_layout& s,
                                             const T* data, head_values out) {
  device_buffer<head_sum> sums(res, s.layers * s.heads);
  previous_token_kernel<T><<<attention_grid(s.layers * s.heads), attention_warps * attention_lanes, 0, res.stream()>>>(
      s, data, sums.data(), out);
  check_launch(function, "previous_token_kernel");
  return sums;
}

/// Queues the last-row kernel over label positions grouped by class (`runs`); values into out.
template <class T>
device_buffer<row_scan> queue_last_row(const char* function, resources& res, const attention_layout& s, const T* data,
                                       const class_runs& runs, const icl::attention::attention_params& params,
                                       head_values out) {
  const auto lists = upload_lists<std::size_t>(res, runs.keys, runs.first);  // keys, then the runs' starts
  device_buffer<row_scan> rows(res, s.layers * s.heads);
  last_row_kernel<T><<<attention_grid(s.layers * s.heads), attention_warps * attention_lanes, 0, res.stream()>>>(
      s, data, lists.data(), lists.data() + runs.keys.size(), runs.first.size() - 1, row_check_of(params), rows.data(),
      out);
  check_launch(function, "last_row_kernel");
  return rows;
}

/// Queues the two ratio kernels; the ratio into out when it has data.
template <class T>
device_buffer<ratio_head> queue_ratio(const char* function, resources& res, const attention_layout& s, const T* data,
                                      const std::vector<std::size_t>& sources, const std::vector<std::size_t>& relevant,
                                      const std::vector<std::size_t>& irrelevant, bool normalize,
                                      const icl::attention::attention_params& params, head_values out) {
  const std::size_t heads = s.layers * s.heads, n = sources.size();
  const auto source_rows = upload_lists<std::size_t>(res, sources);
  const auto mask = upload_lists<unsigned char>(res, key_mask(s.tokens, relevant, irrelevant));
  device_buffer<row_part> rows(res, icl::detail::checked_mul(function, heads, n, "layers x heads x sources"));
  const unsigned threads = attention_warps * attention_lanes;
  ratio_rows_kernel<T><<<attention_grid(rows.size()), threads, 0, res.stream()>>>(s, data, source_rows.data(), n,
                                                                                  mask.data(), rows.data());
  check_launch(function, "ratio_rows_kernel");
  device_buffer<ratio_head> out_heads(res, heads);
  const double nr = normalize ? static_cast<double>(relevant.size()) : 1.0;
  const double ni = normalize ? static_cast<double>(irrelevant.size()) : 1.0;
  ratio_heads_kernel<><<<attention_grid(heads), threads, 0, res.stream()>>>(s, rows.data(), n, row_check_of(params), nr,
                                                                          ni, out_heads.data(), out);
  check_launch(function, "ratio_heads_kernel");
  return out_heads;
}

/// The checks of induction_score / label_attention (the attention, the label positions).
template <class T>
attention_layout check_last_row(const char* function, const device_tensor_view<const T, 4>& A,
                                const std::vector<std::size_t>& label_positions) {
  const attention_layout s = check_device_attention(function, A, 1);
  icl::attention::detail::check_positions(function, "label_positions", label_positions, s.tokens);
  return s;
}

/// The checks of attention_ratio.
template <class T>
attention_layout check_ratio(const char* function, const device_tensor_view<const T, 4>& A,
                             const std::vector<std::size_t>& sources, const std::vector<std::size_t>& relevant,
                             const std::vector<std::size_t>& irrelevant) {
  const attention_layout s = check_device_attention(function, A, 1);
  icl::attention::detail::check_positions(function, "sources", sources, s.tokens);
  icl::attention::detail::check_positions(function, "relevant", relevant, s.tokens);
  icl::attention::detail::check_positions(function, "irrelevant", irrelevant, s.tokens);
  return s;
}

template <class T>
icl::attention::head_map previous_token_impl(const char* function, resources& res,
                                             const device_tensor_view<const T, 4>& A) {
  const attention_layout s = check_device_attention(function, A, 2);
  const auto sums = queue_previous_token(function, res, s, A.data(), head_values{nullptr, 0, 0, 0});
  const auto host = queue_to_host(function, res, sums);
  res.synchronize();
  return previous_token_map(function, s, host.data());
}

template <class T>
icl::attention::head_map induction_impl(const char* function, resources& res, const device_tensor_view<const T, 4>& A,
                                        const std::vector<std::size_t>& label_positions,
                                        const icl::attention::attention_params& params) {
  const attention_layout s = check_last_row(function, A, label_positions);
  device_buffer<double> totals(res, s.layers * s.heads);
  const auto rows =
      queue_last_row(function, res, s, A.data(), one_class_runs(label_positions), params, contiguous_values(s, 1, totals));
  const auto host_rows = queue_to_host(function, res, rows);
  const auto host_totals = queue_to_host(function, res, totals);
  res.synchronize();
  return induction_map(function, s, host_rows.data(), host_totals.data(), params);
}

template <class T>
icl::attention::label_attention_map label_attention_impl(const char* function, resources& res,
                                                         const device_tensor_view<const T, 4>& A,
                                                         const std::vector<std::size_t>& label_positions,
                                                         const std::vector<int>& labels,
                                                         const icl::attention::attention_params& params) {
  const attention_layout s = check_last_row(function, A, label_positions);
  auto enc = icl::detail::encode_labels(function, labels, label_positions.size(), 1, "label_positions");
  const std::size_t C = enc.n_classes();
  device_buffer<double> values(res,
                               icl::detail::checked_mul(function, s.layers * s.heads, C, "layers x heads x classes"));
  const auto rows = queue_last_row(function, res, s, A.data(), keys_by_class(label_positions, enc.codes, C), params,
                                   contiguous_values(s, C, values));
  const auto host_rows = queue_to_host(function, res, rows);
  auto host_values = queue_to_host(function, res, values);
  res.synchronize();  // once, for both copies
  return label_attention_map_of(function, s, host_rows.data(), std::move(enc.classes), std::move(host_values), params);
}

template <class T>
icl::attention::head_map attention_ratio_impl(const char* function, resources& res,
                                              const device_tensor_view<const T, 4>& A,
                                              const std::vector<std::size_t>& sources,
                                              const std::vector<std::size_t>& relevant,
                                              const std::vector<std::size_t>& irrelevant, bool normalize,
                                              const icl::attention::attention_params& params) {
  const attention_layout s = check_ratio(function, A, sources, relevant, irrelevant);
  const auto heads = queue_ratio(function, res, s, A.data(), sources, relevant, irrelevant, normalize, params,
                                 head_values{nullptr, 0, 0, 0});
  const auto host = queue_to_host(function, res, heads);
  res.synchronize();
  return ratio_map(function, s, host.data(), sources, relevant.size(), irrelevant.size(), normalize, params);
}

}  // namespace detail

/// icl::attention::attention_ratio on one prompt's [layers, heads, T, T] device attention, or
/// one layer's [heads, T, T]: attention mass from the source rows to the relevant keys over that
/// to the irrelevant keys (per-token means with normalize), +inf and flagged where the
/// irrelevant mass is 0. Every element is summed in double (lanes, then the warp's tree); the CPU
/// path sums each row in the compute type (float for float, __half and __nv_bfloat16 inputs), so
/// the two agree to that type's rounding. Workspace: 48 bytes per (head, source row).
template <class T, std::size_t N, class = detail::prompt_or_layer<N>>
icl::attention::head_map attention_ratio(resources& res, device_tensor_view<const T, N> A,
                                         const std::vector<std::size_t>& sources,
                                         const std::vector<std::size_t>& relevant,
                                         const std::vector<std::size_t>& irrelevant, bool normalize = true,
                                         const icl::attention::attention_params& params = {}) {
  return detail::attention_ratio_impl("icl::cuda::attention_ratio", res, detail::whole_prompt(A), sources, relevant,
                                      irrelevant, normalize, params);
}

/// attention_ratio into `out`, the caller's [layers, heads] device matrix of doubles (any
/// strides; 1 x heads for one layer): +inf where the irrelevant mass is 0 (the flag of the host
/// result), NaN for a head whose source row fails the check. Nothing waits; status.check()
/// throws what attention_ratio would have thrown.
template <class T, std::size_t N, class = detail::prompt_or_layer<N>>
async_status attention_ratio_async(resources& res, device_tensor_view<const T, N> A,
                                   const std::vector<std::size_t>& sources, const std::vector<std::size_t>& relevant,
                                   const std::vector<std::size_t>& irrelevant, device_matrix_view<double> out,
                                   bool normalize = true, const icl::attention::attention_params& params = {}) {
  constexpr const char* function = "icl::cuda::attention_ratio_async";
  const auto P = detail::whole_prompt(A);
  const detail::attention_layout s = detail::check_ratio(function, P, sources, relevant, irrelevant);
  const detail::head_values to = detail::head_map_out(function, s, out);
  auto heads = detail::queue_ratio(function, res, s, P.data(), sources, relevant, irrelevant, normalize, params, to);
  return async_status::of(std::move(heads), [s, sources, params](const detail::ratio_head* h) {
    detail::raise_ratio_errors(function, s, h, sources, params);
  });
}

/// icl::attention::previous_token_score on [layers, heads, T, T] or [heads, T, T] device attention.
template <class T, std::size_t N, class = detail::prompt_or_layer<N>>
icl::attention::head_map previous_token_score(resources& res, device_tensor_view<const T, N> A) {
  return detail::previous_token_impl("icl::cuda::previous_token_score", res, detail::whole_prompt(A));
}

/// previous_token_score into `out`, the caller's [layers, heads] device matrix of doubles (1 x
/// heads for one layer): NaN for a head whose subdiagonal holds a NaN/Inf. Nothing waits;
/// status.check() throws what previous_token_score would have thrown.
template <class T, std::size_t N, class = detail::prompt_or_layer<N>>
async_status previous_token_score_async(resources& res, device_tensor_view<const T, N> A,
                                        device_matrix_view<double> out) {
  constexpr const char* function = "icl::cuda::previous_token_score_async";
  const auto P = detail::whole_prompt(A);
  const detail::attention_layout s = detail::check_device_attention(function, P, 2);
  auto sums = detail::queue_previous_token(function, res, s, P.data(), detail::head_map_out(function, s, out));
  return async_status::of(std::move(sums),
                          [s](const detail::head_sum* h) { detail::previous_token_map(function, s, h); });
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

/// induction_score into `out`, the caller's [layers, heads] device matrix of doubles: NaN for a
/// head whose row T-1 fails the check. Nothing waits; status.check() throws what induction_score
/// would have thrown.
template <class T, std::size_t N, class = detail::prompt_or_layer<N>>
async_status induction_score_async(resources& res, device_tensor_view<const T, N> A,
                                   const std::vector<std::size_t>& label_positions, device_matrix_view<double> out,
                                   const icl::attention::attention_params& params = {}) {
  constexpr const char* function = "icl::cuda::induction_score_async";
  const auto P = detail::whole_prompt(A);
  const detail::attention_layout s = detail::check_last_row(function, P, label_positions);
  auto rows = detail::queue_last_row(function, res, s, P.data(), detail::one_class_runs(label_positions), params,
                                     detail::head_map_out(function, s, out));
  return async_status::of(std::move(rows), [s, params](const detail::row_scan* r) {
    detail::raise_last_row_errors(function, s, r, params);
  });
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

/// label_attention into `out`, the caller's [layers, heads, classes] device tensor of doubles
/// (any strides), the classes in ascending label order (label_attention_map::classes): NaN for a
/// head whose row T-1 fails the check. Nothing waits; status.check() throws what label_attention
/// would have thrown.
template <class T>
async_status label_attention_async(resources& res, device_tensor_view<const T, 4> A,
                                   const std::vector<std::size_t>& label_positions, const std::vector<int>& labels,
                                   device_tensor_view<double, 3> out,
                                   const icl::attention::attention_params& params = {}) {
  constexpr const char* function = "icl::cuda::label_attention_async";
  const detail::attention_layout s = detail::check_last_row(function, A, label_positions);
  const auto enc = icl::detail::encode_labels(function, labels, label_positions.size(), 1, "label_positions");
  const std::size_t C = enc.n_classes();
  detail::check_device_tensor(function, "out", out);
  if (out.extent(0) != s.layers || out.extent(1) != s.heads || out.extent(2) != C) {
    icl::detail::throw_invalid(function, "out is ", out.extent(0), " x ", out.extent(1), " x ", out.extent(2),
                               ", expected layers x heads x classes = ", s.layers, " x ", s.heads, " x ", C);
  }
  auto rows = detail::queue_last_row(function, res, s, A.data(), detail::keys_by_class(label_positions, enc.codes, C),
                                     params, detail::head_values{out.data(), out.stride(0), out.stride(1), out.stride(2)});
  return async_status::of(std::move(rows), [s, params](const detail::row_scan* r) {
    detail::raise_last_row_errors(function, s, r, params);
  });
}

}  // namespace icl::cuda

#endif  // ICL_CUDA_ATTENTION_CUH
