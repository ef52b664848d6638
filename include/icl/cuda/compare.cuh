#ifndef ICL_CUDA_COMPARE_CUH
#define ICL_CUDA_COMPARE_CUH

/// icl::cuda::compare and icl::cuda::permutation_test: the comparison of two condensed RDMs in
/// device memory and its permutation test, with the names, parameters, results and errors of
/// icl::rsa::compare and icl::rsa::permutation_test and the resources object first.
///
/// A condensed RDM on the device is a device_tensor_view<const T, 1> of its m = n(n−1)/2 values
/// (scipy order; any stride; float, double, __half or __nv_bfloat16), such as the doubles that
/// compute_rdm_into writes. Host RDMs (icl::rsa::rdm) are accepted too and copied to the device.
///
/// The work of a comparison, all queued on res.stream() (compare_terms.hpp holds its arithmetic):
///   1. the values widened to double into two workspace vectors;
///   2. one pass (block partials, then one thread merging them in order): Σa, Σb, the first
///      NaN/Inf of each, whether each vector is constant;
///   3. spearman and rho_a: each vector's centred average ranks, from a device radix sort of
///      (value, position) (cub::DeviceRadixSort::SortPairs) and two scans over the runs of equal
///      values (ranks.hpp); pearson: each vector minus its mean; whitened_cosine: each RDM's
///      second-moment matrix G (the rows' means, one thread per row; G's diagonal and its sums,
///      one thread; G's upper triangle in place);
///   4. Σxy, Σx², Σy² over the terms, in double (block partials merged in order), the outcome
///      (defined, or which error) and the statistic.
/// The host waits once, for a small summary, and raises the CPU's error if there is one.
///
/// The permutation test runs the same steps for the observed statistic, then evaluates the
/// permutations in batches of P (a bounded workspace: P·(4n + 8⌈m/2048⌉) bytes within 64 MiB):
/// the host draws each batch with the CPU's generator and seeds (icl::counter_rng(seed, k),
/// Fisher–Yates over the conditions) and copies it to the device; one launch computes the P
/// permuted sums Σ x[σ_π(k)]·y[k] (permutation_index.hpp) in block partials, a second one adds
/// each permutation's partials in order, forms its statistic and counts it, on the device, if it
/// is at least as extreme as the observed one. Ranks, means and norms are computed once. The
/// host waits once, at the end.

#include "icl/cuda/detail/host_library.cuh"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include <cub/device/device_radix_sort.cuh>
#include <cub/device/device_scan.cuh>
#include <cuda_runtime_api.h>

#include "icl/cuda/async.cuh"
#include "icl/cuda/buffer.cuh"
#include "icl/cuda/detail/checks.cuh"
#include "icl/cuda/detail/compare_terms.hpp"
#include "icl/cuda/detail/convert.cuh"
#include "icl/cuda/detail/permutation_index.hpp"
#include "icl/cuda/detail/ranks.hpp"
#include "icl/cuda/error.cuh"
#include "icl/cuda/resources.cuh"
#include "icl/cuda/view.cuh"
#pragma nv_diag_suppress 20012  // Eigen, under nvcc: see icl/cuda/detail/host_library.cuh
#include "icl/cuda/detail/compare_results.hpp"
#include "icl/rsa/rdm_type.hpp"
#include "icl/rsa/types.hpp"
#pragma nv_diag_default 20012

