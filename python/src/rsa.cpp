// The RSA module: RDMs, comparisons, permutation and bootstrap inference, hypothesis RDMs.
#include <string>


#include "bindings.hpp"

namespace icl_py {

namespace {

using icl::rsa::comparison;
using icl::rsa::dissimilarity;

/// The two condensed RDMs and the comparison of compare, permutation_test, bootstrap_compare.
struct rdm_pair {
  icl::rsa::rdm a, b;
  comparison c;
  rdm_pair(nb::handle x, nb::handle y, const std::string& method, const char* function)
      : a(icl::rsa::rdm_from_condensed(take_doubles(x, function, "a"))),
        b(icl::rsa::rdm_from_condensed(take_doubles(y, function, "b"))),
        c(parse<comparison>(method)) {}
};

nb::ndarray<nb::numpy, double> compute_rdm(nb::handle X, const std::string& d, std::size_t block_rows) {
  const char* fn = "icl::rsa::compute_rdm";
  const array_arg x = take_array(X, fn, "X", 2);
  icl::rsa::rdm_params params;
  params.block_rows = block_rows;
  const auto kind = parse<dissimilarity>(d);
  icl::rsa::rdm r = released([&] {
    return visit(x, [&](auto t) { return icl::rsa::compute_rdm(matrix_of<decltype(t)>(x), kind, params); });
  });
  return to_numpy(std::move(r.condensed()));
}

double compare(nb::handle a, nb::handle b, const std::string& method) {
  const rdm_pair p(a, b, method, "icl::rsa::compare");
  return released([&] { return icl::rsa::compare(p.a, p.b, p.c); });
}

icl::rsa::permutation_result permutation_test(nb::handle a, nb::handle b, const std::string& method,
                                              std::size_t permutations, std::uint64_t seed,
                                              const std::string& alternative, bool keep_null) {
  const rdm_pair p(a, b, method, "icl::rsa::permutation_test");
  icl::rsa::permutation_params params;
  params.permutations = permutations;
  params.seed = seed;
  params.alt = parse<icl::alternative>(alternative);
  params.keep_null = keep_null;
  return released([&] { return icl::rsa::permutation_test(p.a, p.b, p.c, params); });
}

icl::rsa::bootstrap_result bootstrap_compare(nb::handle a, nb::handle b, const std::string& method,
                                             std::size_t samples, double confidence, std::uint64_t seed) {
  const rdm_pair p(a, b, method, "icl::rsa::bootstrap_compare");
  icl::rsa::bootstrap_params params;
  params.samples = samples;
  params.confidence = confidence;
  params.seed = seed;
  return released([&] { return icl::rsa::bootstrap_compare(p.a, p.b, p.c, params); });
}

nb::ndarray<nb::numpy, double> categorical_rdm(nb::handle labels) {
  auto r = icl::rsa::categorical_rdm(take_labels(labels, "icl::rsa::categorical_rdm", "labels"));
  return to_numpy(std::move(r.condensed()));
}

nb::ndarray<nb::numpy, double> parameter_rdm(nb::handle values, const std::string& distance) {
  auto r = icl::rsa::parameter_rdm(take_doubles(values, "icl::rsa::parameter_rdm", "values"),
                                   parse<icl::rsa::parameter_distance>(distance));
  return to_numpy(std::move(r.condensed()));
}

const std::string compute_rdm_doc = doc(R"(Representational dissimilarity matrix of the rows of X, condensed.)", R"(X : array [n, d]
    One row per condition (n >= 2, d >= 1). float16, bfloat16 (ml_dtypes), float32 or
    float64 are read in place with their strides (slices, transposes, torch CPU tensors);
    other dtypes are converted to a float64 copy.
dissimilarity : str, default 'correlation'
    'euclidean', 'sqeuclidean', 'sqeuclidean_per_feature', 'correlation' or 'cosine'
    (scipy.spatial.distance.pdist's metrics of the same names; sqeuclidean_per_feature is
    rsatoolbox's 'euclidean').
block_rows : int, default 0
    Rows per block of the Gram products (0: chosen by the library).)",
        R"(numpy.ndarray, float64, shape [n (n - 1) / 2]
    The upper triangle in scipy.spatial.distance.squareform order.)", R"(    n < 2, d < 1, NaN/Inf in X (naming the row), a zero-variance row under 'correlation' or a
    zero row under 'cosine', an unknown dissimilarity, a device array.)");

const std::string compare_doc = doc(R"(Comparison of two RDMs given as condensed vectors (scipy squareform order).)", R"(a, b : array [m]
    Condensed RDMs of the same n conditions, m = n (n - 1) / 2 (any real dtype; read into
    float64 vectors of m values).
method : str, default 'spearman'
    'pearson', 'spearman' (scipy.stats.spearmanr), 'kendall_tau_a' (rsatoolbox),
    'kendall_tau_b' (scipy.stats.kendalltau), 'rho_a', 'cosine' or 'whitened_cosine'
    (rsatoolbox's names).)",
        R"(float)", R"(    a length that is not n (n - 1) / 2, different n, NaN/Inf, a constant vector where the
    statistic is undefined (pearson, spearman, kendall_tau_b), an unknown method.)");

const std::string permutation_doc = doc(R"(Permutation test of an RDM comparison: the conditions of a are permuted (the same permutation
for rows and columns) and the statistic recomputed.)", R"(a, b : array [m]
    Condensed RDMs of the same n >= 3 conditions (scipy squareform order).
method : str, default 'spearman'
    The comparison (see compare).
permutations : int, default 10000
    N, the number of random permutations (> 0).
seed : int, default 0
    Seed of the counter-based generator: the same p-value at any number of threads.
alternative : str, default 'two_sided'
    'two_sided', 'greater' or 'less'.
keep_null : bool, default False
    Keep the N permuted statistics in the result's null_distribution.)",
        R"(PermutationResult
    .statistic, .p_value = (1 + count) / (1 + N), .permutations, .null_distribution.)", R"(    different n, n < 3, N = 0, NaN/Inf, an undefined observed statistic, an unknown method
    or alternative.)");

const std::string bootstrap_doc = doc(R"(Bootstrap over conditions of an RDM comparison, with a percentile interval.)", R"(a, b : array [m]
    Condensed RDMs of the same n >= 3 conditions.
method : str, default 'spearman'
    Any comparison except 'whitened_cosine'.
samples : int, default 1000
    B >= 2 samples of n conditions drawn with replacement.
confidence : float, default 0.95
    In (0, 1).
seed : int, default 0)",
        R"(BootstrapResult
    .statistic, .ci_low, .ci_high, .standard_error, .samples, .skipped.)", R"(    as permutation_test, B < 2, a confidence outside (0, 1), whitened_cosine, fewer than two
    samples with a defined statistic.)");

}  // namespace

