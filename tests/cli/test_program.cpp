// Runs the icl-metrics program on tests/data/cli and checks its output against the reference
// values of tests/data/make_cli_fixtures.py (scikit-learn, scipy, numpy), its exit codes and
// messages, CSV output and every subcommand's --help.
#include <sys/wait.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "program_runner.hpp"
#include "schema_check.hpp"
#include "support/fixture.hpp"

using namespace icl_cli_test;

TEST_CASE("report reproduces the scikit-learn, scipy and numpy references", "[cli][report]") {
  const icl_test::fixture_file ref("cli/reference.txt");
  const fs::path out = work_dir() / "report";
  fs::remove_all(out);
  const run_result r = run_ok("report . --quiet --out '" + out.string() + "'");
  CHECK(r.err.empty());  // --quiet
  CHECK(r.out.find("Task 'regression'") != std::string::npos);
  CHECK(r.out.find("report.html") != std::string::npos);

  const json results = parse(read_text(out / "results.json"));
  CHECK(results["format"] == "icl-metrics-results");
  REQUIRE(results["tasks"].size() == 2);
  const json& reg = results["tasks"][0];
  CHECK(reg["name"] == "regression");
  CHECK(reg["layers"] == 4);
  CHECK(reg["n"] == 48);
  CHECK(reg["dtype"] == "f32");

  SECTION("task decodability (KNeighborsClassifier, leave one out)") {
    check_close(reg["decodability"]["overall"], ref.values("regression_td"), 0.0, 1e-12);
    CHECK(reg["decodability"]["peak_layer"] == 3);
    const json& groups = reg["decodability"]["by_demonstrations"];
    REQUIRE(groups.size() == 2);
    CHECK(groups[0]["demonstrations"] == 0);
    CHECK(groups[0]["n"] == 24);
    check_close(groups[0]["overall"], ref.values("regression_td_demos_0"), 0.0, 1e-12);
    CHECK(groups[1]["demonstrations"] == 4);
    check_close(groups[1]["overall"], ref.values("regression_td_demos_4"), 0.0, 1e-12);
    check_close(results["tasks"][1]["decodability"]["overall"], ref.values("classification_td"), 0.0, 1e-12);
  }
  SECTION("RSA alignment (scipy pdist correlation, spearmanr), with and without ICL") {
    // f32 and f16 inputs: the RDMs are computed in float.
    check_close(reg["rsa"]["with_icl"], ref.values("regression_rsa_icl"), 0.0, 1e-4);
    check_close(reg["rsa"]["without_icl"], ref.values("regression_rsa_no_icl"), 0.0, 1e-4);
    const auto& w = ref.values("regression_rsa_icl");
    const auto& wo = ref.values("regression_rsa_no_icl");
    for (std::size_t l = 0; l < 4; ++l) CHECK(reg["rsa"]["delta"][l].get<double>() == Approx(w[l] - wo[l]).margin(2e-4));
    check_close(results["tasks"][1]["rsa"]["with_icl"], ref.values("classification_rsa_icl"), 1e-10);
    CHECK_FALSE(results["tasks"][1]["rsa"].contains("without_icl"));
  }
  SECTION("geometry: output alignment through the RMSNorm, effective dimension") {
    check_close(reg["geometry"]["output_alignment"], ref.values("regression_output_alignment"), 0.0, 1e-12);
    check_close(reg["geometry"]["effective_dimension"], ref.values("regression_effective_dimension"), 1e-4);
    check_close(results["tasks"][1]["geometry"]["effective_dimension"],
                ref.values("classification_effective_dimension"), 1e-9);
    for (const auto& v : reg["geometry"]["separability"]) {
      CHECK(v.get<double>() >= 0.0);
      CHECK(v.get<double>() <= 1.0);
    }
  }
  SECTION("probe: 5-fold logistic accuracy per layer") {
    REQUIRE(reg["probe"]["mean"].size() == 4);
    for (const auto& folds : reg["probe"]["fold_scores"]) CHECK(folds.size() == 5);
    // The planted concept signal grows with the layer: the last layer beats the first.
    CHECK(reg["probe"]["mean"][3].get<double>() > reg["probe"]["mean"][0].get<double>());
  }
  SECTION("attention (numpy): ratio, previous-token and induction scores, top heads") {
    const json& att = reg["attention"];
    CHECK(att["prompts"] == 6);
    check_grid(att["ratio"], ref.values("regression_attention_ratio"), 1e-5);
    check_grid(att["previous_token"], ref.values("regression_previous_token"), 1e-5);
    check_grid(att["induction"], ref.values("regression_induction"), 1e-5);
    CHECK(att["top_previous_token"][0]["layer"] == 1);
    CHECK(att["top_previous_token"][0]["head"] == 2);
    CHECK(att["top_induction"][0]["layer"] == 2);
    CHECK(att["top_induction"][0]["head"] == 0);
    REQUIRE(att.contains("label_attention"));
    REQUIRE(att.contains("bias"));
    CHECK(att["bias"]["prompts"] == 6);
    const json& cls = results["tasks"][1]["attention"];
    CHECK(cls["prompts"] == 3);
    check_grid(cls["previous_token"], ref.values("classification_previous_token"), 1e-9);
    check_grid(cls["induction"], ref.values("classification_induction"), 1e-9);
    CHECK(cls["top_previous_token"][0]["layer"] == 0);
    CHECK(cls["top_previous_token"][0]["head"] == 1);
  }
  SECTION("report.html is self-contained, with plots for every family") {
    const std::string html = read_text(out / "report.html");
    CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
    CHECK(html.find("<script") == std::string::npos);
    CHECK(html.find("src=") == std::string::npos);
    CHECK(html.find("href=\"http") == std::string::npos);
    CHECK(html.find("<link") == std::string::npos);
    for (const char* title : {"Task decodability per layer", "RSA alignment with the concept RDM",
                              "Logistic probe of the concept", "Separability and alignment",
                              "Attention ratio per head", "Previous-token score per head", "Induction score per head",
                              "Top induction heads", "regression", "classification"}) {
      INFO(title);
      CHECK(html.find(title) != std::string::npos);
    }
    std::size_t svgs = 0;
    for (std::size_t at = html.find("<svg"); at != std::string::npos; at = html.find("<svg", at + 1)) ++svgs;
    CHECK(svgs >= 12);
    CHECK(html.find("</html>") != std::string::npos);
  }
}

