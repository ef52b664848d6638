// The program's `rsa` with Mahalanobis and crossnobis RDMs and bootstrap intervals, and `decode
// --pairwise`, on the inputs of tests/data/cli/rsa_decode: their output against
// tests/data/make_rsa_decode_cli_fixtures.py (numpy, scipy) and, for the bootstrap intervals and
// permutation p-values (the library's own random streams), against the library called on the same
// files; the exit code and message of each documented error; their JSON against the schema
// tables of docs/cli.md.
#include <catch2/catch.hpp>
#include <cmath>
#include <initializer_list>
#include <string>
#include <vector>

#include "icl/io/load.hpp"
#include "icl/rsa/alignment.hpp"
#include "icl/rsa/hypothesis.hpp"
#include "icl/rsa/inference.hpp"
#include "icl/rsa/rdm.hpp"
#include "program_runner.hpp"
#include "schema_check.hpp"
#include "support/fixture.hpp"

using namespace icl_cli_test;

namespace {

/// The values of tests/data/cli/rsa_decode/reference.txt.
const std::vector<double>& expected(const std::string& name) {
  static const icl_test::fixture_file reference("cli/rsa_decode/reference.txt");
  return reference.values(name);
}

/// The document of a successful quiet run of `command` on the files of rsa_decode/.
json run_doc(const std::string& command) { return parse(run_ok(command + " -q").out); }

/// The statistic, p-value and interval of each layer in `result` under `suffix` ("with_icl",
/// "without_icl"), against the library's curve.
void check_inference(const json& result, const std::string& suffix, const icl::rsa::layer_rsa_result& curve) {
  check_close(result[suffix], curve.statistic, 1e-15);
  check_close(result["p_value_" + suffix], curve.p_value, 1e-15);
  check_close(result["ci_low_" + suffix], curve.ci_low, 1e-15);
  check_close(result["ci_high_" + suffix], curve.ci_high, 1e-15);
}

const std::string hidden = "rsa_decode/hidden.npy", hidden_f32 = "rsa_decode/hidden_f32.npy",
                  hidden_none = "rsa_decode/hidden_none.npy";
const std::string by_prompt = " --labels rsa_decode/labels.npy";
const std::string mahalanobis = " --dissimilarity mahalanobis --precision rsa_decode/precision.npy";
const std::string by_condition = " --parameter rsa_decode/condition_parameter.npy";
const std::string crossnobis =
    " --dissimilarity crossnobis --conditions rsa_decode/conditions.npy --folds rsa_decode/folds.npy";

/// A rejected command: the exit code, nothing on standard output, and a first line of the
/// message that holds each fragment.
void check_rejected(const std::string& command, int code, std::initializer_list<std::string> fragments) {
  const run_result r = run(command + " -q");
  INFO(command << "\n" << r.err);
  CHECK(r.code == code);
  CHECK(r.out.empty());
  const std::string first_line = r.err.substr(0, r.err.find('\n'));
  for (const std::string& fragment : fragments) {
    INFO("fragment " << fragment);
    CHECK(first_line.find(fragment) != std::string::npos);
  }
}

/// The layers of a [layers][C][C] JSON grid, flat in C order (null as NaN).
std::vector<double> flatten(const json& grids) {
  std::vector<double> out;
  for (const auto& grid : grids) {
    for (const auto& row : grid) {
      for (const auto& v : row) out.push_back(v.is_null() ? std::nan("") : v.get<double>());
    }
  }
  return out;
}

/// The fields of `object` that the schema `name` of docs/cli.md documents (keep = true), or the
/// others (keep = false).
json fields_of(const json& object, const std::vector<documented_field>& schema, bool keep) {
  json out = json::object();
  for (auto it = object.begin(); it != object.end(); ++it) {
    bool documented = false;
    for (const auto& f : schema) documented = documented || f.name == it.key();
    if (documented == keep) out[it.key()] = it.value();
  }
  return out;
}

}  // namespace

