// icl::mpi::compute_rdm (and its distributed and root forms) against icl::rsa::compute_rdm on the
// rows of all ranks: every dissimilarity, float, double and f16, contiguous and column-major
// input, even and uneven splits and a rank with no rows; the errors, alike on every rank.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <vector>

#include "icl/mpi/rdm.hpp"
#include "icl/rsa/rdm.hpp"
#include "ring_support.hpp"
#include "support/views.hpp"
#include "sums_support.hpp"

namespace {

using ring_test::message_of;
using sums_test::rank;
using sums_test::ranks;

const icl::rsa::dissimilarity all_dissimilarities[] = {
    icl::rsa::dissimilarity::euclidean, icl::rsa::dissimilarity::sqeuclidean,
    icl::rsa::dissimilarity::sqeuclidean_per_feature, icl::rsa::dissimilarity::correlation,
    icl::rsa::dissimilarity::cosine};

void check_same(const icl::rsa::rdm& got, const icl::rsa::rdm& expected, double tolerance) {
  REQUIRE(got.n() == expected.n());
  for (std::size_t k = 0; k < got.size(); ++k) {
    INFO("pair " << k);
    CHECK(got.condensed()[k] == Approx(expected.condensed()[k]).epsilon(tolerance).margin(tolerance));
  }
}

}  // namespace

TEMPLATE_TEST_CASE("mpi compute_rdm equals the single-process RDM", "[mpi][rdm]", float, double) {
  const std::size_t n = 23, d = 7;
  const double tolerance = std::is_same_v<TestType, float> ? 1e-5 : 1e-10;
  const std::vector<double> values = sums_test::values(n, d, 11);
  for (const auto& layout : icl_test::all_layouts<TestType>(values, n, d)) {
    const auto X = layout.view;
    const bool column_major = X.col_stride() != 1;
    for (const auto& counts : sums_test::splits(n)) {
      const auto local = sums_test::local_rows(X, counts);
      for (const auto dis : all_dissimilarities) {
        INFO("column-major " << column_major << ", " << icl::rsa::to_string(dis) << ", rows here " << local.rows());
        // On the column-major input, blocks of 4 rows: the tiles between ranks are cut into
        // several Gram blocks.
        icl::rsa::rdm_params params;
        params.block_rows = column_major ? 4 : 0;
        check_same(icl::mpi::compute_rdm(MPI_COMM_WORLD, local, dis, params), icl::rsa::compute_rdm(X, dis), tolerance);
      }
      const auto dis = icl::rsa::dissimilarity::correlation;
      const icl::rsa::rdm expected = icl::rsa::compute_rdm(X, dis);
      const auto at_root = icl::mpi::compute_rdm_root(MPI_COMM_WORLD, local, dis, ranks() - 1);
      CHECK(at_root.has_value() == (rank() == ranks() - 1));
      if (at_root) check_same(*at_root, expected, tolerance);
      const auto shared = icl::mpi::compute_rdm_distributed(MPI_COMM_WORLD, local, dis);
      // Every position belongs to exactly one rank.
      unsigned long long held = shared.local_values().size();
      icl::mpi::detail::allreduce_sum(MPI_COMM_WORLD, &held, 1);
      CHECK(held == expected.size());
      for (std::size_t r = 0, k = 0; r < shared.local_runs().size(); ++r) {
        for (std::size_t j = 0; j < shared.local_runs()[r].length; ++j, ++k) {
          CHECK(shared.local_values()[k] ==
                Approx(expected.condensed()[shared.local_runs()[r].first + j]).epsilon(tolerance).margin(tolerance));
        }
      }
      check_same(icl::mpi::allgather_rdm(MPI_COMM_WORLD, shared), expected, tolerance);
      const auto gathered = icl::mpi::gather_rdm(MPI_COMM_WORLD, shared);
      if (rank() == 0) check_same(*gathered, expected, tolerance);
    }
  }
}

TEST_CASE("mpi compute_rdm and gather_rdm: a pending receive of the caller's takes none of their messages",
          "[mpi][rdm]") {
  const std::size_t n = 17, d = 5;
  const auto X = icl_test::row_major<double>(sums_test::values(n, d, 3), n, d);
  const auto counts = sums_test::splits(n).back();
  const auto local = sums_test::local_rows(X.view, counts);
  const icl::rsa::rdm expected = icl::rsa::compute_rdm(X.view, icl::rsa::dissimilarity::euclidean);
  ring_test::caller_receive pending;
  check_same(icl::mpi::compute_rdm(MPI_COMM_WORLD, local, icl::rsa::dissimilarity::euclidean), expected, 1e-10);
  const auto gathered = icl::mpi::compute_rdm_root(MPI_COMM_WORLD, local, icl::rsa::dissimilarity::euclidean);
  if (rank() == 0) check_same(*gathered, expected, 1e-10);
  CHECK(pending.finish() == ring_test::caller_receive::expected());
}

