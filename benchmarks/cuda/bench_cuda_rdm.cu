/// icl::cuda::compute_rdm against the device's GEMM rate, measured in the same run
/// (docs/benchmarks.md, "CUDA"). Options: cuda_bench.cuh.
///
/// For f32 and f16 rows X (n x d, row-major, uniform values in [-1, 1)):
///   - the limit: one cuBLAS product of the whole n x n Gram matrix X·Xᵀ (SGEMM for f32;
///     cublasGemmEx with f16 operands, an f32 result and CUBLAS_COMPUTE_32F for f16, which is what
///     compute_rdm calls on uncentred f16 rows), credited 2·n²·d flops;
///   - compute_rdm_into for euclidean, sqeuclidean, cosine and correlation, into a device buffer
///     of n(n-1)/2 doubles (no host copy), credited n²·d flops: one triangle of the Gram product,
///     the work SYRK would do (the convention of the CPU benchmarks). A fraction of 1 means the
///     RDM costs one triangle at the GEMM rate;
///   - compute_rdm (the host result: the condensed vector copied to pageable host memory) for
///     euclidean, against the same limit.
/// Correlation centres f16 rows into float operands (as on the CPU), so its products are SGEMMs:
/// against the f16 GEMM it is bounded by the SGEMM / f16-GEMM rate ratio.
///
/// Sizes: full n = 20000, d = 4096 (about 4 GiB of device memory at f32); small n = 8000;
/// tiny n = 1000, d = 256.

#include <cstddef>
#include <string>

#include "icl/cuda/rdm.cuh"

#include "cuda_bench.cuh"

namespace {

using namespace icl_cuda_bench;
using icl::rsa::dissimilarity;

template <class T>
void rdm_cases(const options& o, icl::cuda::resources& res, std::size_t n, std::size_t d) {
  const std::string shape = " n=" + std::to_string(n) + " d=" + std::to_string(d) + " " + type_name<T>();
  const std::size_t pairs = n * (n - 1) / 2;
  const double nd = static_cast<double>(n) * static_cast<double>(d);
  // The input, the condensed output, the limit's n x n float result, a packed float copy of the
  // rows (correlation) and a 256 MiB Gram tile.
  const double bytes = nd * sizeof(T) + 8.0 * static_cast<double>(pairs) + 4.0 * static_cast<double>(n) * n +
                       4.0 * nd + static_cast<double>(std::size_t{256} << 20);
  if (!fits("compute_rdm" + shape, bytes)) return;

  icl::cuda::device_buffer<T> X(res, n * d);
  fill_uniform(res.stream(), X.data(), n * d, 20261204);
  const auto view = icl::cuda::make_device_matrix_view<T>(X.data(), n, d);

  const rate gemm{2.0 * static_cast<double>(n) * nd, 1e12, "TFLOP/s"};
  double gemm_ms = 0.0;
  {
    icl::cuda::device_buffer<float> gram(res, n * n);
    cublasHandle_t handle = res.cublas_handle_with_workspace();
    gemm_ms = median_ms(res.stream(), o.repetitions,
                        [&] { gram_product(handle, X.data(), d, 0, n, 0, n, gram.data()); });
  }
  const double limit = gemm.of(gemm_ms);
  print_limit_row(std::string(std::is_same_v<T, float> ? "cublasSgemm" : "cublasGemmEx f16 -> f32") + " X·Xᵀ" + shape,
                  gemm_ms, gemm);

  const rate triangle{static_cast<double>(n) * nd, 1e12, "TFLOP/s"};
  icl::cuda::device_buffer<double> out(res, pairs);
  for (const dissimilarity dis :
       {dissimilarity::euclidean, dissimilarity::sqeuclidean, dissimilarity::cosine, dissimilarity::correlation}) {
    const double ms = median_ms(res.stream(), o.repetitions,
                                [&] { icl::cuda::compute_rdm_into(res, view, dis, out.data()); });
    print_row("compute_rdm_into " + std::string(icl::to_string(dis)) + shape, ms, triangle, limit);
  }
  const double host_ms = median_ms(res.stream(), o.repetitions, [&] {
    const icl::rsa::rdm r = icl::cuda::compute_rdm(res, view, dissimilarity::euclidean);
    if (r.n() != n) throw icl::error("bench_cuda_rdm: unexpected RDM size");
  });
  print_row("compute_rdm euclidean, host result" + shape, host_ms, triangle, limit);
}

}  // namespace

int main(int argc, char** argv) {
  return run_main(argc, argv, [](const options& o, icl::cuda::resources& res) {
    const std::size_t n = by_size<std::size_t>(o, 20000, 8000, 1000);
    const std::size_t d = by_size<std::size_t>(o, 4096, 4096, 256);
    rdm_cases<__half>(o, res, n, d);
    rdm_cases<float>(o, res, n, d);
  });
}
