// icl::mpi geometry against icl::geometry on the concatenated rows: effective dimension,
// directional separability and separability (per-pair probes on the same splits), float and
// double, row-major and strided, even and uneven splits and a rank without rows; and errors.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <mpi.h>

#include "icl/geometry/alignment.hpp"
#include "icl/geometry/spectrum.hpp"
#include "icl/mpi/geometry.hpp"
#include "sums_support.hpp"
#include "support/views.hpp"

namespace {

constexpr std::size_t n = 37, d = 5;

}  // namespace

TEMPLATE_TEST_CASE("mpi geometry equals one process on the concatenated rows", "[mpi][geometry]", float, double) {
  const auto x = sums_test::values(n, d, 21);
  const auto xs = icl_test::all_layouts<TestType>(x, n, d);
  const double tol = icl_test::tolerance<TestType>();
  const auto two = sums_test::classes(x, n, d, 2, -1), three = sums_test::classes(x, n, d, 3, -1);
  const std::vector<double> u{1.0, 0.0, -1.0, 0.2, 0.0};
  const double effdim = icl::geometry::effective_dimension(xs[0].view);
  const double directional = icl::geometry::directional_separability(xs[0].view, two, u);
  const auto sep = icl::geometry::separability(xs[0].view, three);
  const auto splits = sums_test::splits(n);
  for (std::size_t split = 0; split < splits.size(); ++split) {
    for (const auto& X : xs) {
      INFO("rank 0 rows " << splits[split][0]);
      const auto lx = sums_test::local_rows(X.view, splits[split]);
      REQUIRE(icl::mpi::effective_dimension(MPI_COMM_WORLD, lx) == Approx(effdim).epsilon(tol));
      REQUIRE(icl::mpi::directional_separability(MPI_COMM_WORLD, lx, sums_test::local_entries(two, splits[split]), u) ==
              directional);
    }
    const auto got = icl::mpi::separability(MPI_COMM_WORLD, sums_test::local_rows(xs[split % 2].view, splits[split]),
                                            sums_test::local_entries(three, splits[split]));
    REQUIRE(got.pairs.size() == sep.pairs.size());
    for (std::size_t k = 0; k < got.pairs.size(); ++k) {
      REQUIRE(got.pairs[k].label_a == sep.pairs[k].label_a);
      REQUIRE(got.pairs[k].n_b == sep.pairs[k].n_b);
      REQUIRE(got.pairs[k].separability == sep.pairs[k].separability);
    }
    REQUIRE(got.separability == Approx(sep.separability).epsilon(1e-12));
  }
}

TEST_CASE("mpi geometry errors are raised on every rank", "[mpi][geometry][errors]") {
  const int rank = sums_test::rank(), last = sums_test::ranks() - 1;
  const auto x = sums_test::values(n, d, 22);
  const auto counts = sums_test::splits(n).front();
  const auto X = icl_test::row_major<double>(x, n, d);
  const auto lx = sums_test::local_rows(X.view, counts);
  const auto labels = sums_test::local_entries(sums_test::classes(x, n, d, 2, -1), counts);
  using Catch::Contains;
  // One row overall.
  const auto one = icl::make_matrix_view(lx.data(), rank == last ? 1 : 0, d);
  REQUIRE_THROWS_WITH(icl::mpi::effective_dimension(MPI_COMM_WORLD, one),
                      Contains("icl::mpi::effective_dimension: need n >= 2 rows and d >= 1 columns, got 1 x 5"));
  // Every row equal.
  const std::vector<double> flat(n * d, 0.25);
  const auto F = icl_test::row_major<double>(flat, n, d);
  REQUIRE_THROWS_WITH(icl::mpi::effective_dimension(MPI_COMM_WORLD, sums_test::local_rows(F.view, counts)),
                      Contains("zero variance"));
  // NaN on the last rank.
  std::vector<double> bad(x);
  bad[(n - 1) * d] = std::numeric_limits<double>::quiet_NaN();
  const auto B = icl_test::row_major<double>(bad, n, d);
  REQUIRE_THROWS_WITH(icl::mpi::effective_dimension(MPI_COMM_WORLD, sums_test::local_rows(B.view, counts)),
                      Contains(std::to_string(n - 1)) && Contains("(rank " + std::to_string(last) + ")"));
  // u of the wrong length on the last rank.
  const std::vector<double> u(rank == last ? d - 1 : d, 1.0);
  REQUIRE_THROWS_WITH(icl::mpi::directional_separability(MPI_COMM_WORLD, lx, labels, u),
                      Contains("u has 4 entries but H has d = 5") && Contains("(rank " + std::to_string(last) + ")"));
  // Three classes where directional separability needs two; a class with one row for separability.
  auto more = labels;
  if (rank == last) more.back() = 9;
  REQUIRE_THROWS_WITH(icl::mpi::directional_separability(MPI_COMM_WORLD, lx, more, std::vector<double>(d, 1.0)),
                      Contains("labels hold 3 classes, need exactly 2"));
  REQUIRE_THROWS_WITH(icl::mpi::separability(MPI_COMM_WORLD, lx, more),
                      Contains("icl::mpi::separability: label 9 has 1 row(s)"));
  // Two label directions for three classes over all ranks.
  const auto dirs = icl_test::row_major<double>(sums_test::values(2, d, 25), 2, d);
  REQUIRE_THROWS_WITH(icl::mpi::separability_alignment(MPI_COMM_WORLD, lx, more, dirs.view),
                      Contains("icl::mpi::separability_alignment: label_directions has 2 rows but the labels hold 3"));
}

TEMPLATE_TEST_CASE("mpi separability_alignment equals one process", "[mpi][geometry][alignment]", float, double) {
  // 3 classes, one label direction each. At d = 5 the pairs (about 25 rows) take the covariance
  // route in one process too; at d = 30 one process takes the Gram route, the ranks the covariance.
  for (const std::size_t width : {d, std::size_t{30}}) {
    const auto x = sums_test::values(n, width, 23);
    const auto labels = sums_test::classes(x, n, width, 3, 2);
    const auto dirs = sums_test::values(3, width, 24);
    const auto xs = icl_test::all_layouts<TestType>(x, n, width);
    const auto D = icl_test::row_major<double>(dirs, 3, width);
    icl::geometry::separability_alignment_params params;
    params.denoise_rank = 2;
    const auto expected = icl::geometry::separability_alignment(xs[0].view, labels, D.view, params);
    const auto splits = sums_test::splits(n);
    for (std::size_t split = 0; split < splits.size(); ++split) {
      INFO("d " << width << ", rank 0 rows " << splits[split][0]);
      const auto got = icl::mpi::separability_alignment(MPI_COMM_WORLD, sums_test::local_rows(xs[split % 2].view, splits[split]),
                                                        sums_test::local_entries(labels, splits[split]), D.view, params);
      icl_test::require_close<TestType>(
          {got.directional_separability, got.output_alignment, got.singular_alignment, got.variance_alignment,
           got.mean_alignment, got.composite_alignment, got.effective_dimension, got.denoised_output_alignment,
           got.output_alignment_all_classes},
          {expected.directional_separability, expected.output_alignment, expected.singular_alignment,
           expected.variance_alignment, expected.mean_alignment, expected.composite_alignment,
           expected.effective_dimension, expected.denoised_output_alignment, expected.output_alignment_all_classes});
      REQUIRE(got.separability == Approx(expected.separability).epsilon(1e-12));
    }
  }
}
