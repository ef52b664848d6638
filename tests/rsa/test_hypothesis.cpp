// icl-test: also-without-blas
// Hypothesis RDMs, rdm_from_square and the within- versus between-group test (METRICS.md 1.3,
// 1.5) against tests/data/rsa_hypothesis.txt and tests/data/rsa_inference.txt.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstddef>
#include <limits>
#include <vector>

#include "icl/rsa/hypothesis.hpp"
#include "icl/rsa/rdm_type.hpp"
#include "support/fixture.hpp"
#include "support/views.hpp"

namespace {

constexpr double nan_value = std::numeric_limits<double>::quiet_NaN();
constexpr double infinity = std::numeric_limits<double>::infinity();

}  // namespace

TEST_CASE("categorical_rdm matches the reference", "[rsa][hypothesis]") {
  const icl_test::fixture_file f("rsa_hypothesis.txt");
  const std::vector<int> labels = f.ints("labels");
  const icl::rsa::rdm r = icl::rsa::categorical_rdm(labels);
  CHECK(r.n() == labels.size());
  CHECK(r.condensed() == f.values("categorical"));

  // Any int values serve as labels: only equality matters.
  std::vector<int> relabelled(labels.size());
  for (std::size_t i = 0; i < labels.size(); ++i) relabelled[i] = labels[i] * -1000 + 7;
  CHECK(icl::rsa::categorical_rdm(relabelled).condensed() == r.condensed());

  // The smallest case and the extremes of int.
  CHECK(icl::rsa::categorical_rdm({3, 3}).condensed() == std::vector<double>{0.0});
  const int lo = std::numeric_limits<int>::min(), hi = std::numeric_limits<int>::max();
  CHECK(icl::rsa::categorical_rdm({lo, hi, lo}).condensed() == std::vector<double>{1.0, 0.0, 1.0});
}

TEST_CASE("parameter_rdm matches the reference", "[rsa][hypothesis]") {
  const icl_test::fixture_file f("rsa_hypothesis.txt");
  const std::vector<double>& params = f.values("params");
  const std::vector<double>& expected = f.values("parameter");
  const icl::rsa::rdm r = icl::rsa::parameter_rdm(params);
  REQUIRE(r.n() == params.size());
  REQUIRE(r.size() == expected.size());
  for (std::size_t k = 0; k < expected.size(); ++k) {
    INFO("pair " << k);
    CHECK(r.condensed()[k] == Approx(expected[k]).epsilon(1e-15).margin(0.0));
  }
  CHECK(icl::rsa::parameter_rdm(params, icl::rsa::parameter_distance::absolute).condensed() == r.condensed());

  const icl::rsa::rdm squared = icl::rsa::parameter_rdm(params, icl::rsa::parameter_distance::squared);
  for (std::size_t k = 0; k < expected.size(); ++k) {
    CHECK(squared.condensed()[k] == Approx(expected[k] * expected[k]).epsilon(1e-14).margin(0.0));
  }
  // Pair (i, j) of the condensed order.
  CHECK(r(2, 5) == Approx(std::abs(params[2] - params[5])).epsilon(1e-15));
  CHECK(r(5, 2) == r(2, 5));
}

TEST_CASE("hypothesis RDMs reject bad input", "[rsa][hypothesis][errors]") {
  using Catch::Contains;
  REQUIRE_THROWS_AS(icl::rsa::categorical_rdm({}), icl::invalid_argument);
  REQUIRE_THROWS_WITH(icl::rsa::categorical_rdm({}),
                      Contains("icl::rsa::categorical_rdm: need at least 2 labels, got 0"));
  REQUIRE_THROWS_WITH(icl::rsa::categorical_rdm({4}),
                      Contains("icl::rsa::categorical_rdm: need at least 2 labels, got 1"));

  REQUIRE_THROWS_AS(icl::rsa::parameter_rdm({1.5}), icl::invalid_argument);
  REQUIRE_THROWS_WITH(icl::rsa::parameter_rdm({1.5}),
                      Contains("icl::rsa::parameter_rdm: need at least 2 values, got 1"));
  REQUIRE_THROWS_WITH(icl::rsa::parameter_rdm({0.0, 1.0, 2.0, nan_value}),
                      Contains("icl::rsa::parameter_rdm: value 3 is nan"));
  REQUIRE_THROWS_WITH(icl::rsa::parameter_rdm({infinity, 1.0}),
                      Contains("icl::rsa::parameter_rdm: value 0 is inf"));
  const double big = std::numeric_limits<double>::max();
  REQUIRE_THROWS_WITH(icl::rsa::parameter_rdm({0.0, big, -big}),
                      Contains("icl::rsa::parameter_rdm: the distance of values 1 and 2"));
  REQUIRE_THROWS_WITH(icl::rsa::parameter_rdm({0.0, 1e200}, icl::rsa::parameter_distance::squared),
                      Contains("icl::rsa::parameter_rdm: the distance of values 0 and 1"));
  REQUIRE_THROWS_WITH(icl::rsa::parameter_rdm({0.0, 1.0}, static_cast<icl::rsa::parameter_distance>(9)),
                      Contains("icl::rsa::parameter_rdm: unknown parameter_distance 9"));
}