namespace icl::cuda {

/// A condensed vector of device memory: m values, any stride.
template <class T>
using device_vector_view = device_tensor_view<T, 1>;

namespace detail {

namespace device = icl::detail::device;

constexpr unsigned compare_threads = device::reduction_threads;       ///< threads per block of every kernel
constexpr std::size_t permutation_items = 8;                          ///< consecutive positions per thread
constexpr std::size_t permutation_workspace = std::size_t{64} << 20;  ///< bytes per batch

__device__ inline void merge_into(device::pair_scan& s, const device::pair_scan& o) { device::scan_merge(s, o); }
__device__ inline void merge_into(device::pair_sums& s, const device::pair_sums& o) { device::sums_merge(s, o); }
__device__ inline void merge_into(double& s, double o) { s += o; }

/// The block's values merged into shared[0] by a fixed tree (the same result on every run).
template <class A>
__device__ void block_merge(A* shared, const A& v) {
  shared[threadIdx.x] = v;
  __syncthreads();
  for (unsigned s = blockDim.x / 2; s > 0; s /= 2) {
    if (threadIdx.x < s) merge_into(shared[threadIdx.x], shared[threadIdx.x + s]);
    __syncthreads();
  }
}

/// a and b widened to double, contiguous.
template <class T>
__global__ void compare_load_kernel(device_vector_view<const T> a, device_vector_view<const T> b, double* xa,
                                    double* xb) {
  const std::size_t m = a.extent(0), stride = static_cast<std::size_t>(gridDim.x) * blockDim.x;
  for (std::size_t k = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x; k < m; k += stride) {
    xa[k] = widen(a(k));
    xb[k] = widen(b(k));
  }
}

// The kernels are templates (D: double; Position: std::uint32_t) so that the header defines no
// non-inline function: __global__ cannot be inline.

/// Pass 1: each block's scan of its positions.
template <class D>
__global__ void compare_scan_kernel(const D* xa, const D* xb, std::size_t m, device::pair_scan* partial) {
  __shared__ device::pair_scan shared[compare_threads];
  device::pair_scan s = device::empty_scan(m);
  const double a0 = xa[0], b0 = xb[0];
  const std::size_t stride = static_cast<std::size_t>(gridDim.x) * blockDim.x;
  for (std::size_t k = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x; k < m; k += stride) {
    device::scan_add(s, k, xa[k], xb[k], a0, b0);
  }
  block_merge(shared, s);
  if (threadIdx.x == 0) partial[blockIdx.x] = shared[0];
}

/// One thread: the blocks' scans merged in order, and the values the errors name.
template <class D>
__global__ void compare_scan_finish_kernel(const device::pair_scan* partial, unsigned blocks, const D* xa,
                                           const D* xb, std::size_t m, device::compare_summary* summary) {
  device::pair_scan s = partial[0];
  for (unsigned p = 1; p < blocks; ++p) device::scan_merge(s, partial[p]);
  summary->scan = s;
  summary->a0 = xa[0];
  summary->b0 = xb[0];
  summary->bad_a_value = s.bad_a < m ? xa[s.bad_a] : 0.0;
  summary->bad_b_value = s.bad_b < m ? xb[s.bad_b] : 0.0;
  summary->diagonal = device::empty_sums();
  summary->grand_a = 0.0;
  summary->grand_b = 0.0;
}

/// whitened_cosine, one thread per condition: the means of row i of D_a and D_b.
template <class D>
__global__ void second_moment_rows_kernel(const D* xa, const D* xb, std::size_t n, D* rows_a, D* rows_b) {
  const std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= n) return;
  rows_a[i] = device::condensed_row_mean(xa, n, i);
  rows_b[i] = device::condensed_row_mean(xb, n, i);
}

/// whitened_cosine, one thread: the means of the rows' means, the diagonals of G_a and G_b and
/// the sums over them, in order.
template <class D>
__global__ void second_moment_diagonal_kernel(const D* rows_a, const D* rows_b, std::size_t n, D* diagonal_a,
                                              D* diagonal_b, device::compare_summary* summary) {
  double sum_a = 0.0, sum_b = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    sum_a += rows_a[i];
    sum_b += rows_b[i];
  }
  const double grand_a = device::mean_of(sum_a, n), grand_b = device::mean_of(sum_b, n);
  device::pair_sums s = device::empty_sums();
  for (std::size_t i = 0; i < n; ++i) {
    diagonal_a[i] = device::second_moment_diagonal(rows_a[i], grand_a);
    diagonal_b[i] = device::second_moment_diagonal(rows_b[i], grand_b);
    device::sums_add(s, diagonal_a[i], diagonal_b[i]);
  }
  summary->diagonal = s;
  summary->grand_a = grand_a;
  summary->grand_b = grand_b;
}

/// whitened_cosine: every entry of D_a and D_b replaced by G's, in place.
template <class D>
__global__ void second_moment_upper_kernel(D* xa, D* xb, std::size_t n, const D* rows_a, const D* rows_b,
                                           const device::compare_summary* summary) {
  const std::size_t m = n * (n - 1) / 2, stride = static_cast<std::size_t>(gridDim.x) * blockDim.x;
  for (std::size_t k = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x; k < m; k += stride) {
    const device::pair_cursor c = device::pair_at(n, k);
    xa[k] = device::second_moment_upper(xa[k], rows_a[c.i], rows_a[c.j], summary->grand_a);
    xb[k] = device::second_moment_upper(xb[k], rows_b[c.i], rows_b[c.j], summary->grand_b);
  }
}

