// The report's in-context heads ([P4]) against the `heads` subcommand on the same files: the
// "regression" task of tests/data/cli/manifest.json (with readout.predicted; its logit-minus is
// skipped, since some prompts lack a label class) and a manifest written here over the tensors of
// tests/data/cli/p4 (label positions of both classes: logit-minus and its selection); the schema
// of the entry; the exit code and message of the manifest's input errors.
#include <catch2/catch.hpp>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "program_runner.hpp"
#include "schema_check.hpp"

using namespace icl_cli_test;

namespace {

const std::string p4 = data + "p4/";

/// A one-task manifest over the tensors of tests/data/cli/p4 (absolute references), written to
/// work_dir()/<name>/manifest.json after `change` edits the task; returns the directory.
template <class F>
fs::path p4_manifest(const std::string& name, F&& change) {
  json task = {{"name", "p4"},
               {"hidden", data + "heads.safetensors:hidden_d12"},
               {"readout",
                {{"unembedding", p4 + "unembedding.npy"},
                 {"label_token_ids", {3, 29}},
                 {"final_hidden", p4 + "final_hidden.npy"},
                 {"final_norm", {{"gain", p4 + "gamma.npy"}, {"epsilon", 1e-6}}}}},
               {"attention",
                {{"maps", p4 + "attention.npy"},
                 {"values", p4 + "values.npy"},
                 {"w_o", p4 + "w_o.npy"},
                 {"residual", p4 + "residual.npy"},
                 // p4/positions_a.npy and p4/positions_b.npy as one list, with the class of each
                 {"label_positions", {{1, 3, 2, 4}, {0, 2, -1, -1}}},
                 {"label_classes", {{0, 0, 1, 1}, {0, 1, -1, -1}}}}}};
  change(task);
  const fs::path dir = work_dir() / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::ofstream(dir / "manifest.json")
      << json{{"format", "icl-metrics-manifest"}, {"version", 1}, {"tasks", json::array({task})}}.dump(2);
  return dir;
}

/// Runs the report on `dir` into `out`; returns results.json and the standard output.
std::pair<json, std::string> report(const std::string& dir, const fs::path& out, const std::string& options = "") {
  fs::remove_all(out);
  const run_result r = run_ok("report '" + dir + "' -q --out '" + out.string() + "' " + options);
  return {parse(read_text(out / "results.json")), r.out};
}

json heads_result(const std::string& args) { return parse(run_ok("heads -q " + args).out)["result"]; }

}  // namespace

TEST_CASE("the report's in-context heads are those of `icl-metrics heads` on the same files", "[cli][report][p4]") {
  const auto schemas = documented_schemas();

  // The test manifest: regression holds the keys, classification does not.
  const fs::path out = work_dir() / "report";
  const auto [results, text] = report(".", out);
  const json& reg = results["tasks"][0];
  REQUIRE(reg.contains("in_context_heads"));
  const json expected =
      heads_result("--attention acts.safetensors:attention --values heads.safetensors:values "
                   "--w-o heads.safetensors:w_o --residual heads.safetensors:residual "
                   "--final-hidden heads.safetensors:final_hidden --unembedding heads.safetensors:unembedding "
                   "--label-token-ids '[5,17]' --predicted '[0,1,1,0,1,0]' --norm-gain norm_gain.npy "
                   "--norm-eps 1e-5 --fraction 0.1");
  CHECK(reg["in_context_heads"] == expected);
  CHECK(expected["prompts_per_label"] == json({3, 3}));
  CHECK(expected["in_context_heads"]["per_label"][0].size() == 2);  // ceil(0.1 · 16)
  CHECK_FALSE(expected.contains("logit_minus_a"));
  // Prompts 0 and 4 of label_classes.npy hold class 0 only.
  const auto skipped = [](const json& t, const std::string& why) {
    for (const auto& s : t["skipped"]) {
      if (s == why) return true;
    }
    return false;
  };
  CHECK(skipped(reg, "in-context heads by logit-minus: prompt 0 has no label position of class 1"));
  const json& cls = results["tasks"][1];
  CHECK_FALSE(cls.contains("in_context_heads"));
  CHECK(skipped(cls, "in-context heads: no attention.values, attention.w_o, attention.residual, readout.final_hidden"));
  CHECK(text.find("in-context heads by log-probability increase (merged over the labels): L") != std::string::npos);
  const std::string html = read_text(out / "report.html");
  for (const char* title : {"In-context heads (6 prompts, 4 layers × 4 heads)",
                            "Log-probability increase of label 1 (token 17)",
                            "In-context heads of label 0 (token 5)"}) {
    INFO(title);
    CHECK(html.find(title) != std::string::npos);
  }

  // The p4 tensors with label positions of both classes: logit-minus too, another --top-fraction.
  const fs::path dir = p4_manifest("p4_report", [](json&) {});
  const auto [p4_results, p4_text] = report(dir.string(), dir / "out", "--top-fraction 0.25");
  const json& task = p4_results["tasks"][0];
  REQUIRE(task.contains("in_context_heads"));
  const json expected_minus = heads_result(
      "--attention p4/attention.npy --values p4/values.npy --w-o p4/w_o.npy --residual p4/residual.npy "
      "--final-hidden p4/final_hidden.npy --unembedding p4/unembedding.npy --norm-gain p4/gamma.npy --norm-eps 1e-6 "
      "--label-token-ids '[3,29]' --positions-a p4/positions_a.npy --positions-b p4/positions_b.npy --fraction 0.25");
  CHECK(task["in_context_heads"] == expected_minus);
  REQUIRE(expected_minus.contains("in_context_heads_logit_minus"));
  CHECK(expected_minus["in_context_heads"]["per_label"][0].size() == 3);  // ceil(0.25 · 12)
  for (const auto& s : task["skipped"]) CHECK(s.get<std::string>().rfind("in-context heads", 0) == std::string::npos);
  CHECK(p4_text.find("in-context heads by logit-minus (merged): L") != std::string::npos);
  const std::string p4_html = read_text(dir / "out" / "report.html");
  for (const char* title :
       {"Logit-minus at the positions of label 0 (token 3)", "By logit-minus, label 1 (token 29)"}) {
    INFO(title);
    CHECK(p4_html.find(title) != std::string::npos);
  }

  // The entry has the schema of `heads`' result (docs/cli.md).
  check_schema(schemas, "heads.result", {reg["in_context_heads"], task["in_context_heads"]}, {"value_output_files"});
  check_schema(schemas, "heads.selection",
               {reg["in_context_heads"]["in_context_heads"], task["in_context_heads"]["in_context_heads"],
                task["in_context_heads"]["in_context_heads_logit_minus"]});
}