TEST_CASE("subcommands match the references, as JSON and CSV", "[cli]") {
  const icl_test::fixture_file ref("cli/reference.txt");
  SECTION("decode") {
    const run_result r = run_ok("decode acts.safetensors:hidden_icl --labels concepts.npy -q");
    const json j = parse(r.out);
    CHECK(j["command"] == "decode");
    CHECK(j["params"]["k"] == 10);
    const auto& td = ref.values("regression_td");
    REQUIRE(j["rows"].size() == 4);
    for (std::size_t l = 0; l < 4; ++l) {
      CHECK(j["rows"][l]["layer"] == l);
      CHECK(j["rows"][l]["td"].get<double>() == Approx(td[l]).margin(1e-12));
    }
    const run_result csv = run("decode acts.safetensors:hidden_icl --labels concepts.npy -q --format csv");
    REQUIRE(csv.code == 0);
    const auto lines = split_lines(csv.out);
    REQUIRE(lines.size() == 5);
    CHECK(lines[0] == "layer,td,td_class_0,td_class_1,td_class_2,td_class_3");
    for (std::size_t l = 0; l < 4; ++l) {
      const auto cells = split_csv(lines[l + 1]);
      REQUIRE(cells.size() == 6);
      CHECK(cells[0] == std::to_string(l));
      CHECK(std::stod(cells[1]) == Approx(td[l]).margin(1e-12));
    }
  }
  SECTION("decode on bf16 states (read in place, converted while reading)") {
    const run_result r = run_ok("decode acts.safetensors:hidden_bf16 --labels concepts.npy -q --format csv");
    const auto lines = split_lines(r.out);
    REQUIRE(lines.size() == 5);
    const auto& td = ref.values("regression_td_bf16");
    for (std::size_t l = 0; l < 4; ++l) CHECK(std::stod(split_csv(lines[l + 1])[1]) == Approx(td[l]).margin(1e-12));
  }
  SECTION("decode per number of demonstrations, written with -o") {
    const fs::path file = work_dir() / "decode_demos.json";
    const run_result r = run("decode acts.safetensors:hidden_icl --labels concepts.npy --demonstrations "
                             "demonstrations.npy -q -o '" + file.string() + "'");
    REQUIRE(r.code == 0);
    CHECK(r.out.empty());
    const json j = parse(read_text(file));
    REQUIRE(j["rows"].size() == 8);
    CHECK(j["rows"][4]["demonstrations"] == 4);
    CHECK(j["rows"][4]["layer"] == 0);
    CHECK(j["rows"][4]["td"].get<double>() == Approx(ref.values("regression_td_demos_4")[0]).margin(1e-12));
  }
  SECTION("rsa with and without ICL") {
    const run_result r = run_ok("rsa acts.safetensors:hidden_icl --no-icl acts.safetensors:hidden_no_icl "
                                "--concepts concepts.npy -q --format csv");
    const auto lines = split_lines(r.out);
    REQUIRE(lines.size() == 5);
    CHECK(lines[0] == "layer,with_icl,without_icl,delta");
    for (std::size_t l = 0; l < 4; ++l) {
      const auto cells = split_csv(lines[l + 1]);
      CHECK(std::stod(cells[1]) == Approx(ref.values("regression_rsa_icl")[l]).margin(1e-4));
      CHECK(std::stod(cells[2]) == Approx(ref.values("regression_rsa_no_icl")[l]).margin(1e-4));
    }
    // Options reach the library: a permutation test adds p-values in (0, 1].
    const run_result p = run("rsa acts.safetensors:hidden_icl --labels concepts.npy --permutations 99 -q");
    REQUIRE(p.code == 0);
    const json j = parse(p.out);
    CHECK(j["params"]["permutations"] == 99);
    for (const auto& row : j["rows"]) {
      CHECK(row["p_value_with_icl"].get<double>() > 0.0);
      CHECK(row["p_value_with_icl"].get<double>() <= 1.0);
    }
    CHECK(j["rows"][3]["p_value_with_icl"].get<double>() == Approx(0.01));  // strongest layer: no permutation beats it
  }
  SECTION("attention") {
    const run_result r = run_ok(
        "attention acts.safetensors:attention --relevant relevant.npy --irrelevant irrelevant.npy "
        "--label-positions label_positions.npy --label-classes label_classes.npy -q");
    const json j = parse(r.out);
    REQUIRE(j["rows"].size() == 16);
    const auto& ratio = ref.values("regression_attention_ratio");
    const auto& induction = ref.values("regression_induction");
    for (std::size_t i = 0; i < 16; ++i) {
      CHECK(j["rows"][i]["layer"] == i / 4);
      CHECK(j["rows"][i]["head"] == i % 4);
      CHECK(j["rows"][i]["ratio"].get<double>() == Approx(ratio[i]).epsilon(1e-5));
      CHECK(j["rows"][i]["induction"].get<double>() == Approx(induction[i]).epsilon(1e-5));
      CHECK(j["rows"][i].contains("label_attention_0"));
    }
    // Ragged per-prompt maps (f16 .npy) with inline JSON label positions.
    const run_result g = run_ok("attention attention_0.npy attention_1.npy attention_2.npy "
                                "--label-positions '[[1,3,5],[1,3,5,7],[1,3,5,7,9]]' -q --format csv");
    const auto lines = split_lines(g.out);
    REQUIRE(lines.size() == 7);
    CHECK(lines[0] == "layer,head,previous_token,induction");
    const auto& prev = ref.values("classification_previous_token");
    for (std::size_t i = 0; i < 6; ++i) CHECK(std::stod(split_csv(lines[i + 1])[2]) == Approx(prev[i]).epsilon(1e-9));
  }
  SECTION("geometry with label directions and the final norm") {
    const run_result r = run_ok("geometry acts.safetensors:hidden_icl --labels labels.npy --label-directions "
                                "label_directions.npy --norm-gain norm_gain.npy -q");
    const json j = parse(r.out);
    const auto& oa = ref.values("regression_output_alignment");
    const auto& ed = ref.values("regression_effective_dimension");
    for (std::size_t l = 0; l < 4; ++l) {
      CHECK(j["rows"][l]["output_alignment"].get<double>() == Approx(oa[l]).margin(1e-12));
      CHECK(j["rows"][l]["effective_dimension"].get<double>() == Approx(ed[l]).epsilon(1e-4));
      CHECK(j["rows"][l].contains("separability"));
      CHECK(j["rows"][l].contains("mean_alignment"));
    }
    const run_result u = run_ok(
        "geometry hidden.npz:hidden_icl --labels '[" + std::string("0,1,0,1,0,1,0,1,0,1,0,1,0,1,0,1,0,1,0,1,"
        "0,1,0,1,0,1,0,1,0,1,0,1,0,1,0,1,0,1,0,1") + "]' --unembedding unembedding.npy "
        "--label-token-ids '[2,5]' --no-separability -q --format csv");
    const auto lines = split_lines(u.out);
    REQUIRE(lines.size() == 4);
    const auto header = split_csv(lines[0]);
    CHECK(std::find(header.begin(), header.end(), "separability") == header.end());
    CHECK(std::find(header.begin(), header.end(), "output_alignment") != header.end());
  }
  SECTION("probe: logistic with selectivity, ridge") {
    const run_result r = run_ok("probe acts.safetensors:hidden_icl --labels concepts.npy --folds 4 --selectivity -q");
    const json j = parse(r.out);
    REQUIRE(j["rows"].size() == 4);
    for (const auto& row : j["rows"]) {
      CHECK(row.contains("fold_3"));
      CHECK_FALSE(row.contains("fold_4"));
      CHECK(row["selectivity"].get<double>() == Approx(row["mean"].get<double>() - row["control_mean"].get<double>()));
    }
    const run_result ridge = run_ok("probe acts.safetensors:hidden_icl --targets demonstrations.npy -q --format csv");
    CHECK(split_lines(ridge.out)[0] == "layer,mean,std,fold_0,fold_1,fold_2,fold_3,fold_4");
  }
}