/// Pearson: a and b minus their means, in place (the other comparisons' terms are ready).
template <class D>
__global__ void compare_center_kernel(D* xa, D* xb, std::size_t m, const device::compare_summary* summary) {
  const double mean_a = device::mean_of(summary->scan.sum_a, m), mean_b = device::mean_of(summary->scan.sum_b, m);
  const std::size_t stride = static_cast<std::size_t>(gridDim.x) * blockDim.x;
  for (std::size_t k = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x; k < m; k += stride) {
    xa[k] = device::compare_term(device::compare_kind::pearson, xa[k], mean_a);
    xb[k] = device::compare_term(device::compare_kind::pearson, xb[k], mean_b);
  }
}

/// Pass 2: each block's Σxy, Σx², Σy².
template <class D>
__global__ void compare_sums_kernel(const D* x, const D* y, std::size_t m, device::pair_sums* partial) {
  __shared__ device::pair_sums shared[compare_threads];
  device::pair_sums s = device::empty_sums();
  const std::size_t stride = static_cast<std::size_t>(gridDim.x) * blockDim.x;
  for (std::size_t k = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x; k < m; k += stride) {
    device::sums_add(s, x[k], y[k]);
  }
  block_merge(shared, s);
  if (threadIdx.x == 0) partial[blockIdx.x] = shared[0];
}

/// One thread: the sums merged in order, the outcome, the statistic (also to *out when given)
/// and the scale of the permuted statistics.
template <class D>
__global__ void compare_finish_kernel(device::compare_kind kind, const device::pair_sums* partial, unsigned blocks,
                                      std::size_t m, device::compare_summary* summary, D* out) {
  device::pair_sums s = partial[0];
  for (unsigned p = 1; p < blocks; ++p) device::sums_merge(s, partial[p]);
  summary->sums = s;
  summary->outcome = device::outcome_of(kind, summary->scan, s, m);
  summary->statistic = device::statistic_of(kind, summary->outcome, s, summary->diagonal, m);
  summary->scale = device::permutation_scale(kind, s, summary->diagonal, m);
  if (out != nullptr) *out = summary->statistic;
}

template <class Position>
__global__ void iota_kernel(Position* out, std::size_t m) {
  const std::size_t stride = static_cast<std::size_t>(gridDim.x) * blockDim.x;
  for (std::size_t k = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x; k < m; k += stride) {
    out[k] = static_cast<Position>(k);
  }
}

/// The run candidates of the sorted values: first candidates in order, end candidates reversed
/// (place m − 1 − t at t), for a forward max-scan and a forward min-scan.
template <class Position>
__global__ void run_candidates_kernel(const double* sorted, std::size_t m, Position* first,
                                      Position* last_reversed) {
  const std::size_t stride = static_cast<std::size_t>(gridDim.x) * blockDim.x;
  for (std::size_t u = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x; u < m; u += stride) {
    first[u] = static_cast<Position>(device::run_first_candidate(sorted, u));
    last_reversed[m - 1 - u] = static_cast<Position>(device::run_last_candidate(sorted, m, u));
  }
}

/// The centred rank of every sorted place, written to its value's position.
template <class Position>
__global__ void scatter_ranks_kernel(const Position* position, const Position* first,
                                     const Position* last_reversed, std::size_t m, double* out) {
  const std::size_t stride = static_cast<std::size_t>(gridDim.x) * blockDim.x;
  for (std::size_t u = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x; u < m; u += stride) {
    device::scatter_centered_rank(position, u, first[u], last_reversed[m - 1 - u], m, out);
  }
}

struct max_index {
  __device__ std::uint32_t operator()(std::uint32_t a, std::uint32_t b) const { return a < b ? b : a; }
};
struct min_index {
  __device__ std::uint32_t operator()(std::uint32_t a, std::uint32_t b) const { return b < a ? b : a; }
};

