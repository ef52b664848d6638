// Statistical tests (icl::stats): Mann-Whitney U, Welch's t-test, behaviour against a metric;
// and the repr of the package's result objects.
#include <deque>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "bindings.hpp"

namespace icl_py {

std::string repr_of(nb::handle self, const std::vector<const char*>& fields) {
  std::string out = nb::str(self.type().attr("__name__")).c_str();
  out += "(";
  for (std::size_t k = 0; k < fields.size(); ++k) {
    nb::object value = self.attr(fields[k]);
    if (nb::hasattr(value, "tolist")) value = value.attr("tolist")();
    out += (k ? ", " : "") + std::string(fields[k]) + "=" + nb::repr(value).c_str();
  }
  return out + ")";
}

const char* keep_text(std::string text) {
  static std::deque<std::string> kept;  // never shrinks: the pointers stay valid
  kept.push_back(std::move(text));
  return kept.back().c_str();
}

std::vector<std::pair<const char*, const char*>> attribute_lines(const char* attributes, std::size_t count) {
  std::vector<std::pair<const char*, const char*>> out;
  std::istringstream lines(attributes);
  for (std::string line; std::getline(lines, line);) {
    const std::size_t colon = line.find(": ");
    if (line.empty() || colon == std::string::npos) continue;
    out.emplace_back(keep_text(line.substr(0, colon)), keep_text(line.substr(colon + 2)));
  }
  if (out.size() != count) {
    throw std::logic_error("icl_metrics: " + std::to_string(out.size()) + " attribute lines for " +
                           std::to_string(count) + " members");
  }
  return out;
}

namespace {

/// A two-sample test of the library on float64 copies of the samples (named first and second in
/// messages), with the GIL released.
template <class Test>
auto two_sample_test(const char* fn, nb::handle a, nb::handle b, const char* first, const char* second,
                     const std::string& alternative, Test&& test) {
  const auto as = take_doubles(a, fn, first);
  const auto bs = take_doubles(b, fn, second);
  return released([&, alt = parse<icl::alternative>(alternative)] { return test(as, bs, alt); });
}

icl::stats::test_result mann_whitney_u(array_like x, array_like y, const std::string& alternative) {
  return two_sample_test("icl::stats::mann_whitney_u", x, y, "x", "y", alternative,
                         [](const auto& a, const auto& b, auto alt) { return icl::stats::mann_whitney_u(a, b, alt); });
}

icl::stats::welch_result welch_t_test(array_like a, array_like b, const std::string& alternative) {
  return two_sample_test("icl::stats::welch_t_test", a, b, "a", "b", alternative,
                         [](const auto& x, const auto& y, auto alt) { return icl::stats::welch_t_test(x, y, alt); });
}

icl::stats::association_result behaviour_association(array_like x, array_like y, const std::string& statistic,
                                                      std::size_t permutations, const std::string& alternative,
                                                      std::size_t bootstrap_samples, double confidence,
                                                      std::uint64_t seed, const std::string& nan) {
  const char* fn = "icl::stats::behaviour_association";
  const auto xs = take_doubles(x, fn, "x");
  const auto ys = take_doubles(y, fn, "y");
  icl::stats::association_params p;
  p.statistic = parse<icl::stats::correlation>(statistic);
  p.permutations = permutations;
  p.alt = parse<icl::alternative>(alternative);
  p.bootstrap_samples = bootstrap_samples;
  p.confidence = confidence;
  p.seed = seed;
  p.nan = parse<icl::nan_policy>(nan);
  return released([&] { return icl::stats::behaviour_association(xs, ys, p); });
}

}  // namespace

void init_stats(nb::module_& m) {
  using icl::stats::test_result;
  result_class(m, "TestResult", "A test's statistic and p-value (mann_whitney_u, head_layer_mann_whitney).", 2,
               "statistic: The test statistic.\np_value: Its p-value.", &test_result::statistic,
               &test_result::p_value);

  using icl::stats::welch_result;
  result_class(m, "WelchResult", "Result of welch_t_test.", 3,
               R"(t: (mean_a - mean_b) / sqrt(var_a / n_a + var_b / n_b), ddof = 1.
df: Welch-Satterthwaite degrees of freedom.
p_value: From Student's t with df degrees of freedom.
mean_a: Mean of a.
mean_b: Mean of b.
n_a: Size of a.
n_b: Size of b.)",
               &welch_result::t, &welch_result::df, &welch_result::p_value, &welch_result::mean_a,
               &welch_result::mean_b, &welch_result::n_a, &welch_result::n_b);

