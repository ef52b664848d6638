// The logit lens and the in-context heads: logit_minus, logprob_change / logprob_increase,
// head_logprob_increase, the value-output vectors and head outputs, the head selection.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nanobind/stl/optional.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/vector.h>

#include "bindings.hpp"
#include "guarded.hpp"

namespace icl_py {

namespace {

using icl::attention::head_map;
using icl::attention::logit_lens_params;

/// Calls f(T{}) for the common element type of several arrays (the first's), refusing arrays of
/// different element types as visit_same does.
template <class F>
decltype(auto) visit_all(std::initializer_list<const array_arg*> arrays, const char* function, F&& f) {
  const array_arg& first = **arrays.begin();
  for (const array_arg* a : arrays) {
    if (a->type != first.type) return visit_same(first, *a, function, std::forward<F>(f));  // throws
  }
  return visit(first, std::forward<F>(f));
}

logit_lens_params lens_params(nb::handle gamma, double eps, std::size_t block_rows, const std::string& normalizer,
                              const char* fn) {
  logit_lens_params p;
  if (!gamma.is_none()) p.norm.gamma = take_doubles(gamma, fn, "gamma");
  p.norm.epsilon = eps;
  p.block_rows = block_rows;
  p.scale = parse<icl::attention::normalizer>(normalizer);
  return p;
}

/// A token id: a non-negative Python integer.
std::size_t token_of(nb::handle obj, const char* fn, const char* name) {
  const auto id = nb::cast<std::int64_t>(obj);
  if (id < 0) icl::detail::throw_invalid(fn, name, " = ", id, " is negative");
  return static_cast<std::size_t>(id);
}

/// [count, layers, heads] from one head map per label.
nb::ndarray<nb::numpy, double> stack_maps(std::vector<head_map>&& maps) {
  const std::size_t count = maps.size();
  const std::size_t layers = count ? maps[0].layers : 0, heads = count ? maps[0].heads : 0;
  std::vector<double> values;
  values.reserve(count * layers * heads);
  for (const auto& map : maps) values.insert(values.end(), map.values.begin(), map.values.end());
  return to_numpy(std::move(values), {count, layers, heads});
}

nb::ndarray<nb::numpy, double> logit_minus(array_like U, nb::handle a, nb::handle b, nb::handle final_hidden,
                                           nb::handle E, nb::handle gamma, double eps, std::size_t block_rows) {
  const char* fn = "icl::attention::logit_minus";
  const array_arg u = take_array(U, fn, "U", 2);
  const auto params = lens_params(gamma, eps, block_rows, "fixed_final", fn);
  const auto hidden = take_doubles(final_hidden, fn, "final_hidden");
  if (E.is_none()) {
    const auto direction_a = take_doubles(a, fn, "direction_a");
    const auto direction_b = take_doubles(b, fn, "direction_b");
    return to_numpy(released([&] {
      return visit(u, [&](auto t) {
        return icl::attention::logit_minus(matrix_of<decltype(t)>(u), direction_a, direction_b, hidden, params);
      });
    }));
  }
  const array_arg e = take_array(E, fn, "E", 2);
  const std::size_t token_a = token_of(a, fn, "token_a"), token_b = token_of(b, fn, "token_b");
  return to_numpy(released([&] {
    return visit_same(u, e, fn, [&](auto t) {
      using T = decltype(t);
      return icl::attention::logit_minus(matrix_of<T>(u), matrix_of<T>(e), token_a, token_b, hidden, params);
    });
  }));
}

/// logprob_change with or without final_hidden (None: the overload without it).
icl::attention::logprob_result logprob_change_of(const char* fn, array_like E, nb::handle token_b, array_like x,
                                                 array_like O, nb::handle final_hidden, const std::string& normalizer,
                                                 nb::handle gamma, double eps, std::size_t block_rows) {
  const array_arg e = take_array(E, fn, "E", 2);
  const array_arg o = take_array(O, fn, "O", 2);
  const std::size_t b = token_of(token_b, fn, "token_b");
  const auto residual = take_doubles(x, fn, "x");
  const auto params = lens_params(gamma, eps, block_rows, normalizer, fn);
  const std::optional<std::vector<double>> hidden =
      final_hidden.is_none() ? std::nullopt : std::optional(take_doubles(final_hidden, fn, "final_hidden"));
  return released([&] {
    return visit_same(e, o, fn, [&](auto t) {
      using T = decltype(t);
      if (hidden) return icl::attention::logprob_change(matrix_of<T>(e), b, residual, matrix_of<T>(o), *hidden, params);
      return icl::attention::logprob_change(matrix_of<T>(e), b, residual, matrix_of<T>(o), params);
    });
  });
}

icl::attention::logprob_result logprob_change(array_like E, nb::handle token_b, array_like x, array_like O,
                                              nb::handle final_hidden, const std::string& normalizer, nb::handle gamma,
                                              double eps, std::size_t block_rows) {
  return logprob_change_of("icl::attention::logprob_change", E, token_b, x, O, final_hidden, normalizer, gamma, eps,
                           block_rows);
}

nb::ndarray<nb::numpy, double> logprob_increase(array_like E, nb::handle token_b, array_like x, array_like O,
                                                nb::handle final_hidden, const std::string& normalizer,
                                                nb::handle gamma, double eps, std::size_t block_rows) {
  return to_numpy(logprob_change_of("icl::attention::logprob_increase", E, token_b, x, O, final_hidden, normalizer,
                                    gamma, eps, block_rows)
                      .increase);
}

nb::ndarray<nb::numpy, double> head_logprob_increase(array_like E, array_like label_tokens, array_like X, array_like O,
                                                     nb::handle final_hidden, const std::string& normalizer,
                                                     nb::handle gamma, double eps, std::size_t block_rows) {
  const char* fn = "icl::attention::head_logprob_increase";
  const array_arg e = take_array(E, fn, "E", 2);
  const array_arg x = take_array(X, fn, "X", 2);
  const array_arg o = take_array(O, fn, "O", 3);
  const auto tokens = take_indices(label_tokens, fn, "label_tokens");
  const auto params = lens_params(gamma, eps, block_rows, normalizer, fn);
  const std::vector<double> hidden =
      final_hidden.is_none() ? std::vector<double>{} : take_doubles(final_hidden, fn, "final_hidden");
  return stack_maps(released([&] {
    return visit_all({&e, &x, &o}, fn, [&](auto t) {
      using T = decltype(t);
      return icl::attention::head_logprob_increase(matrix_of<T>(e), tokens, matrix_of<T>(x), tensor_of<T, 3>(o), hidden,
                                                   params);
    });
  }));
}

icl::attention::value_output_params value_params(std::optional<std::size_t> query) {
  icl::attention::value_output_params p;
  p.query = query;
  return p;
}

icl::attention::value_outputs value_output_vectors(array_like A, array_like V, array_like W_O, std::size_t head,
                                                   std::optional<std::size_t> query) {
  const char* fn = "icl::attention::value_output_vectors";
  const array_arg a = take_array(A, fn, "A", 3), v = take_array(V, fn, "V", 3), w = take_array(W_O, fn, "W_O", 2);
  const auto params = value_params(query);
  return released([&] {
    return visit_all({&a, &v, &w}, fn, [&](auto t) {
      using T = decltype(t);
      return icl::attention::value_output_vectors(tensor_of<T, 3>(a), tensor_of<T, 3>(v), matrix_of<T>(w), head, params);
    });
  });
}

nb::ndarray<nb::numpy, double> head_outputs(array_like A, array_like V, array_like W_O,
                                            std::optional<std::size_t> query) {
  const char* fn = "icl::attention::head_outputs";
  const array_arg a = take_array(A, fn, "A", 3), v = take_array(V, fn, "V", 3), w = take_array(W_O, fn, "W_O", 2);
  const auto params = value_params(query);
  const std::size_t heads = a.shape[0], d_model = w.shape[0];
  return to_numpy(released([&] {
                    return visit_all({&a, &v, &w}, fn, [&](auto t) {
                      using T = decltype(t);
                      return icl::attention::head_outputs(tensor_of<T, 3>(a), tensor_of<T, 3>(v), matrix_of<T>(w),
                                                          params);
                    });
                  }),
                  {heads, d_model});
}

icl::attention::label_logit_minus_result label_logit_minus(array_like U, array_like E, nb::handle token_a,
                                                           nb::handle token_b, array_like positions_a,
                                                           array_like positions_b, array_like final_hidden,
                                                           nb::handle gamma, double eps, std::size_t block_rows) {
  const char* fn = "icl::attention::label_logit_minus";
  const array_arg u = take_array(U, fn, "U", 2), e = take_array(E, fn, "E", 2);
  const std::size_t a = token_of(token_a, fn, "token_a"), b = token_of(token_b, fn, "token_b");
  const auto pa = take_indices(positions_a, fn, "positions_a");
  const auto pb = take_indices(positions_b, fn, "positions_b");
  const auto hidden = take_doubles(final_hidden, fn, "final_hidden");
  const auto params = lens_params(gamma, eps, block_rows, "fixed_final", fn);
  return released([&] {
    return visit_same(u, e, fn, [&](auto t) {
      using T = decltype(t);
      return icl::attention::label_logit_minus(matrix_of<T>(u), matrix_of<T>(e), a, b, pa, pb, hidden, params);
    });
  });
}

/// One head map per label from a [labels, layers, heads] array or a sequence of [layers, heads].
std::vector<head_map> label_maps(nb::handle label_scores, const char* fn) {
  std::vector<head_map> maps;
  for (nb::handle scores : label_scores) maps.push_back(head_map_of(scores, fn, "label_scores[k]"));
  return maps;
}

icl::attention::in_context_head_set select_in_context_heads(nb::handle label_scores, std::size_t top_k,
                                                            double fraction) {
  const char* fn = "icl::attention::select_in_context_heads";
  icl::attention::head_selection_params params;
  params.top_k = top_k;
  params.fraction = fraction;
  return icl::attention::select_in_context_heads(label_maps(label_scores, fn), params);
}

using icl::attention::label_score_accumulator;

/// A [positions, d_model] field of value_outputs as a numpy array (a copy).
auto positions_field(std::vector<double> icl::attention::value_outputs::*member) {
  return [member](const icl::attention::value_outputs& r) {
    return to_numpy(std::vector<double>(r.*member), {r.positions, r.d_model});
  };
}

std::string fields(const std::vector<double>& v, std::size_t shown = 3) {
  std::string out = "[";
  for (std::size_t i = 0; i < v.size() && i < shown; ++i) out += (i ? ", " : "") + fmt(v[i]);
  return out + (v.size() > shown ? ", ...]" : "]");
}

constexpr const char* lens_options = R"(gamma : array [d] or None, default None
    The final RMSNorm's weight (None: all ones).
eps : float, default 1e-6
    The final RMSNorm's epsilon (pass the model's own, e.g. 1e-5 for Llama 2).
block_rows : int, default 0
    Rows per block of the products (0: about 4 Mi elements); results do not depend on it.)";

