// Attention: ratios, head scores and the bias measures as [layers, heads] arrays; the streaming
// accumulators (one prompt or one layer at a time, merged across workers).
#include <cmath>
#include <functional>
#include <limits>
#include <type_traits>
#include <utility>

#include <nanobind/stl/pair.h>
#include <nanobind/stl/tuple.h>
#include <nanobind/stl/vector.h>

#include "bindings.hpp"
#include "guarded.hpp"

namespace icl_py {

icl::attention::head_map head_map_of(nb::handle scores, const char* function, const char* name, bool flag_inf) {
  const array_arg s = take_array(scores, function, name, 2);
  icl::attention::head_map map;
  map.layers = s.shape[0];
  map.heads = s.shape[1];
  visit(s, [&](auto t) {
    const auto view = matrix_of<decltype(t)>(s);
    for (std::size_t l = 0; l < map.layers; ++l) {
      for (std::size_t h = 0; h < map.heads; ++h) map.values.push_back(icl::detail::to_double(view(l, h)));
    }
  });
  if (flag_inf) {
    map.zero_denominator.assign(map.values.size(), 0);
    for (std::size_t i = 0; i < map.values.size(); ++i) {
      if (map.values[i] == std::numeric_limits<double>::infinity()) {
        map.zero_denominator[i] = 1;
        ++map.zero_denominator_count;
      }
    }
  }
  return map;
}

namespace {

/// One prompt's attention: [layers, heads, T, T], or one layer's [heads, T, T] (seen as one
/// layer with a zero layer stride).
template <class T>
icl::tensor_view<const T, 4> attention_of(const array_arg& a) {
  if (a.shape.size() == 4) return tensor_of<T, 4>(a);
  return icl::tensor_view<const T, 4>(static_cast<const T*>(a.data), {1, a.shape[0], a.shape[1], a.shape[2]},
                                      {0, a.strides[0], a.strides[1], a.strides[2]});
}

array_arg take_attention(array_like A, const char* fn) { return take_array(A, fn, "A", 3, 4); }

/// The three position lists of the attention ratio.
struct ratio_positions {
  std::vector<std::size_t> sources, relevant, irrelevant;
  ratio_positions(nb::handle s, nb::handle r, nb::handle i, const char* fn)
      : sources(take_indices(s, fn, "sources")),
        relevant(take_indices(r, fn, "relevant")),
        irrelevant(take_indices(i, fn, "irrelevant")) {}
};

/// Label positions with the class of each (label_attention's labels, the bias's label_classes).
struct labelled_positions {
  std::vector<std::size_t> positions;
  std::vector<int> classes;
  labelled_positions(nb::handle p, nb::handle c, const char* fn, const char* classes_name)
      : positions(take_indices(p, fn, "label_positions")), classes(take_labels(c, fn, classes_name)) {}
};

/// The row checks of the attention metrics (attention_params).
icl::attention::attention_params checks_of(bool check_row_sums, double row_sum_tolerance) {
  icl::attention::attention_params p;
  p.check_row_sums = check_row_sums;
  p.row_sum_tolerance = row_sum_tolerance;
  return p;
}

nb::ndarray<nb::numpy, double> attention_ratio(array_like A, array_like sources, array_like relevant,
                                               array_like irrelevant, bool normalize, bool check_row_sums,
                                               double row_sum_tolerance) {
  const char* fn = "icl::attention::attention_ratio";
  const array_arg a = take_attention(A, fn);
  const ratio_positions p(sources, relevant, irrelevant, fn);
  const auto checks = checks_of(check_row_sums, row_sum_tolerance);
  return head_map_array(released([&] {
    return visit(a, [&](auto t) {
      return icl::attention::attention_ratio(attention_of<decltype(t)>(a), p.sources, p.relevant, p.irrelevant,
                                             normalize, checks);
    });
  }));
}

nb::ndarray<nb::numpy, double> previous_token_score(array_like A) {
  const array_arg a = take_attention(A, "icl::attention::previous_token_score");
  return head_map_array(released([&] {
    return visit(a, [&](auto t) { return icl::attention::previous_token_score(attention_of<decltype(t)>(a)); });
  }));
}

nb::ndarray<nb::numpy, double> induction_score(array_like A, array_like label_positions, bool check_row_sums,
                                               double row_sum_tolerance) {
  const char* fn = "icl::attention::induction_score";
  const array_arg a = take_attention(A, fn);
  const auto p = take_indices(label_positions, fn, "label_positions");
  const auto checks = checks_of(check_row_sums, row_sum_tolerance);
  return head_map_array(released([&] {
    return visit(a, [&](auto t) { return icl::attention::induction_score(attention_of<decltype(t)>(a), p, checks); });
  }));
}

/// f(A's view, label positions, their classes, row checks) with the GIL released: the metrics of
/// one prompt's label positions (A with min_ndim to 4 dimensions).
template <class F>
auto labelled_metric(const char* fn, std::size_t min_ndim, nb::handle A, nb::handle positions, nb::handle classes,
                     const char* classes_name, bool check_row_sums, double row_sum_tolerance, F&& f) {
  const array_arg a = take_array(A, fn, "A", min_ndim, 4);
  const labelled_positions p(positions, classes, fn, classes_name);
  const auto checks = checks_of(check_row_sums, row_sum_tolerance);
  return released([&] {
    return visit(a, [&](auto t) { return f(attention_of<decltype(t)>(a), p.positions, p.classes, checks); });
  });
}

icl::attention::label_attention_map label_attention(array_like A, array_like label_positions, array_like labels,
                                                    bool check_row_sums, double row_sum_tolerance) {
  return labelled_metric("icl::attention::label_attention", 3, A, label_positions, labels, "labels", check_row_sums,
                         row_sum_tolerance, [](auto view, const auto& p, const auto& y, const auto& checks) {
                           return icl::attention::label_attention(view, p, y, checks);
                         });
}

std::vector<std::pair<std::size_t, std::size_t>> top_heads(array_like scores, double fraction) {
  return icl::attention::top_heads(head_map_of(scores, "icl::attention::top_heads", "scores"), fraction);
}

/// The bias statistics over prompts: one accumulator fed prompt by prompt (the GIL released for
/// each, Ctrl-C checked between prompts); prompts may differ in T and in their label positions.
icl::attention::label_bias label_bias_of(array_like attentions, array_like label_positions, array_like label_classes) {
  const char* fn = "icl::attention::label_bias_accumulator::add";
  const std::size_t prompts = nb::len(attentions);
  if (nb::len(label_positions) != prompts || nb::len(label_classes) != prompts) {
    icl::detail::throw_invalid(fn, "got ", prompts, " attention maps, ", nb::len(label_positions),
                               " position lists and ", nb::len(label_classes), " class lists (one of each per prompt)");
  }
  icl::attention::label_bias_accumulator acc;
  for (std::size_t p = 0; p < prompts; ++p) {
    const array_arg a = take_array(attentions[p], fn, "A", 4);
    const labelled_positions lp(label_positions[p], label_classes[p], fn, "label_classes");
    released([&] { visit(a, [&](auto t) { acc.add(tensor_of<decltype(t), 4>(a), lp.positions, lp.classes); }); });
    check_signals();
  }
  return acc.result();
}

/// One prompt's [layers, heads, T, T], or one layer's [heads, T, T] for add_layer.
array_arg take_prompt(nb::handle A, const char* fn) { return take_array(A, fn, "A", 4); }
array_arg take_layer(nb::handle A, const char* fn) { return take_array(A, fn, "A", 3); }

using icl::attention::induction_accumulator;
using icl::attention::label_bias_accumulator;
using icl::attention::previous_token_accumulator;
using icl::attention::ratio_accumulator;

/// A method returning a head map (result, ratio_of_sums) as a [layers, heads] array.
template <class Acc, class F>
auto head_map_method(F f) {
  return [f](guarded<Acc>& a) { return head_map_array(a.run([&](Acc& x) { return f(x); })); };
}

/// The members every accumulator class shares: merge, prompts, and the repr; the keyword
/// constructor of those built from attention_params.
template <class Acc>
nb::class_<guarded<Acc>> accumulator_class(nb::module_& m, const char* name, const char* cpp_name,
                                           const std::string& doc_text) {
  static const std::string merge_fn = std::string(cpp_name) + "::merge";
  auto cls = nb::class_<guarded<Acc>>(m, name, doc_text.c_str());
  cls.def(
         "merge", [](guarded<Acc>& a, guarded<Acc>& b) { a.run(b, merge_fn.c_str(), [](Acc& x, Acc& y) { x.merge(y); }); },
         nb::arg("other"),
         "Adds the prompts of another accumulator of the same kind and settings (another worker's):\n"
         "the result equals feeding every prompt to one accumulator, up to the rounding of the sums.\n\n"
         "Raises Error for another shape (layers, heads) or other settings, or other being self.")
      .def_prop_ro("prompts", guarded_method<Acc>(std::mem_fn(&Acc::prompts)),
                   "Prompts added (fed by layer: the most any layer received).")
      .def("__repr__", [name](guarded<Acc>& a) {
        return std::string(name) + "(prompts=" + std::to_string(a.run([](Acc& x) { return x.prompts(); })) + ")";
      });
  if constexpr (std::is_constructible_v<Acc, icl::attention::attention_params>) {
    cls.def(
        "__init__",
        [](guarded<Acc>* self, bool check, double tolerance) { new (self) guarded<Acc>(checks_of(check, tolerance)); },
        nb::kw_only(), nb::arg("check_row_sums") = false, nb::arg("row_sum_tolerance") = 1e-3);
  }
  return cls;
}

/// ... and those of the accumulators that can be fed one layer at a time, whose result() is a
/// head map.
template <class Acc>
nb::class_<guarded<Acc>> layered_class(nb::module_& m, const char* name, const char* cpp_name,
                                       const std::string& doc_text, const std::string& result_doc) {
  auto cls = accumulator_class<Acc>(m, name, cpp_name, doc_text);
  cls.def("result", head_map_method<Acc>(std::mem_fn(&Acc::result)), result_doc.c_str());
  cls.def_prop_ro(
      "layer_prompts",
      [](guarded<Acc>& a) { return to_numpy(a.run([](Acc& x) { return std::vector<std::size_t>(x.layer_prompts()); })); },
      nb::rv_policy::move, "Prompts received by each layer (int [layers]).");
  return cls;
}

void ratio_add(guarded<ratio_accumulator>& acc, array_like A, array_like sources, array_like relevant,
               array_like irrelevant) {
  const char* fn = "icl::attention::ratio_accumulator::add";
  const array_arg a = take_prompt(A, fn);
  const ratio_positions p(sources, relevant, irrelevant, fn);
  acc.run([&](ratio_accumulator& x) {
    visit(a, [&](auto t) { x.add(tensor_of<decltype(t), 4>(a), p.sources, p.relevant, p.irrelevant); });
  });
}

void ratio_add_layer(guarded<ratio_accumulator>& acc, std::size_t layer, array_like A, array_like sources,
                     array_like relevant, array_like irrelevant) {
  const char* fn = "icl::attention::ratio_accumulator::add_layer";
  const array_arg a = take_layer(A, fn);
  const ratio_positions p(sources, relevant, irrelevant, fn);
  acc.run([&](ratio_accumulator& x) {
    visit(a, [&](auto t) { x.add_layer(layer, tensor_of<decltype(t), 3>(a), p.sources, p.relevant, p.irrelevant); });
  });
}

void previous_add(guarded<previous_token_accumulator>& acc, array_like A) {
  const array_arg a = take_prompt(A, "icl::attention::previous_token_accumulator::add");
  acc.run([&](previous_token_accumulator& x) { visit(a, [&](auto t) { x.add(tensor_of<decltype(t), 4>(a)); }); });
}

void previous_add_layer(guarded<previous_token_accumulator>& acc, std::size_t layer, array_like A) {
  const array_arg a = take_layer(A, "icl::attention::previous_token_accumulator::add_layer");
  acc.run([&](previous_token_accumulator& x) {
    visit(a, [&](auto t) { x.add_layer(layer, tensor_of<decltype(t), 3>(a)); });
  });
}

void induction_add(guarded<induction_accumulator>& acc, array_like A, array_like label_positions) {
  const char* fn = "icl::attention::induction_accumulator::add";
  const array_arg a = take_prompt(A, fn);
  const auto p = take_indices(label_positions, fn, "label_positions");
  acc.run([&](induction_accumulator& x) { visit(a, [&](auto t) { x.add(tensor_of<decltype(t), 4>(a), p); }); });
}

void induction_add_layer(guarded<induction_accumulator>& acc, std::size_t layer, array_like A,
                         array_like label_positions) {
  const char* fn = "icl::attention::induction_accumulator::add_layer";
  const array_arg a = take_layer(A, fn);
  const auto p = take_indices(label_positions, fn, "label_positions");
  acc.run([&](induction_accumulator& x) {
    visit(a, [&](auto t) { x.add_layer(layer, tensor_of<decltype(t), 3>(a), p); });
  });
}

void bias_add(guarded<label_bias_accumulator>& acc, array_like A, array_like label_positions, array_like label_classes) {
  const char* fn = "icl::attention::label_bias_accumulator::add";
  const array_arg a = take_prompt(A, fn);
  const labelled_positions p(label_positions, label_classes, fn, "label_classes");
  acc.run([&](label_bias_accumulator& x) {
    visit(a, [&](auto t) { x.add(tensor_of<decltype(t), 4>(a), p.positions, p.classes); });
  });
}

icl::attention::label_bias label_bias_statistics(array_like A, array_like label_positions, array_like label_classes,
                                                 bool check_row_sums, double row_sum_tolerance) {
  return labelled_metric("icl::attention::label_bias_statistics", 4, A, label_positions, label_classes,
                         "label_classes", check_row_sums, row_sum_tolerance,
                         [](auto view, const auto& p, const auto& c, const auto& checks) {
                           return icl::attention::label_bias_statistics(view, p, c, checks);
                         });
}

/// A layer curve as (values, left out per layer) for mean_over_defined_heads.
std::pair<nb::ndarray<nb::numpy, double>, nb::ndarray<nb::numpy, std::size_t>> mean_over_defined_heads(
    array_like scores) {
  auto map = head_map_of(scores, "icl::attention::mean_over_defined_heads", "scores", true);
  std::vector<std::size_t> left_out;
  auto curve = icl::attention::mean_over_defined_heads(map, &left_out);
  return {to_numpy(std::move(curve.values)), to_numpy(std::move(left_out))};
}

nb::ndarray<nb::numpy, double> mean_over_heads(array_like scores) {
  return to_numpy(icl::attention::mean_over_heads(head_map_of(scores, "icl::attention::mean_over_heads", "scores")).values);
}

nb::ndarray<nb::numpy, double> icl_change(array_like with_icl, array_like without_icl) {
  const char* fn = "icl::attention::icl_change";
  return head_map_array(icl::attention::icl_change(head_map_of(with_icl, fn, "with_icl", true),
                                                   head_map_of(without_icl, fn, "without_icl", true)));
}

/// 0/1 answers (any integer array or list).
std::vector<int> take_correct(nb::handle obj, const char* fn, const char* name) { return take_labels(obj, fn, name); }

icl::attention::accuracy_gap majority_label_gap(array_like balanced_correct, array_like reduced_correct) {
  const char* fn = "icl::attention::majority_label_gap";
  return icl::attention::majority_label_gap(take_correct(balanced_correct, fn, "balanced_correct"),
                                            take_correct(reduced_correct, fn, "reduced_correct"));
}

double order_accuracy_std(nb::sequence correct_by_order, std::size_t ddof) {
  const char* fn = "icl::attention::order_accuracy_std";
  std::vector<std::vector<int>> orders;
  for (nb::handle order : correct_by_order) orders.push_back(take_correct(order, fn, "correct_by_order[r]"));
  return icl::attention::order_accuracy_std(orders, ddof);
}

nb::ndarray<nb::numpy, double> label_attention_std(array_like attention, std::size_t ddof) {
  const array_arg a = take_array(attention, "icl::attention::label_attention_std", "attention", 2);
  return to_numpy(released([&] {
    return visit(a, [&](auto t) { return icl::attention::label_attention_std(matrix_of<decltype(t)>(a), ddof); });
  }));
}

constexpr const char* attention_param = R"(A : array [layers, heads, T, T] or [heads, T, T]
    One prompt's attention probabilities, row q = query position (float16, bfloat16, float32
    or float64 read in place with their strides; other dtypes are converted to a float64 copy).)";

