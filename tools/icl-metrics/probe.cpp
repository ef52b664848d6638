// Cross-validated probes per layer: logistic (classes) and ridge (continuous targets); the
// `probe` subcommand and the report's section.
#include <algorithm>
#include <map>
#include <memory>
#include <optional>

#include "command.hpp"
#include "html.hpp"
#include "icl/probe/cross_validation.hpp"
#include "report.hpp"

namespace icl_tool {

namespace {

json fold_scores(const icl::probe::cv_result& r) { return numbers(r.fold_scores); }

bool all_converged(const icl::probe::cv_result& r) {
  for (const auto& report : r.fold_reports) {
    if (!report.converged) return false;
  }
  return true;
}

// The per-layer columns both probes report: the mean score, its standard deviation and the
// fold scores.
struct cv_columns {
  json mean = json::array(), sd = json::array(), folds = json::array();

  void add(const icl::probe::cv_result& r) {
    mean.push_back(number(r.mean));
    sd.push_back(number(r.std));
    folds.push_back(fold_scores(r));
  }
  // Writes folds, seed, mean, std and fold_scores, in this order.
  void write(json& out, const icl::probe::cv_params& cv) const {
    out["folds"] = cv.folds;
    out["seed"] = cv.seed;
    out["mean"] = mean;
    out["std"] = sd;
    out["fold_scores"] = folds;
  }
};

void check_rows(const named_array& hidden, std::size_t n, const std::string& name) {
  require_float(hidden.array, 3, "hidden states [layers, n, d]");
  if (hidden.array.shape()[1] != n) {
    throw input_error(name + ": has " + std::to_string(n) + " entries but " + hidden.name + " (shape " +
                      shape_string(hidden.array.shape()) + ") holds n = " + std::to_string(hidden.array.shape()[1]) +
                      " prompts");
  }
}

template <class T>
json logistic_typed(const named_array& hidden, const std::vector<int>& labels, const std::string& labels_name,
                    const probe_options& options, progress& prog) {
  const auto H = hidden.array.view<T, 3>();
  const std::size_t layers = H.extent(0);
  const std::string context = hidden.name + " with " + labels_name;
  const icl::probe::logistic_params& params = options.logistic;
  const icl::probe::cv_params& cv = options.cv;
  auto tracker = with_context(context, [&] { return icl::probe::logistic_curve_tracker(labels, params, cv); });
  std::optional<icl::probe::logistic_curve_tracker> control;
  if (options.selectivity) {
    const std::vector<int> control_labels = icl::probe::control_labels(labels, cv.seed + 1);
    control.emplace(with_context(context + " (control task)",
                                 [&] { return icl::probe::logistic_curve_tracker(control_labels, params, cv); }));
  }
  cv_columns columns;
  json converged = json::array();
  json control_mean = json::array(), selectivity = json::array();
  prog.begin("logistic probe", "layer", layers);
  for (std::size_t l = 0; l < layers; ++l) {
    const std::string where = context + " (layer " + std::to_string(l) + ")";
    with_context(where, [&] { return tracker.add_layer(H.matrix(l)); });
    const auto& r = tracker.results().back();
    columns.add(r);
    converged.push_back(all_converged(r));
    if (control) {
      const double c = with_context(where, [&] { return control->add_layer(H.matrix(l)); });
      control_mean.push_back(number(c));
      selectivity.push_back(number(r.mean - c));
    }
    prog.step(l + 1);
  }
  json out;
  out["probe"] = "logistic";
  out["C"] = params.C;
  out["max_iter"] = params.max_iter;
  columns.write(out, cv);
  out["converged"] = converged;
  if (control) {
    out["control_seed"] = cv.seed + 1;
    out["control_mean"] = control_mean;
    out["selectivity"] = selectivity;
  }
  out["peak_layer"] = tracker.curve().peak_layer();
  return out;
}

template <class T>
json ridge_typed(const named_array& hidden, const std::vector<double>& targets, const std::string& targets_name,
                 const probe_options& options, progress& prog) {
  const auto H = hidden.array.view<T, 3>();
  const std::size_t layers = H.extent(0);
  const std::string context = hidden.name + " with " + targets_name;
  const icl::probe::ridge_params& params = options.ridge;
  const icl::probe::cv_params& cv = options.cv;
  auto tracker = with_context(context, [&] { return icl::probe::ridge_curve_tracker(targets, params, cv); });
  cv_columns columns;
  prog.begin("ridge probe", "layer", layers);
  for (std::size_t l = 0; l < layers; ++l) {
    with_context(context + " (layer " + std::to_string(l) + ")", [&] { return tracker.add_layer(H.matrix(l)); });
    columns.add(tracker.results().back());
    prog.step(l + 1);
  }
  json out;
  out["probe"] = "ridge";
  out["alpha"] = params.alpha;
  columns.write(out, cv);
  out["peak_layer"] = tracker.curve().peak_layer();
  return out;
}

}  // namespace

json logistic_probe(const named_array& hidden, const std::vector<int>& labels, const std::string& labels_name,
                    const probe_options& options, progress& prog) {
  check_rows(hidden, labels.size(), labels_name);
  return icl_tool::visit_float(hidden.array, [&](auto tag) {
    return logistic_typed<decltype(tag)>(hidden, labels, labels_name, options, prog);
  });
}

json ridge_probe(const named_array& hidden, const std::vector<double>& targets, const std::string& targets_name,
                 const probe_options& options, progress& prog) {
  check_rows(hidden, targets.size(), targets_name);
  return icl_tool::visit_float(hidden.array, [&](auto tag) {
    return ridge_typed<decltype(tag)>(hidden, targets, targets_name, options, prog);
  });
}

namespace {

class probe_command : public metric_command {
 public:
  explicit probe_command(CLI::App& app)
      : metric_command(app, "probe", "Cross-validated probes per layer: logistic (classes) or ridge (targets)") {
    sub_->add_option("hidden", hidden_, "Hidden states [layers, n, d]")->required();
    auto* labels = sub_->add_option("--labels", labels_, "Class of each prompt: logistic probe, accuracy");
    auto* targets = sub_->add_option("--targets", targets_, "Continuous target of each prompt: ridge probe, R^2");
    labels->excludes(targets);
    bound_.add("--folds", "folds", options_.cv.folds, "Cross-validation folds (stratified for classes)")
        ->check(CLI::Range(std::size_t{2}, std::size_t{1000000}));
    bound_.add("--seed", "seed", options_.cv.seed, "Seed of the fold shuffles");
    bound_.add("-C,--C", "C", options_.logistic.C, "Inverse L2 penalty of the logistic probe (scikit-learn's C)")
        ->check(CLI::PositiveNumber);
    bound_.add("--max-iter", "max_iter", options_.logistic.max_iter, "L-BFGS iterations of the logistic probe")
        ->check(CLI::PositiveNumber);
    bound_.flag("--selectivity", "selectivity", options_.selectivity, true,
                "Also fit a control task (labels permuted, seed + 1) and report accuracy - control accuracy");
    bound_.add("--alpha", "alpha", options_.ridge.alpha, "Penalty of the ridge probe")->check(CLI::PositiveNumber);
    add_output_options();
  }