TEST_CASE("usage errors exit with 2", "[cli][errors]") {
  for (const char* args : {"", "frobnicate", "decode acts.safetensors:hidden_icl", "decode --labels concepts.npy",
                           "decode acts.safetensors:hidden_icl --labels concepts.npy -k 0",
                           "decode acts.safetensors:hidden_icl --labels concepts.npy --metric manhattan",
                           "rsa acts.safetensors:hidden_icl --labels concepts.npy --parameter labels.npy",
                           "rsa acts.safetensors:hidden_icl", "report", "decode x --no-such-option"}) {
    INFO(args);
    const run_result r = run(args);
    CHECK(r.code == 2);
    CHECK_FALSE(r.err.empty());
    CHECK(r.out.empty());
  }
  const run_result r = run("decode acts.safetensors:hidden_icl");
  CHECK(r.err.find("--labels") != std::string::npos);
}

TEST_CASE("bad input files exit with 3 and one line naming the file", "[cli][errors]") {
  struct bad_case {
    const char* args;
    const char* names;  ///< must appear in the message
  };
  for (const bad_case& c : std::vector<bad_case>{
           {"decode truncated.npy --labels concepts.npy", "truncated.npy"},
           {"decode missing.npy --labels concepts.npy", "missing.npy"},
           {"decode acts.safetensors:no_such --labels concepts.npy", "no_such"},
           {"decode acts.safetensors:hidden_icl --labels '[0,1,2]'", "[0,1,2]"},
           {"decode acts.safetensors:hidden_icl --labels concepts.npy -k 48", "acts.safetensors:hidden_icl"},
           {"decode concepts.npy --labels concepts.npy", "concepts.npy"},
           {"geometry acts.safetensors:hidden_icl --labels labels.npy --label-directions norm_gain.npy", "norm_gain.npy"},
           {"attention acts.safetensors:hidden_icl", "acts.safetensors:hidden_icl"},
           {"report bad_sizes", "labels"},
           {"report bad_member", "no_such_tensor"},
           {"report no_such_dir", "manifest.json"}}) {
    INFO(c.args);
    const run_result r = run(std::string(c.args) + " -q");
    INFO(r.err);
    CHECK(r.code == 3);
    CHECK(line_count(r.err) == 1);
    CHECK(r.err.rfind("icl-metrics: error: ", 0) == 0);
    CHECK(r.err.find(c.names) != std::string::npos);
  }
  const run_result r = run("report bad_sizes -q");
  CHECK(r.err.find("tasks[0]") != std::string::npos);
}

