// The report subcommand: manifest -> every registered family's section -> results.json,
// report.html, summary table; and the registry of the sections (report.hpp).
#include "report.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <set>
#include <stdexcept>

#include "command.hpp"
#include "icl/version.hpp"

namespace icl_tool {

namespace {

/// The value at a dotted key ("hidden.icl"): nested objects, or the dotted name itself as a key.
const json* find_key(const json& task, const std::string& dotted) {
  if (task.contains(dotted)) return &task[dotted];
  const json* node = &task;
  std::size_t start = 0;
  while (start <= dotted.size()) {
    const std::size_t dot = dotted.find('.', start);
    const std::string part = dotted.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (!node->is_object() || !node->contains(part)) return nullptr;
    node = &(*node)[part];
    if (dot == std::string::npos) return node;
    start = dot + 1;
  }
  return nullptr;
}

}  // namespace

bool task_reader::has(const std::string& key) const {
  const json* v = find_key(task_, key);
  return v != nullptr && !v->is_null();
}

const json& task_reader::value(const std::string& key) const { return *find_key(task_, key); }

std::string task_reader::name_or(const std::string& key, const std::string& otherwise) const {
  return has(key) && value(key).is_string() ? value(key).get<std::string>() : otherwise;
}

void task_reader::fail(const std::string& key, const std::string& what) const {
  throw input_error(context_ + ": " + key + ": " + what);
}

std::string task_reader::reference(const std::string& key) const {
  const json& v = value(key);
  if (!v.is_string()) fail(key, "expected a tensor reference (a string), got " + v.dump());
  return v.get<std::string>();
}

named_array task_reader::float_tensor(const std::string& key, std::size_t rank, const std::string& what) const {
  const std::string ref = reference(key);
  return wrap(key, [&] { return named_array{load_float_tensor(ref, base_, rank, what), ref}; });
}

named_array task_reader::tensor(const std::string& key) const {
  const std::string ref = reference(key);
  return wrap(key, [&] { return named_array{load_tensor(ref, base_), ref}; });
}

std::vector<int> task_reader::ints(const std::string& key) const {
  const json& v = value(key);
  return wrap(key, [&] {
    if (v.is_array()) return int_list_from_json(v, key);
    return read_int_list(v.get<std::string>(), base_, key);
  });
}

position_lists task_reader::positions(const std::string& key) const {
  return wrap(key, [&] { return positions_from_json(value(key), base_, key); });
}

std::vector<std::vector<int>> task_reader::int_rows(const std::string& key) const {
  return wrap(key, [&] { return read_int_rows(value(key), base_, key); });
}

std::vector<double> task_reader::doubles(const std::string& key) const {
  const json& v = value(key);
  return wrap(key, [&] {
    if (v.is_array()) return read_double_list(v.dump(), base_, key);
    return read_double_list(v.get<std::string>(), base_, key);
  });
}

double task_reader::number(const std::string& key) const {
  const json& v = value(key);
  if (!v.is_number()) fail(key, "expected a number, got " + v.dump());
  return v.get<double>();
}

namespace {

std::vector<report_section>& section_registry() {
  static std::vector<report_section> sections;
  return sections;
}

void check_count(const task_reader& t, const std::string& key, std::size_t got, std::size_t n, const std::string& hidden) {
  if (got != n) {
    t.fail(key, "has " + std::to_string(got) + " entries but hidden.icl (" + hidden + ") holds n = " + std::to_string(n) +
                    " prompts");
  }
}

json run_task(const json& task, std::size_t index, const std::string& base_dir, const report_options& options,
              progress& prog, std::set<std::string>& names) {
  if (!task.is_object()) throw input_error("manifest.json: tasks[" + std::to_string(index) + "] is not an object");
  if (!task.contains("name") || !task["name"].is_string() || task["name"].get<std::string>().empty()) {
    throw input_error("manifest.json: tasks[" + std::to_string(index) + "]: name: missing (a non-empty string is required)");
  }
  const std::string name = task["name"].get<std::string>();
  const std::string context = "manifest.json: tasks[" + std::to_string(index) + "] ('" + name + "')";
  if (!names.insert(name).second) throw input_error(context + ": name: '" + name + "' is used by another task");
  const task_reader t(task, context, base_dir);

  // hidden: {"icl": ref, "no_icl": ref} or a single reference.
  std::string icl_key = "hidden.icl";
  if (t.has("hidden") && t.value("hidden").is_string()) icl_key = "hidden";
  if (!t.has(icl_key)) t.fail("hidden.icl", "missing (hidden states [layers, n, d] are required)");
  const named_array hidden = t.float_tensor(icl_key, 3, "hidden states [layers, n, d]");
  const std::size_t layers = hidden.array.shape()[0], n = hidden.array.shape()[1];
  std::optional<named_array> no_icl;
  if (t.has("hidden.no_icl")) {
    no_icl = t.float_tensor("hidden.no_icl", 3, "hidden states without demonstrations [layers, n, d]");
    if (no_icl->array.shape()[0] != layers || no_icl->array.shape()[1] != n) {
      t.fail("hidden.no_icl", no_icl->name + " has shape " + shape_string(no_icl->array.shape()) +
                                  " but hidden.icl has " + shape_string(hidden.array.shape()) +
                                  " (the same layers and prompts are expected)");
    }
  }

  json out;
  out["name"] = name;
  out["description"] = task.value("description", "");
  out["hidden"] = hidden.name;
  out["dtype"] = icl::io::dtype_name(hidden.array.type());
  out["layers"] = layers;
  out["n"] = n;
  out["d"] = hidden.array.shape()[2];

  task_data data{t, hidden, no_icl ? &*no_icl : nullptr, layers, n, {}, {}, {}, "", "", options, prog};
  const auto per_prompt = [&](const char* key, std::optional<std::vector<int>>& into) {
    if (!t.has(key)) return;
    into = t.ints(key);
    check_count(t, key, into->size(), n, hidden.name);
  };
  per_prompt("concepts", data.concepts);
  per_prompt("labels", data.labels);
  per_prompt("demonstrations", data.demonstrations);
  data.concepts_name = t.name_or("concepts", "concepts");
  data.labels_name = t.name_or("labels", "labels");

  json skipped = json::array();
  for (const report_section& section : report_sections()) section.run(data, out, skipped);
  out["skipped"] = skipped;
  return out;
}

/// Text broken into lines of at most `width` characters at spaces.
std::string wrap_words(const std::string& text, std::size_t width) {
  std::string out, line;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find(' ', start);
    if (end == std::string::npos) end = text.size();
    const std::string word = text.substr(start, end - start);
    if (!line.empty() && line.size() + 1 + word.size() > width) {
      out += line + "\n";
      line.clear();
    }
    line += (line.empty() ? "" : " ") + word;
    start = end + 1;
  }
  return out + line;
}

const json* at_path(const json& j, const std::vector<std::string>& path) {
  const json* node = &j;
  for (const std::string& key : path) {
    if (!node->is_object() || !node->contains(key)) return nullptr;
    node = &(*node)[key];
  }
  return node;
}

}  // namespace

