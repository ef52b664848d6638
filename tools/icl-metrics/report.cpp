// The report subcommand: manifest -> every metric -> results.json, report.html, summary table.
#include "report.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <set>

#include "command.hpp"
#include "icl/rsa/hypothesis.hpp"
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

/// Reads the manifest keys of one task, naming the key in every error.
class task_reader {
 public:
  task_reader(const json& task, std::string context, std::string base_dir)
      : task_(task), context_(std::move(context)), base_(std::move(base_dir)) {}

  template <class F>
  decltype(auto) wrap(const std::string& key, F&& f) const {
    try {
      return f();
    } catch (const input_error& e) {
      fail(key, e.what());
    } catch (const icl::io::format_error& e) {
      fail(key, e.what());
    } catch (const icl::invalid_argument& e) {
      fail(key, e.what());
    }
  }

  bool has(const std::string& key) const {
    const json* v = find_key(task_, key);
    return v != nullptr && !v->is_null();
  }
  const json& value(const std::string& key) const { return *find_key(task_, key); }

  [[noreturn]] void fail(const std::string& key, const std::string& what) const {
    throw input_error(context_ + ": " + key + ": " + what);
  }

  std::string reference(const std::string& key) const {
    const json& v = value(key);
    if (!v.is_string()) fail(key, "expected a tensor reference (a string), got " + v.dump());
    return v.get<std::string>();
  }

  named_array float_tensor(const std::string& key, std::size_t rank, const std::string& what) const {
    const std::string ref = reference(key);
    return wrap(key, [&] { return named_array{load_float_tensor(ref, base_, rank, what), ref}; });
  }

  std::vector<int> ints(const std::string& key) const {
    const json& v = value(key);
    return wrap(key, [&] {
      if (v.is_array()) return int_list_from_json(v, key);
      return read_int_list(v.get<std::string>(), base_, key);
    });
  }

  position_lists positions(const std::string& key) const {
    return wrap(key, [&] { return positions_from_json(value(key), base_, key); });
  }

  std::vector<std::vector<int>> int_rows(const std::string& key) const {
    return wrap(key, [&] { return read_int_rows(value(key), base_, key); });
  }

  std::vector<double> doubles(const std::string& key) const {
    const json& v = value(key);
    return wrap(key, [&] {
      if (v.is_array()) return read_double_list(v.dump(), base_, key);
      return read_double_list(v.get<std::string>(), base_, key);
    });
  }

  /// Runs a metric family: its errors are prefixed with the task and the family.
  template <class F>
  json run(const std::string& family, F&& f) const {
    try {
      return f();
    } catch (const input_error& e) {
      throw input_error(context_ + ": " + family + ": " + e.what());
    }
  }

  const std::string& base() const { return base_; }

