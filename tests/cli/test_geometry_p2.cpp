// Runs the retention, head-layers and task-vector subcommands on tests/data/cli/p2_* and checks
// their output against the numpy / scipy references of tests/data/make_p2_cli_fixtures.py, their
// documented errors (exit code and one line naming the file or option) and the schemas of
// docs/cli.md.
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "program_runner.hpp"
#include "schema_check.hpp"
#include "support/fixture.hpp"

using namespace icl_cli_test;

namespace {

const icl_test::fixture_file& reference() {
  static const icl_test::fixture_file f("cli/p2_reference.txt");
  return f;
}

json run_json(const std::string& args) {
  const run_result r = run_ok(args + " -q");
  return parse(r.out);
}

/// A failing run: the exit code, and one line on stderr holding every fragment.
void check_error(const std::string& args, int code, const std::vector<std::string>& fragments) {
  INFO(args);
  const run_result r = run(args + " -q");
  INFO(r.err);
  CHECK(r.code == code);
  CHECK(r.out.empty());
  if (code == 3) CHECK(line_count(r.err) == 1);  // a usage error adds a line pointing to --help
  for (const auto& fragment : fragments) CHECK(r.err.find(fragment) != std::string::npos);
}

/// The values of a .npy file of little-endian f8 written by the program (C order).
std::vector<double> read_npy_f8(const fs::path& path, const std::vector<std::size_t>& shape) {
  const std::string bytes = read_text(path);
  REQUIRE(bytes.size() > 10);
  REQUIRE(bytes.compare(0, 6, "\x93NUMPY") == 0);
  const std::size_t header = static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8);
  REQUIRE((10 + header) % 64 == 0);
  const std::string dict = bytes.substr(10, header);
  CHECK(dict.find("'descr': '<f8'") != std::string::npos);
  CHECK(dict.find("'fortran_order': False") != std::string::npos);
  std::string dims;
  for (std::size_t k = 0; k < shape.size(); ++k) dims += std::to_string(shape[k]) + (shape.size() == 1 ? "," : k + 1 < shape.size() ? ", " : "");
  CHECK(dict.find("'shape': (" + dims + ")") != std::string::npos);
  std::vector<double> out((bytes.size() - 10 - header) / sizeof(double));
  std::memcpy(out.data(), bytes.data() + 10 + header, out.size() * sizeof(double));
  return out;
}

/// An integer record [rows, cols] of the reference as the JSON rows the program writes.
json int_rows(const std::string& name) {
  const std::vector<int> flat = reference().ints(name);
  const std::size_t cols = reference().shape(name).at(1);
  json out = json::array();
  for (std::size_t i = 0; i < flat.size(); i += cols) out.push_back(std::vector<int>(flat.begin() + i, flat.begin() + i + cols));
  return out;
}

/// The CSV lines of a successful run.
std::vector<std::string> csv_lines(const std::string& args) { return split_lines(run_ok(args + " --format csv -q").out); }

}  // namespace

