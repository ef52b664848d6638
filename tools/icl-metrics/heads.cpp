// In-context heads of [P4] (Yu & Ananiadou, arXiv 2402.02872): value-output vectors, the
// log-probability increase of every (layer, head) at the fixed final-layer scale, logit-minus at
// the label positions and the selection of the in-context heads; the `heads`, `value-outputs`,
// `logit-minus` and `logprob-increase` subcommands, and the report's section of the in-context heads.
#include <algorithm>
#include <array>
#include <memory>
#include <optional>
#include <sstream>
#include <utility>

#include "command.hpp"
#include "heads.hpp"
#include "html.hpp"
#include "icl/attention/in_context_heads.hpp"
#include "icl/attention/logit_lens.hpp"
#include "icl/attention/value_output.hpp"
#include "npy_output.hpp"
#include "report.hpp"

namespace icl_tool {

namespace {

using icl::attention::head_map;

/// A floating tensor read whole as doubles (any dtype and layout), with its shape and reference.
struct dense_tensor {
  std::string name;
  std::vector<std::size_t> shape;
  std::vector<double> values;  ///< the elements in C order, unless `stored` holds them
  icl::io::array stored;       ///< an f64 C-order array viewed in place (read_dense's `in_place`), else invalid

  /// The elements in C order.
  const double* data() const { return stored.valid() ? static_cast<const double*>(stored.data()) : values.data(); }
  /// The number of elements.
  std::size_t size() const { return stored.valid() ? stored.size() : values.size(); }
  std::size_t rank() const { return shape.size(); }
  /// Elements after the first dimension (one prompt of a batched tensor).
  std::size_t inner() const {
    std::size_t n = 1;
    for (std::size_t k = 1; k < shape.size(); ++k) n *= shape[k];
    return n;
  }
};

/// Runs f(); with a manifest key, an input error escaping it is prefixed with the key.
template <class F>
decltype(auto) keyed(const std::string& key, F&& f) {
  return key.empty() ? f() : with_context(key, f);
}

/// True when `a` holds f64 elements in C order (strides of extents above 1 as in a C-order array).
bool c_order_doubles(const icl::io::array& a) {
  if (a.type() != icl::io::dtype::f64) return false;
  std::ptrdiff_t step = 1;
  for (std::size_t k = a.rank(); k-- > 0;) {
    if (a.shape()[k] > 1 && a.strides()[k] != step) return false;
    step *= static_cast<std::ptrdiff_t>(a.shape()[k]);
  }
  return true;
}

/// `a` (read from `name`) checked as a floating tensor of rank `rank` or, when `or_batched`,
/// rank + 1 (a leading prompts dimension). `in_place`: an f64 C-order array is viewed where it is
/// (the file's mapping) instead of copied.
dense_tensor to_dense(icl::io::array a, std::size_t rank, bool or_batched, const std::string& what, std::string name,
                      bool in_place = false) {
  require_float(a, or_batched && a.rank() == rank + 1 ? rank + 1 : rank, what);
  dense_tensor out{std::move(name), a.shape(), {}, {}};
  if (in_place && c_order_doubles(a)) {
    out.stored = std::move(a);
  } else {
    out.values = a.doubles();
  }
  return out;
}

/// Reads `in` as to_dense does, its read errors prefixed with its key (if any).
dense_tensor read_dense(const tensor_input& in, std::size_t rank, bool or_batched, const std::string& what,
                        const std::string& base_dir = "", bool in_place = false) {
  return keyed(in.key, [&] {
    return to_dense(load_tensor(in.reference, base_dir), rank, or_batched, what, in.name(), in_place);
  });
}

/// Prompt p of a tensor of rank `rank` (the same for every prompt) or rank + 1 (batched): its
/// first element.
const double* prompt_data(const dense_tensor& t, std::size_t rank, std::size_t p) {
  return t.data() + (t.rank() == rank ? 0 : p * t.inner());
}

std::string count_mismatch(const std::string& what, std::size_t got, const dense_tensor& t, std::size_t want,
                           const std::string& other) {
  return t.name + ": " + what + " " + std::to_string(got) + " (shape " + shape_string(t.shape) + ") but " + other +
         " has " + std::to_string(want);
}

/// Label token ids, checked non-negative.
std::vector<std::size_t> token_ids(const std::vector<int>& ids) {
  std::vector<std::size_t> out;
  for (const int t : ids) {
    if (t < 0) throw input_error("token id " + std::to_string(t) + " is negative");
    out.push_back(static_cast<std::size_t>(t));
  }
  return out;
}

std::vector<std::size_t> read_token_ids(const std::string& spec, const std::string& what) {
  const std::vector<int> ids = read_int_list(spec, "", what);
  return with_context(what, [&] { return token_ids(ids); });
}

/// The logit lens's inputs shared by the subcommands: the unembedding, the final norm (γ, ε), the
/// normalizer and the final layer's last-position output before the final norm.
struct lens_inputs {
  std::string unembedding, norm_gain, final_hidden;
  icl::attention::logit_lens_params params;

  /// --unembedding, --final-hidden, --norm-gain, --norm-eps, --block-rows and, with
  /// `normalizer`, --normalizer.
  void add(CLI::App* sub, option_set& bound, bool normalizer) {
    sub->add_option("--unembedding", unembedding, "Unembedding W_U [V, d]")->required();
    sub->add_option("--final-hidden", final_hidden,
                    "The final layer's output at the last position before the final norm [d] (batched: [prompts, "
                    "d]): the fixed scale sigma_f^2 = mean(h^2)");
    sub->add_option("--norm-gain", norm_gain, "Gain (gamma) of the final RMSNorm [d]; default: ones");
    bound.add("--norm-eps", "norm_eps", params.norm.epsilon, "Epsilon of the final RMSNorm")
        ->check(CLI::NonNegativeNumber);
    if (normalizer) {
      bound.add("--normalizer", "normalizer", params.scale,
                "fixed_final: every vector at the scale of --final-hidden ([P4]); per_vector: each vector's own RMS");
    }
    bound.add("--block-rows", "block_rows", params.block_rows,
              "Rows per block of the projection (0: automatic; results do not depend on it)");
  }

