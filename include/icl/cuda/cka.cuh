#ifndef ICL_CUDA_CKA_CUH
#define ICL_CUDA_CKA_CUH

/// icl::cuda::linear_cka: linear CKA of two representations of the same n prompts in device
/// memory, with the name, parameters, result and errors of icl::geometry::linear_cka and the
/// resources object first.
///
/// The work, queued on res.stream(): per column, its double sum and mean and the first NaN/Inf
/// (one thread per column); the columns centred into a row-major workspace of the CPU's compute
/// type (float, or double when an input is double); each row's squared norm (one warp per row);
/// the CPU's choice of products through cuBLAS (K = X̄X̄ᵀ and L = ȲȲᵀ when n < d_x + d_y,
/// otherwise X̄ᵀX̄, ȲᵀȲ and ȲᵀX̄) and the sums of products of their entries in double, each
/// product read once (cka_operands of icl/cuda/detail/cka_terms.hpp; block partials combined in a
/// fixed order, the same bits on every run); one warp adds the rows' terms
/// (icl/cuda/detail/cka_terms.hpp). The host then reads the terms and the CPU library's
/// cka_from_terms gives the value, or its error. linear_cka_async writes the value on the device
/// instead (cka_value, NaN where cka_from_terms throws). The products are whole (n x n or d x d),
/// not tiled.

#include "icl/cuda/detail/host_library.cuh"

#include <cstddef>
#include <memory>
#include <type_traits>
#include <vector>

#include <cuda_runtime_api.h>

#include "icl/cuda/async.cuh"
#include "icl/cuda/buffer.cuh"
#include "icl/cuda/detail/checks.cuh"
#include "icl/cuda/detail/cka_terms.hpp"
#include "icl/cuda/detail/rdm_tile.hpp"
#include "icl/cuda/error.cuh"
#include "icl/cuda/rdm.cuh"
#include "icl/cuda/resources.cuh"
#include "icl/cuda/view.cuh"
#pragma nv_diag_suppress 20012  // Eigen, under nvcc: see icl/cuda/detail/host_library.cuh
#include "icl/geometry/detail/cka_impl.hpp"
#pragma nv_diag_default 20012

