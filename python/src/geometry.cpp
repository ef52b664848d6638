// Geometry: CKA, the effective dimension, separability and alignment, layer retention, task
// vectors, and where head sets sit in depth.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include <nanobind/stl/vector.h>

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

/// The options of separability_alignment and its relatives, from the Python arguments.
icl::geometry::separability_alignment_params alignment_params(bool separability, double C, double test_fraction,
                                                              std::uint64_t seed, std::size_t denoise_rank,
                                                              std::size_t singular_vectors,
                                                              const std::string& variance, nb::handle label_token_ids,
                                                              const std::string& argmax, nb::handle final_norm_gamma,
                                                              nb::handle final_norm_epsilon) {
  const char* fn = "icl::geometry::separability_alignment";
  icl::geometry::separability_alignment_params p;
  p.separability = separability;
  p.probe.C = C;
  p.test_fraction = test_fraction;
  p.seed = seed;
  p.denoise_rank = denoise_rank;
  p.singular_vectors = singular_vectors;
  p.variance = parse<icl::geometry::variance_mode>(variance);
  if (!label_token_ids.is_none()) p.label_token_ids = take_indices(label_token_ids, fn, "label_token_ids");
  p.argmax = parse<icl::geometry::lens_argmax>(argmax);
  if (!final_norm_gamma.is_none() || !final_norm_epsilon.is_none()) {
    icl::rms_norm_params norm;
    if (!final_norm_gamma.is_none()) norm.gamma = take_doubles(final_norm_gamma, fn, "final_norm_gamma");
    if (!final_norm_epsilon.is_none()) norm.epsilon = nb::cast<double>(final_norm_epsilon);
    p.final_norm = norm;
  }
  return p;
}

/// The Python arguments of alignment_params, in order, with their defaults.
#define ICL_PY_ALIGNMENT_ARGS                                                                                  \
  nb::arg("separability") = true, nb::arg("C") = 1.0, nb::arg("test_fraction") = 0.5, nb::arg("seed") = 0,     \
      nb::arg("denoise_rank") = 10, nb::arg("singular_vectors") = 2, nb::arg("variance") = "proportion",       \
      nb::arg("label_token_ids").none() = nb::none(), nb::arg("argmax") = "vocabulary",                        \
      nb::arg("final_norm_gamma").none() = nb::none(), nb::arg("final_norm_epsilon").none() = nb::none()

/// Calls f(H view, E view) on a layer's states H [n, d] and the label directions E of the same
/// dtype.
template <class F>
decltype(auto) with_states_and_directions(const char* fn, array_like H, array_like directions, F&& f,
                                          std::size_t states_ndim = 2) {
  const array_arg h = take_array(H, fn, "H", states_ndim);
  const array_arg e = take_array(directions, fn, "label_directions", 2);
  return visit_same(h, e, fn, [&](auto t) -> decltype(auto) {
    using T = decltype(t);
    return f(h, matrix_of<T>(e));
  });
}

icl::geometry::alignment_result separability_alignment(array_like H, array_like labels, array_like directions,
                                                      bool separability, double C, double test_fraction,
                                                      std::uint64_t seed, std::size_t denoise_rank,
                                                      std::size_t singular_vectors, const std::string& variance,
                                                      nb::handle token_ids, const std::string& argmax,
                                                      nb::handle gamma, nb::handle epsilon) {
  const char* fn = "icl::geometry::separability_alignment";
  const auto y = take_labels(labels, fn, "labels");
  const auto p = alignment_params(separability, C, test_fraction, seed, denoise_rank, singular_vectors, variance,
                                  token_ids, argmax, gamma, epsilon);
  return with_states_and_directions(fn, H, directions, [&](const array_arg& h, auto e) {
    using T = typename decltype(e)::value_type;
    return released([&] { return icl::geometry::separability_alignment(matrix_of<T>(h), y, e, p); });
  });
}

double denoised_output_alignment(array_like H, array_like labels, array_like directions, std::size_t r,
                                 std::size_t singular_vectors, const std::string& variance, nb::handle token_ids,
                                 const std::string& argmax, nb::handle gamma, nb::handle epsilon) {
  const char* fn = "icl::geometry::separability_alignment";
  const auto y = take_labels(labels, fn, "labels");
  const auto p = alignment_params(false, 1.0, 0.5, 0, r, singular_vectors, variance, token_ids, argmax, gamma, epsilon);
  return with_states_and_directions(fn, H, directions, [&](const array_arg& h, auto e) {
    using T = typename decltype(e)::value_type;
    return released([&] { return icl::geometry::denoised_output_alignment(matrix_of<T>(h), y, e, r, p); });
  });
}

