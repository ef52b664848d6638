/// icl::cuda::task_decodability against the GEMM floor of its distance tiles, measured in the same
/// run (docs/benchmarks.md, "CUDA"). Options: cuda_bench.cuh.
///
/// For f32 and f16 rows H (n x d, row-major, uniform values in [-1, 1)), labels i mod 4, k = 10:
///   - the floor: the Gram tiles task_decodability multiplies, as plain cuBLAS calls in the same
///     order and shape (b x b tiles, b = the default block of 1024 rows, every block of rows
///     against every block of columns, into one b x b float tile): SGEMM for f32, cublasGemmEx with
///     f16 operands, an f32 result and CUBLAS_COMPUTE_32F for f16. Credited 2·n²·d flops;
///   - task_decodability(res, H, labels, 10), the whole call (row terms, tiles, per-row top-k,
///     vote, the decisions back to the host), credited the same 2·n²·d flops. A fraction of 1
///     means the kNN costs no more than its products.
///
/// Sizes: full n = 50000, d = 1024 and 4096 (under 1 GiB of device memory); small n = 20000;
/// tiny n = 2000, d = 128.

#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

#include "icl/cuda/decode.cuh"

#include "cuda_bench.cuh"

namespace {

using namespace icl_cuda_bench;

template <class T>
void decode_case(const options& o, icl::cuda::resources& res, std::size_t n, std::size_t d, std::size_t k) {
  const std::string shape = " n=" + std::to_string(n) + " d=" + std::to_string(d) + " k=" + std::to_string(k) + " " +
                            type_name<T>();
  const std::size_t b = std::min<std::size_t>(icl::decode::detail::default_block<float>(), n);
  const double nd = static_cast<double>(n) * static_cast<double>(d);
  // The input, the segment lists and their merge scratch (16 bytes per candidate), a tile.
  const double bytes = nd * sizeof(T) + 16.0 * 10.0 * static_cast<double>(n * k) + 4.0 * static_cast<double>(b * b);
  if (!fits("task_decodability" + shape, bytes)) return;

  icl::cuda::device_buffer<T> H(res, n * d);
  fill_uniform(res.stream(), H.data(), n * d, 20261205);
  const auto view = icl::cuda::make_device_matrix_view<T>(H.data(), n, d);
  std::vector<int> labels(n);
  for (std::size_t i = 0; i < n; ++i) labels[i] = static_cast<int>(i % 4);

  const rate work{2.0 * static_cast<double>(n) * nd, 1e12, "TFLOP/s"};
  double floor_ms = 0.0;
  {
    icl::cuda::device_buffer<float> tile(res, b * b);
    cublasHandle_t handle = res.cublas_handle_with_workspace();
    floor_ms = median_ms(res.stream(), o.repetitions, [&] {
      for (std::size_t i0 = 0; i0 < n; i0 += b) {
        for (std::size_t j0 = 0; j0 < n; j0 += b) {
          gram_product(handle, H.data(), d, i0, std::min(b, n - i0), j0, std::min(b, n - j0),
                       tile.data());
        }
      }
    });
  }
  print_limit_row("Gram tiles " + std::to_string(b) + " x " + std::to_string(b) + shape, floor_ms, work);

  const double ms = median_ms(res.stream(), o.repetitions, [&] {
    const icl::decode::decodability_result r = icl::cuda::task_decodability(res, view, labels, k);
    if (!(r.overall >= 0.0)) throw icl::error("bench_cuda_decode: no decodability");
  });
  print_row("task_decodability" + shape, ms, work, work.of(floor_ms));
}

}  // namespace

int main(int argc, char** argv) {
  return run_main(argc, argv, [](const options& o, icl::cuda::resources& res) {
    const std::size_t n = by_size<std::size_t>(o, 50000, 20000, 2000);
    for (const std::size_t d : by_size<std::vector<std::size_t>>(o, {1024, 4096}, {1024, 4096}, {128})) {
      decode_case<__half>(o, res, n, d, 10);
      decode_case<float>(o, res, n, d, 10);
    }
  });
}
