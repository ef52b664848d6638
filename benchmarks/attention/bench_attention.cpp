/// Benchmarks of the attention statistics on one prompt's attention of a 32-layer, 32-head model
/// at T = 1024: a [32, 32, 1024, 1024] f16 tensor, 2 GiB (DESIGN.md "Speed", issue target:
/// ≥ 60% of the streaming-read bandwidth that the same binary measures).
///
/// The statistics are memory-bound: attention_ratio with every position as a source reads the
/// whole tensor once (each source row is checked — finite, not all zero — and added into a
/// per-key mass), so its limit is the rate at which this machine streams 2 GiB from memory.
///
/// Benchmarks (argument: T; the tensor is [32, 32, T, T] f16, causal rows 1/(q+1)):
///   stream_read              the limit: a plain read of every byte of the tensor (64-bit words
///                            summed), on the library's threads; median of 5 passes
///   attention_ratio/all      sources = every position, relevant = every 8th key, irrelevant =
///                            the others: reads the whole tensor
///   attention_ratio/last     sources = {T-1}: the usual last-token ratio, reads T values per head
///   previous_token_score     reads the subdiagonal, one element per row
///   last_token_pages         the tensor in a file, evicted from the page cache and mapped:
///                            the fraction of its pages resident after the last-token ratio
///                            (mincore), i.e. the fraction of the file the metric touched
///   widen/f16_portable, widen/f16_f16c
///                            f16 -> float of 64 Mi elements, element by element vs F16C: why
///                            icl/core/widen.hpp dispatches at run time
///
/// Counters:
///   GB/s                     bytes of the tensor the call reads / wall time (1e9 bytes)
///   fraction_of_stream       (GB/s) / (stream_read GB/s measured in this process)
///   touched_fraction         last_token_pages: resident pages / pages of the file
///   threads                  OpenMP threads of the library's parallel loops (OMP_NUM_THREADS)
///
/// Environment: ICL_BENCH_DIR, the directory of last_token_pages' 2 GiB file (default /tmp;
/// the file is removed at exit).

#include <benchmark/benchmark.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "icl/attention/heads.hpp"
#include "icl/attention/ratio.hpp"
#include "icl/core/parallel.hpp"
#include "icl/core/view.hpp"
#include "icl/core/widen.hpp"

