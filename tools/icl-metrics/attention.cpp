// Attention measures per (layer, head), one prompt at a time: attention ratio (mean over
// prompts), previous-token and induction scores (sums over prompts), label attention per class
// (sums over prompts), the label biases, and the top heads by each score; the `attention`
// subcommand.
#include <map>
#include <memory>

#include "command.hpp"
#include "icl/attention/bias.hpp"
#include "icl/attention/heads.hpp"
#include "icl/attention/ratio.hpp"

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

}  // namespace

}  // namespace icl_tool
