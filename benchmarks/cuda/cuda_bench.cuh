#ifndef ICL_BENCH_CUDA_CUDA_BENCH_CUH
#define ICL_BENCH_CUDA_CUDA_BENCH_CUH

/// What the CUDA benchmarks share (benchmarks/cuda/bench_cuda_*.cu): the options, the device
/// check, device-side test data, timing with CUDA events, and the rows they print.
///
/// Each program prints markdown table rows, one per case, with the device's own limit for that
/// work measured in the same run:
///
///   | case | time | achieved | limit | fraction |
///
/// where "fraction" is achieved / limit. scripts/gpu-check collects the rows of every program
/// into one table; `--header` prints the table's header first, for a program run on its own.
///
/// Options (every program):
///   --size=full|small|tiny   full: the sizes of docs/benchmarks.md (an 80 GB H100 or larger);
///                            small: the same shapes scaled for a GPU of 16-24 GB; tiny: seconds,
///                            a smoke test of the program itself (default: full)
///   --repetitions=N          timed calls per case after one warm-up call; the median is
///                            reported (default 3)
///   --header                 print the table's header before the rows
///   --device-only            print the device (to stderr) and exit: 0, or 77 without a device
/// Without a CUDA device a program prints "skipped: no CUDA device" and exits with 77.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <type_traits>
#include <vector>

#include <cublas_v2.h>
#include <cuda_fp16.h>
#include <cuda_runtime_api.h>

#include "icl/cuda/buffer.cuh"
#include "icl/cuda/error.cuh"
#include "icl/cuda/resources.cuh"
#include "icl/cuda/view.cuh"

namespace icl_cuda_bench {

enum class size_class { full, small, tiny };

struct options {
  size_class size = size_class::full;
  int repetitions = 3;
  bool header = false;
  bool device_only = false;
};

/// The options of argv; exits with 2 and a usage line on an unknown option.
inline options parse_options(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--size=full") {
      o.size = size_class::full;
    } else if (arg == "--size=small") {
      o.size = size_class::small;
    } else if (arg == "--size=tiny") {
      o.size = size_class::tiny;
    } else if (arg.rfind("--repetitions=", 0) == 0 && std::atoi(arg.c_str() + 14) > 0) {
      o.repetitions = std::atoi(arg.c_str() + 14);
    } else if (arg == "--header") {
      o.header = true;
    } else if (arg == "--device-only") {
      o.device_only = true;
    } else {
      std::fprintf(stderr, "usage: %s [--size=full|small|tiny] [--repetitions=N] [--header] [--device-only]\n",
                   argv[0]);
      std::exit(2);
    }
  }
  return o;
}

/// One of three values by size class.
template <class V>
V by_size(const options& o, V full, V small, V tiny) {
  return o.size == size_class::full ? full : o.size == size_class::small ? small : tiny;
}

/// 0 when a CUDA device is present (and prints it as a comment line); otherwise prints
/// "skipped: no CUDA device (...)" and returns 77, the exit code that means skipped.
inline int require_device(const options& o) {
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess || count == 0) {
    std::printf("skipped: no CUDA device (%s)\n", status != cudaSuccess ? cudaGetErrorName(status) : "0 devices");
    return 77;
  }
  cudaDeviceProp p{};
  icl::cuda::detail::check_cuda("icl_cuda_bench", "cudaGetDeviceProperties", cudaGetDeviceProperties(&p, 0));
  std::fprintf(stderr, "# device 0: %s, sm_%d%d, %d SMs, %.1f GiB\n", p.name, p.major, p.minor, p.multiProcessorCount,
               static_cast<double>(p.totalGlobalMem) / double(1 << 30));
  if (o.header && !o.device_only) {
    std::printf("| case | time | achieved | limit | fraction |\n|---|---:|---:|---:|---:|\n");
  }
  return 0;
}

/// Runs body(o, res) with a resources object on the calling thread's default stream; a thrown
/// exception is printed and gives exit code 1.
template <class Body>
int run_main(int argc, char** argv, Body&& body) {
  const options o = parse_options(argc, argv);
  try {
    const int device = require_device(o);
    if (device != 0 || o.device_only) return device;
    icl::cuda::resources res;
    body(o, res);
    std::fflush(stdout);
    return 0;
  } catch (const std::exception& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "%s: %s\n", argv[0], e.what());
    return 1;
  }
}

/// True when `bytes` more bytes of device memory are free; otherwise prints the case as a
/// skipped row (so that the table says why it is missing).
inline bool fits(const std::string& name, double bytes) {
  std::size_t free = 0, total = 0;
  icl::cuda::detail::check_cuda("icl_cuda_bench", "cudaMemGetInfo", cudaMemGetInfo(&free, &total));
  if (bytes <= 0.95 * static_cast<double>(free)) return true;
  std::printf("| %s | skipped: needs %.1f GiB, %.1f GiB free (--size=small) | | | |\n", name.c_str(),
              bytes / double(1 << 30), static_cast<double>(free) / double(1 << 30));
  return false;
}

// ---- test data on the device ------------------------------------------------------------------

/// A counter-based uniform value in [-1, 1) for element `index` (splitmix64 of seed + index).
__host__ __device__ inline float uniform_at(std::uint64_t seed, std::uint64_t index) {
  std::uint64_t z = seed + index * 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  z ^= z >> 31;
  return static_cast<float>(z >> 40) * (2.0f / 16777216.0f) - 1.0f;
}

template <class T>
__global__ void fill_uniform_kernel(T* out, std::size_t count, std::uint64_t seed) {
  for (std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < count;
       i += static_cast<std::size_t>(gridDim.x) * blockDim.x) {
    out[i] = static_cast<T>(uniform_at(seed, i));
  }
}

