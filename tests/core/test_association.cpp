// Behaviour against metric (icl::stats::behaviour_association, METRICS.md 1.5 and 5b): the
// correlations, the least-squares line and the t-test p-values against scipy
// (tests/data/association.txt, made by make_p13_fixtures.py), the permutation p-value against
// an exact enumeration and against the t-test, the bootstrap interval against scipy's in
// distribution, determinism, and every documented error.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "icl/config.hpp"
#include "icl/core/association.hpp"
#include "icl/core/enum_names.hpp"
#include "support/fixture.hpp"

#if ICL_HAS_OPENMP
#include <omp.h>
#endif

using icl::alternative;
using icl::stats::association_params;
using icl::stats::association_result;
using icl::stats::correlation;

namespace {

// x and y interleaved in one buffer, read through views of stride 2.
template <class T>
struct interleaved {
  std::vector<T> buffer;
  icl::tensor_view<const T, 1> x, y;
  interleaved(const std::vector<double>& a, const std::vector<double>& b) : buffer(2 * a.size()) {
    for (std::size_t i = 0; i < a.size(); ++i) {
      buffer[2 * i] = static_cast<T>(a[i]);
      buffer[2 * i + 1] = static_cast<T>(b[i]);
    }
    x = icl::make_tensor_view<T, 1>(buffer.data(), {a.size()}, {2});
    y = icl::make_tensor_view<T, 1>(buffer.data() + 1, {b.size()}, {2});
  }
};

association_params options(correlation c, std::size_t permutations, std::size_t bootstrap_samples, std::uint64_t seed,
                           alternative alt = alternative::two_sided) {
  association_params p;
  p.statistic = c;
  p.alt = alt;
  p.permutations = permutations;
  p.bootstrap_samples = bootstrap_samples;
  p.seed = seed;
  return p;
}

association_params quick(correlation c, alternative alt = alternative::two_sided) {
  return options(c, 2000, 500, 3, alt);
}

std::string alt_name(alternative a) { return std::string(icl::to_string(a)); }
std::string name(correlation c) { return std::string(icl::to_string(c)); }

}  // namespace

TEMPLATE_TEST_CASE("behaviour_association matches scipy's correlations, line and t-test p-values", "[association]",
                   float, double) {
  const icl_test::fixture_file f("association.txt");
  const auto& x = f.values("a_x");
  const auto& y = f.values("a_y");
  const double tol = std::is_same_v<TestType, double> ? 1e-12 : 2e-5;
  const interleaved<TestType> v(x, y);
  std::vector<TestType> xv(x.begin(), x.end()), yv(y.begin(), y.end());
  for (const correlation c : {correlation::pearson, correlation::spearman}) {
    for (const alternative alt : {alternative::two_sided, alternative::greater, alternative::less}) {
      INFO(icl::to_string(c) << " " << alt_name(alt));
      const association_params p = quick(c, alt);
      const association_result r = icl::stats::behaviour_association(v.x, v.y, p);
      CHECK(r.n == x.size());
      CHECK(r.pearson_r == Approx(f.scalar("a_pearson")).margin(tol));
      CHECK(r.spearman_r == Approx(f.scalar("a_spearman")).margin(tol));
      CHECK(r.r_squared == Approx(f.scalar("a_r_squared")).margin(tol));
      CHECK(r.slope == Approx(f.scalar("a_slope")).epsilon(tol * 10).margin(tol));
      CHECK(r.intercept == Approx(f.scalar("a_intercept")).epsilon(tol * 10).margin(tol));
      CHECK(r.statistic == (c == correlation::pearson ? r.pearson_r : r.spearman_r));
      const std::string key = std::string("a_") + name(c) + "_p_" + alt_name(alt);
      CHECK(r.analytic_p_value == Approx(f.scalar(key)).epsilon(std::is_same_v<TestType, double> ? 1e-9 : 1e-4));
      CHECK(r.p_value > 0.0);
      CHECK(r.p_value <= 1.0);
      CHECK(r.ci_low <= r.statistic);
      CHECK(r.ci_high >= r.statistic);
      // The contiguous vector overload gives the same numbers as the strided views.
      const association_result same = icl::stats::behaviour_association(xv, yv, p);
      CHECK(same.p_value == r.p_value);
      CHECK(same.ci_low == r.ci_low);
      CHECK(same.ci_high == r.ci_high);
      CHECK(same.pearson_r == r.pearson_r);
    }
  }
}

