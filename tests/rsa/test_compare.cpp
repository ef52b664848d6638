// icl-test: also-without-blas
// icl::rsa::compare against scipy.stats / rsatoolbox references (tests/data/rsa_compare.txt).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "icl/rsa/compare.hpp"
#include "support/fixture.hpp"

using icl::rsa::comparison;

namespace {

const comparison all_comparisons[] = {comparison::pearson, comparison::spearman,       comparison::kendall_tau_a,
                                      comparison::kendall_tau_b, comparison::rho_a, comparison::cosine,
                                      comparison::whitened_cosine};

constexpr double rel_tol = 1e-10;

void require_rel_close(double actual, double expected) {
  INFO("actual " << actual << " expected " << expected);
  REQUIRE(std::abs(actual - expected) <= rel_tol * std::max(std::abs(expected), 1e-300));
}

std::vector<double> random_ties(std::size_t m, int levels, std::uint32_t seed) {
  std::mt19937_64 gen(seed);
  std::uniform_int_distribution<int> level(0, levels - 1);
  std::vector<double> v(m);
  for (double& x : v) x = static_cast<double>(level(gen));
  return v;
}

// tau-a and tau-b from the O(m^2) definitions.
void brute_force_tau(const std::vector<double>& a, const std::vector<double>& b, double& tau_a, double& tau_b) {
  const std::size_t m = a.size();
  std::int64_t s = 0;
  std::int64_t untied_a = 0;
  std::int64_t untied_b = 0;
  for (std::size_t i = 0; i < m; ++i) {
    for (std::size_t j = i + 1; j < m; ++j) {
      const int sa = (a[i] > a[j]) - (a[i] < a[j]);
      const int sb = (b[i] > b[j]) - (b[i] < b[j]);
      s += sa * sb;
      untied_a += sa != 0;
      untied_b += sb != 0;
    }
  }
  const auto total = static_cast<double>(m * (m - 1) / 2);
  tau_a = static_cast<double>(s) / total;
  tau_b = static_cast<double>(s) / std::sqrt(static_cast<double>(untied_a) * static_cast<double>(untied_b));
}

// An independent O(m log m) check for large m: values are small integers, so the discordant
// pairs are counted with a Fenwick tree over b's levels while walking a's levels in order.
void fenwick_tau(const std::vector<double>& a, const std::vector<double>& b, int levels, double& tau_a,
                 double& tau_b) {
  const std::size_t m = a.size();
  std::vector<std::vector<int>> b_by_a(static_cast<std::size_t>(levels));
  std::vector<std::int64_t> count_a(static_cast<std::size_t>(levels), 0);
  std::vector<std::int64_t> count_b(static_cast<std::size_t>(levels), 0);
  for (std::size_t k = 0; k < m; ++k) {
    b_by_a[static_cast<std::size_t>(a[k])].push_back(static_cast<int>(b[k]));
    ++count_a[static_cast<std::size_t>(a[k])];
    ++count_b[static_cast<std::size_t>(b[k])];
  }
  std::vector<std::int64_t> tree(static_cast<std::size_t>(levels) + 1, 0);
  std::int64_t inserted = 0;
  std::int64_t concordant = 0;
  std::int64_t discordant = 0;
  for (const auto& group : b_by_a) {
    for (int v : group) {
      // Level v sits at tree index v + 1; prefix(i) counts inserted values with level < i.
      std::int64_t below = 0;  // inserted (so with a smaller a) with b < v
      for (int i = v; i > 0; i -= i & -i) below += tree[static_cast<std::size_t>(i)];
      std::int64_t at_most = 0;  // inserted with b <= v
      for (int i = v + 1; i > 0; i -= i & -i) at_most += tree[static_cast<std::size_t>(i)];
      concordant += below;
      discordant += inserted - at_most;
    }
    for (int v : group) {
      for (int i = v + 1; i <= levels; i += i & -i) ++tree[static_cast<std::size_t>(i)];
      ++inserted;
    }
  }
  const auto total = static_cast<std::int64_t>(m) * static_cast<std::int64_t>(m - 1) / 2;
  std::int64_t ties_a = 0;
  std::int64_t ties_b = 0;
  for (std::int64_t c : count_a) ties_a += c * (c - 1) / 2;
  for (std::int64_t c : count_b) ties_b += c * (c - 1) / 2;
  tau_a = static_cast<double>(concordant - discordant) / static_cast<double>(total);
  tau_b = static_cast<double>(concordant - discordant) /
          std::sqrt(static_cast<double>(total - ties_a) * static_cast<double>(total - ties_b));
}

}  // namespace