TEST_CASE("every subcommand has --help", "[cli][help]") {
  const run_result top = run("--help");
  CHECK(top.code == 0);
  for (const char* sub : {"rsa", "decode", "probe", "geometry", "attention", "report"}) {
    INFO(sub);
    CHECK(top.out.find(sub) != std::string::npos);
    const run_result r = run(std::string(sub) + " --help");
    CHECK(r.code == 0);
    CHECK(r.out.find("Usage") != std::string::npos);
    CHECK((r.out.find("--format") != std::string::npos || std::string(sub) == "report"));
  }
  const run_result version = run("--version");
  CHECK(version.code == 0);
  CHECK(version.out.find('.') != std::string::npos);
}

namespace {

/// Writes a C-order little-endian .npy file (format version 1.0) of `descr` ('<f8', '<f2', ...)
/// holding the raw bytes of `values`.
template <class V>
void write_npy(const fs::path& path, const char* descr, const std::vector<std::size_t>& shape,
               const std::vector<V>& values) {
  std::string dims;
  for (std::size_t k = 0; k < shape.size(); ++k) dims += std::to_string(shape[k]) + (shape.size() == 1 || k + 1 < shape.size() ? ", " : "");
  std::string header = std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': (" + dims + "), }";
  const std::size_t total = (10 + header.size() + 1 + 63) / 64 * 64;
  header.append(total - 10 - header.size() - 1, ' ');
  header += '\n';
  std::ofstream out(path, std::ios::binary);
  out.write("\x93NUMPY\x01\x00", 8);
  const char length[2] = {static_cast<char>(header.size() & 0xff), static_cast<char>(header.size() >> 8)};
  out.write(length, 2);
  out << header;
  out.write(reinterpret_cast<const char*>(values.data()), static_cast<std::streamsize>(values.size() * sizeof(V)));
}

void write_npy_f64(const fs::path& path, const std::vector<std::size_t>& shape, const std::vector<double>& values) {
  write_npy(path, "<f8", shape, values);
}

}  // namespace