  /// Loads the gain; requires --final-hidden when the fixed scale is used.
  void prepare(bool fixed_scale) {
    if (!norm_gain.empty()) params.norm.gamma = read_double_list(norm_gain, "", "norm gain");
    if (fixed_scale && final_hidden.empty()) {
      throw usage_error("--final-hidden is required (the fixed scale of --normalizer fixed_final)");
    }
  }

  json inputs() const {
    json out{{"unembedding", unembedding}};
    if (!final_hidden.empty()) out["final_hidden"] = final_hidden;
    if (!norm_gain.empty()) out["norm_gain"] = norm_gain;
    return out;
  }
};

/// --positions-a and --positions-b (each needs the other): the label positions of the two labels'
/// demonstrations, where logit-minus is averaged.
void add_label_positions(CLI::App* sub, std::string& a, std::string& b, const std::string& shape) {
  auto* pa = sub->add_option("--positions-a", a, "Label positions of the first label's demonstrations " + shape +
                                                     ": their mean logit-minus");
  auto* pb = sub->add_option("--positions-b", b, "Label positions of the second label's demonstrations " + shape);
  pa->needs(pb);
  pb->needs(pa);
}

/// (layer, head) lists of a selection, with the score of each head in its label's map.
json head_list(const std::vector<std::pair<std::size_t, std::size_t>>& heads, const head_map* scores) {
  json out = json::array();
  for (const auto& [layer, head] : heads) {
    json entry{{"layer", layer}, {"head", head}};
    if (scores != nullptr) entry["score"] = number((*scores)(layer, head));
    out.push_back(entry);
  }
  return out;
}

json selection_json(const icl::attention::in_context_head_set& set, const std::vector<head_map>& maps) {
  json per_label = json::array();
  for (std::size_t k = 0; k < set.per_label.size(); ++k) per_label.push_back(head_list(set.per_label[k], &maps[k]));
  return json{{"per_label", per_label}, {"merged", head_list(set.merged, nullptr)}};
}

json grid(const head_map& m) {
  json out = json::array();
  for (std::size_t l = 0; l < m.layers; ++l) {
    json row = json::array();
    for (std::size_t h = 0; h < m.heads; ++h) row.push_back(number(m(l, h)));
    out.push_back(row);
  }
  return out;
}

/// The per-layer tensors of one prompt: attention [L, H, T, T], values [L, KV, T, dh] and W_O
/// [L, d, H·dh] (shared by the prompts), batched along a leading prompts dimension or not.
struct value_inputs {
  tensor_input attention_ref, values_ref, w_o_ref;
  std::optional<std::size_t> query;
  dense_tensor attention, values, w_o;
  bool batched = false;
  std::size_t prompts = 1, layers = 0, heads = 0, kv_heads = 0, positions = 0, d_model = 0;

  void add(CLI::App* sub) {
    sub->add_option("--attention", attention_ref.reference,
                    "Attention weights [layers, heads, T, T] (row = query position) or [prompts, layers, heads, T, T]")
        ->required();
    sub->add_option("--values", values_ref.reference,
                    "Values per key/value head [layers, kv_heads, T, d_head] (batched: [prompts, ...])")
        ->required();
    sub->add_option("--w-o", w_o_ref.reference,
                    "Output projections W_O [layers, d_model, heads * d_head] (Hugging Face o_proj.weight per layer)")
        ->required();
    sub->add_option_function<std::size_t>(
        "--query", [this](const std::size_t& q) { query = q; },
        "Query position whose attention row weights the values; default: the last position");
  }

  void load(const std::string& base_dir = "") {
    attention = read_dense(attention_ref, 4, true, "attention weights [layers, heads, T, T]", base_dir, true);
    batched = attention.rank() == 5;
    values = read_dense(values_ref, batched ? 5 : 4, false, "values [(prompts,) layers, kv_heads, T, d_head]",
                        base_dir, true);
    w_o = read_dense(w_o_ref, 3, false, "output projections W_O [layers, d_model, heads * d_head]", base_dir, true);
    const std::size_t b = batched ? 1 : 0;
    prompts = batched ? attention.shape[0] : 1;
    layers = attention.shape[b];
    heads = attention.shape[b + 1];
    positions = attention.shape[b + 2];
    kv_heads = values.shape[b + 1];
    d_model = w_o.shape[1];
    if (batched && values.shape[0] != prompts) {
      throw input_error(count_mismatch("holds prompts", values.shape[0], values, prompts, attention.name));
    }
    if (values.shape[b] != layers) {
      throw input_error(count_mismatch("holds layers", values.shape[b], values, layers, attention.name));
    }
    if (w_o.shape[0] != layers) {
      throw input_error(count_mismatch("holds layers", w_o.shape[0], w_o, layers, attention.name));
    }
  }

  json inputs() const {
    return json{{"attention", attention_ref.reference}, {"values", values_ref.reference}, {"w_o", w_o_ref.reference}};
  }

  std::string context(std::size_t prompt, std::size_t layer) const {
    std::string c = attention.name + ", " + values.name + ", " + w_o.name + " (";
    if (batched) c += "prompt " + std::to_string(prompt) + ", ";
    return c + "layer " + std::to_string(layer) + ")";
  }

