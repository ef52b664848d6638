// Task decodability: overall, per class, pairwise, and curves over layers.
#include <string>

#include <nanobind/stl/vector.h>

#include "bindings.hpp"

namespace icl_py {

namespace {

using icl::decode::decodability_result;

icl::decode::decode_params params_of(std::size_t k, const std::string& d) {
  icl::decode::decode_params p;
  p.k = k;
  p.dissimilarity = parse<icl::decode::dissimilarity>(d);
  return p;
}

decodability_result task_decodability(array_like H, array_like labels, std::size_t k, const std::string& d) {
  const char* fn = "icl::decode::task_decodability";
  const array_arg h = take_array(H, fn, "H", 2);
  const auto y = take_labels(labels, fn, "labels");
  const auto p = params_of(k, d);
  return released([&] {
    return visit(h, [&](auto t) { return icl::decode::task_decodability(matrix_of<decltype(t)>(h), y, p); });
  });
}

nb::ndarray<nb::numpy, double> pairwise_decodability(array_like H, array_like labels, std::size_t k,
                                                     const std::string& d) {
  const char* fn = "icl::decode::pairwise_decodability";
  const array_arg h = take_array(H, fn, "H", 2);
  const auto y = take_labels(labels, fn, "labels");
  const auto p = params_of(k, d);
  auto r = released([&] {
    return visit(h, [&](auto t) { return icl::decode::pairwise_decodability(matrix_of<decltype(t)>(h), y, p); });
  });
  const std::size_t m = r.classes.size();
  return to_numpy(std::move(r.values), {m, m});
}

/// decodability_curve through the library's tracker, one layer at a time with the GIL released,
/// checking for Ctrl-C between layers: the same results as icl::decode::decodability_curve.
icl::decode::decodability_curve_result decodability_curve(array_like H, array_like labels, std::size_t k,
                                                          const std::string& d) {
  const char* fn = "icl::decode::decodability_curve";
  const array_arg h = take_array(H, fn, "H", 3);
  const auto y = take_labels(labels, fn, "labels");
  const auto p = params_of(k, d);
  return visit(h, [&](auto t) {
    using T = decltype(t);
    const auto view = tensor_of<T, 3>(h);
    icl::detail::check_layers(fn, "H", view);
    if (view.extent(1) != y.size()) {
      icl::detail::throw_invalid(fn, "H has ", view.extent(1), " rows per layer but labels has ", y.size(),
                                 " entries");
    }
    icl::decode::decodability_tracker tracker(y, p);
    feed_layers(tracker, view);
    return icl::decode::decodability_curve_result{tracker.curve(), tracker.layers(), tracker.peak_layer()};
  });
}

icl::decode::neighbor_result loo_neighbors(array_like H, std::size_t k, const std::string& d) {
  const array_arg h = take_array(H, "icl::decode::loo_neighbors", "H", 2);
  const auto p = params_of(k, d);
  return released(
      [&] { return visit(h, [&](auto t) { return icl::decode::loo_neighbors(matrix_of<decltype(t)>(h), p); }); });
}

std::string result_repr(const decodability_result& r) {
  std::string per_class;
  for (std::size_t c = 0; c < r.per_class.size(); ++c) per_class += (c ? ", " : "") + fmt(r.per_class[c]);
  return "DecodabilityResult(overall=" + fmt(r.overall) + ", per_class=[" + per_class +
         "], k=" + std::to_string(r.k) + ")";
}

constexpr const char* states_doc = R"(H : array [n, d]
    One row per prompt (float16, bfloat16, float32 or float64 read in place with their
    strides; other dtypes converted to a float64 copy).
labels : integer array or list [n]
    The task (class) of each prompt; at least two classes.
k : int, default 10
    Neighbours (1 <= k < n).
dissimilarity : str, default 'euclidean'
    'euclidean' or 'cosine'.)";

const std::string task_doc =
    doc(R"(Task decodability: leave-one-out k-nearest-neighbour accuracy of the labels (majority vote of
the k nearest other prompts; scikit-learn's KNeighborsClassifier under LeaveOneOut).)",
        states_doc,
        R"(DecodabilityResult
    .overall (float), .per_class (float64 [classes], classes in increasing label order),
    .classes, .class_counts, .predictions, .k.)",
        R"(    fewer than two classes, k >= n or k = 0, a labels length other than n, NaN/Inf in H, a zero
    row under 'cosine', an unknown dissimilarity.)");

const std::string pairwise_doc =
    doc("Task decodability of every pair of classes, each on the prompts of the two classes only.", states_doc,
        R"(numpy.ndarray, float64 [classes, classes]
    Symmetric; classes in increasing label order.)",
        "    as task_decodability.");

