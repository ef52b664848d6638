#ifndef ICL_CUDA_DECODE_CUH
#define ICL_CUDA_DECODE_CUH

/// Task decodability on hidden states in device memory, with the names, parameters, results and
/// errors of icl::decode (icl/decode/knn.hpp) and the resources object first:
///
///   task_decodability(res, H, labels, k = 10)         leave-one-out kNN accuracy, Euclidean
///   task_decodability(res, H, labels, params)         decode_params: k, dissimilarity, block_rows
///   decodability_curve(res, H3, labels, params = {})  every layer of [layers, n, d]
///
/// Leave-one-out kNN with a per-row top-k over distance tiles, never an n × n matrix:
///   1. a kernel computes each row's squared norm (double sum of the compute-type values) and the
///      terms of its distances (icl/cuda/detail/knn_topk.hpp), and notes unusable rows;
///   2. for each block of b rows, cuBLAS computes the b × b Gram tile against every block of
///      columns (SGEMM / DGEMM; cublasGemmEx with 16F / 16BF inputs and CUBLAS_COMPUTE_32F for
///      __half / __nv_bfloat16), and a kernel offers each tile row, cut into up to 8 column
///      segments (one thread each), to the row's lists of the k best (distance, index)
///      candidates, one per segment, kept in device memory (icl/cuda/detail/knn_segments.hpp; k is
///      limited only by k <= n − 1 and memory);
///   3. a kernel merges each row's lists and votes its decision; the decisions come back and the
///      result is assembled on the host (decodability_from_decisions), so a call waits for
///      res.stream() once, at the end.
/// Workspace: n·k·segments candidates and, to merge several segments, 2·n·k more (16 bytes each;
/// one segment above k = 64), a b × b
/// tile of the compute type, 4 doubles per row and, for a view that cuBLAS cannot read in place
/// (rows or columns not contiguous with a leading dimension in int range), a packed row-major
/// copy of H.

#include "icl/cuda/detail/host_library.cuh"

#pragma nv_diag_suppress 20012
#include "icl/decode/knn.hpp"
#pragma nv_diag_default 20012

#include <algorithm>
#include <climits>
#include <cstddef>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime_api.h>

#include "icl/cuda/async.cuh"
#include "icl/cuda/buffer.cuh"
#include "icl/cuda/detail/checks.cuh"
#include "icl/cuda/detail/convert.cuh"
#include "icl/cuda/detail/knn_segments.hpp"
#include "icl/cuda/detail/knn_topk.hpp"
#include "icl/cuda/detail/results.hpp"
#include "icl/cuda/error.cuh"
#include "icl/cuda/rdm.cuh"
#include "icl/cuda/resources.cuh"
#include "icl/cuda/view.cuh"