/// separability_alignment_curves through the library's tracker, one layer at a time (Ctrl-C
/// between layers).
icl::geometry::alignment_curves separability_alignment_curves(
    array_like H, array_like labels, array_like directions, bool separability, double C, double test_fraction,
    std::uint64_t seed, std::size_t denoise_rank, std::size_t singular_vectors, const std::string& variance,
    nb::handle token_ids, const std::string& argmax, nb::handle gamma, nb::handle epsilon) {
  const char* fn = "icl::geometry::separability_alignment_curves";
  const auto y = take_labels(labels, fn, "labels");
  const auto p = alignment_params(separability, C, test_fraction, seed, denoise_rank, singular_vectors, variance,
                                  token_ids, argmax, gamma, epsilon);
  return with_states_and_directions(
      fn, H, directions,
      [&](const array_arg& h, auto e) {
        using T = typename decltype(e)::value_type;
        const auto view = tensor_of<T, 3>(h);
        icl::detail::check_layers(fn, "H", view);
        icl::geometry::separability_alignment_tracker<T> tracker(y, e, p);
        feed_layers(tracker, view);
        return tracker.curves();
      },
      3);
}

icl::geometry::alignment_result separability(array_like H, array_like labels, double C, double test_fraction,
                                            std::uint64_t seed) {
  const char* fn = "icl::geometry::separability";
  const array_arg h = take_array(H, fn, "H", 2);
  const auto y = take_labels(labels, fn, "labels");
  icl::geometry::separability_alignment_params p;
  p.probe.C = C;
  p.test_fraction = test_fraction;
  p.seed = seed;
  return released(
      [&] { return visit(h, [&](auto t) { return icl::geometry::separability(matrix_of<decltype(t)>(h), y, p); }); });
}

double directional_separability(array_like H, array_like labels, array_like u) {
  const char* fn = "icl::geometry::directional_separability";
  const array_arg h = take_array(H, fn, "H", 2);
  const auto y = take_labels(labels, fn, "labels");
  const auto direction = take_doubles(u, fn, "u");
  return released([&] {
    return visit(h, [&](auto t) { return icl::geometry::directional_separability(matrix_of<decltype(t)>(h), y, direction); });
  });
}

nb::ndarray<nb::numpy, double> cka_curve(array_like X, array_like Y, bool debiased) {
  const char* fn = "icl::geometry::cka_curve";
  const array_arg x = take_array(X, fn, "X", 3);
  const array_arg y = take_array(Y, fn, "Y", 3);
  auto c = released([&] {
    return visit_same(x, y, fn, [&](auto t) {
      using T = decltype(t);
      return icl::geometry::cka_curve(tensor_of<T, 3>(x), tensor_of<T, 3>(y), debiased);
    });
  });
  return to_numpy(std::move(c.values));
}

/// retention or layer_retention, with the unembedding E (read as float64 when given) or without.
template <class F>
auto with_unembedding(const char* fn, nb::handle E, F&& f) {
  if (E.is_none()) return f(static_cast<const icl::matrix_view<const double>*>(nullptr));
  nb::object as_double = nb::module_::import_("numpy").attr("asarray")(E, nb::arg("dtype") = "float64");
  const array_arg e = take_array(as_double, fn, "E", 2);
  const auto view = matrix_of<double>(e);
  return f(&view);
}

icl::geometry::retention_result retention(array_like previous, array_like current, std::size_t r, nb::handle E,
                                          std::size_t top_k) {
  const char* fn = "icl::geometry::retention";
  const array_arg a = take_array(previous, fn, "previous", 2);
  const array_arg b = take_array(current, fn, "current", 2);
  return with_unembedding(fn, E, [&](const icl::matrix_view<const double>* e) {
    return released([&] {
      return visit_same(a, b, fn, [&](auto t) {
        using T = decltype(t);
        return e ? icl::geometry::retention(matrix_of<T>(a), matrix_of<T>(b), r, *e, top_k)
                 : icl::geometry::retention(matrix_of<T>(a), matrix_of<T>(b), r);
      });
    });
  });
}

