// The RSA module: RDMs, comparisons, permutation and bootstrap inference, hypothesis RDMs, the
// per-layer curves and the [P1] preset.
#include <functional>
#include <memory>
#include <string>

#include "bindings.hpp"

namespace icl_py {

namespace {

using icl::rsa::comparison;
using icl::rsa::dissimilarity;

/// "<fn>: layer 0: ..." of a one-layer call, with the layer of the whole tensor.
std::string layer_message(const char* fn, std::string message, std::size_t layer) {
  const std::string one = std::string(fn) + ": layer 0: ";
  if (message.compare(0, one.size(), one) == 0) {
    message.replace(0, one.size(), std::string(fn) + ": layer " + std::to_string(layer) + ": ");
  }
  return message;
}

/// The library's rsa_curve (or p1_rsa_curve) one layer at a time: step(l) is the call on layer
/// l alone (the same seed at every layer, so the same numbers), run with the GIL released, Ctrl-C
/// checked between layers. An error names the layer of the whole tensor, as the library's own
/// message does.
template <class Step>
icl::rsa::layer_rsa_result layer_by_layer(const char* fn, std::size_t layers, Step&& step) {
  icl::rsa::layer_rsa_result out;
  for (std::size_t l = 0; l < layers; ++l) {
    const auto r = released([&] {
      try {
        return step(l);
      } catch (const icl::invalid_argument& e) {
        throw icl::invalid_argument(layer_message(fn, e.what(), l));
      } catch (const icl::error& e) {
        throw icl::error(layer_message(fn, e.what(), l));
      }
    });
    out.statistic.push_back(r.statistic[0]);
    out.p_value.push_back(r.p_value[0]);
    out.ci_low.push_back(r.ci_low[0]);
    out.ci_high.push_back(r.ci_high[0]);
    check_signals();
  }
  out.curve.values = out.statistic;
  return out;
}

/// Layer l of a [layers, ...] view, as a view of one layer.
template <class T, std::size_t N>
icl::tensor_view<const T, N> one_layer(const icl::tensor_view<const T, N>& view, std::size_t l) {
  std::array<std::size_t, N> extents{};
  for (std::size_t k = 0; k < N; ++k) extents[k] = view.extent(k);
  extents[0] = 1;
  return icl::tensor_view<const T, N>(view.data() + static_cast<std::ptrdiff_t>(l) * view.stride(0), extents,
                                      view.strides());
}

/// A condensed RDM argument (any 1-D array or list) as the library's rdm.
icl::rsa::rdm take_rdm(nb::handle obj, const char* fn, const char* name) {
  return icl::rsa::rdm_from_condensed(take_doubles(obj, fn, name));
}

/// The two condensed RDMs and the comparison of compare, permutation_test, bootstrap_compare.
struct rdm_pair {
  icl::rsa::rdm a, b;
  comparison c;
  rdm_pair(nb::handle x, nb::handle y, const std::string& method, const char* function)
      : a(take_rdm(x, function, "a")), b(take_rdm(y, function, "b")), c(parse<comparison>(method)) {}
};

/// A matrix argument read as float64 (a small copy when it is another dtype): precisions.
array_arg take_double_matrix(nb::handle obj, const char* fn, const char* name) {
  nb::object as_double = nb::module_::import_("numpy").attr("asarray")(obj, nb::arg("dtype") = "float64");
  return take_array(as_double, fn, name, 2);
}

/// Token positions: one integer list for every prompt, or a sequence of n of them (one per
/// prompt), as icl::pool_tokens takes them.
std::vector<std::vector<std::size_t>> take_subsets(nb::handle positions, std::size_t n, const char* fn,
                                                   const char* name) {
  std::vector<std::vector<std::size_t>> subsets;
  if (nb::len(positions) > 0 && nb::hasattr(positions[0], "__len__")) {
    for (nb::handle p : positions) subsets.push_back(take_indices(p, fn, name));
  } else {
    subsets.assign(n, take_indices(positions, fn, name));
  }
  return subsets;
}

/// The alignment options of hypothesis_alignment, alignment_curve, icl_effect and the [P1] preset.
icl::rsa::hypothesis_alignment_params alignment_of(const std::string& d, const std::string& method,
                                                   const std::string& standardize) {
  icl::rsa::hypothesis_alignment_params p;
  p.dissimilarity = parse<dissimilarity>(d);
  p.comparison = parse<comparison>(method);
  p.standardize = parse<icl::standardization>(standardize);
  return p;
}

/// The inference options of rsa_curve and p1_rsa_curve.
icl::rsa::rsa_curve_params curve_of(icl::rsa::hypothesis_alignment_params alignment, std::size_t permutations,
                                    std::size_t bootstrap_samples, double confidence, std::uint64_t seed,
                                    const std::string& alternative) {
  icl::rsa::rsa_curve_params params;
  params.alignment = std::move(alignment);
  params.permutations = permutations;
  params.bootstrap_samples = bootstrap_samples;
  params.confidence = confidence;
  params.seed = seed;
  params.alt = parse<icl::alternative>(alternative);
  return params;
}

nb::ndarray<nb::numpy, double> compute_rdm(array_like X, const std::string& d, std::size_t block_rows,
                                           const std::string& nan) {
  const char* fn = "icl::rsa::compute_rdm";
  const array_arg x = take_array(X, fn, "X", 2);
  icl::rsa::rdm_params params;
  params.block_rows = block_rows;
  params.nan = parse<icl::nan_policy>(nan);
  const auto kind = parse<dissimilarity>(d);
  icl::rsa::rdm r = released([&] {
    return visit(x, [&](auto t) { return icl::rsa::compute_rdm(matrix_of<decltype(t)>(x), kind, params); });
  });
  return to_numpy(std::move(r.condensed()));
}

double compare(array_like a, array_like b, const std::string& method, const std::string& nan) {
  const char* fn = "icl::rsa::compare";
  icl::rsa::compare_params params;
  params.nan = parse<icl::nan_policy>(nan);
  const auto c = parse<comparison>(method);
  // Read in place (the library's view overload): no copy of a float64 array at any stride.
  const double_vector x = take_double_vector(a, fn, "a");
  const double_vector y = take_double_vector(b, fn, "b");
  // Condensed RDMs, as compare() of two rdm objects requires (checked before the values).
  icl::rsa::detail::check_condensed_pair(fn, x.view.extent(0), y.view.extent(0));
  return released([&] { return icl::rsa::compare(x.view, y.view, c, params); });
}

icl::rsa::permutation_result permutation_test(array_like a, array_like b, const std::string& method,
                                              std::size_t permutations, std::uint64_t seed,
                                              const std::string& alternative, bool keep_null, const std::string& nan) {
  const rdm_pair p(a, b, method, "icl::rsa::permutation_test");
  icl::rsa::permutation_params params;
  params.permutations = permutations;
  params.seed = seed;
  params.alt = parse<icl::alternative>(alternative);
  params.keep_null = keep_null;
  params.nan = parse<icl::nan_policy>(nan);
  signal_hook stop;
  params.should_stop = stop.hook();
  return stop.run([&] { return icl::rsa::permutation_test(p.a, p.b, p.c, params); });
}

icl::rsa::bootstrap_result bootstrap_compare(array_like a, array_like b, const std::string& method,
                                             std::size_t samples, double confidence, std::uint64_t seed) {
  const rdm_pair p(a, b, method, "icl::rsa::bootstrap_compare");
  icl::rsa::bootstrap_params params;
  params.samples = samples;
  params.confidence = confidence;
  params.seed = seed;
  signal_hook stop;
  params.should_stop = stop.hook();
  return stop.run([&] { return icl::rsa::bootstrap_compare(p.a, p.b, p.c, params); });
}

icl::rsa::layer_rsa_result rsa_curve(array_like H, array_like hypothesis, const std::string& d,
                                     const std::string& method, std::size_t permutations,
                                     std::size_t bootstrap_samples, double confidence, std::uint64_t seed,
                                     const std::string& alternative, const std::string& standardize) {
  const char* fn = "icl::rsa::rsa_curve";
  const array_arg h = take_array(H, fn, "H", 3);
  const auto hyp = take_rdm(hypothesis, fn, "hypothesis");
  const auto params =
      curve_of(alignment_of(d, method, standardize), permutations, bootstrap_samples, confidence, seed, alternative);
  return visit(h, [&](auto t) {
    const auto view = tensor_of<decltype(t), 3>(h);
    icl::detail::check_layers(fn, "H", view);
    return layer_by_layer(fn, view.extent(0),
                          [&](std::size_t l) { return icl::rsa::rsa_curve(one_layer(view, l), hyp, params); });
  });
}

icl::rsa::layer_rsa_result p1_rsa_curve(array_like tokens, array_like positions, array_like hypothesis,
                                        std::size_t permutations, std::size_t bootstrap_samples, double confidence,
                                        std::uint64_t seed, const std::string& alternative) {
  const char* fn = "icl::rsa::p1_rsa_curve";
  const array_arg t = take_array(tokens, fn, "tokens", 4);
  const auto subsets = take_subsets(positions, t.shape[1], fn, "positions");
  const auto hyp = take_rdm(hypothesis, fn, "hypothesis");
  const auto params =
      curve_of(icl::rsa::p1_alignment_params(), permutations, bootstrap_samples, confidence, seed, alternative);
  if (t.shape[0] == 0) icl::detail::throw_invalid(fn, "tokens has no layers");
  return visit(t, [&](auto e) {
    const auto view = tensor_of<decltype(e), 4>(t);
    return layer_by_layer(fn, view.extent(0), [&](std::size_t l) {
      return icl::rsa::p1_rsa_curve(one_layer(view, l), subsets, hyp, params);
    });
  });
}

nb::ndarray<nb::numpy, double> p1_rdm(array_like tokens, array_like positions) {
  const char* fn = "icl::rsa::p1_rdm";
  const array_arg t = take_array(tokens, fn, "tokens", 3);
  const auto subsets = take_subsets(positions, t.shape[0], fn, "positions");
  auto r = released([&] {
    return visit(t, [&](auto e) { return icl::rsa::p1_rdm(tensor_of<decltype(e), 3>(t), subsets); });
  });
  return to_numpy(std::move(r.condensed()));
}

icl::rsa::icl_effect_result p1_icl_effect(array_like with_icl, array_like with_positions, array_like without_icl,
                                          array_like without_positions, array_like hypothesis) {
  const char* fn = "icl::rsa::p1_icl_effect";
  const array_arg w = take_array(with_icl, fn, "with_icl", 4);
  const array_arg o = take_array(without_icl, fn, "without_icl", 4);
  const auto with_subsets = take_subsets(with_positions, w.shape[1], fn, "with_positions");
  const auto without_subsets = take_subsets(without_positions, o.shape[1], fn, "without_positions");
  const auto hyp = take_rdm(hypothesis, fn, "hypothesis");
  return released([&] {
    return visit_same(w, o, fn, [&](auto e) {
      using T = decltype(e);
      return icl::rsa::p1_icl_effect(tensor_of<T, 4>(w), with_subsets, tensor_of<T, 4>(o), without_subsets, hyp);
    });
  });
}

double hypothesis_alignment(array_like H, array_like hypothesis, const std::string& d, const std::string& method,
                            const std::string& standardize) {
  const char* fn = "icl::rsa::hypothesis_alignment";
  const array_arg h = take_array(H, fn, "H", 2);
  const auto hyp = take_rdm(hypothesis, fn, "hypothesis");
  const auto p = alignment_of(d, method, standardize);
  return released([&] {
    return visit(h, [&](auto t) { return icl::rsa::hypothesis_alignment(matrix_of<decltype(t)>(h), hyp, p); });
  });
}

nb::ndarray<nb::numpy, double> alignment_curve(array_like H, array_like hypothesis, const std::string& d,
                                               const std::string& method, const std::string& standardize) {
  const char* fn = "icl::rsa::alignment_curve";
  const array_arg h = take_array(H, fn, "H", 3);
  auto hyp = take_rdm(hypothesis, fn, "hypothesis");
  const auto p = alignment_of(d, method, standardize);
  return visit(h, [&](auto t) {
    const auto view = tensor_of<decltype(t), 3>(h);
    icl::detail::check_layers(fn, "H", view);
    icl::rsa::hypothesis_alignment_tracker tracker(std::move(hyp), p);
    feed_layers(tracker, view);
    return copy_to_numpy(tracker.curve().values);
  });
}

icl::rsa::icl_effect_result icl_effect(array_like with_icl, array_like without_icl, array_like hypothesis,
                                       const std::string& d, const std::string& method,
                                       const std::string& standardize) {
  const char* fn = "icl::rsa::icl_effect";
  const array_arg w = take_array(with_icl, fn, "with_icl", 3);
  const array_arg o = take_array(without_icl, fn, "without_icl", 3);
  const auto hyp = take_rdm(hypothesis, fn, "hypothesis");
  const auto p = alignment_of(d, method, standardize);
  return released([&] {
    return visit_same(w, o, fn, [&](auto e) {
      using T = decltype(e);
      return icl::rsa::icl_effect(tensor_of<T, 3>(w), tensor_of<T, 3>(o), hyp, p);
    });
  });
}

nb::ndarray<nb::numpy, double> compute_rdm_mahalanobis(array_like X, array_like precision, std::size_t block_rows) {
  const char* fn = "icl::rsa::compute_rdm_mahalanobis";
  const array_arg x = take_array(X, fn, "X", 2);
  const array_arg p = take_double_matrix(precision, fn, "precision");
  icl::rsa::rdm_params params;
  params.block_rows = block_rows;
  auto r = released([&] {
    return visit(x, [&](auto t) {
      return icl::rsa::compute_rdm_mahalanobis(matrix_of<decltype(t)>(x), matrix_of<double>(p), params);
    });
  });
  return to_numpy(std::move(r.condensed()));
}

nb::ndarray<nb::numpy, double> compute_rdm_crossnobis(array_like X, array_like conditions, array_like folds,
                                                      nb::object precision) {
  const char* fn = "icl::rsa::compute_rdm_crossnobis";
  const array_arg x = take_array(X, fn, "X", 2);
  const auto c = take_labels(conditions, fn, "conditions");
  const auto f = take_labels(folds, fn, "folds");
  const bool identity = precision.is_none();
  const array_arg p = identity ? array_arg{} : take_double_matrix(precision, fn, "precision");
  auto r = released([&] {
    return visit(x, [&](auto t) {
      const auto view = matrix_of<decltype(t)>(x);
      return identity ? icl::rsa::compute_rdm_crossnobis(view, c, f)
                      : icl::rsa::compute_rdm_crossnobis(view, c, f, matrix_of<double>(p));
    });
  });
  return to_numpy(std::move(r.condensed()));
}

nb::ndarray<nb::numpy, double> rdm_from_square(array_like square, double symmetry_tolerance) {
  const char* fn = "icl::rsa::rdm_from_square";
  const array_arg s = take_array(square, fn, "square", 2);
  auto r = released([&] {
    return visit(s, [&](auto t) { return icl::rsa::rdm_from_square(matrix_of<decltype(t)>(s), symmetry_tolerance); });
  });
  return to_numpy(std::move(r.condensed()));
}

icl::rsa::group_test_result within_between_test(array_like rdm, array_like groups, const std::string& alternative) {
  const char* fn = "icl::rsa::within_between_test";
  const auto r = take_rdm(rdm, fn, "rdm");
  const auto g = take_labels(groups, fn, "groups");
  return released([&, alt = parse<icl::alternative>(alternative)] { return icl::rsa::within_between_test(r, g, alt); });
}

nb::ndarray<nb::numpy, double> categorical_rdm(array_like labels) {
  const auto y = take_labels(labels, "icl::rsa::categorical_rdm", "labels");
  auto r = released([&] { return icl::rsa::categorical_rdm(y); });
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
    Rows per block of the Gram products (0: chosen by the library).
nan : str, default 'raise'
    'raise' or 'propagate' (NaN for the dissimilarities of a row with NaN/Inf, zero variance
    under 'correlation' or zero norm under 'cosine').)",
        R"(numpy.ndarray, float64, shape [n (n - 1) / 2]
    The upper triangle in scipy.spatial.distance.squareform order.)", R"(    n < 2, d < 1, NaN/Inf in X (naming the row), a zero-variance row under 'correlation' or a
    zero row under 'cosine', an unknown dissimilarity, a device array.)");

const std::string compare_doc = doc(R"(Comparison of two RDMs given as condensed vectors (scipy squareform order).)", R"(a, b : array [m]
    Condensed RDMs of the same n conditions, m = n (n - 1) / 2. float64 arrays are read in
    place at any stride (no copy); another dtype or a list is converted to float64 once.
method : str, default 'spearman'
    'pearson', 'spearman' (scipy.stats.spearmanr), 'kendall_tau_a' (rsatoolbox),
    'kendall_tau_b' (scipy.stats.kendalltau), 'rho_a', 'cosine' or 'whitened_cosine'
    (rsatoolbox's names).
nan : str, default 'raise'
    'raise', 'propagate' (NaN for NaN/Inf entries or an undefined statistic) or 'omit'
    (positions where a or b is NaN/Inf dropped; not for whitened_cosine).)",
        R"(float)", R"(    a length that is not n (n - 1) / 2, different n, NaN/Inf, a constant vector where the
    statistic is undefined (pearson, spearman, kendall_tau_b), an unknown method.)");

const std::string permutation_doc = doc(R"(Permutation test of an RDM comparison: the conditions of a are permuted (the same permutation
for rows and columns) and the statistic recomputed. Ctrl-C interrupts it (KeyboardInterrupt)
between batches of permutations.)", R"(a, b : array [m]
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
    Keep the N permuted statistics in the result's null_distribution.
nan : str, default 'raise'
    'raise' or 'propagate' (a NaN statistic and p-value).)",
        R"(PermutationResult
    .statistic, .p_value = (1 + count) / (1 + N), .permutations, .null_distribution.)", R"(    different n, n < 3, N = 0, NaN/Inf, an undefined observed statistic, an unknown method
    or alternative.)");