TEST_CASE("retention: numpy's norms of V_{l-1}^T V_l V_l^T and decoded tokens, f64 and strided f32",
          "[cli][retention]") {
  const auto& ref = reference();
  for (const auto& [file, tolerance] : {std::pair<std::string, double>{"p2_hidden.npy", 1e-9},
                                        std::pair<std::string, double>{"p2_hidden_f32.npy", 1e-4}}) {
    INFO(file);
    const json j = run_json("retention " + file + " -r 3 --unembedding p2_unembedding.npy --top-k 4");
    const json& r = j["result"];
    CHECK(r["rank"] == 3);
    CHECK(r["layers"] == 4);
    CHECK(r["n"] == 40);
    CHECK(r["d"] == 10);
    CHECK(r["top_k"] == 4);
    REQUIRE(r["transitions"].size() == 3);
    for (std::size_t l = 1; l <= 3; ++l) {
      INFO("transition " << l);
      const json& t = r["transitions"][l - 1];
      const std::string s = std::to_string(l);
      CHECK(t["layer"] == l);
      check_close(t["norms"], ref.values("retention_norms_" + s), tolerance, tolerance);
      CHECK(t["top_tokens"] == int_rows("retention_top_" + s));
      CHECK(t["bottom_tokens"] == int_rows("retention_bottom_" + s));
      double mean = 0.0;
      std::size_t retained = 0;
      for (std::size_t i = 0; i < 3; ++i) {
        const double norm = t["norms"][i].get<double>();
        mean += norm / 3.0;
        retained += norm >= 0.5;
        CHECK(t["retained"][i] == (norm >= 0.5));
      }
      CHECK(r["mean_norm"][l - 1].get<double>() == Approx(mean));
      CHECK(r["retained_count"][l - 1] == retained);
    }
    REQUIRE(j["rows"].size() == 9);
    CHECK(j["rows"][4]["layer"] == 2);
    CHECK(j["rows"][4]["direction"] == 1);
    CHECK(j["rows"][4]["norm"] == r["transitions"][1]["norms"][1]);
  }
  SECTION("without an unembedding: the norms alone") {
    const json r = run_json("retention p2_hidden.npy --rank 3")["result"];
    CHECK(r["unembedding"].is_null());
    CHECK_FALSE(r.contains("top_k"));
    CHECK_FALSE(r["transitions"][0].contains("top_tokens"));
    check_close(r["transitions"][0]["norms"], ref.values("retention_norms_1"), 1e-9, 1e-9);
  }
  SECTION("an f16 unembedding is read widened") {
    const json r = run_json("retention p2_hidden.npy -r 3 --unembedding p2_unembedding_f16.npy --top-k 4")["result"];
    for (std::size_t l = 1; l <= 3; ++l) {
      CHECK(r["transitions"][l - 1]["top_tokens"] == int_rows("retention_f16_top_" + std::to_string(l)));
    }
  }
  SECTION("token strings from a text file or a vocab.json give the same strings") {
    const auto [text, vocab] =
        run_both("retention p2_hidden.npy -r 3 --unembedding p2_unembedding.npy --top-k 4 --tokens p2_tokens.txt -q",
                 "retention p2_hidden.npy -r 3 --unembedding p2_unembedding.npy --top-k 4 --tokens p2_vocab.json -q");
    const json a = parse(text.out)["result"], b = parse(vocab.out)["result"];
    for (std::size_t l = 0; l < 3; ++l) {
      const json& t = a["transitions"][l];
      CHECK(t["top_strings"] == b["transitions"][l]["top_strings"]);
      CHECK(t["bottom_strings"] == b["transitions"][l]["bottom_strings"]);
      for (std::size_t i = 0; i < 3; ++i) {
        for (std::size_t k = 0; k < 4; ++k) {
          const int id = t["top_tokens"][i][k].get<int>();
          CHECK(t["top_strings"][i][k] == (id == 3 ? std::string("a, \"quoted\" token") : "tok" + std::to_string(id)));
        }
      }
    }
  }
  SECTION("CSV: one row per (transition, direction)") {
    const auto lines = csv_lines("retention p2_hidden.npy -r 3 --unembedding p2_unembedding.npy --tokens p2_tokens.txt");
    REQUIRE(lines.size() == 10);
    CHECK(lines[0] == "layer,direction,norm,singular_value,retained,top_tokens,bottom_tokens,top_strings,bottom_strings");
  }
}

TEST_CASE("retention: the documented errors", "[cli][retention][errors]") {
  check_error("retention p2_hidden_one.npy -r 3", 3,
              {"p2_hidden_one.npy", "icl::geometry::layer_retention", "H has 1 layer(s): retention needs at least 2"});
  check_error("retention p2_hidden.npy -r 11", 3, {"p2_hidden.npy", "r = 11 must be in [1, min(n - 1, d)]"});
  check_error("retention p2_hidden.npy -r 3 --unembedding p2_h.npy", 3,
              {"p2_h.npy", "E has 6 columns but the states have d = 10"});
  check_error("retention p2_hidden.npy -r 3 --unembedding p2_unembedding.npy --top-k 26", 3,
              {"p2_unembedding.npy", "top_k = 26 must be in [1, 25]"});
  check_error("retention p2_hidden.npy -r 3 --unembedding p2_h.npy --tokens p2_tokens.txt", 3,
              {"p2_tokens.txt", "holds 25 tokens but the unembedding has 7 rows"});
  check_error("retention p2_pth.npy -r 3", 3, {"p2_pth.npy", "must have 3 dimensions"});
  check_error("retention p2_hidden.npy", 2, {"--rank"});                                 // r has no default
  check_error("retention p2_hidden.npy -r 3 --tokens p2_tokens.txt", 2, {"--unembedding"});  // tokens need E
}