TEST_CASE("behaviour_association: the permutation p-value converges to the exact one", "[association][permutation]") {
  const icl_test::fixture_file f("association.txt");
  const auto& x = f.values("e_x");
  const auto& y = f.values("e_y");
  for (const correlation c : {correlation::pearson, correlation::spearman}) {
    for (const alternative alt : {alternative::two_sided, alternative::greater, alternative::less}) {
      INFO(icl::to_string(c) << " " << alt_name(alt));
      const association_params p = options(c, 40000, 0, 17, alt);
      const association_result r = icl::stats::behaviour_association(x, y, p);
      const double exact = f.scalar(std::string("e_exact_") + name(c) + "_" + alt_name(alt));
      // Monte-Carlo error of a binomial proportion: 4.5 standard errors.
      const double se = std::sqrt(exact * (1.0 - exact) / 40000.0);
      CHECK(std::abs(r.p_value - exact) <= 4.5 * se + 1.0 / 40000.0);
      CHECK(std::isnan(r.ci_low));
      CHECK(std::isnan(r.ci_high));
    }
  }
}

TEST_CASE("behaviour_association: the permutation p-value is close to the t-test's for n = 40",
          "[association][permutation]") {
  const icl_test::fixture_file f("association.txt");
  for (const correlation c : {correlation::pearson, correlation::spearman}) {
    INFO(icl::to_string(c));
    const association_params p = options(c, 50000, 0, 0);
    const association_result r = icl::stats::behaviour_association(f.values("t_x"), f.values("t_y"), p);
    const double t_p = f.scalar(std::string("t_") + name(c) + "_p");
    CHECK(r.analytic_p_value == Approx(t_p).epsilon(1e-9));
    CHECK(std::abs(r.p_value - t_p) <= 0.003 + 0.25 * t_p);
    // scipy.stats.permutation_test draws other permutations: both estimate the same p within
    // their Monte-Carlo errors (20000 and 50000 permutations).
    const double scipy_p = f.scalar("t_scipy_permutation_" + name(c) + "_p");
    const double se = std::sqrt(scipy_p * (1.0 - scipy_p) * (1.0 / 20000.0 + 1.0 / 50000.0));
    CHECK(std::abs(r.p_value - scipy_p) <= 4.5 * se + 1e-4);
  }
}

TEST_CASE("behaviour_association: the bootstrap interval agrees with scipy's in distribution", "[association][bootstrap]") {
  const icl_test::fixture_file f("association.txt");
  for (const correlation c : {correlation::pearson, correlation::spearman}) {
    INFO(icl::to_string(c));
    const association_params p = options(c, 0, 20000, 99);
    const association_result r = icl::stats::behaviour_association(f.values("a_x"), f.values("a_y"), p);
    const auto& ci = f.values(std::string("a_boot_") + name(c) + "_ci");
    CHECK(std::isnan(r.p_value));
    CHECK(r.ci_low == Approx(ci[0]).margin(0.04));
    CHECK(r.ci_high == Approx(ci[1]).margin(0.04));
    CHECK(r.standard_error > 0.0);
    CHECK(r.bootstrap_samples == 20000);
    CHECK(r.bootstrap_skipped < 20);
  }
}

