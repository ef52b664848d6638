/// Benchmarks of icl::decode::task_decodability against the machine's own SSYRK (DESIGN.md "Speed").
///
/// Leave-one-out kNN over n points of d features is GEMM-shaped work: its core is the Gram
/// matrix X·Xᵀ, of which the library computes one triangle tile by tile (SYRK on diagonal tiles,
/// GEMM off the diagonal) and feeds each tile to the neighbour lists of its rows and columns.
/// The baseline is one SSYRK of the same n x d float matrix, measured in this binary.
///
/// Benchmarks: ssyrk (eigen_ssyrk without BLAS), task_decodability/float and
/// task_decodability/float_colmajor, pairwise_decodability/float, each with arguments n, d, k.
///
/// Counters:
///   GFLOP/s           n·n·d / (wall time of one call), in 1e9 per second (the SYRK convention)
///   threads           OpenMP threads available to the library's parallel loops
///   fraction_of_syrk  SSYRK time / decodability time for that shape (1 = as fast as the BLAS
///                     product alone); SSYRK: one warm-up, then the median of seven calls
///   peak_RSS_MiB      the process's peak resident set (getrusage) after the benchmark: run one
///                     shape per process (--benchmark_filter) to read it for that shape
///
/// Inputs: standard normal values from a fixed seed, labels i mod 4 (four classes).
/// Times are wall-clock (UseRealTime): the work runs on OpenMP and BLAS threads.

#include <benchmark/benchmark.h>

#include <sys/resource.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "icl/config.hpp"
#include "icl/core/linalg.hpp"
#include "icl/core/parallel.hpp"
#include "icl/core/view.hpp"
#include "icl/decode/knn.hpp"

#include "support/syrk_reference.hpp"

namespace {

using icl_bench::work_gflop;

constexpr std::size_t column_padding = 16;

/// The n x d benchmark matrix, row-major or column-major (padded); the same values either way.
const std::vector<float>& input_matrix(std::size_t n, std::size_t d, bool column_major) {
  static std::map<std::tuple<std::size_t, std::size_t, bool>, std::vector<float>> cache;
  const auto key = std::make_tuple(n, d, column_major);
  auto found = cache.find(key);
  if (found != cache.end()) return found->second;
  std::mt19937_64 generator(20240611ULL);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  const std::size_t ld = n + column_padding;
  std::vector<float> values(column_major ? ld * d : n * d, 0.0f);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < d; ++j) {
      const float v = normal(generator);
      if (column_major) {
        values[j * ld + i] = v;
      } else {
        values[i * d + j] = v;
      }
    }
  }
  return cache.emplace(key, std::move(values)).first->second;
}

icl::matrix_view<const float> input_view(std::size_t n, std::size_t d, bool column_major) {
  const std::vector<float>& v = input_matrix(n, d, column_major);
  if (!column_major) return icl::make_matrix_view(v.data(), n, d);
  return icl::make_matrix_view(v.data(), n, d, 1, static_cast<std::ptrdiff_t>(n + column_padding));
}

std::vector<int> labels(std::size_t n) {
  std::vector<int> y(n);
  for (std::size_t i = 0; i < n; ++i) y[i] = static_cast<int>(i % 4);
  return y;
}

/// Median wall time of one SSYRK of the n x d matrix, measured once per shape in this process.
double syrk_seconds(std::size_t n, std::size_t d) {
  return icl_bench::syrk_seconds<float>(n, d, [](std::size_t rows, std::size_t cols) -> const std::vector<float>& {
    return input_matrix(rows, cols, false);
  });
}

double peak_rss_mib() {
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

void set_counters(benchmark::State& state, std::size_t n, std::size_t d, double elapsed, bool with_syrk) {
  state.counters["GFLOP/s"] = benchmark::Counter(work_gflop(n, d), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["threads"] = benchmark::Counter(static_cast<double>(icl::max_threads()));
  if (with_syrk) {
    state.counters["fraction_of_syrk"] =
        benchmark::Counter(syrk_seconds(n, d) * static_cast<double>(state.iterations()) / elapsed);
  }
  state.counters["peak_RSS_MiB"] = benchmark::Counter(peak_rss_mib());
}

void bm_syrk(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0)), d = static_cast<std::size_t>(state.range(1));
  icl_bench::run_syrk(state, input_matrix(n, d, false).data(), n, d);
  state.counters["GFLOP/s"] = benchmark::Counter(work_gflop(n, d), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["threads"] = benchmark::Counter(static_cast<double>(icl::max_threads()));
}

void bm_decodability(benchmark::State& state, bool column_major, bool pairwise) {
  const auto n = static_cast<std::size_t>(state.range(0)), d = static_cast<std::size_t>(state.range(1));
  icl::decode::decode_params params;
  params.k = static_cast<std::size_t>(state.range(2));
  const auto x = input_view(n, d, column_major);
  const auto y = labels(n);
  const bool compare = n * n <= std::size_t{8000} * 8000;  // the SSYRK baseline holds an n x n matrix
  if (compare) syrk_seconds(n, d);
  const auto start = std::chrono::steady_clock::now();
  for (auto _ : state) {
    if (pairwise) {
      const auto r = icl::decode::pairwise_decodability(x, y, params);
      benchmark::DoNotOptimize(r.values.data());
    } else {
      const auto r = icl::decode::task_decodability(x, y, params);
      benchmark::DoNotOptimize(r.overall);
    }
    benchmark::ClobberMemory();
  }
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  set_counters(state, n, d, elapsed, compare);
}

benchmark::internal::Benchmark* configure(benchmark::internal::Benchmark* b, std::int64_t n, std::int64_t d,
                                          std::int64_t k) {
  return b->Args({n, d, k})->ArgNames({"n", "d", "k"})->UseRealTime()->Unit(benchmark::kMillisecond);
}

void register_all() {
  const std::string syrk_name = ICL_HAS_BLAS ? "ssyrk" : "eigen_ssyrk";
  for (const std::int64_t d : {1024, 4096}) {
    configure(benchmark::RegisterBenchmark(syrk_name.c_str(), bm_syrk), 2000, d, 0);
    configure(benchmark::RegisterBenchmark("task_decodability/float",
                                           [](benchmark::State& s) { bm_decodability(s, false, false); }),
              2000, d, 10);
    configure(benchmark::RegisterBenchmark("task_decodability/float_colmajor",
                                           [](benchmark::State& s) { bm_decodability(s, true, false); }),
              2000, d, 10);
    configure(benchmark::RegisterBenchmark("pairwise_decodability/float",
                                           [](benchmark::State& s) { bm_decodability(s, false, true); }),
              2000, d, 10);
  }
  // Large n: memory stays O(n·k + b·d + b²); an n x n float matrix would take 1.5 GiB.
  configure(benchmark::RegisterBenchmark("task_decodability/float",
                                         [](benchmark::State& s) { bm_decodability(s, false, false); }),
            20000, 256, 10)
      ->Iterations(1);
}

}  // namespace

int main(int argc, char** argv) { return icl_bench::run_benchmarks(argc, argv, register_all); }