std::vector<icl::geometry::retention_result> layer_retention(array_like H, std::size_t r, nb::handle E,
                                                             std::size_t top_k) {
  const char* fn = "icl::geometry::layer_retention";
  const array_arg h = take_array(H, fn, "H", 3);
  return with_unembedding(fn, E, [&](const icl::matrix_view<const double>* e) {
    return released([&] {
      return visit(h, [&](auto t) {
        const auto view = tensor_of<decltype(t), 3>(h);
        return e ? icl::geometry::layer_retention(view, r, *e, top_k) : icl::geometry::layer_retention(view, r);
      });
    });
  });
}

/// A list of (layer, head) pairs (as top_heads returns): any sequence of two integers each.
std::vector<std::pair<std::size_t, std::size_t>> take_heads(nb::handle heads, const char* fn, const char* name) {
  std::vector<std::pair<std::size_t, std::size_t>> out;
  for (nb::handle pair : heads) {
    const auto two = take_indices(pair, fn, name);
    if (two.size() != 2) {
      icl::detail::throw_invalid(fn, name, "[", out.size(), "] must be a (layer, head) pair, got ", two.size(),
                                 " values");
    }
    out.emplace_back(two[0], two[1]);
  }
  return out;
}

nb::ndarray<nb::numpy, double> head_task_vector(array_like outputs, nb::handle heads) {
  const char* fn = "icl::geometry::head_task_vector";
  const array_arg o = take_array(outputs, fn, "outputs", 3, 4);
  const auto list = take_heads(heads, fn, "heads");
  return to_numpy(released([&] {
    return visit(o, [&](auto t) {
      using T = decltype(t);
      return o.shape.size() == 3 ? icl::geometry::head_task_vector(tensor_of<T, 3>(o), list)
                                 : icl::geometry::head_task_vector(tensor_of<T, 4>(o), list);
    });
  }));
}

nb::ndarray<nb::numpy, double> state_task_vector(array_like states, nb::handle layer) {
  const char* fn = "icl::geometry::state_task_vector";
  const array_arg s = take_array(states, fn, "states", layer.is_none() ? 2 : 3);
  const std::size_t l = layer.is_none() ? 0 : nb::cast<std::size_t>(layer);
  return to_numpy(released([&] {
    return visit(s, [&](auto t) {
      using T = decltype(t);
      return s.shape.size() == 2 ? icl::geometry::state_task_vector(matrix_of<T>(s))
                                 : icl::geometry::state_task_vector(tensor_of<T, 3>(s), l);
    });
  }));
}

void inject_task_vector(nb::handle h, array_like v, double lambda) {
  const char* fn = "icl::geometry::inject_task_vector";
  array_arg a = take_array(h, fn, "h", 1, 2);
  nb::ndarray<> writable;
  if (a.copied || !nb::try_cast(a.keep, writable, false)) {
    icl::detail::throw_invalid(fn, "h must be a writable float16, bfloat16, float32 or float64 array (it is ",
                               "changed in place)");
  }
  if (a.shape.size() == 1) {  // one state: a 1 x d view
    a.shape.insert(a.shape.begin(), 1);
    a.strides.insert(a.strides.begin(), 0);
  }
  const auto values = take_doubles(v, fn, "v");
  released([&] {
    visit(a, [&](auto t) {
      using T = decltype(t);
      const auto view = matrix_of<T>(a);
      icl::geometry::inject_task_vector(
          icl::matrix_view<T>(const_cast<T*>(view.data()), view.rows(), view.cols(), view.row_stride(),
                              view.col_stride()),
          values, lambda);
    });
  });
}

icl::stats::test_result head_layer_mann_whitney(nb::handle a, nb::handle b, const std::string& alternative) {
  const char* fn = "icl::geometry::head_layer_mann_whitney";
  const auto first = take_heads(a, fn, "a");
  const auto second = take_heads(b, fn, "b");
  const auto alt = parse<icl::alternative>(alternative);
  return released([&] { return icl::geometry::head_layer_mann_whitney(first, second, alt); });
}

}  // namespace

/// The logit-lens options of separability_alignment and its relatives (docstring lines).
constexpr const char* lens_doc = R"(
label_token_ids : integer array or list [classes] or None, default None
    With it, label_directions is a whole unembedding [vocabulary, d] and label_token_ids[c]
    the row of class c's label token.