TEST_CASE("geometry: a layer with zero variance is null with a note, the others are computed", "[cli][geometry]") {
  // 2 layers x 16 prompts x 3 features: layer 0 holds the same row for every prompt (as the
  // embedding output of prompts that end in the same token), layer 1 two separated classes.
  const std::size_t n = 16, d = 3;
  std::vector<double> hidden(2 * n * d, 0.5);
  for (std::size_t i = 0; i < n; ++i) {
    const double sign = i % 2 == 0 ? 1.0 : -1.0;
    for (std::size_t j = 0; j < d; ++j) hidden[n * d + i * d + j] = sign * (1.0 + 0.1 * static_cast<double>(j)) + 0.01 * static_cast<double>(i);
  }
  const fs::path file = work_dir() / "zero_variance_layer.npy";
  write_npy_f64(file, {2, n, d}, hidden);
  const run_result r = run_ok("geometry '" + file.string() + "' --labels '[0,1,0,1,0,1,0,1,0,1,0,1,0,1,0,1]'");
  const json j = parse(r.out)["result"];
  REQUIRE(j["undefined_layers"].size() == 1);
  CHECK(j["undefined_layers"][0]["layer"] == 0);
  CHECK(j["undefined_layers"][0]["reason"].get<std::string>().find("zero variance") != std::string::npos);
  REQUIRE(j["effective_dimension"][0].is_null());
  REQUIRE(j["separability"][0].is_null());
  CHECK(j["separability"][1].get<double>() == Approx(1.0));
  CHECK(j["effective_dimension"][1].get<double>() >= 1.0);

  // Every layer undefined: an input error naming the file.
  std::vector<double> flat(2 * n * d, 0.5);
  write_npy_f64(file, {2, n, d}, flat);
  const run_result bad = run("geometry '" + file.string() + "' --labels '[0,1,0,1,0,1,0,1,0,1,0,1,0,1,0,1]'");
  REQUIRE(bad.code == 3);
  CHECK(bad.err.find("zero_variance_layer.npy") != std::string::npos);
  CHECK(bad.err.find("every prompt has the same state in every layer") != std::string::npos);
  CHECK(line_count(bad.err) == 1);
}

TEST_CASE("geometry: f16 label directions give the results of the same directions in f64", "[cli][geometry]") {
  const std::size_t n = 16, d = 3;
  std::vector<double> hidden(n * d);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < d; ++j) {
      hidden[i * d + j] = (i % 2 == 0 ? 1.0 : -1.0) * (0.5 + 0.25 * static_cast<double>(j)) + 0.03 * static_cast<double>((i * 7 + j * 3) % 5);
    }
  }
  // Directions exactly representable in f16, and their f16 bit patterns.
  const std::vector<double> directions = {1.0, 0.5, -0.25, -1.0, 0.75, 0.125};
  const std::vector<std::uint16_t> half = {0x3C00, 0x3800, 0xB400, 0xBC00, 0x3A00, 0x3000};
  const fs::path h = work_dir() / "directions_hidden.npy", e64 = work_dir() / "directions_f64.npy",
                 e16 = work_dir() / "directions_f16.npy";
  write_npy_f64(h, {1, n, d}, hidden);
  write_npy_f64(e64, {2, d}, directions);
  write_npy(e16, "<f2", {2, d}, half);
  const std::string labels = " --labels '[0,1,0,1,0,1,0,1,0,1,0,1,0,1,0,1]' --label-directions '";
  const auto [a, b] = run_both("geometry '" + h.string() + "'" + labels + e64.string() + "'",
                               "geometry '" + h.string() + "'" + labels + e16.string() + "'");
  const json ra = parse(a.out)["result"], rb = parse(b.out)["result"];
  for (const char* key : {"output_alignment", "singular_alignment", "mean_alignment", "separability"}) {
    INFO(key);
    CHECK(rb[key][0].get<double>() == Approx(ra[key][0].get<double>()).epsilon(1e-5));
  }
}

