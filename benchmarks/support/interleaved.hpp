#ifndef ICL_BENCH_SUPPORT_INTERLEAVED_HPP
#define ICL_BENCH_SUPPORT_INTERLEAVED_HPP

/// Interleaved measurement of a library call against the machine's limit for the same work
/// (DESIGN.md "Speed"): every iteration times the limit (e.g. two SSYRKs of CKA's inputs), then
/// the call, one right after the other, so that both see the same load of a shared machine. The
/// ratio limit time / call time is taken per iteration; the counters give its median and its
/// minimum over the iterations, and the 1-minute load average (getloadavg) at the end, so a
/// figure taken under load says so. The benchmark's own time is the call's (UseManualTime).
///
/// Counters: fraction_median, fraction_min (limit / call, 1 = at the limit), limit_ms and
/// call_ms (medians), load1.

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <vector>

namespace icl_bench {

/// Wall seconds of one run of f.
template <class F>
double seconds_of(F&& f) {
  const auto start = std::chrono::steady_clock::now();
  f();
  benchmark::ClobberMemory();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

inline double median_of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t m = v.size() / 2;
  return v.size() % 2 == 1 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}

/// The loop of an interleaved benchmark (register it with ->UseManualTime()): one warm-up of
/// each, then per iteration the limit and the call.
template <class Limit, class Call>
void run_interleaved(benchmark::State& state, Limit&& limit, Call&& call) {
  limit();
  call();
  std::vector<double> limits, calls, ratios;
  for (auto _ : state) {
    const double l = seconds_of(limit);
    const double c = seconds_of(call);
    state.SetIterationTime(c);
    limits.push_back(l);
    calls.push_back(c);
    ratios.push_back(l / c);
  }
  if (ratios.empty()) return;
  state.counters["fraction_median"] = median_of(ratios);
  state.counters["fraction_min"] = *std::min_element(ratios.begin(), ratios.end());
  state.counters["limit_ms"] = 1e3 * median_of(limits);
  state.counters["call_ms"] = 1e3 * median_of(calls);
  double load[1] = {0.0};
  if (getloadavg(load, 1) == 1) state.counters["load1"] = load[0];
}

}  // namespace icl_bench

#endif  // ICL_BENCH_SUPPORT_INTERLEAVED_HPP