argmax : str, default 'vocabulary'
    With label_token_ids: the logit-lens argmax over 'vocabulary' (every row) or 'label_rows'.
final_norm_gamma : array [d] or None, default None
final_norm_epsilon : float or None, default None
    The model's final RMSNorm (gamma all ones when None; epsilon 1e-6 when None) applied before
    the logit lens; without either, no norm.)";

void init_geometry(nb::module_& m) {
  using pair = icl::geometry::pair_alignment;
  result_class(m, "PairAlignment", "Every measure of separability_alignment for one label pair.", 5,
               R"(label_a: The smaller label.
label_b: The larger label.
separability: Probe test accuracy (NaN without separability).
output_alignment: Logit-lens accuracy.
composite_alignment: variance_alignment x mean_alignment.
n_a: Rows of label_a.
n_b: Rows of label_b.
probe_iterations: L-BFGS iterations of the pair's probe.
probe_converged: Whether the probe met its stopping rule.
directional_separability: S(e).
singular_alignment: max_r |cos(v_r, e)|.
variance_alignment: e^T S e / tr S (or raw).
mean_alignment: e^T (mu_A - mu_B) / pooled sd of h.e.
effective_dimension: Participation ratio of the pair's centered states.
denoised_output_alignment: Logit-lens accuracy on the rank-r reconstruction.)",
               &pair::label_a, &pair::label_b, &pair::separability, &pair::output_alignment,
               &pair::composite_alignment, &pair::n_a, &pair::n_b, &pair::probe_iterations, &pair::probe_converged,
               &pair::directional_separability, &pair::singular_alignment, &pair::variance_alignment,
               &pair::mean_alignment, &pair::effective_dimension, &pair::denoised_output_alignment);

  using result = icl::geometry::alignment_result;
  result_class(m, "AlignmentResult",
               "Result of separability_alignment: every measure of the geometry of one layer, averaged over label "
               "pairs.",
               5, R"(separability: Probe test accuracy (NaN without separability).
directional_separability: S(e), the accuracy of the sign of h.e.
output_alignment: Logit-lens accuracy between each pair.
composite_alignment: variance_alignment x mean_alignment.
effective_dimension: Participation ratio of the centered states' singular values.
output_alignment_all_classes: The m-way logit-lens accuracy over all rows.
singular_alignment: max_r |cos(v_r, e)| over the leading singular vectors.
variance_alignment: e^T S e / tr S (or raw).
mean_alignment: e^T (mu_A - mu_B) / pooled sd of h.e.
denoised_output_alignment: Logit-lens accuracy on the rank-r reconstruction.
classes: The distinct labels, increasing (int32).
has_separability: Whether separability was computed.
pairs: The PairAlignment of each label pair, in class order.)",
               &result::separability, &result::directional_separability, &result::output_alignment,
               &result::composite_alignment, &result::effective_dimension, &result::output_alignment_all_classes,
               &result::singular_alignment, &result::variance_alignment, &result::mean_alignment,
               &result::denoised_output_alignment, &result::classes, &result::has_separability, &result::pairs);

  using icl::geometry::alignment_curves;
  const auto curve = [](icl::layer_curve alignment_curves::*member) {
    return [member](const alignment_curves& r) { return copy_to_numpy((r.*member).values); };
  };
  nb::class_<alignment_curves> curves(m, "AlignmentCurves",
                                      "Result of separability_alignment_curves: one float64 [layers] array per "
                                      "measure, and .layers (an AlignmentResult per layer).");
  const std::pair<const char*, icl::layer_curve alignment_curves::*> measures[] = {
      {"separability", &alignment_curves::separability},
      {"directional_separability", &alignment_curves::directional_separability},
      {"output_alignment", &alignment_curves::output_alignment},
      {"singular_alignment", &alignment_curves::singular_alignment},
      {"variance_alignment", &alignment_curves::variance_alignment},
      {"mean_alignment", &alignment_curves::mean_alignment},
      {"composite_alignment", &alignment_curves::composite_alignment},
      {"effective_dimension", &alignment_curves::effective_dimension},
      {"denoised_output_alignment", &alignment_curves::denoised_output_alignment},
      {"output_alignment_all_classes", &alignment_curves::output_alignment_all_classes}};
  for (const auto& [name, member] : measures) {
    curves.def_prop_ro(name, curve(member), nb::rv_policy::move, "The measure per layer (float64 [layers]).");
  }
  curves.def_ro("layers", &alignment_curves::layers, "The AlignmentResult of each layer.")
      .def("__repr__", [](nb::handle self) {
        return repr_of(self, {"separability", "output_alignment", "composite_alignment", "effective_dimension"});
      });

  using icl::geometry::retention_result;
  result_class(m, "RetentionResult", "Result of retention (one transition l-1 -> l); also .directions.", 2,
               R"(layer: l, the later layer.
norms: float64 [r]: |V_l V_l^T v_i| per direction of layer l-1 (1: retained, 0: filtered).
singular_values: float64 [r]: the singular values of layer l-1's centred states.)",
               &retention_result::layer, &retention_result::norms, &retention_result::singular_values)
      .def_prop_ro(
          "directions",
          [](const retention_result& r) {
            return to_numpy(std::vector<double>(r.directions), {r.norms.size(), r.directions.size() / std::max<std::size_t>(1, r.norms.size())});
          },
          nb::rv_policy::move, "float64 [r, d]: the directions v_i of layer l-1 (unit, by decreasing sigma).")
      .def_ro("top_tokens", &retention_result::top_tokens,
              "With E: per direction, the top_k token ids with the largest E.v_i (highest first); else [].")
      .def_ro("bottom_tokens", &retention_result::bottom_tokens,
              "With E: per direction, the top_k token ids with the smallest E.v_i (lowest first); else [].");

  m.def("separability_alignment", &separability_alignment, nb::arg("H"), nb::arg("labels"),
        nb::arg("label_directions"), ICL_PY_ALIGNMENT_ARGS,
        doc(R"(Separability and alignment of one layer's states with the label directions (the measures of the
library's metrics section 4), averaged over label pairs.)",
            std::string(R"(H : array [n, d]
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
    'proportion' or 'raw'.)") + lens_doc,
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
  m.def("denoised_output_alignment", &denoised_output_alignment, nb::arg("H"), nb::arg("labels"),
        nb::arg("label_directions"), nb::arg("r"), nb::arg("singular_vectors") = 2, nb::arg("variance") = "proportion",
        nb::arg("label_token_ids").none() = nb::none(), nb::arg("argmax") = "vocabulary",
        nb::arg("final_norm_gamma").none() = nb::none(), nb::arg("final_norm_epsilon").none() = nb::none(),
        doc(R"(The pair-averaged rank-r denoised output alignment alone: the logit-lens accuracy on the rank-r
reconstruction U_r S_r V_r^T + 1 mu^T of each pair's states.)",
            std::string(R"(H, labels, label_directions :
    As separability_alignment.
r : int
    1 <= r <= min(rows of a pair, d).
singular_vectors, variance :
    As separability_alignment.)") + lens_doc,
            "float", "    as separability_alignment, and r out of range.")
            .c_str());
  m.def("separability_alignment_curves", &separability_alignment_curves, nb::arg("H"), nb::arg("labels"),
        nb::arg("label_directions"), ICL_PY_ALIGNMENT_ARGS,
        doc("separability_alignment at every layer. Ctrl-C interrupts between layers.",
            R"(H : array [layers, n, d] (any strides)
labels, label_directions, and the options :
    As separability_alignment.)",
            R"(AlignmentCurves
    One float64 [layers] array per measure (.separability, .output_alignment, ...), .layers.)",
            "    no layers, layers of different widths, and what separability_alignment raises for a layer.")
            .c_str());
  m.def("separability", &separability, nb::arg("H"), nb::arg("labels"), nb::arg("C") = 1.0,
        nb::arg("test_fraction") = 0.5, nb::arg("seed") = 0,
        doc(R"(Separability alone: per label pair a logistic probe (C, at most 100 iterations) fitted on a
stratified split of the pair's rows, its test accuracy averaged over pairs.)",
            R"(H : array [n, d]
labels : integer array or list [n], at least two classes
C : float, default 1.0
test_fraction : float, default 0.5
seed : int, default 0)",
            R"(AlignmentResult
    .separability and .pairs (the other measures are 0).)",
            "    a class with fewer than 2 rows, a labels length other than n, one class, NaN/Inf.")
            .c_str());
  m.def("directional_separability", &directional_separability, nb::arg("H"), nb::arg("labels"), nb::arg("u"),
        doc(R"(Directional separability S(u) of a two-class H: the fraction of rows on their class's side of
the hyperplane u.h = 0 (the smaller label on the side u.h >= 0).)",
            R"(H : array [n, d]
labels : integer array or list [n], exactly two classes
u : array or list [d])",
            "float", "    not exactly two classes, u of the wrong length, NaN/Inf.")
            .c_str());
  m.def("cka_curve", &cka_curve, nb::arg("X"), nb::arg("Y"), nb::arg("debiased") = false,
        doc("Linear CKA between corresponding layers of two tensors.",
            R"(X : array [layers, n, d_x]
Y : array [layers, n, d_y]
    Same layers, n and dtype.
debiased : bool, default False)",
            "numpy.ndarray, float64 [layers]", "    different layer counts, and what linear_cka raises.")
            .c_str());
  constexpr const char* retention_options = R"(r : int
    Directions per layer: 1 <= r <= min(n - 1, d) and at most the rank of each layer's centred
    states.