  /// The library's views of one layer of one prompt.
  struct layer_views {
    icl::tensor_view<const double, 3> A, V;
    icl::matrix_view<const double> W;
  };
  layer_views layer(std::size_t prompt, std::size_t l) const {
    const auto& as = attention.shape;
    const auto& vs = values.shape;
    const std::size_t b = batched ? 1 : 0;
    const std::size_t a_layer = as[b + 1] * as[b + 2] * as[b + 3], v_layer = vs[b + 1] * vs[b + 2] * vs[b + 3];
    const double* a = attention.data() + (batched ? prompt * attention.inner() : 0) + l * a_layer;
    const double* v = values.data() + (batched ? prompt * values.inner() : 0) + l * v_layer;
    return {icl::make_tensor_view(a, std::array<std::size_t, 3>{as[b + 1], as[b + 2], as[b + 3]}),
            icl::make_tensor_view(v, std::array<std::size_t, 3>{vs[b + 1], vs[b + 2], vs[b + 3]}),
            icl::make_matrix_view(w_o.data() + l * w_o.inner(), w_o.shape[1], w_o.shape[2])};
  }

  icl::attention::value_outputs vectors(std::size_t prompt, std::size_t l, std::size_t head) const {
    const layer_views v = layer(prompt, l);
    return with_context(context(prompt, l), [&] {
      return icl::attention::value_output_vectors(v.A, v.V, v.W, head, icl::attention::value_output_params{query});
    });
  }
};

// ---- heads -------------------------------------------------------------------------------------

bool in_list(const json& heads, std::size_t l, std::size_t h) {
  for (const auto& entry : heads) {
    if (entry["layer"] == l && entry["head"] == h) return true;
  }
  return false;
}

/// The label indices of --predicted, checked against the labels and the prompts.
void check_predicted(const in_context_request& r, std::size_t prompts) {
  if (r.predicted.empty()) return;
  if (r.predicted.size() != prompts) {
    throw input_error(r.predicted_name + ": has " + std::to_string(r.predicted.size()) + " entries but " +
                      r.attention.name() + " holds " + std::to_string(prompts) + " prompts");
  }
  for (const int k : r.predicted) {
    if (k < 0 || static_cast<std::size_t>(k) >= r.label_tokens.size()) {
      throw input_error(r.predicted_name + ": label index " + std::to_string(k) + " is not below the " +
                        std::to_string(r.label_tokens.size()) + " labels of " + r.tokens_name);
    }
  }
}

void check_positions(const in_context_request& r, std::size_t prompts) {
  if (!r.positions_a) return;
  if (r.label_tokens.size() != 2) {
    throw input_error(r.tokens_name + ": logit-minus (" + r.positions_name + ") needs exactly 2 labels, got " +
                      std::to_string(r.label_tokens.size()));
  }
  for (const auto* p : {&*r.positions_a, &*r.positions_b}) {
    if (!p->shared && p->lists.size() != prompts) {
      throw input_error(r.positions_name + ": has " + std::to_string(p->lists.size()) + " rows but " +
                        r.attention.name() + " holds " + std::to_string(prompts) + " prompts");
    }
  }
}

class heads_command : public metric_command {
 public:
  explicit heads_command(CLI::App& app)
      : metric_command(app, "heads",
                       "In-context heads ([P4]): log-probability increase and logit-minus per (layer, head), the "
                       "top heads of each label and their merge") {
    values_.add(sub_);
    sub_->add_option("--residual", request_.residual.reference,
                     "Residual stream entering each layer at the last position [layers, d] (batched: [prompts, "
                     "layers, d])")
        ->required();
    lens_.add(sub_, bound_, true);
    sub_->add_option("--label-token-ids", tokens_, "Token id of each label (e.g. [foo, bar])")->required();
    sub_->add_option("--predicted", predicted_,
                     "Index (into --label-token-ids) of the label each prompt predicts: label k's scores are averaged "
                     "over the prompts predicting k; default: over every prompt");
    add_label_positions(sub_, positions_a_, positions_b_, "[k] or [prompts, k]");
    bound_.add("--top-k", "top_k", request_.selection.top_k, "Heads kept per label")->check(CLI::PositiveNumber);
    bound_.add("--fraction", "fraction", request_.selection.fraction,
               "When > 0: keep ceil(fraction * layers * heads) heads per label instead of --top-k")
        ->check(CLI::Range(0.0, 1.0));
    sub_->add_option("--value-outputs", request_.save_u,
                     "Write the value-output vectors u_p [(prompts,) layers, heads, T, d] to this .npy file (f8)");
    sub_->add_option("--unweighted-value-outputs", request_.save_vo,
                     "Write the unweighted vo_p [(prompts,) layers, heads, T, d] to this .npy file (f8)");
    add_output_options();
  }

  int run() override {
    lens_.prepare(lens_.params.scale == icl::attention::normalizer::fixed_final || !positions_a_.empty());
    in_context_request& r = request_;
    r.attention = values_.attention_ref;
    r.values = values_.values_ref;
    r.w_o = values_.w_o_ref;
    r.query = values_.query;
    r.final_hidden.reference = lens_.final_hidden;
    r.unembedding.reference = lens_.unembedding;
    r.lens = lens_.params;
    r.label_tokens = read_token_ids(tokens_, "--label-token-ids");
    if (!predicted_.empty()) r.predicted = read_int_list(predicted_, "", "--predicted");
    if (!positions_a_.empty()) {
      r.positions_a = read_positions(positions_a_, "", "--positions-a");
      r.positions_b = read_positions(positions_b_, "", "--positions-b");
    }
    progress prog(common_.quiet);
    const json result = in_context_heads(r, prog);
    json inputs = values_.inputs();
    inputs["residual"] = r.residual.reference;
    inputs.update(lens_.inputs());
    inputs["label_token_ids"] = tokens_;
    for (const auto& [key, value] : std::vector<std::pair<std::string, std::string>>{
             {"predicted", predicted_}, {"positions_a", positions_a_}, {"positions_b", positions_b_}}) {
      if (!value.empty()) inputs[key] = value;
    }
    json params = bound_.params();
    params["query"] = values_.query ? json(*values_.query) : json(nullptr);
    return write("heads", inputs, params, result, in_context_rows(result));
  }

