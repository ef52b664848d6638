// The program's `associate`, `cka` and `p1` subcommands on the p13_* inputs of tests/data/cli:
// their output against tests/data/make_p13_cli_fixtures.py (numpy, scipy) and, for the
// permutation p-values and bootstrap intervals (the library's own random streams), against the
// library called on the same files; their exit codes and messages; their JSON against the
// schema tables of docs/cli.md.
#include <catch2/catch.hpp>
#include <cmath>
#include <string>
#include <vector>

#include "icl/core/association.hpp"
#include "icl/io/load.hpp"
#include "icl/rsa/hypothesis.hpp"
#include "icl/rsa/p1.hpp"
#include "program_runner.hpp"
#include "schema_check.hpp"
#include "support/fixture.hpp"

using namespace icl_cli_test;

namespace {

const icl_test::fixture_file& reference() {
  static const icl_test::fixture_file ref("cli/p13_reference.txt");
  return ref;
}

/// The JSON document of a successful run (quiet).
json document(const std::string& args) { return parse(run_ok(args + " -q").out); }

/// A run that fails with `code` and a first line on standard error that holds every fragment:
/// the only line for a bad input (3), followed by the pointer to --help for a usage error (2).
void check_error(const std::string& args, int code, const std::vector<std::string>& fragments) {
  const run_result r = run(args + " -q");
  INFO(args << "\n" << r.err);
  CHECK(r.code == code);
  CHECK(r.out.empty());
  const auto lines = split_lines(r.err);
  REQUIRE(lines.size() == (code == 3 ? 1U : 2U));
  for (const auto& fragment : fragments) CHECK(lines[0].find(fragment) != std::string::npos);
}

/// A [rows][cols] JSON grid as one row-major vector.
std::vector<double> flat(const json& grid) {
  std::vector<double> out;
  for (const auto& row : grid) {
    for (const auto& v : row) out.push_back(v.get<double>());
  }
  return out;
}

std::vector<double> values(const json& list) {
  std::vector<double> out;
  for (const auto& v : list) out.push_back(v.is_number() ? v.get<double>() : std::nan(""));
  return out;
}

const std::string p1_shared = "p1 p13_tokens.npy --subset '[3,0,4]' --parameter p13_parameter.npy";

}  // namespace

TEST_CASE("p1: the [P1] preset per layer reproduces scipy", "[cli][p1]") {
  const auto& ref = reference();
  SECTION("a token subset shared by the prompts, f64") {
    const json doc = document(p1_shared + " --permutations 0 --bootstrap 0");
    const json& r = doc["result"];
    check_close(r["with_icl"], ref.values("p1_shared"), 0.0, 1e-10);
    CHECK(r["preset"] == "p1");
    CHECK(r["dissimilarity"] == "cosine");
    CHECK(r["comparison"] == "spearman");
    CHECK(r["standardize"] == "zscore_features");
    CHECK(r["n"] == 9);
    CHECK(r["pooled_input"] == false);
    CHECK_FALSE(r.contains("p_value_with_icl"));
    CHECK_FALSE(r.contains("ci_low_with_icl"));
    CHECK(r["peak_layer"] == 1);
    CHECK(doc["rows"].size() == 3);
  }
  // The alignment curve of `p1 ARGS` without inference, against a reference and a tolerance.
  const auto check_curve = [&](const std::string& args, const std::string& name, double tolerance) {
    INFO(args);
    const json r = document("p1 " + args + " --permutations 0 --bootstrap 0")["result"];
    check_close(r["with_icl"], ref.values(name), 0.0, tolerance);
    return r;
  };
  SECTION("a subset per prompt, padded with -1") {
    check_curve("p13_tokens.npy --subset p13_subsets.npy --parameter p13_parameter.npy", "p1_per", 1e-10);
  }
  SECTION("f32 states in Fortran order (a strided view)") {
    check_curve("p13_tokens_f32.npy --subset '[3,0,4]' --parameter p13_parameter.npy", "p1_f32", 1e-5);
  }
  SECTION("states already pooled [layers, n, d] give the same curve") {
    CHECK(check_curve("p13_pooled.npy --parameter p13_parameter.npy", "p1_shared", 1e-10)["pooled_input"] == true);
  }
  SECTION("a categorical hypothesis from concept labels") {
    check_curve("p13_tokens.npy --subset '[3,0,4]' --labels p13_labels.npy", "p1_labels", 1e-10);
  }
  SECTION("the ICL effect: without demonstrations over their own subset, and the difference") {
    const json r = check_curve("p13_tokens.npy --subset '[3,0,4]' --parameter p13_parameter.npy --no-icl "
                               "p13_tokens_none.npy --subset-no-icl '[1,3]'",
                               "p1_shared", 1e-10);
    check_close(r["without_icl"], ref.values("p1_none"), 0.0, 1e-10);
    std::vector<double> delta;
    for (std::size_t l = 0; l < 3; ++l) delta.push_back(ref.values("p1_shared")[l] - ref.values("p1_none")[l]);
    check_close(r["delta"], delta, 0.0, 1e-10);
    CHECK_FALSE(r.contains("p_value_without_icl"));
  }
}

