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
