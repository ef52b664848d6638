// icl-test: also-without-blas
// Distributions and Welch's t-test (icl/core/stats.hpp) against scipy references
// (tests/data/rsa_inference.txt), closed forms and an independent quadrature.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstddef>
#include <limits>
#include <vector>

#include "icl/core/stats.hpp"
#include "support/fixture.hpp"

namespace {

constexpr double pi = 3.14159265358979323846;
constexpr double infinity = std::numeric_limits<double>::infinity();
constexpr double nan_value = std::numeric_limits<double>::quiet_NaN();

double normal_pdf(double t) { return std::exp(-0.5 * t * t) / std::sqrt(2.0 * pi); }

/// P(T > t) for df = 2 in closed form, 1/2 − t / (2 sqrt(2 + t²)), written for t > 0 without the
/// cancellation of the difference: 1 / ((sqrt(2 + t²) + t) sqrt(2 + t²)).
double t2_sf(double t) {
  const double r = std::sqrt(2.0 + t * t);
  return t > 0.0 ? 1.0 / ((r + t) * r) : 0.5 + std::abs(t) / (2.0 * r);
}

/// P(T > t), t > 0, by quadrature, independent of the incomplete beta function. With
/// t = sqrt(df) tan θ the density becomes c cos^(df−1) θ dθ, c = Γ((df+1)/2) / (sqrt(π) Γ(df/2));
/// with φ = π/2 − θ = w² the tail is c ∫_0^W 2w sin(w²)^(df−1) dw, W² = atan(sqrt(df) / t),
/// whose integrand is smooth for df = 1/2 (it tends to 2 as w → 0). Composite Simpson rule.
double t_sf_by_quadrature(double t, double df) {
  const double c = std::tgamma(0.5 * (df + 1.0)) / (std::sqrt(pi) * std::tgamma(0.5 * df));
  const double upper = std::sqrt(std::atan(std::sqrt(df) / t));
  const auto integrand = [df](double w) {
    if (w == 0.0) return df == 0.5 ? 2.0 : 0.0;
    return 2.0 * w * std::pow(std::sin(w * w), df - 1.0);
  };
  const std::size_t intervals = 20000;  // even
  const double h = upper / static_cast<double>(intervals);
  double sum = integrand(0.0) + integrand(upper);
  for (std::size_t k = 1; k < intervals; ++k) {
    sum += (k % 2 == 1 ? 4.0 : 2.0) * integrand(h * static_cast<double>(k));
  }
  return c * sum * h / 3.0;
}

/// The within- and between-group entries of a condensed RDM, written out directly.
void split_by_group(const std::vector<double>& condensed, const std::vector<int>& groups, std::vector<double>& within,
                    std::vector<double>& between) {
  std::size_t k = 0;
  for (std::size_t i = 0; i < groups.size(); ++i) {
    for (std::size_t j = i + 1; j < groups.size(); ++j, ++k) {
      (groups[i] == groups[j] ? within : between).push_back(condensed[k]);
    }
  }
  REQUIRE(k == condensed.size());
}

}  // namespace

TEST_CASE("student_t_sf matches scipy.stats.t.sf", "[stats]") {
  const icl_test::fixture_file f("rsa_inference.txt");
  const std::vector<double>& t = f.values("tdist_t");
  const std::vector<double>& df = f.values("tdist_df");
  const std::vector<double>& expected = f.values("tdist_sf");
  REQUIRE(t.size() == expected.size());
  REQUIRE(df.size() == expected.size());
  for (std::size_t k = 0; k < t.size(); ++k) {
    INFO("t = " << t[k] << ", df = " << df[k]);
    // Measured agreement is about 1e-15; the documented bound is 1e-12 (1e-9 asked of p-values).
    CHECK(icl::stats::student_t_sf(t[k], df[k]) == Approx(expected[k]).epsilon(1e-12).margin(0.0));
    // The mirror image: P(T > −t) = 1 − P(T > t), and the cdf.
    CHECK(icl::stats::student_t_sf(-t[k], df[k]) == Approx(1.0 - expected[k]).epsilon(1e-12).margin(0.0));
    CHECK(icl::stats::student_t_cdf(-t[k], df[k]) == Approx(expected[k]).epsilon(1e-12).margin(0.0));
  }
}

