#ifndef ICL_BENCH_PEERS_DRIVER_GEOMETRY_HPP
#define ICL_BENCH_PEERS_DRIVER_GEOMETRY_HPP

/// icl_peer_driver tasks for linear CKA and for the GEMM-shaped limit: one SSYRK of the input
/// (icl::detail::product_aat_upper: the machine's BLAS with ICL_USE_BLAS, Eigen otherwise).

#include <cstddef>
#include <string>
#include <vector>

#include "icl/core/linalg.hpp"
#include "icl/geometry/cka.hpp"
#include "driver_rsa.hpp"
#include "driver_support.hpp"

namespace icl_peers {

/// cka X.f32 Y.f32 n dx dy repeats: biased linear CKA.
inline int task_cka(const std::vector<std::string>& a) {
  const std::size_t n = parse_size(a[2]), dx = parse_size(a[3]), dy = parse_size(a[4]), repeats = parse_size(a[5]);
  const auto X = read_matrix<float>(a[0], n, dx);
  const auto Y = read_matrix<float>(a[1], n, dy);
  double cka = 0.0;
  const double seconds = median_seconds(repeats, [&] { cka = icl::geometry::linear_cka(X.view(), Y.view()); });
  json_line().number("seconds", seconds).number("score", cka).print();
  return 0;
}

/// cka_matrix X.f32 layers n d repeats: biased cka_matrix of one [layers, n, d] tensor with
/// itself; the score is the sum of the matrix's entries. Also times the limit in the same
/// process: one SSYRK per layer (syrk_seconds, the sum of the layers' medians).
inline int task_cka_matrix(const std::vector<std::string>& a) {
  const std::size_t layers = parse_size(a[1]), n = parse_size(a[2]), d = parse_size(a[3]);
  const std::size_t repeats = parse_size(a[4]);
  const auto X = read_matrix<float>(a[0], layers * n, d);
  const auto T = icl::make_tensor_view<float, 3>(X.values.data(), {layers, n, d});
  double total = 0.0;
  const double seconds = median_seconds(repeats, [&] {
    const auto m = icl::geometry::cka_matrix(T);
    total = 0.0;
    for (std::size_t i = 0; i < layers; ++i)
      for (std::size_t j = 0; j < layers; ++j) total += m(i, j);
  });
  std::vector<float> out(n * n);
  const double syrk = median_seconds(repeats, [&] {
    for (std::size_t l = 0; l < layers; ++l)
      icl::detail::product_aat_upper<float>(X.values.data() + l * n * d, n, d, d, out.data(), n);
  });
  json_line().number("seconds", seconds).number("score", total).number("syrk_seconds", syrk).print();
  return 0;
}

/// syrk X.f32 n d repeats: one triangle of X·Xᵀ (n x n float) for the row-major n x d float
/// matrix X (a raw file or "synthetic"), the limit of the GEMM-shaped metrics.
inline int task_syrk(const std::vector<std::string>& a) {
  const std::size_t n = parse_size(a[1]), d = parse_size(a[2]), repeats = parse_size(a[3]);
  const auto x = rdm_input<float>(a[0], n, d);
  std::vector<float> out(n * n);
  const double seconds =
      median_seconds(repeats, [&] { icl::detail::product_aat_upper<float>(x.data(), n, d, d, out.data(), n); });
  json_line().number("seconds", seconds).number("score", static_cast<double>(out[n - 1])).print();
  return 0;
}

}  // namespace icl_peers

#endif  // ICL_BENCH_PEERS_DRIVER_GEOMETRY_HPP
