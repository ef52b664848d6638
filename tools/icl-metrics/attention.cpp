// Attention measures per (layer, head), one prompt at a time: attention ratio (mean over
// prompts), previous-token and induction scores (sums over prompts), label attention per class
// (sums over prompts), the label biases, and the top heads by each score; the `attention`
// subcommand and the report's section.
#include <map>
#include <memory>
#include <sstream>

#include "command.hpp"
#include "html.hpp"
#include "icl/attention/bias.hpp"
#include "icl/attention/heads.hpp"
#include "icl/attention/ratio.hpp"
#include "report.hpp"

namespace icl_tool {

std::size_t attention_set::prompts() const {
  if (batched) return arrays.empty() ? 0 : arrays[0].array.shape()[0];
  return arrays.size();
}

namespace {

json head_grid(const icl::attention::head_map& m, double scale = 1.0) {
  json grid = json::array();
  for (std::size_t l = 0; l < m.layers; ++l) {
    json row = json::array();
    for (std::size_t h = 0; h < m.heads; ++h) row.push_back(number(m(l, h) * scale));
    grid.push_back(row);
  }
  return grid;
}

/// The zero-denominator flags of a ratio map, [layers][heads].
json undefined_grid(const icl::attention::head_map& m) {
  json grid = json::array();
  for (std::size_t l = 0; l < m.layers; ++l) {
    json row = json::array();
    for (std::size_t h = 0; h < m.heads; ++h) row.push_back(m.undefined(l, h));
    grid.push_back(row);
  }
  return grid;
}

json top_list(const icl::attention::head_map& m, double fraction) {
  json out = json::array();
  for (const auto& [layer, head] : icl::attention::top_heads(m, fraction)) {
    json entry;
    entry["layer"] = layer;
    entry["head"] = head;
    entry["score"] = number(m(layer, head));
    out.push_back(entry);
  }
  return out;
}

struct accumulators {
  icl::attention::ratio_accumulator ratio;
  icl::attention::previous_token_accumulator previous;
  icl::attention::induction_accumulator induction;
  icl::attention::label_bias_accumulator bias;
  std::map<int, std::vector<double>> label_mass;  ///< class -> [layers * heads] summed over prompts
  std::map<int, std::size_t> label_count;         ///< class -> number of label positions over prompts
  std::size_t layers = 0, heads = 0, label_prompts = 0, no_label_prompts = 0, bias_skipped = 0;
  accumulators(bool normalize, const icl::attention::attention_params& params)
      : ratio(normalize, params), induction(params), bias(params) {}
};

void check_count(const position_lists& p, std::size_t prompts, const std::string& what) {
  if (!p.shared && p.lists.size() != prompts) {
    throw input_error(what + ": has " + std::to_string(p.lists.size()) + " rows but the attention holds " +
                      std::to_string(prompts) + " prompts");
  }
}

template <class T>
void add_prompt(icl::tensor_view<const T, 4> A, std::size_t p, const attention_inputs& in, accumulators& acc,
                const std::string& name) {
  const std::string context = name + " (prompt " + std::to_string(p) + ")";
  with_context(context, [&] {
    const std::size_t tokens = A.extent(2);
    acc.layers = A.extent(0);
    acc.heads = A.extent(1);
    acc.previous.add(A);
    if (in.relevant && in.irrelevant) {
      std::vector<std::size_t> sources;
      if (in.sources) {
        sources = (*in.sources)[p];
      } else if (tokens > 0) {
        sources.push_back(tokens - 1);
      }
      acc.ratio.add(A, sources, (*in.relevant)[p], (*in.irrelevant)[p]);
    }
    if (in.label_positions) {
      const auto& positions = (*in.label_positions)[p];
      if (positions.empty()) {
        ++acc.no_label_prompts;  // a prompt without demonstrations has no label to attend to
        return 0;
      }
      acc.induction.add(A, positions);
      if (in.label_classes) {
        const auto& row = (*in.label_classes)[in.label_classes->size() == 1 ? 0 : p];
        std::vector<int> classes;
        for (const int c : row) {
          if (c >= 0) classes.push_back(c);
        }
        if (classes.size() != positions.size()) {
          throw input_error("label_classes has " + std::to_string(classes.size()) + " entries for prompt " +
                            std::to_string(p) + " but label_positions has " + std::to_string(positions.size()));
        }
        const auto la = icl::attention::label_attention(A, positions, classes, in.params);
        for (std::size_t c = 0; c < la.classes.size(); ++c) {
          auto& mass = acc.label_mass[la.classes[c]];
          mass.resize(la.layers * la.heads, 0.0);
          for (std::size_t l = 0; l < la.layers; ++l) {
            for (std::size_t h = 0; h < la.heads; ++h) mass[l * la.heads + h] += la(l, h, c);
          }
        }
        // The bias shares are undefined for a head that pays no attention at all to the label
        // positions (possible after f16 underflow or with hard attention): such a prompt is left
        // out of the bias statistics and counted.
        bool defined = true;
        for (std::size_t u = 0; u < la.layers * la.heads && defined; ++u) {
          double total = 0.0;
          for (std::size_t c = 0; c < la.classes.size(); ++c) total += la.values[u * la.classes.size() + c];
          defined = total > 0.0;
        }
        if (defined) {
          acc.bias.add(A, positions, classes);
        } else {
          ++acc.bias_skipped;
        }
        for (const int c : classes) ++acc.label_count[c];
        ++acc.label_prompts;
      }
    }
    return 0;
  });
}

}  // namespace

json attention(const attention_set& maps, const attention_inputs& in, progress& prog) {
  const std::size_t prompts = maps.prompts();
  if (prompts == 0) throw input_error("the attention maps hold no prompt");
  if (maps.batched) {
    require_float(maps.arrays[0].array, 5, "attention maps [prompts, layers, heads, T, T]");
  } else {
    for (const auto& a : maps.arrays) require_float(a.array, 4, "attention maps [layers, heads, T, T]");
  }
  if (in.sources) check_count(*in.sources, prompts, "attention sources");
  if (in.relevant) check_count(*in.relevant, prompts, "attention relevant positions");
  if (in.irrelevant) check_count(*in.irrelevant, prompts, "attention irrelevant positions");
  if (in.label_positions) check_count(*in.label_positions, prompts, "attention label positions");
  if (in.label_classes && in.label_classes->size() != 1 && in.label_classes->size() != prompts) {
    throw input_error("attention label classes: has " + std::to_string(in.label_classes->size()) +
                      " rows but the attention holds " + std::to_string(prompts) + " prompts");
  }
  if (in.label_classes && !in.label_positions) throw input_error("attention label classes need label positions");

  accumulators acc(in.normalize, in.params);
  prog.begin("attention", "prompt", prompts);
  for (std::size_t p = 0; p < prompts; ++p) {
    const named_array& source = maps.batched ? maps.arrays[0] : maps.arrays[p];
    icl_tool::visit_float(source.array, [&](auto tag) {
      using T = decltype(tag);
      if (maps.batched) {
        add_prompt<T>(source.array.template view<T, 5>()[p], p, in, acc, source.name);
      } else {
        add_prompt<T>(source.array.template view<T, 4>(), p, in, acc, source.name);
      }
      return 0;
    });
    prog.step(p + 1);
  }

  json out;
  out["prompts"] = prompts;
  out["layers"] = acc.layers;
  out["heads"] = acc.heads;
  out["top_fraction"] = in.top_fraction;
  const std::string context = maps.arrays[0].name;
  with_context(context, [&] {
    const auto previous = acc.previous.result();
    out["previous_token"] = head_grid(previous);
    out["top_previous_token"] = top_list(previous, in.top_fraction);
    if (in.relevant && in.irrelevant) {
      const auto ratio = acc.ratio.result();
      out["ratio_normalize"] = in.normalize;
      out["ratio"] = head_grid(ratio);
      out["ratio_undefined"] = undefined_grid(ratio);
      // The ratio of the summed numerators and denominators over prompts (robust to a prompt
      // with a tiny denominator), beside the mean of the per-prompt ratios.
      const auto sums = acc.ratio.ratio_of_sums();
      out["ratio_of_sums"] = head_grid(sums);
      out["ratio_of_sums_undefined"] = undefined_grid(sums);
      // Per layer: the mean over the heads whose ratio is defined. A head with a zero denominator
      // (+inf, flagged) would make the whole layer's mean +inf; it is left out and counted.
      std::vector<std::size_t> left_out;
      out["ratio_layer_mean"] = numbers(icl::attention::mean_over_defined_heads(ratio, &left_out).values);
      out["ratio_layer_undefined_heads"] = left_out;
    }
    if (in.label_positions) out["prompts_without_labels"] = acc.no_label_prompts;
    if (in.label_positions && acc.induction.prompts() > 0) {
      const auto induction = acc.induction.result();
      out["induction"] = head_grid(induction);
      out["top_induction"] = top_list(induction, in.top_fraction);
    }
    if (in.label_classes && acc.bias.prompts() > 0) {
      const auto bias = acc.bias.result();
      json majority = json::array(), recency = json::array(), profile = json::array();
      for (std::size_t l = 0; l < bias.layers; ++l) {
        json mrow = json::array(), rrow = json::array(), prow = json::array();
        for (std::size_t h = 0; h < bias.heads; ++h) {
          mrow.push_back(number(bias.majority(l, h)));
          rrow.push_back(number(bias.recency(l, h)));
          json shares = json::array();
          for (std::size_t j = 0; j < bias.max_demonstrations; ++j) shares.push_back(number(bias.profile(l, h, j)));
          prow.push_back(shares);
        }
        majority.push_back(mrow);
        recency.push_back(rrow);
        profile.push_back(prow);
      }
      out["bias"] = json{{"prompts", bias.prompts},
                         {"majority_prompts", bias.majority_prompts},
                         {"majority_excess", majority},
                         {"recency_excess", recency},
                         {"recency_profile", profile},
                         {"profile_prompts", bias.profile_prompts},
                         {"skipped_prompts", acc.bias_skipped}};
    }
    if (in.label_classes && acc.label_prompts > 0) {
      json la = json::object();
      json counts = json::object();
      for (const auto& [label, mass] : acc.label_mass) {
        json grid = json::array();
        for (std::size_t l = 0; l < acc.layers; ++l) {
          json row = json::array();
          for (std::size_t h = 0; h < acc.heads; ++h) row.push_back(number(mass[l * acc.heads + h]));
          grid.push_back(row);
        }
        la[std::to_string(label)] = grid;
        counts[std::to_string(label)] = acc.label_count[label];
      }
      out["label_attention"] = la;
      out["label_counts"] = counts;
    }
    return 0;
  });
  return out;
}

json attention_rows(const json& r) {
  json rows = json::array();
  const std::size_t layers = r["layers"].get<std::size_t>(), heads = r["heads"].get<std::size_t>();
  for (std::size_t l = 0; l < layers; ++l) {
    for (std::size_t h = 0; h < heads; ++h) {
      json row{{"layer", l}, {"head", h}, {"previous_token", r["previous_token"][l][h]}};
      if (r.contains("ratio")) {
        row["ratio"] = r["ratio"][l][h];
        row["ratio_undefined"] = r["ratio_undefined"][l][h];
      }
      if (r.contains("ratio_of_sums")) {
        row["ratio_of_sums"] = r["ratio_of_sums"][l][h];
        row["ratio_of_sums_undefined"] = r["ratio_of_sums_undefined"][l][h];
      }
      if (r.contains("induction")) row["induction"] = r["induction"][l][h];
      if (r.contains("label_attention")) {
        for (auto it = r["label_attention"].begin(); it != r["label_attention"].end(); ++it) {
          row["label_attention_" + it.key()] = it.value()[l][h];
        }
      }
      if (r.contains("bias")) {
        const json& bias = r["bias"];
        row["majority_excess"] = bias["majority_excess"][l][h];
        row["recency_excess"] = bias["recency_excess"][l][h];
        const json& profile = bias["recency_profile"][l][h];
        for (std::size_t j = 0; j < profile.size(); ++j) row["recency_profile_" + std::to_string(j)] = profile[j];
      }
      rows.push_back(row);
    }
  }
  return rows;
}

namespace {

class attention_command : public metric_command {
 public:
  explicit attention_command(CLI::App& app)
      : metric_command(app, "attention",
                       "Attention ratio, previous-token, induction and label-attention scores per (layer, head)") {
    sub_->add_option("maps", maps_,
                     "Attention: one [prompts, layers, heads, T, T] tensor, or one [layers, heads, T, T] tensor per "
                     "prompt")
        ->required();
    sub_->add_option("--sources", sources_,
                     "Source (query) positions [prompts, s] or [s]; default: the last position");
    auto* rel = sub_->add_option("--relevant", relevant_, "Relevant key positions [prompts, r] or [r] (-1 = padding)");
    auto* irr = sub_->add_option("--irrelevant", irrelevant_, "Irrelevant key positions [prompts, i] or [i]");
    rel->needs(irr);
    irr->needs(rel);
    auto* lp = sub_->add_option("--label-positions", label_positions_,
                                "Demonstration label positions [prompts, k]: induction score");
    auto* lc = sub_->add_option("--label-classes", label_classes_,
                                "Class of each label position [prompts, k]: label attention per class");
    lc->needs(lp);
    bound_.flag("--raw-sums", "normalize", in_.normalize, false, "Attention ratio of raw sums instead of per-token means");
    bound_.add("--top-fraction", "top_fraction", in_.top_fraction, "Fraction of heads listed as top heads")
        ->check(CLI::Range(0.0, 1.0));
    bound_.flag("--check-row-sums", "check_row_sums", in_.params.check_row_sums, true,
                "Require every attention row that is read to sum to 1 (within --row-sum-tolerance)");
    bound_.add("--row-sum-tolerance", "row_sum_tolerance", in_.params.row_sum_tolerance,
               "Tolerance of --check-row-sums")
        ->check(CLI::NonNegativeNumber);
    add_output_options();
  }

