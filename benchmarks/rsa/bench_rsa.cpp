/// Benchmarks of icl::rsa::compute_rdm against the machine's own SYRK (DESIGN.md "Speed").
///
/// An RDM of n rows of d features is GEMM-shaped work: its core is the Gram matrix X·Xᵀ, of
/// which SYRK computes one triangle (n(n+1)/2 dot products of length d). Both the RDM and the
/// SYRK baseline are credited with the same work, n·n·d floating-point operations (a
/// multiply-add counts as two), so their GFLOP/s counters compare directly.
///
/// Benchmarks: ssyrk and dsyrk (the baselines; eigen_ssyrk/eigen_dsyrk in a build without
/// BLAS) and compute_rdm/<dissimilarity>/<input type>, each with arguments n and d; and
/// compute_rdm/<dissimilarity>/{float,f16}/interleaved at n = 2000, d = 4096, timed right after
/// one SSYRK of the float matrix in every iteration, and compute_rdm/<dissimilarity>/f16/
/// against_float, timed right after the float RDM (fraction = f32 time / f16 time).
///
/// Counters of every benchmark:
///   GFLOP/s           n·n·d / (wall time of one call), in 1e9 per second
///   threads           OpenMP threads available to the library's parallel loops
/// and of every compute_rdm benchmark:
///   syrk_GFLOP/s      the same rate for one ?SYRK of the same n x d matrix in the compute
///                     type (SSYRK for float, f16 and bf16 inputs, DSYRK for double)
///   fraction_of_syrk  SYRK time / compute_rdm time for that shape (1 = as fast as the BLAS)
/// The SYRK time is measured in this process at the first use of a shape: one warm-up call,
/// then the median of seven timed calls.
///
/// Times are wall-clock (UseRealTime): the work runs on OpenMP and BLAS threads.
/// Inputs are standard normal values from a fixed seed; the column-major input holds the same
/// matrix as the row-major one, with 16 elements of padding after each column.

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include "icl/config.hpp"
#include "icl/core/linalg.hpp"
#include "icl/core/parallel.hpp"
#include "icl/core/view.hpp"
#include "icl/rsa/rdm.hpp"

#include "support/interleaved.hpp"
#include "support/syrk_reference.hpp"

namespace {

using icl_bench::work_gflop;
using icl::rsa::dissimilarity;

enum class layout { row_major, column_major };

/// Padding (elements) after each column of the column-major inputs.
constexpr std::size_t column_padding = 16;
constexpr unsigned long long data_seed = 20240607ULL;

template <class T>
const char* type_name() {
  if constexpr (std::is_same_v<T, float>) {
    return "float";
  } else if constexpr (std::is_same_v<T, double>) {
    return "double";
  } else if constexpr (std::is_same_v<T, icl::f16>) {
    return "f16";
  } else {
    return "bf16";
  }
}

/// The n x d benchmark matrix in element type T and the given layout. Element (i, j) is the
/// (i·d + j)-th draw of a standard normal generator with a fixed seed, whatever T and layout
/// are, so every variant of a shape holds the same values (up to the precision of T).
template <class T>
const std::vector<T>& input_matrix(std::size_t n, std::size_t d, layout storage) {
  static std::map<std::tuple<std::size_t, std::size_t, layout>, std::vector<T>> cache;
  const auto key = std::make_tuple(n, d, storage);
  auto found = cache.find(key);
  if (found != cache.end()) return found->second;

  std::mt19937_64 generator(data_seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  const std::size_t ld = n + column_padding;
  std::vector<T> values(storage == layout::row_major ? n * d : ld * d, T(0.0f));
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < d; ++j) {
      const T v = static_cast<T>(normal(generator));
      if (storage == layout::row_major) {
        values[i * d + j] = v;
      } else {
        values[j * ld + i] = v;
      }
    }
  }
  return cache.emplace(key, std::move(values)).first->second;
}

template <class T>
icl::matrix_view<const T> input_view(std::size_t n, std::size_t d, layout storage) {
  const std::vector<T>& values = input_matrix<T>(n, d, storage);
  if (storage == layout::row_major) return icl::make_matrix_view(values.data(), n, d);
  return icl::make_matrix_view(values.data(), n, d, 1, static_cast<std::ptrdiff_t>(n + column_padding));
}

/// Median wall time (seconds) of one SYRK of the row-major n x d benchmark matrix in compute
/// type C, measured once per shape in this process.
template <class C>
double syrk_seconds(std::size_t n, std::size_t d) {
  return icl_bench::syrk_seconds<C>(n, d, [](std::size_t rows, std::size_t cols) -> const std::vector<C>& {
    return input_matrix<C>(rows, cols, layout::row_major);
  });
}