 private:
  value_inputs values_;
  lens_inputs lens_;
  in_context_request request_;
  std::string tokens_, predicted_, positions_a_, positions_b_;
};

}  // namespace

json in_context_heads(const in_context_request& r, progress& prog) {
  value_inputs values_;
  values_.attention_ref = r.attention;
  values_.values_ref = r.values;
  values_.w_o_ref = r.w_o;
  values_.query = r.query;
  values_.load(r.base_dir);
  const std::string& attention_ = values_.attention.name;
  const dense_tensor residual =
      read_dense(r.residual, 2, values_.batched, "residual stream [layers, d]", r.base_dir);
  const std::string& residual_ = residual.name;
  const dense_tensor final_hidden =
      r.final_hidden.reference.empty()
          ? dense_tensor{}
          : read_dense(r.final_hidden, 1, values_.batched, "final hidden state [d]", r.base_dir);
  const auto& tokens = r.label_tokens;
  if (tokens.empty()) throw input_error(r.tokens_name + ": give at least one label token");
  const std::size_t prompts = values_.prompts, layers = values_.layers, heads = values_.heads;
  if (residual.rank() == 3 && residual.shape[0] != prompts) {
    throw input_error(count_mismatch("holds prompts", residual.shape[0], residual, prompts, attention_));
  }
  if (final_hidden.rank() == 2 && final_hidden.shape[0] != prompts) {
    throw input_error(count_mismatch("holds prompts", final_hidden.shape[0], final_hidden, prompts, attention_));
  }
  check_predicted(r, prompts);
  check_positions(r, prompts);
  const bool minus = r.positions_a.has_value();
  const bool per_position = minus || !r.save_u.empty() || !r.save_vo.empty();
  if (residual.shape[residual.rank() - 2] != layers) {
    throw input_error(
        count_mismatch("holds layers", residual.shape[residual.rank() - 2], residual, layers, attention_));
  }
  const std::size_t d = residual.shape.back();
  if (values_.d_model != d) throw input_error(count_mismatch("has d_model", values_.d_model, values_.w_o, d, residual_));

  const icl::io::array E = keyed(r.unembedding.key, [&] {
    return load_float_tensor(r.unembedding.reference, r.base_dir, 2, "unembedding [V, d]");
  });
  const std::string unembedding_ = r.unembedding.name();
  icl::attention::label_score_accumulator logprob(tokens.size());
  icl::attention::label_score_accumulator logit_minus(2);
  head_map at_a{layers, heads, std::vector<double>(layers * heads, 0.0), {}, 0};
  head_map at_b = at_a;
  std::vector<double> saved_u, saved_vo;
  const auto prompt_name = [&](std::size_t p) {
    return values_.batched ? "prompt " + std::to_string(p) + ", " : std::string();
  };
  prog.begin("in-context heads", "prompt", prompts);
  icl_tool::visit_float(E, [&](auto tag) {
    using TE = decltype(tag);
    const auto unembedding = E.template matrix<TE>();
    for (std::size_t p = 0; p < prompts; ++p) {
      std::vector<double> outputs(layers * heads * d, 0.0);  // o^{(l,h)}, [L, H, d]
      head_map a_map = at_a, b_map = at_a;
      std::vector<double> h_final;
      if (!final_hidden.values.empty()) {
        const double* const h = prompt_data(final_hidden, 1, p);
        h_final.assign(h, h + final_hidden.shape.back());
      }
      for (std::size_t l = 0; l < layers; ++l) {
        if (!per_position) {
          const auto v = values_.layer(p, l);
          const auto o = with_context(values_.context(p, l), [&] {
            return icl::attention::head_outputs(v.A, v.V, v.W, icl::attention::value_output_params{values_.query});
          });
          std::copy(o.begin(), o.end(), outputs.begin() + static_cast<std::ptrdiff_t>(l * heads * d));
          continue;
        }
        for (std::size_t h = 0; h < heads; ++h) {
          const auto vo = values_.vectors(p, l, h);
          std::copy(vo.head_output.begin(), vo.head_output.end(),
                    outputs.begin() + static_cast<std::ptrdiff_t>((l * heads + h) * d));
          saved_u.insert(saved_u.end(), r.save_u.empty() ? vo.weighted.end() : vo.weighted.begin(), vo.weighted.end());
          saved_vo.insert(saved_vo.end(), r.save_vo.empty() ? vo.unweighted.end() : vo.unweighted.begin(),
                          vo.unweighted.end());
          if (!minus) continue;
          const std::string where = unembedding_ + ", " + r.positions_name + " (" + prompt_name(p) + "layer " +
                                    std::to_string(l) + ", head " + std::to_string(h) + ")";
          const auto m = with_context(where, [&] {
            return icl::attention::label_logit_minus(icl::make_matrix_view(vo.weighted.data(), vo.positions, d),
                                                     unembedding, tokens[0], tokens[1], (*r.positions_a)[p],
                                                     (*r.positions_b)[p], h_final, r.lens);
          });
          a_map.values[l * heads + h] = m.at_a;
          b_map.values[l * heads + h] = m.at_b;
        }
      }
      const double* const x = prompt_data(residual, 2, p);
      const std::string where = unembedding_ + ", " + r.tokens_name + ", " + residual_ +
                                (values_.batched ? " (prompt " + std::to_string(p) + ")" : std::string());
      const auto imp = with_context(where, [&] {
        return icl::attention::head_logprob_increase(
            unembedding, tokens, icl::make_matrix_view(x, layers, d),
            icl::make_tensor_view(static_cast<const double*>(outputs.data()),
                                  std::array<std::size_t, 3>{layers, heads, d}),
            h_final, r.lens);
      });
      if (r.predicted.empty()) {
        for (std::size_t k = 0; k < tokens.size(); ++k) logprob.add(k, imp[k]);
      } else {
        const auto k = static_cast<std::size_t>(r.predicted[p]);
        logprob.add(k, imp[k]);
      }
      if (minus) {
        for (std::size_t u = 0; u < layers * heads; ++u) {
          at_a.values[u] += a_map.values[u] / static_cast<double>(prompts);
          at_b.values[u] += b_map.values[u] / static_cast<double>(prompts);
          b_map.values[u] = -b_map.values[u];
        }
        logit_minus.add(0, a_map);
        logit_minus.add(1, b_map);
      }
      prog.step(p + 1);
    }
    return 0;
  });

  json result{{"prompts", prompts},
              {"layers", layers},
              {"heads", heads},
              {"kv_heads", values_.kv_heads},
              {"positions", values_.positions},
              {"d_model", d},
              {"label_token_ids", tokens}};
  std::vector<std::size_t> counts;
  for (std::size_t k = 0; k < tokens.size(); ++k) counts.push_back(logprob.prompts(k));
  result["prompts_per_label"] = counts;
  const std::vector<head_map> maps = with_context(r.predicted_name, [&] { return logprob.result(); });
  json increase = json::array();
  for (const auto& m : maps) increase.push_back(grid(m));
  result["logprob_increase"] = increase;
  const auto select = [&](const std::vector<head_map>& scores) {
    return selection_json(with_context(r.selection_name, [&] {
                            return icl::attention::select_in_context_heads(scores, r.selection);
                          }),
                          scores);
  };
  result["in_context_heads"] = select(maps);
  if (minus) {
    result["logit_minus_a"] = grid(at_a);
    result["logit_minus_b"] = grid(at_b);
    result["in_context_heads_logit_minus"] = select(logit_minus.result());
  }
  std::vector<std::size_t> shape{layers, heads, values_.positions, d};
  if (values_.batched) shape.insert(shape.begin(), prompts);
  json files = json::object();
  if (!r.save_u.empty()) {
    write_npy(r.save_u, shape, saved_u.data());
    files["weighted"] = r.save_u;
  }
  if (!r.save_vo.empty()) {
    write_npy(r.save_vo, shape, saved_vo.data());
    files["unweighted"] = r.save_vo;
  }
  if (!files.empty()) result["value_output_files"] = files;
  return result;
}

json in_context_rows(const json& r) {
  json rows = json::array();
  const std::size_t layers = r["layers"].get<std::size_t>(), heads = r["heads"].get<std::size_t>();
  const bool minus = r.contains("logit_minus_a");
  for (std::size_t l = 0; l < layers; ++l) {
    for (std::size_t h = 0; h < heads; ++h) {
      json row{{"layer", l}, {"head", h}};
      for (std::size_t k = 0; k < r["logprob_increase"].size(); ++k) {
        row["logprob_increase_" + std::to_string(k)] = r["logprob_increase"][k][l][h];
      }
      row["in_context"] = in_list(r["in_context_heads"]["merged"], l, h);
      if (minus) {
        row["logit_minus_a"] = r["logit_minus_a"][l][h];
        row["logit_minus_b"] = r["logit_minus_b"][l][h];
        row["in_context_logit_minus"] = in_list(r["in_context_heads_logit_minus"]["merged"], l, h);
      }
      rows.push_back(row);
    }
  }
  return rows;
}

namespace {

// ---- value-outputs -----------------------------------------------------------------------------

/// Rows of a row-major [n, d] matrix: {key: i, "<prefix>0": .., "<prefix>(d-1)": ..}.
json matrix_rows(const std::vector<double>& m, std::size_t d, const std::string& key, const std::string& prefix) {
  json rows = json::array();
  for (std::size_t i = 0; d > 0 && i < m.size() / d; ++i) {
    json row{{key, i}};
    for (std::size_t j = 0; j < d; ++j) row[prefix + std::to_string(j)] = number(m[i * d + j]);
    rows.push_back(row);
  }
  return rows;
}

json matrix_json(const std::vector<double>& m, std::size_t d) {
  json out = json::array();
  for (std::size_t i = 0; d > 0 && i < m.size() / d; ++i) {
    out.push_back(numbers(std::vector<double>(m.begin() + static_cast<std::ptrdiff_t>(i * d),
                                              m.begin() + static_cast<std::ptrdiff_t>((i + 1) * d))));
  }
  return out;
}

class value_vectors_command : public metric_command {
 public:
  explicit value_vectors_command(CLI::App& app)
      : metric_command(app, "value-outputs",
                       "Value-output vectors ([P4]) of one head of a layer, or the output of every head of it") {
    values_.add(sub_);
    sub_->add_option("--layer", layer_, "The layer")->required();
    sub_->add_option_function<std::size_t>(
        "--head", [this](const std::size_t& h) { head_ = h; },
        "The query head: its u_p, vo_p and output; default: every head's output");
    sub_->add_option("--prompt", prompt_, "The prompt of batched inputs")->capture_default_str();
    add_output_options();
  }