  int run() override {
    attention_set set;
    for (const auto& ref : maps_) set.arrays.push_back(named_array{load_tensor(ref), ref});
    set.batched = set.arrays.size() == 1 && set.arrays[0].array.rank() == 5;
    if (!sources_.empty()) in_.sources = read_positions(sources_, "", "sources");
    if (!relevant_.empty()) in_.relevant = read_positions(relevant_, "", "relevant positions");
    if (!irrelevant_.empty()) in_.irrelevant = read_positions(irrelevant_, "", "irrelevant positions");
    if (!label_positions_.empty()) in_.label_positions = read_positions(label_positions_, "", "label positions");
    if (!label_classes_.empty()) in_.label_classes = read_int_rows(json(label_classes_), "", "label classes");
    progress prog(common_.quiet);
    const json r = attention(set, in_, prog);
    json inputs{{"maps", maps_}};
    for (const auto& [key, value] : std::vector<std::pair<std::string, std::string>>{
             {"sources", sources_}, {"relevant", relevant_}, {"irrelevant", irrelevant_},
             {"label_positions", label_positions_}, {"label_classes", label_classes_}}) {
      if (!value.empty()) inputs[key] = value;
    }
    return write("attention", inputs, r, attention_rows(r));
  }

 private:
  std::vector<std::string> maps_;
  std::string sources_, relevant_, irrelevant_, label_positions_, label_classes_;
  attention_inputs in_;
};

[[maybe_unused]] const bool registered = register_command<attention_command>("attention", 50);

// ---- the report's section: head scores, the attention ratio, label attention and biases -------

attention_set read_maps(const task_reader& t) {
  attention_set set;
  const json& maps = t.value("attention.maps");
  if (maps.is_string()) {
    set.arrays.push_back(t.tensor("attention.maps"));
    set.batched = true;
    if (set.arrays[0].array.rank() != 5) {
      t.fail("attention.maps", set.arrays[0].name + " has shape " + shape_string(set.arrays[0].array.shape()) +
                                   "; one reference must be [prompts, layers, heads, T, T] (or give a list of "
                                   "[layers, heads, T, T] references)");
    }
  } else if (maps.is_array()) {
    for (std::size_t p = 0; p < maps.size(); ++p) {
      if (!maps[p].is_string()) t.fail("attention.maps", "entry " + std::to_string(p) + " is not a tensor reference");
      const std::string ref = maps[p].get<std::string>();
      set.arrays.push_back(t.wrap("attention.maps", [&] { return named_array{load_tensor(ref, t.base()), ref}; }));
    }
  } else {
    t.fail("attention.maps", "expected a reference or a list of references");
  }
  return set;
}

void report_run(const task_data& task, json& out, json& skipped) {
  const task_reader& t = task.reader;
  if (!t.has("attention.maps")) {
    skipped.push_back("attention: no attention.maps");
    return;
  }
  const attention_set set = read_maps(t);
  attention_inputs in;
  in.top_fraction = task.options.top_fraction;
  in.params = task.options.attention;
  if (t.has("attention.sources")) in.sources = t.positions("attention.sources");
  if (t.has("attention.relevant")) in.relevant = t.positions("attention.relevant");
  if (t.has("attention.irrelevant")) in.irrelevant = t.positions("attention.irrelevant");
  if (in.relevant.has_value() != in.irrelevant.has_value()) {
    t.fail(in.relevant ? "attention.irrelevant" : "attention.relevant",
           "missing (the attention ratio needs both relevant and irrelevant positions)");
  }
  if (t.has("attention.label_positions")) in.label_positions = t.positions("attention.label_positions");
  if (t.has("attention.label_classes")) {
    if (!in.label_positions) t.fail("attention.label_positions", "missing (needed with attention.label_classes)");
    in.label_classes = t.int_rows("attention.label_classes");
  }
  out["attention"] = t.run("attention", [&] { return attention(set, in, task.prog); });
  if (!in.relevant) skipped.push_back("attention ratio: no attention.relevant / attention.irrelevant");
  if (!in.label_positions) skipped.push_back("induction score: no attention.label_positions");
}

std::string report_block(const json& task) {
  const json* att = html::get(task, "attention");
  if (att == nullptr) return {};
  std::ostringstream o;
  const double prompts = static_cast<double>((*att)["prompts"].get<std::size_t>());
  o << "<h3>Attention (" << (*att)["prompts"].get<std::size_t>() << " prompts, " << (*att)["layers"].get<std::size_t>()
    << " layers × " << (*att)["heads"].get<std::size_t>() << " heads)</h3><div class=\"grid\">";
  if (att->contains("ratio")) {
    html::heatmap h = html::head_map("Attention ratio per head", "ratio (relevant / irrelevant)",
                                     html::to_grid((*att)["ratio"], 1.0, &(*att)["ratio_undefined"]));
    h.log2_scale = true;
    o << html::figure(html::render(h),
                      "Attention from the source positions to the relevant keys over the irrelevant keys "
                      "(per-token means), averaged over prompts. Logarithmic colour scale centered at 1: red heads "
                      "prefer the relevant keys, blue heads the irrelevant ones; ∞ marks a zero denominator.");
    html::line_chart c = html::chart("Attention ratio per layer", "mean ratio over heads");
    c.x_label = "attention layer";
    c.lines.push_back({"mean over heads", html::to_values((*att)["ratio_layer_mean"])});
    c.reference = 1.0;
    c.reference_label = "no preference";
    o << html::figure(html::render(c),
                      "Mean over the heads of each layer whose ratio is defined; heads with a zero "
                      "denominator (∞ in the heatmap) are left out and counted in results.json "
                      "(attention.ratio_layer_undefined_heads).");
  }
  {
    html::heatmap h = html::head_map("Previous-token score per head", "mean attention to k − 1 per prompt",
                                     html::to_grid((*att)["previous_token"], 1.0 / prompts));
    o << html::figure(html::render(h),
                      "Σ_k A[k, k−1] per prompt, averaged over prompts (the library's score is the sum over "
                      "prompts, in results.json).");
  }
  if (att->contains("induction")) {
    const double with_labels = prompts - static_cast<double>((*att).value("prompts_without_labels", std::size_t{0}));
    html::heatmap h = html::head_map("Induction score per head", "attention from the query to labels",
                                     html::to_grid((*att)["induction"], with_labels > 0 ? 1.0 / with_labels : 1.0));
    o << html::figure(html::render(h),
                      "Attention from the last position to the demonstration label positions, averaged over "
                      "prompts with demonstrations.");
  }
  if (const json* la = html::get(*att, "label_attention")) {
    html::line_chart c = html::chart("Label attention per class", "attention per label token");
    const std::size_t L = (*att)["layers"].get<std::size_t>(), Hn = (*att)["heads"].get<std::size_t>();
    for (auto it = la->begin(); it != la->end(); ++it) {
      const double count = static_cast<double>((*att)["label_counts"][it.key()].get<std::size_t>());
      std::vector<double> per_layer(L, 0.0);
      const auto grid = html::to_grid(it.value());
      for (std::size_t l = 0; l < L; ++l) {
        for (std::size_t hh = 0; hh < Hn; ++hh) per_layer[l] += grid[l][hh];
        per_layer[l] /= static_cast<double>(Hn) * std::max(count, 1.0);
      }
      c.lines.push_back({"class " + it.key(), per_layer});
    }
    o << html::figure(html::render(c),
                      "Attention from the last position to the label tokens of each class, per label token and "
                      "head (mean over heads).");
  }
  if (const json* bias = html::get(*att, "bias")) {
    html::heatmap m = html::head_map("Majority-label bias per head", "attention share − demonstration share",
                                     html::to_grid((*bias)["majority_excess"]));
    m.centered = true;
    o << html::figure(html::render(m),
                      "Share of label attention on the majority class minus its share of demonstrations, "
                      "mean over " +
                          std::to_string((*bias)["majority_prompts"].get<std::size_t>()) +
                          " prompts with a unique majority; red = favours the majority label.");
    html::heatmap r = html::head_map("Recency bias per head", "share on the nearest label − 1/k",
                                     html::to_grid((*bias)["recency_excess"]));
    r.centered = true;
    o << html::figure(html::render(r),
                      "Share of label attention on the demonstration nearest to the query minus the even share "
                      "1/k; red = favours the most recent demonstration.");
  }
  o << "</div><div class=\"tables\">";
  if (att->contains("top_previous_token")) {
    o << html::top_table((*att)["top_previous_token"], "Top previous-token heads", "score (sum)");
  }
  if (att->contains("top_induction"))
    o << html::top_table((*att)["top_induction"], "Top induction heads", "score (sum)");
  o << "</div>";
  return o.str();
}

std::string report_notes(const json& task) {
  const json* att = html::get(task, "attention");
  if (att == nullptr) return {};
  std::string out;
  if (const json* ratio = html::get(*att, "ratio_layer_mean")) {
    // Attention layers are numbered in the order of the attention tensor (blocks), which need
    // not match the hidden-state layers (often the embedding output comes first there).
    const json* undefined = html::get(*att, "ratio_layer_undefined_heads");
    std::string values, notes;
    for (std::size_t l = 0; l < ratio->size(); ++l) {
      values += (l ? ", " : "") + std::string("L") + std::to_string(l) + " " +
                ((*ratio)[l].is_number() ? format_number((*ratio)[l], "%.2f") : std::string("undefined"));
      const std::size_t left_out = undefined != nullptr ? (*undefined)[l].get<std::size_t>() : 0;
      if (left_out > 0) {
        notes += (notes.empty() ? "" : ", ") + std::string("L") + std::to_string(l) + ": " + std::to_string(left_out);
      }
    }
    out += "attention ratio per attention layer (mean over heads with a defined ratio): " + values + "\n";
    if (!notes.empty()) out += "  heads left out (zero denominator, ratio +inf): " + notes + "\n";
  }
  for (const auto& [which, title] :
       {std::pair<const char*, const char*>{"top_previous_token", "top previous-token heads: "},
        std::pair<const char*, const char*>{"top_induction", "top induction heads: "}}) {
    const json* top = html::get(*att, which);
    if (top == nullptr) continue;
    std::string heads;
    for (const auto& h : *top) {
      heads += (heads.empty() ? "" : ", ") + std::string("L") + std::to_string(h["layer"].get<std::size_t>()) + "H" +
               std::to_string(h["head"].get<std::size_t>());
    }
    out += title + heads + "\n";
  }
  return out;
}

[[maybe_unused]] const bool section_registered =
    register_report_section({50, report_run, nullptr, nullptr, report_block, {}, {}, report_notes});

}  // namespace

}  // namespace icl_tool