/// `count` uniform values in [-1, 1) as T, written on the device (queued on the stream).
template <class T>
void fill_uniform(cudaStream_t stream, T* out, std::size_t count, std::uint64_t seed) {
  fill_uniform_kernel<T><<<1024, 256, 0, stream>>>(out, count, seed);
  icl::cuda::detail::check_launch("icl_cuda_bench::fill_uniform", "fill_uniform_kernel");
}

// ---- the GEMM limit ---------------------------------------------------------------------------

/// out (m x cols, column-major, leading dimension m) = rows [i0, i0 + m) of X times the
/// transpose of rows [j0, j0 + cols), X a row-major matrix of rows d long: the Gram product the
/// metrics compute, as a plain cuBLAS call on `handle` (SGEMM for float; cublasGemmEx with 16F
/// operands, a 32F result and CUBLAS_COMPUTE_32F for __half). The benchmarks pass the handle the
/// library's products use (resources::cublas_handle_with_workspace: same stream, same workspace).
template <class T>
void gram_product(cublasHandle_t handle, const T* X, std::size_t d, std::size_t i0, std::size_t m, std::size_t j0,
                  std::size_t cols, float* out) {
  constexpr const char* function = "icl_cuda_bench::gram_product";
  const float one = 1.0f, zero = 0.0f;
  const int rows_a = static_cast<int>(m), rows_b = static_cast<int>(cols), depth = static_cast<int>(d);
  const T* a = X + i0 * d;
  const T* b = X + j0 * d;
  if constexpr (std::is_same_v<T, float>) {
    icl::cuda::detail::check_cublas(function, "cublasSgemm",
                                    cublasSgemm(handle, CUBLAS_OP_T, CUBLAS_OP_N, rows_a, rows_b, depth, &one, a,
                                                depth, b, depth, &zero, out, rows_a));
  } else {
    static_assert(std::is_same_v<T, __half>, "gram_product: float or __half");
    icl::cuda::detail::check_cublas(
        function, "cublasGemmEx",
        cublasGemmEx(handle, CUBLAS_OP_T, CUBLAS_OP_N, rows_a, rows_b, depth, &one, a, CUDA_R_16F, depth, b,
                     CUDA_R_16F, depth, &zero, out, CUDA_R_32F, rows_a, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
  }
}

/// The element type's name in a case name.
template <class T>
const char* type_name() {
  return std::is_same_v<T, float> ? "f32" : "f16";
}

// ---- timing -----------------------------------------------------------------------------------

/// A CUDA event, destroyed with the object.
class event {
 public:
  event() { icl::cuda::detail::check_cuda("icl_cuda_bench::event", "cudaEventCreate", cudaEventCreate(&e_)); }
  event(const event&) = delete;
  event& operator=(const event&) = delete;
  ~event() { static_cast<void>(cudaEventDestroy(e_)); }
  cudaEvent_t get() const noexcept { return e_; }

 private:
  cudaEvent_t e_ = nullptr;
};

/// Milliseconds of one call of f() by CUDA events on `stream`: the time from the moment the
/// stream reaches the start event to the moment it reaches the stop event queued after f()
/// returned (so a call that waits for its stream and copies a result to the host is timed whole).
/// One warm-up call, then the median of `repetitions` calls.
template <class F>
double median_ms(cudaStream_t stream, int repetitions, F&& f) {
  constexpr const char* function = "icl_cuda_bench::median_ms";
  f();
  icl::cuda::detail::check_cuda(function, "cudaStreamSynchronize", cudaStreamSynchronize(stream));
  event start, stop;
  std::vector<float> ms;
  for (int r = 0; r < repetitions; ++r) {
    icl::cuda::detail::check_cuda(function, "cudaEventRecord", cudaEventRecord(start.get(), stream));
    f();
    icl::cuda::detail::check_cuda(function, "cudaEventRecord", cudaEventRecord(stop.get(), stream));
    icl::cuda::detail::check_cuda(function, "cudaEventSynchronize", cudaEventSynchronize(stop.get()));
    float t = 0.0f;
    icl::cuda::detail::check_cuda(function, "cudaEventElapsedTime", cudaEventElapsedTime(&t, start.get(), stop.get()));
    ms.push_back(t);
  }
  std::nth_element(ms.begin(), ms.begin() + static_cast<std::ptrdiff_t>(ms.size() / 2), ms.end());
  return ms[ms.size() / 2];
}

// ---- the rows ---------------------------------------------------------------------------------

/// A rate in `unit` (e.g. "TFLOP/s" with scale 1e12): `work` units of work per `ms`.
struct rate {
  double work;        ///< flops or bytes of one call
  double scale;       ///< 1e12 for TFLOP/s, 1e9 for GB/s
  const char* unit;
  double of(double ms) const { return work / (ms * 1e-3) / scale; }
};

/// Prints | name | ms | achieved | limit | achieved / limit |; limit_per_s in the same unit.
inline void print_row(const std::string& name, double ms, const rate& r, double limit_per_s) {
  const double achieved = r.of(ms);
  std::printf("| %s | %.3f ms | %.1f %s | %.1f %s | %.2f |\n", name.c_str(), ms, achieved, r.unit, limit_per_s,
              r.unit, achieved / limit_per_s);
  std::fflush(stdout);
}

/// Prints the limit itself as a row (fraction 1).
inline void print_limit_row(const std::string& name, double ms, const rate& r) {
  std::printf("| %s (limit) | %.3f ms | %.1f %s | | 1 |\n", name.c_str(), ms, r.of(ms), r.unit);
  std::fflush(stdout);
}

}  // namespace icl_cuda_bench

#endif  // ICL_BENCH_CUDA_CUDA_BENCH_CUH
