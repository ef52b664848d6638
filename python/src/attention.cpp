// Attention: ratios and head scores as [layers, heads] arrays.
#include <utility>

#include <nanobind/stl/pair.h>
#include <nanobind/stl/vector.h>

#include "bindings.hpp"

namespace icl_py {

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

nb::ndarray<nb::numpy, double> attention_ratio(array_like A, array_like sources, array_like relevant,
                                               array_like irrelevant, bool normalize) {
  const char* fn = "icl::attention::attention_ratio";
  const array_arg a = take_attention(A, fn);
  const auto s = take_indices(sources, fn, "sources");
  const auto r = take_indices(relevant, fn, "relevant");
  const auto i = take_indices(irrelevant, fn, "irrelevant");
  return head_map_array(released([&] {
    return visit(a, [&](auto t) { return icl::attention::attention_ratio(attention_of<decltype(t)>(a), s, r, i, normalize); });
  }));
}

nb::ndarray<nb::numpy, double> previous_token_score(array_like A) {
  const array_arg a = take_attention(A, "icl::attention::previous_token_score");
  return head_map_array(released([&] {
    return visit(a, [&](auto t) { return icl::attention::previous_token_score(attention_of<decltype(t)>(a)); });
  }));
}

nb::ndarray<nb::numpy, double> induction_score(array_like A, array_like label_positions) {
  const char* fn = "icl::attention::induction_score";
  const array_arg a = take_attention(A, fn);
  const auto p = take_indices(label_positions, fn, "label_positions");
  return head_map_array(released([&] {
    return visit(a, [&](auto t) { return icl::attention::induction_score(attention_of<decltype(t)>(a), p); });
  }));
}

icl::attention::label_attention_map label_attention(array_like A, array_like label_positions, array_like labels) {
  const char* fn = "icl::attention::label_attention";
  const array_arg a = take_attention(A, fn);
  const auto p = take_indices(label_positions, fn, "label_positions");
  const auto y = take_labels(labels, fn, "labels");
  return released([&] {
    return visit(a, [&](auto t) { return icl::attention::label_attention(attention_of<decltype(t)>(a), p, y); });
  });
}

std::vector<std::pair<std::size_t, std::size_t>> top_heads(array_like scores, double fraction) {
  const char* fn = "icl::attention::top_heads";
  const array_arg s = take_array(scores, fn, "scores", 2);
  icl::attention::head_map map;
  map.layers = s.shape[0];
  map.heads = s.shape[1];
  visit(s, [&](auto t) {
    const auto view = matrix_of<decltype(t)>(s);
    for (std::size_t l = 0; l < map.layers; ++l) {
      for (std::size_t h = 0; h < map.heads; ++h) map.values.push_back(icl::detail::to_double(view(l, h)));
    }
  });
  return icl::attention::top_heads(map, fraction);
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
    const auto positions = take_indices(label_positions[p], fn, "label_positions");
    const auto classes = take_labels(label_classes[p], fn, "label_classes");
    released([&] { visit(a, [&](auto t) { acc.add(tensor_of<decltype(t), 4>(a), positions, classes); }); });
    check_signals();
  }
  return acc.result();
}

constexpr const char* attention_param = R"(A : array [layers, heads, T, T] or [heads, T, T]
    One prompt's attention probabilities, row q = query position (float16, bfloat16, float32
    or float64 read in place with their strides; other dtypes are converted to a float64 copy).)";

const std::string head_map_returns = "numpy.ndarray, float64 [layers, heads]";

}  // namespace

void init_attention(nb::module_& m) {
  const std::string ratio_doc =
      doc(R"(Attention ratio per (layer, head): the attention from the source positions to the relevant keys
over that to the irrelevant keys, each a per-token mean (normalize=True) or a sum.)",
          std::string(attention_param) + R"(
sources, relevant, irrelevant : integer arrays or lists of positions (< T)
    Non-empty, no repeats.
normalize : bool, default True
    Divide the sums by |relevant| and |irrelevant|.)",
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
label_positions : integer array or list of positions (< T), non-empty, no repeats)",
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
        doc("Attention from the last position T - 1 to the label positions of each class, per (layer, head).",
            std::string(attention_param) + R"(
label_positions : integer array or list of positions (< T), no repeats
labels : integer array or list, the class of each label position)",
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
        nb::arg("irrelevant"), nb::arg("normalize") = true, ratio_doc.c_str());
  m.def("previous_token_score", &previous_token_score, nb::arg("A"), previous_doc.c_str());
  m.def("induction_score", &induction_score, nb::arg("A"), nb::arg("label_positions"), induction_doc.c_str());
}

}  // namespace icl_py