 private:
  const json& task_;
  std::string context_, base_;
};

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
  json skipped = json::array();

  std::optional<std::vector<int>> concepts, labels, demonstrations;
  if (t.has("concepts")) {
    concepts = t.ints("concepts");
    check_count(t, "concepts", concepts->size(), n, hidden.name);
  }
  if (t.has("labels")) {
    labels = t.ints("labels");
    check_count(t, "labels", labels->size(), n, hidden.name);
  }
  if (t.has("demonstrations")) {
    demonstrations = t.ints("demonstrations");
    check_count(t, "demonstrations", demonstrations->size(), n, hidden.name);
  }
  const std::string concepts_name = t.has("concepts") && t.value("concepts").is_string()
                                        ? t.value("concepts").get<std::string>()
                                        : std::string("concepts");
  const std::string labels_name = t.has("labels") && t.value("labels").is_string() ? t.value("labels").get<std::string>()
                                                                                     : std::string("labels");

  if (concepts) {
    out["decodability"] = t.run("task decodability", [&] {
      json r = decodability(hidden, *concepts, concepts_name, options.decode, prog);
      if (demonstrations) {
        r["by_demonstrations"] = decodability_by_group(hidden, *concepts, concepts_name, *demonstrations, options.decode, prog);
      }
      return r;
    });
    out["rsa"] = t.run("RSA", [&] {
      const icl::rsa::rdm hypothesis =
          with_context(concepts_name, [&] { return icl::rsa::categorical_rdm(*concepts); });
      return rsa_alignment(hidden, no_icl ? &*no_icl : nullptr, hypothesis, "categorical(" + concepts_name + ")",
                           options.rsa, prog);
    });
    // The probe family: 5-fold logistic probe of the concept, when every concept has 5 prompts.
    std::map<int, std::size_t> counts;
    for (const int c : *concepts) ++counts[c];
    std::size_t smallest = n;
    for (const auto& entry : counts) smallest = std::min(smallest, entry.second);
    probe_options popts;
    popts.cv.seed = options.seed;
    if (counts.size() >= 2 && smallest >= popts.cv.folds) {
      out["probe"] = t.run("logistic probe", [&] { return logistic_probe(hidden, *concepts, concepts_name, popts, prog); });
    } else {
      skipped.push_back("probe: a concept has fewer than " + std::to_string(popts.cv.folds) + " prompts");
    }
  } else {
    skipped.push_back("task decodability, RSA and probe: no concepts");
  }

  if (labels) {
    geometry_params g;
    g.seed = options.seed;
    g.denoise_rank = 2;  // the program's rank (the library's default is 10, [P2] Fig. 6)
    std::optional<named_array> directions;
    if (t.has("readout.label_directions")) {
      directions = t.float_tensor("readout.label_directions", 2, "label directions [classes, d]");
    } else if (t.has("readout.unembedding")) {
      directions = t.float_tensor("readout.unembedding", 2, "unembedding [V, d]");
      if (!t.has("readout.label_token_ids")) t.fail("readout.label_token_ids", "missing (needed with readout.unembedding)");
      for (const int id : t.ints("readout.label_token_ids")) {
        if (id < 0) t.fail("readout.label_token_ids", "token id " + std::to_string(id) + " is negative");
        g.label_token_ids.push_back(static_cast<std::size_t>(id));
      }
    }
    // The final norm's ε defaults to 1e-5 in a manifest (Llama 2, SmolLM2), as it always has.
    std::optional<std::vector<double>> gain;
    double epsilon = 1e-5;
    if (t.has("readout.final_norm.gain")) gain = t.doubles("readout.final_norm.gain");
    if (t.has("readout.final_norm.epsilon")) {
      const json& e = t.value("readout.final_norm.epsilon");
      if (!e.is_number()) t.fail("readout.final_norm.epsilon", "expected a number, got " + e.dump());
      epsilon = e.get<double>();
    }
    if (gain) g.final_norm = icl::rms_norm_params{std::move(*gain), epsilon};
    out["geometry"] = t.run("geometry", [&] {
      return geometry(hidden, *labels, labels_name, directions ? &*directions : nullptr, g, prog);
    });
  } else {
    skipped.push_back("separability and alignment: no labels");
  }

  if (t.has("attention.maps")) {
    attention_set set;
    const json& maps = t.value("attention.maps");
    if (maps.is_string()) {
      const std::string ref = maps.get<std::string>();
      set.arrays.push_back(t.wrap("attention.maps", [&] { return named_array{load_tensor(ref, base_dir), ref}; }));
      set.batched = true;
      if (set.arrays[0].array.rank() != 5) {
        t.fail("attention.maps", ref + " has shape " + shape_string(set.arrays[0].array.shape()) +
                                     "; one reference must be [prompts, layers, heads, T, T] (or give a list of "
                                     "[layers, heads, T, T] references)");
      }
    } else if (maps.is_array()) {
      for (std::size_t p = 0; p < maps.size(); ++p) {
        if (!maps[p].is_string()) t.fail("attention.maps", "entry " + std::to_string(p) + " is not a tensor reference");
        const std::string ref = maps[p].get<std::string>();
        set.arrays.push_back(t.wrap("attention.maps", [&] { return named_array{load_tensor(ref, base_dir), ref}; }));
      }
    } else {
      t.fail("attention.maps", "expected a reference or a list of references");
    }
    attention_inputs in;
    in.top_fraction = options.top_fraction;
    in.params = options.attention;
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
    out["attention"] = t.run("attention", [&] { return attention(set, in, prog); });
    if (!in.relevant) skipped.push_back("attention ratio: no attention.relevant / attention.irrelevant");
    if (!in.label_positions) skipped.push_back("induction score: no attention.label_positions");
  } else {
    skipped.push_back("attention: no attention.maps");
  }
  out["skipped"] = skipped;
  return out;
}