  int run() override {
    values_.load();
    if (layer_ >= values_.layers) {
      throw input_error("--layer " + std::to_string(layer_) + ": " + values_.attention_ref.reference + " holds " +
                        std::to_string(values_.layers) + " layers");
    }
    if (prompt_ >= values_.prompts) {
      throw input_error("--prompt " + std::to_string(prompt_) + ": " + values_.attention_ref.reference + " holds " +
                        std::to_string(values_.prompts) + " prompts");
    }
    json result{{"layer", layer_}, {"heads", values_.heads}, {"kv_heads", values_.kv_heads},
                {"positions", values_.positions}, {"d_model", values_.d_model}};
    json rows;
    if (head_) {
      const auto vo = with_context("--head " + std::to_string(*head_), [&] {
        return values_.vectors(prompt_, layer_, *head_);
      });
      result["head"] = vo.head;
      result["kv_head"] = vo.kv_head;
      result["query"] = vo.query;
      result["head_output"] = numbers(vo.head_output);
      result["weighted"] = matrix_json(vo.weighted, vo.d_model);
      result["unweighted"] = matrix_json(vo.unweighted, vo.d_model);
      rows = matrix_rows(vo.weighted, vo.d_model, "position", "u_");
    } else {
      const auto v = values_.layer(prompt_, layer_);
      const auto o = with_context(values_.context(prompt_, layer_), [&] {
        return icl::attention::head_outputs(v.A, v.V, v.W, icl::attention::value_output_params{values_.query});
      });
      result["query"] = values_.query ? *values_.query : values_.positions - 1;
      result["head_outputs"] = matrix_json(o, values_.d_model);
      rows = matrix_rows(o, values_.d_model, "head", "o_");
    }
    json params{{"layer", layer_}, {"head", head_ ? json(*head_) : json(nullptr)}, {"prompt", prompt_},
                {"query", values_.query ? json(*values_.query) : json(nullptr)}};
    return write("value-outputs", values_.inputs(), params, result, rows);
  }

