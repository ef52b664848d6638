// The collector for engines: a Collector fed one prompt, or one layer of a prompt, at a time (e.g.
// from a PyTorch forward hook), storing the states in the engine's precision, reducing attention
// as it arrives, and running the per-layer suite at the end.
#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include "bindings.hpp"
#include "guarded.hpp"

namespace icl_py {

namespace {

using icl::collect::prompt_collector;
using collector = guarded<prompt_collector>;

/// A method of Collector calling f(prompt_collector&) under the guard.
template <class F>
auto on_collector(F f) {
  return guarded_method<prompt_collector>(f);
}

std::size_t bytes_per(element e) noexcept { return e == element::f64 ? 8 : (e == element::f32 ? 4 : 2); }

/// Entry `i` of the first dimension of `a`, as an array argument of one dimension less (the
/// same buffer).
array_arg slice(const array_arg& a, std::size_t i) {
  array_arg s = a;
  s.data = static_cast<const char*>(a.data) + static_cast<std::ptrdiff_t>(i) * a.strides[0] *
                                                   static_cast<std::ptrdiff_t>(bytes_per(a.type));
  s.shape.erase(s.shape.begin());
  s.strides.erase(s.strides.begin());
  return s;
}

/// One array per layer from an array with a leading layer dimension (`ndim` + 1 dimensions, or
/// `ndim` with one_row, whose per-layer entries are single rows) or from a sequence of arrays.
std::vector<array_arg> per_layer(nb::handle obj, const char* fn, const char* name, std::size_t ndim, bool one_row) {
  std::vector<array_arg> out;
  if (nb::hasattr(obj, "shape")) {
    const array_arg a = take_array(obj, fn, name, one_row ? ndim : ndim + 1, ndim + 1);
    for (std::size_t l = 0; l < a.shape[0]; ++l) out.push_back(slice(a, l));
    return out;
  }
  for (nb::handle layer : obj) out.push_back(take_array(layer, fn, name, one_row ? ndim - 1 : ndim, ndim));
  return out;
}

/// Rows [positions, d] of one layer; a 1-D array is one row.
template <class T>
icl::matrix_view<const T> rows_of(const array_arg& a) {
  if (a.shape.size() == 2) return matrix_of<T>(a);
  return icl::make_matrix_view(static_cast<const T*>(a.data), 1, a.shape[0], 0, a.strides[0]);
}

std::vector<std::size_t> positions_or_empty(nb::handle obj, const char* fn, const char* name) {
  return obj.is_none() ? std::vector<std::size_t>{} : take_indices(obj, fn, name);
}

icl::collect::prompt_info info_of(const char* fn, int label, std::optional<std::size_t> index, nb::handle sources,
                                  nb::handle relevant, nb::handle irrelevant, nb::handle label_positions) {
  icl::collect::prompt_info info;
  info.index = index.value_or(icl::collect::auto_index);
  info.label = label;
  info.attention.sources = positions_or_empty(sources, fn, "sources");
  info.attention.relevant = positions_or_empty(relevant, fn, "relevant");
  info.attention.irrelevant = positions_or_empty(irrelevant, fn, "irrelevant");
  info.attention.label_positions = positions_or_empty(label_positions, fn, "label_positions");
  return info;
}

void add_layer_to(prompt_collector& c, std::size_t layer, const array_arg& rows) {
  visit(rows, [&](auto t) { c.add_layer(layer, rows_of<decltype(t)>(rows)); });
}

void add_attention_to(prompt_collector& c, std::size_t layer, const array_arg& A) {
  visit(A, [&](auto t) { c.add_attention(layer, tensor_of<decltype(t), 3>(A)); });
}

icl::collect::collector_config config_of(std::size_t layers, std::size_t width, std::size_t positions, const std::string& stored,
                          std::optional<std::string> grown_rdm, std::optional<std::size_t> grown_rdm_position,
                          std::size_t reserve_prompts, bool ratio_normalize, bool check_row_sums,
                          double row_sum_tolerance) {
  icl::collect::collector_config config;
  config.layers = layers;
  config.width = width;
  config.positions = positions;
  config.stored = parse<icl::collect::precision>(stored);
  if (grown_rdm) config.grown_rdm = parse<icl::rsa::dissimilarity>(*grown_rdm);
  config.grown_rdm_position = grown_rdm_position.value_or(icl::collect::last_position);
  config.reserve_prompts = reserve_prompts;
  config.ratio_normalize = ratio_normalize;
  config.attention_options.check_row_sums = check_row_sums;
  config.attention_options.row_sum_tolerance = row_sum_tolerance;
  return config;
}

/// add_prompt as the library's (begin_prompt, every layer and its attention, end_prompt; nothing
/// kept when a step throws), with the states and the attention each of their own dtype.
std::size_t add_prompt(collector& self, nb::handle hidden, int label, std::optional<std::size_t> index,
                       nb::handle attention, nb::handle sources, nb::handle relevant, nb::handle irrelevant,
                       nb::handle label_positions) {
  const char* fn = "icl::collect::prompt_collector::add_prompt";
  const auto layers = per_layer(hidden, fn, "hidden", 2, true);
  const auto maps = attention.is_none() ? std::vector<array_arg>{} : per_layer(attention, fn, "attention", 3, false);
  const auto info = info_of(fn, label, index, sources, relevant, irrelevant, label_positions);
  return self.run([&](prompt_collector& c) {
    const std::size_t L = c.config().layers;
    if (layers.size() != L) icl::detail::throw_invalid(fn, "hidden has ", layers.size(), " layers, expected ", L);
    if (!attention.is_none() && maps.size() != L) {
      icl::detail::throw_invalid(fn, "attention has ", maps.size(), " layers, expected ", L);
    }
    const std::size_t i = c.begin_prompt(info);
    try {
      for (std::size_t l = 0; l < L; ++l) add_layer_to(c, l, layers[l]);
      for (std::size_t l = 0; l < maps.size(); ++l) add_attention_to(c, l, maps[l]);
      c.end_prompt();
    } catch (...) {
      c.discard_prompt();
      throw;
    }
    return i;
  });
}

icl::collect::suite_result run_suite(collector& self, std::optional<std::size_t> position, bool rsa,
                                     const std::string& dissimilarity, const std::string& comparison,
                                     nb::handle hypothesis, std::size_t permutations, std::uint64_t seed,
                                     const std::string& alternative, std::size_t bootstrap_samples, double confidence,
                                     bool use_grown_rdm, bool keep_rdms, bool decodability, std::size_t k,
                                     const std::string& decode_dissimilarity, bool probes, double C,
                                     std::size_t max_iter, std::size_t folds, bool separability,
                                     nb::handle label_directions, double test_fraction, std::size_t denoise_rank,
                                     bool effective_dimension,
                                     bool cka, bool cka_debiased, bool attention) {
  const char* fn = "icl::collect::prompt_collector::run_suite";
  icl::collect::suite_params p;
  p.position = position.value_or(icl::collect::last_position);
  p.rsa = rsa;
  p.dissimilarity = parse<icl::rsa::dissimilarity>(dissimilarity);
  p.comparison = parse<icl::rsa::comparison>(comparison);
  if (!hypothesis.is_none()) p.hypothesis = icl::rsa::rdm_from_condensed(take_doubles(hypothesis, fn, "hypothesis"));
  p.permutation.permutations = permutations;
  p.permutation.seed = seed;
  p.permutation.alt = parse<icl::alternative>(alternative);
  signal_hook stop;  // Ctrl-C between the batches of the permutation test and the bootstrap
  p.permutation.should_stop = stop.hook();
  if (bootstrap_samples > 0) {
    icl::rsa::bootstrap_params b;
    b.samples = bootstrap_samples;
    b.confidence = confidence;
    b.seed = seed;
    b.should_stop = stop.hook();
    p.bootstrap = b;
  }
  p.use_grown_rdm = use_grown_rdm;
  p.keep_rdms = keep_rdms;
  p.decodability = decodability;
  p.decode.k = k;
  p.decode.dissimilarity = parse<icl::decode::dissimilarity>(decode_dissimilarity);
  p.probes = probes;
  p.probe.C = C;
  p.probe.max_iter = max_iter;
  p.cv.folds = folds;
  p.cv.seed = seed;
  p.separability = separability;
  p.geometry.probe.C = C;
  p.geometry.test_fraction = test_fraction;
  p.geometry.seed = seed;
  p.geometry.denoise_rank = denoise_rank;
  if (!label_directions.is_none()) {
    const array_arg d = take_array(label_directions, fn, "label_directions", 2);
    p.label_directions = icl::dense_matrix<double>(d.shape[0], d.shape[1]);
    visit(d, [&](auto t) {
      const auto view = matrix_of<decltype(t)>(d);
      for (std::size_t i = 0; i < d.shape[0]; ++i) {
        for (std::size_t j = 0; j < d.shape[1]; ++j) p.label_directions(i, j) = icl::detail::to_double(view(i, j));
      }
    });
  }
  p.effective_dimension = effective_dimension;
  p.cka = cka;
  p.cka_debiased = cka_debiased;
  p.attention = attention;
  return stop.guard([&] { return self.run([&](prompt_collector& c) { return c.run_suite(p); }); });
}

/// The states at one position, [layers, prompts, d], as a numpy array of the stored dtype (a
/// copy: the collector's buffer moves as it grows); bfloat16 as ml_dtypes.bfloat16.
nb::object states(collector& self, std::optional<std::size_t> position) {
  struct copied {
    std::vector<std::uint16_t> half;
    std::vector<float> f32;
    std::vector<double> f64;
    std::size_t layers = 0, prompts = 0, d = 0;
    int kind = 0;  // 0 f16, 1 bf16, 2 f32, 3 f64
  };
  auto out = self.run([&](prompt_collector& c) {
    return c.visit_states(
        [](auto view) {
          using S = typename decltype(view)::value_type;
          copied r;
          r.layers = view.extent(0);
          r.prompts = view.extent(1);
          r.d = view.extent(2);
          const std::size_t n = r.layers * r.prompts * r.d;
          auto fill = [&](auto& dst, auto convert) {
            dst.resize(n);
            std::size_t i = 0;
            for (std::size_t l = 0; l < r.layers; ++l) {
              const auto m = view.matrix(l);
              for (std::size_t p = 0; p < r.prompts; ++p) {
                for (std::size_t j = 0; j < r.d; ++j) dst[i++] = convert(m(p, j));
              }
            }
          };
          if constexpr (std::is_same_v<S, double>) {
            r.kind = 3;
            fill(r.f64, [](S v) { return v; });
          } else if constexpr (std::is_same_v<S, float>) {
            r.kind = 2;
            fill(r.f32, [](S v) { return v; });
          } else {
            r.kind = std::is_same_v<S, icl::bf16> ? 1 : 0;
            fill(r.half, [](S v) {
              std::uint16_t bits = 0;
              std::memcpy(&bits, &v, sizeof bits);
              return bits;
            });
          }
          return r;
        },
        position.value_or(icl::collect::last_position));
  });
  const std::initializer_list<std::size_t> shape = {out.layers, out.prompts, out.d};
  if (out.kind == 3) return nb::cast(to_numpy(std::move(out.f64), shape));
  if (out.kind == 2) return nb::cast(to_numpy(std::move(out.f32), shape));
  nb::object bits = nb::cast(to_numpy(std::move(out.half), shape));
  if (out.kind == 1) return bits.attr("view")(nb::module_::import_("ml_dtypes").attr("bfloat16"));
  return bits.attr("view")("float16");
}

nb::object optional_map(const std::optional<icl::attention::head_map>& map) {
  if (!map) return nb::none();
  return nb::cast(head_map_array(icl::attention::head_map(*map)));
}

template <class C>
auto curve_field(icl::layer_curve C::*member) {
  return [member](const C& r) { return copy_to_numpy((r.*member).values); };
}

std::string curve_text(const icl::layer_curve& c) {
  std::string out = "[";
  for (std::size_t l = 0; l < c.values.size(); ++l) out += (l ? ", " : "") + fmt(c.values[l]);
  return out + "]";
}

/// The [layers, heads] maps and the layer curves of the results, by name.
struct map_entry {
  const char* name;
  std::optional<icl::attention::head_map> icl::collect::attention_summary::*member;
  const char* doc;
};
template <class C>
struct curve_entry {
  const char* name;
  icl::layer_curve C::*member;
  const char* doc;
};

using icl::collect::attention_summary;
using icl::collect::suite_result;

const map_entry maps[] = {
    {"previous_token", &attention_summary::previous_token,
     "Sum of previous_token_score over prompts (float64 [layers, heads]) or None."},
    {"induction", &attention_summary::induction, "Sum of induction_score over prompts (float64 [layers, heads]) or None."},
    {"ratio", &attention_summary::ratio, "Mean of the per-prompt attention ratios (float64 [layers, heads]) or None."},
    {"ratio_of_sums", &attention_summary::ratio_of_sums,
     "Summed numerators over summed denominators (float64 [layers, heads]) or None."}};

const curve_entry<attention_summary> summary_curves[] = {
    {"previous_token_curve", &attention_summary::previous_token_curve,
     "Mean over heads per layer (float64 [layers]; empty without attention)."},
    {"induction_curve", &attention_summary::induction_curve, "Mean over heads per layer."},
    {"ratio_curve", &attention_summary::ratio_curve, "Mean over the defined heads per layer."},
    {"ratio_of_sums_curve", &attention_summary::ratio_of_sums_curve, "Mean over the defined heads per layer."}};

const curve_entry<suite_result> suite_curves[] = {
    {"rsa_curve", &suite_result::rsa_curve, "The RSA statistic per layer (float64 [layers])."},
    {"probe_curve", &suite_result::probe_curve, "Mean fold accuracy per layer."},
    {"separability_curve", &suite_result::separability_curve, "Separability per layer."},
    {"effective_dimension", &suite_result::effective_dimension, "Effective dimension per layer."},
    {"cka_consecutive", &suite_result::cka_consecutive, "linear CKA of layers l and l + 1 (float64 [layers - 1])."}};

/// A dict from (key, value) pairs, in order.
nb::dict dict_of(std::initializer_list<std::pair<const char*, nb::object>> items) {
  nb::dict out;
  for (const auto& item : items) out[item.first] = item.second;
  return out;
}

constexpr const char* hidden_param = R"(hidden : array [layers, positions, d] (or [layers, d] for one position), or a sequence
    of arrays [positions, d] (or [d]), one per layer. float16, bfloat16, float32 or float64
    with any strides, converted straight into the store (other dtypes: a float64 copy first).)";

constexpr const char* info_params = R"(label : int, default 0
    The prompt's class or condition (decodability, probes, separability, the categorical
    hypothesis of the RSA).