namespace icl::cuda {
namespace detail {

namespace knn = icl::detail::device;

/// The compute type of the Gram tiles, as on the CPU: double for double, float otherwise.
template <class T>
using knn_compute_t = std::conditional_t<std::is_same_v<T, double>, double, float>;

/// What the row-terms kernel reports of a row (read back by the host).
struct knn_row_check {
  double norm2 = 0.0;          ///< squared norm, double sum of the compute-type values
  double bad_value = 0.0;      ///< the first NaN/Inf element, when bad_column < d
  std::size_t bad_column = 0;  ///< its column; d when the row holds none
  knn::knn_row_status status = knn::knn_row_status::usable;
};

/// One thread per row: the squared norm summed in order (no fused multiply-add, as on the CPU),
/// the row's status, its terms a and s, and its first NaN/Inf element if it is out of range.
template <class T>
__global__ void knn_terms_kernel(device_matrix_view<const T> H, bool cosine, double limit, double* a, double* s,
                                 knn_row_check* rows) {
  const std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= H.rows()) return;
  knn_row_check r;
  for (std::size_t j = 0; j < H.cols(); ++j) {
    const double v = widen(H(i, j));
    r.norm2 = __dadd_rn(r.norm2, __dmul_rn(v, v));
  }
  r.status = knn::knn_status(cosine, r.norm2, limit);
  r.bad_column = H.cols();
  if (r.status == knn::knn_row_status::out_of_range) {
    for (std::size_t j = 0; j < H.cols(); ++j) {
      const double v = widen(H(i, j));
      if (!(v - v == 0.0)) {
        r.bad_column = j;
        r.bad_value = v;
        break;
      }
    }
  }
  a[i] = knn::knn_offset(cosine, r.norm2);
  s[i] = knn::knn_scale(cosine, r.norm2);
  rows[i] = r;
}

/// A row-major contiguous copy of H (for views cuBLAS cannot read in place).
template <class T>
__global__ void knn_pack_kernel(device_matrix_view<const T> H, T* out) {
  const std::size_t total = H.rows() * H.cols();
  for (std::size_t q = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x; q < total;
       q += static_cast<std::size_t>(gridDim.x) * blockDim.x) {
    out[q] = H(q / H.cols(), q % H.cols());
  }
}

/// One thread per (tile row r < rows, column segment blockIdx.y): row i0 + r takes its segment
/// of the tile's row (columns j0 .. j0 + cols; tile column-major, leading dimension rows) into
/// its list of that segment.
template <class C>
__global__ void knn_offer_kernel(knn::knn_terms t, knn::segment_lists<std::size_t> lists, std::size_t i0,
                                 std::size_t rows, std::size_t j0, std::size_t cols, const C* tile) {
  const std::size_t r = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (r < rows) knn::offer_tile_segment(t, lists, i0, r, rows, j0, cols, blockIdx.y, tile);
}

/// One thread per row: its segment lists merged (scratch: 2k per row; none with one segment),
/// then the class voted by its k neighbours (votes: a zeroed counter per class and row, or
/// nullptr to count among the neighbours).
template <class Index>
__global__ void knn_vote_kernel(knn::segment_lists<Index> lists, std::size_t n, double* dist_scratch,
                                Index* index_scratch, const std::size_t* codes, unsigned* votes, std::size_t classes,
                                std::size_t* decisions) {
  const std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= n) return;
  const std::size_t k = lists.k;
  const bool merge = lists.segments > 1;
  const knn::topk_list<Index> merged = knn::merge_segments(lists, i, merge ? dist_scratch + 2 * i * k : nullptr,
                                                           merge ? index_scratch + 2 * i * k : nullptr);
  decisions[i] = knn::knn_vote(merged.index, k, codes, votes == nullptr ? nullptr : votes + i * classes);
}

// ---- the whole computation ------------------------------------------------------------------------------------

/// H's checks as icl::decode's (check_states reads the shape and the pointer, never an element),
/// then the device pointer.
template <class T>
void check_device_states(const char* function, const device_matrix_view<const T>& H) {
  icl::decode::detail::check_states(function, shape_view(H));
  check_device_pointer(function, "H", H.data());
}

/// What one matrix leaves on the device for the host: its rows' checks and decisions.
struct knn_pending {
  device_buffer<knn_row_check> checks;
  device_buffer<std::size_t> decisions;
  std::size_t d = 0;
};

constexpr unsigned knn_block = 128;

inline unsigned knn_grid(std::size_t threads) { return static_cast<unsigned>((threads + knn_block - 1) / knn_block); }