std::string format_number(const json& v, const char* format) {
  if (!v.is_number()) return "-";
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, format, v.get<double>());
  std::string out = buffer;
  if (out[0] == '-' && out.find_first_not_of("-0.") == std::string::npos) out.erase(0, 1);  // "-0.000" -> "0.000"
  return out;
}

bool register_report_section(report_section section) {
  if (section.run == nullptr) throw std::logic_error("register_report_section: a section needs its run function");
  auto& sections = section_registry();
  const auto place = std::upper_bound(sections.begin(), sections.end(), section.order,
                                      [](int order, const report_section& s) { return order < s.order; });
  sections.insert(place, std::move(section));
  return true;
}

const std::vector<report_section>& report_sections() { return section_registry(); }

json run_manifest(const json& manifest, const std::string& base_dir, const report_options& options, progress& prog) {
  if (!manifest.is_object()) throw input_error("manifest.json: the top level must be an object");
  if (manifest.value("format", "") != "icl-metrics-manifest") {
    throw input_error("manifest.json: format: expected \"icl-metrics-manifest\", got " +
                      (manifest.contains("format") ? manifest["format"].dump() : std::string("nothing")));
  }
  if (!manifest.contains("version") || manifest["version"] != 1) {
    throw input_error("manifest.json: version: expected 1, got " +
                      (manifest.contains("version") ? manifest["version"].dump() : std::string("nothing")));
  }
  if (!manifest.contains("tasks") || !manifest["tasks"].is_array() || manifest["tasks"].empty()) {
    throw input_error("manifest.json: tasks: expected a non-empty array of tasks");
  }
  json results;
  results["format"] = "icl-metrics-results";
  results["version"] = 1;
  results["program_version"] = ICL_VERSION_STRING;
  results["title"] = manifest.value("title", "icl-metrics report");
  results["description"] = manifest.value("description", "");
  results["model"] = manifest.contains("model") ? manifest["model"] : json::object();
  json opts;
  const std::string dissimilarity(icl::to_string(options.decode.dissimilarity));
  opts["decodability"] = json{{"k", options.decode.k}, {"dissimilarity", dissimilarity}, {"metric", dissimilarity}};
  opts["rsa"] = json{{"dissimilarity", icl::to_string(options.rsa.alignment.dissimilarity)},
                     {"comparison", icl::to_string(options.rsa.alignment.comparison)},
                     {"permutations", options.rsa.permutation.permutations}};
  opts["seed"] = options.seed;
  opts["top_fraction"] = options.top_fraction;
  results["options"] = opts;
  json tasks = json::array();
  std::set<std::string> names;
  for (std::size_t i = 0; i < manifest["tasks"].size(); ++i) {
    const json& task = manifest["tasks"][i];
    prog.note("task " + std::to_string(i + 1) + " of " + std::to_string(manifest["tasks"].size()) +
              (task.is_object() && task.contains("name") && task["name"].is_string()
                   ? " ('" + task["name"].get<std::string>() + "')"
                   : std::string()));
    tasks.push_back(run_task(manifest["tasks"][i], i, base_dir, options, prog, names));
  }
  results["tasks"] = tasks;
  return results;
}