TEST_CASE("p1: permutation p-values and bootstrap intervals are the library's", "[cli][p1]") {
  const json doc = document(p1_shared + " --no-icl p13_tokens_none.npy --subset-no-icl '[1,3]' --permutations 199 "
                                        "--bootstrap 50 --seed 7 --confidence 0.9");
  const json& r = doc["result"];
  const std::vector<double> s = icl::io::load(data + "p13_parameter.npy").doubles();
  const icl::rsa::rdm hypothesis = icl::rsa::parameter_rdm(s);
  icl::rsa::rsa_curve_params params = icl::rsa::p1_curve_params();
  params.permutations = 199;
  params.bootstrap_samples = 50;
  params.seed = 7;
  params.confidence = 0.9;
  const auto with = icl::io::load(data + "p13_tokens.npy");
  const auto without = icl::io::load(data + "p13_tokens_none.npy");
  const auto a = icl::rsa::p1_rsa_curve(with.view<double, 4>(), std::vector<std::size_t>{3, 0, 4}, hypothesis, params);
  const auto b = icl::rsa::p1_rsa_curve(without.view<double, 4>(), std::vector<std::size_t>{1, 3}, hypothesis, params);
  check_close(r["p_value_with_icl"], a.p_value, 1e-15);
  check_close(r["ci_low_with_icl"], a.ci_low, 1e-15);
  check_close(r["ci_high_with_icl"], a.ci_high, 1e-15);
  check_close(r["p_value_without_icl"], b.p_value, 1e-15);
  check_close(r["ci_low_without_icl"], b.ci_low, 1e-15);
  check_close(r["ci_high_without_icl"], b.ci_high, 1e-15);
  CHECK(r["permutations"] == 199);
  CHECK(r["bootstrap_samples"] == 50);
  CHECK(doc["params"]["seed"] == 7);

  const run_result csv = run_ok(p1_shared + " --permutations 19 --bootstrap 20 --format csv -q");
  const auto lines = split_lines(csv.out);
  REQUIRE(lines.size() == 4);
  CHECK(lines[0] == "layer,with_icl,p_value_with_icl,ci_low_with_icl,ci_high_with_icl");
}

TEST_CASE("p1: bad input is exit code 2 or 3 with one line naming the file or option", "[cli][p1][errors]") {
  check_error("p1 p13_tokens.npy --parameter p13_parameter.npy", 2, {"--subset is required"});
  check_error("p1 p13_pooled.npy --subset '[0]' --parameter p13_parameter.npy", 2, {"--subset", "p13_pooled.npy"});
  check_error("p1 p13_tokens.npy --subset '[0]'", 2, {"give --labels"});
  check_error(p1_shared + " --subset-no-icl '[0]'", 2, {"--subset-no-icl needs --no-icl"});
  check_error("p1 p13_tokens.npy --subset '[0,5]' --parameter p13_parameter.npy", 3,
              {"p13_tokens.npy", "icl::rsa::p1_rsa_curve", "position 5 is out of range for T = 5"});
  check_error("p1 p13_tokens.npy --subset '[[0],[1]]' --parameter p13_parameter.npy", 3,
              {"[[0],[1]]: has 2 rows", "p13_tokens.npy", "n = 9"});
  check_error("p1 p13_tokens.npy --subset '[0]' --parameter '[0.1,0.2,0.3]'", 3,
              {"[0.1,0.2,0.3]: has 3 entries", "p13_tokens.npy", "n = 9"});
  check_error("p1 p13_metric.npy --parameter p13_parameter.npy", 3, {"p13_metric.npy", "[layers, n, T, d]"});
}

