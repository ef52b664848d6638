// icl-test: also-without-blas
// icl::gram_matrix: X·Xᵀ through SYRK (or Eigen), on contiguous and strided inputs.
#include <catch2/catch.hpp>

#include <vector>

#include "icl/core/linalg.hpp"
#include "support/views.hpp"

TEMPLATE_TEST_CASE("gram_matrix equals the naive product", "[core][linalg]", float, double, icl::f16) {
  const std::size_t n = 37, d = 19;
  std::vector<double> x(n * d);
  for (std::size_t k = 0; k < x.size(); ++k) x[k] = static_cast<double>((k * 37 + 11) % 17) / 8.0 - 1.0;
  for (const auto& X : icl_test::all_layouts<TestType>(x, n, d)) {
    const auto g = icl::gram_matrix(X.view);
    REQUIRE(g.rows() == n);
    REQUIRE(g.cols() == n);
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t j = 0; j < n; ++j) {
        double expected = 0.0;
        for (std::size_t k = 0; k < d; ++k) {
          expected += icl::detail::to_double(X.view(i, k)) * icl::detail::to_double(X.view(j, k));
        }
        REQUIRE(static_cast<double>(g(i, j)) == Approx(expected).epsilon(1e-5).margin(1e-5));
        REQUIRE(g(i, j) == g(j, i));
      }
    }
  }
}