/// Replaces x (m < 2^32 values in device memory) by its centred average ranks (queued).
inline void queue_centered_ranks(const char* function, resources& res, double* x, std::size_t m) {
  cudaStream_t stream = res.stream();
  device_buffer<double> sorted(res, m);
  device_buffer<std::uint32_t> position(res, m), sorted_position(res, m), first(res, m), last(res, m);
  std::size_t sort_bytes = 0, max_bytes = 0, min_bytes = 0;
  check_cuda(function, "cub::DeviceRadixSort::SortPairs",
             cub::DeviceRadixSort::SortPairs(nullptr, sort_bytes, x, sorted.data(), position.data(),
                                             sorted_position.data(), m, 0, 64, stream));
  check_cuda(function, "cub::DeviceScan::InclusiveScan",
             cub::DeviceScan::InclusiveScan(nullptr, max_bytes, position.data(), first.data(), max_index{}, m,
                                            stream));
  check_cuda(function, "cub::DeviceScan::InclusiveScan",
             cub::DeviceScan::InclusiveScan(nullptr, min_bytes, last.data(), position.data(), min_index{}, m,
                                            stream));
  std::size_t temp_bytes = sort_bytes > max_bytes ? sort_bytes : max_bytes;
  if (min_bytes > temp_bytes) temp_bytes = min_bytes;
  device_buffer<unsigned char> temp(res, temp_bytes);
  const unsigned blocks = device::reduction_blocks(m);
  iota_kernel<std::uint32_t><<<blocks, compare_threads, 0, stream>>>(position.data(), m);
  check_launch(function, "iota_kernel");
  check_cuda(function, "cub::DeviceRadixSort::SortPairs",
             cub::DeviceRadixSort::SortPairs(temp.data(), sort_bytes, x, sorted.data(), position.data(),
                                             sorted_position.data(), m, 0, 64, stream));
  // position is free after the sort: it holds the first candidates, then the reversed ends.
  run_candidates_kernel<std::uint32_t>
      <<<blocks, compare_threads, 0, stream>>>(sorted.data(), m, position.data(), last.data());
  check_launch(function, "run_candidates_kernel");
  check_cuda(function, "cub::DeviceScan::InclusiveScan",
             cub::DeviceScan::InclusiveScan(temp.data(), max_bytes, position.data(), first.data(), max_index{}, m,
                                            stream));
  check_cuda(function, "cub::DeviceScan::InclusiveScan",
             cub::DeviceScan::InclusiveScan(temp.data(), min_bytes, last.data(), position.data(), min_index{}, m,
                                            stream));
  scatter_ranks_kernel<std::uint32_t>
      <<<blocks, compare_threads, 0, stream>>>(sorted_position.data(), first.data(), position.data(), m, x);
  check_launch(function, "scatter_ranks_kernel");
}

/// A queued comparison: the terms x, y (centred values, centred ranks, the values, or G's upper
/// triangles), G's diagonals (whitened_cosine) and the summary, in device memory, valid once the
/// stream has run.
struct queued_compare {
  device_buffer<double> x, y;
  device_buffer<device::compare_summary> summary;
  device_buffer<double> x_diagonal, y_diagonal;
};