const std::string head_map_returns = "numpy.ndarray, float64 [layers, heads]";

/// The keyword options of the one-prompt metrics that read whole rows.
const std::string row_checks = R"(check_row_sums : bool, default False (keyword)
    Require every full row read to sum to 1 within row_sum_tolerance (an Error names the row).
row_sum_tolerance : float, default 1e-3 (keyword))";

/// A class's docstring: the summary, then the constructor's parameters.
std::string class_doc(const std::string& summary, const std::string& parameters) {
  return parameters.empty() ? summary : summary + "\n\nParameters\n----------\n" + parameters;
}

}  // namespace

void init_attention(nb::module_& m) {
  const std::string ratio_doc =
      doc(R"(Attention ratio per (layer, head): the attention from the source positions to the relevant keys
over that to the irrelevant keys, each a per-token mean (normalize=True) or a sum.)",
          std::string(attention_param) + R"(
sources, relevant, irrelevant : integer arrays or lists of positions (< T)
    Non-empty, no repeats.
normalize : bool, default True
    Divide the sums by |relevant| and |irrelevant|.
)" + row_checks,
          head_map_returns + "\n    +inf where the irrelevant sum is 0.",
          R"(    non-square maps, an empty, repeated or out-of-range position, NaN/Inf or all zeros in a
    source row (naming layer, head and position).)");
  const std::string previous_doc =
      doc("Previous-token score per (layer, head): the sum over positions q >= 1 of A[l, h, q, q - 1].",
          attention_param, head_map_returns, "    non-square maps, T < 2, NaN/Inf on the subdiagonal.");
  const std::string induction_doc =
      doc(R"(Induction score per (layer, head): the attention from the last position T - 1 to the label
positions, summed.)",
          std::string(attention_param) + R"(