namespace {

constexpr std::size_t layers = 32, heads = 32;

std::size_t tensor_elements(std::size_t T) { return layers * heads * T * T; }
double tensor_bytes(std::size_t T) { return static_cast<double>(tensor_elements(T) * sizeof(icl::f16)); }

/// The [32, 32, T, T] causal attention tensor: row q holds 1/(q+1) on keys 0..q, zeros after.
/// Built once per T, in parallel (2 GiB at T = 1024).
const std::vector<icl::f16>& attention_tensor(std::size_t T) {
  static std::map<std::size_t, std::vector<icl::f16>> cache;
  auto found = cache.find(T);
  if (found != cache.end()) return found->second;
  std::vector<icl::f16> values(tensor_elements(T));
  icl::detail::parallel_for(0, layers * heads * T, [&](std::size_t row) {
    const std::size_t q = row % T;
    const icl::f16 weight(1.0f / static_cast<float>(q + 1));
    icl::f16* out = values.data() + row * T;
    for (std::size_t k = 0; k < T; ++k) out[k] = k <= q ? weight : icl::f16(0.0f);
  });
  return cache.emplace(T, std::move(values)).first->second;
}

icl::tensor_view<const icl::f16, 4> attention_view(const icl::f16* data, std::size_t T) {
  return icl::make_tensor_view<icl::f16, 4>(data, {layers, heads, T, T});
}

/// Sum of every 64-bit word of [data, data + bytes), on the library's threads (1 MiB chunks).
std::uint64_t stream_sum(const void* data, std::size_t bytes) {
  const auto* words = static_cast<const std::uint64_t*>(data);
  const std::size_t count = bytes / sizeof(std::uint64_t);
  return icl::detail::parallel_reduce(count, std::size_t{1} << 17, std::uint64_t{0},
                                      [&](std::size_t first, std::size_t last) {
                                        std::uint64_t total = 0;
                                        for (std::size_t i = first; i < last; ++i) total += words[i];
                                        return total;
                                      });
}

/// Streaming-read rate of the tensor for T in bytes per second: one warm-up pass, then the
/// median of five. Measured once per T and process.
double stream_bytes_per_second(std::size_t T) {
  static std::map<std::size_t, double> cache;
  auto found = cache.find(T);
  if (found != cache.end()) return found->second;
  const auto& tensor = attention_tensor(T);
  benchmark::DoNotOptimize(stream_sum(tensor.data(), tensor.size() * sizeof(icl::f16)));
  std::vector<double> seconds;
  for (int r = 0; r < 5; ++r) {
    const auto start = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(stream_sum(tensor.data(), tensor.size() * sizeof(icl::f16)));
    seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::nth_element(seconds.begin(), seconds.begin() + 2, seconds.end());
  return cache.emplace(T, tensor_bytes(T) / seconds[2]).first->second;
}

/// GB/s (bytes_per_call per iteration, as a rate) and threads.
void set_rate_counters(benchmark::State& state, double bytes_per_call) {
  state.counters["GB/s"] = benchmark::Counter(bytes_per_call * 1e-9 * static_cast<double>(state.iterations()),
                                              benchmark::Counter::kIsRate);
  state.counters["threads"] = benchmark::Counter(static_cast<double>(icl::max_threads()));
}

void stream_read(benchmark::State& state) {
  const auto T = static_cast<std::size_t>(state.range(0));
  const auto& tensor = attention_tensor(T);
  for (auto _ : state) benchmark::DoNotOptimize(stream_sum(tensor.data(), tensor.size() * sizeof(icl::f16)));
  set_rate_counters(state, tensor_bytes(T));
  state.counters["fraction_of_stream"] = benchmark::Counter(1.0);
}

/// Adds the fraction_of_stream counter: the call's rate over the streaming rate of this process.
void set_fraction_of_stream(benchmark::State& state, std::size_t T, double bytes_per_call, double seconds) {
  const double rate = bytes_per_call * static_cast<double>(state.iterations()) / seconds;
  state.counters["fraction_of_stream"] = benchmark::Counter(rate / stream_bytes_per_second(T));
}

std::vector<std::size_t> every(std::size_t T, std::size_t step, bool take) {
  std::vector<std::size_t> out;
  for (std::size_t k = 0; k < T; ++k) {
    if ((k % step == 0) == take) out.push_back(k);
  }
  return out;
}

void attention_ratio_all(benchmark::State& state) {
  const auto T = static_cast<std::size_t>(state.range(0));
  const auto& tensor = attention_tensor(T);
  const auto A = attention_view(tensor.data(), T);
  const auto sources = every(T, 1, true), relevant = every(T, 8, true), irrelevant = every(T, 8, false);
  stream_bytes_per_second(T);  // measured before the timed loop
  double seconds = 0.0;
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(icl::attention::attention_ratio(A, sources, relevant, irrelevant));
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  set_rate_counters(state, tensor_bytes(T));
  set_fraction_of_stream(state, T, tensor_bytes(T), seconds);
}

void attention_ratio_last(benchmark::State& state) {
  const auto T = static_cast<std::size_t>(state.range(0));
  const auto& tensor = attention_tensor(T);
  const auto A = attention_view(tensor.data(), T);
  const std::vector<std::size_t> sources{T - 1};
  const auto relevant = every(T, 8, true), irrelevant = every(T, 8, false);
  for (auto _ : state) benchmark::DoNotOptimize(icl::attention::attention_ratio(A, sources, relevant, irrelevant));
  // Bytes read: one row of T f16 values per head.
  set_rate_counters(state, static_cast<double>(layers * heads * T * sizeof(icl::f16)));
  state.counters["read_fraction"] = benchmark::Counter(1.0 / static_cast<double>(T));
}

void previous_token(benchmark::State& state) {
  const auto T = static_cast<std::size_t>(state.range(0));
  const auto& tensor = attention_tensor(T);
  const auto A = attention_view(tensor.data(), T);
  for (auto _ : state) benchmark::DoNotOptimize(icl::attention::previous_token_score(A));
  state.counters["threads"] = benchmark::Counter(static_cast<double>(icl::max_threads()));
}

/// The tensor written to a file in ICL_BENCH_DIR (default /tmp), removed when the process ends.
class tensor_file {
 public:
  explicit tensor_file(std::size_t T) : bytes_(static_cast<std::size_t>(tensor_bytes(T))) {
    const char* dir = std::getenv("ICL_BENCH_DIR");
    path_ = std::string(dir != nullptr ? dir : "/tmp") + "/icl_bench_attention_XXXXXX";
    fd_ = ::mkstemp(path_.data());
    if (fd_ < 0) throw std::runtime_error("cannot create " + path_);
    const auto& tensor = attention_tensor(T);
    const char* p = reinterpret_cast<const char*>(tensor.data());
    std::size_t written = 0;
    while (written < bytes_) {
      const ssize_t w = ::write(fd_, p + written, std::min<std::size_t>(bytes_ - written, std::size_t{1} << 26));
      if (w <= 0) throw std::runtime_error("cannot write " + path_);
      written += static_cast<std::size_t>(w);
    }
    ::fsync(fd_);
  }
  ~tensor_file() {
    ::close(fd_);
    ::unlink(path_.c_str());
  }
  tensor_file(const tensor_file&) = delete;
  tensor_file& operator=(const tensor_file&) = delete;

  int fd() const { return fd_; }
  std::size_t bytes() const { return bytes_; }

 private:
  std::string path_;
  int fd_ = -1;
  std::size_t bytes_;
};

/// Fraction of the pages of [data, data + bytes) that are resident (mincore).
double resident_fraction(const void* data, std::size_t bytes) {
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  const std::size_t pages = (bytes + page - 1) / page;
  std::vector<unsigned char> resident(pages);
  if (::mincore(const_cast<void*>(data), bytes, resident.data()) != 0) throw std::runtime_error("mincore failed");
  std::size_t count = 0;
  for (unsigned char r : resident) count += (r & 1u);
  return static_cast<double>(count) / static_cast<double>(pages);
}

void last_token_pages(benchmark::State& state) {
  const auto T = static_cast<std::size_t>(state.range(0));
  static std::map<std::size_t, std::unique_ptr<tensor_file>> files;
  auto& file = files[T];
  if (!file) file = std::make_unique<tensor_file>(T);
  const std::vector<std::size_t> sources{T - 1};
  const auto relevant = every(T, 8, true), irrelevant = every(T, 8, false);
  double before = 0.0, touched = 0.0;
  for (auto _ : state) {
    state.PauseTiming();
    ::posix_fadvise(file->fd(), 0, 0, POSIX_FADV_DONTNEED);  // evict the clean pages
    void* mapped = ::mmap(nullptr, file->bytes(), PROT_READ, MAP_SHARED, file->fd(), 0);
    if (mapped == MAP_FAILED) throw std::runtime_error("mmap failed");
    ::madvise(mapped, file->bytes(), MADV_RANDOM);  // no read-ahead: count what is read
    before = resident_fraction(mapped, file->bytes());
    const auto A = attention_view(static_cast<const icl::f16*>(mapped), T);
    state.ResumeTiming();
    benchmark::DoNotOptimize(icl::attention::attention_ratio(A, sources, relevant, irrelevant));
    state.PauseTiming();
    touched = resident_fraction(mapped, file->bytes());
    ::munmap(mapped, file->bytes());
    state.ResumeTiming();
  }
  state.counters["resident_before"] = benchmark::Counter(before);
  state.counters["touched_fraction"] = benchmark::Counter(touched);
}

const std::vector<icl::f16>& widen_input() {
  static const std::vector<icl::f16> values = [] {
    std::vector<icl::f16> v(std::size_t{1} << 26);
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = icl::f16(static_cast<float>(i % 1000) * 1e-3f);
    return v;
  }();
  return values;
}

template <bool use_f16c>
void widen_f16(benchmark::State& state) {
  const auto& in = widen_input();
  std::vector<float> out(4096);
  if (use_f16c && !icl::detail::has_f16c()) {
    state.SkipWithError("this processor has no F16C");
    return;
  }
  for (auto _ : state) {
    for (std::size_t i = 0; i < in.size(); i += out.size()) {
#if ICL_HAS_F16C_DISPATCH
      if (use_f16c) {
        icl::detail::widen_f16_f16c(in.data() + i, out.size(), out.data());
      } else {
        icl::detail::widen_f16_portable(in.data() + i, out.size(), out.data());
      }
#else
      icl::detail::widen_f16_portable(in.data() + i, out.size(), out.data());
#endif
      benchmark::DoNotOptimize(out.data());
    }
  }
  state.counters["GB/s"] = benchmark::Counter(
      static_cast<double>(in.size() * sizeof(icl::f16)) * 1e-9 * static_cast<double>(state.iterations()),
      benchmark::Counter::kIsRate);
}

BENCHMARK(stream_read)->Name("stream_read")->Arg(1024)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(attention_ratio_all)->Name("attention_ratio/all")->Arg(1024)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(attention_ratio_last)->Name("attention_ratio/last")->Arg(1024)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(previous_token)->Name("previous_token_score")->Arg(1024)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(last_token_pages)->Name("last_token_pages")->Arg(1024)->Iterations(3)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(widen_f16<false>)->Name("widen/f16_portable")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(widen_f16<true>)->Name("widen/f16_f16c")->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