/// Queues the whole comparison of a and b (m values each, checked; n conditions, m = n(n−1)/2,
/// for whitened_cosine); the statistic also goes to *out when out is not null.
template <class T>
queued_compare queue_compare(const char* function, resources& res, device::compare_kind kind,
                             const device_vector_view<const T>& a, const device_vector_view<const T>& b,
                             std::size_t n, double* out) {
  const std::size_t m = a.extent(0);
  cudaStream_t stream = res.stream();
  const bool whitened = kind == device::compare_kind::whitened_cosine;
  queued_compare q{device_buffer<double>(res, m), device_buffer<double>(res, m),
                   device_buffer<device::compare_summary>(res, 1), device_buffer<double>(res, whitened ? n : 0),
                   device_buffer<double>(res, whitened ? n : 0)};
  const unsigned blocks = device::reduction_blocks(m);
  device_buffer<device::pair_scan> scans(res, blocks);
  device_buffer<device::pair_sums> sums(res, blocks);
  compare_load_kernel<T><<<blocks, compare_threads, 0, stream>>>(a, b, q.x.data(), q.y.data());
  check_launch(function, "compare_load_kernel");
  compare_scan_kernel<double><<<blocks, compare_threads, 0, stream>>>(q.x.data(), q.y.data(), m, scans.data());
  check_launch(function, "compare_scan_kernel");
  compare_scan_finish_kernel<double>
      <<<1, 1, 0, stream>>>(scans.data(), blocks, q.x.data(), q.y.data(), m, q.summary.data());
  check_launch(function, "compare_scan_finish_kernel");
  if (device::compares_ranks(kind)) {
    queue_centered_ranks(function, res, q.x.data(), m);
    queue_centered_ranks(function, res, q.y.data(), m);
  } else if (whitened) {
    device_buffer<double> rows_a(res, n), rows_b(res, n);
    constexpr unsigned row_threads = 128;
    second_moment_rows_kernel<double><<<static_cast<unsigned>((n + row_threads - 1) / row_threads), row_threads, 0,
                                        stream>>>(q.x.data(), q.y.data(), n, rows_a.data(), rows_b.data());
    check_launch(function, "second_moment_rows_kernel");
    second_moment_diagonal_kernel<double><<<1, 1, 0, stream>>>(rows_a.data(), rows_b.data(), n, q.x_diagonal.data(),
                                                               q.y_diagonal.data(), q.summary.data());
    check_launch(function, "second_moment_diagonal_kernel");
    second_moment_upper_kernel<double><<<blocks, compare_threads, 0, stream>>>(q.x.data(), q.y.data(), n,
                                                                              rows_a.data(), rows_b.data(),
                                                                              q.summary.data());
    check_launch(function, "second_moment_upper_kernel");
  } else if (kind == device::compare_kind::pearson) {
    compare_center_kernel<double>
        <<<blocks, compare_threads, 0, stream>>>(q.x.data(), q.y.data(), m, q.summary.data());
    check_launch(function, "compare_center_kernel");
  }
  compare_sums_kernel<double><<<blocks, compare_threads, 0, stream>>>(q.x.data(), q.y.data(), m, sums.data());
  check_launch(function, "compare_sums_kernel");
  compare_finish_kernel<double><<<1, 1, 0, stream>>>(kind, sums.data(), blocks, m, q.summary.data(), out);
  check_launch(function, "compare_finish_kernel");
  return q;
}

/// The summary on the host (waits for the stream).
inline device::compare_summary fetch_summary(const queued_compare& q) {
  device::compare_summary s{};
  q.summary.copy_to_host(&s, 1);
  return s;
}

/// The checks of a comparison of two device vectors; returns the device kind.
template <class T>
device::compare_kind check_compare(const char* function, const device_vector_view<const T>& a,
                                   const device_vector_view<const T>& b, icl::rsa::comparison c,
                                   icl::nan_policy policy) {
  check_device_tensor(function, "a", a);
  check_device_tensor(function, "b", b);
  device::check_same_size(function, a.extent(0), b.extent(0));
  const device::compare_kind kind = device::device_comparison(function, c);
  device::check_compare_size(function, kind, a.extent(0), policy);
  return kind;
}

/// The number of conditions whitened_cosine needs (m must be n(n−1)/2; the CPU's message when
/// it is not), 0 for the other comparisons.
inline std::size_t conditions_for(const char* function, device::compare_kind kind, std::size_t m) {
  return kind == device::compare_kind::whitened_cosine ? icl::detail::conditions_from_pair_count(function, m) : 0;
}

/// The permuted sums of `count` permutations (orders[p·n + i] = π_p(i)), chunk by chunk: block
/// (chunk c, permutation p) writes partial[p·chunks + c].
template <class Position>
__global__ void permutation_partial_kernel(const double* x, const double* y, std::size_t n,
                                           device::permutation_tiling tiling, const Position* orders,
                                           double* partial) {
  __shared__ double shared[compare_threads];
  const std::size_t c = blockIdx.x, p = blockIdx.y;
  const double v = device::permuted_partial(x, y, n, orders + p * n, tiling.first(c, threadIdx.x),
                                            tiling.count(c, threadIdx.x));
  block_merge(shared, v);
  if (threadIdx.x == 0) partial[p * tiling.chunks() + c] = shared[0];
}

/// The diagonals of G_a and G_b, for whitened_cosine's permuted statistics (null otherwise).
struct permuted_diagonals {
  const double* x;
  const double* y;
};

