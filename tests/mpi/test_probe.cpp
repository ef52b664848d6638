// icl::mpi probes against icl::probe on the concatenated rows: cross-validated logistic accuracy
// (binary and multinomial, stratified and plain folds) and ridge R², the fitted models, float
// and double, row-major and strided inputs, even and uneven splits and a rank without rows; and
// the documented errors, raised alike on every rank.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include <mpi.h>

#include "icl/mpi/probe.hpp"
#include "icl/probe/cross_validation.hpp"
#include "icl/probe/logistic.hpp"
#include "icl/probe/ridge.hpp"
#include "sums_support.hpp"
#include "support/views.hpp"

namespace {

constexpr std::size_t n = 41, d = 4;

std::vector<double> targets_of(const std::vector<double>& x) {
  std::vector<double> y(n);
  for (std::size_t i = 0; i < n; ++i) y[i] = 0.5 * x[i * d] - 2.0 * x[i * d + 2] + std::sin(3.0 * static_cast<double>(i));
  return y;
}

}  // namespace

TEMPLATE_TEST_CASE("mpi cross-validated probes equal one process", "[mpi][probe]", float, double) {
  const auto x = sums_test::values(n, d, 11);
  const auto xs = icl_test::all_layouts<TestType>(x, n, d);
  const double tol = icl_test::tolerance<TestType>();
  const double coef_tol = std::is_same_v<TestType, double> ? 1e-7 : 1e-3;
  const auto targets = targets_of(x);
  icl::probe::ridge_params rp;
  rp.alpha = 0.5;
  for (const bool intercept : {true, false}) {
    rp.fit_intercept = intercept;
    const auto expected = icl::probe::cross_validate_ridge(xs[0].view, targets, rp, icl::probe::cv_params{4, 3, false});
    const auto model = icl::probe::fit_ridge(xs[0].view, targets, rp);
    for (const auto& counts : sums_test::splits(n)) {
      for (const auto& X : xs) {
        INFO("ridge, intercept " << intercept << ", rank 0 rows " << counts[0]);
        const auto lx = sums_test::local_rows(X.view, counts);
        const auto ly = sums_test::local_entries(targets, counts);
        const auto got = icl::mpi::cross_validate_ridge(MPI_COMM_WORLD, lx, ly, rp, icl::probe::cv_params{4, 3, false});
        icl_test::require_close<TestType>(got.fold_scores, expected.fold_scores);
        REQUIRE(got.mean == Approx(expected.mean).epsilon(tol));
        const auto m = icl::mpi::fit_ridge(MPI_COMM_WORLD, lx, ly, rp);
        icl_test::require_close<TestType>(m.coef, model.coef, 10.0);
        icl_test::require_close<TestType>(m.intercept, model.intercept, 10.0);
      }
    }
  }
  icl::probe::logistic_params lp;
  lp.C = 2.0;
  lp.tol = 1e-10;
  lp.max_iter = 500;
  lp.solver = icl::probe::logistic_solver::primal;
  for (const int k : {2, 3}) {  // binary with stratified folds, multinomial with plain folds
    const auto labels = sums_test::classes(x, n, d, k, 0);
    {
      const bool stratified = k == 2;
      const icl::probe::cv_params cv{3, 5, stratified};
      const auto expected = icl::probe::cross_validate_logistic(xs[0].view, labels, lp, cv);
      const auto model = icl::probe::fit_logistic(xs[0].view, labels, lp);
      const auto splits = sums_test::splits(n);
      for (std::size_t split = 0; split < splits.size(); ++split) {
        const auto& counts = splits[split];
        {
          const auto& X = xs[split % 2];  // row-major and strided by turns
          INFO("logistic, classes " << k << ", stratified " << stratified << ", rank 0 rows " << counts[0]);
          const auto lx = sums_test::local_rows(X.view, counts);
          const auto ly = sums_test::local_entries(labels, counts);
          const auto got = icl::mpi::cross_validate_logistic(MPI_COMM_WORLD, lx, ly, lp, cv);
          REQUIRE(got.fold_scores == expected.fold_scores);  // decisions identical
          const auto m = icl::mpi::fit_logistic(MPI_COMM_WORLD, lx, ly, lp);
          REQUIRE(m.classes == model.classes);
          // Two runs of the optimizer (sums in another order): the optimum to its tolerance.
          for (std::size_t i = 0; i < m.coef.size(); ++i) REQUIRE(m.coef[i] == Approx(model.coef[i]).epsilon(coef_tol).margin(coef_tol));
          for (std::size_t i = 0; i < m.intercept.size(); ++i) {
            REQUIRE(m.intercept[i] == Approx(model.intercept[i]).epsilon(coef_tol).margin(coef_tol));
          }
          REQUIRE(m.report.objective == Approx(model.report.objective).epsilon(tol));
        }
      }
    }
  }
}

