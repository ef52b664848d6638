// Geometry: CKA and the effective dimension, per layer pair and over layers.
#include <string>

#include "bindings.hpp"

namespace icl_py {

namespace {

double linear_cka(array_like X, array_like Y, bool debiased) {
  const char* fn = "icl::geometry::linear_cka";
  const array_arg x = take_array(X, fn, "X", 2);
  const array_arg y = take_array(Y, fn, "Y", 2);
  return released([&] {
    return visit_same(x, y, fn, [&](auto t) {
      using T = decltype(t);
      return icl::geometry::linear_cka(matrix_of<T>(x), matrix_of<T>(y), debiased);
    });
  });
}

double effective_dimension(array_like H) {
  const array_arg h = take_array(H, "icl::geometry::effective_dimension", "H", 2);
  return released(
      [&] { return visit(h, [&](auto t) { return icl::geometry::effective_dimension(matrix_of<decltype(t)>(h)); }); });
}

/// The effective dimension of every layer, one layer at a time (Ctrl-C between layers); the
/// same values as icl::geometry::effective_dimension_curve.
nb::ndarray<nb::numpy, double> effective_dimension_curve(array_like H) {
  const char* fn = "icl::geometry::effective_dimension_curve";
  const array_arg h = take_array(H, fn, "H", 3);
  std::vector<double> values;
  visit(h, [&](auto t) {
    const auto view = tensor_of<decltype(t), 3>(h);
    icl::detail::check_layers(fn, "H", view);
    for (std::size_t l = 0; l < view.extent(0); ++l) {
      values.push_back(released([&] { return icl::geometry::effective_dimension(view.matrix(l)); }));
      check_signals();
    }
  });
  return to_numpy(std::move(values));
}

nb::ndarray<nb::numpy, double> cka_matrix(array_like X, array_like Y, bool debiased) {
  const char* fn = "icl::geometry::cka_matrix";
  const array_arg x = take_array(X, fn, "X", 3);
  icl::dense_matrix<double> r;
  if (Y.is_none()) {
    r = released([&] {
      return visit(x, [&](auto t) { return icl::geometry::cka_matrix(tensor_of<decltype(t), 3>(x), debiased); });
    });
  } else {
    const array_arg y = take_array(Y, fn, "Y", 3);
    r = released([&] {
      return visit_same(x, y, fn, [&](auto t) {
        using T = decltype(t);
        return icl::geometry::cka_matrix(tensor_of<T, 3>(x), tensor_of<T, 3>(y), debiased);
      });
    });
  }
  return to_numpy(r);
}

icl::geometry::alignment_result separability_alignment(array_like H, array_like labels, array_like directions,
                                                      bool separability, double C, double test_fraction,
                                                      std::uint64_t seed, std::size_t denoise_rank,
                                                      std::size_t singular_vectors, const std::string& variance) {
  const char* fn = "icl::geometry::separability_alignment";
  const array_arg h = take_array(H, fn, "H", 2);
  const auto y = take_labels(labels, fn, "labels");
  const array_arg e = take_array(directions, fn, "label_directions", 2);
  icl::geometry::separability_alignment_params p;
  p.separability = separability;
  p.probe.C = C;
  p.test_fraction = test_fraction;
  p.seed = seed;
  p.denoise_rank = denoise_rank;
  p.singular_vectors = singular_vectors;
  p.variance = parse<icl::geometry::variance_mode>(variance);
  return released([&] {
    return visit_same(h, e, fn, [&](auto t) {
      using T = decltype(t);
      return icl::geometry::separability_alignment(matrix_of<T>(h), y, matrix_of<T>(e), p);
    });
  });
}

}  // namespace

void init_geometry(nb::module_& m) {
  using icl::geometry::alignment_result;
  nb::class_<alignment_result>(m, "AlignmentResult",
                               "Result of separability_alignment: every measure of the geometry of one layer, "
                               "averaged over label pairs.")
      .def_prop_ro("classes", array_field(&alignment_result::classes), nb::rv_policy::move,
                   "The distinct labels, increasing (int32).")
      .def_ro("separability", &alignment_result::separability, "Probe test accuracy (NaN without separability).")
      .def_ro("directional_separability", &alignment_result::directional_separability)
      .def_ro("output_alignment", &alignment_result::output_alignment, "Logit-lens accuracy between each pair.")
      .def_ro("output_alignment_all_classes", &alignment_result::output_alignment_all_classes)
      .def_ro("singular_alignment", &alignment_result::singular_alignment)
      .def_ro("variance_alignment", &alignment_result::variance_alignment)
      .def_ro("mean_alignment", &alignment_result::mean_alignment)
      .def_ro("composite_alignment", &alignment_result::composite_alignment,
              "variance_alignment x mean_alignment.")
      .def_ro("effective_dimension", &alignment_result::effective_dimension)
      .def_ro("denoised_output_alignment", &alignment_result::denoised_output_alignment)
      .def("__repr__", [](const alignment_result& r) {
        return "AlignmentResult(separability=" + fmt(r.separability) +
               ", directional_separability=" + fmt(r.directional_separability) +
               ", output_alignment=" + fmt(r.output_alignment) + ", composite_alignment=" +
               fmt(r.composite_alignment) + ", effective_dimension=" + fmt(r.effective_dimension) + ")";
      });
  m.def("separability_alignment", &separability_alignment, nb::arg("H"), nb::arg("labels"),
        nb::arg("label_directions"), nb::arg("separability") = true, nb::arg("C") = 1.0,
        nb::arg("test_fraction") = 0.5, nb::arg("seed") = 0, nb::arg("denoise_rank") = 10,
        nb::arg("singular_vectors") = 2, nb::arg("variance") = "proportion",
        doc(R"(Separability and alignment of one layer's states with the label directions (the measures of the
library's metrics section 4), averaged over label pairs.)",
            R"(H : array [n, d]
    One row per prompt (float16, bfloat16, float32 or float64 in place, strides kept).
labels : integer array or list [n], at least two classes
label_directions : array [classes, d]
    The unembedding rows of the label tokens, in increasing label order; same dtype as H.
separability : bool, default True
    Fit a logistic probe per label pair (C, test_fraction, seed: its stratified split).
C : float, default 1.0
test_fraction : float, default 0.5
seed : int, default 0
denoise_rank : int, default 10
    Rank of the reconstruction behind denoised_output_alignment.
singular_vectors : int, default 2
    Leading singular vectors searched by the singular alignment.
variance : str, default 'proportion'
    'proportion' or 'raw'.)",
            "AlignmentResult",
            R"(    a labels length other than n, one class, label_directions of the wrong shape or dtype, two
    identical directions, NaN/Inf, a pair with zero centered states, a denoise_rank out of range.)")
            .c_str());
  m.def("linear_cka", &linear_cka, nb::arg("X"), nb::arg("Y"), nb::arg("debiased") = false,
        doc(R"(Linear centered kernel alignment between two representations of the same n prompts
(Kornblith et al. 2019): <HKH, HLH> / (|HKH| |HLH|) with K = X X^T, L = Y Y^T.)", R"(X : array [n, d_x]
Y : array [n, d_y]
    Same rows in the same order, same dtype (float16, bfloat16, float32 or float64 read in
    place with their strides; other dtypes are converted to a float64 copy).
debiased : bool, default False
    The ratio of unbiased HSIC estimates (needs n > 3).)",
        R"(float)", R"(    different row counts or dtypes, n < 2 (n <= 3 debiased), NaN/Inf, an input with zero
    variance.)").c_str());
  m.def("effective_dimension", &effective_dimension, nb::arg("H"),
        doc(R"(Participation ratio (sum s_i^2)^2 / sum s_i^4 of the singular values of H with its column
means removed: between 1 and min(n - 1, d).)", R"(H : array [n, d]
    float16, bfloat16, float32 or float64 read in place with their strides.)",
        R"(float)", R"(    n < 2, NaN/Inf, all rows equal.)").c_str());
  m.def("effective_dimension_curve", &effective_dimension_curve, nb::arg("H"),
        doc(R"(The effective dimension of every layer. Ctrl-C interrupts between layers.)", R"(H : array [layers, n, d] (any strides))",
        R"(numpy.ndarray, float64 [layers])", R"(    no layers, and what effective_dimension raises for a layer.)").c_str());
  m.def("cka_matrix", &cka_matrix, nb::arg("X"), nb::arg("Y").none() = nb::none(), nb::arg("debiased") = false,
        doc(R"(Linear CKA between every layer of X and every layer of Y (of X itself when Y is None).)", R"(X : array [layers_x, n, d_x]
Y : array [layers_y, n, d_y] or None
    Same n and dtype as X.
debiased : bool, default False)",
        R"(numpy.ndarray, float64 [layers_x, layers_y])", R"(    as linear_cka, for the first pair of layers where it is undefined.)").c_str());
}

}  // namespace icl_py