/// One thread per permutation: its partials added in order, its statistic (kept in
/// statistics[p] when not null) and whether it counts as extreme (added to *extreme).
template <class Position>
__global__ void permutation_count_kernel(device::compare_kind kind, device::test_tail tail, const double* partial,
                                         std::size_t chunks, std::size_t count, const Position* orders,
                                         std::size_t n, permuted_diagonals diagonals,
                                         const device::compare_summary* summary, double* statistics,
                                         unsigned long long* extreme) {
  const std::size_t p = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (p >= count) return;
  double dot = 0.0;
  for (std::size_t c = 0; c < chunks; ++c) dot += partial[p * chunks + c];
  const double diagonal =
      diagonals.x != nullptr ? device::permuted_diagonal(diagonals.x, diagonals.y, n, orders + p * n) : 0.0;
  const double s = device::permuted_statistic(kind, dot, diagonal, summary->scale);
  if (statistics != nullptr) statistics[p] = s;
  if (device::counts_as_extreme(tail, s, summary->statistic)) atomicAdd(extreme, 1ULL);
}

/// Permutations per batch: the orders (4n bytes) and partials (8 bytes per chunk) of P
/// permutations within permutation_workspace, at least 1, at most N and the grid's 65535.
inline std::size_t permutation_batch(std::size_t n, std::size_t chunks, std::size_t count) {
  const std::size_t per = 4 * n + 8 * chunks;
  std::size_t batch = permutation_workspace / per;
  if (batch < 1) batch = 1;
  if (batch > 65535) batch = 65535;
  return batch < count ? batch : count;
}

/// The permutation test of checked device vectors of n conditions.
template <class T>
icl::rsa::permutation_result run_permutation_test(const char* function, resources& res, device::compare_kind kind,
                                                  icl::rsa::comparison c, const device_vector_view<const T>& a,
                                                  const device_vector_view<const T>& b, std::size_t n,
                                                  device::test_tail tail,
                                                  const icl::rsa::permutation_params& params) {
  const std::size_t m = a.extent(0), count = params.permutations;
  cudaStream_t stream = res.stream();
  const queued_compare q = queue_compare(function, res, kind, a, b, n, static_cast<double*>(nullptr));
  const permuted_diagonals diagonals{q.x_diagonal.empty() ? nullptr : q.x_diagonal.data(), q.y_diagonal.data()};
  const device::permutation_tiling tiling{m, compare_threads, permutation_items};
  const std::size_t chunks = tiling.chunks();
  const std::size_t batch = permutation_batch(n, chunks, count);
  device_buffer<std::uint32_t> orders(res, icl::detail::checked_mul(function, batch, n, "permutations x n"));
  device_buffer<double> partial(res, icl::detail::checked_mul(function, batch, chunks, "permutations x chunks"));
  device_buffer<double> statistics(res, params.keep_null ? count : 0);
  device_buffer<unsigned long long> extreme(res, 1);
  check_cuda(function, "cudaMemsetAsync", cudaMemsetAsync(extreme.data(), 0, sizeof(unsigned long long), stream));
  std::vector<std::uint32_t> host_orders(batch * n);
  for (std::size_t first = 0; first < count; first += batch) {
    const std::size_t size = count - first < batch ? count - first : batch;
    device::draw_permutations(params.seed, first, size, n, host_orders.data());
    // The copy of pageable memory returns once the orders are staged: the vector is reused.
    check_cuda(function, "cudaMemcpyAsync",
               cudaMemcpyAsync(orders.data(), host_orders.data(), size * n * sizeof(std::uint32_t),
                               cudaMemcpyHostToDevice, stream));
    const dim3 grid(static_cast<unsigned>(chunks), static_cast<unsigned>(size));
    permutation_partial_kernel<std::uint32_t>
        <<<grid, compare_threads, 0, stream>>>(q.x.data(), q.y.data(), n, tiling, orders.data(), partial.data());
    check_launch(function, "permutation_partial_kernel");
    constexpr unsigned threads = 128;
    permutation_count_kernel<std::uint32_t>
        <<<static_cast<unsigned>((size + threads - 1) / threads), threads, 0, stream>>>(
            kind, tail, partial.data(), chunks, size, orders.data(), n, diagonals, q.summary.data(),
            params.keep_null ? statistics.data() + first : nullptr, extreme.data());
    check_launch(function, "permutation_count_kernel");
  }
  icl::rsa::permutation_result result{0.0, 0.0, count, {}};
  if (params.keep_null) {
    result.null_distribution.resize(count);
    check_cuda(function, "cudaMemcpyAsync",
               cudaMemcpyAsync(result.null_distribution.data(), statistics.data(), count * sizeof(double),
                               cudaMemcpyDeviceToHost, stream));
  }
  unsigned long long extreme_count = 0;
  check_cuda(function, "cudaMemcpyAsync",
             cudaMemcpyAsync(&extreme_count, extreme.data(), sizeof(extreme_count), cudaMemcpyDeviceToHost, stream));
  const device::compare_summary summary = fetch_summary(q);  // the one wait
  device::raise_compare_outcome(function, c, summary, m, params.nan);
  result.statistic = summary.statistic;
  if (std::isnan(result.statistic)) {
    result.p_value = result.statistic;
    result.null_distribution.clear();
    return result;
  }
  result.p_value = device::permutation_p_value(extreme_count, count);
  return result;
}

