// The in-context head analyses of [P4] through the icl-metrics program (`heads`, `value-outputs`,
// `logit-minus`, `logprob-increase`, `bias`) against the numpy references of
// tests/data/make_p4_cli_fixtures.py, for f64 and f32 inputs, batched and single prompts, a
// Fortran-order W_O; the exit code and message of each documented input error; the JSON schemas
// of docs/cli.md.
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

const std::string model = "--attention p4/attention.npy --values p4/values.npy --w-o p4/w_o.npy";
const std::string lens = "--unembedding p4/unembedding.npy --final-hidden p4/final_hidden.npy --norm-gain p4/gamma.npy";
// The lens of prompt 0 alone (logit-minus, logprob-increase).
const std::string lens0 =
    "--unembedding p4/unembedding.npy --final-hidden p4/final_hidden0.npy --norm-gain p4/gamma.npy";
const std::string heads = "heads " + model + " --residual p4/residual.npy " + lens +
                          " --label-token-ids '[3,29]' --top-k 3 -q";
const std::string minus = " --positions-a p4/positions_a.npy --positions-b p4/positions_b.npy";

json run_p4(const std::string& args) { return parse(run_ok(args + " -q").out); }

/// Entries [first, first + count) of a reference.
std::vector<double> slice(const std::vector<double>& v, std::size_t first, std::size_t count) {
  return std::vector<double>(v.begin() + static_cast<std::ptrdiff_t>(first),
                             v.begin() + static_cast<std::ptrdiff_t>(first + count));
}

/// The mean over the prompts of a [prompts, n] reference (optionally negated).
std::vector<double> prompt_mean(const std::vector<double>& v, std::size_t prompts, double sign = 1.0) {
  const std::size_t n = v.size() / prompts;
  std::vector<double> out(n, 0.0);
  for (std::size_t p = 0; p < prompts; ++p) {
    for (std::size_t i = 0; i < n; ++i) out[i] += sign * v[p * n + i] / static_cast<double>(prompts);
  }
  return out;
}

/// A [layers][heads] grid (or [rows][cols] matrix) of the output, flat.
std::vector<double> flat(const json& grid) {
  std::vector<double> out;
  for (const auto& row : grid) {
    for (const auto& v : row) out.push_back(v.get<double>());
  }
  return out;
}

/// (layer, head) pairs of a JSON head list against a reference [n, 2] (from `first`).
void check_heads(const json& list, const std::vector<int>& expected, std::size_t first, std::size_t count) {
  REQUIRE(list.size() == count);
  for (std::size_t i = 0; i < count; ++i) {
    INFO("head " << i);
    CHECK(list[i]["layer"] == expected[2 * (first + i)]);
    CHECK(list[i]["head"] == expected[2 * (first + i) + 1]);
  }
}

/// The selection of `result[key]` against the references `top` ([2, 3, 2]) and `merged`.
void check_selection(const json& selection, const icl_test::fixture_file& ref, const std::string& top,
                     const std::string& merged) {
  check_heads(selection["per_label"][0], ref.ints(top), 0, 3);
  check_heads(selection["per_label"][1], ref.ints(top), 3, 3);
  check_heads(selection["merged"], ref.ints(merged), 0, ref.shape(merged)[0]);
}

/// The f8 data of a C-order .npy file.
std::vector<double> read_npy(const fs::path& path) {
  const std::string text = read_text(path);
  REQUIRE(text.size() > 10);
  const std::size_t header = static_cast<unsigned char>(text[8]) + 256u * static_cast<unsigned char>(text[9]);
  REQUIRE(text.find("'<f8'") != std::string::npos);
  std::vector<double> out((text.size() - 10 - header) / sizeof(double));
  std::memcpy(out.data(), text.data() + 10 + header, out.size() * sizeof(double));
  return out;
}

}  // namespace