TEST_CASE("CSV carries the RSA p-values without ICL, the probe's convergence and the attention biases", "[cli][csv]") {
  SECTION("rsa: p_value_without_icl") {
    const std::string args = "rsa acts.safetensors:hidden_icl --no-icl acts.safetensors:hidden_no_icl "
                             "--concepts concepts.npy --permutations 19 -q";
    const auto [j, c] = run_both(args, args + " --format csv");
    const json result = parse(j.out)["result"];
    const auto lines = split_lines(c.out);
    REQUIRE(lines.size() == 5);
    CHECK(lines[0] == "layer,with_icl,p_value_with_icl,without_icl,p_value_without_icl,delta");
    for (std::size_t l = 0; l < 4; ++l) {
      const auto cells = split_csv(lines[l + 1]);
      REQUIRE(cells.size() == 6);
      CHECK(std::stod(cells[2]) == Approx(result["p_value_with_icl"][l].get<double>()).epsilon(1e-15));
      CHECK(std::stod(cells[4]) == Approx(result["p_value_without_icl"][l].get<double>()).epsilon(1e-15));
      CHECK(std::stod(cells[4]) > 0.0);
      CHECK(std::stod(cells[4]) <= 1.0);
    }
  }
  SECTION("probe: converged") {
    const run_result c = run_ok("probe acts.safetensors:hidden_icl --labels concepts.npy --folds 4 -q --format csv");
    const auto lines = split_lines(c.out);
    REQUIRE(lines.size() == 5);
    CHECK(lines[0] == "layer,mean,std,converged,fold_0,fold_1,fold_2,fold_3");
    for (std::size_t l = 0; l < 4; ++l) {
      const std::string cell = split_csv(lines[l + 1])[3];
      CHECK((cell == "true" || cell == "false"));
    }
  }
  SECTION("attention: majority and recency excess, recency profile") {
    const std::string args = "attention acts.safetensors:attention --relevant relevant.npy --irrelevant irrelevant.npy "
                             "--label-positions label_positions.npy --label-classes label_classes.npy -q";
    const auto [j, c] = run_both(args, args + " --format csv");
    const json bias = parse(j.out)["result"]["bias"];
    const std::size_t profile = bias["profile_prompts"].size();
    REQUIRE(profile > 0);
    const auto lines = split_lines(c.out);
    REQUIRE(lines.size() == 17);
    const auto header = split_csv(lines[0]);
    const auto column = [&](const std::string& name) {
      const auto at = std::find(header.begin(), header.end(), name);
      REQUIRE(at != header.end());
      return static_cast<std::size_t>(at - header.begin());
    };
    const std::size_t majority = column("majority_excess"), recency = column("recency_excess");
    std::vector<std::size_t> shares;
    for (std::size_t k = 0; k < profile; ++k) shares.push_back(column("recency_profile_" + std::to_string(k)));
    CHECK(std::find(header.begin(), header.end(), "recency_profile_" + std::to_string(profile)) == header.end());
    // Cells hold the JSON values (empty where the JSON has null).
    const auto same = [](const std::string& cell, const json& value) {
      if (value.is_null()) return cell.empty();
      return !cell.empty() && std::stod(cell) == Approx(value.get<double>()).epsilon(1e-15);
    };
    for (std::size_t i = 0; i < 16; ++i) {
      INFO("row " << i);
      const std::size_t l = i / 4, h = i % 4;
      const auto cells = split_csv(lines[i + 1]);
      REQUIRE(cells.size() == header.size());
      CHECK(same(cells[majority], bias["majority_excess"][l][h]));
      CHECK(same(cells[recency], bias["recency_excess"][l][h]));
      for (std::size_t k = 0; k < profile; ++k) CHECK(same(cells[shares[k]], bias["recency_profile"][l][h][k]));
    }
  }
}

TEST_CASE("attention: the ratio of sums beside the mean of ratios", "[cli][attention]") {
  // One prompt: both summaries are that prompt's ratio.
  const run_result one = run_ok("attention attention_0.npy --relevant '[1,3]' --irrelevant '[0,2]' -q");
  const json r = parse(one.out)["result"];
  REQUIRE(r["ratio_of_sums"].size() == r["ratio"].size());
  for (std::size_t l = 0; l < r["ratio"].size(); ++l) {
    for (std::size_t h = 0; h < r["ratio"][l].size(); ++h) {
      INFO("layer " << l << " head " << h);
      CHECK(r["ratio_of_sums_undefined"][l][h] == r["ratio_undefined"][l][h]);
      if (r["ratio"][l][h].is_number()) {
        CHECK(r["ratio_of_sums"][l][h].get<double>() == Approx(r["ratio"][l][h].get<double>()).epsilon(1e-12));
      }
    }
  }
  // Several prompts: a CSV column of its own, finite and positive here.
  const run_result many = run_ok(
      "attention acts.safetensors:attention --relevant relevant.npy --irrelevant irrelevant.npy -q --format csv");
  const auto lines = split_lines(many.out);
  REQUIRE(lines.size() == 17);
  CHECK(lines[0] == "layer,head,previous_token,ratio,ratio_undefined,ratio_of_sums,ratio_of_sums_undefined");
  for (std::size_t i = 1; i < lines.size(); ++i) CHECK(std::stod(split_csv(lines[i])[5]) > 0.0);
}