TEMPLATE_TEST_CASE("rdm_from_square keeps the upper triangle in squareform order", "[rsa][hypothesis]", float,
                   double) {
  const icl_test::fixture_file f("rsa_hypothesis.txt");
  const std::vector<std::size_t>& shape = f.shape("square");
  REQUIRE(shape == std::vector<std::size_t>{9, 9});
  const std::size_t n = shape[0];
  const std::vector<double>& expected = f.values("square_condensed");

  // Row-major contiguous and column-major with leading dimension n + 3 (padding holds garbage).
  for (const auto& layout : icl_test::all_layouts<TestType>(f.values("square"), n, n)) {
    INFO("row stride " << layout.view.row_stride() << ", col stride " << layout.view.col_stride());
    const icl::rsa::rdm r = icl::rsa::rdm_from_square(layout.view);
    REQUIRE(r.n() == n);
    icl_test::require_close<TestType>(r.condensed(), expected);
    // The transpose of a symmetric matrix gives the same RDM.
    CHECK(icl::rsa::rdm_from_square(layout.view.transposed()).condensed() == r.condensed());
  }

  // The explicit form of the brief: a buffer with leading dimension n + 3, viewed column-major.
  const std::vector<double>& square = f.values("square");
  const std::size_t ld = n + 3;
  std::vector<TestType> buffer(ld * n, static_cast<TestType>(nan_value));
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < n; ++j) buffer[i + j * ld] = static_cast<TestType>(square[i * n + j]);
  }
  const auto view = icl::make_matrix_view(buffer.data(), n, n, 1, static_cast<std::ptrdiff_t>(ld));
  icl_test::require_close<TestType>(icl::rsa::rdm_from_square(view).condensed(), expected);

  // Round trip through rdm::square().
  const icl::rsa::rdm from_condensed = icl::rsa::rdm_from_condensed(expected);
  const std::vector<double> full = from_condensed.square();
  CHECK(icl::rsa::rdm_from_square(icl::make_matrix_view(full.data(), n, n)).condensed() == expected);
}

