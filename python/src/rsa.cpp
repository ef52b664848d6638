// The RSA module: RDMs, comparisons, permutation and bootstrap inference, hypothesis RDMs.
#include <string>


#include "bindings.hpp"

namespace icl_py {

namespace {

using icl::rsa::comparison;
using icl::rsa::dissimilarity;

/// "icl::rsa::rsa_curve: layer 0: ..." of a one-layer call, with the layer of the whole tensor.
std::string layer_message(std::string message, std::size_t layer) {
  const std::string one = "icl::rsa::rsa_curve: layer 0: ";
  if (message.compare(0, one.size(), one) == 0) {
    message.replace(0, one.size(), "icl::rsa::rsa_curve: layer " + std::to_string(layer) + ": ");
  }
  return message;
}

/// The two condensed RDMs and the comparison of compare, permutation_test, bootstrap_compare.
struct rdm_pair {
  icl::rsa::rdm a, b;
  comparison c;
  rdm_pair(nb::handle x, nb::handle y, const std::string& method, const char* function)
      : a(icl::rsa::rdm_from_condensed(take_doubles(x, function, "a"))),
        b(icl::rsa::rdm_from_condensed(take_doubles(y, function, "b"))),
        c(parse<comparison>(method)) {}
};

nb::ndarray<nb::numpy, double> compute_rdm(array_like X, const std::string& d, std::size_t block_rows) {
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

double compare(array_like a, array_like b, const std::string& method) {
  const rdm_pair p(a, b, method, "icl::rsa::compare");
  return released([&] { return icl::rsa::compare(p.a, p.b, p.c); });
}

icl::rsa::permutation_result permutation_test(array_like a, array_like b, const std::string& method,
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

icl::rsa::bootstrap_result bootstrap_compare(array_like a, array_like b, const std::string& method,
                                             std::size_t samples, double confidence, std::uint64_t seed) {
  const rdm_pair p(a, b, method, "icl::rsa::bootstrap_compare");
  icl::rsa::bootstrap_params params;
  params.samples = samples;
  params.confidence = confidence;
  params.seed = seed;
  return released([&] { return icl::rsa::bootstrap_compare(p.a, p.b, p.c, params); });
}

/// rsa_curve one layer at a time (each layer is the library's rsa_curve of that layer alone:
/// the same seed at every layer, so the same numbers), with Ctrl-C checked between layers. An
/// error names the layer of the whole tensor, as the library's own message does.
icl::rsa::layer_rsa_result rsa_curve(array_like H, array_like hypothesis, const std::string& d,
                                     const std::string& method, std::size_t permutations,
                                     std::size_t bootstrap_samples, double confidence, std::uint64_t seed,
                                     const std::string& alternative) {
  const char* fn = "icl::rsa::rsa_curve";
  const array_arg h = take_array(H, fn, "H", 3);
  const auto hyp = icl::rsa::rdm_from_condensed(take_doubles(hypothesis, fn, "hypothesis"));
  icl::rsa::rsa_curve_params params;
  params.alignment.dissimilarity = parse<dissimilarity>(d);
  params.alignment.comparison = parse<comparison>(method);
  params.permutations = permutations;
  params.bootstrap_samples = bootstrap_samples;
  params.confidence = confidence;
  params.seed = seed;
  params.alt = parse<icl::alternative>(alternative);
  icl::rsa::layer_rsa_result out;
  visit(h, [&](auto t) {
    const auto view = tensor_of<decltype(t), 3>(h);
    icl::detail::check_layers(fn, "H", view);
    for (std::size_t l = 0; l < view.extent(0); ++l) {
      const auto one = icl::tensor_view<const decltype(t), 3>(view.data() + static_cast<std::ptrdiff_t>(l) * view.stride(0),
                                                            {1, view.extent(1), view.extent(2)}, view.strides());
      const auto r = released([&] {
        try {
          return icl::rsa::rsa_curve(one, hyp, params);
        } catch (const icl::invalid_argument& e) {
          throw icl::invalid_argument(layer_message(e.what(), l));
        } catch (const icl::error& e) {
          throw icl::error(layer_message(e.what(), l));
        }
      });
      out.statistic.push_back(r.statistic[0]);
      out.p_value.push_back(r.p_value[0]);
      out.ci_low.push_back(r.ci_low[0]);
      out.ci_high.push_back(r.ci_high[0]);
      check_signals();
    }
  });
  out.curve.values = out.statistic;
  return out;
}

nb::ndarray<nb::numpy, double> categorical_rdm(array_like labels) {
  auto r = icl::rsa::categorical_rdm(take_labels(labels, "icl::rsa::categorical_rdm", "labels"));
  return to_numpy(std::move(r.condensed()));
}

nb::ndarray<nb::numpy, double> parameter_rdm(array_like values, const std::string& distance) {
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

  nb::class_<icl::rsa::layer_rsa_result>(m, "RSACurve",
                                         "Result of rsa_curve: statistic, p_value, ci_low, ci_high (one per "
                                         "layer), values, peak_layer.")
      .def_prop_ro("statistic", array_field(&icl::rsa::layer_rsa_result::statistic), nb::rv_policy::move,
                   "compare(RDM(H_l), hypothesis) per layer (float64 [layers]).")
      .def_prop_ro("values", array_field(&icl::rsa::layer_rsa_result::statistic), nb::rv_policy::move,
                   "The same as statistic: the curve.")
      .def_prop_ro("p_value", array_field(&icl::rsa::layer_rsa_result::p_value), nb::rv_policy::move,
                   "Permutation p-value per layer (NaN with permutations=0).")
      .def_prop_ro("ci_low", array_field(&icl::rsa::layer_rsa_result::ci_low), nb::rv_policy::move,
                   "Lower end of the bootstrap interval per layer (NaN with bootstrap_samples=0).")
      .def_prop_ro("ci_high", array_field(&icl::rsa::layer_rsa_result::ci_high), nb::rv_policy::move,
                   "Upper end of the bootstrap interval per layer.")
      .def_prop_ro("peak_layer", &icl::rsa::layer_rsa_result::peak_layer,
                   "The layer of the highest statistic (the first on ties); Error when none is finite.")
      .def("__repr__", [](const icl::rsa::layer_rsa_result& r) {
        std::string v, p;
        for (std::size_t l = 0; l < r.statistic.size(); ++l) {
          v += (l ? ", " : "") + fmt(r.statistic[l]);
          p += (l ? ", " : "") + fmt(r.p_value[l]);
        }
        return "RSACurve(statistic=[" + v + "], p_value=[" + p + "])";
      });

  m.def("rsa_curve", &rsa_curve, nb::arg("H"), nb::arg("hypothesis"), nb::arg("dissimilarity") = "correlation",
        nb::arg("method") = "spearman", nb::arg("permutations") = 10000, nb::arg("bootstrap_samples") = 1000,
        nb::arg("confidence") = 0.95, nb::arg("seed") = 0, nb::arg("alternative") = "two_sided",
        doc(R"(Per-layer RSA with inference: for each layer, the RDM of its states compared with the hypothesis
RDM, the permutation p-value and the bootstrap interval (the same seed at every layer). Ctrl-C
interrupts between layers.)",
            R"(H : array [layers, n, d]
    The states of every layer (any strides; float16, bfloat16, float32 or float64 in place).
hypothesis : array [n (n - 1) / 2]
    The hypothesis RDM, condensed (e.g. categorical_rdm(labels)).
dissimilarity : str, default 'correlation'
    Of each layer's RDM (see compute_rdm).
method : str, default 'spearman'
    The comparison (see compare).
permutations : int, default 10000
    Per layer; 0 skips the test (p_value NaN).
bootstrap_samples : int, default 1000
    Per layer; 0 skips the interval (NaN), else >= 2.
confidence : float, default 0.95
seed : int, default 0
alternative : str, default 'two_sided')",
            R"(RSACurve
    .statistic, .p_value, .ci_low, .ci_high (float64 [layers]), .values, .peak_layer.)",
            R"(    no layers, n other than the hypothesis's, n < 3, an unknown method or alternative,
    bootstrap_samples = 1, a confidence outside (0, 1), whitened_cosine with a bootstrap; a
    failure at one layer as "icl::rsa::rsa_curve: layer <l>: ...".)")
            .c_str());
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
