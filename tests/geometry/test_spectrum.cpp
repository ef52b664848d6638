// The eigensolver behind the spectral measures: tridiagonalization, eigenvalues by symmetric
// QR and the wanted eigenvectors by inverse iteration agree with Eigen's full solver.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstddef>
#include <vector>

#include <Eigen/Core>
#include <Eigen/QR>

#include "icl/core/random.hpp"
#include "icl/geometry/detail/pair_geometry.hpp"

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
