// Task decodability (leave-one-out kNN) per layer, for the whole set, per number of
// demonstrations and per pair of classes; the `decode` subcommand and the report's section.
#include <map>
#include <memory>
#include <set>

#include "command.hpp"
#include "html.hpp"
#include "icl/decode/knn.hpp"
#include "report.hpp"

namespace icl_tool {

namespace {

template <class T>
json decodability_typed(const named_array& hidden, const std::vector<int>& labels, const std::string& labels_name,
                        const icl::decode::decode_params& params, progress& prog,
                        const std::vector<std::size_t>* rows) {
  const auto H = hidden.array.view<T, 3>();
  const std::size_t layers = H.extent(0), d = H.extent(2);
  const std::string context = hidden.name + " with " + labels_name;

  std::vector<int> used_labels;
  if (rows != nullptr) {
    for (const std::size_t r : *rows) used_labels.push_back(labels[r]);
  } else {
    used_labels = labels;
  }
  std::vector<T> buffer;
  json overall = json::array();
  std::map<int, json> per_class;
  std::vector<double> curve;
  std::vector<int> classes;
  prog.begin("task decodability", "layer", layers);
  for (std::size_t l = 0; l < layers; ++l) {
    icl::matrix_view<const T> layer = H.matrix(l);
    if (rows != nullptr) {
      buffer.resize(rows->size() * d);
      for (std::size_t i = 0; i < rows->size(); ++i) {
        for (std::size_t j = 0; j < d; ++j) buffer[i * d + j] = layer((*rows)[i], j);
      }
      layer = icl::make_matrix_view(static_cast<const T*>(buffer.data()), rows->size(), d);
    }
    const auto result = with_context(context + " (layer " + std::to_string(l) + ")", [&] {
      return icl::decode::task_decodability(layer, used_labels, params);
    });
    classes = result.classes;
    overall.push_back(number(result.overall));
    curve.push_back(result.overall);
    for (std::size_t c = 0; c < result.classes.size(); ++c) per_class[result.classes[c]].push_back(number(result.per_class[c]));
    prog.step(l + 1);
  }
  json out;
  out["k"] = params.k;
  out["dissimilarity"] = icl::to_string(params.dissimilarity);
  out["metric"] = icl::to_string(params.dissimilarity);  // deprecated name of "dissimilarity"
  out["n"] = used_labels.size();
  out["classes"] = classes;
  out["overall"] = overall;
  json pc = json::object();
  for (auto& entry : per_class) pc[std::to_string(entry.first)] = entry.second;
  out["per_class"] = pc;
  icl::layer_curve lc{curve};
  out["peak_layer"] = lc.peak_layer();
  out["peak_value"] = number(lc.peak_value());
  return out;
}

void check_rows(const named_array& hidden, std::size_t n_labels, const std::string& labels_name) {
  const std::size_t n = hidden.array.shape()[1];
  if (n_labels != n) {
    throw input_error(labels_name + ": has " + std::to_string(n_labels) + " entries but " + hidden.name + " (shape " +
                      shape_string(hidden.array.shape()) + ") holds n = " + std::to_string(n) + " prompts");
  }
}

/// Pairwise decodability per layer (icl::decode::pairwise_decodability): [L][C][C], classes in
/// increasing order, the diagonal null; adds td_pair_<a>_<b> (every pair of classes a < b) to
/// rows[l].
template <class T>
json pairwise_typed(const named_array& hidden, const std::vector<int>& labels, const std::string& labels_name,
                    const icl::decode::decode_params& params, progress& prog, json& rows) {
  const auto H = hidden.array.view<T, 3>();
  const std::size_t layers = H.extent(0);
  json grids = json::array();
  prog.begin("pairwise decodability", "layer", layers);
  for (std::size_t l = 0; l < layers; ++l) {
    const auto result = with_context(hidden.name + " with " + labels_name + " (layer " + std::to_string(l) + ")",
                                     [&] { return icl::decode::pairwise_decodability(H.matrix(l), labels, params); });
    const std::size_t m = result.size();
    json grid = json::array();
    for (std::size_t a = 0; a < m; ++a) {
      json row = json::array();
      for (std::size_t b = 0; b < m; ++b) {
        row.push_back(number(result(a, b)));
        if (a < b) {
          rows[l]["td_pair_" + std::to_string(result.classes[a]) + "_" + std::to_string(result.classes[b])] =
              number(result(a, b));
        }
      }
      grid.push_back(row);
    }
    grids.push_back(grid);
    prog.step(l + 1);
  }
  return grids;
}

}  // namespace

json decodability(const named_array& hidden, const std::vector<int>& labels, const std::string& labels_name,
                  const icl::decode::decode_params& params, progress& prog, const std::vector<std::size_t>* rows) {
  require_float(hidden.array, 3, "hidden states [layers, n, d]");
  check_rows(hidden, labels.size(), labels_name);
  return icl_tool::visit_float(hidden.array, [&](auto tag) {
    return decodability_typed<decltype(tag)>(hidden, labels, labels_name, params, prog, rows);
  });
}

json decodability_by_group(const named_array& hidden, const std::vector<int>& labels, const std::string& labels_name,
                           const std::vector<int>& demonstrations, const icl::decode::decode_params& params,
                           progress& prog) {
  require_float(hidden.array, 3, "hidden states [layers, n, d]");
  check_rows(hidden, labels.size(), labels_name);
  if (demonstrations.size() != labels.size()) {
    throw input_error("demonstrations has " + std::to_string(demonstrations.size()) + " entries but " + labels_name +
                      " has " + std::to_string(labels.size()));
  }
  std::map<int, std::vector<std::size_t>> groups;
  for (std::size_t i = 0; i < demonstrations.size(); ++i) groups[demonstrations[i]].push_back(i);
  json out = json::array();
  for (const auto& [count, rows] : groups) {
    json entry;
    entry["demonstrations"] = count;
    entry["n"] = rows.size();
    std::set<int> distinct;
    for (const std::size_t r : rows) distinct.insert(labels[r]);
    if (distinct.size() < 2) {
      entry["skipped"] = "a single concept among these prompts";
    } else if (rows.size() <= params.k) {
      entry["skipped"] = "only " + std::to_string(rows.size()) + " prompts, need more than k = " + std::to_string(params.k);
    } else {
      const json r = decodability(hidden, labels, labels_name, params, prog, &rows);
      entry["overall"] = r["overall"];
      entry["peak_layer"] = r["peak_layer"];
    }
    out.push_back(entry);
  }
  return out;
}

namespace {

class decode_command : public metric_command {
 public:
  explicit decode_command(CLI::App& app)
      : metric_command(app, "decode", "Task decodability: leave-one-out kNN accuracy of the concepts, per layer") {
    sub_->add_option("hidden", hidden_, "Hidden states [layers, n, d] (e.g. acts.safetensors:hidden)")->required();
    sub_->add_option("--labels,--concepts", labels_, "Concept (task) of each prompt (.npy, tensor reference, JSON list)")
        ->required();
    bound_.add("-k,--neighbors", "k", params_.k, "Number of neighbours")->check(CLI::PositiveNumber);
    bound_.add("--dissimilarity", "dissimilarity", params_.dissimilarity, "Dissimilarity between hidden states");
    bound_.alias("--metric", params_.dissimilarity, "Deprecated name of --dissimilarity", true);
    bound_.add("--block-rows", "block_rows", params_.block_rows,
               "Rows per Gram tile (0: automatic; results do not depend on it)");
    auto* demonstrations = sub_->add_option("--demonstrations", demonstrations_,
                                            "Number of demonstrations of each prompt: one TD curve per number");
    bound_
        .flag("--pairwise", "pairwise", pairwise_, true,
              "Also the decodability of every pair of classes per layer (kNN on the points of the two classes)")
        ->excludes(demonstrations);
    add_output_options();
  }

