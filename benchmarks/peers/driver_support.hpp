#ifndef ICL_BENCH_PEERS_DRIVER_SUPPORT_HPP
#define ICL_BENCH_PEERS_DRIVER_SUPPORT_HPP

/// Helpers shared by the tasks of icl_peer_driver: raw file input and output, synthetic inputs,
/// timing (one warm-up call, then the median of the timed calls), peak resident memory and the
/// one JSON line each task prints.

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "icl/config.hpp"
#include "icl/core/parallel.hpp"
#include "icl/core/view.hpp"

namespace icl_peers {

/// `count` values of T read from the raw little-endian file at `path`.
template <class T>
std::vector<T> read_raw(const std::string& path, std::size_t count) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::vector<T> values(count);
  in.read(reinterpret_cast<char*>(values.data()), static_cast<std::streamsize>(count * sizeof(T)));
  if (static_cast<std::size_t>(in.gcount()) != count * sizeof(T)) {
    throw std::runtime_error(path + " holds fewer than " + std::to_string(count) + " values");
  }
  return values;
}

/// A row-major rows x cols matrix of T read from a raw file, and its view.
template <class T>
struct raw_matrix {
  std::vector<T> values;
  std::size_t rows = 0, cols = 0;

  icl::matrix_view<const T> view() const { return icl::make_matrix_view(values.data(), rows, cols); }
};

template <class T>
raw_matrix<T> read_matrix(const std::string& path, std::size_t rows, std::size_t cols) {
  return {read_raw<T>(path, rows * cols), rows, cols};
}

/// `count` int32 values (labels, fold indices) read from a raw file, converted to U.
template <class U>
std::vector<U> read_int32_as(const std::string& path, std::size_t count) {
  const auto raw = read_raw<std::int32_t>(path, count);
  return std::vector<U>(raw.begin(), raw.end());
}

/// Writes `values` as raw bytes to `path` (nothing when path is "-").
template <class T>
void write_raw(const std::string& path, const std::vector<T>& values) {
  if (path == "-") return;
  std::ofstream out(path, std::ios::binary);
  if (!out) throw std::runtime_error("cannot write " + path);
  out.write(reinterpret_cast<const char*>(values.data()), static_cast<std::streamsize>(values.size() * sizeof(T)));
}

inline std::size_t parse_size(const std::string& text) {
  std::size_t used = 0;
  const unsigned long long value = std::stoull(text, &used);
  if (used != text.size()) throw std::runtime_error("not a whole number: " + text);
  return static_cast<std::size_t>(value);
}

/// splitmix64: the synthetic inputs are a pure function of (seed, index).
inline std::uint64_t mix64(std::uint64_t x) noexcept {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

/// Uniform in [-1, 1) from (seed, index).
inline double uniform_pm1(std::uint64_t seed, std::uint64_t index) noexcept {
  return static_cast<double>(mix64(seed * 0x100000001B3ULL + index) >> 11) * 0x1.0p-52 - 1.0;
}

/// A synthetic n x d row-major matrix for the memory and scaling runs: row i is a shared random
/// pattern scaled by a per-row factor plus independent uniform noise, so that no row is constant
/// and the correlation distances spread over (0, 2).
template <class T>
std::vector<T> synthetic_rows(std::size_t n, std::size_t d, std::uint64_t seed) {
  std::vector<T> x(n * d);
  for (std::size_t i = 0; i < n; ++i) {
    const double weight = uniform_pm1(seed + 1, i);
    for (std::size_t j = 0; j < d; ++j) {
      const double shared = uniform_pm1(seed + 2, j);
      x[i * d + j] = static_cast<T>(weight * shared + 0.5 * uniform_pm1(seed, static_cast<std::uint64_t>(i * d + j)));
    }
  }
  return x;
}

/// m synthetic doubles: b = a + noise, so that rank correlations are neither 0 nor 1.
inline void synthetic_pair(std::size_t m, std::uint64_t seed, std::vector<double>& a, std::vector<double>& b) {
  a.resize(m);
  b.resize(m);
  for (std::size_t k = 0; k < m; ++k) {
    a[k] = uniform_pm1(seed, k);
    b[k] = a[k] + uniform_pm1(seed + 1, k);
  }
}

/// Median wall time (seconds) of `repeats` calls of fn after one warm-up call.
template <class Fn>
double median_seconds(std::size_t repeats, Fn&& fn) {
  fn();
  std::vector<double> times;
  for (std::size_t r = 0; r < std::max<std::size_t>(repeats, 1); ++r) {
    const auto start = std::chrono::steady_clock::now();
    fn();
    times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

/// Wall time (seconds) of one call of fn, no warm-up (the memory runs call each metric once).
template <class Fn>
double seconds_of_one_call(Fn&& fn) {
  const auto start = std::chrono::steady_clock::now();
  fn();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

/// Peak resident set size of this process so far, in bytes (getrusage; Linux reports KiB).
inline double peak_rss_bytes() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) * 1024.0;
}

/// Current resident set size in bytes (/proc/self/statm), or -1 where it cannot be read.
inline double current_rss_bytes() {
  std::ifstream statm("/proc/self/statm");
  double pages_total = 0.0, pages_resident = 0.0;
  if (!(statm >> pages_total >> pages_resident)) return -1.0;
  return pages_resident * 4096.0;
}

/// One JSON object on one line: add fields, then print(). Every line also says how many threads
/// the library's parallel loops may use and whether products go to BLAS.
class json_line {
 public:
  json_line() {
    number("threads", static_cast<double>(icl::max_threads()));
    number("blas", ICL_HAS_BLAS ? 1.0 : 0.0);
  }
  json_line& number(const std::string& key, double value) {
    std::ostringstream text;
    text.precision(17);
    if (std::isfinite(value)) {
      text << value;
    } else {
      text << "null";
    }
    return raw(key, text.str());
  }
  json_line& text(const std::string& key, const std::string& value) { return raw(key, "\"" + value + "\""); }
  void print() const { std::printf("{%s}\n", body_.c_str()); }

 private:
  json_line& raw(const std::string& key, const std::string& value) {
    if (!body_.empty()) body_ += ", ";
    body_ += "\"" + key + "\": " + value;
    return *this;
  }
  std::string body_;
};

}  // namespace icl_peers

#endif  // ICL_BENCH_PEERS_DRIVER_SUPPORT_HPP
