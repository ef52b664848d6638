#ifndef ICL_CUDA_RDM_CUH
#define ICL_CUDA_RDM_CUH

/// icl::cuda::compute_rdm: the RDM of n rows in device memory, with the name, parameters, result
/// and errors of icl::rsa::compute_rdm and the resources object first.
///
/// The work, all queued on res.stream():
///   1. one warp per row: the row's double sum, mean (correlation), squared norm of the (centred)
///      row, whether every element is finite and the first one that is not; then the row's
///      status and factor (rdm_row_status, rdm_row_factor of icl/cuda/detail/rdm_tile.hpp);
///   2. the rows as GEMM operands: read in place when they are already a column-major or
///      row-major matrix cuBLAS can take, otherwise (and, for correlation, always: the rows are
///      centred first, centered_value) copied into one workspace matrix;
///   3. per tile of the schedule (rdm_schedule: b x b, b from n and a workspace limit, or
///      rdm_params::block_rows), one cuBLAS product into a single b x b Gram buffer (DGEMM for
///      double, SGEMM for float, cublasGemmEx with f16/bf16 operands and f32 accumulation for
///      __half and __nv_bfloat16; centred half rows are float operands, as on the CPU), then one
///      thread per tile entry calls finish_tile_entry, writing the condensed vector.
/// n² never has to fit at once: beyond the input and the output, the workspace is one b x b tile,
/// the per-row statistics and, where needed, one copy of the rows.
/// The stream is synchronised once, at the end, before the row errors are raised (as on the CPU:
/// raise_rdm_row_errors) and the result is returned.

#include "icl/cuda/detail/host_library.cuh"

#include <climits>
#include <cmath>
#include <cstddef>
#include <type_traits>
#include <utility>
#include <vector>

#include <cublas_v2.h>
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime_api.h>

#include "icl/cuda/buffer.cuh"
#include "icl/cuda/detail/checks.cuh"
#include "icl/cuda/detail/convert.cuh"
#include "icl/cuda/detail/rdm_tile.hpp"
#include "icl/cuda/detail/results.hpp"
#include "icl/cuda/error.cuh"
#include "icl/cuda/resources.cuh"
#include "icl/cuda/view.cuh"
#pragma nv_diag_suppress 20012  // Eigen, under nvcc: see icl/cuda/detail/host_library.cuh
#include "icl/rsa/types.hpp"
#pragma nv_diag_default 20012