TEST_CASE("head-layers: scipy's Mann-Whitney U on the layers of the top heads", "[cli][head_layers]") {
  const auto& ref = reference();
  const std::vector<std::string> alternatives = {"two_sided", "greater", "less"};
  for (std::size_t alt = 0; alt < 3; ++alt) {
    for (const std::string& inputs : {std::string("p2_pth.npy p2_ih.npy"), std::string("p2_pth.npy p2_ih_f32.npy"),
                                      std::string("p2_attention.json:previous_token p2_attention.json:induction")}) {
      INFO(alternatives[alt] << " on " << inputs);
      const json j = run_json("head-layers " + inputs + " --alternative " + alternatives[alt]);
      const json& r = j["result"];
      CHECK(r["alternative"] == alternatives[alt]);
      CHECK(r["source"] == "scores");
      CHECK(r["shape_a"] == json::array({8, 6}));
      REQUIRE(r["tests"].size() == 4);
      CHECK(j["params"]["fractions"] == json::array({0.01, 0.02, 0.05, 0.1}));
      for (std::size_t k = 0; k < 4; ++k) {
        INFO("fraction " << k);
        const json& t = r["tests"][k];
        const std::string s = std::to_string(k);
        CHECK(t["heads_a"] == int_rows("heads_" + s + "_a"));
        CHECK(t["heads_b"] == int_rows("heads_" + s + "_b"));
        const auto& expected = ref.values("fraction_" + s + "_result");
        CHECK(t["statistic"].get<double>() == Approx(expected[2 * alt]).epsilon(1e-12));
        CHECK(t["p_value"].get<double>() == Approx(expected[2 * alt + 1]).epsilon(1e-9));
        CHECK(t["n_a"] == ref.shape("heads_" + s + "_a")[0]);
      }
    }
  }
  SECTION("--fractions takes a comma-separated list") {
    const json r = run_json("head-layers p2_pth.npy p2_ih.npy --fractions 0.25,0.5")["result"];
    REQUIRE(r["tests"].size() == 2);
    for (std::size_t k = 0; k < 2; ++k) {
      const auto& expected = ref.values("fraction_" + std::to_string(k + 4) + "_result");
      CHECK(r["tests"][k]["fraction"].get<double>() == (k == 0 ? 0.25 : 0.5));
      CHECK(r["tests"][k]["statistic"].get<double>() == Approx(expected[0]).epsilon(1e-12));
      CHECK(r["tests"][k]["p_value"].get<double>() == Approx(expected[1]).epsilon(1e-9));
    }
  }
  SECTION("--lists: two (layer, head) lists from .npy, inline JSON or an attention result") {
    const auto& expected = ref.values("lists_result");
    const json a = run_json("head-layers p2_heads_a.npy p2_heads_b.npy --lists --alternative less");
    const json b = run_json("head-layers '[[0,1],[0,3],[1,0],[1,2],[2,1],[3,0],[2,2]]' "
                            "'[{\"layer\":3,\"head\":1},[4,2],[4,0],[5,3],[2,0],[5,1]]' --lists --alternative less");
    for (const json* j : {&a, &b}) {
      const json& r = (*j)["result"];
      CHECK(r["source"] == "lists");
      REQUIRE(r["tests"].size() == 1);
      CHECK_FALSE(r["tests"][0].contains("fraction"));
      CHECK(r["tests"][0]["statistic"].get<double>() == Approx(expected[4]).epsilon(1e-12));
      CHECK(r["tests"][0]["p_value"].get<double>() == Approx(expected[5]).epsilon(1e-9));
      CHECK(r["tests"][0]["n_a"] == 7);
      CHECK(r["tests"][0]["mean_layer_b"].get<double>() == Approx(23.0 / 6.0));
    }
    const json top = run_json("head-layers p2_heads_a.npy p2_attention.json:top_induction --lists");
    CHECK(top["result"]["tests"][0]["heads_b"] == int_rows("heads_3_b"));  // the top 10 %
  }
  SECTION("CSV: one row per test") {
    const auto lines = csv_lines("head-layers p2_pth.npy p2_ih.npy");
    REQUIRE(lines.size() == 5);
    CHECK(lines[0] == "fraction,n_a,n_b,mean_layer_a,mean_layer_b,statistic,p_value");
  }
}