TEMPLATE_TEST_CASE("rdm_from_square rejects bad input", "[rsa][hypothesis][errors]", float, double) {
  using Catch::Contains;
  using T = TestType;
  // A valid 4 x 4 matrix to perturb.
  const std::vector<T> valid{0, 1, 2, 3,  //
                             1, 0, 4, 5,  //
                             2, 4, 0, 6,  //
                             3, 5, 6, 0};
  REQUIRE_NOTHROW(icl::rsa::rdm_from_square(icl::make_matrix_view(valid.data(), 4, 4)));

  REQUIRE_THROWS_AS(icl::rsa::rdm_from_square(icl::make_matrix_view(valid.data(), 4, 3)), icl::invalid_argument);
  REQUIRE_THROWS_WITH(icl::rsa::rdm_from_square(icl::make_matrix_view(valid.data(), 4, 3)),
                      Contains("icl::rsa::rdm_from_square: matrix is 4 x 3, not square"));
  REQUIRE_THROWS_WITH(icl::rsa::rdm_from_square(icl::make_matrix_view(valid.data(), 1, 1)),
                      Contains("icl::rsa::rdm_from_square: need n >= 2 conditions, got 1"));
  const T* null_data = nullptr;
  REQUIRE_THROWS_WITH(icl::rsa::rdm_from_square(icl::make_matrix_view(null_data, 3, 3)),
                      Contains("icl::rsa::rdm_from_square: matrix has a null data pointer"));

  std::vector<T> asymmetric = valid;
  asymmetric[1 * 4 + 2] = static_cast<T>(4.5);
  REQUIRE_THROWS_WITH(icl::rsa::rdm_from_square(icl::make_matrix_view(asymmetric.data(), 4, 4)),
                      Contains("icl::rsa::rdm_from_square: matrix is not symmetric at (1, 2)"));

  std::vector<T> diagonal = valid;
  diagonal[2 * 4 + 2] = static_cast<T>(0.25);
  REQUIRE_THROWS_WITH(icl::rsa::rdm_from_square(icl::make_matrix_view(diagonal.data(), 4, 4)),
                      Contains("icl::rsa::rdm_from_square: diagonal entry (2, 2) is 0.25, not 0"));

  std::vector<T> with_nan = valid;
  with_nan[3 * 4 + 1] = std::numeric_limits<T>::quiet_NaN();
  REQUIRE_THROWS_WITH(icl::rsa::rdm_from_square(icl::make_matrix_view(with_nan.data(), 4, 4)),
                      Contains("icl::rsa::rdm_from_square: entry (3, 1) is nan"));
  std::vector<T> with_inf = valid;
  with_inf[0 * 4 + 2] = std::numeric_limits<T>::infinity();
  REQUIRE_THROWS_WITH(icl::rsa::rdm_from_square(icl::make_matrix_view(with_inf.data(), 4, 4)),
                      Contains("icl::rsa::rdm_from_square: entry (0, 2) is inf"));

  // An asymmetry below the tolerance (relative to the largest entry) is accepted; the upper
  // triangle is kept.
  std::vector<double> nearly(valid.begin(), valid.end());
  nearly[2 * 4 + 1] = 4.0 * (1.0 + 1e-14);
  const icl::rsa::rdm kept = icl::rsa::rdm_from_square(icl::make_matrix_view(nearly.data(), 4, 4));
  CHECK(kept(1, 2) == 4.0);
  REQUIRE_THROWS_WITH(icl::rsa::rdm_from_square(icl::make_matrix_view(nearly.data(), 4, 4), 1e-16),
                      Contains("icl::rsa::rdm_from_square: matrix is not symmetric at (1, 2)"));
}

TEST_CASE("within_between_test matches scipy.stats.ttest_ind(within, between, equal_var=False)",
          "[rsa][hypothesis]") {
  const icl_test::fixture_file f("rsa_inference.txt");
  const icl::rsa::rdm r = icl::rsa::rdm_from_condensed(f.values("w_rdm"));
  const std::vector<int> groups = f.ints("w_groups");
  REQUIRE(r.n() == groups.size());

  // Pair counts from the group sizes: sum over groups of size·(size − 1)/2.
  std::size_t within_pairs = 0;
  for (const int g : groups) {
    std::size_t size = 0;
    for (const int h : groups) size += (g == h) ? 1 : 0;
    within_pairs += size - 1;  // each member counts its partners; halved below
  }
  within_pairs /= 2;
  const std::size_t total = r.size();

  const icl::rsa::group_test_result two = icl::rsa::within_between_test(r, groups);
  CHECK(two.within_pairs == within_pairs);
  CHECK(two.between_pairs == total - within_pairs);
  CHECK(two.test.n_a == two.within_pairs);
  CHECK(two.test.n_b == two.between_pairs);
  CHECK(two.test.t == Approx(f.scalar("welch_t")).epsilon(1e-10));
  CHECK(two.test.df == Approx(f.scalar("welch_df")).epsilon(1e-10));
  CHECK(two.test.p_value == Approx(f.scalar("welch_p_two_sided")).epsilon(1e-9));
  CHECK(two.mean_within == two.test.mean_a);
  CHECK(two.mean_between == two.test.mean_b);
  CHECK(two.mean_within < two.mean_between);  // the fixture's within pairs are 0.25 closer on average

  // Dissimilarities: `less` tests within < between.
  const icl::rsa::group_test_result less = icl::rsa::within_between_test(r, groups, icl::alternative::less);
  CHECK(less.test.p_value == Approx(f.scalar("welch_p_less")).epsilon(1e-9));
  const icl::rsa::group_test_result greater = icl::rsa::within_between_test(r, groups, icl::alternative::greater);
  CHECK(greater.test.p_value == Approx(1.0 - f.scalar("welch_p_less")).epsilon(1e-9));

  // Relabelling the groups changes nothing.
  std::vector<int> relabelled(groups.size());
  for (std::size_t i = 0; i < groups.size(); ++i) relabelled[i] = 100 - 3 * groups[i];
  const icl::rsa::group_test_result again = icl::rsa::within_between_test(r, relabelled);
  CHECK(again.test.t == two.test.t);
  CHECK(again.test.p_value == two.test.p_value);
}