void set_common_counters(benchmark::State& state, std::size_t n, std::size_t d) {
  state.counters["GFLOP/s"] = benchmark::Counter(work_gflop(n, d), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["threads"] = benchmark::Counter(static_cast<double>(icl::max_threads()));
}

/// The baseline: one ?SYRK of the n x d matrix per iteration.
template <class C>
void bm_syrk(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const auto d = static_cast<std::size_t>(state.range(1));
  icl_bench::run_syrk<C>(state, input_matrix<C>(n, d, layout::row_major).data(), n, d);
  set_common_counters(state, n, d);
}

/// compute_rdm of the n x d matrix in element type T and the given layout.
template <class T>
void bm_rdm(benchmark::State& state, dissimilarity metric, layout storage) {
  using C = icl::detail::compute_t<T>;
  const auto n = static_cast<std::size_t>(state.range(0));
  const auto d = static_cast<std::size_t>(state.range(1));
  const icl::matrix_view<const T> x = input_view<T>(n, d, storage);
  const double baseline = syrk_seconds<C>(n, d);
  const auto start = std::chrono::steady_clock::now();
  for (auto _ : state) {
    icl::rsa::rdm result = icl::rsa::compute_rdm(x, metric);
    benchmark::DoNotOptimize(result.condensed().data());
    benchmark::ClobberMemory();
  }
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  set_common_counters(state, n, d);
  state.counters["syrk_GFLOP/s"] = benchmark::Counter(work_gflop(n, d) / baseline);
  // SYRK time / mean compute_rdm time (the loop's own overhead is negligible next to a call).
  state.counters["fraction_of_syrk"] = benchmark::Counter(baseline * static_cast<double>(state.iterations()) / elapsed);
}

/// compute_rdm of the row-major n x d matrix in element type T against its limit, interleaved
/// (support/interleaved.hpp: fraction_median, fraction_min, load1): one SSYRK of the same float
/// matrix, or (against_float) compute_rdm of the float matrix, so that the fraction is the
/// half-precision input's speed relative to float's.
template <class T>
void bm_rdm_interleaved(benchmark::State& state, dissimilarity metric, bool against_float) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const auto d = static_cast<std::size_t>(state.range(1));
  const auto& xf = input_matrix<float>(n, d, layout::row_major);
  const icl::matrix_view<const T> x = input_view<T>(n, d, layout::row_major);
  const icl::matrix_view<const float> x32 = input_view<float>(n, d, layout::row_major);
  std::vector<float> out(n * n);
  icl_bench::run_interleaved(
      state,
      [&] {
        if (against_float) {
          benchmark::DoNotOptimize(icl::rsa::compute_rdm(x32, metric));
        } else {
          icl_bench::syrk_reference<float>(xf.data(), n, d, out.data());
          benchmark::DoNotOptimize(out.data());
        }
      },
      [&] { benchmark::DoNotOptimize(icl::rsa::compute_rdm(x, metric)); });
}

struct shape {
  std::size_t n, d;
};

benchmark::internal::Benchmark* configure(benchmark::internal::Benchmark* b, shape s) {
  return b->Args({static_cast<std::int64_t>(s.n), static_cast<std::int64_t>(s.d)})
      ->ArgNames({"n", "d"})
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
}

template <class C>
void register_syrk(shape s) {
  // Without BLAS the baseline is Eigen's rank update, and the name says so.
  const std::string name = std::string(ICL_HAS_BLAS ? "" : "eigen_") + (std::is_same_v<C, float> ? "ssyrk" : "dsyrk");
  configure(benchmark::RegisterBenchmark(name.c_str(), bm_syrk<C>), s);
}

template <class T>
void register_rdm(dissimilarity metric, layout storage, shape s) {
  std::string name = std::string("compute_rdm/") + icl::rsa::to_string(metric) + "/" + type_name<T>();
  if (storage == layout::column_major) name += "_colmajor";
  configure(benchmark::RegisterBenchmark(name.c_str(), [metric, storage](benchmark::State& state) {
              bm_rdm<T>(state, metric, storage);
            }),
            s);
}

void register_all() {
  const dissimilarity metrics[] = {dissimilarity::correlation, dissimilarity::cosine, dissimilarity::euclidean};
  const shape float_shapes[] = {{500, 1024}, {500, 4096}, {1000, 1024}, {1000, 4096}, {2000, 1024}, {2000, 4096}};
  const shape target{2000, 4096};  // the size the RDM is tuned for

  for (const shape s : float_shapes) register_syrk<float>(s);
  register_syrk<double>(target);
  for (const shape s : float_shapes) {
    for (const dissimilarity m : metrics) register_rdm<float>(m, layout::row_major, s);
  }
  for (const dissimilarity m : metrics) register_rdm<double>(m, layout::row_major, target);
  for (const dissimilarity m : metrics) register_rdm<icl::f16>(m, layout::row_major, target);
  for (const dissimilarity m : metrics) register_rdm<icl::bf16>(m, layout::row_major, target);
  for (const dissimilarity m : metrics) register_rdm<float>(m, layout::column_major, target);
  for (const dissimilarity m : metrics) {
    const std::string metric = icl::rsa::to_string(m);
    const auto add = [&](const std::string& name, auto body) {
      benchmark::RegisterBenchmark(("compute_rdm/" + metric + name).c_str(), body)
          ->Args({2000, 4096})->Iterations(7)->UseManualTime()->Unit(benchmark::kMillisecond);
    };
    add("/float/interleaved", [m](benchmark::State& state) { bm_rdm_interleaved<float>(state, m, false); });
    add("/f16/interleaved", [m](benchmark::State& state) { bm_rdm_interleaved<icl::f16>(state, m, false); });
    add("/f16/against_float", [m](benchmark::State& state) { bm_rdm_interleaved<icl::f16>(state, m, true); });
  }
}

}  // namespace

int main(int argc, char** argv) {
  return icl_bench::run_benchmarks(argc, argv, register_all, [] {
    benchmark::AddCustomContext("OPENBLAS_CORETYPE", icl_bench::environment("OPENBLAS_CORETYPE"));
  });
}
