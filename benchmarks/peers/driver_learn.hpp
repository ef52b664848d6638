#ifndef ICL_BENCH_PEERS_DRIVER_LEARN_HPP
#define ICL_BENCH_PEERS_DRIVER_LEARN_HPP

/// icl_peer_driver tasks for the decoders: task decodability (leave-one-out kNN) and logistic
/// cross-validation, timed on the files written by compare_peers.py, and the peak memory of
/// task decodability on a large synthetic input.

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "icl/decode/knn.hpp"
#include "icl/probe/cross_validation.hpp"
#include "driver_support.hpp"

namespace icl_peers {

/// decodability X.f32 y.i32 n d k repeats: prints seconds and score, writes the predictions
/// (int32) to X.f32.pred.
inline int task_decodability(const std::vector<std::string>& a) {
  const std::size_t n = parse_size(a[2]), d = parse_size(a[3]), k = parse_size(a[4]), repeats = parse_size(a[5]);
  const auto X = read_matrix<float>(a[0], n, d);
  const auto labels = read_int32_as<int>(a[1], n);
  icl::decode::decode_params params;
  params.k = k;
  icl::decode::decodability_result result;
  const double seconds =
      median_seconds(repeats, [&] { result = icl::decode::task_decodability(X.view(), labels, params); });
  const std::string pred_path = a[0] + ".pred";
  write_raw(pred_path, std::vector<std::int32_t>(result.predictions.begin(), result.predictions.end()));
  json_line().number("seconds", seconds).number("score", result.overall).text("predictions_file", pred_path).print();
  return 0;
}

/// logistic_cv X.f32 y.i32 n d folds.i32 repeats: prints seconds and the mean CV accuracy.
inline int task_logistic_cv(const std::vector<std::string>& a) {
  const std::size_t n = parse_size(a[2]), d = parse_size(a[3]), repeats = parse_size(a[5]);
  const auto X = read_matrix<float>(a[0], n, d);
  const auto labels = read_int32_as<int>(a[1], n);
  const auto folds = read_int32_as<std::size_t>(a[4], n);
  icl::probe::cv_result result;
  const double seconds =
      median_seconds(repeats, [&] { result = icl::probe::cross_validate_logistic(X.view(), labels, {}, folds); });
  json_line().number("seconds", seconds).number("score", result.mean).print();
  return 0;
}

/// memory_decodability n d k classes: task decodability once on a synthetic float input
/// (labels i mod classes); prints the resident memory before the input was made, the peak after
/// the call, the input size and the size an n x n float matrix would have.
inline int task_memory_decodability(const std::vector<std::string>& a) {
  const std::size_t n = parse_size(a[0]), d = parse_size(a[1]), k = parse_size(a[2]), classes = parse_size(a[3]);
  const double baseline = current_rss_bytes();
  const auto x = synthetic_rows<float>(n, d, 20261123);
  std::vector<int> labels(n);
  for (std::size_t i = 0; i < n; ++i) labels[i] = static_cast<int>(i % classes);
  const double before_call = current_rss_bytes();
  icl::decode::decode_params params;
  params.k = k;
  const double seconds = seconds_of_one_call([&] {
    const auto result = icl::decode::task_decodability(icl::make_matrix_view(x.data(), n, d), labels, params);
    if (!(result.overall >= 0.0)) throw std::runtime_error("decodability: no score");
  });
  const double n_d = static_cast<double>(n);
  json_line()
      .number("seconds", seconds)
      .number("baseline_rss", baseline)
      .number("rss_before_call", before_call)
      .number("peak_rss", peak_rss_bytes())
      .number("input_bytes", static_cast<double>(x.size() * sizeof(float) + labels.size() * sizeof(int)))
      .number("nxn_float_bytes", n_d * n_d * 4.0)
      .print();
  return 0;
}

}  // namespace icl_peers

#endif  // ICL_BENCH_PEERS_DRIVER_LEARN_HPP