TEST_CASE("student_t_sf agrees with the closed forms for df = 1 and df = 2", "[stats]") {
  const double ts[] = {-1e6, -30.0, -2.0, -1.0, -0.1, 0.0, 1e-9, 0.1, 0.5, 1.0, 2.5, 12.0, 300.0, 1e6, 1e12, 1e200};
  for (const double t : ts) {
    INFO("t = " << t);
    // Cauchy: 1/2 − atan(t)/π = atan2(1, t)/π (the second form keeps the digits of the tail).
    CHECK(icl::stats::student_t_sf(t, 1.0) == Approx(std::atan2(1.0, t) / pi).epsilon(1e-13).margin(0.0));
    CHECK(icl::stats::student_t_sf(t, 2.0) == Approx(t2_sf(t)).epsilon(1e-13).margin(0.0));
  }
  // The form of the brief, in the central range where it does not cancel.
  for (const double t : {-3.0, -0.7, 0.3, 2.0}) {
    CHECK(icl::stats::student_t_sf(t, 1.0) == Approx(0.5 - std::atan(t) / pi).epsilon(1e-14));
    CHECK(icl::stats::student_t_sf(t, 2.0) == Approx(0.5 - t / (2.0 * std::sqrt(2.0 + t * t))).epsilon(1e-14));
  }
}

TEST_CASE("student_t_sf at df = 1/2 agrees with quadrature of the density", "[stats]") {
  for (const double t : {0.05, 0.5, 1.0, 3.0, 20.0, 1e4}) {
    INFO("t = " << t);
    const double sf = icl::stats::student_t_sf(t, 0.5);
    CHECK(sf == Approx(t_sf_by_quadrature(t, 0.5)).epsilon(1e-11).margin(0.0));
    CHECK(icl::stats::student_t_sf(-t, 0.5) == Approx(1.0 - sf).epsilon(1e-14));
  }
  // The far tail decays like t^(−df): P(T > t) ≈ c' t^(−1/2); the ratio of two far tails is exact
  // to leading order.
  const double far = icl::stats::student_t_sf(1e100, 0.5);
  const double farther = icl::stats::student_t_sf(1e102, 0.5);
  CHECK(far > 0.0);
  CHECK(far / farther == Approx(10.0).epsilon(1e-12));
}

TEST_CASE("student_t_sf tends to the normal tail for large df", "[stats]") {
  // P_t(T > t) = P(Z > t) + φ(t)(t³ + t) / (4 df) + O(df⁻²); the remainder is below the
  // tolerances used here for these t and df.
  struct point {
    double df, t, tolerance;
  };
  const point points[] = {{1e6, -3.0, 1e-10}, {1e6, -1.0, 1e-10}, {1e6, 0.5, 1e-10}, {1e6, 1.0, 1e-10},
                          {1e6, 2.0, 1e-10},  {1e6, 3.0, 1e-9},  {1e8, 5.0, 1e-10}, {1e8, 8.0, 1e-9},
                          {1e12, 1.7, 1e-13}, {1e12, 10.0, 1e-12}, {1e20, 20.0, 1e-12}};
  for (const point& p : points) {
    INFO("df = " << p.df << ", t = " << p.t);
    const double expected = icl::stats::normal_sf(p.t) + normal_pdf(p.t) * (p.t * p.t * p.t + p.t) / (4.0 * p.df);
    CHECK(icl::stats::student_t_sf(p.t, p.df) == Approx(expected).epsilon(p.tolerance).margin(0.0));
  }
  // Beyond df = 1e25, and at df = inf, the normal tail itself.
  for (const double t : {-2.0, 0.0, 1.5, 30.0}) {
    CHECK(icl::stats::student_t_sf(t, 1e30) == icl::stats::normal_sf(t));
    CHECK(icl::stats::student_t_sf(t, infinity) == icl::stats::normal_sf(t));
  }
  // Continuity across that switch.
  CHECK(icl::stats::student_t_sf(4.0, 1e25) == Approx(icl::stats::normal_sf(4.0)).epsilon(1e-14));
}

