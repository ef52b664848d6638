// Uses the installed (or build-tree) package: one RDM, one known pair.
#include <icl/icl.hpp>

#include <cmath>
#include <cstdio>

int main() {
  // Four conditions (rows), three features (columns), row-major.
  const double data[4 * 3] = {
      0.0, 0.0, 0.0,  //
      1.0, 2.0, 2.0,  //
      3.0, 0.0, 4.0,  //
      0.0, 5.0, 0.0,  //
  };
  const auto rdm = icl::rsa::compute_rdm(icl::make_matrix_view(data, 4, 3),
                                         icl::rsa::dissimilarity::euclidean);

  // |row 0 - row 2| = sqrt(9 + 0 + 16) = 5
  const double expected = 5.0;
  const double got = rdm(0, 2);
  if (rdm.n() != 4 || !(std::abs(got - expected) <= 1e-9)) {
    std::fprintf(stderr, "icl_metrics_consumer: n = %zu, d(0, 2) = %.17g, expected 4 and %.17g\n",
                 static_cast<std::size_t>(rdm.n()), got, expected);
    return 1;
  }
#ifdef ICL_USE_BLAS
  std::printf("icl_metrics_consumer: ok (ICL_USE_BLAS)\n");
#else
  std::printf("icl_metrics_consumer: ok\n");
#endif
  return 0;
}