TEST_CASE("rsa --dissimilarity mahalanobis: squared Mahalanobis distances over d, as scipy", "[cli][rsa]") {
  SECTION("f64 states, Spearman and Pearson, with and without demonstrations") {
    const json doc = run_doc("rsa " + hidden + by_prompt + mahalanobis + " --no-icl " + hidden_none);
    const json& r = doc["result"];
    CHECK(r["dissimilarity"] == "mahalanobis");
    CHECK(r["n"] == 12);
    CHECK(doc["params"]["dissimilarity"] == "mahalanobis");
    CHECK(doc["inputs"]["precision"] == "rsa_decode/precision.npy");
    check_close(r["with_icl"], expected("mahalanobis_spearman"), 0.0, 1e-10);
    check_close(r["without_icl"], expected("mahalanobis_spearman_none"), 0.0, 1e-10);
    // Pearson's r tells the squared distance from the distance itself.
    const json p = run_doc("rsa " + hidden + by_prompt + mahalanobis + " --comparison pearson")["result"];
    check_close(p["with_icl"], expected("mahalanobis_pearson"), 0.0, 1e-10);
  }
  SECTION("f32 states in Fortran order") {
    const json r = run_doc("rsa " + hidden_f32 + by_prompt + mahalanobis + " --comparison pearson")["result"];
    check_close(r["with_icl"], expected("mahalanobis_pearson_f32"), 0.0, 1e-5);
  }
}

TEST_CASE("rsa --dissimilarity crossnobis: an RDM over the conditions, as numpy", "[cli][rsa]") {
  const auto check_case = [&](const std::string& states, const std::string& options, const std::string& name,
                              double tolerance) {
    for (const std::string comparison : {"spearman", "pearson"}) {
      INFO(options << " " << comparison);
      const json doc = run_doc("rsa " + states + by_condition + crossnobis + options + " --comparison " + comparison);
      const json& r = doc["result"];
      CHECK(r["dissimilarity"] == "crossnobis");
      CHECK(r["n"] == 4);
      CHECK(r["conditions"] == json::array({3, 7, 8, 11}));
      CHECK(r["folds"] == 3);
      CHECK(doc["inputs"]["conditions"] == "rsa_decode/conditions.npy");
      CHECK(doc["inputs"]["folds"] == "rsa_decode/folds.npy");
      CHECK(doc["rows"].size() == 3);
      check_close(r["with_icl"], expected(name + "_" + comparison), 0.0, tolerance);
    }
  };
  SECTION("the identity (no --precision), f64 and f32") {
    check_case(hidden, "", "crossnobis", 1e-10);
    check_case(hidden_f32, "", "crossnobis", 1e-5);
  }
  SECTION("a precision matrix, f64 and f32") {
    check_case(hidden, " --precision rsa_decode/precision.npy", "crossnobis_precision", 1e-10);
    check_case(hidden_f32, " --precision rsa_decode/precision.npy", "crossnobis_precision", 1e-5);
  }
  SECTION("the same conditions and folds for the states without demonstrations") {
    const json r = run_doc("rsa " + hidden + by_condition + crossnobis + " --no-icl " + hidden_none)["result"];
    check_close(r["without_icl"], expected("crossnobis_spearman_none"), 0.0, 1e-10);
  }
}

