// Geometry: CKA and the effective dimension, per layer pair and over layers.
#include "bindings.hpp"

namespace icl_py {

namespace {

double linear_cka(nb::handle X, nb::handle Y, bool debiased) {
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

double effective_dimension(nb::handle H) {
  const array_arg h = take_array(H, "icl::geometry::effective_dimension", "H", 2);
  return released(
      [&] { return visit(h, [&](auto t) { return icl::geometry::effective_dimension(matrix_of<decltype(t)>(h)); }); });
}

/// The effective dimension of every layer, one layer at a time (Ctrl-C between layers); the
/// same values as icl::geometry::effective_dimension_curve.
nb::ndarray<nb::numpy, double> effective_dimension_curve(nb::handle H) {
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

nb::ndarray<nb::numpy, double> cka_matrix(nb::handle X, nb::handle Y, bool debiased) {
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
  const std::size_t rows = r.rows(), cols = r.cols();
  std::vector<double> values(r.data(), r.data() + rows * cols);
  return to_numpy(std::move(values), {rows, cols});
}

}  // namespace

void init_geometry(nb::module_& m) {
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