E : array [vocabulary, d] or None, default None
    An unembedding to decode each direction with (read as float64).
top_k : int, default 10
    Tokens per direction (with E).)";
  m.def("retention", &retention, nb::arg("previous"), nb::arg("current"), nb::arg("r"),
        nb::arg("E").none() = nb::none(), nb::arg("top_k") = 10,
        doc(R"(Layer retention ([P2]): the norm of each top-r direction of layer l-1's centred states after
projection onto layer l's top-r subspace (near 1: retained, near 0: filtered).)",
            std::string(R"(previous, current : array [n, d]
    The states at layers l-1 and l (same d and dtype).
)") + retention_options,
            "RetentionResult (layer = 1)",
            R"(    fewer than 2 rows, different widths, r out of range or above a layer's rank, NaN/Inf, E of
    the wrong width, top_k out of [1, vocabulary].)")
            .c_str());
  m.def("layer_retention", &layer_retention, nb::arg("H"), nb::arg("r"), nb::arg("E").none() = nb::none(),
        nb::arg("top_k") = 10,
        doc("Retention at every transition l-1 -> l of H (each layer's SVD once).",
            std::string("H : array [layers, n, d] (any strides), at least 2 layers\n") + retention_options,
            "list of RetentionResult, one per l = 1 .. layers - 1",
            "    a single layer, and what retention raises.")
            .c_str());
  m.def("head_task_vector", &head_task_vector, nb::arg("outputs"), nb::arg("heads"),
        doc("A task vector: the mean of the listed heads' output vectors (and over prompts).",
            R"(outputs : array [layers, heads, d] or [prompts, layers, heads, d]
heads : sequence of (layer, head) pairs
    As top_heads returns them; a head listed twice counts twice.)",
            "numpy.ndarray, float64 [d]", "    an empty list, a pair out of range, empty outputs, NaN/Inf.")
            .c_str());
  m.def("state_task_vector", &state_task_vector, nb::arg("states"), nb::arg("layer").none() = nb::none(),
        doc("A task vector: the mean over prompts of the states at one layer.",
            R"(states : array [n, d], or [layers, n, d] with layer
layer : int or None, default None)",
            "numpy.ndarray, float64 [d]", "    empty states, a layer out of range, NaN/Inf.")
            .c_str());
  m.def("inject_task_vector", &inject_task_vector, nb::arg("h"), nb::arg("v"), nb::arg("lam"),
        doc(R"(The injection h <- h + lam * v, in place on h (every row; the sum formed in double and rounded
once to h's dtype).)",
            R"(h : writable array [n, d] or [d]
    float16, bfloat16 (ml_dtypes), float32 or float64, any strides (numpy, torch CPU tensors).
v : array or list [d]
lam : float)",
            "None", "    h read-only or of another dtype, v of the wrong length, v or lam not finite.")
            .c_str());
  m.def("head_layer_mann_whitney", &head_layer_mann_whitney, nb::arg("a"), nb::arg("b"),
        nb::arg("alternative") = "two_sided",
        doc(R"(Where two head sets sit in depth ([P2]): mann_whitney_u on the layer indices of two lists of
(layer, head) pairs; 'greater': a's heads tend to sit in later layers.)",
            R"(a, b : sequence of (layer, head) pairs
alternative : str, default 'two_sided')",
            R"(TestResult
    .statistic (U of a's layers), .p_value.)",
            "    an empty list, an unknown alternative.")
            .c_str());
}

}  // namespace icl_py