TEST_CASE("rsa --bootstrap: intervals and p-values are those of the library, per layer", "[cli][rsa]") {
  const icl::rsa::rdm hypothesis = icl::rsa::categorical_rdm(icl::io::load(data + "rsa_decode/labels.npy").labels());
  icl::rsa::rsa_curve_params params;
  params.permutations = 99;
  params.bootstrap_samples = 40;
  params.confidence = 0.9;
  params.seed = 5;
  const std::string inference = " --permutations 99 --bootstrap 40 --confidence 0.9 --seed 5";

  SECTION("the library's dissimilarities: icl::rsa::rsa_curve, with and without demonstrations") {
    const json doc = run_doc("rsa " + hidden + by_prompt + " --no-icl " + hidden_none + inference);
    const json& r = doc["result"];
    const auto with = icl::rsa::rsa_curve(icl::io::load(data + hidden).view<double, 3>(), hypothesis, params);
    const auto without = icl::rsa::rsa_curve(icl::io::load(data + hidden_none).view<double, 3>(), hypothesis, params);
    check_inference(r, "with_icl", with);
    check_inference(r, "without_icl", without);
    CHECK(r["bootstrap_samples"] == 40);
    CHECK(r["confidence"] == 0.9);
    CHECK(r["seed"] == 5);
    CHECK(doc["params"]["bootstrap"] == 40);
    CHECK(doc["rows"][2]["ci_high_without_icl"] == r["ci_high_without_icl"][2]);
  }
  SECTION("f32 states in Fortran order") {
    const json r = run_doc("rsa " + hidden_f32 + by_prompt + inference)["result"];
    const auto curve = icl::rsa::rsa_curve(icl::io::load(data + hidden_f32).view<float, 3>(), hypothesis, params);
    check_inference(r, "with_icl", curve);
  }
  SECTION("Mahalanobis RDMs: bootstrap_compare on each layer's compute_rdm_mahalanobis") {
    const json r = run_doc("rsa " + hidden + by_prompt + mahalanobis + " --bootstrap 40 --confidence 0.9 --seed 5")
                       ["result"];
    const auto states = icl::io::load(data + hidden);
    const auto precision = icl::io::load(data + "rsa_decode/precision.npy");
    icl::rsa::bootstrap_params b;
    b.samples = 40;
    b.confidence = 0.9;
    b.seed = 5;
    std::vector<double> low, high, statistic;
    for (std::size_t l = 0; l < 3; ++l) {
      const auto layer = icl::rsa::compute_rdm_mahalanobis(states.view<double, 3>().matrix(l),
                                                           precision.matrix<double>());
      const auto result = icl::rsa::bootstrap_compare(layer, hypothesis, icl::rsa::comparison::spearman, b);
      low.push_back(result.ci_low);
      high.push_back(result.ci_high);
      statistic.push_back(result.statistic);
    }
    check_close(r["with_icl"], statistic, 1e-15);
    check_close(r["ci_low_with_icl"], low, 1e-15);
    check_close(r["ci_high_with_icl"], high, 1e-15);
    CHECK_FALSE(r.contains("permutations"));
  }
  SECTION("CSV: the interval's columns follow the curve") {
    const auto lines = split_lines(run_ok("rsa " + hidden + by_prompt + " --bootstrap 20 --format csv -q").out);
    REQUIRE(lines.size() == 4);
    CHECK(lines[0] == "layer,with_icl,ci_low_with_icl,ci_high_with_icl");
  }
  SECTION("without --bootstrap the output is as before") {
    const json plain = run_doc("rsa " + hidden + by_prompt + " --permutations 19");
    const json zero = run_doc("rsa " + hidden + by_prompt + " --permutations 19 --bootstrap 0");
    CHECK(plain["result"] == zero["result"]);
    CHECK(plain["rows"] == zero["rows"]);
    CHECK_FALSE(plain["result"].contains("ci_low_with_icl"));
    CHECK_FALSE(plain["result"].contains("bootstrap_samples"));
  }
}