namespace icl::cuda {
namespace detail {

namespace device = icl::detail::device;

/// The types of the Gram product of rows of T: the operand type O (what cuBLAS reads) and the
/// Gram type G (what it writes). Centred rows (correlation) are operands of the CPU's compute
/// type: float for __half and __nv_bfloat16.
template <class T, bool Centred>
struct rdm_gram_types {
  using operand = std::conditional_t<std::is_same_v<T, double>, double, std::conditional_t<Centred, float, T>>;
  using gram = std::conditional_t<std::is_same_v<T, double>, double, float>;
};

/// The per-row results of the statistics kernel.
struct rdm_row_stats {
  double* mean;           ///< the row's mean (0 unless the rows are centred)
  double* factor;         ///< f_i of the map, NaN for an unusable row
  device::row_status* status;
  std::size_t* bad_column;  ///< first NaN/Inf column, d when none
  double* bad_value;        ///< its value
};

__device__ inline double warp_sum(double v) {
  for (int offset = 16; offset > 0; offset /= 2) v += __shfl_down_sync(0xffffffffu, v, offset);
  return __shfl_sync(0xffffffffu, v, 0);
}

__device__ inline std::size_t warp_min(std::size_t v) {
  for (int offset = 16; offset > 0; offset /= 2) {
    const std::size_t other = __shfl_down_sync(0xffffffffu, v, offset);
    v = other < v ? other : v;
  }
  return __shfl_sync(0xffffffffu, v, 0);
}

constexpr unsigned rdm_rows_per_block = 8;

/// One warp per row: sum, mean, squared norm of the (centred) row, finiteness, status, factor.
template <class T>
__global__ void rdm_row_stats_kernel(device_matrix_view<const T> X, device::rdm_map map, bool centre,
                                     rdm_row_stats out) {
  const std::size_t i = static_cast<std::size_t>(blockIdx.x) * rdm_rows_per_block + threadIdx.x / 32;
  const std::size_t lane = threadIdx.x % 32;
  if (i >= X.rows()) return;  // the whole warp leaves together
  const std::size_t d = X.cols();
  double sum = 0.0;
  std::size_t bad = d;
  for (std::size_t j = lane; j < d; j += 32) {
    const double v = widen(X(i, j));
    if (!isfinite(v) && bad == d) bad = j;
    sum += v;
  }
  sum = warp_sum(sum);
  bad = warp_min(bad);
  const double mean = centre ? device::row_mean(sum, d) : 0.0;
  double squared = 0.0;
  for (std::size_t j = lane; j < d; j += 32) {
    const double v = widen(X(i, j)) - mean;
    squared += v * v;
  }
  squared = warp_sum(squared);
  if (lane == 0) {
    const device::row_status status = device::rdm_row_status(map, bad == d, squared);
    out.mean[i] = mean;
    out.factor[i] = device::rdm_row_factor(map, status, squared);
    out.status[i] = status;
    out.bad_column[i] = bad;
    out.bad_value[i] = bad < d ? widen(X(i, bad)) : 0.0;
  }
}

/// Row i of X into row i of a row-major n x d matrix of O: centred (centered_value) or copied.
template <class T, class O, bool Centred>
__global__ void rdm_pack_kernel(device_matrix_view<const T> X, const double* mean, O* out) {
  const std::size_t n = X.rows(), d = X.cols();
  const std::size_t stride = static_cast<std::size_t>(gridDim.x) * blockDim.x;
  for (std::size_t k = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x; k < n * d; k += stride) {
    const std::size_t i = k / d, j = k % d;
    if constexpr (Centred) {
      out[k] = device::centered_value<O>(widen(X(i, j)), mean[i]);
    } else {
      out[k] = X(i, j);
    }
  }
}

constexpr unsigned rdm_finish_side = 32;  ///< entries per side of a block's square of the tile
constexpr unsigned rdm_finish_rows = 8;   ///< threads per block: rdm_finish_side x rdm_finish_rows

/// One thread per entry of a column-major Gram tile (element (r, c) at r + c·ld): a block reads a
/// 32 x 32 square down its columns (coalesced), transposes it in shared memory and finishes it
/// along its rows, so that consecutive threads write consecutive condensed positions.
template <class G>
__global__ void rdm_finish_kernel(device::rdm_map map, device::rdm_tile tile, std::size_t n, const G* gram,
                                  std::size_t ld, const double* factor, double per_feature, double* out) {
  __shared__ G square[rdm_finish_side][rdm_finish_side + 1];
  const std::size_t r0 = static_cast<std::size_t>(blockIdx.x) * rdm_finish_side;
  const std::size_t c0 = static_cast<std::size_t>(blockIdx.y) * rdm_finish_side;
  for (unsigned k = threadIdx.y; k < rdm_finish_side; k += rdm_finish_rows) {
    const std::size_t r = r0 + threadIdx.x, c = c0 + k;
    if (r < tile.rows && c < tile.cols) square[k][threadIdx.x] = gram[r + c * ld];
  }
  __syncthreads();
  for (unsigned k = threadIdx.y; k < rdm_finish_side; k += rdm_finish_rows) {
    const std::size_t r = r0 + k, c = c0 + threadIdx.x;
    if (r < tile.rows && c < tile.cols) {
      device::finish_tile_entry(map, tile, n, r, c, static_cast<double>(square[threadIdx.x][k]), factor, per_feature,
                                out);
    }
  }
}

/// The rows as cuBLAS operands: row-major (row i at data + i·ld, elements contiguous) or
/// column-major (element (i, j) at data + i + j·ld).
template <class O>
struct gemm_rows {
  const O* data;
  std::size_t ld;
  bool row_major;
};

/// X as cuBLAS reads it in place: rows with unit column stride (row-major, leading dimension the
/// row stride) or columns with unit row stride (column-major, leading dimension the column
/// stride), the leading dimension in int range. False (out untouched) when it cannot be.
template <class T>
bool gemm_rows_in_place(const device_matrix_view<const T>& X, gemm_rows<T>& out) {
  const auto n = static_cast<std::ptrdiff_t>(X.rows()), d = static_cast<std::ptrdiff_t>(X.cols());
  if ((d == 1 || X.col_stride() == 1) && X.row_stride() >= d && X.row_stride() <= INT_MAX) {
    out = {X.data(), static_cast<std::size_t>(X.row_stride()), true};
    return true;
  }
  if ((n == 1 || X.row_stride() == 1) && X.col_stride() >= n && X.col_stride() <= INT_MAX) {
    out = {X.data(), static_cast<std::size_t>(X.col_stride()), false};
    return true;
  }
  return false;
}

/// cuBLAS's data type of an operand.
template <class O>
constexpr cudaDataType_t cublas_type() noexcept {
  if constexpr (std::is_same_v<O, __half>) return CUDA_R_16F;
  if constexpr (std::is_same_v<O, __nv_bfloat16>) return CUDA_R_16BF;
  if constexpr (std::is_same_v<O, double>) return CUDA_R_64F;
  return CUDA_R_32F;
}

inline int cublas_int(const char* function, std::size_t v, const char* name) {
  if (v > static_cast<std::size_t>(INT_MAX)) {
    icl::detail::throw_invalid(function, name, " = ", v, " exceeds the range of cuBLAS (", INT_MAX, ")");
  }
  return static_cast<int>(v);
}

/// out (m x cols, column-major, ld = m) = rows [a_first, a_first + m) of A · rows [b_first,
/// b_first + cols) of Bᵀ, the rows k long.
template <class O, class G>
void rows_product(const char* function, resources& res, const gemm_rows<O>& A, std::size_t a_first, std::size_t m,
                  const gemm_rows<O>& B, std::size_t b_first, std::size_t cols, std::size_t k, G* out) {
  const int rows_a = static_cast<int>(m), rows_b = static_cast<int>(cols), depth = static_cast<int>(k);
  const int lda = static_cast<int>(A.ld), ldb = static_cast<int>(B.ld);
  // Row-major rows are a k x n column-major matrix (its transpose is needed); column-major rows
  // are the n x k matrix itself.
  const O* a = A.data + (A.row_major ? a_first * A.ld : a_first);
  const O* b = B.data + (B.row_major ? b_first * B.ld : b_first);
  const cublasOperation_t op_a = A.row_major ? CUBLAS_OP_T : CUBLAS_OP_N;
  const cublasOperation_t op_b = B.row_major ? CUBLAS_OP_N : CUBLAS_OP_T;
  const G one = 1, zero = 0;
  if constexpr (std::is_same_v<O, double>) {
    check_cublas(function, "cublasDgemm",
                 cublasDgemm(res.cublas_handle_with_workspace(), op_a, op_b, rows_a, rows_b, depth, &one, a, lda, b, ldb, &zero, out,
                             rows_a));
  } else if constexpr (std::is_same_v<O, float>) {
    check_cublas(function, "cublasSgemm",
                 cublasSgemm(res.cublas_handle_with_workspace(), op_a, op_b, rows_a, rows_b, depth, &one, a, lda, b, ldb, &zero, out,
                             rows_a));
  } else {
    check_cublas(function, "cublasGemmEx",
                 cublasGemmEx(res.cublas_handle_with_workspace(), op_a, op_b, rows_a, rows_b, depth, &one, a, cublas_type<O>(), lda,
                              b, cublas_type<O>(), ldb, &zero, out, CUDA_R_32F, rows_a, CUBLAS_COMPUTE_32F,
                              CUBLAS_GEMM_DEFAULT));
  }
}

/// The Gram tile size: rdm_params::block_rows, or the largest b with a b x b tile of G within
/// 256 MiB (at most 65536, the launch grid's limit), never more than n.
template <class G>
std::size_t rdm_block_rows(std::size_t n, std::size_t block_rows) {
  std::size_t b = block_rows;
  if (b == 0) b = static_cast<std::size_t>(std::sqrt(static_cast<double>((std::size_t{256} << 20) / sizeof(G))));
  if (b > 65536) b = 65536;
  return b < n ? b : n;
}

/// The state of one compute_rdm call whose work is queued: the row statistics (given back in
/// stream order) and, after fetch(), their host copies, valid once the stream has run.
struct queued_rdm {
  device_buffer<double> mean, factor, bad_value;
  device_buffer<device::row_status> status;
  device_buffer<std::size_t> bad_column;
  std::vector<device::row_status> host_status;
  std::vector<std::size_t> host_bad_column;
  std::vector<double> host_bad_value;

