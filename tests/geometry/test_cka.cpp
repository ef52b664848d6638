// icl-test: also-without-blas
// Linear CKA (biased, debiased) and effective dimension against numpy references
// (tests/data/geometry_cka.txt); per-layer curves and the layers x layers matrix.
#include <catch2/catch.hpp>

#include <cstddef>
#include <string>
#include <vector>

#include "icl/geometry/alignment.hpp"
#include "icl/geometry/cka.hpp"
#include "support/fixture.hpp"
#include "support/views.hpp"

TEMPLATE_TEST_CASE("linear_cka matches numpy", "[geometry][cka]", float, double) {
  const icl_test::fixture_file f("geometry_cka.txt");
  for (const std::string name : {"wide", "tall"}) {  // Gram route (n < d_x + d_y) and feature route
    INFO("case " << name);
    const auto& sx = f.shape(name + "_X");
    const auto& sy = f.shape(name + "_Y");
    const auto xs = icl_test::all_layouts<TestType>(f.values(name + "_X"), sx[0], sx[1]);
    const auto ys = icl_test::all_layouts<TestType>(f.values(name + "_Y"), sy[0], sy[1]);
    for (const auto& X : xs) {
      for (const auto& Y : ys) {
        icl_test::require_close<TestType>({icl::geometry::linear_cka(X.view, Y.view),
                                           icl::geometry::linear_cka(X.view, Y.view, true),
                                           icl::geometry::linear_cka(Y.view, X.view, true)},
                                          {f.scalar(name + "_biased"), f.scalar(name + "_debiased"),
                                           f.scalar(name + "_debiased")});
      }
      icl_test::require_close<TestType>({icl::geometry::linear_cka(X.view, X.view),
                                         icl::geometry::linear_cka(X.view, X.view, true)},
                                        {1.0, 1.0});
      icl_test::require_close<TestType>({icl::geometry::effective_dimension(X.view)}, {f.scalar(name + "_effdim_X")});
    }
    // Mixed element types: double X with float Y computes in double.
    const auto xd = icl_test::row_major<double>(f.values(name + "_X"), sx[0], sx[1]);
    const auto yf = icl_test::row_major<float>(f.values(name + "_Y"), sy[0], sy[1]);
    REQUIRE(icl::geometry::linear_cka(xd.view, yf.view) == Approx(f.scalar(name + "_biased")).epsilon(1e-6));
    REQUIRE(icl::geometry::effective_dimension(ys[1].view) ==
            Approx(f.scalar(name + "_effdim_Y")).epsilon(icl_test::tolerance<TestType>()));
  }
}

TEMPLATE_TEST_CASE("cka_curve and cka_matrix over layers", "[geometry][cka][layers]", float, double) {
  const icl_test::fixture_file f("geometry_cka.txt");
  // Layer 0 = the "wide" X, layer 1 = its negation plus a shift (CKA-invariant), layer 2 = the
  // first 8 columns of X replaced by Y (so d is the same): [3, 10, 17].
  const auto& x = f.values("wide_X");
  const auto& y = f.values("wide_Y");
  const std::size_t n = 10, d = 17;
  std::vector<TestType> t(3 * n * d);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < d; ++j) {
      t[(0 * n + i) * d + j] = static_cast<TestType>(x[i * d + j]);
      t[(1 * n + i) * d + j] = static_cast<TestType>(-x[i * d + j] + 3.0);
      t[(2 * n + i) * d + j] = static_cast<TestType>(j < 8 ? y[i * 8 + j] : 0.0);
    }
  }
  const auto T3 = icl::make_tensor_view<TestType, 3>(t.data(), {3, n, d});
  const double b = f.scalar("wide_biased");
  const auto m = icl::geometry::cka_matrix(T3);
  const std::vector<double> expected = {1, 1, b, 1, 1, b, b, b, 1};
  icl_test::require_close<TestType>(m.values(), expected);
  const auto md = icl::geometry::cka_matrix(T3, true);
  const double u = f.scalar("wide_debiased");
  icl_test::require_close<TestType>(md.values(), {1, 1, u, 1, 1, u, u, u, 1});

  // Curve between corresponding layers of T3 and T3 with layers 0 and 2 swapped.
  std::vector<TestType> s(t);
  std::copy(t.begin() + static_cast<std::ptrdiff_t>(2 * n * d), t.end(), s.begin());
  std::copy(t.begin(), t.begin() + static_cast<std::ptrdiff_t>(n * d), s.begin() + static_cast<std::ptrdiff_t>(2 * n * d));
  const auto S3 = icl::make_tensor_view<TestType, 3>(s.data(), {3, n, d});
  // Two different tensors: the columns of the matrix follow S3's layer order (2, 1, 0).
  const auto cross = icl::geometry::cka_matrix(T3, S3);
  REQUIRE(cross.rows() == 3);
  for (std::size_t a = 0; a < 3; ++a)
    for (std::size_t c = 0; c < 3; ++c) REQUIRE(cross(a, c) == Approx(m(a, 2 - c)).epsilon(1e-12));
  const auto curve = icl::geometry::cka_curve(T3, S3);
  icl_test::require_close<TestType>(curve.values, {b, 1.0, b});
  REQUIRE(curve.peak_layer() == 1);
  const auto ed = icl::geometry::effective_dimension_curve(T3);
  icl_test::require_close<TestType>({ed[0], ed[1]}, {f.scalar("wide_effdim_X"), f.scalar("wide_effdim_X")});
}

TEST_CASE("half-precision inputs are widened exactly", "[geometry][cka]") {
  const icl_test::fixture_file f("geometry_cka.txt");
  const auto& sx = f.shape("tall_X");
  const auto& x = f.values("tall_X");
  const auto& y = f.values("tall_Y");
  const std::size_t ny = f.shape("tall_Y")[1];
  // bf16 copies, and float copies of the same (rounded) values.
  std::vector<icl::bf16> xb(x.size()), yb(y.size());
  std::vector<float> xf(x.size()), yf(y.size());
  for (std::size_t k = 0; k < x.size(); ++k) {
    xb[k] = icl::bf16(static_cast<float>(x[k]));
    xf[k] = static_cast<float>(xb[k]);
  }
  for (std::size_t k = 0; k < y.size(); ++k) {
    yb[k] = icl::bf16(static_cast<float>(y[k]));
    yf[k] = static_cast<float>(yb[k]);
  }
  const auto Xb = icl::make_matrix_view(xb.data(), sx[0], sx[1]);
  const auto Yb = icl::make_matrix_view(yb.data(), sx[0], ny);
  const auto Xf = icl::make_matrix_view(xf.data(), sx[0], sx[1]);
  const auto Yf = icl::make_matrix_view(yf.data(), sx[0], ny);
  REQUIRE(icl::geometry::linear_cka(Xb, Yb) == icl::geometry::linear_cka(Xf, Yf));
  REQUIRE(icl::geometry::linear_cka(Xb, Yb, true) == icl::geometry::linear_cka(Xf, Yf, true));
  REQUIRE(icl::geometry::effective_dimension(Xb) == icl::geometry::effective_dimension(Xf));
  // bf16 rounding moves CKA only slightly from the double reference.
  REQUIRE(icl::geometry::linear_cka(Xb, Yb) == Approx(f.scalar("tall_biased")).epsilon(2e-2));
}