constexpr const char* normalizer_param = R"(normalizer : str, default "fixed_final"
    "fixed_final": every vector scaled by the RMS of final_hidden (the final state before the
    final norm); "per_vector": each vector by its own RMS (final_hidden may then be None).)";

constexpr const char* same_dtype = "\n    The arrays must share one dtype (float16, bfloat16, float32 or float64), read in place.";

}  // namespace

void init_logit_lens(nb::module_& m) {
  using icl::attention::logprob_result;
  nb::class_<logprob_result>(m, "LogprobResult", "Result of logprob_change: base, logprob, increase.")
      .def_ro("base", &logprob_result::base, "log p(b | x).")
      .def_prop_ro("logprob", array_field(&logprob_result::logprob), nb::rv_policy::move,
                   "log p(b | x + o_p), one per row of O (float64 [P]).")
      .def_prop_ro("increase", array_field(&logprob_result::increase), nb::rv_policy::move,
                   "logprob - base (float64 [P]).")
      .def("__repr__", [](const logprob_result& r) {
        return "LogprobResult(base=" + fmt(r.base) + ", increase=" + fields(r.increase) + ")";
      });

  m.def("logit_minus", &logit_minus, nb::arg("U"), nb::arg("a"), nb::arg("b"), nb::arg("final_hidden"),
        nb::kw_only(), nb::arg("E").none() = nb::none(), nb::arg("gamma").none() = nb::none(), nb::arg("eps") = 1e-6,
        nb::arg("block_rows") = 0,
        doc(R"(Logit-minus of each row u_p of U: M_p = (E_a - E_b) . N(u_p), N(u) = gamma * u / sqrt(mean(final_hidden^2)
+ eps) (the fixed scale of the final state).)",
            std::string(R"(U : array [n, d]
    The vectors (e.g. value-output vectors u_p, or every (layer, head, position) output stacked).
a, b : arrays [d] (E None: the directions E_a, E_b) or ints (E given: token ids, rows of E)
final_hidden : array [d]
    The final layer's output at the last position, before the final norm.
E : array [vocabulary, d] or None, default None
    The unembedding; with it a and b are token ids. Same dtype as U.
)") + lens_options,
            "numpy.ndarray, float64 [n]",
            "    an empty U, widths other than d, NaN/Inf, a negative or non-finite eps, a token id >= the\n"
            "    vocabulary, arrays of different dtypes; mean(final_hidden^2) + eps = 0.")
            .c_str());
  const std::string change_params = std::string(R"(E : array [vocabulary, d]
    The whole unembedding.
token_b : int
    The label token b.
x : array [d]
    The residual entering the layer at the last position.
O : array [P, d]
    The vectors added to x (head outputs, or value-output vectors).)") + same_dtype + R"(
final_hidden : array [d] or None, default None
    The final layer's output at the last position before the final norm (needed by fixed_final).
)" + normalizer_param + "\n" + lens_options;
  const std::string change_raises =
      "    empty E or O, widths other than len(x), token_b >= the vocabulary, NaN/Inf, a negative\n"
      "    eps, final_hidden None with fixed_final, arrays of different dtypes; an RMS + eps of 0.";
  m.def("logprob_change", &logprob_change, nb::arg("E"), nb::arg("token_b"), nb::arg("x"), nb::arg("O"),
        nb::arg("final_hidden").none() = nb::none(), nb::kw_only(), nb::arg("normalizer") = "fixed_final",
        nb::arg("gamma").none() = nb::none(), nb::arg("eps") = 1e-6, nb::arg("block_rows") = 0,
        doc("log p(b | x) and, for each row o_p of O, log p(b | x + o_p) and the increase, under\n"
            "softmax(E . N(.)) over the whole vocabulary.",
            change_params, "LogprobResult\n    .base, .logprob, .increase (float64 [P]).", change_raises)
            .c_str());
  m.def("logprob_increase", &logprob_increase, nb::arg("E"), nb::arg("token_b"), nb::arg("x"), nb::arg("O"),
        nb::arg("final_hidden").none() = nb::none(), nb::kw_only(), nb::arg("normalizer") = "fixed_final",
        nb::arg("gamma").none() = nb::none(), nb::arg("eps") = 1e-6, nb::arg("block_rows") = 0,
        doc("The importance log p(b | x + o_p) - log p(b | x) of each row o_p of O (logprob_change's increase).",
            change_params, "numpy.ndarray, float64 [P]", change_raises)
            .c_str());
  m.def("head_logprob_increase", &head_logprob_increase, nb::arg("E"), nb::arg("label_tokens"), nb::arg("X"),
        nb::arg("O"), nb::arg("final_hidden").none() = nb::none(), nb::kw_only(), nb::arg("normalizer") = "fixed_final",
        nb::arg("gamma").none() = nb::none(), nb::arg("eps") = 1e-6, nb::arg("block_rows") = 0,
        doc("The head importance of every (layer, head) of one prompt for each label token t_k:\n"
            "log p(t_k | x_l + o^(l,h)) - log p(t_k | x_l).",
            std::string(R"(E : array [vocabulary, d]
label_tokens : integer array or list of token ids
X : array [layers, d]
    Row l: the residual entering layer l at the last position.
O : array [layers, heads, d]
    The head outputs (e.g. head_outputs of each layer).)") +
                same_dtype + R"(
final_hidden : array [d] or None, default None
)" + normalizer_param + "\n" + lens_options,
            "numpy.ndarray, float64 [labels, layers, heads]",
            "    those of logprob_change, X not [layers, d], an empty label_tokens, a token id >= the vocabulary.")
            .c_str());

  using icl::attention::value_outputs;
  nb::class_<value_outputs>(m, "ValueOutputs",
                            "Result of value_output_vectors: weighted, unweighted, head_output, head, kv_head, query.")
      .def_prop_ro("weighted", positions_field(&value_outputs::weighted), nb::rv_policy::move,
                   "u_p = alpha_{q,p} W_O^(h) v_p (float64 [T, d_model]).")
      .def_prop_ro("unweighted", positions_field(&value_outputs::unweighted), nb::rv_policy::move,
                   "vo_p = W_O^(h) v_p (float64 [T, d_model]).")
      .def_prop_ro("head_output", array_field(&value_outputs::head_output), nb::rv_policy::move,
                   "o = sum_p u_p, the head's output at q (float64 [d_model]).")
      .def_ro("head", &value_outputs::head, "The query head.")
      .def_ro("kv_head", &value_outputs::kv_head, "Its key/value head (grouped-query attention).")
      .def_ro("query", &value_outputs::query, "The query position used.")
      .def("__repr__", [](const value_outputs& r) {
        return "ValueOutputs(head=" + std::to_string(r.head) + ", kv_head=" + std::to_string(r.kv_head) +
               ", query=" + std::to_string(r.query) + ", positions=" + std::to_string(r.positions) +
               ", d_model=" + std::to_string(r.d_model) + ")";
      });
  const std::string value_params_doc = std::string(R"(A : array [heads, T, T]
    One layer's attention (row = query position).
V : array [kv_heads, T, d_head]
    The values per key/value head (heads a multiple of kv_heads).
W_O : array [d_model, heads * d_head]
    The output projection (Hugging Face's o_proj.weight; W_O.T of a [heads * d_head, d_model]
    matrix is read in place).)") + same_dtype;
  const std::string value_raises =
      "    A not [heads, T, T], V's T not A's, W_O's columns not heads * d_head, heads not a multiple\n"
      "    of kv_heads, an empty dimension, query >= T, NaN/Inf in what is read, different dtypes.";
  m.def("value_output_vectors", &value_output_vectors, nb::arg("A"), nb::arg("V"), nb::arg("W_O"), nb::arg("head"),
        nb::arg("query").none() = nb::none(),
        doc("The value-output vectors of one head at query position q: vo_p = W_O^(h) v_p, u_p = alpha_{q,p} vo_p\n"
            "and the head output o = sum_p u_p.",
            value_params_doc + "\nhead : int\n    The query head.\nquery : int or None, default None\n"
                               "    The query position q (None: the last, T - 1).",
            "ValueOutputs", value_raises + "\n    A head index >= heads.")
            .c_str());
  m.def("head_outputs", &head_outputs, nb::arg("A"), nb::arg("V"), nb::arg("W_O"), nb::arg("query").none() = nb::none(),
        doc("Every head's output o^(h) = W_O^(h) sum_p alpha_{q,p} v_p at the query position.",
            value_params_doc + "\nquery : int or None, default None\n    None: the last position T - 1.",
            "numpy.ndarray, float64 [heads, d_model]", value_raises)
            .c_str());

  using icl::attention::label_logit_minus_result;
  nb::class_<label_logit_minus_result>(m, "LabelLogitMinus", "Result of label_logit_minus: at_a, at_b.")
      .def_ro("at_a", &label_logit_minus_result::at_a, "Mean M_p over positions_a.")
      .def_ro("at_b", &label_logit_minus_result::at_b, "Mean M_p over positions_b.")
      .def("__repr__", [](const label_logit_minus_result& r) {
        return "LabelLogitMinus(at_a=" + fmt(r.at_a) + ", at_b=" + fmt(r.at_b) + ")";
      });
  m.def("label_logit_minus", &label_logit_minus, nb::arg("U"), nb::arg("E"), nb::arg("token_a"), nb::arg("token_b"),
        nb::arg("positions_a"), nb::arg("positions_b"), nb::arg("final_hidden"), nb::kw_only(),
        nb::arg("gamma").none() = nb::none(), nb::arg("eps") = 1e-6, nb::arg("block_rows") = 0,
        doc("Logit-minus of one head's value-output vectors at the label positions: the mean M_p over the label\n"
            "positions of token a's demonstrations, and over those of token b's.",
            std::string(R"(U : array [T, d]
    The head's u_p (ValueOutputs.weighted) or vo_p.
E : array [vocabulary, d]
    Same dtype as U.
token_a, token_b : int
positions_a, positions_b : integer arrays or lists of positions (< T), non-empty
final_hidden : array [d]
)") + lens_options,
            "LabelLogitMinus\n    .at_a, .at_b (a label-writing head has at_a > 0 > at_b).",
            "    those of logit_minus, an empty position set, a position >= T.")
            .c_str());

  using icl::attention::in_context_head_set;
  nb::class_<in_context_head_set>(m, "InContextHeads", "Result of select_in_context_heads: per_label, merged.")
      .def_ro("per_label", &in_context_head_set::per_label,
              "One list of (layer, head) per label, highest score first.")
      .def_ro("merged", &in_context_head_set::merged,
              "Their union, each head once, by the best rank a head has in any list, then label order.")
      .def("__repr__", [](const in_context_head_set& r) {
        std::string out = "InContextHeads(per_label=" + std::to_string(r.per_label.size()) + " lists, merged=[";
        for (std::size_t i = 0; i < r.merged.size(); ++i) {
          out += (i ? ", " : "") + std::string("(") + std::to_string(r.merged[i].first) + ", " +
                 std::to_string(r.merged[i].second) + ")";
        }
        return out + "])";
      });
  m.def("select_in_context_heads", &select_in_context_heads, nb::arg("label_scores"), nb::arg("top_k") = 10,
        nb::arg("fraction") = 0.0,
        doc("The in-context heads: the top heads of each label's score map, highest first (ties in (layer, head)\n"
            "order), and their union.",
            R"(label_scores : array [labels, layers, heads] or sequence of arrays [layers, heads]
    One score map per label (e.g. LabelScoreAccumulator.result(), or label_logit_minus per head).
top_k : int, default 10
    Heads kept per label (when fraction is 0).
fraction : float, default 0.0
    When > 0: keep ceil(fraction * layers * heads) heads per label instead.)",
            "InContextHeads\n    .per_label (lists of (layer, head)), .merged.",
            "    no map, maps of different shapes, an empty map, a NaN score, fraction outside [0, 1],\n"
            "    top_k = 0 or > layers * heads.")
            .c_str());

  nb::class_<guarded<label_score_accumulator>>(
      m, "LabelScoreAccumulator",
      "The mean head scores per label over prompts (e.g. add(label, head_logprob_increase(...)[label])\n"
      "for each prompt predicted `label`), ready for select_in_context_heads. One per thread,\n"
      "merge() at the end.\n\nParameters\n----------\nlabels : int\n    The number of labels (>= 1).\n\n"
      "Raises\n------\nError\n    labels = 0.")
      .def(nb::init<std::size_t>(), nb::arg("labels"))
      .def(
          "add",
          [](guarded<label_score_accumulator>& acc, std::size_t label, array_like scores) {
            const auto map = head_map_of(scores, "icl::attention::label_score_accumulator::add", "scores");
            acc.run([&](label_score_accumulator& x) { x.add(label, map); });
          },
          nb::arg("label"), nb::arg("scores"),
          doc("Adds one prompt's head map to `label`.",
              "label : int\n    < labels.\nscores : array [layers, heads]", "None",
              "    a label >= labels, an empty or non-finite map, another shape than earlier maps.")
              .c_str())
      .def(
          "merge",
          [](guarded<label_score_accumulator>& a, guarded<label_score_accumulator>& b) {
            a.run(b, "icl::attention::label_score_accumulator::merge",
                  [](label_score_accumulator& x, label_score_accumulator& y) { x.merge(y); });
          },
          nb::arg("other"),
          doc("Adds another worker's prompts.", "other : LabelScoreAccumulator", "None",
              "    different label counts or shapes, other being self.")
              .c_str())
      .def(
          "result",
          [](guarded<label_score_accumulator>& acc) {
            return stack_maps(acc.run(std::mem_fn(&label_score_accumulator::result)));
          },
          doc("The mean map of each label.", "", "numpy.ndarray, float64 [labels, layers, heads]",
              "    a label that received no prompt.")
              .c_str())
      .def(
          "prompts",
          [](guarded<label_score_accumulator>& acc, std::size_t label) {
            return acc.run([&](label_score_accumulator& x) { return x.prompts(label); });
          },
          nb::arg("label"), "Prompts added to `label` (0 for an index >= labels).")
      .def_prop_ro("labels", guarded_method<label_score_accumulator>(std::mem_fn(&label_score_accumulator::labels)),
                   "The number of labels.")
      .def("__repr__", [](guarded<label_score_accumulator>& acc) {
        return acc.run([](label_score_accumulator& x) {
          std::string out = "LabelScoreAccumulator(labels=" + std::to_string(x.labels()) + ", prompts=[";
          for (std::size_t k = 0; k < x.labels(); ++k) out += (k ? ", " : "") + std::to_string(x.prompts(k));
          return out + "])";
        });
      });
}

}  // namespace icl_py