TEST_CASE("head-layers: the documented errors", "[cli][head_layers][errors]") {
  check_error("head-layers p2_pth.npy p2_ih.npy --fractions 0", 2, {"--fractions", "0 is outside (0, 1]"});
  check_error("head-layers p2_pth.npy p2_ih.npy --fractions 0.1,1.5", 2, {"--fractions", "1.5 is outside (0, 1]"});
  check_error("head-layers p2_pth.npy p2_ih.npy --alternative sideways", 2, {"--alternative"});
  check_error("head-layers '[]' p2_heads_b.npy --lists", 3,
              {"icl::geometry::head_layer_mann_whitney", "head set a is empty"});
  check_error("head-layers p2_heads_a.npy '[]' --lists", 3, {"p2_heads_a.npy", "head set b is empty"});
  check_error("head-layers p2_hidden.npy p2_ih.npy", 3, {"p2_hidden.npy", "[layers, heads]"});
  check_error("head-layers p2_attention.json:nothing p2_ih.npy", 3, {"p2_attention.json", "no field 'nothing'"});
  check_error("head-layers p2_pth.npy p2_ih.npy --lists", 3, {"p2_pth.npy", "[k, 2]"});
  check_error("head-layers '[[0,1],[0,-3]]' p2_heads_b.npy --lists", 3, {"head 1", "not a non-negative integer"});
}

TEST_CASE("task-vector: numpy's mean states and head outputs, and the injection h + lambda v",
          "[cli][task_vector]") {
  const auto& ref = reference();
  const fs::path dir = work_dir();
  SECTION("the mean state at a layer, f64 [layers, n, d] and f32 [n, d]") {
    const fs::path saved = dir / "v_states.npy";
    const json j = run_json("task-vector p2_states.npy --layer 1 --save '" + saved.string() + "'");
    CHECK(j["result"]["mode"] == "states");
    CHECK(j["result"]["layer"] == 1);
    CHECK(j["result"]["prompts"] == 7);
    CHECK(j["result"]["d"] == 6);
    CHECK(j["params"]["layer"] == 1);
    check_close(j["result"]["vector"], ref.values("tv_from_states"), 1e-12, 1e-14);
    const std::vector<double> v = read_npy_f8(saved, {6});
    check_close(j["result"]["vector"], v, 0.0);  // the file holds the same doubles
    const json f = run_json("task-vector p2_states_f32.npy");
    CHECK(f["result"]["layer"].is_null());
    check_close(f["result"]["vector"], ref.values("tv_from_states_f32"), 1e-12, 1e-14);
    REQUIRE(j["rows"].size() == 6);
    CHECK(j["rows"][5]["index"] == 5);
  }
  SECTION("the mean output of listed heads, one prompt (f64) and five prompts (strided f32)") {
    const json one = run_json("task-vector --outputs p2_outputs.npy --heads '[[2,1],[0,3],[1,1],[2,1]]'");
    CHECK(one["result"]["mode"] == "heads");
    CHECK(one["result"]["prompts"] == 1);
    CHECK(one["result"]["heads"] == int_rows("tv_heads"));
    check_close(one["result"]["vector"], ref.values("tv_from_heads"), 1e-12, 1e-14);
    const json five = run_json("task-vector --outputs p2_outputs4_f32.npy --heads '[[2,1],[0,3],[1,1],[2,1]]'");
    CHECK(five["result"]["prompts"] == 5);
    check_close(five["result"]["vector"], ref.values("tv_from_heads4"), 1e-6, 1e-7);
  }
  SECTION("--inject adds lambda v to every row (f64), to one layer, and rounds once to f16") {
    const fs::path v = dir / "v_heads.npy", h = dir / "h_injected.npy", layer = dir / "states_injected.npy",
                   h16 = dir / "h16_injected.npy";
    run_json("task-vector --outputs p2_outputs.npy --heads '[[2,1],[0,3],[1,1],[2,1]]' --save '" + v.string() + "'");
    const json j = run_json("task-vector --inject p2_h.npy --vector '" + v.string() + "' --lambda 2.5 --save '" +
                            h.string() + "'");
    CHECK(j["result"]["mode"] == "inject");
    CHECK(j["result"]["lambda"] == 2.5);
    CHECK(j["result"]["rows"] == 7);
    CHECK(j["result"]["saved_dtype"] == "f8");
    CHECK(j["rows"].size() == 7);
    check_close(json(read_npy_f8(h, {7, 6})), ref.values("tv_inject"), 1e-14, 1e-14);

    run_json("task-vector --inject p2_states.npy --layer 2 --vector '" + v.string() + "' --lambda 2.5 --save '" +
             layer.string() + "'");
    check_close(json(read_npy_f8(layer, {3, 7, 6})), ref.values("tv_inject_layer2"), 1e-14, 1e-14);

    const json f16 = run_json("task-vector --inject p2_h_f16.npy --vector '" + v.string() +
                              "' --lambda 2.5 --save '" + h16.string() + "'");
    CHECK(f16["result"]["saved_dtype"] == "f2");
    // The written f16 states, read back by the program: their mean over rows.
    const auto& injected = ref.values("tv_inject_f16");
    std::vector<double> mean(6, 0.0);
    for (std::size_t i = 0; i < 7; ++i) {
      for (std::size_t k = 0; k < 6; ++k) mean[k] += injected[i * 6 + k] / 7.0;
    }
    check_close(run_json("task-vector '" + h16.string() + "'")["result"]["vector"], mean, 1e-12, 1e-14);
  }
}