const std::string bootstrap_doc = doc(R"(Bootstrap over conditions of an RDM comparison, with a percentile interval. Ctrl-C interrupts
it (KeyboardInterrupt) between batches of samples.)", R"(a, b : array [m]
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
  using icl::rsa::bootstrap_result;
  using icl::rsa::layer_rsa_result;
  using icl::rsa::permutation_result;
  result_class(m, "PermutationResult", "Result of permutation_test.", 3, R"(statistic: The observed statistic (float).
p_value: (1 + count) / (1 + permutations), in (0, 1].
permutations: N, the number of permutations.
null_distribution: The permuted statistics in permutation order (float64 [N]; empty unless keep_null=True).)",
               &permutation_result::statistic, &permutation_result::p_value, &permutation_result::permutations,
               &permutation_result::null_distribution);

  result_class(m, "BootstrapResult", "Result of bootstrap_compare.", 6, R"(statistic: The observed statistic.
ci_low: Lower end of the percentile interval.
ci_high: Upper end of the percentile interval.
standard_error: Standard deviation (ddof = 1) of the bootstrap statistics.
samples: B, the samples drawn.
skipped: Samples whose statistic was undefined.)",
               &bootstrap_result::statistic, &bootstrap_result::ci_low, &bootstrap_result::ci_high,
               &bootstrap_result::standard_error, &bootstrap_result::samples, &bootstrap_result::skipped);

  result_class(m, "RSACurve", "Result of rsa_curve and p1_rsa_curve (also .values, .peak_layer).", 2,
               R"(statistic: compare(RDM(H_l), hypothesis) per layer (float64 [layers]).
p_value: Permutation p-value per layer (NaN with permutations=0).
ci_low: Lower end of the bootstrap interval per layer (NaN with bootstrap_samples=0).
ci_high: Upper end of the bootstrap interval per layer.)",
               &layer_rsa_result::statistic, &layer_rsa_result::p_value, &layer_rsa_result::ci_low,
               &layer_rsa_result::ci_high)
      .def_prop_ro("values", array_field(&layer_rsa_result::statistic), nb::rv_policy::move,
                   "The same as statistic: the curve.")
      .def_prop_ro("peak_layer", &layer_rsa_result::peak_layer,
                   "The layer of the highest statistic (the first on ties); Error when none is finite.");

  using icl::rsa::icl_effect_result;
  const auto curve_values = [](icl::layer_curve icl_effect_result::*member) {
    return [member](const icl_effect_result& r) { return copy_to_numpy((r.*member).values); };
  };
  nb::class_<icl_effect_result>(m, "ICLEffect",
                                "Result of icl_effect and p1_icl_effect: with_icl, without_icl, delta (float64 "
                                "[layers] each).")
      .def_prop_ro("with_icl", curve_values(&icl_effect_result::with_icl), nb::rv_policy::move,
                   "Alignment per layer with demonstrations.")
      .def_prop_ro("without_icl", curve_values(&icl_effect_result::without_icl), nb::rv_policy::move,
                   "Alignment per layer without demonstrations.")
      .def_prop_ro("delta", curve_values(&icl_effect_result::delta), nb::rv_policy::move, "with_icl - without_icl.")
      .def("__repr__", [](nb::handle self) { return repr_of(self, {"with_icl", "without_icl", "delta"}); });

  using icl::rsa::group_test_result;
  result_class(m, "GroupTestResult", "Result of within_between_test (also .statistic, .p_value).", 4,
               R"(mean_within: Mean RDM entry over within-group pairs.
mean_between: Mean RDM entry over between-group pairs.
within_pairs: Pairs i < j in the same group.
between_pairs: Pairs i < j in different groups.
test: Welch's t-test of within- against between-group entries (a WelchResult).)",
               &group_test_result::mean_within, &group_test_result::mean_between, &group_test_result::within_pairs,
               &group_test_result::between_pairs, &group_test_result::test)
      .def_prop_ro(
          "statistic", [](const group_test_result& r) { return r.test.t; }, "Welch's t (test.t).")
      .def_prop_ro(
          "p_value", [](const group_test_result& r) { return r.test.p_value; }, "test.p_value.");

  m.def("rsa_curve", &rsa_curve, nb::arg("H"), nb::arg("hypothesis"), nb::arg("dissimilarity") = "correlation",
        nb::arg("method") = "spearman", nb::arg("permutations") = 10000, nb::arg("bootstrap_samples") = 1000,
        nb::arg("confidence") = 0.95, nb::arg("seed") = 0, nb::arg("alternative") = "two_sided",
        nb::arg("standardize") = "none",
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
alternative : str, default 'two_sided'
standardize : str, default 'none'
    Standardization of each layer's states before its RDM: 'none', 'zscore_features' or
    'zscore_rows'.)",
            R"(RSACurve
    .statistic, .p_value, .ci_low, .ci_high (float64 [layers]), .values, .peak_layer.)",
            R"(    no layers, n other than the hypothesis's, n < 3, an unknown method or alternative,
    bootstrap_samples = 1, a confidence outside (0, 1), whitened_cosine with a bootstrap; a
    failure at one layer as "icl::rsa::rsa_curve: layer <l>: ...".)")
            .c_str());
  m.def("compute_rdm", &compute_rdm, nb::arg("X"), nb::arg("dissimilarity") = "correlation",
        nb::arg("block_rows") = 0, nb::arg("nan") = "raise", compute_rdm_doc.c_str());
  m.def("compare", &compare, nb::arg("a"), nb::arg("b"), nb::arg("method") = "spearman", nb::arg("nan") = "raise",
        compare_doc.c_str());
  m.def("permutation_test", &permutation_test, nb::arg("a"), nb::arg("b"), nb::arg("method") = "spearman",
        nb::arg("permutations") = 10000, nb::arg("seed") = 0, nb::arg("alternative") = "two_sided",
        nb::arg("keep_null") = false, nb::arg("nan") = "raise", permutation_doc.c_str());
  m.def("bootstrap_compare", &bootstrap_compare, nb::arg("a"), nb::arg("b"), nb::arg("method") = "spearman",
        nb::arg("samples") = 1000, nb::arg("confidence") = 0.95, nb::arg("seed") = 0, bootstrap_doc.c_str());
  m.def("categorical_rdm", &categorical_rdm, nb::arg("labels"),
        doc(R"(Hypothesis RDM of a categorical model: 0 for two conditions with the same label, 1 otherwise.)", R"(labels : integer array or list [n], n >= 2)",
        R"(numpy.ndarray, float64 [n (n - 1) / 2] (scipy squareform order))", R"(    n < 2, labels that are not integers.)").c_str());
  m.def("parameter_rdm", &parameter_rdm, nb::arg("values"), nb::arg("distance") = "absolute",
        doc(R"(Hypothesis RDM of a continuous parameter: |a_i - a_j| ('absolute') or (a_i - a_j)^2 ('squared').)", R"(values : array or list [n], n >= 2, finite
distance : str, default 'absolute')",
        R"(numpy.ndarray, float64 [n (n - 1) / 2] (scipy squareform order))", R"(    n < 2, NaN/Inf, an unknown distance.)").c_str());
  m.def("within_between_test", &within_between_test, nb::arg("rdm"), nb::arg("groups"),
        nb::arg("alternative") = "two_sided",
        doc(R"(Welch's t-test of the RDM entries of pairs in the same group against those of pairs in different
groups (scipy.stats.ttest_ind(within, between, equal_var=False)); t > 0: larger entries within
groups ('less' tests that same-group conditions are closer).)",
            R"(rdm : array [n (n - 1) / 2]
    A condensed RDM (scipy squareform order).
groups : integer array or list [n]
alternative : str, default 'two_sided'
    'two_sided', 'greater' or 'less'.)",
            R"(GroupTestResult
    .statistic (t), .p_value, .test (WelchResult), .mean_within, .mean_between, .within_pairs,
    .between_pairs.)",
            R"(    a groups length other than n, fewer than 2 within- or between-group pairs, NaN/Inf, both
    samples constant, an unknown alternative.)")
            .c_str());
  m.def("rdm_from_square", &rdm_from_square, nb::arg("square"), nb::arg("symmetry_tolerance") = 1e-12,
        doc("The condensed form of a square RDM (scipy.spatial.distance.squareform(square)).",
            R"(square : array [n, n]
    Symmetric within symmetry_tolerance (relative), zero diagonal, n >= 2.
symmetry_tolerance : float, default 1e-12)",
            R"(numpy.ndarray, float64 [n (n - 1) / 2])",
            "    a non-square matrix, n < 2, a non-zero diagonal, an asymmetric pair, NaN/Inf.")
            .c_str());
  m.def("compute_rdm_mahalanobis", &compute_rdm_mahalanobis, nb::arg("X"), nb::arg("precision"),
        nb::arg("block_rows") = 0,
        doc(R"(Mahalanobis RDM (x_i - x_j)^T P (x_i - x_j) / d with a given precision matrix P
(rsatoolbox calc_rdm(method='mahalanobis', noise=P)).)",
            R"(X : array [n, d]
    float16, bfloat16, float32 or float64 read in place with their strides.
precision : array [d, d]
    Symmetric positive semi-definite; read as float64 (a copy of another dtype).
block_rows : int, default 0)",
            R"(numpy.ndarray, float64 [n (n - 1) / 2] (scipy squareform order))",
            R"(    as compute_rdm, and a precision that is not d x d, finite, symmetric and positive
    semi-definite.)")
            .c_str());
  m.def("compute_rdm_crossnobis", &compute_rdm_crossnobis, nb::arg("X"), nb::arg("conditions"), nb::arg("folds"),
        nb::arg("precision").none() = nb::none(),
        doc(R"(Cross-validated Mahalanobis ("crossnobis") RDM, as rsatoolbox calc_rdm_crossnobis: for each fold,
the per-condition means of that fold against those of the other folds, averaged over folds;
unbiased, so entries can be negative.)",
            R"(X : array [N, d]
    N measurements (rows) of d features.
conditions : integer array or list [N]
    The condition of each row; the RDM's conditions are the sorted distinct values.
folds : integer array or list [N]
    The fold (e.g. run) of each row; every condition must occur in every fold, >= 2 folds.
precision : array [d, d] or None, default None
    None: the identity (cross-validated squared Euclidean / d); read as float64.)",
            R"(numpy.ndarray, float64 [c (c - 1) / 2] for c conditions (scipy squareform order))",
            R"(    lengths other than N, fewer than two conditions or folds, a condition missing from a
    fold, NaN/Inf, a precision that is not d x d symmetric positive semi-definite.)")
            .c_str());
  constexpr const char* alignment_options = R"(dissimilarity : str, default 'correlation'
    Of the layer's RDM (see compute_rdm).