TEST_CASE("student_t_sf special values", "[stats]") {
  for (const double df : {0.5, 1.0, 7.3, 1e9}) {
    CHECK(icl::stats::student_t_sf(0.0, df) == 0.5);
    CHECK(icl::stats::student_t_sf(infinity, df) == 0.0);
    CHECK(icl::stats::student_t_sf(-infinity, df) == 1.0);
    CHECK(icl::stats::student_t_cdf(infinity, df) == 1.0);
  }
  // Tails far beyond where t² overflows: P(T > t) ~ t^(−df) for df = 1: 1/(π t).
  CHECK(icl::stats::student_t_sf(1e200, 1.0) == Approx(1.0 / (pi * 1e200)).epsilon(1e-13));
}

TEST_CASE("student_t_sf rejects bad arguments", "[stats][errors]") {
  using Catch::Contains;
  REQUIRE_THROWS_AS(icl::stats::student_t_sf(nan_value, 3.0), icl::invalid_argument);
  REQUIRE_THROWS_WITH(icl::stats::student_t_sf(nan_value, 3.0), Contains("icl::stats::student_t_sf: t is NaN"));
  REQUIRE_THROWS_WITH(icl::stats::student_t_sf(1.0, 0.0), Contains("icl::stats::student_t_sf: df must be > 0"));
  REQUIRE_THROWS_WITH(icl::stats::student_t_sf(1.0, -2.0), Contains("icl::stats::student_t_sf: df must be > 0"));
  REQUIRE_THROWS_WITH(icl::stats::student_t_sf(1.0, nan_value), Contains("icl::stats::student_t_sf: df must be > 0"));
  REQUIRE_THROWS_WITH(icl::stats::student_t_cdf(nan_value, 3.0), Contains("icl::stats::student_t_cdf: t is NaN"));
  REQUIRE_THROWS_WITH(icl::stats::student_t_cdf(1.0, -1.0), Contains("icl::stats::student_t_cdf: df must be > 0"));
}

TEST_CASE("normal_sf and normal_cdf", "[stats]") {
  CHECK(icl::stats::normal_sf(0.0) == 0.5);
  CHECK(icl::stats::normal_cdf(0.0) == 0.5);
  // The two-sided 5% point and the 10-sigma tail (tabulated values).
  CHECK(icl::stats::normal_sf(1.959963984540054) == Approx(0.025).epsilon(1e-14));
  CHECK(icl::stats::normal_sf(10.0) == Approx(7.6198530241605260e-24).epsilon(1e-14));
  CHECK(icl::stats::normal_cdf(-10.0) == Approx(7.6198530241605260e-24).epsilon(1e-14));
  for (const double x : {-4.0, -1.0, 0.3, 2.0, 6.0}) {
    CHECK(icl::stats::normal_cdf(x) == icl::stats::normal_sf(-x));
    CHECK(icl::stats::normal_cdf(x) + icl::stats::normal_sf(x) == Approx(1.0).epsilon(1e-15));
  }
  CHECK(icl::stats::normal_sf(infinity) == 0.0);
  CHECK(icl::stats::normal_cdf(infinity) == 1.0);
  REQUIRE_THROWS_WITH(icl::stats::normal_sf(nan_value), Catch::Contains("icl::stats::normal_sf: x is NaN"));
  REQUIRE_THROWS_WITH(icl::stats::normal_cdf(nan_value), Catch::Contains("icl::stats::normal_cdf: x is NaN"));
}