label_positions : integer array or list of positions (< T), non-empty, no repeats
)" + row_checks,
          head_map_returns,
          R"(    non-square maps, an empty, repeated or out-of-range position, NaN/Inf or all zeros in row
    T - 1.)");
  using icl::attention::label_attention_map;
  nb::class_<label_attention_map>(m, "LabelAttention", "Result of label_attention: values, classes.")
      .def_prop_ro(
          "values",
          [](const label_attention_map& r) {
            return to_numpy(std::vector<double>(r.values), {r.layers, r.heads, r.classes.size()});
          },
          nb::rv_policy::move, "Attention from T - 1 to each class's label positions (float64 [layers, heads, classes]).")
      .def_prop_ro("classes", array_field(&label_attention_map::classes), nb::rv_policy::move,
                   "The distinct labels, increasing (int32).")
      .def("__repr__", [](const label_attention_map& r) {
        return "LabelAttention(layers=" + std::to_string(r.layers) + ", heads=" + std::to_string(r.heads) +
               ", classes=" + std::to_string(r.classes.size()) + ")";
      });
  m.def("label_attention", &label_attention, nb::arg("A"), nb::arg("label_positions"), nb::arg("labels"),
        nb::kw_only(), nb::arg("check_row_sums") = false, nb::arg("row_sum_tolerance") = 1e-3,
        doc("Attention from the last position T - 1 to the label positions of each class, per (layer, head).",
            std::string(attention_param) + R"(
label_positions : integer array or list of positions (< T), no repeats
labels : integer array or list, the class of each label position
)" + row_checks,
            "LabelAttention\n    .values (float64 [layers, heads, classes]), .classes.",
            "    as induction_score, and a labels length other than that of label_positions.")
            .c_str());
  m.def("top_heads", &top_heads, nb::arg("scores"), nb::arg("fraction") = 0.1,
        doc(R"(The ceil(fraction * layers * heads) (layer, head) pairs of highest score, highest first; equal
scores keep (layer, head) order.)",
            R"(scores : array [layers, heads]
    A head map (e.g. induction_score's result); +inf ranks first.
fraction : float, default 0.1
    In (0, 1].)",
            "list of (layer, head) tuples", "    a fraction outside (0, 1], an empty map, a NaN score.")
            .c_str());
  using icl::attention::label_bias;
  nb::class_<label_bias>(m, "LabelBias",
                         "Result of label_bias: majority_excess, recency_excess, recency_profile, prompts.")
      .def_prop_ro(
          "majority_excess",
          [](const label_bias& r) { return to_numpy(std::vector<double>(r.majority_excess), {r.layers, r.heads}); },
          nb::rv_policy::move,
          "Mean of a_maj - s_maj over the prompts with a unique majority class (float64 [layers, heads]).")
      .def_prop_ro(
          "recency_excess",
          [](const label_bias& r) { return to_numpy(std::vector<double>(r.recency_excess), {r.layers, r.heads}); },
          nb::rv_policy::move, "Mean of r_1 - 1/k over the prompts (float64 [layers, heads]).")
      .def_prop_ro(
          "recency_profile",
          [](const label_bias& r) {
            return to_numpy(std::vector<double>(r.recency_profile), {r.layers, r.heads, r.max_demonstrations});
          },
          nb::rv_policy::move,
          "Mean share r_j of the j-th nearest label position (float64 [layers, heads, max_demonstrations]).")
      .def_ro("prompts", &label_bias::prompts, "Prompts behind the statistics.")
      .def_ro("majority_prompts", &label_bias::majority_prompts, "Prompts with a unique majority class.")
      .def("__repr__", [](const label_bias& r) {
        return "LabelBias(layers=" + std::to_string(r.layers) + ", heads=" + std::to_string(r.heads) +
               ", prompts=" + std::to_string(r.prompts) + ", majority_prompts=" + std::to_string(r.majority_prompts) +
               ")";
      });
  m.def("label_bias", &label_bias_of, nb::arg("attentions"), nb::arg("label_positions"), nb::arg("label_classes"),
        doc(R"(Label-attention biases over prompts: how the attention from the last position to the
demonstrations' label tokens is spread over classes (majority-label excess) and over
demonstrations (recency), against the demonstrations' own spread. Ctrl-C interrupts between
prompts.)",
            R"(attentions : sequence of arrays [layers, heads, T, T] (or an array [prompts, layers, heads, T, T])
    One per prompt; T may differ between prompts. Read in place.
label_positions : sequence of integer arrays or lists
    The label positions of each prompt (one per demonstration).
label_classes : sequence of integer arrays or lists
    The class of each label position.)",
            "LabelBias\n    .majority_excess, .recency_excess ([layers, heads]), .recency_profile, .prompts.",
            R"(    sequences of different lengths, no prompt, the errors of label_attention, a head whose
    attention to the label positions is exactly zero, prompts with different (layers, heads).)")
            .c_str());
  m.def("attention_ratio", &attention_ratio, nb::arg("A"), nb::arg("sources"), nb::arg("relevant"),
        nb::arg("irrelevant"), nb::arg("normalize") = true, nb::kw_only(), nb::arg("check_row_sums") = false,
        nb::arg("row_sum_tolerance") = 1e-3, ratio_doc.c_str());
  m.def("previous_token_score", &previous_token_score, nb::arg("A"), previous_doc.c_str());
  m.def("induction_score", &induction_score, nb::arg("A"), nb::arg("label_positions"), nb::kw_only(),
        nb::arg("check_row_sums") = false, nb::arg("row_sum_tolerance") = 1e-3, induction_doc.c_str());

  // ---- the streaming accumulators -----------------------------------------------------------
  const std::string prompt_param = R"(A : array [layers, heads, T, T]
    One prompt's attention (float16, bfloat16, float32 or float64 read in place).)";
  const std::string layer_params = R"(layer : int
    The layer's index (any order; the layer count grows as needed).