/// Queues the leave-one-out kNN decisions of H (checked) on res.stream(); codes: the rows' class
/// codes on the device. Nothing waits; the temporaries go back in stream order.
template <class T>
knn_pending queue_decisions(const char* function, resources& res, const device_matrix_view<const T>& H,
                            const device_buffer<std::size_t>& codes, std::size_t classes,
                            const icl::decode::decode_params& params) {
  using C = knn_compute_t<T>;
  const std::size_t n = H.rows(), d = H.cols(), k = params.k;
  icl::decode::detail::check_k(function, k, n);
  cublas_int(function, d, "d");
  const bool cosine = params.dissimilarity == icl::decode::dissimilarity::cosine;
  const std::size_t block = params.block_rows == 0 ? icl::decode::detail::default_block<C>() : params.block_rows;
  const std::size_t b = std::max<std::size_t>(1, std::min<std::size_t>({block, n, static_cast<std::size_t>(INT_MAX)}));

  knn_pending out{device_buffer<knn_row_check>(res, n), device_buffer<std::size_t>(res, n), d};
  device_buffer<double> a(res, n), s(res, n);
  knn_terms_kernel<T><<<knn_grid(n), knn_block, 0, res.stream()>>>(H, cosine, knn::knn_norm_limit<C>(), a.data(),
                                                                    s.data(), out.checks.data());
  check_launch(function, "knn_terms_kernel");

  gemm_rows<T> X{};
  device_buffer<T> packed;
  if (!gemm_rows_in_place(H, X)) {
    packed = device_buffer<T>(res, n * d);
    knn_pack_kernel<T><<<knn_grid(std::min<std::size_t>(n * d, std::size_t{1} << 20)), knn_block, 0, res.stream()>>>(
        H, packed.data());
    check_launch(function, "knn_pack_kernel");
    X = {packed.data(), d, true};
  }

  // Column segments per tile row: enough (rows x segments) threads per tile, at most 8 and, above
  // k = 64, one (the lists take n·k·segments entries, and merging several 2·n·k more).
  const std::size_t segments = k > 64 ? 1 : std::max<std::size_t>(1, std::min<std::size_t>(8, 16384 / b));
  const std::size_t candidates =
      icl::detail::checked_mul(function, icl::detail::checked_mul(function, n, k, "n x k"), segments, "candidates");
  device_buffer<double> dist(res, candidates), dist_scratch;
  device_buffer<std::size_t> index(res, candidates), index_scratch, count(res, n * segments);
  if (segments > 1) {
    dist_scratch = device_buffer<double>(res, 2 * n * k);
    index_scratch = device_buffer<std::size_t>(res, 2 * n * k);
  }
  check_cuda(function, "cudaMemsetAsync",
             cudaMemsetAsync(count.data(), 0, count.size() * sizeof(std::size_t), res.stream()));
  const knn::segment_lists<std::size_t> lists{dist.data(), index.data(), count.data(), segments, k};
  device_buffer<C> tile(res, b * b);
  const knn::knn_terms terms{a.data(), s.data(), knn::knn_coefficient(cosine)};
  for (std::size_t i0 = 0; i0 < n; i0 += b) {
    const std::size_t rows = std::min(b, n - i0);
    const dim3 grid(knn_grid(rows), static_cast<unsigned>(segments));
    for (std::size_t j0 = 0; j0 < n; j0 += b) {
      const std::size_t cols = std::min(b, n - j0);
      rows_product(function, res, X, i0, rows, X, j0, cols, d, tile.data());
      knn_offer_kernel<C><<<grid, knn_block, 0, res.stream()>>>(terms, lists, i0, rows, j0, cols, tile.data());
      check_launch(function, "knn_offer_kernel");
    }
  }

  // Per-class counters when they fit in 64 Mi entries, else the O(k²) count among the neighbours.
  device_buffer<unsigned> votes;
  if (classes != 0 && n <= (std::size_t{1} << 26) / classes) {
    votes = device_buffer<unsigned>(res, n * classes);
    check_cuda(function, "cudaMemsetAsync", cudaMemsetAsync(votes.data(), 0, n * classes * sizeof(unsigned), res.stream()));
  }
  knn_vote_kernel<std::size_t><<<knn_grid(n), knn_block, 0, res.stream()>>>(lists, n, dist_scratch.data(), index_scratch.data(),
                                                               codes.data(), votes.data(), classes,
                                                               out.decisions.data());
  check_launch(function, "knn_vote_kernel");
  return out;
}

/// One warp: the share of rows whose decision is their class (lane j: rows j, j + 32, ...;
/// integer counts, exact in any order) into *overall, NaN when a row is unusable (the
/// synchronous functions throw there). (A template only so that the header may define it.)
template <int = 0>
__global__ void knn_accuracy_kernel(const std::size_t* decisions, const std::size_t* codes,
                                    const knn_row_check* checks, std::size_t n, double* overall) {
  const unsigned lane = threadIdx.x % 32;
  unsigned long long hits = 0;
  bool unusable = false;
  for (std::size_t i = lane; i < n; i += 32) {
    hits += decisions[i] == codes[i] ? 1 : 0;
    unusable = unusable || checks[i].status != knn::knn_row_status::usable;
  }
  for (unsigned offset = 16; offset > 0; offset /= 2) hits += __shfl_down_sync(0xffffffffu, hits, offset);
  unusable = __any_sync(0xffffffffu, unusable) != 0;
  if (lane == 0) *overall = unusable ? knn::quiet_nan() : static_cast<double>(hits) / static_cast<double>(n);
}

/// Queues the overall accuracy of a matrix's decisions into `overall` (device memory).
inline void queue_accuracy(const char* function, resources& res, const knn_pending& pending,
                           const device_buffer<std::size_t>& codes, double* overall) {
  knn_accuracy_kernel<><<<1, 32, 0, res.stream()>>>(pending.decisions.data(), codes.data(), pending.checks.data(),
                                                    pending.checks.size(), overall);
  check_launch(function, "knn_accuracy_kernel");
}