TEST_CASE("decode --pairwise: kNN on each pair of classes, as numpy", "[cli][decode]") {
  for (const std::string dissimilarity : {"euclidean", "cosine"}) {
    for (const std::string suffix : {"", "_f32"}) {
      INFO(dissimilarity << suffix);
      const std::string command = "decode rsa_decode/decode" + suffix +
                                  ".npy --labels rsa_decode/decode_labels.npy -k 3 --dissimilarity " + dissimilarity;
      const json doc = run_doc(command + " --pairwise");
      const json& r = doc["result"];
      CHECK(r["classes"] == json::array({2, 5, 9}));
      const std::vector<double> got = flatten(r["pairwise"]);
      const std::vector<double>& want = expected("pairwise_" + dissimilarity + suffix);
      REQUIRE(got.size() == want.size());
      for (std::size_t i = 0; i < got.size(); ++i) {
        INFO("entry " << i);
        if (std::isnan(want[i])) {
          CHECK(std::isnan(got[i]));
        } else {
          CHECK(got[i] == Approx(want[i]).epsilon(1e-15));
        }
      }
      // Entry (a, b) of layer l is the row's td_pair_<a>_<b>; the rest of the result is as before.
      CHECK(doc["rows"][1]["td_pair_2_9"] == r["pairwise"][1][0][2]);
      CHECK(doc["rows"][0]["td_pair_5_9"] == r["pairwise"][0][1][2]);
      CHECK(doc["params"]["pairwise"] == true);
      json before = run_doc(command)["result"];
      before["pairwise"] = r["pairwise"];
      CHECK(before == r);
    }
  }
}

TEST_CASE("rsa and decode: each documented error is exit code 2 or 3 naming the option or file", "[cli][errors]") {
  SECTION("mahalanobis: --precision is required, of the states' d, two-dimensional") {
    check_rejected("rsa " + hidden + by_prompt + " --dissimilarity mahalanobis", 2,
                   {"--dissimilarity mahalanobis needs --precision"});
    check_rejected("rsa " + hidden + by_prompt + " --dissimilarity mahalanobis --precision rsa_decode/precision_4.npy",
                   3, {"rsa_decode/precision_4.npy (--precision)", "4 x 4", "rsa_decode/hidden.npy", "d = 5"});
    check_rejected("rsa " + hidden + by_prompt + " --dissimilarity mahalanobis --precision rsa_decode/decode.npy", 3,
                   {"rsa_decode/decode.npy", "precision matrix [d, d] must have 2 dimensions"});
    check_rejected("rsa " + hidden + by_prompt + " --precision rsa_decode/precision.npy", 2,
                   {"--precision needs --dissimilarity mahalanobis or crossnobis"});
  }
  SECTION("crossnobis: --conditions and --folds, one per prompt; a hypothesis entry per condition") {
    check_rejected("rsa " + hidden + by_condition + " --dissimilarity crossnobis --conditions rsa_decode/conditions.npy",
                   2, {"--dissimilarity crossnobis needs --conditions and --folds"});
    check_rejected("rsa " + hidden + by_condition + mahalanobis + " --folds rsa_decode/folds.npy", 2,
                   {"--conditions and --folds need --dissimilarity crossnobis"});
    check_rejected("rsa " + hidden + by_condition +
                       " --dissimilarity crossnobis --conditions '[3,7,8,11]' --folds rsa_decode/folds.npy",
                   3, {"[3,7,8,11] (--conditions): has 4 entries", "rsa_decode/hidden.npy", "n = 12"});
    check_rejected("rsa " + hidden + by_condition +
                       " --dissimilarity crossnobis --conditions rsa_decode/conditions.npy --folds '[0,1,2]'",
                   3, {"[0,1,2] (--folds): has 3 entries", "n = 12"});
    check_rejected("rsa " + hidden + by_prompt + crossnobis, 3,
                   {"rsa_decode/labels.npy: has 12 entries", "over 4 conditions", "rsa_decode/conditions.npy"});
    check_rejected("rsa " + hidden + by_condition +
                       " --dissimilarity crossnobis --conditions rsa_decode/conditions.npy --folds "
                       "'[0,0,0,1,1,1,1,1,1,1,1,1]'",
                   3, {"icl::rsa::compute_rdm_crossnobis", "condition 11 has no measurement in fold 0"});
    check_rejected("rsa " + hidden + by_condition + crossnobis + " --precision rsa_decode/precision_4.npy", 3,
                   {"rsa_decode/precision_4.npy (--precision)", "d = 5"});
  }
  SECTION("--bootstrap: 0 or at least 2 samples, a confidence in (0, 1), not with whitened_cosine") {
    check_rejected("rsa " + hidden + by_prompt + " --bootstrap 1", 2, {"--bootstrap must be 0", "got 1"});
    check_rejected("rsa " + hidden + by_prompt + " --bootstrap 10 --confidence 1.5", 2,
                   {"--confidence must lie strictly between 0 and 1", "1.5"});
    check_rejected("rsa " + hidden + by_prompt + " --bootstrap 10 --comparison whitened_cosine", 3,
                   {"rsa_decode/hidden.npy with rsa_decode/labels.npy (layer 0)", "icl::rsa::bootstrap_compare",
                    "whitened_cosine"});
    check_rejected("rsa " + hidden + " --labels '[0,1]' --bootstrap 10", 3, {"[0,1]: has 2 entries", "n = 12"});
  }
  SECTION("--dissimilarity takes the library's names and the two RDMs with inputs") {
    check_rejected("rsa " + hidden + by_prompt + " --dissimilarity manhattan", 2, {"--dissimilarity", "crossnobis"});
  }
  SECTION("decode --pairwise: not with --demonstrations; k + 1 points in every pair of classes") {
    check_rejected("decode rsa_decode/decode.npy --labels rsa_decode/decode_labels.npy --pairwise --demonstrations "
                   "'[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]'",
                   2, {"--demonstrations excludes --pairwise"});
    check_rejected("decode rsa_decode/decode.npy --labels rsa_decode/decode_labels.npy --pairwise -k 10", 3,
                   {"rsa_decode/decode.npy with rsa_decode/decode_labels.npy (layer 0)",
                    "icl::decode::pairwise_decodability", "classes 2 and 5 have 10 points together",
                    "k + 1 = 11"});
  }
}