TEST_CASE("options bind to the library's parameters and take its enum names", "[cli][options]") {
  SECTION("decode --dissimilarity, and --metric as its deprecated alias") {
    const run_result a = run("decode acts.safetensors:hidden_icl --labels concepts.npy --dissimilarity cosine -q");
    const run_result b = run("decode acts.safetensors:hidden_icl --labels concepts.npy --metric cosine -q");
    const run_result e = run("decode acts.safetensors:hidden_icl --labels concepts.npy -q");
    INFO(a.err << b.err << e.err);
    REQUIRE(a.code == 0);
    REQUIRE(b.code == 0);
    REQUIRE(e.code == 0);
    const json ja = parse(a.out), jb = parse(b.out), je = parse(e.out);
    CHECK(ja["params"]["dissimilarity"] == "cosine");
    CHECK(ja["result"]["dissimilarity"] == "cosine");
    CHECK(ja["result"]["overall"] == jb["result"]["overall"]);
    CHECK(ja["result"]["overall"] != je["result"]["overall"]);
    CHECK(je["params"]["dissimilarity"] == "euclidean");
    const run_result help = run("decode --help");
    CHECK(help.out.find("--dissimilarity") != std::string::npos);
    CHECK(help.out.find("--metric") == std::string::npos);  // hidden
    CHECK(run("decode acts.safetensors:hidden_icl --labels concepts.npy --dissimilarity manhattan -q").code == 2);
  }
  SECTION("rsa: every enumerator name is accepted and echoed") {
    const run_result help = run("rsa --help");
    for (const char* name : {"euclidean", "sqeuclidean", "sqeuclidean_per_feature", "correlation", "cosine", "pearson",
                             "spearman", "kendall_tau_a", "kendall_tau_b", "rho_a", "whitened_cosine", "none",
                             "zscore_features", "zscore_rows"}) {
      INFO(name);
      CHECK(help.out.find(name) != std::string::npos);
    }
    const run_result r = run_ok("rsa acts.safetensors:hidden_icl --labels concepts.npy --dissimilarity euclidean "
                                "--comparison kendall_tau_b --standardize zscore_rows -q");
    const json j = parse(r.out);
    CHECK(j["params"]["dissimilarity"] == "euclidean");
    CHECK(j["params"]["comparison"] == "kendall_tau_b");
    CHECK(j["params"]["standardize"] == "zscore_rows");
    CHECK(j["result"]["comparison"] == "kendall_tau_b");
    CHECK(run("rsa acts.safetensors:hidden_icl --labels concepts.npy --comparison kendall -q").code == 2);
  }
  SECTION("--block-rows reaches the RDM and the kNN tiles without changing the results") {
    const json a = parse(run("decode acts.safetensors:hidden_icl --labels concepts.npy --block-rows 7 -q").out);
    const json b = parse(run("decode acts.safetensors:hidden_icl --labels concepts.npy -q").out);
    CHECK(a["params"]["block_rows"] == 7);
    CHECK(a["result"]["overall"] == b["result"]["overall"]);
    const json r = parse(run("rsa acts.safetensors:hidden_icl --labels concepts.npy --block-rows 5 -q").out);
    const json s = parse(run("rsa acts.safetensors:hidden_icl --labels concepts.npy -q").out);
    CHECK(r["params"]["block_rows"] == 5);
    for (std::size_t l = 0; l < 4; ++l) {
      CHECK(r["result"]["with_icl"][l].get<double>() == Approx(s["result"]["with_icl"][l].get<double>()).margin(1e-6));
    }
  }
  SECTION("geometry: --variance takes the library's names") {
    const run_result r = run_ok("geometry acts.safetensors:hidden_icl --labels labels.npy --label-directions "
                                "label_directions.npy --no-separability --variance raw -q");
    const json j = parse(r.out);
    CHECK(j["params"]["variance"] == "raw");
    CHECK(j["params"]["separability"] == false);
    CHECK(run("geometry acts.safetensors:hidden_icl --labels labels.npy --variance scaled -q").code == 2);
    const std::string unembedding = "geometry hidden.npz:hidden_icl --labels '[0,1,0,1,0,1,0,1,0,1,0,1,0,1,0,1,0,1,0,1,"
                                    "0,1,0,1,0,1,0,1,0,1,0,1,0,1,0,1,0,1,0,1]' --unembedding unembedding.npy "
                                    "--label-token-ids '[2,5]' --no-separability -q";
    const auto [v, w] = run_both(unembedding, unembedding + " --lens-argmax label_rows");
    CHECK(parse(v.out)["params"]["lens_argmax"] == "vocabulary");
    CHECK(parse(w.out)["params"]["lens_argmax"] == "label_rows");
  }
}

namespace {

json run_json(const std::string& args) {
  const run_result r = run(args + " -q");
  INFO(args << "\n" << r.err);
  REQUIRE(r.code == 0);
  return parse(r.out);
}

}  // namespace