TEST_CASE("heads: log-probability increase, logit-minus and the in-context heads match numpy", "[cli][heads]") {
  const icl_test::fixture_file ref("cli/p4/reference.txt");
  const std::size_t P = 2, L = 3, H = 4, K = 2;

  SECTION("f64, two prompts, each label averaged over every prompt") {
    const json r = run_p4(heads + minus);
    CHECK(r["command"] == "heads");
    const json& res = r["result"];
    CHECK(res["prompts"] == P);
    CHECK(res["layers"] == L);
    CHECK(res["heads"] == H);
    CHECK(res["kv_heads"] == 2);
    CHECK(res["positions"] == 6);
    CHECK(res["d_model"] == 12);
    CHECK(res["prompts_per_label"] == json::array({2, 2}));
    // imp is [P, K, L, H]: the mean over prompts of label k.
    const auto mean = prompt_mean(ref.values("imp"), P);
    for (std::size_t k = 0; k < K; ++k) {
      INFO("label " << k);
      check_close(json(flat(res["logprob_increase"][k])), slice(mean, k * L * H, L * H), 1e-10, 1e-12);
    }
    check_close(json(flat(res["logit_minus_a"])), prompt_mean(ref.values("at_a"), P), 1e-10, 1e-12);
    check_close(json(flat(res["logit_minus_b"])), prompt_mean(ref.values("at_b"), P), 1e-10, 1e-12);
    check_selection(res["in_context_heads"], ref, "top3_mean", "merged3_mean");
    check_selection(res["in_context_heads_logit_minus"], ref, "top3_minus", "merged3_minus");
    CHECK(res["in_context_heads"]["per_label"][0][0]["score"].get<double>() ==
          Approx(flat(res["logprob_increase"][0])[4 * ref.ints("top3_mean")[0] + ref.ints("top3_mean")[1]]));
    CHECK(r["params"]["normalizer"] == "fixed_final");
    CHECK(r["params"]["top_k"] == 3);
    CHECK(r["params"]["query"].is_null());
    REQUIRE(r["rows"].size() == L * H);
    CHECK(r["rows"][5]["layer"] == 1);
    CHECK(r["rows"][5]["head"] == 1);
    CHECK(r["rows"][5]["logprob_increase_1"].get<double>() == Approx(mean[L * H + 5]).epsilon(1e-10));
  }
  SECTION("--predicted: each label from the prompts that predict it") {
    const json res = run_p4(heads + " --predicted '[0,1]'")["result"];
    CHECK(res["prompts_per_label"] == json::array({1, 1}));
    const auto& imp = ref.values("imp");
    check_close(json(flat(res["logprob_increase"][0])), slice(imp, 0, L * H), 1e-10, 1e-12);           // prompt 0, label 0
    check_close(json(flat(res["logprob_increase"][1])), slice(imp, 3 * L * H, L * H), 1e-10, 1e-12);   // prompt 1, label 1
    check_selection(res["in_context_heads"], ref, "top3_pred", "merged3_pred");
    CHECK_FALSE(res.contains("logit_minus_a"));
  }
  SECTION("f32 inputs") {
    const json res = run_p4("heads --attention p4/attention_f4.npy --values p4/values_f4.npy --w-o p4/w_o_f4.npy "
                            "--residual p4/residual_f4.npy --unembedding p4/unembedding_f4.npy --final-hidden "
                            "p4/final_hidden_f4.npy --norm-gain p4/gamma.npy --label-token-ids '[3,29]' --top-k 3" +
                            minus)["result"];
    const auto mean = prompt_mean(ref.values("imp_f4"), P);
    for (std::size_t k = 0; k < K; ++k) {
      check_close(json(flat(res["logprob_increase"][k])), slice(mean, k * L * H, L * H), 1e-4, 1e-5);
    }
    check_close(json(flat(res["logit_minus_a"])), prompt_mean(ref.values("at_a_f4"), P), 1e-4, 1e-5);
    check_close(json(flat(res["logit_minus_b"])), prompt_mean(ref.values("at_b_f4"), P), 1e-4, 1e-5);
  }
  SECTION("one prompt, W_O in Fortran order, the value-output vectors written to .npy") {
    const fs::path u = work_dir() / "u.npy", vo = work_dir() / "vo.npy";
    const json r = run_p4("heads --attention p4/attention0.npy --values p4/values0.npy --w-o p4/w_o_fortran.npy "
                          "--residual p4/residual0.npy --final-hidden p4/final_hidden0.npy --unembedding "
                          "p4/unembedding.npy --norm-gain p4/gamma.npy --label-token-ids '[3,29]' --positions-a "
                          "'[1,3]' --positions-b '[2,4]' --value-outputs '" +
                          u.string() + "' --unweighted-value-outputs '" + vo.string() + "'");
    const json& res = r["result"];
    CHECK(res["prompts"] == 1);
    const auto& imp = ref.values("imp");
    for (std::size_t k = 0; k < K; ++k) {
      check_close(json(flat(res["logprob_increase"][k])), slice(imp, k * L * H, L * H), 1e-10, 1e-12);
    }
    check_close(json(flat(res["logit_minus_a"])), slice(ref.values("at_a"), 0, L * H), 1e-10, 1e-12);
    CHECK(res["value_output_files"]["weighted"] == u.string());
    // [L, H, T, d]: layer 1, head 2 starts at (1 * 4 + 2) * 6 * 12.
    const std::size_t T = 6, d = 12, at = (1 * H + 2) * T * d;
    const auto weighted = read_npy(u), unweighted = read_npy(vo);
    REQUIRE(weighted.size() == L * H * T * d);
    check_close(json(slice(weighted, at, T * d)), ref.values("u_1_2"), 1e-10, 1e-12);
    check_close(json(slice(unweighted, at, T * d)), ref.values("vo_1_2"), 1e-10, 1e-12);
  }
  SECTION("CSV: one row per (layer, head)") {
    const run_result r = run_ok(heads + minus + " --format csv");
    const auto lines = split_lines(r.out);
    REQUIRE(lines.size() == 1 + L * H);
    CHECK(lines[0] ==
          "layer,head,logprob_increase_0,logprob_increase_1,in_context,logit_minus_a,logit_minus_b,"
          "in_context_logit_minus");
  }
  SECTION("--normalizer per_vector needs no --final-hidden") {
    const json r = run_p4("heads " + model +
                          " --residual p4/residual.npy --unembedding p4/unembedding.npy --normalizer per_vector "
                          "--label-token-ids '[3,29]'");
    CHECK(r["params"]["normalizer"] == "per_vector");
    CHECK(r["result"]["in_context_heads"]["per_label"][0].size() == 10);
  }
}