const std::string curve_doc =
    doc("Task decodability at every layer. Ctrl-C interrupts between layers.",
        R"(H : array [layers, n, d]
    The states of every layer (any strides: e.g. hidden[:, :, -1, :] of [layers, n, T, d]).
labels, k, dissimilarity :
    as task_decodability.)",
        R"(DecodabilityCurve
    .values (float64 [layers]), .peak_layer (the highest value, the first on ties), .layers
    (a DecodabilityResult per layer).)",
        "    no layers, a labels length other than n, and what task_decodability raises for a layer.");

}  // namespace

void init_decode(nb::module_& m) {
  nb::class_<decodability_result>(m, "DecodabilityResult",
                                  "Result of task_decodability: overall, per_class, classes, class_counts, "
                                  "predictions, k.")
      .def_ro("overall", &decodability_result::overall, "Accuracy over all n prompts.")
      .def_prop_ro("per_class", array_field(&decodability_result::per_class), nb::rv_policy::move,
          "Accuracy within each class (float64 [classes], in the order of .classes).")
      .def_prop_ro("classes", array_field(&decodability_result::classes), nb::rv_policy::move,
          "The distinct labels, increasing (int32).")
      .def_prop_ro(
          "class_counts",
          [](const decodability_result& r) {
            return copy_to_numpy(std::vector<std::uint64_t>(r.class_counts.begin(), r.class_counts.end()));
          },
          nb::rv_policy::move, "Prompts per class (uint64).")
      .def_prop_ro("predictions", array_field(&decodability_result::predictions), nb::rv_policy::move,
          "Predicted label of each prompt, its own label excluded (int32 [n]).")
      .def_ro("k", &decodability_result::k, "Neighbours used.")
      .def("__repr__", &result_repr);

  nb::class_<icl::decode::decodability_curve_result>(m, "DecodabilityCurve",
                                                     "Result of decodability_curve: values, peak_layer, layers.")
      .def_prop_ro(
          "values",
          [](const icl::decode::decodability_curve_result& r) { return copy_to_numpy(r.curve.values); },
          nb::rv_policy::move, "Task decodability per layer (float64 [layers]).")
      .def_ro("peak_layer", &icl::decode::decodability_curve_result::peak_layer,
              "The layer of the highest value (the first on ties).")
      .def_ro("layers", &icl::decode::decodability_curve_result::layers,
              "The full DecodabilityResult of each layer.")
      .def("__repr__", [](const icl::decode::decodability_curve_result& r) {
        std::string v;
        for (std::size_t l = 0; l < r.curve.values.size(); ++l) v += (l ? ", " : "") + fmt(r.curve.values[l]);
        return "DecodabilityCurve(values=[" + v + "], peak_layer=" + std::to_string(r.peak_layer) + ")";
      });

  m.def("task_decodability", &task_decodability, nb::arg("H"), nb::arg("labels"), nb::arg("k") = 10,
        nb::arg("dissimilarity") = "euclidean", task_doc.c_str());
  m.def("pairwise_decodability", &pairwise_decodability, nb::arg("H"), nb::arg("labels"), nb::arg("k") = 10,
        nb::arg("dissimilarity") = "euclidean", pairwise_doc.c_str());
  m.def("decodability_curve", &decodability_curve, nb::arg("H"), nb::arg("labels"), nb::arg("k") = 10,
        nb::arg("dissimilarity") = "euclidean", curve_doc.c_str());

  using icl::decode::neighbor_result;
  nb::class_<neighbor_result>(m, "NeighborResult", "Result of loo_neighbors: indices, distances, n, k.")
      .def_prop_ro(
          "indices",
          [](const neighbor_result& r) {
            return to_numpy(std::vector<std::uint64_t>(r.indices.begin(), r.indices.end()), {r.n, r.k});
          },
          nb::rv_policy::move, "uint64 [n, k]: the neighbours of each row, nearest first (ties: smaller index).")
      .def_prop_ro(
          "distances", [](const neighbor_result& r) { return to_numpy(std::vector<double>(r.distances), {r.n, r.k}); },
          nb::rv_policy::move, "float64 [n, k]: their Euclidean (rooted) or cosine distances.")
      .def_ro("n", &neighbor_result::n, "Rows.")
      .def_ro("k", &neighbor_result::k, "Neighbours per row.")
      .def("__repr__", [](nb::handle self) { return repr_of(self, {"n", "k"}); });
  m.def("loo_neighbors", &loo_neighbors, nb::arg("H"), nb::arg("k") = 10, nb::arg("dissimilarity") = "euclidean",
        doc("The k nearest neighbours of every row among the other rows (the neighbours behind task_decodability).",
            R"(H : array [n, d]
    float16, bfloat16, float32 or float64 read in place with their strides.
k : int, default 10
    1 <= k < n.
dissimilarity : str, default 'euclidean'
    'euclidean' or 'cosine'.)",
            R"(NeighborResult
    .indices (uint64 [n, k]), .distances (float64 [n, k]).)",
            "    k = 0 or k >= n, NaN/Inf, a zero row under 'cosine', an unknown dissimilarity.")
            .c_str());
}

}  // namespace icl_py