TEST_CASE("the JSON output matches the schemas of docs/cli.md", "[cli][schema]") {
  const auto schemas = documented_schemas();
  const json rsa = run_json("rsa acts.safetensors:hidden_icl --no-icl acts.safetensors:hidden_no_icl "
                            "--concepts concepts.npy --permutations 19");
  const json decode = run_json("decode acts.safetensors:hidden_icl --labels concepts.npy");
  const json groups = run_json("decode acts.safetensors:hidden_icl --labels concepts.npy --demonstrations "
                               "demonstrations.npy");
  // k = 30 leaves no group with more than k prompts: every group is skipped.
  const json skipped = run_json("decode acts.safetensors:hidden_icl --labels concepts.npy --demonstrations "
                                "demonstrations.npy -k 30");
  const json logistic = run_json("probe acts.safetensors:hidden_icl --labels concepts.npy --folds 4 --selectivity");
  const json ridge = run_json("probe acts.safetensors:hidden_icl --targets demonstrations.npy");
  const json geometry = run_json("geometry acts.safetensors:hidden_icl --labels labels.npy --label-directions "
                                 "label_directions.npy --norm-gain norm_gain.npy");
  const json attention = run_json("attention acts.safetensors:attention --relevant relevant.npy --irrelevant "
                                  "irrelevant.npy --label-positions label_positions.npy --label-classes "
                                  "label_classes.npy");
  const fs::path out = work_dir() / "schema_report";
  fs::remove_all(out);
  const run_result report = run_ok("report . -q --no-html --out '" + out.string() + "'");
  const json results = parse(read_text(out / "results.json"));

  SECTION("the document of every subcommand") {
    for (const json* doc : {&rsa, &decode, &groups, &logistic, &ridge, &geometry, &attention}) {
      CHECK((*doc)["format"] == "icl-metrics-result");
      CHECK((*doc)["version"] == 1);
    }
    check_schema(schemas, "document", {rsa, decode, groups, skipped, logistic, ridge, geometry, attention});
  }
  SECTION("params: the keys of the option tables") {
    check_schema(schemas, "rsa.params", {rsa["params"]});
    check_schema(schemas, "decode.params", {decode["params"], groups["params"]});
    check_schema(schemas, "probe.params", {logistic["params"], ridge["params"]});
    check_schema(schemas, "geometry.params", {geometry["params"]});
    check_schema(schemas, "attention.params", {attention["params"]});
  }
  SECTION("result of each subcommand") {
    check_schema(schemas, "rsa.result", {rsa["result"]});
    std::vector<json> decode_results = {decode["result"], groups["result"], skipped["result"]};
    std::vector<json> group_entries;
    for (const json& task : results["tasks"]) {
      decode_results.push_back(task["decodability"]);
      for (const json& g : task["decodability"].value("by_demonstrations", json::array())) group_entries.push_back(g);
    }
    check_schema(schemas, "decode.result", decode_results);
    for (const json* doc : {&groups, &skipped}) {
      for (const json& g : (*doc)["result"]["by_demonstrations"]) group_entries.push_back(g);
    }
    check_schema(schemas, "decode.group", group_entries);
    check_schema(schemas, "probe.result", {logistic["result"], ridge["result"]});
    // undefined_layers: see the zero-variance test of the geometry.
    check_schema(schemas, "geometry.result", {geometry["result"]}, {"undefined_layers"});
    check_schema(schemas, "attention.result", {attention["result"]});
    check_schema(schemas, "attention.bias", {attention["result"]["bias"]});
  }
  SECTION("results.json of report") {
    check_schema(schemas, "results", {results});
    CHECK(results["version"] == 1);
    check_schema(schemas, "results.options", {results["options"]});
    std::vector<json> tasks, probes, rsas, geometries, attentions;
    for (const json& task : results["tasks"]) {
      tasks.push_back(task);
      if (task.contains("rsa")) rsas.push_back(task["rsa"]);
      if (task.contains("probe")) probes.push_back(task["probe"]);
      if (task.contains("geometry")) geometries.push_back(task["geometry"]);
      if (task.contains("attention")) attentions.push_back(task["attention"]);
    }
    check_schema(schemas, "results.task", tasks);
    // The families inside a task have the subcommands' schemas (here without permutations, so
    // only the fields these runs write are required).
    check_schema(schemas, "rsa.result", rsas, {"permutations", "seed", "p_value_with_icl", "p_value_without_icl"});
    check_schema(schemas, "probe.result", probes, {"alpha", "control_seed", "control_mean", "selectivity"});
    check_schema(schemas, "geometry.result", geometries, {"undefined_layers"});
    check_schema(schemas, "attention.result", attentions);
  }
}