A : array [heads, T, T]
    That layer's attention for the current prompt (read in place).)";
  const std::string sum_result = "numpy.ndarray, float64 [layers, heads]\n    The sums over the prompts added.";
  const std::string no_prompt = "    no prompt was added, or a layer received none (feeding by layer).";
  const std::string sum_doc = doc("The sum over the prompts added.", "", sum_result, no_prompt);

  layered_class<ratio_accumulator>(
      m, "RatioAccumulator", "icl::attention::ratio_accumulator",
      class_doc(R"(The attention ratio over many prompts, fed one prompt (add) or one layer of a prompt
(add_layer) at a time; prompts may differ in T and positions. result() is the mean of the
per-prompt ratios, ratio_of_sums() the summed numerators over the summed denominators (+inf
where that is zero). One accumulator per thread, merge() at the end (calls on one object are
serialized).)",
          "normalize : bool, default True\n    Per-token means, as attention_ratio.\n" + row_checks),
      doc("Mean over the prompts of the per-prompt ratio.", "",
          head_map_returns + "\n    +inf where a prompt's denominator was zero.", no_prompt))
      .def(
          "__init__",
          [](guarded<ratio_accumulator>* self, bool normalize, bool check, double tolerance) {
            new (self) guarded<ratio_accumulator>(normalize, checks_of(check, tolerance));
          },
          nb::kw_only(), nb::arg("normalize") = true, nb::arg("check_row_sums") = false,
          nb::arg("row_sum_tolerance") = 1e-3)
      .def("add", &ratio_add, nb::arg("A"), nb::arg("sources"), nb::arg("relevant"), nb::arg("irrelevant"),
           doc("Adds one prompt.",
               prompt_param + "\nsources, relevant, irrelevant : integer arrays or lists of positions (< T)",
               "None",
               "    the errors of attention_ratio, a prompt whose (layers, heads) differ from the accumulated\n"
               "    ones (nothing is added then).")
               .c_str())
      .def("add_layer", &ratio_add_layer, nb::arg("layer"), nb::arg("A"), nb::arg("sources"), nb::arg("relevant"),
           nb::arg("irrelevant"),
           doc("Adds one layer of a prompt (e.g. from a forward hook); every layer must be fed before result().",
               layer_params + "\nsources, relevant, irrelevant : integer arrays or lists of positions (< T)", "None",
               "    as add, and a heads count other than the accumulated one.")
               .c_str())
      .def(
          "ratio_of_sums",
          head_map_method<ratio_accumulator>(std::mem_fn(&ratio_accumulator::ratio_of_sums)),
          doc("Summed numerators over summed denominators.", "",
              head_map_returns + "\n    +inf where the summed denominator is zero.", no_prompt)
              .c_str());

  layered_class<previous_token_accumulator>(
      m, "PreviousTokenAccumulator", "icl::attention::previous_token_accumulator",
      class_doc("The sum of previous_token_score over prompts (prompts may differ in T), fed by prompt or by layer.", ""),
      sum_doc)
      .def(nb::init<>())
      .def("add", &previous_add, nb::arg("A"),
           doc("Adds one prompt.", prompt_param, "None",
               "    the errors of previous_token_score, another (layers, heads).")
               .c_str())
      .def("add_layer", &previous_add_layer, nb::arg("layer"), nb::arg("A"),
           doc("Adds one layer of a prompt.", layer_params, "None", "    as add, another heads count.").c_str());

  layered_class<induction_accumulator>(
      m, "InductionAccumulator", "icl::attention::induction_accumulator",
      class_doc("The sum of induction_score over prompts (each with its own T and label positions), fed by prompt or by "
          "layer.",
          row_checks),
      sum_doc)
      .def("add", &induction_add, nb::arg("A"), nb::arg("label_positions"),
           doc("Adds one prompt.", prompt_param + "\nlabel_positions : integer array or list of positions (< T)",
               "None", "    the errors of induction_score, another (layers, heads).")
               .c_str())
      .def("add_layer", &induction_add_layer, nb::arg("layer"), nb::arg("A"), nb::arg("label_positions"),
           doc("Adds one layer of a prompt.",
               layer_params + "\nlabel_positions : integer array or list of positions (< T)", "None",
               "    as add, another heads count.")
               .c_str());

  accumulator_class<label_bias_accumulator>(
      m, "LabelBiasAccumulator", "icl::attention::label_bias_accumulator",
      class_doc("The label-attention bias statistics over prompts (label_bias one prompt at a time; prompts may differ in T "
          "and in their demonstrations).",
          row_checks))
      .def("add", &bias_add, nb::arg("A"), nb::arg("label_positions"), nb::arg("label_classes"),
           doc("Adds one prompt (label_classes[i] is the class of label_positions[i]).",
               prompt_param +
                   "\nlabel_positions : integer array or list of positions (< T)\nlabel_classes : integer array or "
                   "list",
               "None",
               "    the errors of label_attention, a head whose attention to the label positions is exactly\n"
               "    zero, another (layers, heads) (nothing is added then).")
               .c_str())
      .def(
          "result",
          [](guarded<label_bias_accumulator>& a) { return a.run([](label_bias_accumulator& x) { return x.result(); }); },
          doc("The means over the prompts added.", "", "LabelBias", "    no prompt was added.").c_str());

  m.def("label_bias_statistics", &label_bias_statistics, nb::arg("A"), nb::arg("label_positions"),
        nb::arg("label_classes"), nb::kw_only(), nb::arg("check_row_sums") = false, nb::arg("row_sum_tolerance") = 1e-3,
        doc("The label-attention bias statistics of one prompt (label_bias of a single prompt).",
            prompt_param +
                "\nlabel_positions : integer array or list of positions (< T)\nlabel_classes : integer array or list\n" +
                row_checks,
            "LabelBias (prompts = 1)", "    those of LabelBiasAccumulator.add, named icl::attention::label_bias_statistics.")
            .c_str());
  m.def("label_attention_shift", &icl::attention::label_attention_shift, nb::arg("original"), nb::arg("reversed"),
        doc("The shift of label attention between a prompt and the same prompt with its labels reversed: reversed -\n"
            "original, per (layer, head, class).",
            "original, reversed : LabelAttention\n    Results of label_attention.",
            "LabelAttention", "    different layers, heads or classes.")
            .c_str());
  m.def("mean_over_heads", &mean_over_heads, nb::arg("scores"),
        doc("Mean over the heads of each layer of a head map.", "scores : array [layers, heads]",
            "numpy.ndarray, float64 [layers]\n    +inf for a layer with a +inf value.",
            "    an empty map, a NaN value.")
            .c_str());
  m.def("mean_over_defined_heads", &mean_over_defined_heads, nb::arg("scores"),
        doc("Mean over the heads of each layer whose value is defined: +inf values (attention_ratio's flagged\n"
            "zero denominators) are left out.",
            "scores : array [layers, heads]",
            "tuple (means float64 [layers], left_out int [layers])\n    NaN for a layer whose heads are all +inf.",
            "    an empty map, a NaN value.")
            .c_str());
  m.def("icl_change", &icl_change, nb::arg("with_icl"), nb::arg("without_icl"),
        doc("The ICL-minus-no-ICL change of a head map, with_icl - without_icl (+inf values, flagged zero\n"
            "denominators, give the IEEE difference).",
            "with_icl, without_icl : arrays [layers, heads]", head_map_returns,
            "    an empty map, maps of different shapes.")
            .c_str());

  // ---- the bias measures of behaviour and of the in-context heads ---------------------------
  using icl::attention::accuracy_gap;
  nb::class_<accuracy_gap>(m, "AccuracyGap", "Result of majority_label_gap: balanced, reduced, gap.")
      .def_ro("balanced", &accuracy_gap::balanced, "Accuracy on the balanced prompts.")
      .def_ro("reduced", &accuracy_gap::reduced, "Accuracy on the prompts with one fewer demonstration of a label.")
      .def_ro("gap", &accuracy_gap::gap, "balanced - reduced.")
      .def("__repr__", [](const accuracy_gap& r) {
        return "AccuracyGap(balanced=" + fmt(r.balanced) + ", reduced=" + fmt(r.reduced) + ", gap=" + fmt(r.gap) + ")";
      });
  m.def("majority_label_gap", &majority_label_gap, nb::arg("balanced_correct"), nb::arg("reduced_correct"),
        doc("Majority-label bias from behaviour: the accuracy on balanced prompts minus that on prompts with\n"
            "one fewer demonstration of a label.",
            "balanced_correct, reduced_correct : integer arrays or lists of 0/1\n"
            "    1 where the prompt was answered correctly (the two may differ in length).",
            "AccuracyGap\n    .balanced, .reduced, .gap.", "    an empty input, a value other than 0 or 1.")
            .c_str());
  m.def("order_accuracy_std", &order_accuracy_std, nb::arg("correct_by_order"), nb::arg("ddof") = 0,
        doc("Recency bias from behaviour: the standard deviation across demonstration orders of the accuracy\n"
            "under each order.",
            "correct_by_order : sequence of integer arrays or lists of 0/1\n"
            "    One per order (they may differ in length).\n"
            "ddof : int, default 0\n    0: population std (numpy.std's default); 1: sample std.",
            "float", "    no more orders than ddof, an empty order, a value other than 0 or 1.")
            .c_str());
  m.def("label_attention_std", &label_attention_std, nb::arg("attention"), nb::arg("ddof") = 0,
        doc("Recency bias in the in-context heads: the standard deviation across demonstration orders of each\n"
            "head's label attention.",
            "attention : array [orders, heads]\n    Row r: each in-context head's label attention under order r "
            "(any dtype of the four,\n    any strides).\nddof : int, default 0",
            "numpy.ndarray, float64 [heads]", "    no column, no more rows than ddof, NaN/Inf.")
            .c_str());
}

}  // namespace icl_py
