// Uses the installed (or build-tree) package: one RDM, one known pair.
#include <icl/icl.hpp>

#include <cmath>
#include <cstdio>

// Built with a component (CMake target, Conan option, pkg-config module): its flags arrived.
#if defined(ICL_CONSUMER_EXPECT_BLAS) && !defined(ICL_USE_BLAS)
#error "the blas component was linked but ICL_USE_BLAS is not defined"
#endif
#if defined(ICL_CONSUMER_EXPECT_OPENMP) && !defined(_OPENMP)
#error "the openmp component was linked but the compiler's OpenMP is off"
#endif

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
#if defined(ICL_USE_BLAS) && defined(_OPENMP)
  std::printf("icl_metrics_consumer: ok (ICL_USE_BLAS, OpenMP)\n");
#elif defined(ICL_USE_BLAS)
  std::printf("icl_metrics_consumer: ok (ICL_USE_BLAS)\n");
#elif defined(_OPENMP)
  std::printf("icl_metrics_consumer: ok (OpenMP)\n");
#else
  std::printf("icl_metrics_consumer: ok\n");
#endif
  return 0;
}
