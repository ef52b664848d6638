#ifndef ICL_BENCH_SUPPORT_SYRK_REFERENCE_HPP
#define ICL_BENCH_SUPPORT_SYRK_REFERENCE_HPP

/// The SYRK reference shared by the benchmarks (DESIGN.md "Speed"): one ?SYRK of a row-major
/// n x d matrix X, i.e. one triangle of X·Xᵀ, is the GEMM-shaped core of the metrics, and the
/// benchmarks report their speed relative to it.
///
/// The product is icl::detail::product_aat_upper: the machine's ?SYRK through the Fortran
/// interface with ICL_USE_BLAS, Eigen's rank update otherwise. Both the reference and the
/// library calls are credited with n·n·d floating-point operations (a multiply-add counts as
/// two), so GFLOP/s counters compare directly.

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdlib>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "icl/config.hpp"
#include "icl/core/linalg.hpp"
#include "icl/core/parallel.hpp"

namespace icl_bench {

/// One triangle of out = X·Xᵀ (n x n, leading dimension n) for the row-major n x d matrix X.
template <class C>
void syrk_reference(const C* x, std::size_t n, std::size_t d, C* out) {
  icl::detail::product_aat_upper<C>(x, n, d, d, out, n);
}

/// The work credited to one SYRK of an n x d matrix (and to the library call it is compared
/// with): n·n·d floating-point operations, in units of 1e9.
inline double work_gflop(std::size_t n, std::size_t d) {
  return static_cast<double>(n) * static_cast<double>(n) * static_cast<double>(d) * 1e-9;
}

/// Wall time (seconds) of one SYRK of the row-major n x d matrix x: one warm-up call (threads
/// started, pages touched), then the median of seven timed calls.
template <class C>
double median_syrk_seconds(const C* x, std::size_t n, std::size_t d) {
  std::vector<C> out(n * n);
  syrk_reference<C>(x, n, d, out.data());
  constexpr int repetitions = 7;
  std::vector<double> seconds;
  for (int r = 0; r < repetitions; ++r) {
    const auto start = std::chrono::steady_clock::now();
    syrk_reference<C>(x, n, d, out.data());
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
    seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::nth_element(seconds.begin(), seconds.begin() + repetitions / 2, seconds.end());
  return seconds[repetitions / 2];
}

/// The benchmark's row-major n x d input in compute type C.
template <class C>
using input_function = const std::vector<C>& (*)(std::size_t n, std::size_t d);

/// median_syrk_seconds of input(n, d), measured at the first request for that input and shape
/// and reused for the rest of the process.
template <class C>
double syrk_seconds(std::size_t n, std::size_t d, input_function<C> input) {
  static std::map<std::tuple<input_function<C>, std::size_t, std::size_t>, double> cache;
  const auto key = std::make_tuple(input, n, d);
  auto found = cache.find(key);
  if (found != cache.end()) return found->second;
  const std::vector<C>& x = input(n, d);
  return cache.emplace(key, median_syrk_seconds<C>(x.data(), n, d)).first->second;
}

/// The timed loop of a SYRK baseline benchmark: one SYRK of the row-major n x d matrix x per
/// iteration. Returns the wall time (seconds) of the whole loop, output allocation excluded.
template <class C>
double run_syrk(benchmark::State& state, const C* x, std::size_t n, std::size_t d) {
  std::vector<C> out(n * n);
  const auto start = std::chrono::steady_clock::now();
  for (auto _ : state) {
    syrk_reference<C>(x, n, d, out.data());
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

/// The value of environment variable `name` for benchmark::AddCustomContext, "(unset)" if unset.
inline std::string environment(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? "(unset)" : value;
}

/// The context every benchmark binary reports: which product backs the SYRK (BLAS or Eigen),
/// the library's OpenMP threads, and the thread settings in the environment.
inline void add_common_context() {
  benchmark::AddCustomContext("icl_blas", ICL_HAS_BLAS ? "Fortran ?SYRK/?GEMM (ICL_USE_BLAS)" : "Eigen (no BLAS)");
  benchmark::AddCustomContext("icl_openmp_threads", std::to_string(icl::max_threads()));
  benchmark::AddCustomContext("OMP_NUM_THREADS", environment("OMP_NUM_THREADS"));
  benchmark::AddCustomContext("OPENBLAS_NUM_THREADS", environment("OPENBLAS_NUM_THREADS"));
}

/// The main of a benchmark binary: registers the benchmarks, parses the command line (1 on an
/// unrecognized argument), adds the common context and then `add_context`'s, and runs them.
inline int run_benchmarks(int argc, char** argv, void (*register_benchmarks)(), void (*add_context)() = nullptr) {
  register_benchmarks();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  add_common_context();
  if (add_context != nullptr) add_context();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

}  // namespace icl_bench

#endif  // ICL_BENCH_SUPPORT_SYRK_REFERENCE_HPP