method : str, default 'spearman'
    The comparison with the hypothesis (see compare).
standardize : str, default 'none'
    'none', 'zscore_features' or 'zscore_rows' before the RDM.)";
  m.def("hypothesis_alignment", &hypothesis_alignment, nb::arg("H"), nb::arg("hypothesis"),
        nb::arg("dissimilarity") = "correlation", nb::arg("method") = "spearman", nb::arg("standardize") = "none",
        doc("The alignment of one layer with a hypothesis: compare(compute_rdm(H), hypothesis).",
            std::string(R"(H : array [n, d]
    One row per prompt (float16, bfloat16, float32 or float64 in place, strides kept).
hypothesis : array [n (n - 1) / 2]
    The hypothesis RDM, condensed.
)") + alignment_options,
            "float",
            "    n other than the hypothesis's, and what compute_rdm and compare raise.")
            .c_str());
  m.def("alignment_curve", &alignment_curve, nb::arg("H"), nb::arg("hypothesis"),
        nb::arg("dissimilarity") = "correlation", nb::arg("method") = "spearman", nb::arg("standardize") = "none",
        doc("hypothesis_alignment at every layer (no inference; see rsa_curve). Ctrl-C interrupts between layers.",
            std::string(R"(H : array [layers, n, d] (any strides)
hypothesis : array [n (n - 1) / 2]
)") + alignment_options,
            "numpy.ndarray, float64 [layers]",
            "    no layers, layers of different widths, and what hypothesis_alignment raises for a layer.")
            .c_str());
  m.def("icl_effect", &icl_effect, nb::arg("with_icl"), nb::arg("without_icl"), nb::arg("hypothesis"),
        nb::arg("dissimilarity") = "correlation", nb::arg("method") = "spearman", nb::arg("standardize") = "none",
        doc(R"(The alignment of every layer with and without in-context demonstrations, and their difference.)",
            std::string(R"(with_icl, without_icl : array [layers, n, d]
    The same n prompts (in the hypothesis's order) and layers; the same dtype.
hypothesis : array [n (n - 1) / 2]
)") + alignment_options,
            R"(ICLEffect
    .with_icl, .without_icl, .delta (float64 [layers]).)",
            "    different layer counts or dtypes, and what alignment_curve raises.")
            .c_str());
  constexpr const char* p1_positions = R"(positions : integer array or list, or a sequence of n of them
    The token positions max-pooled for every prompt (one list), or one list per prompt.)";
  m.def("p1_rdm", &p1_rdm, nb::arg("tokens"), nb::arg("positions"),
        doc(R"(The [P1] RDM of one layer (Yousefi et al. 2023): each prompt's token states max-pooled over its
positions, z-scored per feature across prompts, cosine dissimilarities.)",
            std::string(R"(tokens : array [n, T, d]
    Token states (any strides; float16, bfloat16, float32 or float64 in place).
)") + p1_positions,
            R"(numpy.ndarray, float64 [n (n - 1) / 2] (scipy squareform order))",
            R"(    a positions count other than n, an empty list, a position >= T, NaN/Inf pooled, a
    feature constant across prompts, n < 2, a zero embedding.)")
            .c_str());
  m.def("p1_rsa_curve", &p1_rsa_curve, nb::arg("tokens"), nb::arg("positions"), nb::arg("hypothesis"),
        nb::arg("permutations") = 10000, nb::arg("bootstrap_samples") = 1000, nb::arg("confidence") = 0.95,
        nb::arg("seed") = 0, nb::arg("alternative") = "two_sided",
        doc(R"(The [P1] pipeline at every layer: max-pooling over the positions, z-scored cosine RDMs, Spearman
rho with the hypothesis, permutation p-value and bootstrap interval (rsa_curve on the pooled
states with standardize='zscore_features', dissimilarity='cosine'). Ctrl-C interrupts between
layers.)",
            std::string(R"(tokens : array [layers, n, T, d] (any strides)
)") + p1_positions + R"(
hypothesis : array [n (n - 1) / 2]
permutations, bootstrap_samples, confidence, seed, alternative :
    as rsa_curve.)",
            "RSACurve",
            R"(    no layers, a pooling error ("icl::rsa::p1_rsa_curve: layer <l>: ..."), and what rsa_curve
    raises.)")
            .c_str());
  m.def("p1_icl_effect", &p1_icl_effect, nb::arg("with_icl"), nb::arg("with_positions"), nb::arg("without_icl"),
        nb::arg("without_positions"), nb::arg("hypothesis"),
        doc(R"(The [P1] ICL effect: the [P1] alignment of every layer with and without demonstrations (each
tensor max-pooled over its own positions) and their difference.)",
            R"(with_icl, without_icl : array [layers, n, T, d]
    The same n prompts and layers; the same dtype (T may differ).
with_positions, without_positions :
    As p1_rdm's positions, for each tensor.
hypothesis : array [n (n - 1) / 2])",
            R"(ICLEffect
    .with_icl, .without_icl, .delta (float64 [layers]).)",
            "    a pooling error, different layer counts, and what icl_effect raises.")
            .c_str());
}

}  // namespace icl_py