TEST_CASE("cka: linear CKA between layers reproduces numpy", "[cli][cka]") {
  const auto& ref = reference();
  SECTION("every pair of layers of one tensor, biased and debiased") {
    const json doc = document("cka p13_cka_x.npy");
    const json& r = doc["result"];
    CHECK(r["matrix"] == true);
    CHECK(r["debiased"] == false);
    CHECK(r["n"] == 20);
    CHECK(r["layers"] == 4);
    CHECK_FALSE(r.contains("other_layers"));
    check_close(flat(r["cka"]), ref.values("cka_x_biased"), 1e-10);
    CHECK(doc["rows"].size() == 16);
    check_close(flat(document("cka p13_cka_x.npy --debiased")["result"]["cka"]), ref.values("cka_x_debiased"), 1e-10);
  }
  SECTION("layer by layer with an f32 tensor in Fortran order") {
    const json r = document("cka p13_cka_x.npy --other p13_cka_y.npy")["result"];
    CHECK(r["matrix"] == false);
    CHECK(r["other_layers"] == 4);
    check_close(r["cka"], ref.values("cka_xy_biased"), 1e-5);
    check_close(document("cka p13_cka_x.npy --other p13_cka_y.npy --debiased")["result"]["cka"],
                ref.values("cka_xy_debiased"), 1e-5);
  }
  SECTION("every layer with every layer of another tensor (--matrix)") {
    const json r = document("cka p13_cka_x.npy --other p13_cka_z.npy --matrix")["result"];
    REQUIRE(r["cka"].size() == 4);
    CHECK(r["cka"][0].size() == 3);
    check_close(flat(r["cka"]), ref.values("cka_xz_biased"), 1e-10);
    check_close(flat(document("cka p13_cka_x.npy --other p13_cka_z.npy --matrix --debiased")["result"]["cka"]),
                ref.values("cka_xz_debiased"), 1e-10);
  }
  SECTION("CSV: one row per layer, or per pair of layers") {
    const auto curve = split_lines(run_ok("cka p13_cka_x.npy --other p13_cka_y.npy --format csv -q").out);
    REQUIRE(curve.size() == 5);
    CHECK(curve[0] == "layer,cka");
    const auto grid = split_lines(run_ok("cka p13_cka_x.npy --format csv -q").out);
    REQUIRE(grid.size() == 17);
    CHECK(grid[0] == "layer,other_layer,cka");
  }
}

TEST_CASE("cka: bad input is exit code 2 or 3 with one line naming the file or option", "[cli][cka][errors]") {
  check_error("cka p13_cka_x.npy --matrix", 2, {"--matrix needs --other"});
  check_error("cka p13_cka_x.npy --other p13_cka_z.npy", 3, {"p13_cka_z.npy: has 3 layers", "p13_cka_x.npy has 4"});
  check_error("cka p13_cka_x.npy --other p13_pooled.npy --matrix", 3,
              {"p13_cka_x.npy with p13_pooled.npy", "icl::geometry::cka_matrix"});
  check_error("cka p13_tokens.npy", 3, {"p13_tokens.npy", "3 dimensions"});
}

