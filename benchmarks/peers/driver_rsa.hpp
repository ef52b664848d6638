#ifndef ICL_BENCH_PEERS_DRIVER_RSA_HPP
#define ICL_BENCH_PEERS_DRIVER_RSA_HPP

/// icl_peer_driver tasks for RSA: RDMs (f32 or f16 input), comparisons of two condensed
/// vectors, the permutation test, and the memory of an RDM on a large synthetic input.
/// An input path "synthetic" makes the data in the process (the scaling and memory runs).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "icl/core/view.hpp"
#include "icl/rsa/compare.hpp"
#include "icl/rsa/inference.hpp"
#include "icl/rsa/rdm.hpp"
#include "driver_support.hpp"

namespace icl_peers {

inline icl::rsa::dissimilarity parse_dissimilarity(const std::string& name) {
  using icl::rsa::dissimilarity;
  for (const dissimilarity d : {dissimilarity::euclidean, dissimilarity::sqeuclidean,
                                dissimilarity::sqeuclidean_per_feature, dissimilarity::correlation,
                                dissimilarity::cosine}) {
    if (name == icl::rsa::to_string(d)) return d;
  }
  throw std::runtime_error("unknown dissimilarity " + name);
}

inline icl::rsa::comparison parse_comparison(const std::string& name) {
  using icl::rsa::comparison;
  for (const comparison c : {comparison::pearson, comparison::spearman, comparison::kendall_tau_a,
                             comparison::kendall_tau_b, comparison::rho_a, comparison::cosine,
                             comparison::whitened_cosine}) {
    if (name == icl::rsa::to_string(c)) return c;
  }
  throw std::runtime_error("unknown comparison " + name);
}

/// The n x d input of an RDM task as T: read from a raw file of T, or synthetic.
template <class T>
std::vector<T> rdm_input(const std::string& path, std::size_t n, std::size_t d) {
  if (path != "synthetic") return read_raw<T>(path, n * d);
  const auto x = synthetic_rows<float>(n, d, 20261123);
  std::vector<T> out(x.size());
  std::transform(x.begin(), x.end(), out.begin(), [](float v) { return static_cast<T>(v); });
  return out;
}

template <class T>
int run_rdm(const std::string& path, std::size_t n, std::size_t d, icl::rsa::dissimilarity metric,
            std::size_t repeats, const std::string& out_path) {
  const auto x = rdm_input<T>(path, n, d);
  const auto X = icl::make_matrix_view(x.data(), n, d);
  icl::rsa::rdm result;
  const double seconds = median_seconds(repeats, [&] { result = icl::rsa::compute_rdm(X, metric); });
  write_raw(out_path, result.condensed());
  json_line().number("seconds", seconds).number("score", result.condensed().front()).print();
  return 0;
}

/// rdm X n d dissimilarity dtype repeats OUT.f64: X is raw f32 or f16 (dtype), or "synthetic";
/// writes the condensed RDM (doubles) to OUT ("-": not written).
inline int task_rdm(const std::vector<std::string>& a) {
  const std::size_t n = parse_size(a[1]), d = parse_size(a[2]), repeats = parse_size(a[5]);
  const auto metric = parse_dissimilarity(a[3]);
  if (a[4] == "f32") return run_rdm<float>(a[0], n, d, metric, repeats, a[6]);
  if (a[4] == "f16") return run_rdm<icl::f16>(a[0], n, d, metric, repeats, a[6]);
  throw std::runtime_error("unknown dtype " + a[4] + " (f32 or f16)");
}

/// The two condensed vectors of a comparison task: raw doubles, or synthetic (b = a + noise).
inline void comparison_input(const std::string& path_a, const std::string& path_b, std::size_t m,
                             std::vector<double>& a, std::vector<double>& b) {
  if (path_a == "synthetic") {
    synthetic_pair(m, 20261123, a, b);
    return;
  }
  a = read_raw<double>(path_a, m);
  b = read_raw<double>(path_b, m);
}

/// compare A.f64 B.f64 m statistic repeats: icl::rsa::compare of two condensed vectors, or
/// statistic "sort_both": std::sort of a copy of each vector (the limit of rank work).
inline int task_compare(const std::vector<std::string>& args) {
  const std::size_t m = parse_size(args[2]), repeats = parse_size(args[4]);
  std::vector<double> a, b;
  comparison_input(args[0], args[1], m, a, b);
  if (args[3] == "sort_both") {
    std::vector<double> sa(m), sb(m);
    const double seconds = median_seconds(repeats, [&] {
      std::copy(a.begin(), a.end(), sa.begin());
      std::copy(b.begin(), b.end(), sb.begin());
      std::sort(sa.begin(), sa.end());
      std::sort(sb.begin(), sb.end());
    });
    json_line().number("seconds", seconds).number("score", sa[m / 2] + sb[m / 2]).print();
    return 0;
  }
  const auto c = parse_comparison(args[3]);
  double statistic = 0.0;
  const double seconds = median_seconds(repeats, [&] { statistic = icl::rsa::compare(a, b, c); });
  json_line().number("seconds", seconds).number("score", statistic).print();
  return 0;
}

/// permutation A.f64 B.f64 m statistic permutations seed repeats: icl::rsa::permutation_test
/// of the two condensed RDMs (n inferred from m), two-sided.
inline int task_permutation(const std::vector<std::string>& args) {
  const std::size_t m = parse_size(args[2]), permutations = parse_size(args[4]), repeats = parse_size(args[6]);
  const std::uint64_t seed = parse_size(args[5]);
  std::vector<double> a, b;
  comparison_input(args[0], args[1], m, a, b);
  const std::size_t n = icl::rsa::conditions_from_pair_count("icl_peer_driver permutation", m);
  const icl::rsa::rdm ra(n, std::move(a)), rb(n, std::move(b));
  const auto c = parse_comparison(args[3]);
  icl::rsa::permutation_result result{};
  const double seconds =
      median_seconds(repeats, [&] { result = icl::rsa::permutation_test(ra, rb, c, permutations, seed); });
  json_line().number("seconds", seconds).number("score", result.statistic).number("p_value", result.p_value).print();
  return 0;
}

/// memory_rdm n d dissimilarity: compute_rdm once on a synthetic float input; prints the resident
/// memory before the input was made, before the call and at its peak, and the sizes of the
/// input and of the condensed output.
inline int task_memory_rdm(const std::vector<std::string>& a) {
  const std::size_t n = parse_size(a[0]), d = parse_size(a[1]);
  const auto metric = parse_dissimilarity(a[2]);
  const double baseline = current_rss_bytes();
  const auto x = synthetic_rows<float>(n, d, 20261123);
  const double before_call = current_rss_bytes();
  icl::rsa::rdm result;
  const double seconds =
      seconds_of_one_call([&] { result = icl::rsa::compute_rdm(icl::make_matrix_view(x.data(), n, d), metric); });
  json_line()
      .number("seconds", seconds)
      .number("baseline_rss", baseline)
      .number("rss_before_call", before_call)
      .number("peak_rss", peak_rss_bytes())
      .number("input_bytes", static_cast<double>(x.size() * sizeof(float)))
      .number("output_bytes", static_cast<double>(result.size() * sizeof(double)))
      .number("score", result.condensed().back())
      .print();
  return 0;
}

}  // namespace icl_peers

#endif  // ICL_BENCH_PEERS_DRIVER_RSA_HPP