/// A device vector of an RDM's condensed values (copied, queued on res.stream()).
inline device_buffer<double> upload_condensed(resources& res, const icl::rsa::rdm& r) {
  device_buffer<double> out(res, r.size());
  out.copy_from_host(r.condensed().data(), r.size());
  return out;
}

inline device_vector_view<const double> vector_of(const device_buffer<double>& buffer) {
  return make_device_tensor_view<double, 1>(buffer.data(), {buffer.size()});
}

}  // namespace detail

/// icl::rsa::compare of two condensed vectors in device memory (m values each, any stride; float,
/// double, __half or __nv_bfloat16, widened to double): pearson, spearman, rho_a, cosine and
/// whitened_cosine (m = n(n−1)/2 there).
/// Values as the CPU's to the rounding of sums in another order (double throughout; ranks exact).
/// The same checks, errors and messages, under this function's name: sizes that differ, m < 2, an
/// unknown comparison or nan_policy, a NaN/Inf value (named by position) under raise, a constant
/// vector under pearson or spearman, a pearson spread that is zero or overflows, a length that is
/// not triangular under whitened_cosine. Also thrown: kendall_tau_a and kendall_tau_b (computed on
/// the host only), nan_policy::omit, and m >= 2^32 for the rank comparisons. Waits for
/// res.stream() once.
template <class T>
double compare(resources& res, device_vector_view<const T> a, device_vector_view<const T> b, icl::rsa::comparison c,
               const icl::rsa::compare_params& params = {}) {
  constexpr const char* function = "icl::cuda::compare";
  const detail::device::compare_kind kind = detail::check_compare(function, a, b, c, params.nan);
  const std::size_t n = detail::conditions_for(function, kind, a.extent(0));
  const detail::queued_compare q = detail::queue_compare(function, res, kind, a, b, n, static_cast<double*>(nullptr));
  const detail::device::compare_summary s = detail::fetch_summary(q);
  detail::device::raise_compare_outcome(function, c, s, a.extent(0), params.nan);
  return s.statistic;
}

/// compare of two host RDMs of the same n conditions: icl::rsa::compare's checks of the pair
/// (the same n, n >= 3), then the condensed values are copied to the device and compared there.
inline double compare(resources& res, const icl::rsa::rdm& a, const icl::rsa::rdm& b, icl::rsa::comparison c,
                      const icl::rsa::compare_params& params = {}) {
  constexpr const char* function = "icl::cuda::compare";
  icl::rsa::detail::check_rdm_pair(function, a, b);
  const detail::device::compare_kind kind = detail::device::device_comparison(function, c);
  detail::device::check_compare_size(function, kind, a.size(), params.nan);
  const device_buffer<double> da = detail::upload_condensed(res, a), db = detail::upload_condensed(res, b);
  const detail::queued_compare q =
      detail::queue_compare(function, res, kind, detail::vector_of(da), detail::vector_of(db), a.n(), nullptr);
  const detail::device::compare_summary s = detail::fetch_summary(q);
  detail::device::raise_compare_outcome(function, c, s, a.size(), params.nan);
  return s.statistic;
}