TEST_CASE("associate: behaviour against metric reproduces scipy", "[cli][associate]") {
  const auto& ref = reference();
  const std::string npy = "associate --metric p13_metric.npy --behaviour p13_behaviour.npy";
  SECTION("correlations, R², line and t-test p-values from f64 and f32 files") {
    const json doc = document(npy + " --permutations 0 --bootstrap 0");
    const json& r = doc["result"];
    CHECK(r["n"] == 10);
    CHECK(r["correlation"] == "pearson");
    CHECK(r["pearson_r"].get<double>() == Approx(ref.values("assoc_pearson")[0]).epsilon(1e-12));
    CHECK(r["spearman_r"].get<double>() == Approx(ref.values("assoc_spearman")[0]).epsilon(1e-12));
    CHECK(r["r_squared"].get<double>() == Approx(ref.values("assoc_r_squared")[0]).epsilon(1e-12));
    CHECK(r["slope"].get<double>() == Approx(ref.values("assoc_slope")[0]).epsilon(1e-12));
    CHECK(r["intercept"].get<double>() == Approx(ref.values("assoc_intercept")[0]).epsilon(1e-10));
    CHECK(r["statistic"].get<double>() == Approx(ref.values("assoc_pearson")[0]).epsilon(1e-12));
    CHECK(r["analytic_p_value"].get<double>() == Approx(ref.values("assoc_pearson_p")[0]).epsilon(1e-9));
    CHECK(r["p_value"].is_null());
    CHECK(r["ci_low"].is_null());
    REQUIRE(doc["rows"].size() == 1);
    const json s = document(npy + " --statistic spearman --permutations 0 --bootstrap 0")["result"];
    CHECK(s["statistic"].get<double>() == Approx(ref.values("assoc_spearman")[0]).epsilon(1e-12));
    CHECK(s["analytic_p_value"].get<double>() == Approx(ref.values("assoc_spearman_p")[0]).epsilon(1e-9));
  }
  SECTION("curves addressed inside JSON documents by dotted key, element name or JSON pointer") {
    const json r = document("associate --metric p13_curves.json:tasks.sizes.decodability.overall --behaviour "
                            "p13_curves.json:/tasks/1/accuracy --permutations 0 --bootstrap 0")["result"];
    CHECK(r["pearson_r"].get<double>() == Approx(ref.values("assoc_pearson")[0]).epsilon(1e-12));
    CHECK(r["spearman_r"].get<double>() == Approx(ref.values("assoc_spearman")[0]).epsilon(1e-12));
  }
  SECTION("a null (undefined) entry: --nan omit drops the pair") {
    const json r = document("associate --metric p13_curves.json:result.overall --behaviour p13_behaviour.npy "
                            "--nan omit --permutations 0 --bootstrap 0")["result"];
    CHECK(r["n"] == 9);
    CHECK(r["metric"][4].is_null());
    CHECK(r["pearson_r"].get<double>() == Approx(ref.values("omit_pearson")[0]).epsilon(1e-12));
    CHECK(r["spearman_r"].get<double>() == Approx(ref.values("omit_spearman")[0]).epsilon(1e-12));
    CHECK(r["r_squared"].get<double>() == Approx(ref.values("omit_r_squared")[0]).epsilon(1e-12));
    CHECK(r["analytic_p_value"].get<double>() == Approx(ref.values("omit_pearson_p")[0]).epsilon(1e-9));
  }
  SECTION("the permutation p-value and bootstrap interval are the library's") {
    const json doc = document(npy + " --permutations 999 --bootstrap 300 --seed 3 --alternative greater "
                                    "--statistic spearman --confidence 0.8");
    const json& r = doc["result"];
    icl::stats::association_params params;
    params.permutations = 999;
    params.bootstrap_samples = 300;
    params.seed = 3;
    params.alt = icl::alternative::greater;
    params.statistic = icl::stats::correlation::spearman;
    params.confidence = 0.8;
    const auto a = icl::stats::behaviour_association(icl::io::load(data + "p13_metric.npy").doubles(),
                                                     icl::io::load(data + "p13_behaviour.npy").doubles(), params);
    check_close(json::array({r["p_value"], r["ci_low"], r["ci_high"], r["standard_error"], r["analytic_p_value"]}),
                {a.p_value, a.ci_low, a.ci_high, a.standard_error, a.analytic_p_value}, 1e-15);
    CHECK(r["alternative"] == "greater");
    CHECK(r["permutations"] == 999);
    CHECK(r["bootstrap_samples"] == 300);
    CHECK(r["bootstrap_skipped"] == a.bootstrap_skipped);
    CHECK(doc["params"]["bootstrap"] == 300);
    const auto csv = split_lines(run_ok(npy + " --permutations 9 --bootstrap 10 --format csv -q").out);
    REQUIRE(csv.size() == 2);
    CHECK(split_csv(csv[0]).size() == 12);
  }
  SECTION("inline lists") {
    const json r = document("associate --metric '[1,2,3,4]' --behaviour '[2,4,5,9]' --permutations 0 --bootstrap 0")["result"];
    CHECK(r["spearman_r"].get<double>() == Approx(1.0));
    CHECK(values(r["behaviour"]) == std::vector<double>{2, 4, 5, 9});
  }
}

