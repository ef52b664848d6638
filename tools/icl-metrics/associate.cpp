// Behaviour against a metric across layers or conditions (icl::stats::behaviour_association):
// Pearson and Spearman r, R², a permutation p-value and a bootstrap interval; the `associate`
// subcommand. Each side is a list of numbers: a 1-D tensor, inline JSON, a .json file holding
// an array, or an array inside a JSON document addressed as FILE.json:KEY — a dotted key
// (`result.overall`, `tasks.regression.rsa.delta`: an array is indexed by number or by the
// `name` of its element) or a JSON pointer (`/result/overall`). null entries (undefined values
// of a curve) are NaN, handled by --nan.
#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <memory>
#include <utility>

#include "command.hpp"
#include "head_inputs.hpp"
#include "icl/core/association.hpp"
#include "inference_options.hpp"

namespace icl_tool {

namespace {

/// The element of `doc` at a dotted key or a JSON pointer; `where` names the file in errors.
const json& json_at(const json& doc, const std::string& key, const std::string& where) {
  if (!key.empty() && key[0] == '/') {
    try {
      return doc.at(json::json_pointer(key));
    } catch (const json::exception& e) {
      throw input_error(where + ": no value at JSON pointer '" + key + "' (" + e.what() + ")");
    }
  }
  const json* node = &doc;
  std::string path;
  std::size_t start = 0;
  while (start <= key.size()) {
    const std::size_t end = std::min(key.find('.', start), key.size());
    const std::string segment = key.substr(start, end - start);
    const std::string at = path.empty() ? std::string("the top level") : "'" + path + "'";
    const json* next = nullptr;
    if (node->is_object() && node->contains(segment)) {
      next = &(*node)[segment];
    } else if (node->is_array()) {
      const bool index = !segment.empty() && segment.find_first_not_of("0123456789") == std::string::npos;
      for (std::size_t i = 0; i < node->size() && next == nullptr; ++i) {
        const json& element = (*node)[i];
        if (index ? std::to_string(i) == segment
                  : element.is_object() && element.contains("name") && element["name"] == segment) {
          next = &element;
        }
      }
    }
    if (next == nullptr) throw input_error(where + ": no key '" + segment + "' at " + at + " of '" + key + "'");
    node = next;
    path += (path.empty() ? "" : ".") + segment;
    start = end + 1;
  }
  return *node;
}

/// Numbers of a JSON array, null as NaN.
std::vector<double> numbers_of(const json& value, const std::string& where) {
  if (!value.is_array()) throw input_error(where + ": expected an array of numbers, got " + value.type_name());
  std::vector<double> out;
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (value[i].is_null()) {
      out.push_back(std::numeric_limits<double>::quiet_NaN());
    } else if (value[i].is_number()) {
      out.push_back(value[i].get<double>());
    } else {
      throw input_error(where + ": entry " + std::to_string(i) + " (" + value[i].dump() + ") is not a number");
    }
  }
  return out;
}

/// The values named by `spec` (see the top of this file).
std::vector<double> read_values(const std::string& spec, const std::string& what) {
  if (spec.find_first_not_of(" \t") != spec.find('[')) {
    if (const auto field = read_json_field(spec, what)) {
      return numbers_of(json_at(field->document, field->key, field->path), spec);
    }
  }
  return read_double_list(spec, "", what);
}

constexpr std::array<std::pair<icl::nan_policy, const char*>, 3> nan_names{
    {{icl::nan_policy::raise, "raise"}, {icl::nan_policy::propagate, "propagate"}, {icl::nan_policy::omit, "omit"}}};

class associate_command : public metric_command {
 public:
  explicit associate_command(CLI::App& app)
      : metric_command(app, "associate",
                       "Behaviour against a metric across layers or conditions: Pearson and Spearman r, R^2, "
                       "permutation p-value, bootstrap interval") {
    sub_->add_option("--metric", metric_,
                     "Metric per layer or condition: 1-D tensor, JSON list, .json file, or FILE.json:KEY "
                     "(dotted key or JSON pointer into a result or results.json)")
        ->required();
    sub_->add_option("--behaviour,--behavior", behaviour_,
                     "Behaviour (e.g. accuracy) per layer or condition, in the same forms as --metric")
        ->required();
    bound_.add("--statistic", "statistic", params_.statistic,
               "Correlation of the permutation test, the analytic p-value and the bootstrap interval");
    add_inference_options(bound_, params_, "the behaviour", "pairs");
    std::vector<std::string> names;
    for (const auto& entry : nan_names) names.emplace_back(entry.second);
    bound_.add("--nan", "nan", nan_, "NaN/Inf and null entries: raise, propagate, omit (drop the pair)")
        ->check(CLI::IsMember(names));
    add_output_options();
  }

  int run() override {
    for (const auto& entry : nan_names) {
      if (nan_ == entry.second) params_.nan = entry.first;
    }
    const std::vector<double> x = read_values(metric_, "metric");
    const std::vector<double> y = read_values(behaviour_, "behaviour");
    const icl::stats::association_result a = with_context("metric " + metric_ + " (x) and behaviour " + behaviour_ + " (y)", [&] {
      return icl::stats::behaviour_association(x, y, params_);
    });
    json result;
    result["n"] = a.n;
    result["correlation"] = icl::to_string(params_.statistic);
    result["alternative"] = icl::to_string(params_.alt);
    const std::pair<const char*, double> values[] = {
        {"pearson_r", a.pearson_r}, {"spearman_r", a.spearman_r},   {"r_squared", a.r_squared},
        {"slope", a.slope},         {"intercept", a.intercept},     {"statistic", a.statistic},
        {"analytic_p_value", a.analytic_p_value}, {"p_value", a.p_value}, {"ci_low", a.ci_low},
        {"ci_high", a.ci_high},     {"standard_error", a.standard_error}};
    json row;
    for (const auto& [key, value] : values) result[key] = row[key] = number(value);
    result["permutations"] = a.permutations;
    result["bootstrap_samples"] = a.bootstrap_samples;
    result["bootstrap_skipped"] = a.bootstrap_skipped;
    result["confidence"] = params_.confidence;
    result["seed"] = params_.seed;
    result["metric"] = numbers(x);
    result["behaviour"] = numbers(y);
    row["n"] = a.n;
    return write("associate", json{{"metric", metric_}, {"behaviour", behaviour_}}, result, json::array({row}));
  }

 private:
  std::string metric_, behaviour_, nan_ = "raise";
  icl::stats::association_params params_;
};

[[maybe_unused]] const bool registered = register_command<associate_command>("associate", 60);

}  // namespace

}  // namespace icl_tool