  int run() override {
    const named_array hidden = hidden_input(hidden_);
    const auto labels = read_int_list(labels_, "", "labels");
    progress prog(common_.quiet);
    json inputs{{"hidden", hidden_}, {"labels", labels_}};
    json params = bound_.params();
    params["metric"] = params["dissimilarity"];  // deprecated name of "dissimilarity"
    json rows = json::array();
    if (demonstrations_.empty()) {
      json r = decodability(hidden, labels, labels_, params_, prog);
      for (std::size_t l = 0; l < r["overall"].size(); ++l) {
        json row{{"layer", l}, {"td", r["overall"][l]}};
        for (auto it = r["per_class"].begin(); it != r["per_class"].end(); ++it) {
          row["td_class_" + it.key()] = it.value()[l];
        }
        rows.push_back(row);
      }
      if (pairwise_) {
        r["pairwise"] = icl_tool::visit_float(hidden.array, [&](auto tag) {
          return pairwise_typed<decltype(tag)>(hidden, labels, labels_, params_, prog, rows);
        });
      }
      return write("decode", inputs, params, r, rows);
    }
    const auto demos = read_int_list(demonstrations_, "", "demonstrations");
    inputs["demonstrations"] = demonstrations_;
    const json groups = decodability_by_group(hidden, labels, labels_, demos, params_, prog);
    for (const auto& g : groups) {
      if (!g.contains("overall")) continue;
      for (std::size_t l = 0; l < g["overall"].size(); ++l) {
        rows.push_back(
            json{{"demonstrations", g["demonstrations"]}, {"layer", l}, {"n", g["n"]}, {"td", g["overall"][l]}});
      }
    }
    return write("decode", inputs, params, json{{"by_demonstrations", groups}}, rows);
  }