  int run() override {
    if (labels_.empty() && targets_.empty()) throw usage_error("probe: give --labels (logistic) or --targets (ridge)");
    const named_array hidden = hidden_input(hidden_);
    progress prog(common_.quiet);
    json r;
    json inputs{{"hidden", hidden_}};
    json params = bound_.params();
    if (!labels_.empty()) {
      inputs["labels"] = labels_;
      params.erase("alpha");
      r = logistic_probe(hidden, read_int_list(labels_, "", "labels"), labels_, options_, prog);
    } else {
      inputs["targets"] = targets_;
      for (const char* logistic_only : {"C", "max_iter", "selectivity"}) params.erase(logistic_only);
      r = ridge_probe(hidden, read_double_list(targets_, "", "targets"), targets_, options_, prog);
    }
    json rows = curve_rows(r, {"mean", "std", "converged", "control_mean", "selectivity"}, layer_count(hidden));
    for (std::size_t l = 0; l < rows.size(); ++l) {
      const auto& folds = r["fold_scores"][l];
      for (std::size_t f = 0; f < folds.size(); ++f) rows[l]["fold_" + std::to_string(f)] = folds[f];
    }
    return write("probe", inputs, params, r, rows);
  }

 private:
  std::string hidden_, labels_, targets_;
  probe_options options_;
};

[[maybe_unused]] const bool registered = register_command<probe_command>("probe", 30);

// ---- the report's section: a 5-fold logistic probe of the concept -----------------------------

void report_run(const task_data& task, json& out, json& skipped) {
  if (!task.concepts) {
    skipped.push_back("probe: no concepts");
    return;
  }
  // Run only when every concept has a prompt in every fold.
  std::map<int, std::size_t> counts;
  for (const int c : *task.concepts) ++counts[c];
  std::size_t smallest = task.n;
  for (const auto& entry : counts) smallest = std::min(smallest, entry.second);
  probe_options options;
  options.cv.seed = task.options.seed;
  if (counts.size() < 2 || smallest < options.cv.folds) {
    skipped.push_back("probe: a concept has fewer than " + std::to_string(options.cv.folds) + " prompts");
    return;
  }
  out["probe"] = task.reader.run("logistic probe", [&] {
    return logistic_probe(task.hidden, *task.concepts, task.concepts_name, options, task.prog);
  });
}

void report_columns(const json& task, std::vector<layer_column>& columns) {
  if (const json* probe = html::get(task, "probe"))
    columns.push_back({"probe acc.", html::to_values((*probe)["mean"])});
}

std::string report_figures(const json& task) {
  const json* probe = html::get(task, "probe");
  if (probe == nullptr) return {};
  html::line_chart c = html::chart("Logistic probe of the concept", "cross-validated accuracy", true);
  c.lines.push_back({"mean over folds", html::to_values((*probe)["mean"])});
  const json* dec = html::get(task, "decodability");  // the number of concepts, for chance
  if (dec != nullptr && !(*dec)["classes"].empty()) c.reference = 1.0 / static_cast<double>((*dec)["classes"].size());
  return html::figure(html::render(c), std::to_string((*probe)["folds"].get<std::size_t>()) +
                                           "-fold stratified cross-validated accuracy of an L2 logistic probe (C = " +
                                           html::num((*probe)["C"].get<double>(), 2) + ").");
}

[[maybe_unused]] const bool section_registered = register_report_section(
    {30, report_run, report_columns, report_figures, nullptr,
     {{"probe", {"probe", "mean"}}},
     {"probe: 5-fold logistic probe accuracy"}, nullptr});

}  // namespace

}  // namespace icl_tool
