// Cross-validated probes per layer: logistic (classes) and ridge (continuous targets).
#include "families.hpp"
#include "icl/probe/cross_validation.hpp"

namespace icl_tool {

namespace {

json fold_scores(const icl::probe::cv_result& r) { return numbers(r.fold_scores); }

bool all_converged(const icl::probe::cv_result& r) {
  for (const auto& report : r.fold_reports) {
    if (!report.converged) return false;
  }
  return true;
}

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
  icl::probe::logistic_params params;
  params.C = options.C;
  params.max_iter = options.max_iter;
  icl::probe::cv_params cv;
  cv.folds = options.folds;
  cv.seed = options.seed;
  auto tracker = with_context(context, [&] { return icl::probe::logistic_curve_tracker(labels, params, cv); });
  std::optional<icl::probe::logistic_curve_tracker> control;
  if (options.selectivity) {
    const std::vector<int> control_labels = icl::probe::control_labels(labels, options.seed + 1);
    control.emplace(with_context(context + " (control task)",
                                 [&] { return icl::probe::logistic_curve_tracker(control_labels, params, cv); }));
  }
  json mean = json::array(), sd = json::array(), folds = json::array(), converged = json::array();
  json control_mean = json::array(), selectivity = json::array();
  prog.begin("logistic probe", "layer", layers);
  for (std::size_t l = 0; l < layers; ++l) {
    const std::string where = context + " (layer " + std::to_string(l) + ")";
    with_context(where, [&] { return tracker.add_layer(H.matrix(l)); });
    const auto& r = tracker.results().back();
    mean.push_back(number(r.mean));
    sd.push_back(number(r.std));
    folds.push_back(fold_scores(r));
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
  out["C"] = options.C;
  out["max_iter"] = options.max_iter;
  out["folds"] = options.folds;
  out["seed"] = options.seed;
  out["mean"] = mean;
  out["std"] = sd;
  out["fold_scores"] = folds;
  out["converged"] = converged;
  if (control) {
    out["control_seed"] = options.seed + 1;
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
  icl::probe::ridge_params params;
  params.alpha = options.alpha;
  icl::probe::cv_params cv;
  cv.folds = options.folds;
  cv.seed = options.seed;
  auto tracker = with_context(context, [&] { return icl::probe::ridge_curve_tracker(targets, params, cv); });
  json mean = json::array(), sd = json::array(), folds = json::array();
  prog.begin("ridge probe", "layer", layers);
  for (std::size_t l = 0; l < layers; ++l) {
    with_context(context + " (layer " + std::to_string(l) + ")", [&] { return tracker.add_layer(H.matrix(l)); });
    const auto& r = tracker.results().back();
    mean.push_back(number(r.mean));
    sd.push_back(number(r.std));
    folds.push_back(fold_scores(r));
    prog.step(l + 1);
  }
  json out;
  out["probe"] = "ridge";
  out["alpha"] = options.alpha;
  out["folds"] = options.folds;
  out["seed"] = options.seed;
  out["mean"] = mean;
  out["std"] = sd;
  out["fold_scores"] = folds;
  out["peak_layer"] = tracker.curve().peak_layer();
  return out;
}

}  // namespace

json logistic_probe(const named_array& hidden, const std::vector<int>& labels, const std::string& labels_name,
                    const probe_options& options, progress& prog) {
  check_rows(hidden, labels.size(), labels_name);
  return visit_float(hidden.array, [&](auto tag) {
    return logistic_typed<decltype(tag)>(hidden, labels, labels_name, options, prog);
  });
}

json ridge_probe(const named_array& hidden, const std::vector<double>& targets, const std::string& targets_name,
                 const probe_options& options, progress& prog) {
  check_rows(hidden, targets.size(), targets_name);
  return visit_float(hidden.array, [&](auto tag) {
    return ridge_typed<decltype(tag)>(hidden, targets, targets_name, options, prog);
  });
}

}  // namespace icl_tool