  /// Queues the copies of the statuses and of the first bad elements to the host.
  void fetch(const char* function, resources& res) {
    const std::size_t n = status.size();
    host_status.resize(n);
    host_bad_column.resize(n);
    host_bad_value.resize(n);
    check_cuda(function, "cudaMemcpyAsync",
               cudaMemcpyAsync(host_status.data(), status.data(), n * sizeof(device::row_status),
                               cudaMemcpyDeviceToHost, res.stream()));
    check_cuda(function, "cudaMemcpyAsync",
               cudaMemcpyAsync(host_bad_column.data(), bad_column.data(), n * sizeof(std::size_t),
                               cudaMemcpyDeviceToHost, res.stream()));
    check_cuda(function, "cudaMemcpyAsync",
               cudaMemcpyAsync(host_bad_value.data(), bad_value.data(), n * sizeof(double), cudaMemcpyDeviceToHost,
                               res.stream()));
  }
  /// After the stream is synchronised: the CPU path's row errors under nan_policy::raise.
  void check(const char* function, icl::rsa::dissimilarity d, icl::nan_policy policy) const {
    device::raise_rdm_row_errors(function, d, policy, host_status.data(), host_status.size(), [&](std::size_t i) {
      return std::pair<std::size_t, double>(host_bad_column[i], host_bad_value[i]);
    });
  }
};

/// The argument checks of icl::rsa::compute_rdm (same messages) and the device pointers.
template <class T>
void check_rdm_arguments(const char* function, const device_matrix_view<const T>& X, icl::rsa::dissimilarity d) {
  icl::rsa::detail::check_rdm_input(function, shape_view(X));  // reads the shape and the pointer only
  check_device_pointer(function, "X", X.data());
  if (icl::rsa::detail::enum_name_or_null(d) == nullptr) {
    icl::detail::throw_invalid(function, "unknown dissimilarity value ", static_cast<int>(d));
  }
  cublas_int(function, X.rows(), "n");
  cublas_int(function, X.cols(), "d");
}

/// Queues the whole RDM of X into out (n(n-1)/2 doubles of device memory) and the row statuses'
/// copy to the host; returns what must live until the stream has run.
template <class T, bool Centred>
queued_rdm queue_rdm(const char* function, resources& res, const device_matrix_view<const T>& X,
                     icl::rsa::dissimilarity d, std::size_t block_rows, bool fetch, double* out) {
  using O = typename rdm_gram_types<T, Centred>::operand;
  using G = typename rdm_gram_types<T, Centred>::gram;
  const std::size_t n = X.rows(), dims = X.cols();
  const device::rdm_map map = device::rdm_map_of(d);
  queued_rdm q{device_buffer<double>(res, n), device_buffer<double>(res, n), device_buffer<double>(res, n),
               device_buffer<device::row_status>(res, n), device_buffer<std::size_t>(res, n), {}, {}, {}};
  const rdm_row_stats stats{q.mean.data(), q.factor.data(), q.status.data(), q.bad_column.data(),
                            q.bad_value.data()};
  const auto stat_blocks = static_cast<unsigned>((n + rdm_rows_per_block - 1) / rdm_rows_per_block);
  rdm_row_stats_kernel<T><<<stat_blocks, rdm_rows_per_block * 32, 0, res.stream()>>>(X, map, Centred, stats);
  check_launch(function, "rdm_row_stats_kernel");

  // The operands: the input itself where cuBLAS can read it (and nothing is to be centred).
  device_buffer<O> packed;
  gemm_rows<O> rows{nullptr, dims, true};
  bool in_place = false;
  if constexpr (std::is_same_v<O, T> && !Centred) in_place = gemm_rows_in_place(X, rows);
  if (!in_place) {
    packed = device_buffer<O>(res, icl::detail::checked_mul(function, n, dims, "n x d"));
    rdm_pack_kernel<T, O, Centred><<<1024, 256, 0, res.stream()>>>(X, q.mean.data(), packed.data());
    check_launch(function, "rdm_pack_kernel");
    rows = {packed.data(), dims, true};
  }

  const device::rdm_schedule schedule{n, rdm_block_rows<G>(n, block_rows)};
  device_buffer<G> gram(res, schedule.b * schedule.b);
  const double per_feature = 1.0 / static_cast<double>(dims);
  const dim3 threads(rdm_finish_side, rdm_finish_rows);
  for (std::size_t t = 0; t < schedule.tiles(); ++t) {
    const device::rdm_tile tile = schedule.tile(t);
    rows_product(function, res, rows, tile.i0, tile.rows, rows, tile.j0, tile.cols, dims, gram.data());
    const dim3 blocks(static_cast<unsigned>((tile.rows + rdm_finish_side - 1) / rdm_finish_side),
                      static_cast<unsigned>((tile.cols + rdm_finish_side - 1) / rdm_finish_side));
    rdm_finish_kernel<G><<<blocks, threads, 0, res.stream()>>>(map, tile, n, gram.data(), tile.rows,
                                                                q.factor.data(), per_feature, out);
    check_launch(function, "rdm_finish_kernel");
  }
  if (fetch) q.fetch(function, res);
  return q;
}

template <class T>
queued_rdm queue_rdm(const char* function, resources& res, const device_matrix_view<const T>& X,
                     icl::rsa::dissimilarity d, std::size_t block_rows, bool fetch, double* out) {
  return device::centers_rows(d) ? queue_rdm<T, true>(function, res, X, d, block_rows, fetch, out)
                                 : queue_rdm<T, false>(function, res, X, d, block_rows, fetch, out);
}

}  // namespace detail

/// icl::rsa::compute_rdm on n rows in device memory (any strides; float, double, __half or
/// __nv_bfloat16): the condensed RDM on the host, in scipy order. The same checks, errors and
/// messages as the CPU path (n < 2, d < 1, a NaN/Inf element named by row and column, a zero row
/// under cosine or a constant row under correlation), each found on the device. Values agree
/// with the CPU's to the rounding of the Gram products (float for float, __half and
/// __nv_bfloat16; double for double). params.block_rows sets the Gram tile (0: the largest
/// within 256 MiB).
template <class T>
icl::rsa::rdm compute_rdm(resources& res, device_matrix_view<const T> X, icl::rsa::dissimilarity d,
                          const icl::rsa::rdm_params& params = {}) {
  constexpr const char* function = "icl::cuda::compute_rdm";
  detail::check_rdm_arguments(function, X, d);
  const std::size_t m = X.rows() * (X.rows() - 1) / 2;
  device_buffer<double> out(res, m);
  detail::queued_rdm q = detail::queue_rdm(function, res, X, d, params.block_rows, true, out.data());
  std::vector<double> values(m);
  out.copy_to_host(values.data(), m);  // waits for the stream
  q.check(function, d, params.nan);
  return icl::rsa::rdm(X.rows(), std::move(values));
}

/// compute_rdm writing the condensed vector (n(n-1)/2 doubles, scipy order) into the caller's
/// device memory `out` on res.stream(). With nan_policy::propagate nothing waits: the call
/// returns once the work is queued, and unusable rows give NaN. With nan_policy::raise (the
/// default) the rows' statuses are needed on the host, so the call waits for the stream and
/// throws as compute_rdm; `out` then holds the NaN-propagated values.
template <class T>
void compute_rdm_into(resources& res, device_matrix_view<const T> X, icl::rsa::dissimilarity d, double* out,
                      const icl::rsa::rdm_params& params = {}) {
  constexpr const char* function = "icl::cuda::compute_rdm_into";
  detail::check_rdm_arguments(function, X, d);
  if (out == nullptr) icl::detail::throw_invalid(function, "out is a null pointer");
  detail::check_device_pointer(function, "out", out);
  const bool raise = params.nan == icl::nan_policy::raise;
  const detail::queued_rdm q = detail::queue_rdm(function, res, X, d, params.block_rows, raise, out);
  if (!raise) return;  // the workspace goes back in stream order; nothing waits
  res.synchronize();
  q.check(function, d, params.nan);
}

}  // namespace icl::cuda

#endif  // ICL_CUDA_RDM_CUH