TEST_CASE("compare matches scipy and rsatoolbox on the fixtures", "[rsa][compare]") {
  const icl_test::fixture_file f("rsa_compare.txt");
  for (const std::string c : {"cont", "ties", "big"}) {
    const std::vector<double>& a = f.values(c + "_a");
    const std::vector<double>& b = f.values(c + "_b");
    const icl::rsa::rdm ra = icl::rsa::rdm_from_condensed(a);
    const icl::rsa::rdm rb = icl::rsa::rdm_from_condensed(b);
    for (comparison k : all_comparisons) {
      INFO(c << " " << icl::rsa::to_string(k));
      const double expected = f.scalar(c + "_" + icl::rsa::to_string(k));
      require_rel_close(icl::rsa::compare(a, b, k), expected);
      require_rel_close(icl::rsa::compare(ra, rb, k), expected);
      require_rel_close(icl::rsa::compare(ra, rb, k, icl::rsa::compare_params{}), expected);
      // Every statistic here is symmetric in its arguments.
      require_rel_close(icl::rsa::compare(b, a, k), expected);
    }
    // METRICS.md's whitened cosine equals rsatoolbox's compare_cosine_cov_weighted.
    require_rel_close(icl::rsa::compare(ra, rb, comparison::whitened_cosine),
                      f.scalar(c + "_whitened_cosine_rsatoolbox"));
  }
}

TEST_CASE("compare: degenerate inputs with values defined by rsatoolbox", "[rsa][compare]") {
  const icl_test::fixture_file f("rsa_compare.txt");
  const std::vector<double>& a = f.values("allequal_a");
  const std::vector<double>& b = f.values("allequal_b");
  REQUIRE(icl::rsa::compare(a, b, comparison::kendall_tau_a) == f.scalar("allequal_kendall_tau_a"));
  REQUIRE(icl::rsa::compare(a, b, comparison::rho_a) == f.scalar("allequal_rho_a"));
  require_rel_close(icl::rsa::compare(a, b, comparison::cosine), f.scalar("allequal_cosine"));
  require_rel_close(icl::rsa::compare(a, b, comparison::whitened_cosine), f.scalar("allequal_whitened_cosine"));
  REQUIRE(icl::rsa::compare(f.values("zero_a"), f.values("zero_b"), comparison::cosine) ==
          f.scalar("allequal_cosine_zero"));
  // An all-zero RDM has G = 0: cosine 0, as rsatoolbox's _cosine gives.
  REQUIRE(icl::rsa::compare(f.values("zero_a"), f.values("zero_b"), comparison::whitened_cosine) == 0.0);
}

TEST_CASE("compare: undefined statistics raise by default and give NaN under propagate", "[rsa][compare]") {
  const icl_test::fixture_file f("rsa_compare.txt");
  const std::vector<double>& constant = f.values("allequal_a");
  const std::vector<double>& other = f.values("allequal_b");
  icl::rsa::compare_params propagate;
  propagate.nan = icl::nan_policy::propagate;
  for (comparison k : {comparison::pearson, comparison::spearman, comparison::kendall_tau_b}) {
    INFO(icl::rsa::to_string(k));
    REQUIRE_THROWS_AS(icl::rsa::compare(constant, other, k), icl::invalid_argument);
    REQUIRE_THROWS_WITH(icl::rsa::compare(constant, other, k),
                        Catch::StartsWith("icl::rsa::compare:") && Catch::Contains("a is constant") &&
                            Catch::Contains(icl::rsa::to_string(k)));
    REQUIRE_THROWS_WITH(icl::rsa::compare(other, constant, k), Catch::Contains("b is constant"));
    REQUIRE(std::isnan(icl::rsa::compare(constant, other, k, propagate)));
    REQUIRE(std::isnan(icl::rsa::compare(other, constant, k, propagate)));
  }
}