std::string summary_table(const json& results) {
  std::vector<const summary_column*> columns;
  std::string legend;
  for (const report_section& section : report_sections()) {
    for (const summary_column& c : section.summary) columns.push_back(&c);
    for (const std::string& l : section.legend) legend += (legend.empty() ? "" : "; ") + l;
  }
  std::string out;
  char line[512];
  for (const auto& task : results["tasks"]) {
    std::snprintf(line, sizeof line, "\nTask '%s': n = %zu prompts, %zu layers, d = %zu (%s)\n",
                  task["name"].get<std::string>().c_str(), task["n"].get<std::size_t>(),
                  task["layers"].get<std::size_t>(), task["d"].get<std::size_t>(), task["dtype"].get<std::string>().c_str());
    out += line;
    std::snprintf(line, sizeof line, "%5s", "layer");
    out += line;
    for (const summary_column* c : columns) {
      std::snprintf(line, sizeof line, "  %8s", c->header.c_str());
      out += line;
    }
    out += '\n';
    const std::size_t layers = task["layers"].get<std::size_t>();
    for (std::size_t l = 0; l < layers; ++l) {
      std::snprintf(line, sizeof line, "%5zu", l);
      out += line;
      for (const summary_column* c : columns) {
        const json* v = at_path(task, c->path);
        std::snprintf(line, sizeof line, "  %8s",
                      (v != nullptr && v->is_array() && l < v->size() ? format_number((*v)[l]) : std::string("-")).c_str());
        out += line;
      }
      out += '\n';
    }
    for (const report_section& section : report_sections()) {
      if (section.summary_notes != nullptr) out += section.summary_notes(task);
    }
  }
  out += "\n" + wrap_words(legend + ".", 118) + "\n";
  return out;
}

int run_report(const report_options& options) {
  namespace fs = std::filesystem;
  const fs::path dir(options.dir);
  const fs::path manifest_path = dir / "manifest.json";
  std::ifstream in(manifest_path);
  if (!in) throw input_error(manifest_path.string() + ": cannot open (report DIR needs DIR/manifest.json)");
  json manifest;
  try {
    manifest = json::parse(in);
  } catch (const json::exception& e) {
    throw input_error(manifest_path.string() + ": not valid JSON (" + e.what() + ")");
  }
  progress prog(options.quiet);
  json results;
  try {
    results = run_manifest(manifest, dir.string(), options, prog);
  } catch (const input_error& e) {
    std::string what = e.what();
    if (what.rfind("manifest.json", 0) == 0) what = manifest_path.string() + what.substr(std::string("manifest.json").size());
    throw input_error(what);
  }
  const fs::path out_dir = options.out.empty() ? dir : fs::path(options.out);
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) throw icl::error("cannot create the output directory " + out_dir.string() + ": " + ec.message());
  write_file((out_dir / "results.json").string(), results.dump(2) + "\n");
  std::cout << summary_table(results);
  std::cout << "\nresults: " << (out_dir / "results.json").string() << '\n';
  if (!options.no_html) {
    write_file((out_dir / "report.html").string(), render_html(results));
    std::cout << "report:  " << (out_dir / "report.html").string() << '\n';
  }
  return exit_ok;
}

namespace {

class report_command : public command {
 public:
  explicit report_command(CLI::App& app) {
    auto* sub = app.add_subcommand(
        "report", "Run every metric DIR/manifest.json allows; write results.json and report.html");
    sub->add_option("dir", options_.dir, "Directory holding manifest.json (see docs/manifest.md)")->required();
    sub->add_option("--out", options_.out, "Output directory (default: DIR); created if missing");
    sub->add_option("-k,--neighbors", options_.decode.k, "Neighbours of task decodability")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    sub->add_option("--permutations", options_.rsa.permutation.permutations,
                    "Permutation test of the RSA alignment per layer (0: none)")
        ->capture_default_str();
    sub->add_option("--seed", options_.seed, "Seed of the probes' splits and of the permutations")->capture_default_str();
    sub->add_option("--top-fraction", options_.top_fraction, "Fraction of heads listed as top heads")
        ->check(CLI::Range(0.0, 1.0))
        ->capture_default_str();
    sub->add_flag("--no-html", options_.no_html, "Write results.json only");
    sub->add_flag("-q,--quiet", options_.quiet, "No progress on standard error");
  }

  int run() override {
    options_.rsa.permutation.seed = options_.seed;
    return run_report(options_);
  }

 private:
  report_options options_;
};

[[maybe_unused]] const bool registered = register_command<report_command>("report", 100);

}  // namespace

}  // namespace icl_tool
