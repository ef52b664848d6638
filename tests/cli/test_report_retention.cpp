// The report's layer retention section: each task's `retention` entry against the `retention`
// subcommand on the same states (and unembedding) with r = min(10, n - 1, d), the skip reasons
// (a layer of too low a rank, a single layer), the errors that stop the report, and the schemas
// of docs/cli.md.
#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

#include "program_runner.hpp"
#include "schema_check.hpp"

using namespace icl_cli_test;

namespace {

json run_json(const std::string& args) { return parse(run_ok(args + " -q").out); }

/// f64 tensors by name: (name, shape, values in C order).
using tensor_list = std::vector<std::tuple<std::string, std::vector<std::size_t>, std::vector<double>>>;

/// A .safetensors file of f64 tensors (the header padded to 8 bytes; a little-endian host).
void write_safetensors(const fs::path& path, const tensor_list& tensors) {
  json header = json::object();
  std::string data;
  for (const auto& [name, shape, values] : tensors) {
    const std::size_t bytes = values.size() * sizeof(double);
    header[name] = {{"dtype", "F64"},
                    {"shape", shape},
                    {"data_offsets", json::array({data.size(), data.size() + bytes})}};
    data.append(reinterpret_cast<const char*>(values.data()), bytes);
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  char length[8];
  const std::uint64_t size = text.size();
  for (std::size_t i = 0; i < 8; ++i) length[i] = static_cast<char>((size >> (8 * i)) & 0xff);
  std::ofstream out(path, std::ios::binary);
  out.write(length, 8);
  out << text << data;
}

/// A directory holding states.safetensors (the tensors) and a manifest whose tasks are given.
fs::path manifest_dir(const std::string& name, const tensor_list& tensors, const json& tasks) {
  const fs::path dir = work_dir() / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  write_safetensors(dir / "states.safetensors", tensors);
  const json manifest = {{"format", "icl-metrics-manifest"}, {"version", 1}, {"tasks", tasks}};
  std::ofstream(dir / "manifest.json") << manifest.dump(2);
  return dir;
}

/// 4 points in general position in 3 dimensions: [1, 4, 3] states of centred rank 3.
const std::vector<double> points = {1, 0, 0, 0, 2, 0, 0, 0, 3, 1, 1, 1};

/// [2, 4, 3] states: layer 0 the points, layer 1 the same shifted and scaled; `constant_first`:
/// layer 0 the same row for every prompt (centred rank 0, as the embedding output of prompts that
/// end in the same token).
std::vector<double> two_layers(bool constant_first) {
  std::vector<double> out;
  for (const double v : points) out.push_back(constant_first ? 0.5 : v);
  for (const double v : points) out.push_back(2.0 * v + 0.25);
  return out;
}

json task(const std::string& name, const std::string& tensor) {
  return {{"name", name}, {"hidden", "states.safetensors:" + tensor}};
}

const json* find_task(const json& results, const std::string& name) {
  for (const json& t : results["tasks"]) {
    if (t["name"] == name) return &t;
  }
  return nullptr;
}

bool has_entry(const json& skipped, const std::string& fragment) {
  return std::any_of(skipped.begin(), skipped.end(),
                     [&](const json& s) { return s.get<std::string>().find(fragment) != std::string::npos; });
}

}  // namespace

TEST_CASE("report: each task's retention is the retention subcommand's result, r = min(10, n - 1, d)",
          "[cli][report][retention]") {
  const fs::path out = work_dir() / "report";
  fs::remove_all(out);
  const run_result r = run_ok("report . -q --out '" + out.string() + "'");
  const json results = parse(read_text(out / "results.json"));
  const json manifest = parse(read_text(data + "manifest.json"));
  const auto schemas = documented_schemas();
  std::vector<json> entries, transitions;
  std::size_t decoded = 0;
  for (const json& task : manifest["tasks"]) {
    const std::string name = task["name"].get<std::string>();
    INFO(name);
    const json* got = find_task(results, name);
    REQUIRE(got != nullptr);
    REQUIRE(got->contains("retention"));
    const json& entry = (*got)["retention"];
    // The subcommand on the task's states, with its unembedding where it has one.
    const std::size_t n = (*got)["n"].get<std::size_t>(), d = (*got)["d"].get<std::size_t>();
    const std::size_t rank = std::min({std::size_t{10}, n - 1, d});
    CHECK(entry["rank"] == rank);
    const json& hidden = task["hidden"];
    std::string args = "retention " + (hidden.is_string() ? hidden : hidden["icl"]).get<std::string>() + " -r " +
                       std::to_string(rank);
    const json* readout = task.contains("readout") ? &task["readout"] : nullptr;
    if (readout != nullptr && readout->contains("unembedding")) {
      REQUIRE(entry.contains("top_k"));
      args += " --unembedding " + (*readout)["unembedding"].get<std::string>() + " --top-k " + entry["top_k"].dump();
      ++decoded;
    } else {
      CHECK(entry["unembedding"].is_null());
    }
    CHECK(entry == run_json(args)["result"]);
    entries.push_back(entry);
    for (const json& step : entry["transitions"]) transitions.push_back(step);
  }
  // regression: [4, 48, 16] states, r = 10; classification: [3, 40, 8] states and
  // readout.unembedding [6, 8]: r = d = 8, top_k = V = 6.
  const json* regression = find_task(results, "regression");
  const json* classification = find_task(results, "classification");
  REQUIRE(regression != nullptr);
  REQUIRE(classification != nullptr);
  CHECK((*regression)["retention"]["rank"] == 10);
  CHECK((*classification)["retention"]["rank"] == 8);
  CHECK((*classification)["retention"]["unembedding"] == "unembedding.npy");
  CHECK((*classification)["retention"]["top_k"] == 6);
  CHECK((*classification)["retention"]["transitions"][0]["top_tokens"].size() == 8);

  check_schema(schemas, "retention.result", entries);
  check_schema(schemas, "retention.transition", transitions, {"top_strings", "bottom_strings"});

  // The summary's line, and report.html's figure and tables (one per decoded task).
  CHECK(r.out.find("layer retention (r = 10; mean norm, directions retained): 0->1 ") != std::string::npos);
  CHECK(r.out.find("layer retention (r = 8; mean norm, directions retained): 0->1 1.00 (8/8), 1->2 1.00 (8/8)") !=
        std::string::npos);
  const std::string html = read_text(out / "report.html");
  CHECK(html.find("<title>Layer retention</title>") != std::string::npos);
  std::size_t tables = 0;
  for (std::size_t at = html.find("Layer retention: decoded directions"); at != std::string::npos;
       at = html.find("Layer retention: decoded directions", at + 1)) {
    ++tables;
  }
  CHECK(tables == decoded);
}

TEST_CASE("report: retention is skipped, with the reason, where the library refuses r or there is one layer",
          "[cli][report][retention]") {
  const fs::path dir = manifest_dir("skipped",
                                    {{"deficient", {2, 4, 3}, two_layers(true)},
                                     {"one_layer", {1, 4, 3}, points},
                                     {"full", {2, 4, 3}, two_layers(false)}},
                                    json::array({task("deficient", "deficient"), task("one layer", "one_layer"),
                                                 task("full", "full")}));
  const run_result r = run_ok("report '" + dir.string() + "' -q --no-html");
  const json results = parse(read_text(dir / "results.json"));

  // n = 4, d = 3: r = 3, above the rank 0 of layer 0's centred states.
  const std::string refusal =
      "icl::geometry::layer_retention: r = 3 exceeds the rank 0 of the centred states of layer 0";
  const json* deficient = find_task(results, "deficient");
  REQUIRE(deficient != nullptr);
  CHECK_FALSE(deficient->contains("retention"));
  INFO((*deficient)["skipped"].dump());
  CHECK(has_entry((*deficient)["skipped"], "layer retention: "));
  CHECK(has_entry((*deficient)["skipped"], refusal));
  // The subcommand refuses the same states with the same message.
  const run_result sub = run("retention '" + (dir / "states.safetensors").string() + ":deficient' -r 3 -q");
  CHECK(sub.code == 3);
  CHECK(sub.err.find(refusal) != std::string::npos);

  const json* one = find_task(results, "one layer");
  REQUIRE(one != nullptr);
  CHECK_FALSE(one->contains("retention"));
  CHECK(has_entry((*one)["skipped"], "layer retention: needs at least 2 layers"));

  const json* full = find_task(results, "full");
  REQUIRE(full != nullptr);
  REQUIRE(full->contains("retention"));
  CHECK((*full)["retention"] ==
        run_json("retention '" + (dir / "states.safetensors").string() + ":full' -r 3")["result"]);
  CHECK_FALSE(has_entry((*full)["skipped"], "layer retention"));
}

TEST_CASE("report: NaN in the states or an unembedding of another width stops it (exit code 3)",
          "[cli][report][retention]") {
  std::vector<double> with_nan = two_layers(false);
  with_nan[13] = std::nan("");
  json wide = task("wide", "full");
  wide["readout"] = {{"unembedding", "states.safetensors:wide"}};
  for (const auto& [name, entry, fragment] :
       {std::tuple<std::string, json, std::string>{"nan", task("nan", "nan"), "NaN"},
        {"wide", wide, "icl::geometry::layer_retention: E has 4 columns but the states have d = 3"}}) {
    INFO(name);
    const fs::path dir = manifest_dir("error_" + name,
                                      {{"full", {2, 4, 3}, two_layers(false)},
                                       {"nan", {2, 4, 3}, with_nan},
                                       {"wide", {5, 4}, std::vector<double>(20, 0.5)}},
                                      json::array({entry}));
    const run_result r = run("report '" + dir.string() + "' -q --no-html");
    INFO(r.err);
    CHECK(r.code == 3);
    CHECK(line_count(r.err) == 1);
    CHECK(r.err.find("tasks[0] ('" + name + "'): retention: ") != std::string::npos);
    CHECK(r.err.find(fragment) != std::string::npos);
  }
}