TEST_CASE("compare(a, a) is 1 for every comparison without ties", "[rsa][compare]") {
  const icl_test::fixture_file f("rsa_compare.txt");
  const std::vector<double>& cont = f.values("cont_a");
  for (comparison k : all_comparisons) {
    INFO(icl::rsa::to_string(k));
    require_rel_close(icl::rsa::compare(cont, cont, k), 1.0);
  }
  // With ties, tau-a and rho_a stay below 1 (a tied pair is neither concordant nor discordant);
  // the others are still 1.
  const std::vector<double>& ties = f.values("ties_a");
  for (comparison k : {comparison::pearson, comparison::spearman, comparison::kendall_tau_b, comparison::cosine,
                       comparison::whitened_cosine}) {
    INFO(icl::rsa::to_string(k));
    require_rel_close(icl::rsa::compare(ties, ties, k), 1.0);
  }
  REQUIRE(icl::rsa::compare(ties, ties, comparison::kendall_tau_a) < 1.0);
  REQUIRE(icl::rsa::compare(ties, ties, comparison::rho_a) < 1.0);
}

TEST_CASE("rank comparisons are invariant under monotone transforms", "[rsa][compare]") {
  const icl_test::fixture_file f("rsa_compare.txt");
  for (const std::string c : {"cont", "ties"}) {
    const std::vector<double>& a = f.values(c + "_a");
    const std::vector<double>& b = f.values(c + "_b");
    std::vector<double> transformed(a.size());
    for (std::size_t k = 0; k < a.size(); ++k) transformed[k] = std::exp(2.0 * a[k]) + a[k] * a[k] * a[k];
    for (comparison k :
         {comparison::spearman, comparison::kendall_tau_a, comparison::kendall_tau_b, comparison::rho_a}) {
      INFO(c << " " << icl::rsa::to_string(k));
      REQUIRE(icl::rsa::compare(transformed, b, k) == icl::rsa::compare(a, b, k));
    }
    // A decreasing transform flips the sign.
    std::vector<double> negated(a.size());
    for (std::size_t k = 0; k < a.size(); ++k) negated[k] = -a[k];
    require_rel_close(icl::rsa::compare(negated, b, comparison::spearman),
                      -icl::rsa::compare(a, b, comparison::spearman));
    require_rel_close(icl::rsa::compare(negated, b, comparison::kendall_tau_b),
                      -icl::rsa::compare(a, b, comparison::kendall_tau_b));
  }
}

TEST_CASE("Kendall tau equals the O(m^2) count on tied vectors", "[rsa][compare]") {
  for (std::uint32_t seed = 1; seed <= 6; ++seed) {
    const std::vector<double> a = random_ties(300, 3 + static_cast<int>(seed), seed);
    std::vector<double> b = random_ties(300, 5, seed + 50);
    for (std::size_t k = 0; k < b.size(); ++k) b[k] += 0.5 * a[k];  // correlated, still tied
    double tau_a = 0.0;
    double tau_b = 0.0;
    brute_force_tau(a, b, tau_a, tau_b);
    INFO("seed " << seed);
    require_rel_close(icl::rsa::compare(a, b, comparison::kendall_tau_a), tau_a);
    require_rel_close(icl::rsa::compare(a, b, comparison::kendall_tau_b), tau_b);
  }
}

TEST_CASE("Kendall tau on m = 2e6 tied values (O(m log m))", "[rsa][compare][large]") {
  const std::size_t m = 2000000;
  const int levels = 50;
  const std::vector<double> a = random_ties(m, levels, 77);
  std::vector<double> b = random_ties(m, levels, 78);
  for (std::size_t k = 0; k < m; k += 3) b[k] = a[k];  // a third of the pairs agree exactly
  double tau_a = 0.0;
  double tau_b = 0.0;
  fenwick_tau(a, b, levels, tau_a, tau_b);
  require_rel_close(icl::rsa::compare(a, b, comparison::kendall_tau_b), tau_b);
  require_rel_close(icl::rsa::compare(a, b, comparison::kendall_tau_a), tau_a);
}