index : int or None, default None
    The prompt's index (results are in index order); None: one more than the largest so far.
sources, relevant, irrelevant : integer arrays or lists, or None
    The attention ratio's query rows and keys (the ratio is skipped when any is missing).
label_positions : integer array or list, or None
    The induction score's label positions (skipped when missing).)";

}  // namespace

void init_collect(nb::module_& m) {
  auto summary = nb::class_<attention_summary>(m, "SuiteAttention",
                                "The attention metrics over the collected prompts (each None / empty when no prompt "
                                "gave what it needs).")
      .def("__repr__", [](const attention_summary& r) {
        return "SuiteAttention(previous_token_curve=" + curve_text(r.previous_token_curve) +
               ", induction_curve=" + curve_text(r.induction_curve) + ", ratio_curve=" + curve_text(r.ratio_curve) +
               ")";
      });
  for (const map_entry& e : maps) {
    const auto member = e.member;
    summary.def_prop_ro(e.name, [member](const attention_summary& r) { return optional_map(r.*member); }, e.doc);
  }
  for (const auto& e : summary_curves) summary.def_prop_ro(e.name, curve_field(e.member), nb::rv_policy::move, e.doc);

  auto suite = nb::class_<suite_result>(m, "SuiteResult",
                           "Result of Collector.run_suite: one entry per layer for each family (empty when switched "
                           "off).")
      .def_prop_ro("prompt_indices", array_field(&suite_result::prompt_indices), nb::rv_policy::move,
                   "The prompts, in the order of every row (int [prompts]).")
      .def_prop_ro("labels", array_field(&suite_result::labels), nb::rv_policy::move, "Their labels (int32 [prompts]).")
      .def_ro("position", &suite_result::position, "The stored position the metrics read.")
      .def_ro("rsa", &suite_result::rsa, "PermutationResult per layer (statistic against the hypothesis, p-value).")
      .def_ro("rsa_bootstrap", &suite_result::rsa_bootstrap, "BootstrapResult per layer (with bootstrap_samples > 0).")
      .def_prop_ro(
          "rdms",
          [](const suite_result& r) {
            nb::list out;
            for (const auto& rdm : r.rdms) out.append(copy_to_numpy(rdm.condensed()));
            return out;
          },
          "Each layer's condensed RDM (with keep_rdms=True).")
      .def_ro("used_grown_rdm", &suite_result::used_grown_rdm, "Whether the RDMs came from the grown ones.")
      .def_ro("decodability", &suite_result::decodability, "DecodabilityCurve (as decodability_curve).")
      .def_ro("probes", &suite_result::probes, "CVResult per layer (cross_validate_logistic).")
      .def_ro("geometry", &suite_result::geometry, "AlignmentResult per layer (separability, and alignment with "
                                                   "label_directions).")
      .def_ro("attention", &suite_result::attention, "SuiteAttention.")
      .def("__repr__", [](const suite_result& r) {
        return "SuiteResult(prompts=" + std::to_string(r.prompt_indices.size()) +
               ", rsa_curve=" + curve_text(r.rsa_curve) + ", decodability=" + curve_text(r.decodability.curve) +
               ", probe_curve=" + curve_text(r.probe_curve) + ")";
      });
  for (const auto& e : suite_curves) suite.def_prop_ro(e.name, curve_field(e.member), nb::rv_policy::move, e.doc);

  nb::class_<collector>(
      m, "Collector",
      R"(Stores hidden states prompt by prompt for the per-layer metrics, as an engine produces them
(e.g. from PyTorch forward hooks: begin_prompt, add_layer per layer, end_prompt), in the engine's
precision; reduces attention as it arrives (never stored); optionally grows one RDM per layer;
and runs the per-layer suite at the end (run_suite). Calls on one Collector are serialized;
for concurrent workers give each its own (make_shard) and merge them at the end.

Parameters
----------
layers : int
    Layers L (>= 1): every prompt gives states for layers 0..L-1.
width : int
    Width d of a hidden state (>= 1).
positions : int, default 1
    Positions stored per prompt and layer (e.g. 1: the last token).
stored : str, default "f32"
    Precision of the stored states: "f16", "bf16", "f32" or "f64".
grown_rdm : str or None, default None
    A dissimilarity ("correlation", ...): grow one RDM per layer as prompts arrive.
grown_rdm_position : int or None, default None
    The stored position the grown RDM compares (None: the last).
reserve_prompts : int, default 0
    Prompts to reserve room for up front.
ratio_normalize : bool, default True
    The attention ratio's per-token means.
check_row_sums : bool, default False
row_sum_tolerance : float, default 1e-3
    The attention row checks.

Raises
------
Error
    layers, width or positions of 0, grown_rdm_position not stored, an unknown name.)")
      .def("__init__",
           [](collector* self, std::size_t layers, std::size_t width, std::size_t positions, const std::string& stored,
              std::optional<std::string> grown_rdm, std::optional<std::size_t> grown_rdm_position,
              std::size_t reserve_prompts, bool ratio_normalize, bool check_row_sums, double row_sum_tolerance) {
             new (self) collector(config_of(layers, width, positions, stored, std::move(grown_rdm), grown_rdm_position,
                                            reserve_prompts, ratio_normalize, check_row_sums, row_sum_tolerance));
           },
           nb::arg("layers"), nb::arg("width"), nb::arg("positions") = 1, nb::arg("stored") = "f32",
           nb::arg("grown_rdm").none() = nb::none(), nb::arg("grown_rdm_position").none() = nb::none(),
           nb::arg("reserve_prompts") = 0, nb::arg("ratio_normalize") = true, nb::arg("check_row_sums") = false,
           nb::arg("row_sum_tolerance") = 1e-3)
      .def("add_prompt", &add_prompt, nb::arg("hidden"), nb::arg("label") = 0, nb::arg("index").none() = nb::none(),
           nb::arg("attention").none() = nb::none(), nb::kw_only(), nb::arg("sources").none() = nb::none(),
           nb::arg("relevant").none() = nb::none(), nb::arg("irrelevant").none() = nb::none(),
           nb::arg("label_positions").none() = nb::none(),
           doc("Adds a whole prompt; nothing is kept when it raises.",
               std::string(hidden_param) + R"(
attention : array [layers, heads, T, T], a sequence of [heads, T, T], or None
    The prompt's attention (any of the four dtypes, independent of hidden's), reduced at once.
)" + info_params,
               "int\n    The prompt's index.",
               "    a wrong number of layers or shape, NaN/Inf or a value out of the stored precision's range\n"
               "    (naming prompt, layer, position, feature), a repeated index, an open prompt, the attention\n"
               "    metrics' errors, the grown RDM's (a zero row under cosine, ...).")
               .c_str())
      .def(
          "begin_prompt",
          [](collector& self, int label, std::optional<std::size_t> index, nb::handle sources, nb::handle relevant,
             nb::handle irrelevant, nb::handle label_positions) {
            const auto info = info_of("icl::collect::prompt_collector::begin_prompt", label, index, sources, relevant,
                                      irrelevant, label_positions);
            return self.run([&](prompt_collector& c) { return c.begin_prompt(info); });
          },
          nb::arg("label") = 0, nb::arg("index").none() = nb::none(), nb::kw_only(),
          nb::arg("sources").none() = nb::none(), nb::arg("relevant").none() = nb::none(),
          nb::arg("irrelevant").none() = nb::none(), nb::arg("label_positions").none() = nb::none(),
          doc("Opens a prompt, fed by add_layer (and add_attention) and closed by end_prompt.", info_params,
              "int\n    The prompt's index.", "    a prompt already open, an index already added.")
              .c_str())
      .def_prop_ro("prompt_open", on_collector(std::mem_fn(&prompt_collector::prompt_open)),
                   "Whether a prompt is open.")
      .def(
          "add_layer",
          [](collector& self, std::size_t layer, array_like rows) {
            const array_arg r = take_array(rows, "icl::collect::prompt_collector::add_layer", "rows", 1, 2);
            self.run([&](prompt_collector& c) { add_layer_to(c, layer, r); });
          },
          nb::arg("layer"), nb::arg("rows"),
          doc("Layer `layer` of the open prompt (e.g. output[0][0, positions, :] in a forward hook).",
              "layer : int\nrows : array [positions, d] (or [d] for one position)\n"
              "    Any of the four dtypes and any strides, converted straight into the store.",
              "None",
              "    no open prompt, a wrong layer or shape, a layer given twice, NaN/Inf or a value out of the\n"
              "    stored precision's range (the prompt stays open, that layer not added).")
              .c_str())
      .def(
          "add_attention",
          [](collector& self, std::size_t layer, array_like A) {
            const array_arg a = take_array(A, "icl::collect::prompt_collector::add_attention", "attention", 3);
            self.run([&](prompt_collector& c) { add_attention_to(c, layer, a); });
          },
          nb::arg("layer"), nb::arg("attention"),
          doc("Layer `layer` of the open prompt's attention, reduced at once (previous-token score always,\n"
              "induction with label positions, the ratio with sources, relevant and irrelevant keys).",
              "layer : int\nattention : array [heads, T, T]\n    Row q = query position; read in place.", "None",
              "    those of the attention accumulators, a heads count other than the earlier prompts'.")
              .c_str())
      .def("end_prompt", on_collector(std::mem_fn(&prompt_collector::end_prompt)),
          doc("Commits the open prompt: every layer's states, and attention for every layer or none.", "", "None",
              "    no open prompt, a missing layer, the grown RDM's errors (the prompt is then discarded).")
              .c_str())
      .def("discard_prompt", on_collector(std::mem_fn(&prompt_collector::discard_prompt)),
           "Drops the open prompt (nothing when none is open).")
      .def(
          "make_shard", [](collector& self) { return new collector(self.run(std::mem_fn(&prompt_collector::make_shard))); },
          "An empty Collector with the same configuration (one per worker, merged at the end).")
      .def(
          "merge",
          [](collector& self, collector& other) {
            self.run(other, "icl::collect::prompt_collector::merge",
                     [](prompt_collector& a, prompt_collector& b) { a.merge(std::move(b)); });
          },
          nb::arg("other"),
          doc("Moves the prompts of `other` into this collector (other is left empty); with a grown RDM the\n"
              "pairs between the two are computed here.",
              "other : Collector\n    Same configuration, no open prompt, no index in common.", "None",
              "    another configuration, an open prompt, an index in common, other being self.")
              .c_str())
      .def_prop_ro(
          "prompt_indices",
          [](collector& self) {
            return to_numpy(self.run([](prompt_collector& c) { return std::vector<std::size_t>(c.prompt_indices()); }));
          },
          nb::rv_policy::move, "Prompt indices in stored order (index order once sorted).")
      .def_prop_ro(
          "labels",
          [](collector& self) {
            return to_numpy(self.run([](prompt_collector& c) { return std::vector<int>(c.labels()); }));
          },
          nb::rv_policy::move, "Labels in stored order.")
      .def_prop_ro("heads", on_collector(std::mem_fn(&prompt_collector::heads)),
                   "Attention heads (0 until a prompt with attention was added).")
      .def_prop_ro("prompts", on_collector(std::mem_fn(&prompt_collector::prompts)), "Prompts stored.")
      .def("__len__", on_collector(std::mem_fn(&prompt_collector::prompts)))
      .def_prop_ro(
          "config",
          [](collector& self) {
            const auto c = self.run([](prompt_collector& x) { return x.config(); });
            const bool last = c.grown_rdm_position == icl::collect::last_position;
            return dict_of({{"layers", nb::cast(c.layers)},
                            {"width", nb::cast(c.width)},
                            {"positions", nb::cast(c.positions)},
                            {"stored", nb::cast(std::string(icl::to_string(c.stored)))},
                            {"grown_rdm", c.grown_rdm ? nb::cast(std::string(icl::to_string(*c.grown_rdm))) : nb::none()},
                            {"grown_rdm_position", last ? nb::none() : nb::cast(c.grown_rdm_position)},
                            {"reserve_prompts", nb::cast(c.reserve_prompts)},
                            {"ratio_normalize", nb::cast(c.ratio_normalize)},
                            {"check_row_sums", nb::cast(c.attention_options.check_row_sums)},
                            {"row_sum_tolerance", nb::cast(c.attention_options.row_sum_tolerance)}});
          },
          "The configuration, as the constructor's keywords (a dict).")
      .def(
          "memory",
          [](collector& self) {
            const auto u = self.run([](prompt_collector& c) { return c.memory(); });
            return dict_of({{"states", nb::cast(u.states)}, {"grown_rdm", nb::cast(u.grown_rdm)},
                            {"attention", nb::cast(u.attention)}, {"prompts", nb::cast(u.prompts)},
                            {"total", nb::cast(u.total)}});
          },
          "Bytes held, by part: {'states', 'grown_rdm', 'attention', 'prompts', 'total'}.")
      .def("sort", on_collector(std::mem_fn(&prompt_collector::sort)),
           "Puts the stored prompts in index order (run_suite does it first). Raises Error with an open prompt.")
      .def_prop_ro("sorted", on_collector(std::mem_fn(&prompt_collector::sorted)),
                   "Whether the stored order is the index order.")
      .def("states", &states, nb::arg("position").none() = nb::none(),
           doc("The stored states at one position, one row per prompt in index order (a copy).",
               "position : int or None, default None\n    A stored position (None: the last).",
               "numpy.ndarray [layers, prompts, d] of the stored dtype (float16, ml_dtypes.bfloat16,\n"
               "    float32 or float64)",
               "    a position not stored, prompts not sorted (call sort()).")
               .c_str())
      .def(
          "grown_rdm",
          [](collector& self, std::size_t layer) {
            auto r = self.run([&](prompt_collector& c) { return c.grown_rdm(layer); });
            return to_numpy(std::move(r.condensed()));
          },
          nb::arg("layer"),
          doc("The grown RDM of `layer` over the prompts in index order.", "layer : int",
              "numpy.ndarray, float64 [n(n-1)/2] (condensed, scipy order)",
              "    no grown RDM, fewer than 2 prompts, prompts not sorted, a layer >= layers.")
              .c_str())
      .def("run_suite", &run_suite, nb::kw_only(), nb::arg("position").none() = nb::none(), nb::arg("rsa") = true,
           nb::arg("dissimilarity") = "correlation", nb::arg("comparison") = "spearman",
           nb::arg("hypothesis").none() = nb::none(), nb::arg("permutations") = 10000, nb::arg("seed") = 0,
           nb::arg("alternative") = "two_sided", nb::arg("bootstrap_samples") = 0, nb::arg("confidence") = 0.95,
           nb::arg("use_grown_rdm") = true, nb::arg("keep_rdms") = false, nb::arg("decodability") = true,
           nb::arg("k") = 10, nb::arg("decode_dissimilarity") = "euclidean", nb::arg("probes") = true,
           nb::arg("C") = 1.0, nb::arg("max_iter") = 100, nb::arg("folds") = 5, nb::arg("separability") = true,
           nb::arg("label_directions").none() = nb::none(), nb::arg("test_fraction") = 0.5, nb::arg("denoise_rank") = 10,
           nb::arg("effective_dimension") = true, nb::arg("cka") = true, nb::arg("cka_debiased") = false,
           nb::arg("attention") = true,
           doc(R"(Sorts the prompts, then runs every family switched on, layer by layer, on the states at
`position` (one row per prompt, index order), with the library's batch functions. Ctrl-C
interrupts the permutation test and the bootstrap between their batches.)",
               R"(position : int or None, default None
    The stored position the metrics read (None: the last).
rsa : bool, default True
    compute_rdm per layer (or the grown RDM) against the hypothesis, with permutation_test.
dissimilarity : str, default "correlation"
comparison : str, default "spearman"
hypothesis : condensed RDM or None, default None
    None: categorical_rdm of the labels.
permutations : int, default 10000
seed : int, default 0
    Seed of the permutations, the bootstrap, the probe folds and the separability split.
alternative : str, default "two_sided"
bootstrap_samples : int, default 0
    > 0: a bootstrap interval per layer (bootstrap_compare) at `confidence` (default 0.95).
use_grown_rdm : bool, default True
    Use the grown RDM when it matches dissimilarity and position (False: compute_rdm's exact result).
keep_rdms : bool, default False
decodability : bool, default True
    decodability_curve with k (default 10) neighbours and decode_dissimilarity ("euclidean").
probes : bool, default True
    cross_validate_logistic per layer with C (default 1.0), max_iter (100), folds (5).
separability : bool, default True
    separability per layer (probe C, test_fraction 0.5), and separability_alignment with
    label_directions ([classes, d], copied into the parameters as float64) and denoise_rank
    (default 10).
effective_dimension, cka : bool, default True
    effective_dimension per layer; linear CKA of consecutive layers (cka_debiased: False).
attention : bool, default True
    The collected attention metrics.)",
               "SuiteResult",
               "    no prompt, an open prompt, and what the batch functions raise (e.g. decodability's\n"
               "    k >= n): switch a family off when the data do not allow it.")
               .c_str())
      .def("__repr__", [](collector& self) {
        return self.run([](prompt_collector& c) {
          const auto& cfg = c.config();
          return "Collector(layers=" + std::to_string(cfg.layers) + ", width=" + std::to_string(cfg.width) +
                 ", positions=" + std::to_string(cfg.positions) + ", stored='" + std::string(icl::to_string(cfg.stored)) +
                 "', prompts=" + std::to_string(c.prompts()) + ")";
        });
      });
}

}  // namespace icl_py