TEST_CASE("task-vector: the documented errors", "[cli][task_vector][errors]") {
  check_error("task-vector --outputs p2_outputs.npy --heads '[[3,0]]'", 3,
              {"p2_outputs.npy", "icl::geometry::head_task_vector", "heads[0] = (3, 0) is out of range"});
  check_error("task-vector --outputs p2_outputs.npy --heads '[]'", 3, {"p2_outputs.npy", "the head list is empty"});
  check_error("task-vector p2_states.npy --layer 3", 3,
              {"p2_states.npy", "icl::geometry::state_task_vector", "layer 3 is out of range for 3 layers"});
  check_error("task-vector p2_states.npy", 3, {"p2_states.npy", "must have 2 dimensions"});
  check_error("task-vector --inject p2_h.npy --vector '[1,2,3]' --save x.npy", 3,
              {"p2_h.npy", "icl::geometry::inject_task_vector", "v has 3 entries but h has d = 6"});
  check_error("task-vector --inject p2_states.npy --layer 5 --vector '[1,2,3,4,5,6]' --save x.npy", 3,
              {"p2_states.npy", "--layer 5 is out of range for 3 layers"});
  check_error("task-vector --inject p2_h.npy --vector '[1,2,3,4,5,6]'", 2, {"--save"});
  check_error("task-vector --outputs p2_outputs.npy", 2, {"--heads"});
  check_error("task-vector", 2, {"HIDDEN"});
}

TEST_CASE("retention, head-layers and task-vector match the schemas of docs/cli.md", "[cli][schema]") {
  const auto schemas = documented_schemas();
  const json retention = run_json("retention p2_hidden.npy -r 3 --unembedding p2_unembedding.npy --tokens p2_tokens.txt");
  const json scores = run_json("head-layers p2_pth.npy p2_ih.npy");
  const json lists = run_json("head-layers p2_heads_a.npy p2_heads_b.npy --lists");
  const fs::path saved = work_dir() / "schema_v.npy", injected = work_dir() / "schema_h.npy";
  const json states = run_json("task-vector p2_states.npy --layer 1 --save '" + saved.string() + "'");
  const json heads = run_json("task-vector --outputs p2_outputs.npy --heads '[[2,1],[0,3]]'");
  const json inject = run_json("task-vector --inject p2_h.npy --vector '" + saved.string() + "' --save '" +
                               injected.string() + "'");
  check_schema(schemas, "document", {retention, scores, lists, states, heads, inject});
  check_schema(schemas, "retention.params", {retention["params"]});
  check_schema(schemas, "retention.result", {retention["result"], run_json("retention p2_hidden.npy -r 2")["result"]});
  check_schema(schemas, "retention.transition", {retention["result"]["transitions"][0]});
  check_schema(schemas, "head-layers.params", {scores["params"], lists["params"]});
  check_schema(schemas, "head-layers.result", {scores["result"], lists["result"]});
  std::vector<json> tests;
  for (const json* doc : {&scores, &lists}) {
    for (const json& t : (*doc)["result"]["tests"]) tests.push_back(t);
  }
  check_schema(schemas, "head-layers.test", tests);
  check_schema(schemas, "task-vector.params", {states["params"], inject["params"]});
  check_schema(schemas, "task-vector.result", {states["result"], heads["result"], inject["result"]});
}