 private:
  value_inputs values_;
  std::size_t layer_ = 0, prompt_ = 0;
  std::optional<std::size_t> head_;
};

// ---- logit-minus -------------------------------------------------------------------------------

/// A subcommand on vectors seen through the logit lens: the positional VECTORS and the lens's options.
class lens_command : public metric_command {
 protected:
  lens_command(CLI::App& app, const std::string& name, const std::string& description, const std::string& vectors,
               bool normalizer)
      : metric_command(app, name, description) {
    sub_->add_option("vectors", vectors_, vectors)->required();
    lens_.add(sub_, bound_, normalizer);
  }

  std::string vectors_;
  lens_inputs lens_;
};

class logit_minus_command : public lens_command {
 public:
  explicit logit_minus_command(CLI::App& app)
      : lens_command(app, "logit-minus", "Logit-minus ([P4]) (E_a - E_b) . N(u) of vectors at the fixed final-layer scale",
                     "Vectors [..., d] (e.g. the u_p of value-outputs / heads)", false) {
    bound_.add("--token-a", "token_a", token_a_, "Token id of label a")->required();
    bound_.add("--token-b", "token_b", token_b_, "Token id of label b")->required();
    add_label_positions(sub_, positions_a_, positions_b_, "[k], rows of VECTORS");
    add_output_options();
  }

  int run() override {
    lens_.prepare(true);
    icl::io::array a = load_tensor(vectors_);
    if (a.rank() < 2) require_float(a, 2, "vectors [n, d]");
    const std::size_t rank = a.rank();
    const dense_tensor u = to_dense(std::move(a), rank, false, "vectors [..., d]", vectors_, true);
    const dense_tensor h = read_dense({lens_.final_hidden, {}}, 1, false, "final hidden state [d]");
    const std::size_t d = u.shape.back(), n = d == 0 ? 0 : u.size() / d;
    const icl::io::array E = load_tensor(lens_.unembedding);
    require_float(E, 2, "unembedding [V, d]");
    const auto U = icl::make_matrix_view(u.data(), n, d);
    json result{{"vectors", n}, {"d_model", d}, {"token_a", token_a_}, {"token_b", token_b_},
                {"shape", std::vector<std::size_t>(u.shape.begin(), u.shape.end() - 1)}};
    icl_tool::visit_float(E, [&](auto tag) {
      const auto unembedding = E.template matrix<decltype(tag)>();
      const std::string context = vectors_ + ", " + lens_.unembedding + ", --token-a/--token-b";
      result["logit_minus"] = numbers(with_context(context, [&] {
        return icl::attention::logit_minus(U, unembedding, token_a_, token_b_, h.values, lens_.params);
      }));
      if (!positions_a_.empty()) {
        const auto pa = read_positions(positions_a_, "", "--positions-a");
        const auto pb = read_positions(positions_b_, "", "--positions-b");
        if (!pa.shared || !pb.shared) throw input_error("--positions-a/--positions-b: expected a 1-D list each");
        const auto m = with_context(context + ", --positions-a/--positions-b", [&] {
          return icl::attention::label_logit_minus(U, unembedding, token_a_, token_b_, pa[0], pb[0], h.values,
                                                   lens_.params);
        });
        result["at_a"] = number(m.at_a);
        result["at_b"] = number(m.at_b);
      }
      return 0;
    });
    json rows = json::array();
    for (std::size_t i = 0; i < n; ++i) rows.push_back(json{{"index", i}, {"logit_minus", result["logit_minus"][i]}});
    json inputs = lens_.inputs();
    inputs["vectors"] = vectors_;
    if (!positions_a_.empty()) {
      inputs["positions_a"] = positions_a_;
      inputs["positions_b"] = positions_b_;
    }
    return write("logit-minus", inputs, result, rows);
  }

