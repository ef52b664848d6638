// icl-test: also-without-blas
// The two routes of linear CKA's Gram form (the input itself with the centering applied to the
// Gram entries when the column means are small against the spread, the centered copy
// otherwise) and the two symmetric eigensolvers behind the spectral measures (LAPACK's ?syevr
// where the library links LAPACK, Eigen's otherwise), each against the numpy fixtures
// (tests/data/geometry_cka.txt, geometry_alignment.txt) and against the other route, for float
// and double inputs.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

#include "icl/core/random.hpp"
#include "icl/geometry/cka.hpp"
#include "icl/geometry/detail/cka_impl.hpp"
#include "icl/geometry/detail/spectrum_impl.hpp"
#include "support/fixture.hpp"
#include "support/views.hpp"

namespace {

/// values (rows x cols, row-major) with each column's mean, times (1 − keep), removed.
std::vector<double> shift_columns(const std::vector<double>& values, std::size_t rows, std::size_t cols,
                                  double keep) {
  std::vector<double> mean(cols, 0.0), out = values;
  for (std::size_t i = 0; i < rows; ++i)
    for (std::size_t j = 0; j < cols; ++j) mean[j] += values[i * cols + j] / static_cast<double>(rows);
  for (std::size_t i = 0; i < rows; ++i)
    for (std::size_t j = 0; j < cols; ++j) out[i * cols + j] -= (1.0 - keep) * mean[j];
  return out;
}

/// Whether make_gram_operand takes the input's own rows (shifts applied to the Gram entries).
template <class T>
bool takes_input_rows(icl::matrix_view<const T> X) {
  const auto op = icl::geometry::detail::make_gram_operand<icl::detail::compute_t<T>>("test", "X", X);
  bool any_shift = false;
  for (double a : op.shift) any_shift = any_shift || a != 0.0;
  return any_shift || op.rows == X.row_data(0);
}

}  // namespace

TEMPLATE_TEST_CASE("linear_cka's Gram form on inputs with small and large column means", "[geometry][cka]", float,
                   double) {
  const icl_test::fixture_file f("geometry_cka.txt");
  const std::string name = "wide";  // n < d_x + d_y: the Gram form
  const auto& sx = f.shape(name + "_X");
  const auto& sy = f.shape(name + "_Y");
  // CKA does not change when a column is shifted: keep 0 (centered), a little, or all of the
  // means (the fixture's own data, whose means are as large as its spread).
  for (const double keep : {0.0, 0.1, 1.0}) {
    INFO("mean kept " << keep);
    const auto xv = shift_columns(f.values(name + "_X"), sx[0], sx[1], keep);
    const auto yv = shift_columns(f.values(name + "_Y"), sy[0], sy[1], keep);
    const auto xs = icl_test::all_layouts<TestType>(xv, sx[0], sx[1]);
    const auto ys = icl_test::all_layouts<TestType>(yv, sy[0], sy[1]);
    if (keep < 0.5) {
      REQUIRE(takes_input_rows(xs[0].view));
      REQUIRE(takes_input_rows(ys[0].view));
    } else {
      REQUIRE_FALSE(takes_input_rows(xs[0].view));
    }
    for (const auto& X : xs) {
      for (const auto& Y : ys) {
        icl_test::require_close<TestType>({icl::geometry::linear_cka(X.view, Y.view),
                                           icl::geometry::linear_cka(X.view, Y.view, true)},
                                          {f.scalar(name + "_biased"), f.scalar(name + "_debiased")});
      }
      icl_test::require_close<TestType>({icl::geometry::linear_cka(X.view, X.view)}, {1.0});
    }
  }
}