/// compare writing the statistic into `out`, one double of the caller's device memory, on
/// res.stream(): NaN where the statistic is undefined (a NaN/Inf value, a constant vector under
/// pearson or spearman, no pearson spread). The argument checks throw before anything is queued;
/// nothing waits; status.check() waits and, under nan_policy::raise, throws what compare would
/// have thrown.
template <class T>
async_status compare_async(resources& res, device_vector_view<const T> a, device_vector_view<const T> b,
                           icl::rsa::comparison c, double* out, const icl::rsa::compare_params& params = {}) {
  constexpr const char* function = "icl::cuda::compare_async";
  const detail::device::compare_kind kind = detail::check_compare(function, a, b, c, params.nan);
  if (out == nullptr) icl::detail::throw_invalid(function, "out is a null pointer");
  detail::check_device_pointer(function, "out", out);
  const std::size_t n = detail::conditions_for(function, kind, a.extent(0));
  auto q = std::make_shared<detail::queued_compare>(detail::queue_compare(function, res, kind, a, b, n, out));
  const std::size_t m = a.extent(0);
  const icl::nan_policy policy = params.nan;
  return async_status::of_state(std::move(q), [c, m, policy](const detail::queued_compare& queued) {
    detail::device::raise_compare_outcome(function, c, detail::fetch_summary(queued), m, policy);
  });
}

/// icl::rsa::permutation_test of two condensed RDMs in device memory (m = n(n−1)/2 values each,
/// n >= 3; element types and strides as compare): the conditions of a permuted N times, two-sided
/// or one-sided, the permutations drawn by the CPU's generator from the same seed. The
/// statistic, the null distribution (params.keep_null) and the p-value are the CPU's up to the
/// rounding of the sums: a permuted statistic within rounding of the observed one may count on
/// one path and not the other. Comparisons and errors as compare, and those of the CPU test: a
/// length that is not n(n−1)/2, n < 3, N = 0, an unknown alternative, nan_policy::omit.
/// Waits for res.stream() once, at the end.
template <class T>
icl::rsa::permutation_result permutation_test(resources& res, device_vector_view<const T> a,
                                              device_vector_view<const T> b, icl::rsa::comparison c,
                                              const icl::rsa::permutation_params& params) {
  constexpr const char* function = "icl::cuda::permutation_test";
  detail::check_device_tensor(function, "a", a);
  detail::check_device_tensor(function, "b", b);
  const detail::device::compare_kind kind = detail::device::device_comparison(function, c);
  detail::device::check_same_size(function, a.extent(0), b.extent(0));
  const std::size_t n = icl::detail::conditions_from_pair_count(function, a.extent(0));
  if (n < 3) icl::detail::throw_invalid(function, "need n >= 3 conditions, got n = ", n);
  const detail::device::test_tail tail = detail::device::check_permutation_params(function, params);
  detail::device::check_compare_size(function, kind, a.extent(0), params.nan);
  return detail::run_permutation_test(function, res, kind, c, a, b, n, tail, params);
}

/// The same for two host RDMs (icl::rsa::permutation_test's checks of the pair, then copied).
inline icl::rsa::permutation_result permutation_test(resources& res, const icl::rsa::rdm& a,
                                                     const icl::rsa::rdm& b, icl::rsa::comparison c,
                                                     const icl::rsa::permutation_params& params) {
  constexpr const char* function = "icl::cuda::permutation_test";
  const detail::device::compare_kind kind = detail::device::device_comparison(function, c);
  icl::rsa::detail::check_rdm_pair(function, a, b);
  const detail::device::test_tail tail = detail::device::check_permutation_params(function, params);
  detail::device::check_compare_size(function, kind, a.size(), params.nan);
  const device_buffer<double> da = detail::upload_condensed(res, a), db = detail::upload_condensed(res, b);
  return detail::run_permutation_test(function, res, kind, c, detail::vector_of(da), detail::vector_of(db), a.n(),
                                      tail, params);
}

/// Two-sided permutation test with N = `permutations` and `seed` (the CPU's short form).
template <class A>
icl::rsa::permutation_result permutation_test(resources& res, const A& a, const A& b, icl::rsa::comparison c,
                                              std::size_t permutations, std::uint64_t seed) {
  icl::rsa::permutation_params params;
  params.permutations = permutations;
  params.seed = seed;
  return permutation_test(res, a, b, c, params);
}

}  // namespace icl::cuda

#endif  // ICL_CUDA_COMPARE_CUH