TEST_CASE("value-outputs, logit-minus, logprob-increase and bias match numpy", "[cli][heads]") {
  const icl_test::fixture_file ref("cli/p4/reference.txt");
  SECTION("value-outputs of one head and of every head") {
    const json one = run_p4("value-outputs " + model + " --layer 1 --head 2");
    CHECK(one["result"]["kv_head"] == 1);
    CHECK(one["result"]["query"] == 5);
    check_close(json(flat(one["result"]["weighted"])), ref.values("u_1_2"), 1e-10, 1e-12);
    check_close(json(flat(one["result"]["unweighted"])), ref.values("vo_1_2"), 1e-10, 1e-12);
    CHECK(one["rows"].size() == 6);
    const json all = run_p4("value-outputs --attention p4/attention_f4.npy --values p4/values_f4.npy --w-o "
                            "p4/w_o.npy --layer 1");
    check_close(json(flat(all["result"]["head_outputs"])), ref.values("o_1"), 1e-5, 1e-6);
  }
  SECTION("logit-minus of vectors and at label positions") {
    const json r = run_p4("logit-minus p4/u.npy " + lens0 + " --token-a 3 --token-b 29 --positions-a '[1,3]' "
                          "--positions-b '[2,4]'");
    check_close(r["result"]["logit_minus"], ref.values("minus_u"), 1e-10, 1e-12);
    CHECK(r["result"]["at_a"].get<double>() == Approx(ref.values("minus_u_at")[0]).epsilon(1e-10));
    CHECK(r["result"]["at_b"].get<double>() == Approx(ref.values("minus_u_at")[1]).epsilon(1e-10));
    CHECK(r["rows"].size() == 6);
  }
  SECTION("logprob-increase at the fixed scale and per vector") {
    const std::string args = "logprob-increase p4/outputs.npy --residual p4/x.npy " + lens0 + " --token 29";
    const json r = run_p4(args);
    CHECK(r["result"]["base"].get<double>() == Approx(ref.scalar("lp_base")).epsilon(1e-10));
    check_close(r["result"]["logprob"], ref.values("lp_logprob"), 1e-10, 1e-12);
    check_close(r["result"]["increase"], ref.values("lp_increase"), 1e-10, 1e-12);
    const json own = run_p4(args + " --normalizer per_vector");
    check_close(own["result"]["increase"], ref.values("lp_increase_per_vector"), 1e-10, 1e-12);
  }
  SECTION("bias measures") {
    const std::string args = "bias --balanced p4/balanced.npy --reduced p4/reduced.npy --orders p4/orders.npy "
                             "--label-attention p4/label_attention.npy";
    const json r = run_p4(args);
    const json& gap = r["result"]["majority_label_gap"];
    check_close(json{gap["balanced"], gap["reduced"], gap["gap"]}, ref.values("gap"), 1e-12, 1e-12);
    CHECK(r["result"]["order_accuracy_std"].get<double>() == Approx(ref.scalar("order_std")).epsilon(1e-12));
    check_close(r["result"]["label_attention_std"], ref.values("att_std"), 1e-12, 1e-12);
    const json sample = run_p4(args + " --ddof 1");
    CHECK(sample["result"]["order_accuracy_std"].get<double>() == Approx(ref.scalar("order_std1")).epsilon(1e-12));
    CHECK(r["rows"].size() == 1);
  }
}

