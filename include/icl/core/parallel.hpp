#ifndef ICL_CORE_PARALLEL_HPP
#define ICL_CORE_PARALLEL_HPP

/// Parallel loops that give the same result at any thread count.
///
/// With OpenMP enabled (the `icl_metrics::openmp` component) loops run on OpenMP threads;
/// otherwise serially. Determinism comes from the callers: every loop body writes only its own
/// outputs, and reductions go through parallel_reduce, which cuts the range into chunks whose
/// boundaries depend only on the range (never on the thread count) and adds the chunk results in
/// chunk order.
///
/// Errors, the one policy of the library: when bodies throw, every loop helper here
/// (parallel_for, parallel_for_sized, beside_blas_for, parallel_reduce, beside_blas_reduce)
/// rethrows on the calling thread the exception of the LOWEST failing index (for the reductions:
/// of the first failing chunk), whatever the number of threads — the error a serial loop would
/// have stopped at. Other failures are dropped. In parallel, an index above a failure already
/// seen may be skipped, so a body must not rely on running after another one failed; indices
/// below it all run, so the lowest failure is always found. Modules use these helpers rather
/// than catching exceptions in their own loops.

#include <atomic>
#include <cstddef>
#include <exception>
#include <limits>
#include <mutex>
#include <vector>

#include "icl/config.hpp"

#if ICL_HAS_OPENMP
#include <omp.h>
#endif

namespace icl {

/// Number of threads a parallel loop of the library may use (1 without OpenMP).
inline int max_threads() noexcept {
#if ICL_HAS_OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

namespace detail {

/// The failure of a parallel loop with the lowest index, whichever thread saw it first.
class first_failure {
 public:
  /// True when an index below i already failed (the body of i need not run).
  bool below(std::size_t i) const noexcept { return lowest_.load(std::memory_order_relaxed) < i; }

  /// Records the exception being handled as the failure of index i (call in a catch block).
  void record(std::size_t i) {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (i < lowest_.load(std::memory_order_relaxed)) {
      failure_ = std::current_exception();
      lowest_.store(i, std::memory_order_relaxed);
    }
  }

  /// Rethrows the recorded failure, if any.
  void rethrow() const {
    if (failure_) std::rethrow_exception(failure_);
  }

 private:
  std::atomic<std::size_t> lowest_{std::numeric_limits<std::size_t>::max()};
  std::exception_ptr failure_;
  std::mutex mutex_;
};

/// Calls body(i) for every i in [begin, end), possibly in parallel. When calls throw, the
/// exception of the lowest failing i is rethrown on the calling thread (the policy of the
/// header comment).
template <class Body>
void parallel_for(std::size_t begin, std::size_t end, Body&& body) {
  if (end <= begin) return;
#if ICL_HAS_OPENMP
  const auto count = static_cast<std::ptrdiff_t>(end - begin);
  if (count > 1 && omp_get_max_threads() > 1 && !omp_in_parallel()) {
    first_failure failure;
#pragma omp parallel for schedule(dynamic, 1)
    for (std::ptrdiff_t k = 0; k < count; ++k) {
      const std::size_t i = begin + static_cast<std::size_t>(k);
      if (failure.below(i)) continue;
      try {
        body(i);
      } catch (...) {
        failure.record(i);
      }
    }
    failure.rethrow();
    return;
  }
#endif
  // In order: the first exception is the one of the lowest failing index.
  for (std::size_t i = begin; i < end; ++i) body(i);
}

/// Elements of work below which sized loops run on the calling thread. Starting a parallel
/// region costs microseconds on an idle machine, and up to a scheduler time slice (milliseconds)
/// when the cores are busy with other processes — far more than a loop over a small matrix.
inline constexpr std::size_t min_parallel_work = std::size_t{1} << 16;

/// parallel_for for a loop that touches about `work` elements in all: parallel when work is at
/// least min_parallel_work, a plain loop on the calling thread otherwise.
template <class Body>
void parallel_for_sized(std::size_t begin, std::size_t end, std::size_t work, Body&& body) {
  if (work >= min_parallel_work) {
    parallel_for(begin, end, body);
  } else {
    for (std::size_t i = begin; i < end; ++i) body(i);
  }
}

/// A loop of a kernel that runs between two of its BLAS products (conversions of the operands,
/// per-row statistics, the mapping of a Gram tile): body(i) for i in [begin, end), touching about
/// `work` elements in all. With ICL_USE_BLAS the products run on the BLAS library's own threads
/// (Debian's default OpenBLAS: pthreads that spin for a while after each call), and an OpenMP
/// loop between two products makes the two thread pools fight for the cores: the loop waits for
/// the core a spinning BLAS thread holds, and libgomp's threads, spinning in turn after the loop,
/// slow the next product. On two cores that made an n = 2000, d = 1024 decodability 54 ms
/// instead of 31 and a correlation RDM 2–4 times its SYRK (docs/benchmarks.md). So with BLAS
/// these loops run on the calling thread; without BLAS the products are Eigen's, on the same
/// OpenMP threads, and the loops run in parallel (parallel_for_sized). Each body writes only its
/// own outputs: the result is the same either way.
/// Whether beside_blas_for runs its loops on the calling thread (with BLAS). A loop may then
/// choose the memory order that suits one thread, with the same sums in the same order.
inline constexpr bool beside_blas_serial = ICL_HAS_BLAS != 0;

template <class Body>
void beside_blas_for(std::size_t begin, std::size_t end, std::size_t work, Body&& body) {
#if ICL_HAS_BLAS
  (void)work;
  for (std::size_t i = begin; i < end; ++i) body(i);
#else
  parallel_for_sized(begin, end, work, body);
#endif
}

/// Sums chunk_value(first, last) over the chunks [first, last) of [0, count), each at most
/// chunk_size long, in chunk order: the same floating-point result at any thread count.
template <class Value, class ChunkValue>
Value parallel_reduce(std::size_t count, std::size_t chunk_size, Value zero, ChunkValue&& chunk_value) {
  if (count == 0) return zero;
  if (chunk_size == 0) chunk_size = 1;
  const std::size_t chunks = (count + chunk_size - 1) / chunk_size;
  std::vector<Value> partial(chunks, zero);
  parallel_for(0, chunks, [&](std::size_t c) {
    const std::size_t first = c * chunk_size;
    const std::size_t last = first + chunk_size < count ? first + chunk_size : count;
    partial[c] = chunk_value(first, last);
  });
  Value total = zero;
  for (const Value& v : partial) total += v;
  return total;
}

/// parallel_reduce for a reduction between two BLAS products (see beside_blas_for): the same
/// chunks added in the same order, on the calling thread when the products are BLAS calls.
template <class Value, class ChunkValue>
Value beside_blas_reduce(std::size_t count, std::size_t chunk_size, Value zero, ChunkValue&& chunk_value) {
#if ICL_HAS_BLAS
  if (count == 0) return zero;
  if (chunk_size == 0) chunk_size = 1;
  Value total = zero;
  for (std::size_t first = 0; first < count; first += chunk_size) {
    total += chunk_value(first, first + chunk_size < count ? first + chunk_size : count);
  }
  return total;
#else
  return parallel_reduce<Value>(count, chunk_size, zero, chunk_value);
#endif
}

}  // namespace detail
}  // namespace icl

#endif  // ICL_CORE_PARALLEL_HPP
