// icl::mpi::linear_cka against icl::geometry::linear_cka on the concatenated rows: float and
// double, row-major and strided (column-major, padded) inputs, even and uneven splits and a rank
// without rows; and its errors, raised alike on every rank.
#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <vector>

#include <mpi.h>

#include "icl/geometry/cka.hpp"
#include "icl/mpi/cka.hpp"
#include "sums_support.hpp"
#include "support/views.hpp"

TEMPLATE_TEST_CASE("mpi linear_cka equals one process on the concatenated rows", "[mpi][cka]", float, double) {
  const std::size_t n = 23, dx = 5, dy = 3;
  const auto x = sums_test::values(n, dx, 1);
  auto y = sums_test::values(n, dy, 2);
  for (std::size_t i = 0; i < n; ++i) y[i * dy] += x[i * dx + 1];  // some shared structure
  const auto xs = icl_test::all_layouts<TestType>(x, n, dx);
  const auto ys = icl_test::all_layouts<TestType>(y, n, dy);
  for (const bool debiased : {false, true}) {
    const double expected = icl::geometry::linear_cka(xs[0].view, ys[0].view, debiased);
    for (const auto& counts : sums_test::splits(n)) {
      for (std::size_t layout = 0; layout < xs.size(); ++layout) {
        INFO("debiased " << debiased << ", layout " << layout << ", rank 0 rows " << counts[0]);
        const auto lx = sums_test::local_rows(xs[layout].view, counts);
        const auto ly = sums_test::local_rows(ys[1 - layout].view, counts);
        const double got = icl::mpi::linear_cka(MPI_COMM_WORLD, lx, ly, debiased);
        REQUIRE(got == Approx(expected).epsilon(icl_test::tolerance<TestType>()));
        // The same value on every rank.
        double lo = got, hi = got;
        MPI_Allreduce(MPI_IN_PLACE, &lo, 1, MPI_DOUBLE, MPI_MIN, MPI_COMM_WORLD);
        MPI_Allreduce(MPI_IN_PLACE, &hi, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
        REQUIRE(lo == hi);
      }
    }
  }
  // Mixed element types compute in double, as one process does.
  const auto xd = icl_test::row_major<double>(x, n, dx);
  const auto yf = icl_test::row_major<float>(y, n, dy);
  const auto counts = sums_test::splits(n).back();
  REQUIRE(icl::mpi::linear_cka(MPI_COMM_WORLD, sums_test::local_rows(xd.view, counts),
                               sums_test::local_rows(yf.view, counts)) ==
          Approx(icl::geometry::linear_cka(xd.view, yf.view)).epsilon(1e-10));
}

TEST_CASE("mpi linear_cka errors are raised on every rank", "[mpi][cka][errors]") {
  const int rank = sums_test::rank(), last = sums_test::ranks() - 1;
  const std::size_t n = 8;
  const auto x = sums_test::values(n, 4, 3);
  const auto counts = sums_test::splits(n).front();
  const auto X = icl_test::row_major<double>(x, n, 4);
  const auto lx = sums_test::local_rows(X.view, counts);
  const std::string fn = "icl::mpi::linear_cka";
  const std::string at_last = "(rank " + std::to_string(last) + ")";
  // Row counts of X and Y differ on the last rank.
  const auto ly_short = icl::make_matrix_view(lx.data(), rank == last ? lx.rows() - 1 : lx.rows(), 4);
  REQUIRE_THROWS_WITH(icl::mpi::linear_cka(MPI_COMM_WORLD, lx, ly_short),
                      Catch::Contains(fn) && Catch::Contains("rows but Y has") && Catch::Contains(at_last));
  // A width that differs between ranks.
  if (last > 0) {
    const auto narrow = icl::make_matrix_view(lx.data(), lx.rows(), rank == last ? 3 : 4, 4, 1);
    REQUIRE_THROWS_AS(icl::mpi::linear_cka(MPI_COMM_WORLD, narrow, lx), icl::invalid_argument);
    REQUIRE_THROWS_WITH(icl::mpi::linear_cka(MPI_COMM_WORLD, narrow, lx),
                        Catch::Contains("rank " + std::to_string(last) + " has width 3"));
  }
  // Too few rows overall (debiased needs n > 3): two rows in all.
  const auto two = icl::make_matrix_view(lx.data(), rank == last ? 2 : 0, 4);
  REQUIRE_THROWS_WITH(icl::mpi::linear_cka(MPI_COMM_WORLD, two, two, true),
                      Catch::Contains(fn) && Catch::Contains("debiased CKA needs n > 3 rows, got n = 2"));
  // NaN on the last rank: the message names its global row.
  std::vector<double> bad(x);
  bad[(n - 1) * 4 + 2] = std::numeric_limits<double>::quiet_NaN();
  const auto B = icl_test::row_major<double>(bad, n, 4);
  REQUIRE_THROWS_WITH(icl::mpi::linear_cka(MPI_COMM_WORLD, lx, sums_test::local_rows(B.view, counts)),
                      Catch::Contains(fn) && Catch::Contains(std::to_string(n - 1)) && Catch::Contains(at_last));
  // Zero variance (every row equal): the single-process message, on every rank.
  const std::vector<double> flat(n * 4, 1.5);
  const auto F = icl_test::row_major<double>(flat, n, 4);
  REQUIRE_THROWS_WITH(icl::mpi::linear_cka(MPI_COMM_WORLD, sums_test::local_rows(F.view, counts), lx),
                      Catch::Contains(fn) && Catch::Contains("X has zero variance"));
}

TEST_CASE("mpi cka_curve equals icl::geometry::cka_curve", "[mpi][cka][layers]") {
  const std::size_t n = 19, d = 4;
  std::vector<double> x = sums_test::values(n, d, 5), y = sums_test::values(n, d, 6);
  const auto x1 = sums_test::values(n, d, 7);
  x.insert(x.end(), x1.begin(), x1.end());  // X: 2 layers, Y: layer 0 then X's layer 0
  y.insert(y.end(), x.begin(), x.begin() + static_cast<std::ptrdiff_t>(n * d));
  const auto X = icl::make_tensor_view<double, 3>(x.data(), {2, n, d});
  const auto Y = icl::make_tensor_view<double, 3>(y.data(), {2, n, d});
  const auto expected = icl::geometry::cka_curve(X, Y, true);
  for (const auto& counts : sums_test::splits(n)) {
    const std::size_t first = sums_test::first_row(counts), rows = counts[static_cast<std::size_t>(sums_test::rank())];
    const std::array<std::ptrdiff_t, 3> strides{static_cast<std::ptrdiff_t>(n * d), static_cast<std::ptrdiff_t>(d), 1};
    const auto lx = icl::make_tensor_view<double, 3>(x.data() + first * d, {2, rows, d}, strides);
    const auto ly = icl::make_tensor_view<double, 3>(y.data() + first * d, {2, rows, d}, strides);
    const auto got = icl::mpi::cka_curve(MPI_COMM_WORLD, lx, ly, true);
    icl_test::require_close<double>(got.values, expected.values);
  }
  // X with 2 layers, Y with 1 on every rank.
  const auto one = icl::make_tensor_view<double, 3>(y.data(), {1, 0, d});
  const auto none = icl::make_tensor_view<double, 3>(x.data(), {2, 0, d});
  REQUIRE_THROWS_WITH(icl::mpi::cka_curve(MPI_COMM_WORLD, none, one),
                      Catch::Contains("icl::mpi::cka_curve: X has 2 layers but Y has 1"));
}

TEST_CASE("mpi linear_cka reads f16 and bf16 rows", "[mpi][cka][half]") {
  const std::size_t n = 21, d = 6;
  const auto x = sums_test::values(n, d, 8), y = sums_test::values(n, d, 9);
  std::vector<icl::f16> xh(x.size());
  std::vector<icl::bf16> yb(y.size());
  for (std::size_t k = 0; k < x.size(); ++k) {
    xh[k] = icl::f16(static_cast<float>(x[k]));
    yb[k] = icl::bf16(static_cast<float>(y[k]));
  }
  const auto X = icl::make_matrix_view(xh.data(), n, d);
  const auto Y = icl::make_matrix_view(yb.data(), n, d);
  const double expected = icl::geometry::linear_cka(X, Y);
  for (const auto& counts : sums_test::splits(n)) {
    REQUIRE(icl::mpi::linear_cka(MPI_COMM_WORLD, sums_test::local_rows(X, counts), sums_test::local_rows(Y, counts)) ==
            Approx(expected).epsilon(1e-4));
  }
}