TEST_CASE("the report's in-context heads: input errors name the task and the manifest key", "[cli][report][p4]") {
  const std::string task = "manifest.json: tasks[0] ('p4')";
  const std::vector<std::pair<void (*)(json&), std::vector<std::string>>> cases = {
      // W_O of the wrong rank, and of the wrong number of layers (4, the maps have 3).
      {[](json& t) { t["attention"]["w_o"] = p4 + "values.npy"; },
       {task + ": in-context heads: attention.w_o: ", "values.npy: output projections W_O", "must have 3 dimensions"}},
      {[](json& t) { t["attention"]["w_o"] = data + "heads.safetensors:w_o"; },
       {task + ": in-context heads: attention.w_o (", "heads.safetensors:w_o): holds layers 4 (shape 4 x 16 x 16) but "
                                                     "attention.maps (",
        "attention.npy) has 3"}},
      // Values whose kv heads do not divide the heads: the library's message, with the keys.
      {[](json& t) { t["attention"]["values"] = p4 + "values_bad_kv.npy"; },
       {task + ": in-context heads: attention.maps (", "attention.values (", "attention.w_o (",
        "(prompt 0, layer 0): icl::attention::", "heads = 4 is not a multiple of kv_heads = 3"}},
      // A residual [2, 12] reads as [layers, d] for every prompt: 2 layers, the maps have 3.
      {[](json& t) { t["attention"]["residual"] = p4 + "final_hidden.npy"; },
       {task + ": in-context heads: attention.residual (", "final_hidden.npy): holds layers 2 (shape 2 x 12) but "
                                                           "attention.maps ("}},
      {[](json& t) { t["readout"]["final_hidden"] = p4 + "values.npy"; },
       {task + ": in-context heads: readout.final_hidden: ", "final hidden state [d] must have 1 dimensions"}},
      // A label token id >= V, with label positions (logit-minus comes first) and without.
      {[](json& t) { t["readout"]["label_token_ids"] = {3, 41}; },
       {task + ": in-context heads: readout.unembedding (",
        "unembedding.npy), attention.label_positions/attention.label_classes (prompt 0, layer 0, head 0): "
        "icl::attention::label_logit_minus: token_b = 41 must be < |V| = 41"}},
      {[](json& t) {
         t["readout"]["label_token_ids"] = {3, 41};
         t["attention"].erase("label_positions");
         t["attention"].erase("label_classes");
       },
       {task + ": in-context heads: readout.unembedding (",
        "unembedding.npy), readout.label_token_ids, attention.residual (",
        "residual.npy) (prompt 0): icl::attention::head_logprob_increase: label_tokens[1] = 41 must be < |V| = 41"}},
      {[](json& t) { t["readout"]["label_token_ids"] = {-1, 3}; },
       {task + ": readout.label_token_ids: token id -1 is negative"}},
      {[](json& t) { t["readout"]["predicted"] = {0}; },
       {task + ": in-context heads: readout.predicted: has 1 entries but attention.maps (", "holds 2 prompts"}},
      {[](json& t) { t["readout"]["predicted"] = {0, 2}; },
       {"readout.predicted: label index 2 is not below the 2 labels of readout.label_token_ids"}},
      {[](json& t) { t["attention"]["maps"] = {p4 + "attention0.npy", p4 + "attention0.npy"}; },
       {task + ": attention.maps: the in-context heads need one [prompts, layers, heads, T, T] reference"}},
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const fs::path dir = p4_manifest("p4_bad_" + std::to_string(i), cases[i].first);
    const run_result r = run("report '" + dir.string() + "' -q --no-html --out '" + (dir / "out").string() + "'");
    INFO("case " << i << ": " << r.err);
    CHECK(r.code == 3);
    CHECK(line_count(r.err) == 1);
    for (const auto& part : cases[i].second) {
      INFO(part);
      CHECK(r.err.find(part) != std::string::npos);
    }
  }
}