 private:
  std::string positions_a_, positions_b_;
  std::size_t token_a_ = 0, token_b_ = 0;
};

// ---- logprob-increase --------------------------------------------------------------------------

class logprob_increase_command : public lens_command {
 public:
  explicit logprob_increase_command(CLI::App& app)
      : lens_command(app, "logprob-increase",
                     "Log-probability increase ([P4]) log p(b | x + o) - log p(b | x) of each vector o",
                     "Vectors o [P, d] added to the residual (head outputs or u_p)", true) {
    sub_->add_option("--residual", residual_, "The residual x [d]")->required();
    bound_.add("--token", "token", token_, "Token id b (the predicted label token)")->required();
    add_output_options();
  }

  int run() override {
    const bool fixed = lens_.params.scale == icl::attention::normalizer::fixed_final;
    lens_.prepare(fixed);
    const dense_tensor o = read_dense({vectors_, {}}, 2, false, "vectors o [P, d]");
    const dense_tensor x = read_dense({residual_, {}}, 1, false, "residual [d]");
    const dense_tensor h =
        fixed ? read_dense({lens_.final_hidden, {}}, 1, false, "final hidden state [d]") : dense_tensor{};
    const icl::io::array E = load_tensor(lens_.unembedding);
    require_float(E, 2, "unembedding [V, d]");
    const auto O = icl::make_matrix_view(o.values.data(), o.shape[0], o.shape[1]);
    const auto r = icl_tool::visit_float(E, [&](auto tag) {
      const auto unembedding = E.template matrix<decltype(tag)>();
      return with_context(vectors_ + ", " + residual_ + ", " + lens_.unembedding + ", --token", [&] {
        return fixed ? icl::attention::logprob_change(unembedding, token_, x.values, O, h.values, lens_.params)
                     : icl::attention::logprob_change(unembedding, token_, x.values, O, lens_.params);
      });
    });
    json result{{"token", token_}, {"base", number(r.base)}, {"logprob", numbers(r.logprob)},
                {"increase", numbers(r.increase)}};
    json rows = json::array();
    for (std::size_t i = 0; i < r.increase.size(); ++i) {
      rows.push_back(json{{"index", i}, {"logprob", number(r.logprob[i])}, {"increase", number(r.increase[i])}});
    }
    json inputs = lens_.inputs();
    inputs["outputs"] = vectors_;
    inputs["residual"] = residual_;
    return write("logprob-increase", inputs, result, rows);
  }

