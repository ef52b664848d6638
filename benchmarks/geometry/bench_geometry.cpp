/// Benchmarks of the hidden-state geometry (icl/geometry) against the machine's own SYRK
/// (DESIGN.md "Speed"), at LLM shapes: n = 1000 prompts, d = 4096 features, float input.
///
/// Each measure of a label pair needs the Gram matrix of the pair's centered states (one SYRK
/// of n x d), a symmetric eigensolver of that n x n matrix (top singular vectors), O(n·d)
/// passes, and — for separability — a logistic probe on half the rows. Linear CKA of X and Y
/// needs two SYRKs (of X and of Y), so its ideal fraction_of_syrk is 0.5.
///
/// Benchmarks (arguments n, d):
///   ssyrk                           the baseline: one SSYRK of the n x d matrix (Eigen's rank
///                                   update in a build without BLAS)
///   separability_alignment/2        two classes, every measure including separability
///   separability_alignment/2/no_probe   the same without separability
///   separability_alignment/4/no_probe   four classes (six label pairs of n/2 rows)
///   linear_cka, linear_cka/debiased X and Y both n x d
///   effective_dimension
/// Counters: GFLOP/s = n·n·d / wall time per call (1e9/s; the work credited to one SYRK),
/// syrk_GFLOP/s the same for the baseline, fraction_of_syrk = SYRK time / call time, threads.
/// Inputs: standard normal values from a fixed seed, plus a class signal along the first label
/// direction; label directions are 4 standard normal rows. Wall-clock times (UseRealTime).

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstddef>
#include <map>
#include <random>
#include <tuple>
#include <utility>
#include <vector>

#include "icl/config.hpp"
#include "icl/core/linalg.hpp"
#include "icl/core/parallel.hpp"
#include "icl/core/view.hpp"
#include "icl/geometry/alignment.hpp"
#include "icl/geometry/cka.hpp"

#include "support/syrk_reference.hpp"

namespace {

using icl_bench::work_gflop;

constexpr unsigned long long data_seed = 20251123ULL;

/// n x d float matrix (row-major) of standard normal values; `which` selects independent draws.
const std::vector<float>& input(std::size_t n, std::size_t d, int which) {
  static std::map<std::tuple<std::size_t, std::size_t, int>, std::vector<float>> cache;
  const auto key = std::make_tuple(n, d, which);
  auto found = cache.find(key);
  if (found != cache.end()) return found->second;
  std::mt19937_64 generator(data_seed + static_cast<unsigned long long>(which));
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> values(n * d);
  for (float& v : values) v = normal(generator);
  return cache.emplace(key, std::move(values)).first->second;
}

/// Median of seven timed SSYRKs of the n x d input after a warm-up, once per shape.
double syrk_seconds(std::size_t n, std::size_t d) {
  return icl_bench::syrk_seconds<float>(n, d, [](std::size_t rows, std::size_t cols) -> const std::vector<float>& {
    return input(rows, cols, 0);
  });
}

void set_counters(benchmark::State& state, std::size_t n, std::size_t d, double elapsed) {
  const double baseline = syrk_seconds(n, d);
  state.counters["GFLOP/s"] = benchmark::Counter(work_gflop(n, d), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["syrk_GFLOP/s"] = benchmark::Counter(work_gflop(n, d) / baseline);
  state.counters["fraction_of_syrk"] = benchmark::Counter(baseline * static_cast<double>(state.iterations()) / elapsed);
  state.counters["threads"] = benchmark::Counter(static_cast<double>(icl::max_threads()));
}

void bm_syrk(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0)), d = static_cast<std::size_t>(state.range(1));
  const double elapsed = icl_bench::run_syrk(state, input(n, d, 0).data(), n, d);
  set_counters(state, n, d, elapsed);
}

/// States with a class signal along the first label direction, m classes dealt round-robin.
struct problem {
  std::vector<float> states;
  std::vector<double> directions;
  std::vector<int> labels;
};

const problem& make_problem(std::size_t n, std::size_t d, std::size_t m) {
  static std::map<std::tuple<std::size_t, std::size_t, std::size_t>, problem> cache;
  const auto key = std::make_tuple(n, d, m);
  auto found = cache.find(key);
  if (found != cache.end()) return found->second;
  problem p;
  p.states = input(n, d, 0);
  const auto& e = input(4, d, 1);
  p.directions.assign(e.begin(), e.begin() + static_cast<std::ptrdiff_t>(m * d));
  p.labels.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t c = i % m;
    p.labels[i] = static_cast<int>(c);
    for (std::size_t j = 0; j < d; ++j) p.states[i * d + j] += 0.05f * static_cast<float>(p.directions[c * d + j]);
  }
  return cache.emplace(key, std::move(p)).first->second;
}

void bm_alignment(benchmark::State& state, std::size_t classes, bool probe) {
  const auto n = static_cast<std::size_t>(state.range(0)), d = static_cast<std::size_t>(state.range(1));
  const problem& p = make_problem(n, d, classes);
  const auto H = icl::make_matrix_view(p.states.data(), n, d);
  const auto D = icl::make_matrix_view(p.directions.data(), classes, d);
  icl::geometry::separability_alignment_params params;
  params.separability = probe;
  const auto start = std::chrono::steady_clock::now();
  for (auto _ : state) {
    const auto r = icl::geometry::separability_alignment(H, p.labels, D, params);
    benchmark::DoNotOptimize(r.variance_alignment);
  }
  set_counters(state, n, d, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
}

void bm_cka(benchmark::State& state, bool debiased) {
  const auto n = static_cast<std::size_t>(state.range(0)), d = static_cast<std::size_t>(state.range(1));
  const auto X = icl::make_matrix_view(input(n, d, 0).data(), n, d);
  const auto Y = icl::make_matrix_view(input(n, d, 2).data(), n, d);
  const auto start = std::chrono::steady_clock::now();
  for (auto _ : state) benchmark::DoNotOptimize(icl::geometry::linear_cka(X, Y, debiased));
  set_counters(state, n, d, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
}

void bm_effective_dimension(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0)), d = static_cast<std::size_t>(state.range(1));
  const auto X = icl::make_matrix_view(input(n, d, 0).data(), n, d);
  const auto start = std::chrono::steady_clock::now();
  for (auto _ : state) benchmark::DoNotOptimize(icl::geometry::effective_dimension(X));
  set_counters(state, n, d, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
}

}  // namespace

BENCHMARK(bm_syrk)->Name("ssyrk")->Args({1000, 4096})->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(bm_alignment, two_classes, 2, true)
    ->Name("separability_alignment/2")->Args({1000, 4096})->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(bm_alignment, two_classes_no_probe, 2, false)
    ->Name("separability_alignment/2/no_probe")->Args({1000, 4096})->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(bm_alignment, four_classes_no_probe, 4, false)
    ->Name("separability_alignment/4/no_probe")->Args({1000, 4096})->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(bm_cka, biased, false)->Name("linear_cka")->Args({1000, 4096})->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(bm_cka, debiased, true)
    ->Name("linear_cka/debiased")->Args({1000, 4096})->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(bm_effective_dimension)->Name("effective_dimension")->Args({1000, 4096})->UseRealTime()->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