TEST_CASE("mpi probe errors are raised on every rank", "[mpi][probe][errors]") {
  const int rank = sums_test::rank(), last = sums_test::ranks() - 1;
  const auto x = sums_test::values(n, d, 12);
  const auto X = icl_test::row_major<double>(x, n, d);
  const auto counts = sums_test::splits(n).front();
  const auto lx = sums_test::local_rows(X.view, counts);
  const auto labels = sums_test::local_entries(sums_test::classes(x, n, d, 2, 0), counts);
  const auto targets = sums_test::local_entries(targets_of(x), counts);
  const std::string at_last = "(rank " + std::to_string(last) + ")";
  using Catch::Contains;
  // One label too few on the last rank.
  auto short_labels = labels;
  if (rank == last) short_labels.pop_back();
  REQUIRE_THROWS_WITH(icl::mpi::cross_validate_logistic(MPI_COMM_WORLD, lx, short_labels),
                      Contains("icl::mpi::cross_validate_logistic: labels has") && Contains(at_last));
  // A class with fewer members than folds (label counts over all ranks).
  auto rare = labels;
  if (rank == last) rare.back() = 7;
  REQUIRE_THROWS_WITH(icl::mpi::cross_validate_logistic(MPI_COMM_WORLD, lx, rare),
                      Contains("class 7 has 1 member(s), fewer than folds = 5"));
  // folds > n overall.
  REQUIRE_THROWS_WITH(icl::mpi::cross_validate_ridge(MPI_COMM_WORLD, lx, targets, {}, icl::probe::cv_params{n + 1, 0, false}),
                      Contains("icl::mpi::cross_validate_ridge: folds = 42 must be <= n = 41"));
  // NaN in X on the last rank, named by global row.
  std::vector<double> bad(x);
  bad[(n - 2) * d + 1] = std::numeric_limits<double>::infinity();
  const auto B = icl_test::row_major<double>(bad, n, d);
  REQUIRE_THROWS_WITH(icl::mpi::fit_ridge(MPI_COMM_WORLD, sums_test::local_rows(B.view, counts), targets),
                      Contains("icl::mpi::fit_ridge") && Contains(std::to_string(n - 2)) && Contains(at_last));
  // NaN in the targets: named by global index.
  auto bad_y = targets;
  if (rank == last) bad_y.back() = std::numeric_limits<double>::quiet_NaN();
  REQUIRE_THROWS_WITH(icl::mpi::cross_validate_ridge(MPI_COMM_WORLD, lx, bad_y),
                      Contains("icl::mpi::cross_validate_ridge: y[40] is nan"));
  // The dual solver is refused.
  icl::probe::logistic_params dual;
  dual.solver = icl::probe::logistic_solver::dual;
  REQUIRE_THROWS_AS(icl::mpi::fit_logistic(MPI_COMM_WORLD, lx, labels, dual), icl::invalid_argument);
  // A width that differs between ranks.
  if (last > 0) {
    const auto narrow = icl::make_matrix_view(lx.data(), lx.rows(), rank == last ? d - 1 : d, d, 1);
    REQUIRE_THROWS_WITH(icl::mpi::fit_logistic(MPI_COMM_WORLD, narrow, labels),
                        Contains("rank " + std::to_string(last) + " has width 3"));
  }
}