TEST_CASE("behaviour_association is deterministic and independent of the thread count", "[association][threads]") {
  const icl_test::fixture_file f("association.txt");
  const auto& x = f.values("t_x");
  const auto& y = f.values("t_y");
  for (const correlation c : {correlation::pearson, correlation::spearman}) {
    association_params p = quick(c);
    p.permutations = 3001;
    p.bootstrap_samples = 777;
    const association_result first = icl::stats::behaviour_association(x, y, p);
    const association_result again = icl::stats::behaviour_association(x, y, p);
    REQUIRE(first.p_value == again.p_value);
    REQUIRE(first.ci_low == again.ci_low);
    REQUIRE(first.ci_high == again.ci_high);
    p.seed = 4;
    const association_result other = icl::stats::behaviour_association(x, y, p);
    REQUIRE((other.p_value != first.p_value || other.ci_low != first.ci_low));
    p.seed = 3;
#if ICL_HAS_OPENMP
    const int threads = omp_get_max_threads();
    for (int t : {1, 2, 3}) {
      omp_set_num_threads(t);
      const association_result r = icl::stats::behaviour_association(x, y, p);
      REQUIRE(r.p_value == first.p_value);
      REQUIRE(r.ci_low == first.ci_low);
      REQUIRE(r.ci_high == first.ci_high);
      REQUIRE(r.standard_error == first.standard_error);
    }
    omp_set_num_threads(threads);
#endif
  }
}

TEST_CASE("behaviour_association: R² is r² of the least-squares line", "[association]") {
  const std::vector<double> x{1, 2, 3, 4, 5, 6}, y{2.1, 3.9, 6.2, 7.8, 10.1, 12.2};
  association_params p;
  p.permutations = 0;
  p.bootstrap_samples = 0;
  const association_result r = icl::stats::behaviour_association(x, y, p);
  double ss_res = 0.0, ss_tot = 0.0, mean = 0.0;
  for (double v : y) mean += v / 6.0;
  for (std::size_t i = 0; i < 6; ++i) {
    const double e = y[i] - (r.intercept + r.slope * x[i]);
    ss_res += e * e;
    ss_tot += (y[i] - mean) * (y[i] - mean);
  }
  CHECK(r.r_squared == Approx(1.0 - ss_res / ss_tot).epsilon(1e-12));
  CHECK(std::isnan(r.p_value));
  CHECK(std::isnan(r.ci_low));
  // A perfect monotone relation: r = 1 and the t-test p-value 0.
  const association_result perfect = icl::stats::behaviour_association(x, x, p);
  CHECK(perfect.pearson_r == 1.0);
  CHECK(perfect.analytic_p_value == 0.0);
}

TEST_CASE("behaviour_association: NaN policies", "[association][nan]") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const std::vector<double> x{1, 2, nan, 4, 5, 6}, y{1.5, 1.9, 3.0, 4.4, 4.8, 6.5};
  association_params p = quick(correlation::pearson);
  p.nan = icl::nan_policy::propagate;
  const association_result r = icl::stats::behaviour_association(x, y, p);
  CHECK(r.n == 6);
  CHECK(std::isnan(r.pearson_r));
  CHECK(std::isnan(r.spearman_r));
  CHECK(std::isnan(r.p_value));
  CHECK(std::isnan(r.ci_low));
  p.nan = icl::nan_policy::omit;
  const association_result o = icl::stats::behaviour_association(x, y, p);
  const association_result dropped =
      icl::stats::behaviour_association(std::vector<double>{1, 2, 4, 5, 6}, std::vector<double>{1.5, 1.9, 4.4, 4.8, 6.5},
                                        quick(correlation::pearson));
  CHECK(o.n == 5);
  CHECK(o.pearson_r == dropped.pearson_r);
  CHECK(o.p_value == dropped.p_value);
  CHECK(o.ci_low == dropped.ci_low);
  // A constant y under propagate: NaN statistics.
  p.nan = icl::nan_policy::propagate;
  const association_result c =
      icl::stats::behaviour_association(std::vector<double>{1, 2, 3, 4}, std::vector<double>{2, 2, 2, 2}, p);
  CHECK(std::isnan(c.pearson_r));
  CHECK(std::isnan(c.r_squared));
  CHECK(std::isnan(c.analytic_p_value));
}