namespace icl::cuda {
namespace detail {

/// One thread per column: its mean over the n rows and its first NaN/Inf row (n when none).
template <class T>
__global__ void cka_column_kernel(device_matrix_view<const T> X, double* mean, std::size_t* bad_row,
                                  double* bad_value) {
  const std::size_t j = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  const std::size_t n = X.rows();
  if (j >= X.cols()) return;
  double sum = 0.0;
  std::size_t bad = n;
  for (std::size_t i = 0; i < n; ++i) {
    const double v = widen(X(i, j));
    if (!isfinite(v) && bad == n) bad = i;
    sum += v;
  }
  mean[j] = device::row_mean(sum, n);
  bad_row[j] = bad;
  bad_value[j] = bad < n ? widen(X(bad, j)) : 0.0;
}

/// X centred by columns into a row-major n x d matrix of C.
template <class T, class C>
__global__ void cka_center_kernel(device_matrix_view<const T> X, const double* mean, C* out) {
  const std::size_t n = X.rows(), d = X.cols();
  const std::size_t stride = static_cast<std::size_t>(gridDim.x) * blockDim.x;
  for (std::size_t k = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x; k < n * d; k += stride) {
    const std::size_t i = k / d, j = k % d;
    out[k] = device::centered_value<C>(widen(X(i, j)), mean[j]);
  }
}

/// One warp per row of a row-major n x d matrix: its squared norm in double.
template <class C>
__global__ void cka_row_norm_kernel(const C* x, std::size_t n, std::size_t d, double* out) {
  const std::size_t i = static_cast<std::size_t>(blockIdx.x) * rdm_rows_per_block + threadIdx.x / 32;
  const std::size_t lane = threadIdx.x % 32;
  if (i >= n) return;
  double squared = 0.0;
  for (std::size_t j = lane; j < d; j += 32) {
    const auto v = static_cast<double>(x[i * d + j]);
    squared += v * v;
  }
  squared = warp_sum(squared);
  if (lane == 0) out[i] = squared;
}

constexpr unsigned cka_sum_threads = 256;  ///< threads per block of cka_sums_kernel
constexpr unsigned cka_sum_blocks = 1024;  ///< at most this many blocks

/// The three sums of products of the route's matrices (cka_operands) in one pass: each thread its
/// entries, each block's warps by warp_sum, then the warps in order; partials[3·block + t].
template <class C>
__global__ void cka_sums_kernel(device::cka_operands<C> ops, double* partials) {
  constexpr unsigned warps = cka_sum_threads / 32;
  __shared__ double per_warp[3][warps];
  double acc[3] = {0.0, 0.0, 0.0};
  const std::size_t stride = static_cast<std::size_t>(gridDim.x) * blockDim.x;
  for (std::size_t e = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < ops.entries(); e += stride) {
    ops.add(e, acc);
  }
  const unsigned lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  for (unsigned t = 0; t < 3; ++t) {
    const double v = warp_sum(acc[t]);
    if (lane == 0) per_warp[t][warp] = v;
  }
  __syncthreads();
  if (warp == 0) {
    for (unsigned t = 0; t < 3; ++t) {
      const double v = warp_sum(lane < warps ? per_warp[t][lane] : 0.0);
      if (lane == 0) partials[3 * blockIdx.x + t] = v;
    }
  }
}

/// One warp: the blocks' partials added (lane j: blocks j, j + 32, ...; then warp_sum) into sums[3].
/// (A template only so that the header may define it.)
template <int = 0>
__global__ void cka_partials_kernel(const double* partials, unsigned blocks, double* sums) {
  const unsigned lane = threadIdx.x % 32;
  for (unsigned t = 0; t < 3; ++t) {
    double acc = 0.0;
    for (unsigned b = lane; b < blocks; b += 32) acc += partials[3 * b + t];
    acc = warp_sum(acc);
    if (lane == 0) sums[t] = acc;
  }
}

/// Queues sums[0..3) = ⟨K,K⟩, ⟨L,L⟩, ⟨K,L⟩ of `ops`: every entry read once, the partial sums
/// combined in a fixed order (the same bits on every run).
template <class C>
void queue_cka_sums(const char* function, resources& res, const device::cka_operands<C>& ops, double* sums) {
  const std::size_t wanted = (ops.entries() + cka_sum_threads - 1) / cka_sum_threads;
  const auto blocks = static_cast<unsigned>(wanted < cka_sum_blocks ? (wanted == 0 ? 1 : wanted) : cka_sum_blocks);
  device_buffer<double> partials(res, 3 * std::size_t{blocks});
  cka_sums_kernel<C><<<blocks, cka_sum_threads, 0, res.stream()>>>(ops, partials.data());
  check_launch(function, "cka_sums_kernel");
  cka_partials_kernel<><<<1, 32, 0, res.stream()>>>(partials.data(), blocks, sums);
  check_launch(function, "cka_partials_kernel");
}

/// One input, column-centred on the device, with what the host needs to check it.
template <class C>
struct cka_input {
  device_buffer<double> mean, bad_value, norm;
  device_buffer<std::size_t> bad_row;
  device_buffer<C> centred;
  std::size_t n, d;
};

template <class C, class T>
cka_input<C> queue_cka_input(const char* function, resources& res, const device_matrix_view<const T>& X) {
  const std::size_t n = X.rows(), d = X.cols();
  cka_input<C> in{device_buffer<double>(res, d), device_buffer<double>(res, d), device_buffer<double>(res, n),
                  device_buffer<std::size_t>(res, d),
                  device_buffer<C>(res, icl::detail::checked_mul(function, n, d, "n x d")), n, d};
  constexpr unsigned block = 128;
  cka_column_kernel<T><<<static_cast<unsigned>((d + block - 1) / block), block, 0, res.stream()>>>(
      X, in.mean.data(), in.bad_row.data(), in.bad_value.data());
  check_launch(function, "cka_column_kernel");
  cka_center_kernel<T, C><<<1024, 256, 0, res.stream()>>>(X, in.mean.data(), in.centred.data());
  check_launch(function, "cka_center_kernel");
  cka_row_norm_kernel<C><<<static_cast<unsigned>((n + rdm_rows_per_block - 1) / rdm_rows_per_block),
                           rdm_rows_per_block * 32, 0, res.stream()>>>(in.centred.data(), n, d, in.norm.data());
  check_launch(function, "cka_row_norm_kernel");
  return in;
}

/// Waits for the stream, then raises icl::detail::require_finite's error for the first NaN/Inf
/// in row-major order.
template <class C>
void check_cka_finite(const char* function, const char* name, const cka_input<C>& in) {
  std::vector<std::size_t> bad_row(in.d);
  std::vector<double> bad_value(in.d);
  in.bad_row.copy_to_host(bad_row.data(), in.d);
  in.bad_value.copy_to_host(bad_value.data(), in.d);
  std::size_t first = in.n * in.d, column = 0;
  for (std::size_t j = 0; j < in.d; ++j) {
    if (bad_row[j] < in.n && bad_row[j] * in.d + j < first) {
      first = bad_row[j] * in.d + j;
      column = j;
    }
  }
  if (first < in.n * in.d) {
    icl::detail::throw_invalid(function, name, " (", bad_row[column], ", ", column, ") is ", bad_value[column],
                               " (NaN/Inf not allowed)");
  }
}

/// One warp: the rows' terms (lane j: rows j, j + 32, ..., in order; then warp_sum) with the sums
/// of products into *terms, and the CKA value (NaN where undefined) into *value unless null.
/// (A template only so that the header may define it.)
template <int = 0>
__global__ void cka_finish_kernel(const double* x_norm, const double* y_norm, std::size_t n, const double* sums,
                                  bool debiased, device::cka_sums* terms, double* value) {
  const unsigned lane = threadIdx.x % 32;
  device::cka_sums s;
  for (std::size_t i = lane; i < n; i += 32) device::add_row_terms(s, x_norm[i], y_norm[i]);
  s.dkk = warp_sum(s.dkk);
  s.dll = warp_sum(s.dll);
  s.dkl = warp_sum(s.dkl);
  s.tk = warp_sum(s.tk);
  s.tl = warp_sum(s.tl);
  if (lane == 0) {
    s.n = n;
    s.kk = sums[0];
    s.ll = sums[1];
    s.kl = sums[2];
    *terms = s;
    if (value != nullptr) *value = device::cka_value(s, debiased);
  }
}

/// What a queued linear CKA leaves on the device: its inputs' checks and its terms.
template <class C>
struct queued_cka {
  cka_input<C> x, y;
  device_buffer<device::cka_sums> terms;

