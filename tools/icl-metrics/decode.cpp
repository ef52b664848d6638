// Task decodability (leave-one-out kNN) per layer, for the whole set and per number of
// demonstrations.
#include <map>
#include <set>

#include "families.hpp"

namespace icl_tool {

namespace {

template <class T>
json decodability_typed(const named_array& hidden, const std::vector<int>& labels, const std::string& labels_name,
                        const decode_options& options, progress& prog, const std::vector<std::size_t>* rows) {
  const auto H = hidden.array.view<T, 3>();
  const std::size_t layers = H.extent(0), d = H.extent(2);
  icl::decode::decode_params params;
  params.k = options.k;
  params.metric = options.metric;
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
  out["k"] = options.k;
  out["metric"] = icl::decode::to_string(options.metric);
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

}  // namespace

json decodability(const named_array& hidden, const std::vector<int>& labels, const std::string& labels_name,
                  const decode_options& options, progress& prog, const std::vector<std::size_t>* rows) {
  require_float(hidden.array, 3, "hidden states [layers, n, d]");
  check_rows(hidden, labels.size(), labels_name);
  return visit_float(hidden.array, [&](auto tag) {
    return decodability_typed<decltype(tag)>(hidden, labels, labels_name, options, prog, rows);
  });
}

json decodability_by_group(const named_array& hidden, const std::vector<int>& labels, const std::string& labels_name,
                           const std::vector<int>& demonstrations, const decode_options& options, progress& prog) {
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
    } else if (rows.size() <= options.k) {
      entry["skipped"] = "only " + std::to_string(rows.size()) + " prompts, need more than k = " + std::to_string(options.k);
    } else {
      const json r = decodability(hidden, labels, labels_name, options, prog, &rows);
      entry["overall"] = r["overall"];
      entry["peak_layer"] = r["peak_layer"];
    }
    out.push_back(entry);
  }
  return out;
}

json curve_rows(const json& curves, const std::vector<std::string>& keys, std::size_t layers) {
  json rows = json::array();
  for (std::size_t l = 0; l < layers; ++l) {
    json row;
    row["layer"] = l;
    for (const auto& key : keys) {
      if (curves.contains(key) && curves[key].is_array() && l < curves[key].size()) row[key] = curves[key][l];
    }
    rows.push_back(row);
  }
  return rows;
}

}  // namespace icl_tool
