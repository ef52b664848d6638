// The spectrum of the centred states (icl/geometry/spectrum.hpp): the effective dimension and
// its per-layer curve, and the eigensolver behind the spectral measures (tridiagonalization,
// eigenvalues by symmetric QR and the wanted eigenvectors by inverse iteration agree with
// Eigen's full solver).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include <Eigen/Core>
#include <Eigen/QR>

#include "icl/core/random.hpp"
#include "icl/geometry/detail/spectrum_impl.hpp"
#include "icl/geometry/spectrum.hpp"

namespace {

Eigen::MatrixXd random_gram(std::size_t s, std::size_t rank, std::uint64_t seed) {
  icl::counter_rng rng(seed);
  Eigen::MatrixXd a(static_cast<Eigen::Index>(s), static_cast<Eigen::Index>(rank));
  for (Eigen::Index i = 0; i < a.rows(); ++i)
    for (Eigen::Index j = 0; j < a.cols(); ++j) a(i, j) = rng.uniform01() - 0.5 + (j == 0 ? 0.3 : 0.0);
  return a * a.transpose();
}

void check_against_full(const Eigen::MatrixXd& S, std::size_t top, bool distinct) {
  std::vector<double> fast_values, full_values;
  Eigen::MatrixXd fast, full;
  REQUIRE(icl::geometry::detail::top_eigenpairs(S, top, fast_values, fast));  // no fallback
  REQUIRE_FALSE(icl::geometry::detail::top_eigenpairs(S, top, full_values, full, true));
  const double scale = full_values[0];
  for (std::size_t k = 0; k < top; ++k) {
    INFO("eigenpair " << k);
    REQUIRE(fast_values[k] == Approx(full_values[k]).margin(1e-12 * scale));
    const Eigen::VectorXd v = fast.col(static_cast<Eigen::Index>(k));
    REQUIRE(v.norm() == Approx(1.0).epsilon(1e-12));
    REQUIRE((S * v - fast_values[k] * v).norm() <= 1e-10 * scale);
    if (distinct) REQUIRE(std::abs(v.dot(full.col(static_cast<Eigen::Index>(k)))) == Approx(1.0).epsilon(1e-10));
    for (std::size_t j = 0; j < k; ++j) REQUIRE(std::abs(v.dot(fast.col(static_cast<Eigen::Index>(j)))) < 1e-10);
  }
}

}  // namespace

TEST_CASE("top_eigenpairs agrees with the full symmetric solver", "[geometry][spectrum]") {
  check_against_full(random_gram(300, 400, 1), 2, true);   // full rank
  check_against_full(random_gram(250, 40, 2), 5, true);    // rank-deficient, several vectors
  check_against_full(random_gram(7, 3, 3), 3, true);       // small
  // A repeated leading eigenvalue: any orthonormal basis of its eigenspace is right.
  Eigen::MatrixXd d = Eigen::MatrixXd::Zero(60, 60);
  for (Eigen::Index i = 0; i < 60; ++i) d(i, i) = i < 2 ? 5.0 : 1.0 / static_cast<double>(i + 1);
  const Eigen::MatrixXd q = Eigen::HouseholderQR<Eigen::MatrixXd>(random_gram(60, 60, 4)).householderQ();
  check_against_full(q * d * q.transpose(), 3, false);
}

TEST_CASE("effective_dimension of an isotropic and a rank-one spread", "[geometry][alignment]") {
  // Rows ±e_1, ±e_2, ±e_3: H̄ has three equal singular values -> 3.
  const std::vector<double> iso = {1, 0, 0, -1, 0, 0, 0, 1, 0, 0, -1, 0, 0, 0, 1, 0, 0, -1};
  REQUIRE(icl::geometry::effective_dimension(icl::make_matrix_view(iso.data(), 6, 3)) == Approx(3.0).epsilon(1e-12));
  // Points on a line (plus an offset): rank one -> 1.
  const std::vector<float> line = {1, 2, 3, 2, 4, 6, -1, -2, -3, 5, 10, 15};
  REQUIRE(icl::geometry::effective_dimension(icl::make_matrix_view(line.data(), 4, 3)) == Approx(1.0).epsilon(1e-6));
}

TEST_CASE("effective_dimension_curve is the effective dimension of each layer", "[geometry][spectrum]") {
  // Layer 0: the isotropic spread (3); layer 1: points on a line (1); any strides.
  const std::vector<double> layers = {1, 0, 0, -1, 0, 0, 0, 1, 0, 0, -1, 0, 0, 0, 1, 0, 0, -1,
                                      1, 2, 3, 2, 4, 6, -1, -2, -3, 5, 10, 15, 0, 0, 0, 3, 6, 9};
  const auto H = icl::make_tensor_view<double, 3>(layers.data(), {2, 6, 3});
  const auto curve = icl::geometry::effective_dimension_curve(H);
  REQUIRE(curve.layers() == 2);
  REQUIRE(curve[0] == icl::geometry::effective_dimension(H.matrix(0)));
  REQUIRE(curve[1] == icl::geometry::effective_dimension(H.matrix(1)));
  REQUIRE(curve[0] == Approx(3.0).epsilon(1e-12));
  REQUIRE(curve[1] == Approx(1.0).epsilon(1e-12));
  REQUIRE(curve.peak_layer() == 0);
  // The same layers stored [n, layers, d].
  std::vector<double> interleaved(layers.size());
  for (std::size_t l = 0; l < 2; ++l)
    for (std::size_t i = 0; i < 6; ++i)
      for (std::size_t j = 0; j < 3; ++j) interleaved[(i * 2 + l) * 3 + j] = layers[(l * 6 + i) * 3 + j];
  const auto strided = icl::make_tensor_view<double, 3>(interleaved.data(), {2, 6, 3}, {3, 6, 1});
  const auto same = icl::geometry::effective_dimension_curve(strided);
  REQUIRE(same[0] == Approx(curve[0]).epsilon(1e-12));
  REQUIRE(same[1] == Approx(curve[1]).epsilon(1e-12));
  REQUIRE_THROWS_WITH(icl::geometry::effective_dimension_curve(icl::make_tensor_view<double, 3>(layers.data(), {0, 6, 3})),
                      Catch::Contains("icl::geometry::effective_dimension_curve: H has no layers"));
}