 private:
  std::string residual_;
  std::size_t token_ = 0;
};

// ---- the report's section: the in-context heads of a task ----------------------------------------

/// The manifest keys of the section's tensors and lists; it runs when the task has them all.
constexpr std::array<const char*, 7> report_keys = {"attention.maps",       "attention.values",
                                                    "attention.w_o",        "attention.residual",
                                                    "readout.final_hidden", "readout.unembedding",
                                                    "readout.label_token_ids"};

/// The label positions of class 0 (label a) and class 1 (label b) of every prompt, from
/// attention.label_positions and attention.label_classes (aligned once the −1 padding is
/// dropped); std::nullopt, with the reason in `why`, when a prompt has none of one class.
std::optional<std::pair<position_lists, position_lists>> label_positions_ab(const task_reader& t, std::string& why) {
  const position_lists positions = t.positions("attention.label_positions");
  const std::vector<std::vector<int>> classes = t.int_rows("attention.label_classes");
  const std::size_t rows = std::max(positions.lists.size(), classes.size());
  if ((!positions.shared && positions.lists.size() != rows) || (classes.size() != 1 && classes.size() != rows)) {
    t.fail("attention.label_classes", "has " + std::to_string(classes.size()) +
                                          " rows but attention.label_positions has " +
                                          std::to_string(positions.lists.size()));
  }
  std::pair<position_lists, position_lists> out;
  out.first.shared = out.second.shared = positions.shared && classes.size() == 1;
  for (std::size_t p = 0; p < rows; ++p) {
    const auto& at = positions[p];
    std::vector<int> kept;
    for (const int c : classes[classes.size() == 1 ? 0 : p]) {
      if (c >= 0) kept.push_back(c);
    }
    if (kept.size() != at.size()) {
      t.fail("attention.label_classes", "has " + std::to_string(kept.size()) + " classes for prompt " +
                                            std::to_string(p) + " but attention.label_positions has " +
                                            std::to_string(at.size()) + " positions");
    }
    out.first.lists.emplace_back();
    out.second.lists.emplace_back();
    for (std::size_t i = 0; i < kept.size(); ++i) {
      if (kept[i] == 0) out.first.lists.back().push_back(at[i]);
      if (kept[i] == 1) out.second.lists.back().push_back(at[i]);
    }
    for (const int c : {0, 1}) {
      if ((c == 0 ? out.first : out.second).lists.back().empty()) {
        why = "prompt " + std::to_string(p) + " has no label position of class " + std::to_string(c);
        return std::nullopt;
      }
    }
  }
  return out;
}

void report_run(const task_data& task, json& out, json& skipped) {
  const task_reader& t = task.reader;
  std::string missing;
  for (const char* key : report_keys) {
    if (!t.has(key)) missing += (missing.empty() ? "" : ", ") + std::string(key);
  }
  if (!missing.empty()) {
    skipped.push_back("in-context heads: no " + missing);
    return;
  }
  if (!t.value("attention.maps").is_string()) {
    t.fail("attention.maps", "the in-context heads need one [prompts, layers, heads, T, T] reference (per-prompt "
                             "maps cannot be batched with attention.values)");
  }
  in_context_request r;
  r.base_dir = t.base();
  const auto tensor = [&](const char* key) { return tensor_input{t.reference(key), key}; };
  r.attention = tensor("attention.maps");
  r.values = tensor("attention.values");
  r.w_o = tensor("attention.w_o");
  r.residual = tensor("attention.residual");
  r.final_hidden = tensor("readout.final_hidden");
  r.unembedding = tensor("readout.unembedding");
  r.tokens_name = "readout.label_token_ids";
  const std::vector<int> ids = t.ints(r.tokens_name);
  r.label_tokens = t.wrap(r.tokens_name, [&] { return token_ids(ids); });
  r.predicted_name = "readout.predicted";
  if (t.has(r.predicted_name)) r.predicted = t.ints(r.predicted_name);
  // The final norm as the other sections read it: γ (default ones) and ε (default 1e-5).
  if (t.has("readout.final_norm.gain")) r.lens.norm.gamma = t.doubles("readout.final_norm.gain");
  r.lens.norm.epsilon = t.has("readout.final_norm.epsilon") ? t.number("readout.final_norm.epsilon") : 1e-5;
  r.selection.fraction = task.options.top_fraction;
  r.selection_name = "--top-fraction";
  r.positions_name = "attention.label_positions/attention.label_classes";
  std::string why;
  if (!t.has("attention.label_positions") || !t.has("attention.label_classes")) {
    why = "no attention.label_positions / attention.label_classes";
  } else if (r.label_tokens.size() != 2) {
    why = "needs 2 labels, readout.label_token_ids has " + std::to_string(r.label_tokens.size());
  } else if (auto ab = label_positions_ab(t, why)) {
    r.positions_a = std::move(ab->first);
    r.positions_b = std::move(ab->second);
  }
  if (!why.empty()) skipped.push_back("in-context heads by logit-minus: " + why);
  out["in_context_heads"] = t.run("in-context heads", [&] { return in_context_heads(r, task.prog); });
}

/// "L1H2, L3H0" of a head list.
std::string head_names(const json& heads) {
  std::string out;
  for (const auto& entry : heads) {
    out += (out.empty() ? "L" : ", L") + std::to_string(entry["layer"].get<std::size_t>()) + "H" +
           std::to_string(entry["head"].get<std::size_t>());
  }
  return out;
}

std::string report_block(const json& task) {
  const json* ic = html::get(task, "in_context_heads");
  if (ic == nullptr) return {};
  const json& ids = (*ic)["label_token_ids"];
  std::ostringstream o;
  o << "<h3>In-context heads (" << (*ic)["prompts"].get<std::size_t>() << " prompts, "
    << (*ic)["layers"].get<std::size_t>() << " layers × " << (*ic)["heads"].get<std::size_t>()
    << " heads)</h3><div class=\"grid\">";
  const auto label = [&](std::size_t k) {
    return "label " + std::to_string(k) + " (token " + std::to_string(ids[k].get<std::size_t>()) + ")";
  };
  for (std::size_t k = 0; k < ids.size(); ++k) {
    html::heatmap h = html::head_map("Log-probability increase of " + label(k), "log p(t | x + o) − log p(t | x)",
                                     html::to_grid((*ic)["logprob_increase"][k]));
    h.centered = true;
    o << html::figure(html::render(h),
                      "What each head's output o adds to the log-probability of " + label(k) +
                          " over the residual x entering its layer, at the final layer's fixed scale ([P4]); mean "
                          "over " +
                          std::to_string((*ic)["prompts_per_label"][k].get<std::size_t>()) + " prompts.");
  }
  for (const auto& [key, k] : {std::pair<const char*, std::size_t>{"logit_minus_a", 0}, {"logit_minus_b", 1}}) {
    const json* grid = html::get(*ic, key);
    if (grid == nullptr) continue;
    html::heatmap h = html::head_map("Logit-minus at the positions of " + label(k),
                                     "(E_a − E_b) · N(u_p), mean over positions", html::to_grid(*grid));
    h.centered = true;
    o << html::figure(html::render(h),
                      "Logit-minus of each head's value-output vectors u_p at the label positions of " + label(k) +
                          ", mean over prompts: a head that writes the labels is red at label 0 and blue at "
                          "label 1.");
  }
  o << "</div><div class=\"tables\">";
  for (std::size_t k = 0; k < ids.size(); ++k) {
    o << html::top_table((*ic)["in_context_heads"]["per_label"][k], "In-context heads of " + label(k),
                         "log-prob. increase");
  }
  if (const json* minus = html::get(*ic, "in_context_heads_logit_minus")) {
    for (std::size_t k = 0; k < 2; ++k) {
      o << html::top_table((*minus)["per_label"][k], "By logit-minus, " + label(k),
                           k == 0 ? "logit-minus" : "−logit-minus");
    }
  }
  o << "</div>";
  return o.str();
}

std::string report_notes(const json& task) {
  const json* ic = html::get(task, "in_context_heads");
  if (ic == nullptr) return {};
  std::string out = "in-context heads by log-probability increase (merged over the labels): " +
                    head_names((*ic)["in_context_heads"]["merged"]) + "\n";
  if (const json* minus = html::get(*ic, "in_context_heads_logit_minus")) {
    out += "in-context heads by logit-minus (merged): " + head_names((*minus)["merged"]) + "\n";
  }
  return out;
}

[[maybe_unused]] const bool section_registered =
    register_report_section({60, report_run, nullptr, nullptr, report_block, {}, {}, report_notes});

// ---- registration ------------------------------------------------------------------------------

[[maybe_unused]] const bool heads_registered = register_command<heads_command>("heads", 60);
[[maybe_unused]] const bool value_vectors_registered = register_command<value_vectors_command>("value-outputs", 61);
[[maybe_unused]] const bool logit_minus_registered = register_command<logit_minus_command>("logit-minus", 62);
[[maybe_unused]] const bool logprob_increase_registered =
    register_command<logprob_increase_command>("logprob-increase", 63);

}  // namespace

}  // namespace icl_tool