  using r = icl::stats::association_result;
  result_class(m, "AssociationResult", "Result of behaviour_association.", 7,
               R"(n: Pairs used (after nan='omit').
pearson_r: scipy.stats.pearsonr's r.
spearman_r: scipy.stats.spearmanr's r (average ranks).
r_squared: R^2 of the least-squares line (= pearson_r^2).
p_value: Permutation p-value of statistic (NaN with permutations=0).
ci_low: Percentile bootstrap interval of statistic (NaN with bootstrap_samples=0).
ci_high: Upper end of the interval.
slope: Slope of the least-squares line (scipy.stats.linregress).
intercept: Intercept of the least-squares line.
statistic: The r of `statistic` (pearson_r or spearman_r).
analytic_p_value: p-value of statistic from Student's t, n - 2 df (scipy's pearsonr / spearmanr p-value).
standard_error: Standard deviation (ddof = 1) of the bootstrap statistics.
permutations: N.
bootstrap_samples: B.
bootstrap_skipped: Bootstrap samples with a constant x or y, left out.)",
               &r::n, &r::pearson_r, &r::spearman_r, &r::r_squared, &r::p_value, &r::ci_low, &r::ci_high, &r::slope,
               &r::intercept, &r::statistic, &r::analytic_p_value, &r::standard_error, &r::permutations,
               &r::bootstrap_samples, &r::bootstrap_skipped);

  m.def("mann_whitney_u", &mann_whitney_u, nb::arg("x"), nb::arg("y"), nb::arg("alternative") = "two_sided",
        doc(R"(The Mann-Whitney U test of two independent samples, as scipy.stats.mannwhitneyu(x, y,
alternative, method='auto') with its continuity correction: exact for samples of at most 8
values without ties, else the normal approximation with the tie correction.)",
            R"(x, y : array or list [n1], [n2]
    Finite values.
alternative : str, default 'two_sided'
    'two_sided', 'greater' (x tends to exceed y) or 'less'.)",
            R"(TestResult
    .statistic (U of x), .p_value.)",
            "    an empty sample, NaN/Inf (naming the sample and index), an unknown alternative.")
            .c_str());
  m.def("welch_t_test", &welch_t_test, nb::arg("a"), nb::arg("b"), nb::arg("alternative") = "two_sided",
        doc(R"(Welch's unequal-variance t-test (scipy.stats.ttest_ind(a, b, equal_var=False)).)",
            R"(a, b : array or list
    At least 2 finite values each.
alternative : str, default 'two_sided'
    'greater': mean_a > mean_b.)",
            R"(WelchResult
    .t, .df, .p_value, .mean_a, .mean_b, .n_a, .n_b.)",
            R"(    a sample with fewer than 2 values, NaN/Inf, both samples constant, an unknown
    alternative; an overflowing statistic.)")
            .c_str());
  m.def("behaviour_association", &behaviour_association, nb::arg("x"), nb::arg("y"),
        nb::arg("statistic") = "pearson", nb::arg("permutations") = 10000, nb::arg("alternative") = "two_sided",
        nb::arg("bootstrap_samples") = 1000, nb::arg("confidence") = 0.95, nb::arg("seed") = 0,
        nb::arg("nan") = "raise",
        doc(R"(Behaviour against a metric: for paired values (a metric x and a behaviour y per layer or
condition), Pearson and Spearman r, the least-squares line, the analytic and permutation
p-values and a paired bootstrap interval.)",
            R"(x, y : array or list [n]
    Paired values, n >= 3.
statistic : str, default 'pearson'
    'pearson' or 'spearman': the r that the p-values and the interval are about.
permutations : int, default 10000
    Shuffles of y; 0 skips the test (p_value NaN).
alternative : str, default 'two_sided'
bootstrap_samples : int, default 1000
    0 skips the interval (NaN), else >= 2.
confidence : float, default 0.95
seed : int, default 0
nan : str, default 'raise'
    'raise', 'propagate' (NaN statistics) or 'omit' (drop pairs with NaN/Inf).)",
            R"(AssociationResult
    .pearson_r, .spearman_r, .r_squared, .slope, .intercept, .statistic, .analytic_p_value,
    .p_value, .ci_low, .ci_high, .standard_error, .n, ...)",
            R"(    different lengths, fewer than 3 pairs, NaN/Inf (nan='raise'), a constant x or y, an unknown
    statistic, alternative or nan policy, bootstrap_samples = 1, a confidence outside (0, 1).)")
            .c_str());
  m.def("student_t_sf", &icl::stats::student_t_sf, nb::arg("t"), nb::arg("df"),
        doc("The Student t survival function P(T > t) (scipy.stats.t.sf(t, df)); df = inf: the normal one.",
            "t : float\ndf : float, > 0", "float", "    t NaN, df not > 0.").c_str());
  m.def("student_t_cdf", &icl::stats::student_t_cdf, nb::arg("t"), nb::arg("df"),
        doc("The Student t cumulative distribution function P(T <= t) (scipy.stats.t.cdf(t, df)).",
            "t : float\ndf : float, > 0", "float", "    t NaN, df not > 0.").c_str());
  m.def("normal_sf", &icl::stats::normal_sf, nb::arg("x"),
        doc("The standard normal survival function P(Z > x) (scipy.stats.norm.sf).", "x : float", "float",
            "    x NaN.").c_str());
  m.def("normal_cdf", &icl::stats::normal_cdf, nb::arg("x"),
        doc("The standard normal cumulative distribution function P(Z <= x) (scipy.stats.norm.cdf).", "x : float",
            "float", "    x NaN.").c_str());
  m.def("regularized_incomplete_beta", &icl::stats::regularized_incomplete_beta, nb::arg("a"), nb::arg("b"),
        nb::arg("x"),
        doc("The regularized incomplete beta function I_x(a, b) (scipy.special.betainc(a, b, x)).",
            "a, b : float, finite and > 0\nx : float in [0, 1]", "float",
            "    a parameter outside its range (NaN included).").c_str());
}

}  // namespace icl_py