TEST_CASE("compare: nan_policy", "[rsa][compare]") {
  const icl_test::fixture_file f("rsa_compare.txt");
  std::vector<double> a = f.values("cont_a");
  std::vector<double> b = f.values("cont_b");
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  a[3] = nan;
  b[17] = -inf;
  SECTION("raise names the vector and the index") {
    REQUIRE_THROWS_AS(icl::rsa::compare(a, b, comparison::spearman), icl::invalid_argument);
    REQUIRE_THROWS_WITH(icl::rsa::compare(a, b, comparison::spearman),
                        Catch::StartsWith("icl::rsa::compare:") && Catch::Contains("a[3]"));
    REQUIRE_THROWS_WITH(icl::rsa::compare(f.values("cont_a"), b, comparison::pearson), Catch::Contains("b[17]"));
  }
  SECTION("propagate gives NaN") {
    icl::rsa::compare_params p;
    p.nan = icl::nan_policy::propagate;
    for (comparison k : all_comparisons) REQUIRE(std::isnan(icl::rsa::compare(a, b, k, p)));
  }
  SECTION("omit drops the positions where either vector is not finite") {
    icl::rsa::compare_params p;
    p.nan = icl::nan_policy::omit;
    std::vector<double> kept_a;
    std::vector<double> kept_b;
    for (std::size_t k = 0; k < a.size(); ++k) {
      if (k != 3 && k != 17) {
        kept_a.push_back(a[k]);
        kept_b.push_back(b[k]);
      }
    }
    for (comparison k : all_comparisons) {
      INFO(icl::rsa::to_string(k));
      if (k == comparison::whitened_cosine) {
        REQUIRE_THROWS_WITH(icl::rsa::compare(a, b, k, p),
                            Catch::StartsWith("icl::rsa::compare:") && Catch::Contains("omit"));
      } else {
        REQUIRE(icl::rsa::compare(a, b, k, p) == icl::rsa::compare(kept_a, kept_b, k));
      }
    }
  }
}

TEST_CASE("compare rejects bad input with the function name in the message", "[rsa][compare]") {
  const std::vector<double> six = {1, 2, 3, 4, 5, 7};
  const std::vector<double> five = {1, 2, 3, 4, 5};
  for (comparison k : all_comparisons) {
    INFO(icl::rsa::to_string(k));
    REQUIRE_THROWS_AS(icl::rsa::compare(six, five, k), icl::invalid_argument);
    REQUIRE_THROWS_WITH(icl::rsa::compare(six, five, k), Catch::StartsWith("icl::rsa::compare:") &&
                                                             Catch::Contains("6") && Catch::Contains("5"));
    REQUIRE_THROWS_WITH(icl::rsa::compare(std::vector<double>{1.0}, std::vector<double>{2.0}, k),
                        Catch::StartsWith("icl::rsa::compare:") && Catch::Contains("m = 1"));
    REQUIRE_THROWS_AS(icl::rsa::compare(std::vector<double>{}, std::vector<double>{}, k), icl::invalid_argument);
  }
  // whitened_cosine needs a triangular length.
  REQUIRE_THROWS_WITH(icl::rsa::compare(five, five, comparison::whitened_cosine),
                      Catch::StartsWith("icl::rsa::compare:") && Catch::Contains("5") &&
                          Catch::Contains("triangular"));
  // RDMs of different n.
  const icl::rsa::rdm r4 = icl::rsa::rdm_from_condensed(six);
  const icl::rsa::rdm r3 = icl::rsa::rdm_from_condensed({1, 2, 3});
  REQUIRE_THROWS_WITH(icl::rsa::compare(r4, r3, comparison::spearman),
                      Catch::StartsWith("icl::rsa::compare:") && Catch::Contains("n = 4") && Catch::Contains("n = 3"));
  // An enumerator outside the enumeration.
  const auto bogus = static_cast<comparison>(99);
  REQUIRE_THROWS_WITH(icl::rsa::compare(six, six, bogus),
                      Catch::StartsWith("icl::rsa::compare:") && Catch::Contains("99"));
  REQUIRE(std::string(icl::rsa::to_string(bogus)) == "unknown");
}

