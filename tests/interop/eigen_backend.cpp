// The library beside Eigen's own BLAS and LAPACK back-ends. Compiled several times by
// tests/CMakeLists.txt, every time linked to icl_metrics::blas:
//   interop_eigen_backend_plain         Eigen's own kernels (the reference build)
//   interop_eigen_blas_icl_first        EIGEN_USE_BLAS, icl's headers before Eigen's
//   interop_eigen_blas_eigen_first      EIGEN_USE_BLAS, Eigen's headers before icl's
//   interop_eigen_lapacke               EIGEN_USE_LAPACKE (when liblapacke is installed)
// Eigen declares sgemm_, ssyrk_, sgemv_... itself under EIGEN_USE_BLAS; the library must then
// compile (icl/core/detail/blas.hpp) and give the results of the plain build, which every
// variant checks against the same direct sums.
#if defined(ICL_TEST_EIGEN_FIRST)
#include <Eigen/Dense>
#endif

#include <icl/icl.hpp>

#include <Eigen/Dense>

#include <catch2/catch.hpp>

#include <cmath>
#include <cstddef>
#include <vector>

namespace {

constexpr std::size_t n = 37, d = 29;

template <class T>
std::vector<T> test_matrix(std::size_t rows, std::size_t cols, unsigned salt) {
  std::vector<T> x(rows * cols);
  for (std::size_t k = 0; k < x.size(); ++k) {
    x[k] = static_cast<T>(std::sin(0.37 * static_cast<double>(k) + salt) * 1.5 + 0.1 * static_cast<double>(k % 7));
  }
  return x;
}

// Row i of a (rows_a x k) times row j of b (rows_b x k), summed in double.
template <class T>
double dot(const std::vector<T>& a, std::size_t i, const std::vector<T>& b, std::size_t j, std::size_t k) {
  double s = 0.0;
  for (std::size_t t = 0; t < k; ++t) s += static_cast<double>(a[i * k + t]) * static_cast<double>(b[j * k + t]);
  return s;
}

template <class T>
void check_gram(double tolerance) {
  const std::vector<T> x = test_matrix<T>(n, d, 1);
  const icl::dense_matrix<T> g = icl::gram_matrix(icl::make_matrix_view(x.data(), n, d));
  REQUIRE(g.rows() == n);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < n; ++j) {
      INFO("(" << i << ", " << j << ")");
      CHECK(static_cast<double>(g(i, j)) == Approx(dot(x, i, x, j, d)).epsilon(tolerance).margin(tolerance));
    }
  }
}

template <class T>
void check_product(double tolerance) {
  const std::vector<T> a = test_matrix<T>(n, d, 2), b = test_matrix<T>(11, d, 3);
  std::vector<T> out(n * 11);
  icl::detail::product_abt<T>(a.data(), n, d, b.data(), 11, d, d, out.data(), 11);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < 11; ++j) {
      INFO("(" << i << ", " << j << ")");
      CHECK(static_cast<double>(out[i * 11 + j]) == Approx(dot(a, i, b, j, d)).epsilon(tolerance).margin(tolerance));
    }
  }
}

}  // namespace

TEST_CASE("icl's BLAS products beside Eigen's back-end", "[interop][blas]") {
  CHECK(icl::uses_blas());
  check_gram<float>(1e-5);
  check_gram<double>(1e-12);
  check_product<float>(1e-5);
  check_product<double>(1e-12);
}

TEST_CASE("an RDM beside Eigen's back-end", "[interop][blas]") {
  const std::vector<double> x = test_matrix<double>(n, d, 4);
  const icl::rsa::rdm r = icl::rsa::compute_rdm(icl::make_matrix_view(x.data(), n, d), icl::rsa::dissimilarity::euclidean);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = i + 1; j < n; ++j) {
      double s = 0.0;
      for (std::size_t t = 0; t < d; ++t) s += (x[i * d + t] - x[j * d + t]) * (x[i * d + t] - x[j * d + t]);
      INFO("(" << i << ", " << j << ")");
      CHECK(r(i, j) == Approx(std::sqrt(s)).epsilon(1e-10).margin(1e-10));
    }
  }
}

TEST_CASE("Eigen's own products and decompositions in the same program", "[interop][blas]") {
  // Under EIGEN_USE_BLAS the product goes to ?GEMM; under EIGEN_USE_LAPACKE the LU to LAPACKE.
  const std::vector<double> a = test_matrix<double>(d, d, 5);
  Eigen::MatrixXd A(static_cast<Eigen::Index>(d), static_cast<Eigen::Index>(d));
  for (std::size_t i = 0; i < d; ++i)
    for (std::size_t j = 0; j < d; ++j) A(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) = a[i * d + j];
  A += 10.0 * Eigen::MatrixXd::Identity(A.rows(), A.cols());
  const Eigen::MatrixXd AtA = A.transpose() * A;
  for (Eigen::Index i = 0; i < A.cols(); ++i) {
    for (Eigen::Index j = 0; j < A.cols(); ++j) CHECK(AtA(i, j) == Approx(A.col(i).dot(A.col(j))).epsilon(1e-12));
  }
  const Eigen::VectorXd b = Eigen::VectorXd::LinSpaced(A.rows(), -1.0, 1.0);
  const Eigen::VectorXd solution = A.partialPivLu().solve(b);
  CHECK((A * solution - b).norm() < 1e-10);
}