std::string fmt(const json& v, const char* format = "%.3f") {
  if (!v.is_number()) return "-";
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, format, v.get<double>());
  std::string out = buffer;
  if (out[0] == '-' && out.find_first_not_of("-0.") == std::string::npos) out.erase(0, 1);  // "-0.000" -> "0.000"
  return out;
}

const json* at_path(const json& j, std::initializer_list<const char*> path) {
  const json* node = &j;
  for (const char* key : path) {
    if (!node->is_object() || !node->contains(key)) return nullptr;
    node = &(*node)[key];
  }
  return node;
}

}  // namespace

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
  std::string out;
  char line[512];
  for (const auto& task : results["tasks"]) {
    std::snprintf(line, sizeof line, "\nTask '%s': n = %zu prompts, %zu layers, d = %zu (%s)\n",
                  task["name"].get<std::string>().c_str(), task["n"].get<std::size_t>(),
                  task["layers"].get<std::size_t>(), task["d"].get<std::size_t>(), task["dtype"].get<std::string>().c_str());
    out += line;
    std::snprintf(line, sizeof line, "%5s  %8s  %8s  %8s  %8s  %8s  %8s\n", "layer", "TD", "RSA", "RSA-0", "probe",
                  "separ.", "out.al.");
    out += line;
    const std::size_t layers = task["layers"].get<std::size_t>();
    for (std::size_t l = 0; l < layers; ++l) {
      auto cell = [&](std::initializer_list<const char*> path) -> std::string {
        const json* v = at_path(task, path);
        return v != nullptr && v->is_array() && l < v->size() ? fmt((*v)[l]) : std::string("-");
      };
      std::snprintf(line, sizeof line, "%5zu  %8s  %8s  %8s  %8s  %8s  %8s\n", l,
                    cell({"decodability", "overall"}).c_str(), cell({"rsa", "with_icl"}).c_str(),
                    cell({"rsa", "without_icl"}).c_str(), cell({"probe", "mean"}).c_str(),
                    cell({"geometry", "separability"}).c_str(), cell({"geometry", "output_alignment"}).c_str());
      out += line;
    }
    if (const json* peak = at_path(task, {"decodability", "peak_layer"})) {
      std::snprintf(line, sizeof line, "peak TD at layer %zu (%s)\n", peak->get<std::size_t>(),
                    fmt(task["decodability"]["peak_value"]).c_str());
      out += line;
    }
    if (const json* ratio = at_path(task, {"attention", "ratio_layer_mean"})) {
      // Attention layers are numbered in the order of the attention tensor (blocks), which need
      // not match the hidden-state layers (often the embedding output comes first there).
      const json* undefined = at_path(task, {"attention", "ratio_layer_undefined_heads"});
      std::string values, notes;
      for (std::size_t l = 0; l < ratio->size(); ++l) {
        values += (l ? ", " : "") + std::string("L") + std::to_string(l) + " " +
                  ((*ratio)[l].is_number() ? fmt((*ratio)[l], "%.2f") : std::string("undefined"));
        const std::size_t skipped = undefined != nullptr ? (*undefined)[l].get<std::size_t>() : 0;
        if (skipped > 0) notes += (notes.empty() ? "" : ", ") + std::string("L") + std::to_string(l) + ": " +
                                  std::to_string(skipped);
      }
      out += "attention ratio per attention layer (mean over heads with a defined ratio): " + values + "\n";
      if (!notes.empty()) out += "  heads left out (zero denominator, ratio +inf): " + notes + "\n";
    }
    for (const auto& [which, title] : {std::pair<const char*, const char*>{"top_previous_token", "top previous-token heads: "},
                                       std::pair<const char*, const char*>{"top_induction", "top induction heads: "}}) {
      const json* top = at_path(task, {"attention", which});
      if (top == nullptr) continue;
      std::string heads;
      for (const auto& h : *top) {
        heads += (heads.empty() ? "" : ", ") + std::string("L") + std::to_string(h["layer"].get<std::size_t>()) + "H" +
                 std::to_string(h["head"].get<std::size_t>());
      }
      out += title + heads + "\n";
    }
  }
  out +=
      "\nTD: leave-one-out kNN task decodability; RSA / RSA-0: alignment with the concept RDM with / without "
      "demonstrations;\nprobe: 5-fold logistic probe accuracy; separ.: separability; out.al.: output alignment.\n";
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