TEST_CASE("regularized_incomplete_beta agrees with closed forms", "[stats]") {
  using icl::stats::regularized_incomplete_beta;
  // Dyadic x, so that 1 − x is exact and the references are well conditioned.
  for (const double x : {0.0, 0x1p-40, 0x1p-7, 0.25, 0.5, 0.75, 1.0 - 0x1p-7, 1.0 - 0x1p-30, 1.0}) {
    INFO("x = " << x);
    for (const double a : {0.3, 1.0, 2.5, 40.0, 1e4}) {
      INFO("a = " << a);
      // I_x(a, 1) = x^a and I_x(1, b) = 1 − (1 − x)^b.
      CHECK(regularized_incomplete_beta(a, 1.0, x) == Approx(std::pow(x, a)).epsilon(1e-13).margin(1e-300));
      CHECK(regularized_incomplete_beta(1.0, a, x) ==
            Approx(-std::expm1(a * std::log1p(-x))).epsilon(1e-13).margin(1e-300));
      // The symmetry I_x(a, b) + I_{1−x}(b, a) = 1.
      CHECK(regularized_incomplete_beta(a, 3.5, x) + regularized_incomplete_beta(3.5, a, 1.0 - x) ==
            Approx(1.0).epsilon(1e-14));
    }
    // I_x(1/2, 1/2) = (2/π) asin(sqrt(x)), written as an atan2 to stay accurate near x = 1.
    CHECK(regularized_incomplete_beta(0.5, 0.5, x) ==
          Approx(2.0 / pi * std::atan2(std::sqrt(x), std::sqrt(1.0 - x))).epsilon(1e-13).margin(1e-300));
  }
  // The recurrence I_x(a + 1, b) = I_x(a, b) − x^a (1 − x)^b / (a B(a, b)) (DLMF 8.17.20).
  const double a = 3.25, b = 6.5, x = 0.41;
  const double log_b = std::lgamma(a) + std::lgamma(b) - std::lgamma(a + b);
  const double step = std::exp(a * std::log(x) + b * std::log1p(-x) - log_b) / a;
  CHECK(regularized_incomplete_beta(a + 1.0, b, x) ==
        Approx(regularized_incomplete_beta(a, b, x) - step).epsilon(1e-13));
}

TEST_CASE("regularized_incomplete_beta rejects bad arguments", "[stats][errors]") {
  using Catch::Contains;
  using icl::stats::regularized_incomplete_beta;
  REQUIRE_THROWS_AS(regularized_incomplete_beta(0.0, 1.0, 0.5), icl::invalid_argument);
  REQUIRE_THROWS_WITH(regularized_incomplete_beta(0.0, 1.0, 0.5),
                      Contains("icl::stats::regularized_incomplete_beta: a must be finite and > 0"));
  REQUIRE_THROWS_WITH(regularized_incomplete_beta(infinity, 1.0, 0.5),
                      Contains("icl::stats::regularized_incomplete_beta: a must be finite and > 0"));
  REQUIRE_THROWS_WITH(regularized_incomplete_beta(1.0, -1.0, 0.5),
                      Contains("icl::stats::regularized_incomplete_beta: b must be finite and > 0"));
  REQUIRE_THROWS_WITH(regularized_incomplete_beta(1.0, nan_value, 0.5),
                      Contains("icl::stats::regularized_incomplete_beta: b must be finite and > 0"));
  REQUIRE_THROWS_WITH(regularized_incomplete_beta(1.0, 1.0, 1.5),
                      Contains("icl::stats::regularized_incomplete_beta: x must lie in [0, 1]"));
  REQUIRE_THROWS_WITH(regularized_incomplete_beta(1.0, 1.0, nan_value),
                      Contains("icl::stats::regularized_incomplete_beta: x must lie in [0, 1]"));
}

TEST_CASE("welch_t_test matches scipy.stats.ttest_ind(equal_var=False)", "[stats]") {
  const icl_test::fixture_file f("rsa_inference.txt");
  std::vector<double> within, between;
  split_by_group(f.values("w_rdm"), f.ints("w_groups"), within, between);

  const icl::stats::welch_result two = icl::stats::welch_t_test(within, between);
  CHECK(two.t == Approx(f.scalar("welch_t")).epsilon(1e-10));
  CHECK(two.df == Approx(f.scalar("welch_df")).epsilon(1e-10));
  CHECK(two.p_value == Approx(f.scalar("welch_p_two_sided")).epsilon(1e-9));
  CHECK(two.n_a == within.size());
  CHECK(two.n_b == between.size());
  double sum_within = 0.0;
  for (const double v : within) sum_within += v;
  CHECK(two.mean_a == Approx(sum_within / static_cast<double>(within.size())).epsilon(1e-14));

  const icl::stats::welch_result less = icl::stats::welch_t_test(within, between, icl::alternative::less);
  CHECK(less.t == two.t);
  CHECK(less.df == two.df);
  CHECK(less.p_value == Approx(f.scalar("welch_p_less")).epsilon(1e-9));

  const icl::stats::welch_result greater = icl::stats::welch_t_test(within, between, icl::alternative::greater);
  CHECK(greater.p_value == Approx(1.0 - f.scalar("welch_p_less")).epsilon(1e-9));

  // Swapping the samples negates t and keeps df and the two-sided p.
  const icl::stats::welch_result swapped = icl::stats::welch_t_test(between, within);
  CHECK(swapped.t == Approx(-two.t).epsilon(1e-14));
  CHECK(swapped.df == Approx(two.df).epsilon(1e-14));
  CHECK(swapped.p_value == Approx(two.p_value).epsilon(1e-14));
}