TEST_CASE("mpi logistic_curve equals icl::probe::logistic_curve", "[mpi][probe][layers]") {
  // Two layers [2, n, d]: the second warm-starts each fold from the first's.
  const auto x0 = sums_test::values(n, d, 13), x1 = sums_test::values(n, d, 14);
  std::vector<double> t(x0);
  t.insert(t.end(), x1.begin(), x1.end());
  const auto labels = sums_test::classes(x0, n, d, 3, 1);
  const auto H = icl::make_tensor_view<double, 3>(t.data(), {2, n, d});
  const auto expected = icl::probe::logistic_curve(H, labels);
  for (const auto& counts : sums_test::splits(n)) {
    const std::size_t first = sums_test::first_row(counts);
    const auto local = icl::make_tensor_view<double, 3>(t.data() + first * d, {2, counts[static_cast<std::size_t>(sums_test::rank())], d},
                                                        {static_cast<std::ptrdiff_t>(n * d), static_cast<std::ptrdiff_t>(d), 1});
    std::vector<icl::probe::cv_result> results;
    const auto got = icl::mpi::logistic_curve(MPI_COMM_WORLD, local, sums_test::local_entries(labels, counts), {}, {}, &results);
    REQUIRE(got.values == expected.values);
    REQUIRE(results.size() == 2);
  }
}

TEST_CASE("mpi probes on explicit folds equal one process", "[mpi][probe][folds]") {
  const auto x = sums_test::values(n, d, 15);
  const auto X = icl_test::row_major<double>(x, n, d);
  const auto labels = sums_test::classes(x, n, d, 2, 0);
  const auto targets = targets_of(x);
  std::vector<std::size_t> folds(n);
  for (std::size_t i = 0; i < n; ++i) folds[i] = (i * 7) % 3;
  const auto expected_logistic = icl::probe::cross_validate_logistic(X.view, labels, {}, folds);
  const auto expected_ridge = icl::probe::cross_validate_ridge(X.view, targets, {}, folds);
  for (const auto& counts : sums_test::splits(n)) {
    const auto lx = sums_test::local_rows(X.view, counts);
    const auto lf = sums_test::local_entries(folds, counts);
    REQUIRE(icl::mpi::cross_validate_logistic(MPI_COMM_WORLD, lx, sums_test::local_entries(labels, counts), {}, lf)
                .fold_scores == expected_logistic.fold_scores);
    icl_test::require_close<double>(
        icl::mpi::cross_validate_ridge(MPI_COMM_WORLD, lx, sums_test::local_entries(targets, counts), {}, lf).fold_scores,
        expected_ridge.fold_scores);
  }
  // One fold id missing on the last rank; a fold with no rows over all ranks.
  const auto counts = sums_test::splits(n).front();
  auto short_folds = sums_test::local_entries(folds, counts);
  if (sums_test::rank() == sums_test::ranks() - 1) short_folds.pop_back();
  REQUIRE_THROWS_WITH(icl::mpi::cross_validate_ridge(MPI_COMM_WORLD, sums_test::local_rows(X.view, counts),
                                                     sums_test::local_entries(targets, counts), {}, short_folds),
                      Catch::Contains("fold_ids has") && Catch::Contains("(rank " + std::to_string(sums_test::ranks() - 1) + ")"));
  auto gap = sums_test::local_entries(folds, counts);
  for (auto& f : gap) f = f == 1 ? 2 : f;
  REQUIRE_THROWS_WITH(icl::mpi::cross_validate_ridge(MPI_COMM_WORLD, sums_test::local_rows(X.view, counts),
                                                     sums_test::local_entries(targets, counts), {}, gap),
                      Catch::Contains("icl::mpi::cross_validate_ridge: fold 1 of 3 is empty"));
}