TEST_CASE("compare over views reads the vectors in place, at any stride", "[rsa][compare]") {
  const icl_test::fixture_file f("rsa_compare.txt");
  const std::vector<double>& a = f.values("ties_a");
  const std::vector<double>& b = f.values("ties_b");
  const std::size_t m = a.size();
  // The same values every other element of a longer buffer, and in reverse (a negative stride).
  std::vector<double> spaced(2 * m, -1.0);
  std::vector<double> reversed(m);
  for (std::size_t k = 0; k < m; ++k) {
    spaced[2 * k] = a[k];
    reversed[m - 1 - k] = b[k];
  }
  const auto view_a = icl::make_tensor_view<double, 1>(a.data(), {m});
  const auto view_b = icl::make_tensor_view<double, 1>(b.data(), {m});
  const auto spaced_a = icl::make_tensor_view<double, 1>(spaced.data(), {m}, {2});
  const auto reversed_b = icl::make_tensor_view<double, 1>(reversed.data() + (m - 1), {m}, {-1});
  for (comparison k : all_comparisons) {
    INFO(icl::rsa::to_string(k));
    const double expected = icl::rsa::compare(a, b, k);
    REQUIRE(icl::rsa::compare(view_a, view_b, k) == expected);  // the same arithmetic: bit for bit
    REQUIRE(icl::rsa::compare(spaced_a, reversed_b, k) == expected);
    require_rel_close(expected, f.scalar("ties_" + std::string(icl::rsa::to_string(k))));
  }
  // The vector overload's errors and messages.
  const std::vector<double> five = {1, 2, 3, 4, 5};
  const auto view_five = icl::make_tensor_view<double, 1>(five.data(), {5});
  REQUIRE_THROWS_WITH(icl::rsa::compare(view_a, view_five, comparison::pearson),
                      Catch::StartsWith("icl::rsa::compare:") && Catch::Contains(std::to_string(m)) &&
                          Catch::Contains("5"));
  REQUIRE_THROWS_WITH(icl::rsa::compare(view_five, view_five, comparison::whitened_cosine),
                      Catch::StartsWith("icl::rsa::compare:") && Catch::Contains("triangular"));
  std::vector<double> with_nan(spaced);
  with_nan[2 * 3] = std::numeric_limits<double>::quiet_NaN();
  const auto nan_view = icl::make_tensor_view<double, 1>(with_nan.data(), {m}, {2});
  REQUIRE_THROWS_WITH(icl::rsa::compare(nan_view, view_b, comparison::spearman),
                      Catch::StartsWith("icl::rsa::compare:") && Catch::Contains("a[3]"));
  icl::rsa::compare_params propagate;
  propagate.nan = icl::nan_policy::propagate;
  REQUIRE(std::isnan(icl::rsa::compare(nan_view, view_b, comparison::spearman, propagate)));
}

TEST_CASE("to_string names every comparison", "[rsa][compare]") {
  REQUIRE(std::string(icl::rsa::to_string(comparison::pearson)) == "pearson");
  REQUIRE(std::string(icl::rsa::to_string(comparison::spearman)) == "spearman");
  REQUIRE(std::string(icl::rsa::to_string(comparison::kendall_tau_a)) == "kendall_tau_a");
  REQUIRE(std::string(icl::rsa::to_string(comparison::kendall_tau_b)) == "kendall_tau_b");
  REQUIRE(std::string(icl::rsa::to_string(comparison::rho_a)) == "rho_a");
  REQUIRE(std::string(icl::rsa::to_string(comparison::cosine)) == "cosine");
  REQUIRE(std::string(icl::rsa::to_string(comparison::whitened_cosine)) == "whitened_cosine");
}

TEST_CASE("spearman and rho_a of long vectors equal the double-rank computation bit for bit", "[rsa][compare]") {
  // From 4096 values the rank sums come from integer ranks in the sort's buffers; the result
  // must be the one of the plain centered double ranks, exactly.
  std::mt19937 gen(77);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::uniform_int_distribution<int> level(0, 30);
  for (const std::size_t m : {std::size_t{4096}, std::size_t{50001}}) {
    for (const bool ties : {false, true}) {
      std::vector<double> a(m), b(m);
      for (std::size_t k = 0; k < m; ++k) {
        a[k] = ties ? static_cast<double>(level(gen)) : normal(gen);
        b[k] = 0.5 * a[k] + (ties ? static_cast<double>(level(gen) / 3) : normal(gen));
      }
      std::vector<double> ra, rb;
      icl::rsa::detail::centered_ranks_of_both(a.data(), b.data(), m, ra, rb);
      INFO("m " << m << " ties " << ties);
      REQUIRE(icl::rsa::detail::spearman_kernel(a.data(), b.data(), m) ==
              icl::rsa::detail::spearman_from_centered_ranks(ra.data(), rb.data(), m));
      REQUIRE(icl::rsa::detail::rho_a_kernel(a.data(), b.data(), m) ==
              icl::rsa::detail::rho_a_from_centered_ranks(ra.data(), rb.data(), m));
    }
  }
}
