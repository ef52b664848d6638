/// Benchmarks of the probes (METRICS.md 2) against the machine's own SSYRK (DESIGN.md "Speed").
///
/// Work: 5-fold cross-validated logistic probes on n = 1000 rows of d = 4096 float features
/// (binary and 4 classes), with the dual solver (one Gram matrix for all folds, L-BFGS on the
/// n x n blocks) and, for comparison, the primal solver (X·Wᵀ products every iteration); and
/// one ridge fit on the same shape (dual: centered Gram, Cholesky of n x n).
///
/// The reference is one SSYRK of the same n x d matrix in this binary: the Gram matrix every
/// dual probe needs, so the dual probes cannot be faster than it.
///
/// Counters:
///   syrk_seconds       one SSYRK of the n x d input (median of 7 after a warm-up)
///   fraction_of_syrk   syrk_seconds / (time of one benchmark call): 1 = as fast as the Gram alone
///   accuracy           mean 5-fold CV accuracy (logistic) or training R² (ridge)
///   iterations         mean L-BFGS iterations per fold
///   converged_folds    folds whose fit met the stopping rule
///
/// Data: class c of k has mean 3·u_c (u_c random unit vectors) plus standard normal noise,
/// labels balanced; stratified 5 folds. With ICL_PROBE_BENCH_DATA=DIR the rows, labels and
/// folds are read from the files written by benchmarks/probe/probe_sklearn.py (the scikit-learn
/// peer), so both sides score the same rows on the same folds; otherwise they are generated
/// here from the same recipe with a fixed seed.

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "icl/config.hpp"
#include "icl/core/linalg.hpp"
#include "icl/probe/cross_validation.hpp"
#include "icl/probe/logistic.hpp"
#include "icl/probe/ridge.hpp"

#include "support/syrk_reference.hpp"

namespace {

constexpr std::size_t n_rows = 1000, n_features = 4096;

struct task {
  std::vector<float> X;
  std::vector<int> y;
  std::vector<std::size_t> folds;
  bool from_files = false;
};

template <class V>
bool read_raw(const std::string& path, std::vector<V>& out, std::size_t count) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out.resize(count);
  in.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(count * sizeof(V)));
  return static_cast<std::size_t>(in.gcount()) == count * sizeof(V);
}

const task& get_task(std::size_t k) {
  static std::map<std::size_t, task> cache;
  auto found = cache.find(k);
  if (found != cache.end()) return found->second;
  task t;
  const char* dir = std::getenv("ICL_PROBE_BENCH_DATA");
  const std::string name = k == 2 ? "binary" : "multi";
  if (dir != nullptr) {
    const std::string base = std::string(dir) + "/probe_" + name + "_";
    std::vector<int> folds;
    if (read_raw(base + "X.f32", t.X, n_rows * n_features) && read_raw(base + "y.i32", t.y, n_rows) &&
        read_raw(base + "folds.i32", folds, n_rows)) {
      t.folds.assign(folds.begin(), folds.end());
      t.from_files = true;
    } else {
      std::fprintf(stderr, "bench_probe: cannot read %s*; generating the data instead\n", base.c_str());
    }
  }
  if (!t.from_files) {
    std::mt19937_64 gen(k);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<float> u(k * n_features);
    for (std::size_t c = 0; c < k; ++c) {
      double norm = 0.0;
      for (std::size_t j = 0; j < n_features; ++j) {
        u[c * n_features + j] = normal(gen);
        norm += static_cast<double>(u[c * n_features + j]) * u[c * n_features + j];
      }
      for (std::size_t j = 0; j < n_features; ++j) u[c * n_features + j] *= static_cast<float>(3.0 / std::sqrt(norm));
    }
    t.y.resize(n_rows);
    for (std::size_t i = 0; i < n_rows; ++i) t.y[i] = static_cast<int>(i % k);
    std::shuffle(t.y.begin(), t.y.end(), gen);
    t.X.resize(n_rows * n_features);
    for (std::size_t i = 0; i < n_rows; ++i)
      for (std::size_t j = 0; j < n_features; ++j)
        t.X[i * n_features + j] = normal(gen) + u[static_cast<std::size_t>(t.y[i]) * n_features + j];
    icl::probe::cv_params cv;
    t.folds = icl::probe::make_folds(t.y, cv);
  }
  return cache.emplace(k, std::move(t)).first->second;
}

/// One SSYRK of the binary task's n x d rows: a warm-up, then the median of seven calls.
double syrk_seconds() {
  static const double seconds = icl_bench::median_syrk_seconds(get_task(2).X.data(), n_rows, n_features);
  return seconds;
}

void BM_ssyrk(benchmark::State& state) {
  icl_bench::run_syrk(state, get_task(2).X.data(), n_rows, n_features);
  state.counters["GFLOP/s"] = benchmark::Counter(static_cast<double>(n_rows) * n_rows * n_features,
                                                 benchmark::Counter::kIsIterationInvariantRate);
}

void BM_logistic_cv(benchmark::State& state, std::size_t k, icl::probe::logistic_solver solver) {
  const task& t = get_task(k);
  const auto X = icl::make_matrix_view(t.X.data(), n_rows, n_features);
  icl::probe::logistic_params p;
  p.solver = solver;
  icl::probe::cv_result r;
  for (auto _ : state) {
    r = icl::probe::cross_validate_logistic(X, t.y, p, t.folds);
    benchmark::DoNotOptimize(r.mean);
  }
  const double ref = syrk_seconds();
  double iterations = 0.0, converged = 0.0;
  for (const auto& rep : r.fold_reports) {
    iterations += static_cast<double>(rep.iterations);
    converged += rep.converged ? 1.0 : 0.0;
  }
  state.counters["syrk_seconds"] = ref;
  state.counters["fraction_of_syrk"] =
      benchmark::Counter(ref, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["accuracy"] = r.mean;
  state.counters["iterations"] = iterations / static_cast<double>(r.fold_reports.size());
  state.counters["converged_folds"] = converged;
  state.counters["data_from_files"] = t.from_files ? 1.0 : 0.0;
}

void BM_fit_ridge(benchmark::State& state) {
  const task& t = get_task(2);
  const auto X = icl::make_matrix_view(t.X.data(), n_rows, n_features);
  std::vector<double> target(n_rows);
  for (std::size_t i = 0; i < n_rows; ++i) target[i] = t.y[i] + 0.1 * std::sin(static_cast<double>(i));
  icl::probe::linear_model m;
  for (auto _ : state) {
    m = icl::probe::fit_ridge(X, target);
    benchmark::DoNotOptimize(m.coef.data());
  }
  const double ref = syrk_seconds();
  state.counters["syrk_seconds"] = ref;
  state.counters["fraction_of_syrk"] = benchmark::Counter(ref, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["accuracy"] = icl::probe::score_r2(m, X, target);
}

}  // namespace

BENCHMARK(BM_ssyrk)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_logistic_cv, binary_dual, 2, icl::probe::logistic_solver::dual)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_logistic_cv, multi4_dual, 4, icl::probe::logistic_solver::dual)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_logistic_cv, binary_primal, 2, icl::probe::logistic_solver::primal)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(1);
BENCHMARK_CAPTURE(BM_logistic_cv, multi4_primal, 4, icl::probe::logistic_solver::primal)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(1);
BENCHMARK(BM_fit_ridge)->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