void init_rsa(nb::module_& m) {
  nb::class_<icl::rsa::permutation_result>(m, "PermutationResult",
                                           "Result of permutation_test: statistic, p_value, permutations, "
                                           "null_distribution.")
      .def_ro("statistic", &icl::rsa::permutation_result::statistic, "The observed statistic (float).")
      .def_ro("p_value", &icl::rsa::permutation_result::p_value, "(1 + count) / (1 + permutations), in (0, 1].")
      .def_ro("permutations", &icl::rsa::permutation_result::permutations, "N, the number of permutations.")
      .def_prop_ro("null_distribution", array_field(&icl::rsa::permutation_result::null_distribution), nb::rv_policy::move,
          "The permuted statistics in permutation order (float64 [N]; empty unless keep_null=True).")
      .def("__repr__", [](const icl::rsa::permutation_result& r) {
        return "PermutationResult(statistic=" + fmt(r.statistic) + ", p_value=" + fmt(r.p_value) +
               ", permutations=" + std::to_string(r.permutations) + ")";
      });

  nb::class_<icl::rsa::bootstrap_result>(m, "BootstrapResult",
                                         "Result of bootstrap_compare: statistic, ci_low, ci_high, "
                                         "standard_error, samples, skipped.")
      .def_ro("statistic", &icl::rsa::bootstrap_result::statistic, "The observed statistic.")
      .def_ro("ci_low", &icl::rsa::bootstrap_result::ci_low, "Lower end of the percentile interval.")
      .def_ro("ci_high", &icl::rsa::bootstrap_result::ci_high, "Upper end of the percentile interval.")
      .def_ro("standard_error", &icl::rsa::bootstrap_result::standard_error,
              "Standard deviation (ddof = 1) of the bootstrap statistics.")
      .def_ro("samples", &icl::rsa::bootstrap_result::samples, "B, the samples drawn.")
      .def_ro("skipped", &icl::rsa::bootstrap_result::skipped, "Samples whose statistic was undefined.")
      .def("__repr__", [](const icl::rsa::bootstrap_result& r) {
        return "BootstrapResult(statistic=" + fmt(r.statistic) + ", ci_low=" + fmt(r.ci_low) +
               ", ci_high=" + fmt(r.ci_high) + ", standard_error=" + fmt(r.standard_error) +
               ", samples=" + std::to_string(r.samples) + ", skipped=" + std::to_string(r.skipped) + ")";
      });

  m.def("compute_rdm", &compute_rdm, nb::arg("X"), nb::arg("dissimilarity") = "correlation",
        nb::arg("block_rows") = 0, compute_rdm_doc.c_str());
  m.def("compare", &compare, nb::arg("a"), nb::arg("b"), nb::arg("method") = "spearman", compare_doc.c_str());
  m.def("permutation_test", &permutation_test, nb::arg("a"), nb::arg("b"), nb::arg("method") = "spearman",
        nb::arg("permutations") = 10000, nb::arg("seed") = 0, nb::arg("alternative") = "two_sided",
        nb::arg("keep_null") = false, permutation_doc.c_str());
  m.def("bootstrap_compare", &bootstrap_compare, nb::arg("a"), nb::arg("b"), nb::arg("method") = "spearman",
        nb::arg("samples") = 1000, nb::arg("confidence") = 0.95, nb::arg("seed") = 0, bootstrap_doc.c_str());
  m.def("categorical_rdm", &categorical_rdm, nb::arg("labels"),
        doc(R"(Hypothesis RDM of a categorical model: 0 for two conditions with the same label, 1 otherwise.)", R"(labels : integer array or list [n], n >= 2)",
        R"(numpy.ndarray, float64 [n (n - 1) / 2] (scipy squareform order))", R"(    n < 2, labels that are not integers.)").c_str());
  m.def("parameter_rdm", &parameter_rdm, nb::arg("values"), nb::arg("distance") = "absolute",
        doc(R"(Hypothesis RDM of a continuous parameter: |a_i - a_j| ('absolute') or (a_i - a_j)^2 ('squared').)", R"(values : array or list [n], n >= 2, finite
distance : str, default 'absolute')",
        R"(numpy.ndarray, float64 [n (n - 1) / 2] (scipy squareform order))", R"(    n < 2, NaN/Inf, an unknown distance.)").c_str());
}

}  // namespace icl_py
