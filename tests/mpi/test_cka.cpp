// icl::mpi::linear_cka, cka_curve and cka_matrix against icl::geometry's on the concatenated
// rows: float and double, row-major and strided (column-major, padded; layers interleaved)
// inputs, even and uneven splits and a rank without rows; and their errors, raised alike on
// every rank.
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <mpi.h>

#include "icl/geometry/cka.hpp"
#include "icl/mpi/cka.hpp"
#include "ring_support.hpp"
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

namespace {

/// This rank's rows of a [layers, n, d] tensor under `counts` (a view with the tensor's strides).
template <class T>
icl::tensor_view<const T, 3> local_layers(icl::tensor_view<const T, 3> H, const std::vector<std::size_t>& counts) {
  const std::size_t first = sums_test::first_row(counts), rows = counts[static_cast<std::size_t>(sums_test::rank())];
  return icl::make_tensor_view<T, 3>(H.data() + static_cast<std::ptrdiff_t>(first) * H.strides()[1],
                                     {H.extent(0), rows, H.extent(2)}, H.strides());
}

/// `layers` layers of n x d values; layer l > 0 shares some structure with layer l − 1.
std::vector<double> layer_values(std::size_t layers, std::size_t n, std::size_t d, std::uint64_t seed) {
  std::vector<double> out;
  for (std::size_t l = 0; l < layers; ++l) {
    auto v = sums_test::values(n, d, seed + 10 * l);
    if (l > 0)
      for (std::size_t k = 0; k < n * d; ++k) v[k] += 0.7 * out[(l - 1) * n * d + k];
    out.insert(out.end(), v.begin(), v.end());
  }
  return out;
}

/// The smallest and largest value of each entry over all ranks are equal.
void require_same_on_every_rank(const std::vector<double>& values) {
  std::vector<double> lo(values), hi(values);
  MPI_Allreduce(MPI_IN_PLACE, lo.data(), static_cast<int>(lo.size()), MPI_DOUBLE, MPI_MIN, MPI_COMM_WORLD);
  MPI_Allreduce(MPI_IN_PLACE, hi.data(), static_cast<int>(hi.size()), MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  REQUIRE(lo == hi);
}

}  // namespace

TEMPLATE_TEST_CASE("mpi cka_matrix equals icl::geometry::cka_matrix", "[mpi][cka][matrix]", float, double) {
  const std::size_t n = 23, lx = 3, dx = 5, ly = 2, dy = 3;
  const auto x = layer_values(lx, n, dx, 11);
  auto y = layer_values(ly, n, dy, 12);
  for (std::size_t i = 0; i < n; ++i) y[i * dy] += x[i * dx + 1];  // Y's layer 0 shares X's layer 0
  const auto xs = icl_test::both_layer_layouts<TestType>(x, lx, n, dx);
  const auto ys = icl_test::both_layer_layouts<TestType>(y, ly, n, dy);
  for (const bool debiased : {false, true}) {
    const auto expected = icl::geometry::cka_matrix(xs.contiguous_view(), ys.contiguous_view(), debiased);
    const auto expected_xx = icl::geometry::cka_matrix(xs.contiguous_view(), debiased);
    for (const auto& counts : sums_test::splits(n)) {
      for (const bool strided : {false, true}) {
        INFO("debiased " << debiased << ", strided " << strided << ", rank 0 rows " << counts[0]);
        const auto X = strided ? xs.interleaved_view() : xs.contiguous_view();
        const auto Y = strided ? ys.contiguous_view() : ys.interleaved_view();
        const auto got =
            icl::mpi::cka_matrix(MPI_COMM_WORLD, local_layers(X, counts), local_layers(Y, counts), debiased);
        REQUIRE(got.rows() == lx);
        REQUIRE(got.cols() == ly);
        icl_test::require_close<TestType>(got.values(), expected.values());
        require_same_on_every_rank(got.values());
        // One tensor: X's Grams serve both sides; symmetric, ones on the diagonal.
        const auto self = icl::mpi::cka_matrix(MPI_COMM_WORLD, local_layers(X, counts), debiased);
        icl_test::require_close<TestType>(self.values(), expected_xx.values());
        for (std::size_t a = 0; a < lx; ++a) {
          REQUIRE(self(a, a) == 1.0);
          for (std::size_t b = 0; b < a; ++b) REQUIRE(self(a, b) == self(b, a));
        }
        require_same_on_every_rank(self.values());
      }
    }
  }
}

TEST_CASE("mpi cka_matrix: a pending receive of the caller's takes none of its messages", "[mpi][cka][matrix]") {
  const std::size_t n = 13, layers = 2, d = 3;
  const auto xs = icl_test::both_layer_layouts<double>(layer_values(layers, n, d, 7), layers, n, d);
  const auto counts = sums_test::splits(n).back();
  const auto expected = icl::geometry::cka_matrix(xs.contiguous_view());
  ring_test::caller_receive pending;
  const auto got = icl::mpi::cka_matrix(MPI_COMM_WORLD, local_layers(xs.contiguous_view(), counts));
  icl_test::require_close<double>(got.values(), expected.values());
  CHECK(pending.finish() == ring_test::caller_receive::expected());
}

TEST_CASE("mpi cka_matrix over several blocks per rank, mixed types", "[mpi][cka][matrix]") {
  // More rows than one 256-row block on some rank, at every split.
  const std::size_t n = 601, lx = 2, dx = 4, ly = 3, dy = 6;
  const auto x = layer_values(lx, n, dx, 21);
  const auto y = layer_values(ly, n, dy, 22);
  const auto X = icl::make_tensor_view<double, 3>(x.data(), {lx, n, dx});
  const std::vector<float> yf(y.begin(), y.end());
  const auto Y = icl::make_tensor_view<float, 3>(yf.data(), {ly, n, dy});
  for (const bool debiased : {false, true}) {
    const auto expected = icl::geometry::cka_matrix(X, Y, debiased);  // in double, as double X
    for (const auto& counts : sums_test::splits(n)) {
      INFO("debiased " << debiased << ", rank 0 rows " << counts[0]);
      const auto got = icl::mpi::cka_matrix(MPI_COMM_WORLD, local_layers(X, counts), local_layers(Y, counts), debiased);
      icl_test::require_close<double>(got.values(), expected.values());
    }
  }
}

TEST_CASE("mpi cka_matrix errors are raised on every rank", "[mpi][cka][matrix][errors]") {
  const int rank = sums_test::rank(), last = sums_test::ranks() - 1;
  const std::size_t n = 8, layers = 2, d = 4;
  const auto x = layer_values(layers, n, d, 31);
  const auto X = icl::make_tensor_view<double, 3>(x.data(), {layers, n, d});
  const auto counts = sums_test::splits(n).front();
  const auto lx = local_layers(X, counts);
  const std::string fn = "icl::mpi::cka_matrix";
  const std::string at_last = "(rank " + std::to_string(last) + ")";
  const auto sub = [&](std::size_t l, std::size_t rows, std::size_t cols) {
    return icl::make_tensor_view<double, 3>(lx.data(), {l, rows, cols}, lx.strides());
  };
  // Rows per layer of X and Y differ on the last rank.
  const auto short_y = sub(layers, rank == last ? lx.extent(1) - 1 : lx.extent(1), d);
  REQUIRE_THROWS_AS(icl::mpi::cka_matrix(MPI_COMM_WORLD, lx, short_y), icl::invalid_argument);
  REQUIRE_THROWS_WITH(icl::mpi::cka_matrix(MPI_COMM_WORLD, lx, short_y),
                      Catch::Contains(fn) && Catch::Contains("rows per layer but Y has") && Catch::Contains(at_last));
  // No layers (on the last rank).
  REQUIRE_THROWS_WITH(icl::mpi::cka_matrix(MPI_COMM_WORLD, lx, sub(rank == last ? 0 : layers, lx.extent(1), d)),
                      Catch::Contains(fn) && Catch::Contains("Y has no layers") && Catch::Contains(at_last));
  if (last > 0) {
    // A layer count, or a width, that differs between ranks.
    REQUIRE_THROWS_WITH(icl::mpi::cka_matrix(MPI_COMM_WORLD, sub(rank == last ? 1 : layers, lx.extent(1), d), lx),
                        Catch::Contains(fn) &&
                            Catch::Contains("rank " + std::to_string(last) + " has X layers 1, rank 0 has X layers 2"));
    REQUIRE_THROWS_AS(icl::mpi::cka_matrix(MPI_COMM_WORLD, lx, sub(layers, lx.extent(1), rank == last ? 3 : d)),
                      icl::invalid_argument);
    REQUIRE_THROWS_WITH(icl::mpi::cka_matrix(MPI_COMM_WORLD, lx, sub(layers, lx.extent(1), rank == last ? 3 : d)),
                        Catch::Contains("rank " + std::to_string(last) + " has Y width 3"));
  }
  // Too few rows over all ranks: 3 (debiased needs n > 3), 1 (n >= 2), all on the last rank.
  const auto three = sub(layers, rank == last ? 3 : 0, d);
  REQUIRE_THROWS_WITH(icl::mpi::cka_matrix(MPI_COMM_WORLD, three, true),
                      Catch::Contains(fn) && Catch::Contains("debiased CKA needs n > 3 rows, got n = 3"));
  REQUIRE_NOTHROW(icl::mpi::cka_matrix(MPI_COMM_WORLD, three));
  REQUIRE_THROWS_WITH(icl::mpi::cka_matrix(MPI_COMM_WORLD, sub(layers, rank == last ? 1 : 0, d)),
                      Catch::Contains(fn) && Catch::Contains("need n >= 2 rows, got n = 1"));
  // NaN in layer 1 of Y on the last rank: tensor, layer, global row, column and rank named.
  std::vector<double> bad(x);
  bad[(1 * n + n - 1) * d + 2] = std::numeric_limits<double>::quiet_NaN();
  const auto B = icl::make_tensor_view<double, 3>(bad.data(), {layers, n, d});
  const std::string where = "Y layer 1 row " + std::to_string(n - 1) + " column 2 is nan (NaN/Inf not allowed)";
  REQUIRE_THROWS_WITH(icl::mpi::cka_matrix(MPI_COMM_WORLD, lx, local_layers(B, counts)),
                      Catch::Contains(fn) && Catch::Contains(where) && Catch::Contains(at_last));
  bad[(1 * n + n - 1) * d + 2] = std::numeric_limits<double>::infinity();
  REQUIRE_THROWS_WITH(icl::mpi::cka_matrix(MPI_COMM_WORLD, local_layers(B, counts)),
                      Catch::Contains("X layer 1 row " + std::to_string(n - 1) + " column 2 is inf") &&
                          Catch::Contains(at_last));
  // Zero variance in one layer (every row equal): the single-process message, on every rank.
  std::vector<double> flat(x);
  std::fill(flat.begin() + static_cast<std::ptrdiff_t>(n * d), flat.end(), 1.5);
  const auto F = icl::make_tensor_view<double, 3>(flat.data(), {layers, n, d});
  REQUIRE_THROWS_WITH(icl::mpi::cka_matrix(MPI_COMM_WORLD, lx, local_layers(F, counts)),
                      Catch::Contains(fn) && Catch::Contains("Y has zero variance"));
  REQUIRE_THROWS_WITH(icl::mpi::cka_matrix(MPI_COMM_WORLD, lx, local_layers(F, counts), true),
                      Catch::Contains(fn) && Catch::Contains("unbiased HSIC estimate of Y"));
}