 private:
  std::string hidden_, labels_, demonstrations_;
  bool pairwise_ = false;
  icl::decode::decode_params params_;
};

[[maybe_unused]] const bool registered = register_command<decode_command>("decode", 20);

// ---- the report's section: TD per layer of the concepts (and per number of demonstrations) ----

void report_run(const task_data& task, json& out, json& skipped) {
  if (!task.concepts) {
    skipped.push_back("task decodability: no concepts");
    return;
  }
  out["decodability"] = task.reader.run("task decodability", [&] {
    json r = decodability(task.hidden, *task.concepts, task.concepts_name, task.options.decode, task.prog);
    if (task.demonstrations) {
      r["by_demonstrations"] = decodability_by_group(task.hidden, *task.concepts, task.concepts_name,
                                                     *task.demonstrations, task.options.decode, task.prog);
    }
    return r;
  });
}

void report_columns(const json& task, std::vector<layer_column>& columns) {
  if (const json* dec = html::get(task, "decodability")) columns.push_back({"TD", html::to_values((*dec)["overall"])});
}

std::string report_figures(const json& task) {
  const json* dec = html::get(task, "decodability");
  if (dec == nullptr) return {};
  html::line_chart c =
      html::chart("Task decodability per layer",
                  "leave-one-out " + std::to_string((*dec)["k"].get<std::size_t>()) + "-NN accuracy", true);
  c.lines.push_back({"all prompts", html::to_values((*dec)["overall"])});
  if (const json* groups = html::get(*dec, "by_demonstrations")) {
    for (const auto& g : *groups) {
      if (!g.contains("overall")) continue;
      c.lines.push_back(
          {std::to_string(g["demonstrations"].get<int>()) + " demos", html::to_values(g["overall"]), true});
    }
  }
  const std::size_t classes = (*dec)["classes"].size();
  if (classes > 0) c.reference = 1.0 / static_cast<double>(classes);
  const std::string caption = "Leave-one-out kNN accuracy of the concept from the query-position state (k = " +
                              std::to_string((*dec)["k"].get<std::size_t>()) + ", " +
                              (*dec)["dissimilarity"].get<std::string>() + "); peak at layer " +
                              std::to_string((*dec)["peak_layer"].get<std::size_t>()) +
                              ". Dashed: one curve per number of demonstrations. Chance = 1 / number of concepts.";
  return html::figure(html::render(c), caption);
}

std::string report_notes(const json& task) {
  const json* dec = html::get(task, "decodability");
  if (dec == nullptr) return {};
  return "peak TD at layer " + std::to_string((*dec)["peak_layer"].get<std::size_t>()) + " (" +
         format_number((*dec)["peak_value"]) + ")\n";
}

[[maybe_unused]] const bool section_registered = register_report_section(
    {10, report_run, report_columns, report_figures, nullptr,
     {{"TD", {"decodability", "overall"}}},
     {"TD: leave-one-out kNN task decodability"}, report_notes});

}  // namespace

}  // namespace icl_tool