  /// Waits for the stream; raises the CPU's errors (NaN/Inf in X, then Y; then, through
  /// cka_from_terms, zero variance), else returns the value.
  double finish(const char* function, bool debiased) const {
    device::cka_sums s;
    terms.copy_to_host(&s, 1);
    check_cka_finite(function, "X", x);
    check_cka_finite(function, "Y", y);
    return icl::geometry::detail::cka_from_terms(
        function, device::cka_terms_of<icl::geometry::detail::cka_terms>(s), debiased);
  }
};

/// Checks X and Y as icl::geometry::linear_cka does and queues the whole computation; `value`
/// (device memory, or null) receives the CKA value.
template <class C, class T, class U>
queued_cka<C> queue_linear_cka(const char* function, resources& res, const device_matrix_view<const T>& X,
                               const device_matrix_view<const U>& Y, bool debiased, double* value) {
  check_device_matrix(function, "X", X);
  check_device_matrix(function, "Y", Y);
  if (X.rows() != Y.rows()) {
    icl::detail::throw_invalid(function, "X has ", X.rows(), " rows but Y has ", Y.rows(),
                               " (the same prompts are needed)");
  }
  if (X.cols() == 0 || Y.cols() == 0) {
    icl::detail::throw_invalid(function, "X and Y need at least one column, got d_x = ", X.cols(),
                               ", d_y = ", Y.cols());
  }
  icl::geometry::detail::check_cka_rows(function, X.rows(), debiased);
  cublas_int(function, X.rows(), "n");
  cublas_int(function, X.cols(), "d_x");
  cublas_int(function, Y.cols(), "d_y");
  const std::size_t n = X.rows(), dx = X.cols(), dy = Y.cols();

  queued_cka<C> q{queue_cka_input<C>(function, res, X), queue_cka_input<C>(function, res, Y),
                  device_buffer<device::cka_sums>(res, 1)};
  const cka_input<C>& x = q.x;
  const cka_input<C>& y = q.y;
  device_buffer<double> sums(res, 3);  // ⟨K,K⟩, ⟨L,L⟩, ⟨K,L⟩
  if (device::cka_gram_route(n, dx, dy)) {
    // K = X̄X̄ᵀ and L = ȲȲᵀ, n x n, read once, together.
    const gemm_rows<C> xr{x.centred.data(), dx, true}, yr{y.centred.data(), dy, true};
    const std::size_t count = icl::detail::checked_mul(function, n, n, "n x n");
    device_buffer<C> K(res, count), L(res, count);
    rows_product(function, res, xr, 0, n, xr, 0, n, dx, K.data());
    rows_product(function, res, yr, 0, n, yr, 0, n, dy, L.data());
    queue_cka_sums(function, res, device::cka_operands<C>{K.data(), L.data(), nullptr, count, count, 0, true},
                   sums.data());
  } else {
    // The columns of X̄ as the rows of a column-major d_x x n matrix: X̄ᵀX̄, ȲᵀȲ, ȲᵀX̄.
    const gemm_rows<C> xc{x.centred.data(), dx, false}, yc{y.centred.data(), dy, false};
    device_buffer<C> A(res, icl::detail::checked_mul(function, dx, dx, "d_x x d_x"));
    device_buffer<C> B(res, icl::detail::checked_mul(function, dy, dy, "d_y x d_y"));
    device_buffer<C> M(res, icl::detail::checked_mul(function, dy, dx, "d_y x d_x"));
    rows_product(function, res, xc, 0, dx, xc, 0, dx, n, A.data());
    rows_product(function, res, yc, 0, dy, yc, 0, dy, n, B.data());
    rows_product(function, res, yc, 0, dy, xc, 0, dx, n, M.data());
    queue_cka_sums(function, res,
                   device::cka_operands<C>{A.data(), B.data(), M.data(), A.size(), B.size(), M.size(), false},
                   sums.data());
  }
  cka_finish_kernel<><<<1, 32, 0, res.stream()>>>(x.norm.data(), y.norm.data(), n, sums.data(), debiased,
                                                   q.terms.data(), value);
  check_launch(function, "cka_finish_kernel");
  return q;
}

}  // namespace detail

/// icl::geometry::linear_cka on device matrices X (n x d_x) and Y (n x d_y) of float, double,
/// __half or __nv_bfloat16 in any strides: biased (default) or debiased linear CKA. The same
/// checks and messages as the CPU path (row counts, n < 2 or n <= 3 when debiased, NaN/Inf named
/// by its first (row, column), zero variance); products in float, or double when an input is
/// double; every sum in double.
template <class T, class U>
double linear_cka(resources& res, device_matrix_view<const T> X, device_matrix_view<const U> Y,
                  bool debiased = false) {
  using C = std::conditional_t<std::is_same_v<T, double> || std::is_same_v<U, double>, double, float>;
  constexpr const char* function = "icl::cuda::linear_cka";
  return detail::queue_linear_cka<C>(function, res, X, Y, debiased, nullptr).finish(function, debiased);
}

/// linear_cka into `value`, one double of the caller's device memory: NaN where the synchronous
/// function throws after reading the device's results (a NaN/Inf element, zero variance). The
/// argument checks throw before anything is queued; nothing waits; status.check() throws what
/// linear_cka would have thrown.
template <class T, class U>
async_status linear_cka_async(resources& res, device_matrix_view<const T> X, device_matrix_view<const U> Y,
                              double* value, bool debiased = false) {
  using C = std::conditional_t<std::is_same_v<T, double> || std::is_same_v<U, double>, double, float>;
  constexpr const char* function = "icl::cuda::linear_cka_async";
  if (value == nullptr) icl::detail::throw_invalid(function, "value is a null pointer");
  detail::check_device_pointer(function, "value", value);
  auto q = std::make_shared<detail::queued_cka<C>>(detail::queue_linear_cka<C>(function, res, X, Y, debiased, value));
  return async_status::of_state(std::move(q), [debiased](const detail::queued_cka<C>& queued) {
    static_cast<void>(queued.finish(function, debiased));
  });
}

}  // namespace icl::cuda

#endif  // ICL_CUDA_CKA_CUH