TEST_CASE("associate: bad input is exit code 2 or 3 with one line naming the file or option",
          "[cli][associate][errors]") {
  const std::string behaviour = " --behaviour p13_behaviour.npy";
  check_error("associate --metric p13_metric.npy", 2, {"--behaviour"});
  check_error("associate --metric p13_metric.npy --nan skip" + behaviour, 2, {"--nan"});
  check_error("associate --metric p13_curves.json:result.accuracy" + behaviour, 3,
              {"p13_curves.json", "no key 'accuracy' at 'result'"});
  check_error("associate --metric p13_curves.json:tasks.absent.accuracy" + behaviour, 3,
              {"p13_curves.json", "no key 'absent' at 'tasks'"});
  check_error("associate --metric p13_curves.json:/tasks/9" + behaviour, 3, {"p13_curves.json", "'/tasks/9'"});
  check_error("associate --metric p13_curves.json:tasks.1" + behaviour, 3,
              {"p13_curves.json:tasks.1", "expected an array of numbers"});
  check_error("associate --metric missing.json:x" + behaviour, 3, {"missing.json", "cannot open"});
  check_error("associate --metric p13_curves.json:result.overall" + behaviour, 3,
              {"metric p13_curves.json:result.overall (x)", "icl::stats::behaviour_association", "x value 4"});
  check_error("associate --metric '[1,2,3]'" + behaviour, 3, {"icl::stats::behaviour_association", "x has 3 values"});
  check_error("associate --metric p13_metric.npy --bootstrap 1" + behaviour, 3, {"bootstrap_samples"});
  check_error("associate --metric p13_tokens.npy" + behaviour, 3, {"p13_tokens.npy", "must be 1-D"});
}

TEST_CASE("associate, cka, p1: the JSON output matches the schemas of docs/cli.md", "[cli][schema]") {
  const auto schemas = documented_schemas();
  const json associate = document("associate --metric p13_metric.npy --behaviour p13_behaviour.npy --permutations 99 "
                                  "--bootstrap 50");
  const json cka = document("cka p13_cka_x.npy");
  const json cka_other = document("cka p13_cka_x.npy --other p13_cka_y.npy");
  const json p1 = document(p1_shared + " --permutations 19 --bootstrap 20");
  const json p1_effect = document(p1_shared + " --no-icl p13_tokens_none.npy --subset-no-icl '[1,3]' "
                                              "--permutations 19 --bootstrap 20");
  check_schema(schemas, "document", {associate, cka, cka_other, p1, p1_effect});
  check_schema(schemas, "associate.params", {associate["params"]});
  check_schema(schemas, "associate.result", {associate["result"]});
  check_schema(schemas, "cka.params", {cka["params"], cka_other["params"]});
  check_schema(schemas, "cka.result", {cka["result"], cka_other["result"]});
  check_schema(schemas, "p1.params", {p1["params"], p1_effect["params"]});
  check_schema(schemas, "p1.result", {p1["result"], p1_effect["result"]});
}