TEST_CASE("behaviour_association: every documented error", "[association][errors]") {
  using Catch::Contains;
  using Catch::StartsWith;
  const auto fn = StartsWith("icl::stats::behaviour_association:");
  const std::vector<double> x{1, 2, 3, 4}, y{1, 3, 2, 5};
  const association_params p;
  REQUIRE_THROWS_AS(icl::stats::behaviour_association(x, std::vector<double>{1, 2, 3}, p), icl::invalid_argument);
  REQUIRE_THROWS_WITH(icl::stats::behaviour_association(x, std::vector<double>{1, 2, 3}, p),
                      fn && Contains("x has 4 values, y has 3"));
  REQUIRE_THROWS_WITH(icl::stats::behaviour_association(std::vector<double>{1, 2}, std::vector<double>{1, 2}, p),
                      fn && Contains("at least 3 pairs, got 2"));
  REQUIRE_THROWS_WITH(icl::stats::behaviour_association(std::vector<double>{1, 1, 1, 1}, y, p),
                      fn && Contains("x is constant") && Contains("propagate"));
  REQUIRE_THROWS_WITH(icl::stats::behaviour_association(x, std::vector<double>{7, 7, 7, 7}, p),
                      fn && Contains("y is constant"));
  const double nan = std::numeric_limits<double>::quiet_NaN();
  REQUIRE_THROWS_WITH(icl::stats::behaviour_association(x, std::vector<double>{1, nan, 2, 5}, p),
                      fn && Contains("y value 1 is nan"));
  REQUIRE_THROWS_WITH(icl::stats::behaviour_association(std::vector<double>{1, 2, 3, INFINITY}, y, p),
                      fn && Contains("x value 3 is inf"));
  association_params omit = p;
  omit.nan = icl::nan_policy::omit;
  REQUIRE_THROWS_WITH(icl::stats::behaviour_association(std::vector<double>{1, nan, 3, nan}, y, omit),
                      fn && Contains("at least 3 pairs, got 2 (after omitting NaN/Inf)"));
  association_params bad = p;
  bad.bootstrap_samples = 1;
  REQUIRE_THROWS_WITH(icl::stats::behaviour_association(x, y, bad), fn && Contains("bootstrap_samples"));
  bad = p;
  bad.confidence = 1.0;
  REQUIRE_THROWS_WITH(icl::stats::behaviour_association(x, y, bad), fn && Contains("confidence"));
  bad = p;
  bad.alt = static_cast<alternative>(7);
  REQUIRE_THROWS_WITH(icl::stats::behaviour_association(x, y, bad), fn && Contains("unknown alternative 7"));
  bad = p;
  bad.statistic = static_cast<correlation>(5);
  REQUIRE_THROWS_WITH(icl::stats::behaviour_association(x, y, bad), fn && Contains("unknown correlation value 5"));
  bad = p;
  bad.nan = static_cast<icl::nan_policy>(9);
  REQUIRE_THROWS_WITH(icl::stats::behaviour_association(x, y, bad), fn && Contains("unknown nan_policy value 9"));
  // Every bootstrap sample of 3 pairs with 2 equal x values is likely constant: fewer than 2
  // defined samples is an icl::error.
  association_params few = p;
  few.permutations = 0;
  few.bootstrap_samples = 2;
  few.seed = 0;
  bool threw_error = false;
  for (std::uint64_t seed = 0; seed < 50 && !threw_error; ++seed) {
    few.seed = seed;
    try {
      icl::stats::behaviour_association(std::vector<double>{1, 1, 2}, std::vector<double>{1, 2, 3}, few);
    } catch (const icl::error& e) {
      threw_error = std::string(e.what()).find("icl::stats::behaviour_association: only") == 0;
    }
  }
  CHECK(threw_error);
}

TEST_CASE("icl::stats::correlation names round-trip", "[association][names]") {
  for (const correlation c : {correlation::pearson, correlation::spearman}) {
    REQUIRE(icl::from_string<correlation>(icl::to_string(c)) == c);
  }
  REQUIRE_THROWS_WITH(icl::from_string<correlation>("kendall"), Catch::Contains("icl::stats::correlation"));
}
