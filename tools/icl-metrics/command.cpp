#include "command.hpp"

#include <algorithm>

#include "icl/version.hpp"

namespace icl_tool {

namespace {

std::vector<registered_command>& registry() {
  static std::vector<registered_command> commands;
  return commands;
}

}  // namespace

bool register_command(std::string name, int order, command_factory make) {
  registry().push_back(registered_command{std::move(name), order, make});
  return true;
}

std::vector<registered_command> registered_commands() {
  std::vector<registered_command> out = registry();
  std::stable_sort(out.begin(), out.end(),
                   [](const registered_command& a, const registered_command& b) { return a.order < b.order; });
  return out;
}

CLI::Option* option_set::flag(const std::string& flags, const std::string& key, bool& field, bool value,
                              const std::string& help) {
  record(key, field);
  return sub_->add_flag_callback(flags, [&field, value] { field = value; }, help);
}

json option_set::params() const {
  json out = json::object();
  for (const auto& [key, value] : values_) out[key] = value();
  return out;
}

void add_common_options(CLI::App* sub, common_options& c) {
  sub->add_option("-o,--output", c.output.path, "Write the result to FILE instead of standard output");
  sub->add_option("--format", c.output.format, "Output format: json (default) or csv (one row per layer/head)")
      ->check(CLI::IsMember({"json", "csv"}))
      ->capture_default_str();
  sub->add_flag("-q,--quiet", c.quiet, "No progress on standard error");
}

int metric_command::write(const std::string& command, json inputs, json params, json result, json rows) const {
  json out = command_header(command, std::move(inputs), std::move(params));
  out["result"] = std::move(result);
  out["rows"] = std::move(rows);
  write_result(out, common_.output);
  return exit_ok;
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

named_array hidden_input(const std::string& reference, const std::string& what) {
  return named_array{load_float_tensor(reference, "", 3, what), reference};
}

json command_header(const std::string& command, json inputs, json params) {
  json out;
  out["format"] = "icl-metrics-result";
  out["version"] = 1;
  out["program_version"] = ICL_VERSION_STRING;
  out["command"] = command;
  out["inputs"] = std::move(inputs);
  out["params"] = std::move(params);
  return out;
}

}  // namespace icl_tool