TEMPLATE_TEST_CASE("the spectrum's two eigensolvers agree on the alignment fixtures", "[geometry][spectrum]", float,
                   double) {
  using C = TestType;
  const icl_test::fixture_file f("geometry_alignment.txt");
  for (const std::string name : {"bin_wide", "bin_tall", "tri_wide", "tri_tall", "tri_vocab"}) {
    INFO("case " << name);
    const auto& shape = f.shape(name + "_H");
    const std::size_t n = shape[0], d = shape[1];
    const auto H = icl_test::row_major<C>(f.values(name + "_H"), n, d);
    std::vector<double> mean;
    const auto xc = icl::geometry::detail::centered_matrix<C>(H.view, mean);
    const std::size_t top = std::min<std::size_t>(3, std::min(n, d));
    using icl::geometry::detail::eigensolver;
    const auto a = icl::geometry::detail::centered_spectrum<C>(xc, n, d, top, eigensolver::automatic);
    const auto b = icl::geometry::detail::centered_spectrum<C>(xc, n, d, top, eigensolver::eigen);
    REQUIRE(a.trace == b.trace);
    REQUIRE(a.frobenius_sq == b.frobenius_sq);
    REQUIRE(a.sigma.size() == top);
    REQUIRE(b.sigma.size() == top);
    for (std::size_t k = 0; k < top; ++k) {
      INFO("singular triplet " << k);
      // LAPACK solves a float Gram in float: agreement to the float rounding of the Gram.
      const double tol = icl_test::tolerance<C>();
      REQUIRE(a.sigma[k] == Approx(b.sigma[k]).epsilon(tol).margin(tol * a.sigma[0]));
      if (k + 1 < top && !(a.sigma[k] - a.sigma[k + 1] > 1e-2 * a.sigma[0])) continue;  // a close pair
      // The same vectors up to sign: σ_k v_k, and u_k.
      double dot = 0.0, na = 0.0, nb = 0.0;
      for (std::size_t j = 0; j < d; ++j) {
        dot += a.scaled_right[k * d + j] * b.scaled_right[k * d + j];
        na += a.scaled_right[k * d + j] * a.scaled_right[k * d + j];
        nb += b.scaled_right[k * d + j] * b.scaled_right[k * d + j];
      }
      if (na > 0.0) REQUIRE(std::abs(dot) / std::sqrt(na * nb) == Approx(1.0).epsilon(tol));
    }
  }
}

TEST_CASE("the LAPACK eigensolver's top pairs agree with Eigen's full solver", "[geometry][spectrum]") {
  // A 300 x 300 Gram matrix of rank 300 with a planted leading direction: large enough for
  // LAPACK's blocked reduction.
  const std::size_t s = 300, rank = 400;
  icl::counter_rng rng(7);
  Eigen::MatrixXd a(static_cast<Eigen::Index>(s), static_cast<Eigen::Index>(rank));
  for (Eigen::Index i = 0; i < a.rows(); ++i)
    for (Eigen::Index j = 0; j < a.cols(); ++j) a(i, j) = rng.uniform01() - 0.5 + (j == 0 ? 0.3 : 0.0);
  const Eigen::MatrixXd S = a * a.transpose();
  std::vector<double> upper(s * s);
  for (std::size_t i = 0; i < s; ++i)
    for (std::size_t j = 0; j < s; ++j) upper[i * s + j] = S(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j));
  const std::size_t top = 4;
  std::vector<double> values, full_values;
  Eigen::MatrixXd vectors, full;
  icl::geometry::detail::symmetric_top_eigenpairs(upper.data(), s, top, values, vectors,
                                                  icl::geometry::detail::eigensolver::automatic);
  REQUIRE_FALSE(icl::geometry::detail::top_eigenpairs(S, top, full_values, full, true));
  for (std::size_t k = 0; k < top; ++k) {
    INFO("eigenpair " << k);
    REQUIRE(values[k] == Approx(full_values[k]).margin(1e-12 * full_values[0]));
    const Eigen::VectorXd v = vectors.col(static_cast<Eigen::Index>(k));
    REQUIRE(v.norm() == Approx(1.0).epsilon(1e-12));
    REQUIRE((S * v - values[k] * v).norm() <= 1e-10 * full_values[0]);
    REQUIRE(std::abs(v.dot(full.col(static_cast<Eigen::Index>(k)))) == Approx(1.0).epsilon(1e-10));
  }
}
