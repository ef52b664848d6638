// icl::mpi::compare and icl::mpi::permutation_test against the single-process functions: every
// comparison, RDMs whole or distributed, the permutations shared out (the same p-value and null
// distribution at any number of ranks, a rank with no permutations); the errors on every rank;
// a should_stop hook on one rank stopping every rank at the same boundary.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "icl/core/parallel.hpp"
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
  bool caught_error = false;
  try {
    icl::mpi::permutation_test(MPI_COMM_WORLD, a, data.model, icl::rsa::comparison::pearson, params);
  } catch (const icl::error& e) {
    caught_error = true;
    CHECK(std::string(e.what()) ==
          "icl::mpi::permutation_test: interrupted after 0 of 600 permutations (rank " + std::to_string(last) + ")");
  }
  CHECK(caught_error);
}

TEST_CASE("mpi permutation_test: should_stop is asked on every rank at the same boundaries", "[mpi][rsa][stop]") {
  const rdms data = make_rdms(8, 4);
  const icl::rsa::rdm a = icl::rsa::compute_rdm(data.X, icl::rsa::dissimilarity::euclidean);
  const auto pearson = icl::rsa::comparison::pearson;
  const std::size_t p = static_cast<std::size_t>(ranks());
  const int last = ranks() - 1;
  // The batch of the rounds (256 permutations per thread, the largest over the ranks), and N such
  // that every rank has two whole batches and part of a third: three rounds.
  unsigned long long largest = 256ULL * static_cast<unsigned long long>(std::max(1, icl::max_threads()));
  MPI_Allreduce(MPI_IN_PLACE, &largest, 1, MPI_UNSIGNED_LONG_LONG, MPI_MAX, MPI_COMM_WORLD);
  const auto batch = static_cast<std::size_t>(largest);
  const std::size_t count = p * (2 * batch + 5) + 1;
  icl::rsa::permutation_params params;
  params.permutations = count;
  params.seed = 3;
  params.keep_null = true;
  const auto expected = icl::rsa::permutation_test(a, data.model, pearson, params);
  const auto run = [&] { icl::mpi::permutation_test(MPI_COMM_WORLD, a, data.model, pearson, params); };
  const auto interrupted = [&](std::size_t done, std::size_t of, int by) {
    return "icl::mpi::permutation_test: interrupted after " + std::to_string(done) + " of " + std::to_string(of) +
           " permutations (rank " + std::to_string(by) + ")";
  };
  int calls = 0;

  // A hook that never fires: the single-process result, the hook asked before each round.
  params.should_stop = [&] {
    ++calls;
    return false;
  };
  const auto got = icl::mpi::permutation_test(MPI_COMM_WORLD, a, data.model, pearson, params);
  CHECK(got.p_value == expected.p_value);
  CHECK(got.null_distribution == expected.null_distribution);
  CHECK(calls == 3);

  // One rank's hook fires at its first or second call: every rank stops at that boundary, having
  // asked its own hook as often, with the single-process exception class.
  for (const int stopper : {0, last}) {
    for (const int at : {1, 2}) {
      INFO("rank " << stopper << " stops at call " << at);
      calls = 0;
      params.should_stop = [&] {
        ++calls;
        return rank() == stopper && calls == at;
      };
      CHECK(message_of<icl::error>(run) == interrupted(p * batch * static_cast<std::size_t>(at - 1), count, stopper));
      CHECK(calls == at);
    }
  }
  // In one process the same hook gives the same class and count (the name aside).
  calls = 0;
  params.should_stop = [&] { return ++calls == 2; };
  if (p == 1) {
    std::string single =
        message_of<icl::error>([&] { icl::rsa::permutation_test(a, data.model, pearson, params); });
    calls = 0;
    CHECK(message_of<icl::error>(run) ==
          single.replace(0, std::string("icl::rsa::permutation_test").size(), "icl::mpi::permutation_test") +
              " (rank 0)");
  }
  // Only the last rank has a hook, and it fires at its second call: the others stop too.
  calls = 0;
  params.keep_null = false;
  params.should_stop = nullptr;
  if (rank() == last) params.should_stop = [&] { return ++calls == 2; };
  CHECK(message_of<icl::error>(run) == interrupted(p * batch, count, last));
  CHECK(calls == (rank() == last ? 2 : 0));
  // A hook that throws (on the last rank, at its second call): every rank throws its message.
  calls = 0;
  params.should_stop = [&] {
    if (++calls == 2 && rank() == last) throw std::runtime_error("deadline reached");
    return false;
  };
  CHECK(message_of<icl::error>(run) == "deadline reached (rank " + std::to_string(last) + ")");
  CHECK(calls == 2);
  // N = 2: with 3 ranks rank 0 has no permutation, and its hook still stops every rank.
  params.permutations = 2;
  params.should_stop = [&] { return rank() == 0; };
  CHECK(message_of<icl::error>(run) == interrupted(0, 2, 0));
  // N differing between ranks is rejected before any round.
  if (last > 0) {
    params.permutations = rank() == last ? 3 : 2;
    CHECK(message_of<icl::invalid_argument>(run) == "icl::mpi::permutation_test: rank " + std::to_string(last) +
                                                         " has permutations 3, rank 0 has permutations 2");
  }
}