TEST_CASE("welch_t_test on small hand-checked samples", "[stats]") {
  // a: mean 2.5, variance 5/3; b: mean 6, variance 10. v_a = 5/12, v_b = 2.
  const std::vector<double> a{1.0, 2.0, 3.0, 4.0};
  const std::vector<double> b{2.0, 4.0, 6.0, 8.0, 10.0};
  const double v_a = 5.0 / 12.0, v_b = 2.0;
  const double t = (2.5 - 6.0) / std::sqrt(v_a + v_b);
  const double df = (v_a + v_b) * (v_a + v_b) / (v_a * v_a / 3.0 + v_b * v_b / 4.0);
  const icl::stats::welch_result r = icl::stats::welch_t_test(a, b);
  CHECK(r.t == Approx(t).epsilon(1e-14));
  CHECK(r.df == Approx(df).epsilon(1e-14));
  CHECK(r.p_value == Approx(2.0 * icl::stats::student_t_sf(std::abs(t), df)).epsilon(1e-14));
  CHECK(r.mean_a == 2.5);
  CHECK(r.mean_b == 6.0);

  // One constant sample is allowed: df reduces to n_b − 1 and t to (mean_a − mean_b) / sqrt(v_b).
  const std::vector<double> constant{0.1, 0.1, 0.1};
  const icl::stats::welch_result c = icl::stats::welch_t_test(constant, b, icl::alternative::less);
  CHECK(c.mean_a == 0.1);
  CHECK(c.df == Approx(4.0).epsilon(1e-14));
  CHECK(c.t == Approx((0.1 - 6.0) / std::sqrt(2.0)).epsilon(1e-14));
  CHECK(c.p_value == Approx(icl::stats::student_t_cdf(c.t, 4.0)).epsilon(1e-14));
}

TEST_CASE("welch_t_test rejects bad input", "[stats][errors]") {
  using Catch::Contains;
  const std::vector<double> good{1.0, 2.0, 4.0};
  REQUIRE_THROWS_AS(icl::stats::welch_t_test({1.0}, good), icl::invalid_argument);
  REQUIRE_THROWS_WITH(icl::stats::welch_t_test({1.0}, good),
                      Contains("icl::stats::welch_t_test: sample a has 1 value(s), need at least 2"));
  REQUIRE_THROWS_WITH(icl::stats::welch_t_test(good, {}),
                      Contains("icl::stats::welch_t_test: sample b has 0 value(s), need at least 2"));
  REQUIRE_THROWS_WITH(icl::stats::welch_t_test({1.0, nan_value, 2.0}, good),
                      Contains("icl::stats::welch_t_test: sample a value 1 is nan"));
  REQUIRE_THROWS_WITH(icl::stats::welch_t_test(good, {1.0, 2.0, -infinity}),
                      Contains("icl::stats::welch_t_test: sample b value 2 is -inf"));
  REQUIRE_THROWS_WITH(icl::stats::welch_t_test({3.0, 3.0}, {0.7, 0.7, 0.7}),
                      Contains("icl::stats::welch_t_test: both samples have zero variance"));
  REQUIRE_THROWS_WITH(icl::stats::welch_t_test(good, good, static_cast<icl::alternative>(7)),
                      Contains("icl::stats::welch_t_test: unknown alternative 7"));
  // Values whose squares overflow: icl::error, not a NaN p-value.
  const double big = std::numeric_limits<double>::max();
  REQUIRE_THROWS_AS(icl::stats::welch_t_test({big, -big}, good), icl::error);
  REQUIRE_THROWS_WITH(icl::stats::welch_t_test({big, -big}, good),
                      Contains("icl::stats::welch_t_test: the statistic overflowed"));
}
