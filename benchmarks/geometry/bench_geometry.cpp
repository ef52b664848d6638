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
///   .../interleaved                 the same call timed right after its floor in every
///                                   iteration (support/interleaved.hpp: fraction_median and
///                                   fraction_min = floor / call, load1): separability_alignment
///                                   against one SSYRK plus LAPACK's ssyevr (top 10 pairs) on
///                                   that Gram, per label pair; linear_cka (n = 2000) against two SSYRKs;
///                                   cka_matrix of 8 layers against one SSYRK per layer
/// Counters: GFLOP/s = n·n·d / wall time per call (1e9/s; the work credited to one SYRK),
/// syrk_GFLOP/s the same for the baseline, fraction_of_syrk = SYRK time / call time, threads.
/// Inputs: standard normal values from a fixed seed, plus a class signal along the first label
/// direction; label directions are 4 standard normal rows. Wall-clock times (UseRealTime).

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstddef>
#include <limits>
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
#include "icl/geometry/detail/spectrum_impl.hpp"

#include "support/interleaved.hpp"
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

/// One separability_alignment call on the problem of n x d states and m classes.
struct alignment_call {
  const problem& p;
  icl::matrix_view<const float> H;
  icl::matrix_view<const double> D;
  icl::geometry::separability_alignment_params params;

  alignment_call(std::size_t n, std::size_t d, std::size_t m, bool probe)
      : p(make_problem(n, d, m)),
        H(icl::make_matrix_view(p.states.data(), n, d)),
        D(icl::make_matrix_view(p.directions.data(), m, d)) {
    params.separability = probe;
  }

  void operator()() const {
    benchmark::DoNotOptimize(icl::geometry::separability_alignment(H, p.labels, D, params).variance_alignment);
  }
};

void bm_alignment(benchmark::State& state, std::size_t classes, bool probe) {
  const auto n = static_cast<std::size_t>(state.range(0)), d = static_cast<std::size_t>(state.range(1));
  const alignment_call call(n, d, classes, probe);
  const auto start = std::chrono::steady_clock::now();
  for (auto _ : state) call();
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

/// The floor of one label pair's spectral measures on `rows` x d float states: one SSYRK of the
/// rows, then LAPACK's ssyevr for the `top` largest eigenpairs of that float Gram matrix (what
/// the library calls; the copy that ssyevr overwrites included); without BLAS, Eigen's full
/// solver on the Gram in double.
double pair_floor(const float* x, std::size_t rows, std::size_t d, std::size_t top, std::vector<float>& gram,
                  std::vector<float>& work) {
  gram.resize(rows * rows);
  icl_bench::syrk_reference<float>(x, rows, d, gram.data());
  work = gram;
#if ICL_HAS_BLAS
  const int n = static_cast<int>(rows), wanted = static_cast<int>(top);
  std::vector<float> w(rows), z(rows * top);
  int found = 0;
  icl::detail::lapack::syevr<float>('V', 'L', n, work.data(), n, n - wanted + 1, n, std::numeric_limits<float>::min(),
                                    found, w.data(), z.data(), n);
  return static_cast<double>(w[top - 1]);
#else
  (void)top;
  const auto S = icl::geometry::detail::symmetric_from_upper(work.data(), rows);
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(S);
  return solver.eigenvalues()(static_cast<Eigen::Index>(rows) - 1);
#endif
}

/// separability_alignment against its floor (pair_floor of each label pair's rows, top = the
/// default denoise_rank), interleaved.
void bm_alignment_interleaved(benchmark::State& state, std::size_t classes, bool probe) {
  const auto n = static_cast<std::size_t>(state.range(0)), d = static_cast<std::size_t>(state.range(1));
  const alignment_call call(n, d, classes, probe);
  const std::size_t pairs = classes * (classes - 1) / 2, rows = 2 * n / classes;
  std::vector<float> gram, work;
  icl_bench::run_interleaved(
      state,
      [&] {
        for (std::size_t q = 0; q < pairs; ++q)
          benchmark::DoNotOptimize(pair_floor(call.p.states.data(), rows, d, call.params.denoise_rank, gram, work));
      },
      call);
}

/// linear_cka of two n x d inputs against two SSYRKs of the same inputs, interleaved.
void bm_cka_interleaved(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0)), d = static_cast<std::size_t>(state.range(1));
  const auto& x = input(n, d, 0);
  const auto& y = input(n, d, 2);
  std::vector<float> out(n * n);
  icl_bench::run_interleaved(
      state,
      [&] {
        icl_bench::syrk_reference<float>(x.data(), n, d, out.data());
        icl_bench::syrk_reference<float>(y.data(), n, d, out.data());
        benchmark::DoNotOptimize(out.data());
      },
      [&] {
        benchmark::DoNotOptimize(
            icl::geometry::linear_cka(icl::make_matrix_view(x.data(), n, d), icl::make_matrix_view(y.data(), n, d)));
      });
}

/// cka_matrix of one [layers, n, d] tensor with itself against one SSYRK per layer (its Gram
/// matrices), interleaved.
void bm_cka_matrix_interleaved(benchmark::State& state) {
  const auto layers = static_cast<std::size_t>(state.range(0)), n = static_cast<std::size_t>(state.range(1)),
             d = static_cast<std::size_t>(state.range(2));
  const auto& x = input(layers * n, d, 3);
  std::vector<float> out(n * n);
  const auto X = icl::make_tensor_view<float, 3>(x.data(), {layers, n, d});
  icl_bench::run_interleaved(
      state,
      [&] {
        for (std::size_t l = 0; l < layers; ++l) icl_bench::syrk_reference<float>(x.data() + l * n * d, n, d, out.data());
        benchmark::DoNotOptimize(out.data());
      },
      [&] { benchmark::DoNotOptimize(icl::geometry::cka_matrix(X, X).data()); });
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
BENCHMARK_CAPTURE(bm_alignment_interleaved, two_classes, 2, true)
    ->Name("separability_alignment/2/interleaved")->Args({1000, 4096})->Iterations(7)->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(bm_alignment_interleaved, two_classes_no_probe, 2, false)
    ->Name("separability_alignment/2/no_probe/interleaved")->Args({1000, 4096})->Iterations(7)->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(bm_alignment_interleaved, four_classes_no_probe, 4, false)
    ->Name("separability_alignment/4/no_probe/interleaved")->Args({1000, 4096})->Iterations(5)->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(bm_cka_interleaved)->Name("linear_cka/interleaved")->Args({2000, 4096})->Iterations(7)->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(bm_cka_matrix_interleaved)->Name("cka_matrix/interleaved")->Args({8, 2000, 1024})->Iterations(5)
    ->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(bm_effective_dimension)->Name("effective_dimension")->Args({1000, 4096})->UseRealTime()->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