/// Waits for a matrix's row checks and raises its row errors as icl::decode raises them.
inline std::vector<knn_row_check> raise_row_checks(const char* function, const knn_pending& pending) {
  const std::size_t n = pending.checks.size();
  std::vector<knn_row_check> checks(n);
  pending.checks.copy_to_host(checks.data(), n);
  std::vector<knn::knn_row_status> status(n);
  std::vector<double> norm2(n);
  for (std::size_t i = 0; i < n; ++i) {
    status[i] = checks[i].status;
    norm2[i] = checks[i].norm2;
  }
  knn::raise_knn_row_errors(function, status.data(), norm2.data(), n, pending.d, [&](std::size_t i) {
    return std::pair<std::size_t, double>(checks[i].bad_column, checks[i].bad_value);
  });
  return checks;
}

/// Waits for a matrix's results: its row errors as icl::decode raises them, else the result.
inline icl::decode::decodability_result finish_decisions(const char* function, const knn_pending& pending,
                                                         const icl::detail::encoded_labels& enc,
                                                         const icl::decode::decode_params& params) {
  const std::size_t n = pending.checks.size();
  static_cast<void>(raise_row_checks(function, pending));
  std::vector<std::size_t> decisions(n);
  pending.decisions.copy_to_host(decisions.data(), n);
  return knn::decodability_from_decisions(enc, decisions, params.k, params.dissimilarity);
}

/// The class codes of the labels on the device.
inline device_buffer<std::size_t> device_codes(resources& res, const icl::detail::encoded_labels& enc) {
  device_buffer<std::size_t> codes(res, enc.codes.size());
  codes.copy_from_host(enc.codes.data(), enc.codes.size());
  return codes;
}

/// decodability_curve's checks of H and the labels (icl::decode's messages); the labels' codes.
template <class T>
icl::detail::encoded_labels check_curve_arguments(const char* function, const device_tensor_view<const T, 3>& H,
                                                  const std::vector<int>& labels) {
  icl::detail::check_layers(function, "H",
                            icl::tensor_view<const float, 3>(reinterpret_cast<const float*>(H.data()), H.extents(),
                                                             H.strides()));
  if (H.extent(1) != labels.size()) {
    icl::detail::throw_invalid(function, "H has ", H.extent(1), " rows per layer but labels has ", labels.size(),
                               " entries");
  }
  return icl::detail::encode_labels(function, labels, labels.size(), 2, "H");
}

template <class T>
icl::decode::decodability_result task_decodability_impl(const char* function, resources& res,
                                                        const device_matrix_view<const T>& H,
                                                        const std::vector<int>& labels,
                                                        const icl::decode::decode_params& params) {
  check_device_states(function, H);
  const auto enc = icl::detail::encode_labels(function, labels, H.rows(), 2, "H");
  const device_buffer<std::size_t> codes = device_codes(res, enc);
  const knn_pending pending = queue_decisions(function, res, H, codes, enc.n_classes(), params);
  return finish_decisions(function, pending, enc, params);
}

}  // namespace detail

/// icl::decode::task_decodability on the rows of H (n points × d features in device memory, any
/// strides, T float, double, __half or __nv_bfloat16) with the options in params. The Gram tiles
/// are float for float, __half and __nv_bfloat16 (f32 accumulation), double for double; squared
/// norms are summed in double. Distances equal the CPU's where the Gram entries do (exact data);
/// otherwise cuBLAS's summation order, and nvcc's fused multiply-add in the distances, may move a
/// distance by rounding, which changes a decision only at a near tie. Errors: those of
/// icl::decode::task_decodability, with this function's name (after the kNN has run, for NaN/Inf
/// and zero rows), and a host pointer rejected.
template <class T>
icl::decode::decodability_result task_decodability(resources& res, device_matrix_view<const T> H,
                                                   const std::vector<int>& labels,
                                                   const icl::decode::decode_params& params) {
  return detail::task_decodability_impl("icl::cuda::task_decodability", res, H, labels, params);
}

/// Leave-one-out kNN decodability with k neighbours and the Euclidean distance.
template <class T>
icl::decode::decodability_result task_decodability(resources& res, device_matrix_view<const T> H,
                                                   const std::vector<int>& labels, std::size_t k = 10) {
  icl::decode::decode_params params;
  params.k = k;
  return task_decodability(res, H, labels, params);
}

