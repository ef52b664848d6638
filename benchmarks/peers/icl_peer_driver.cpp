/// The library side of benchmarks/compare_peers.py: reads the data set that the script wrote
/// (raw little-endian float32 rows and int32 labels), runs one metric once as a warm-up and then
/// `repeats` times, and prints one JSON line: {"seconds": median time of one call, "score": ...}.
///
///   icl_peer_driver decodability X.f32 y.i32 n d k repeats      writes predictions to X.f32.pred
///   icl_peer_driver logistic_cv  X.f32 y.i32 n d folds.i32 repeats
///
/// Only the metric call is timed: reading the files is not.

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "icl/decode/knn.hpp"
#include "icl/probe/cross_validation.hpp"

namespace {

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

std::size_t parse_size(const char* text) { return static_cast<std::size_t>(std::stoull(text)); }

/// Median wall time of `repeats` calls of fn after one warm-up call.
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

int usage() {
  std::cerr << "usage: icl_peer_driver decodability X.f32 y.i32 n d k repeats\n"
               "       icl_peer_driver logistic_cv X.f32 y.i32 n d folds.i32 repeats\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 8) return usage();
  const std::string task = argv[1], x_path = argv[2], y_path = argv[3];
  const std::size_t n = parse_size(argv[4]), d = parse_size(argv[5]), repeats = parse_size(argv[7]);
  const auto x = read_raw<float>(x_path, n * d);
  const auto y32 = read_raw<std::int32_t>(y_path, n);
  const std::vector<int> labels(y32.begin(), y32.end());
  const auto X = icl::make_matrix_view(x.data(), n, d);

  if (task == "decodability") {
    icl::decode::decode_params params;
    params.k = parse_size(argv[6]);
    icl::decode::decodability_result result;
    const double seconds = median_seconds(repeats, [&] { result = icl::decode::task_decodability(X, labels, params); });
    const std::string pred_path = x_path + ".pred";
    std::vector<std::int32_t> pred(result.predictions.begin(), result.predictions.end());
    std::ofstream(pred_path, std::ios::binary)
        .write(reinterpret_cast<const char*>(pred.data()), static_cast<std::streamsize>(pred.size() * sizeof(std::int32_t)));
    std::printf("{\"seconds\": %.6g, \"score\": %.17g, \"predictions_file\": \"%s\"}\n", seconds, result.overall,
                pred_path.c_str());
    return 0;
  }
  if (task == "logistic_cv") {
    const auto folds32 = read_raw<std::int32_t>(argv[6], n);
    const std::vector<std::size_t> folds(folds32.begin(), folds32.end());
    icl::probe::cv_result result;
    const double seconds =
        median_seconds(repeats, [&] { result = icl::probe::cross_validate_logistic(X, labels, {}, folds); });
    std::printf("{\"seconds\": %.6g, \"score\": %.17g}\n", seconds, result.mean);
    return 0;
  }
  return usage();
}