TEST_CASE("mpi compute_rdm: half-precision rows", "[mpi][rdm]") {
  const std::size_t n = 10, d = 5;
  const auto half = icl_test::row_major<icl::f16>(sums_test::values(n, d, 3), n, d);
  const auto X = half.view;
  const auto counts = sums_test::splits(n).back();
  check_same(icl::mpi::compute_rdm(MPI_COMM_WORLD, sums_test::local_rows(X, counts), icl::rsa::dissimilarity::cosine),
             icl::rsa::compute_rdm(X, icl::rsa::dissimilarity::cosine), 1e-5);
}

TEST_CASE("mpi compute_rdm: errors on every rank alike", "[mpi][rdm]") {
  const std::size_t n = 8, d = 3;
  const int last = ranks() - 1;
  const std::string last_rank = " (rank " + std::to_string(last) + ")";
  std::vector<double> data = sums_test::values(n, d, 5);
  const auto counts = sums_test::splits(n).front();
  const std::size_t last_first = n - counts.back();
  const auto X = icl::make_matrix_view(static_cast<const double*>(data.data()), n, d);
  const auto local = sums_test::local_rows(X, counts);
  const auto cosine = icl::rsa::dissimilarity::cosine;

  if (ranks() > 1) {
    const auto narrower = icl::make_matrix_view(local.data(), local.rows(), rank() == last ? d - 1 : d, d, 1);
    CHECK(message_of<icl::invalid_argument>([&] { icl::mpi::compute_rdm(MPI_COMM_WORLD, narrower, cosine); }) ==
          "icl::mpi::compute_rdm: rank " + std::to_string(last) + " has width 2, rank 0 has width 3");
  }
  // One row in all.
  const auto one = icl::make_matrix_view(local.data(), rank() == 0 ? 1 : 0, d);
  CHECK(message_of<icl::invalid_argument>([&] { icl::mpi::compute_rdm(MPI_COMM_WORLD, one, cosine); }) ==
        "icl::mpi::compute_rdm: need n >= 2 conditions (rows) over all ranks, got 1");
  // An unknown dissimilarity on the last rank only.
  const auto unknown = static_cast<icl::rsa::dissimilarity>(42);
  CHECK(message_of<icl::invalid_argument>([&] {
          icl::mpi::compute_rdm(MPI_COMM_WORLD, local, rank() == last ? unknown : cosine);
        }) == "icl::mpi::compute_rdm: unknown dissimilarity value 42" + last_rank);
  CHECK(message_of<icl::invalid_argument>([&] {
          icl::mpi::compute_rdm_root(MPI_COMM_WORLD, local, cosine, ranks());
        }) == "icl::mpi::compute_rdm_root: root " + std::to_string(ranks()) + " is not one of the " +
                  std::to_string(ranks()) + " ranks (rank 0)");

  // The last rank's second row: zero (cosine), then NaN.
  const std::size_t bad = last_first + 1;
  for (std::size_t j = 0; j < d; ++j) data[bad * d + j] = 0.0;
  CHECK(message_of<icl::invalid_argument>([&] { icl::mpi::compute_rdm(MPI_COMM_WORLD, local, cosine); }) ==
        "icl::mpi::compute_rdm: row " + std::to_string(bad) + " is all zeros (cosine dissimilarity undefined)" +
            last_rank);
  data[bad * d + 2] = std::numeric_limits<double>::quiet_NaN();
  CHECK(message_of<icl::invalid_argument>([&] { icl::mpi::compute_rdm(MPI_COMM_WORLD, local, cosine); }) ==
        "icl::mpi::compute_rdm: row " + std::to_string(bad) + " column 2 is nan (NaN/Inf not allowed)" + last_rank);
  // nan_policy::propagate: NaN for the pairs of that row, as in one process.
  icl::rsa::rdm_params propagate;
  propagate.nan = icl::nan_policy::propagate;
  const auto got = icl::mpi::compute_rdm(MPI_COMM_WORLD, local, cosine, propagate);
  const auto expected = icl::rsa::compute_rdm(X, cosine, propagate);
  for (std::size_t k = 0; k < got.size(); ++k) {
    if (std::isnan(expected.condensed()[k])) {
      CHECK(std::isnan(got.condensed()[k]));
    } else {
      CHECK(got.condensed()[k] == Approx(expected.condensed()[k]).epsilon(1e-12));
    }
  }
}