/// icl::decode::decodability_curve on [layers, n, d] device hidden states (any strides): every
/// layer's decodability, queued one after the other; the stream is waited for once all are
/// queued. Errors: the CPU's, with this function's name, the first failing layer's first.
template <class T>
icl::decode::decodability_curve_result decodability_curve(resources& res, device_tensor_view<const T, 3> H,
                                                          const std::vector<int>& labels,
                                                          const icl::decode::decode_params& params = {}) {
  constexpr const char* function = "icl::cuda::decodability_curve";
  const auto enc = detail::check_curve_arguments(function, H, labels);
  const device_buffer<std::size_t> codes = detail::device_codes(res, enc);
  std::vector<detail::knn_pending> pending;
  pending.reserve(H.extent(0));
  for (std::size_t l = 0; l < H.extent(0); ++l) {
    const device_matrix_view<const T> layer = H.matrix(l);
    detail::check_device_states(function, layer);
    pending.push_back(detail::queue_decisions(function, res, layer, codes, enc.n_classes(), params));
  }
  icl::decode::decodability_curve_result out;
  for (const detail::knn_pending& p : pending) {
    out.layers.push_back(detail::finish_decisions(function, p, enc, params));
    out.curve.values.push_back(out.layers.back().overall);
  }
  out.peak_layer = out.curve.peak_layer();
  return out;
}

/// task_decodability's overall accuracy into `overall`, one double of the caller's device memory
/// (the share of rows whose leave-one-out decision is their label: the same double as
/// decodability_result::overall), NaN where task_decodability throws after the kNN (a NaN/Inf or
/// out-of-range row, a zero row under cosine). The argument checks throw before anything is
/// queued; nothing waits; status.check() throws what task_decodability would have thrown.
template <class T>
async_status task_decodability_async(resources& res, device_matrix_view<const T> H, const std::vector<int>& labels,
                                     double* overall, const icl::decode::decode_params& params = {}) {
  constexpr const char* function = "icl::cuda::task_decodability_async";
  detail::check_device_states(function, H);
  const auto enc = icl::detail::encode_labels(function, labels, H.rows(), 2, "H");
  if (overall == nullptr) icl::detail::throw_invalid(function, "overall is a null pointer");
  detail::check_device_pointer(function, "overall", overall);
  const device_buffer<std::size_t> codes = detail::device_codes(res, enc);
  auto pending = std::make_shared<detail::knn_pending>(
      detail::queue_decisions(function, res, H, codes, enc.n_classes(), params));
  detail::queue_accuracy(function, res, *pending, codes, overall);
  return async_status::of_state(std::move(pending), [](const detail::knn_pending& p) {
    static_cast<void>(detail::raise_row_checks(function, p));
  });
}

/// decodability_curve's values (each layer's overall accuracy) into `curve`, the caller's
/// [layers] device vector of doubles (any stride), NaN for a layer where decodability_curve
/// throws after the kNN. Nothing waits; status.check() throws what decodability_curve would have
/// thrown (the first failing layer's error).
template <class T>
async_status decodability_curve_async(resources& res, device_tensor_view<const T, 3> H, const std::vector<int>& labels,
                                      device_tensor_view<double, 1> curve,
                                      const icl::decode::decode_params& params = {}) {
  constexpr const char* function = "icl::cuda::decodability_curve_async";
  const auto enc = detail::check_curve_arguments(function, H, labels);
  detail::check_device_tensor(function, "curve", curve);
  if (curve.extent(0) != H.extent(0)) {
    icl::detail::throw_invalid(function, "curve has ", curve.extent(0), " entries, expected layers = ", H.extent(0));
  }
  const device_buffer<std::size_t> codes = detail::device_codes(res, enc);
  auto pending = std::make_shared<std::vector<detail::knn_pending>>();
  for (std::size_t l = 0; l < H.extent(0); ++l) {
    const device_matrix_view<const T> layer = H.matrix(l);
    detail::check_device_states(function, layer);
    pending->push_back(detail::queue_decisions(function, res, layer, codes, enc.n_classes(), params));
    detail::queue_accuracy(function, res, pending->back(), codes,
                           curve.data() + static_cast<std::ptrdiff_t>(l) * curve.stride(0));
  }
  return async_status::of_state(std::move(pending), [](const std::vector<detail::knn_pending>& layers) {
    for (const detail::knn_pending& p : layers) static_cast<void>(detail::raise_row_checks(function, p));
  });
}

}  // namespace icl::cuda

#endif  // ICL_CUDA_DECODE_CUH