TEST_CASE("within_between_test on the categorical RDM of its own groups", "[rsa][hypothesis]") {
  // Entries 0 within and 1 between: both samples constant, t undefined.
  const std::vector<int> groups{0, 0, 1, 1, 2, 2, 0};
  REQUIRE_THROWS_WITH(icl::rsa::within_between_test(icl::rsa::categorical_rdm(groups), groups),
                      Catch::Contains("icl::rsa::within_between_test: within-group and between-group entries are "
                                      "both constant"));
  // A parameter RDM whose groups are separated: strongly smaller within.
  const icl::rsa::rdm p = icl::rsa::parameter_rdm({0.0, 0.1, 5.0, 5.2, 10.0, 10.05, 0.3});
  const icl::rsa::group_test_result res = icl::rsa::within_between_test(p, groups, icl::alternative::less);
  CHECK(res.within_pairs == 5);
  CHECK(res.between_pairs == 16);
  CHECK(res.test.t < 0.0);
  CHECK(res.test.p_value < 1e-6);
}

TEST_CASE("within_between_test rejects bad input", "[rsa][hypothesis][errors]") {
  using Catch::Contains;
  const icl::rsa::rdm r = icl::rsa::rdm_from_condensed({0.1, 0.9, 0.8, 0.7, 0.85, 0.2});  // n = 4
  REQUIRE_NOTHROW(icl::rsa::within_between_test(r, {0, 0, 1, 1}));

  REQUIRE_THROWS_AS(icl::rsa::within_between_test(r, {0, 0, 1}), icl::invalid_argument);
  REQUIRE_THROWS_WITH(icl::rsa::within_between_test(r, {0, 0, 1}),
                      Contains("icl::rsa::within_between_test: groups has 3 entries but the RDM has n = 4"));
  REQUIRE_THROWS_WITH(icl::rsa::within_between_test(r, {0, 1, 2, 3}),
                      Contains("icl::rsa::within_between_test: only 0 within-group pair(s)"));
  REQUIRE_THROWS_WITH(icl::rsa::within_between_test(r, {0, 0, 1, 2}),
                      Contains("icl::rsa::within_between_test: only 1 within-group pair(s)"));
  REQUIRE_THROWS_WITH(icl::rsa::within_between_test(r, {5, 5, 5, 5}),
                      Contains("icl::rsa::within_between_test: only 0 between-group pair(s)"));
  REQUIRE_THROWS_WITH(icl::rsa::within_between_test(r, {0, 0, 1, 1}, static_cast<icl::alternative>(-1)),
                      Contains("icl::rsa::within_between_test: unknown alternative -1"));

  // The rdm constructor takes values as given; a NaN entry is caught here, named by its pair.
  const icl::rsa::rdm with_nan(4, {0.1, 0.9, nan_value, 0.7, 0.85, 0.2});
  REQUIRE_THROWS_WITH(icl::rsa::within_between_test(with_nan, {0, 0, 1, 1}),
                      Contains("icl::rsa::within_between_test: RDM entry (0, 3) is nan"));

  const icl::rsa::rdm constant(4, {0.5, 2.0, 2.0, 2.0, 2.0, 0.5});
  REQUIRE_THROWS_WITH(icl::rsa::within_between_test(constant, {0, 0, 1, 1}),
                      Contains("icl::rsa::within_between_test: within-group and between-group entries are both "
                               "constant"));

  // Entries whose squares overflow (signed entries occur, e.g. crossnobis estimates).
  const double big = std::numeric_limits<double>::max();
  const icl::rsa::rdm huge(4, {big, 0.9, 0.8, 0.7, 0.85, -big});
  REQUIRE_THROWS_AS(icl::rsa::within_between_test(huge, {0, 0, 1, 1}), icl::error);
  REQUIRE_THROWS_WITH(icl::rsa::within_between_test(huge, {0, 0, 1, 1}),
                      Contains("icl::rsa::within_between_test: icl::stats::welch_t_test: the statistic overflowed"));
}