TEST_CASE("rsa and decode with the new options match the schemas of docs/cli.md", "[cli][schema]") {
  const auto schemas = documented_schemas();
  const json bootstrap =
      run_doc("rsa " + hidden + by_prompt + " --no-icl " + hidden_none + " --permutations 9 --bootstrap 10");
  const json cross = run_doc("rsa " + hidden + by_condition + crossnobis + " --bootstrap 10");
  const json maha = run_doc("rsa " + hidden + by_prompt + mahalanobis);
  const json pairwise = run_doc("decode rsa_decode/decode.npy --labels rsa_decode/decode_labels.npy -k 3 --pairwise");
  check_schema(schemas, "document", {bootstrap, cross, maha, pairwise});
  check_schema(schemas, "rsa.params", {bootstrap["params"], cross["params"], maha["params"]});
  check_schema(schemas, "decode.params", {pairwise["params"]});
  // The fields that --bootstrap, crossnobis and --pairwise add have tables of their own.
  const auto& boot_fields = schemas.at("rsa.bootstrap");
  const auto& cross_fields = schemas.at("rsa.crossnobis");
  std::vector<json> base, added_boot, added_cross;
  for (const json* doc : {&bootstrap, &cross, &maha}) {
    const json& r = (*doc)["result"];
    base.push_back(fields_of(fields_of(r, boot_fields, false), cross_fields, false));
    if (r.contains("bootstrap_samples")) added_boot.push_back(fields_of(r, boot_fields, true));
    if (r.contains("conditions")) added_cross.push_back(fields_of(r, cross_fields, true));
  }
  check_schema(schemas, "rsa.result", base);
  check_schema(schemas, "rsa.bootstrap", added_boot);
  check_schema(schemas, "rsa.crossnobis", added_cross);
  const auto& pair_fields = schemas.at("decode.pairwise");
  check_schema(schemas, "decode.result", {fields_of(pairwise["result"], pair_fields, false)}, {"by_demonstrations"});
  check_schema(schemas, "decode.pairwise", {fields_of(pairwise["result"], pair_fields, true)});
}
