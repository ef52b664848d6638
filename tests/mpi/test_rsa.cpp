// icl::mpi::compare and icl::mpi::permutation_test against the single-process functions: every
// comparison, RDMs whole or distributed, the permutations shared out (the same p-value and null
// distribution at any number of ranks, a rank with no permutations); the errors on every rank.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <vector>

#include "icl/mpi/rdm.hpp"
#include "icl/mpi/rsa.hpp"
#include "icl/rsa/compare.hpp"
#include "icl/rsa/inference.hpp"
#include "icl/rsa/rdm.hpp"
#include "ring_support.hpp"
#include "sums_support.hpp"

namespace {

using ring_test::message_of;
using sums_test::rank;
using sums_test::ranks;

const icl::rsa::comparison all_comparisons[] = {
    icl::rsa::comparison::pearson,        icl::rsa::comparison::spearman, icl::rsa::comparison::kendall_tau_a,
    icl::rsa::comparison::kendall_tau_b,  icl::rsa::comparison::rho_a,    icl::rsa::comparison::cosine,
    icl::rsa::comparison::whitened_cosine};

// The RDMs compared below: activations (n x d) and a model from other values.
struct rdms {
  std::vector<double> values;
  icl::matrix_view<const double> X;
  icl::rsa::rdm model;
};

rdms make_rdms(std::size_t n, std::size_t d) {
  rdms out{sums_test::values(n, d, 21), {}, {}};
  out.X = icl::make_matrix_view(static_cast<const double*>(out.values.data()), n, d);
  const std::vector<double> other = sums_test::values(n, 3, 22);
  out.model = icl::rsa::compute_rdm(icl::make_matrix_view(other.data(), n, 3), icl::rsa::dissimilarity::euclidean);
  return out;
}

}  // namespace

TEST_CASE("mpi compare equals the single-process comparison", "[mpi][rsa]") {
  const std::size_t n = 13;
  const rdms data = make_rdms(n, 6);
  const auto dis = icl::rsa::dissimilarity::correlation;
  const icl::rsa::rdm expected_rdm = icl::rsa::compute_rdm(data.X, dis);
  for (const auto& counts : sums_test::splits(n)) {
    const auto local = sums_test::local_rows(data.X, counts);
    const icl::rsa::rdm whole = icl::mpi::compute_rdm(MPI_COMM_WORLD, local, dis);
    const auto shared = icl::mpi::compute_rdm_distributed(MPI_COMM_WORLD, local, dis);
    for (const auto c : all_comparisons) {
      INFO(icl::rsa::to_string(c) << ", rows here " << local.rows());
      const double expected = icl::rsa::compare(expected_rdm, data.model, c);
      CHECK(icl::mpi::compare(MPI_COMM_WORLD, whole, data.model, c) == Approx(expected).epsilon(1e-10));
      CHECK(icl::mpi::compare(MPI_COMM_WORLD, shared, data.model, c) == Approx(expected).epsilon(1e-10));
    }
  }
}

TEST_CASE("mpi permutation_test: the single-process p-value at any number of ranks", "[mpi][rsa]") {
  const std::size_t n = 9;
  const rdms data = make_rdms(n, 4);
  const icl::rsa::rdm a = icl::rsa::compute_rdm(data.X, icl::rsa::dissimilarity::euclidean);
  for (const auto c :
       {icl::rsa::comparison::pearson, icl::rsa::comparison::spearman, icl::rsa::comparison::kendall_tau_b}) {
    // N = 2: with 3 ranks one rank has no permutation.
    for (const std::size_t count : {std::size_t{2}, std::size_t{157}}) {
      icl::rsa::permutation_params params;
      params.permutations = count;
      params.seed = 7;
      params.keep_null = true;
      params.alt = icl::rsa::alternative::greater;
      INFO(icl::rsa::to_string(c) << ", N = " << count);
      const auto expected = icl::rsa::permutation_test(a, data.model, c, params);
      const auto got = icl::mpi::permutation_test(MPI_COMM_WORLD, a, data.model, c, params);
      CHECK(got.statistic == expected.statistic);
      CHECK(got.p_value == expected.p_value);
      CHECK(got.permutations == count);
      CHECK(got.null_distribution == expected.null_distribution);
      params.keep_null = false;
      CHECK(icl::mpi::permutation_test(MPI_COMM_WORLD, a, data.model, c, params).p_value == expected.p_value);
    }
  }
}

TEST_CASE("mpi compare and permutation_test: errors on every rank alike", "[mpi][rsa]") {
  const rdms data = make_rdms(7, 4);
  const icl::rsa::rdm a = icl::rsa::compute_rdm(data.X, icl::rsa::dissimilarity::euclidean);
  const rdms smaller = make_rdms(6, 4);
  const std::string rank0 = " (rank 0)";
  CHECK(message_of([&] { icl::mpi::compare(MPI_COMM_WORLD, a, smaller.model, icl::rsa::comparison::pearson); }) ==
        message_of([&] {
          icl::rsa::compare(a, smaller.model, icl::rsa::comparison::pearson);
        }).replace(0, std::string("icl::rsa::compare").size(), "icl::mpi::compare") +
            rank0);
  icl::rsa::permutation_params params;
  params.permutations = 0;
  CHECK(message_of([&] {
          icl::mpi::permutation_test(MPI_COMM_WORLD, a, data.model, icl::rsa::comparison::pearson, params);
        }) == "icl::mpi::permutation_test: need at least 1 permutation, got 0" + rank0);
  // nan_policy::propagate with a NaN entry: NaN statistic and p-value, as in one process.
  icl::rsa::rdm with_nan = a;
  with_nan.condensed()[3] = std::numeric_limits<double>::quiet_NaN();
  params.permutations = 10;
  params.nan = icl::nan_policy::propagate;
  const auto nan_result =
      icl::mpi::permutation_test(MPI_COMM_WORLD, with_nan, data.model, icl::rsa::comparison::pearson, params);
  CHECK(std::isnan(nan_result.statistic));
  CHECK(std::isnan(nan_result.p_value));
  params.nan = icl::nan_policy::raise;
  // The last rank's hook stops at once: every rank throws icl::error naming it.
  params.permutations = 600;
  const int last = ranks() - 1;
  params.should_stop = [&] { return rank() == last; };
  const std::size_t share = 600 - 600 * static_cast<std::size_t>(last) / static_cast<std::size_t>(ranks());
  bool caught_error = false;
  try {
    icl::mpi::permutation_test(MPI_COMM_WORLD, a, data.model, icl::rsa::comparison::pearson, params);
  } catch (const icl::error& e) {
    caught_error = true;
    CHECK(std::string(e.what()) == "icl::mpi::permutation_test: interrupted after 0 of " + std::to_string(share) +
                                       " permutations (rank " + std::to_string(last) + ")");
  }
  CHECK(caught_error);
}