TEST_CASE("the P4 subcommands' input errors: exit code 3 and a one-line message naming the file or option",
          "[cli][heads][errors]") {
  struct error_case {
    std::string args, names;
  };
  const std::vector<error_case> cases = {
      {"value-outputs " + model + " --layer 0 --head 4", "--head 4"},
      {"value-outputs " + model + " --layer 3", "--layer 3"},
      {"heads --attention p4/attention.npy --values p4/values_bad_kv.npy --w-o p4/w_o.npy --residual p4/residual.npy " +
           lens + " --label-token-ids '[3,29]'",
       "values_bad_kv.npy"},
      {"heads " + model + " --residual p4/residual.npy " + lens + " --label-token-ids '[3,41]'", "--label-token-ids"},
      {"logit-minus p4/u.npy " + lens0 + " --token-a 3 --token-b 41", "--token-a/--token-b"},
      {"logprob-increase p4/outputs.npy --residual p4/x.npy " + lens0 + " --token 41", "--token"},
      {"heads " + model + " --residual p4/residual0.npy " + lens + " --label-token-ids '[3,29]' --predicted '[0,2]'",
       "--predicted"},
      {"bias --balanced '[1,0,2]' --reduced '[1]'", "--balanced"},
  };
  for (const auto& c : cases) {
    INFO(c.args);
    const run_result r = run(c.args);
    INFO(r.err);
    CHECK(r.code == 3);
    CHECK(line_count(r.err) == 1);
    CHECK(r.err.find(c.names) != std::string::npos);
  }
  // The label token id >= |V| and the head index name the library's check too.
  CHECK(run("heads " + model + " --residual p4/residual.npy " + lens + " --label-token-ids '[3,41]'")
            .err.find("unembedding.npy") != std::string::npos);
  CHECK(run("value-outputs " + model + " --layer 0 --head 4").err.find("head") != std::string::npos);
  // --final-hidden is needed by the fixed scale: a usage error.
  CHECK(run("heads " + model + " --residual p4/residual.npy --unembedding p4/unembedding.npy --label-token-ids "
            "'[3,29]'")
            .code == 2);
}

TEST_CASE("the P4 subcommands' JSON matches the schemas of docs/cli.md", "[cli][heads][schema]") {
  const auto schemas = documented_schemas();
  const json full = run_p4(heads + minus + " --value-outputs '" + (work_dir() / "s.npy").string() + "'");
  const json plain = run_p4(heads + " --predicted '[0,1]'");
  const json one = run_p4("value-outputs " + model + " --layer 1 --head 2");
  const json all = run_p4("value-outputs " + model + " --layer 1");
  const json minus_json = run_p4("logit-minus p4/u.npy " + lens0 + " --token-a 3 --token-b 29 --positions-a '[1,3]' "
                                 "--positions-b '[2,4]'");
  const json lp = run_p4("logprob-increase p4/outputs.npy --residual p4/x.npy " + lens0 + " --token 29");
  const json bias = run_p4("bias --balanced p4/balanced.npy --reduced p4/reduced.npy --orders p4/orders.npy "
                           "--label-attention p4/label_attention.npy");
  check_schema(schemas, "document", {full, plain, one, all, minus_json, lp, bias});
  check_schema(schemas, "heads.params", {full["params"], plain["params"]});
  check_schema(schemas, "heads.result", {full["result"], plain["result"]});
  check_schema(schemas, "heads.selection",
               {full["result"]["in_context_heads"], full["result"]["in_context_heads_logit_minus"]});
  check_schema(schemas, "value-outputs.params", {one["params"], all["params"]});
  check_schema(schemas, "value-outputs.result", {one["result"], all["result"]});
  check_schema(schemas, "logit-minus.params", {minus_json["params"]});
  check_schema(schemas, "logit-minus.result", {minus_json["result"]});
  check_schema(schemas, "logprob-increase.params", {lp["params"]});
  check_schema(schemas, "logprob-increase.result", {lp["result"]});
  check_schema(schemas, "bias.params", {bias["params"]});
  check_schema(schemas, "bias.result", {bias["result"]});
}

TEST_CASE("the P4 subcommands have --help", "[cli][heads][help]") {
  const run_result top = run("--help");
  for (const char* sub : {"heads", "value-outputs", "logit-minus", "logprob-increase", "bias"}) {
    INFO(sub);
    CHECK(top.out.find(sub) != std::string::npos);
    const run_result r = run(std::string(sub) + " --help");
    CHECK(r.code == 0);
    CHECK(r.out.find("--format") != std::string::npos);
  }
}
