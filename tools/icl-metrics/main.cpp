// icl-metrics: representation metrics of in-context learning on activation files.
//
//   icl-metrics rsa|decode|probe|geometry|attention ...   one metric family, per layer (and head)
//   icl-metrics report DIR [--out OUTDIR]                  everything DIR/manifest.json allows
//
// Exit codes: 0 ok, 1 a computation failed, 2 usage error, 3 bad input file (one line naming the
// file and what is wrong). See docs/cli.md.
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "common.hpp"
#include "families.hpp"
#include "icl/rsa/hypothesis.hpp"
#include "icl/version.hpp"
#include "report.hpp"

namespace icl_tool {
namespace {

template <class E>
E lookup(const std::map<std::string, E>& names, const std::string& name) {
  return names.at(name);
}

template <class E>
std::vector<std::string> keys_of(const std::map<std::string, E>& names) {
  std::vector<std::string> out;
  for (const auto& entry : names) out.push_back(entry.first);
  return out;
}

const std::map<std::string, icl::rsa::dissimilarity> dissimilarities = {
    {"euclidean", icl::rsa::dissimilarity::euclidean},
    {"sqeuclidean", icl::rsa::dissimilarity::sqeuclidean},
    {"sqeuclidean_per_feature", icl::rsa::dissimilarity::sqeuclidean_per_feature},
    {"correlation", icl::rsa::dissimilarity::correlation},
    {"cosine", icl::rsa::dissimilarity::cosine}};

const std::map<std::string, icl::rsa::comparison> comparisons = {
    {"pearson", icl::rsa::comparison::pearson},           {"spearman", icl::rsa::comparison::spearman},
    {"kendall_tau_a", icl::rsa::comparison::kendall_tau_a}, {"kendall_tau_b", icl::rsa::comparison::kendall_tau_b},
    {"rho_a", icl::rsa::comparison::rho_a},               {"cosine", icl::rsa::comparison::cosine},
    {"whitened_cosine", icl::rsa::comparison::whitened_cosine}};

const std::map<std::string, icl::rsa::standardization> standardizations = {
    {"none", icl::rsa::standardization::none},
    {"zscore_features", icl::rsa::standardization::zscore_features},
    {"zscore_rows", icl::rsa::standardization::zscore_rows}};

const std::map<std::string, icl::decode::distance_metric> metrics = {
    {"euclidean", icl::decode::distance_metric::euclidean}, {"cosine", icl::decode::distance_metric::cosine}};

/// Options every subcommand has.
struct common_options {
  output_options output;
  bool quiet = false;
};

void add_common(CLI::App* sub, common_options& c) {
  sub->add_option("-o,--output", c.output.path, "Write the result to FILE instead of standard output");
  sub->add_option("--format", c.output.format, "Output format: json (default) or csv (one row per layer/head)")
      ->check(CLI::IsMember({"json", "csv"}))
      ->capture_default_str();
  sub->add_flag("-q,--quiet", c.quiet, "No progress on standard error");
}

named_array hidden_input(const std::string& ref, const std::string& what = "hidden states [layers, n, d]") {
  return named_array{load_float_tensor(ref, "", 3, what), ref};
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

std::size_t layer_count(const named_array& h) { return h.array.shape()[0]; }

// ---- rsa ----------------------------------------------------------------------------------------
struct rsa_cli {
  common_options common;
  std::string hidden, no_icl, labels, parameter;
  std::string dissimilarity = "correlation", comparison = "spearman", standardize = "none";
  std::size_t permutations = 0;
  std::uint64_t seed = 0;
};

void setup_rsa(CLI::App& app, rsa_cli& o) {
  auto* sub = app.add_subcommand("rsa", "Alignment of each layer's RDM with a hypothesis RDM (RSA)");
  sub->add_option("hidden", o.hidden, "Hidden states [layers, n, d] with demonstrations (e.g. acts.safetensors:hidden)")
      ->required();
  auto* labels = sub->add_option("--labels,--concepts", o.labels,
                                 "Concept of each prompt (.npy, tensor reference, JSON list): categorical hypothesis RDM");
  auto* parameter = sub->add_option("--parameter", o.parameter,
                                    "Continuous task parameter of each prompt: hypothesis RDM |a_i - a_j|");
  labels->excludes(parameter);
  sub->add_option("--no-icl", o.no_icl, "Hidden states [layers, n, d] of the same prompts without demonstrations");
  sub->add_option("--dissimilarity", o.dissimilarity, "RDM dissimilarity")
      ->check(CLI::IsMember(keys_of(dissimilarities)))
      ->capture_default_str();
  sub->add_option("--comparison", o.comparison, "RDM comparison")
      ->check(CLI::IsMember(keys_of(comparisons)))
      ->capture_default_str();
  sub->add_option("--standardize", o.standardize, "Standardization before the RDM")
      ->check(CLI::IsMember(keys_of(standardizations)))
      ->capture_default_str();
  sub->add_option("--permutations", o.permutations, "Permutation test with N permutations per layer (0: none)")
      ->capture_default_str();
  sub->add_option("--seed", o.seed, "Seed of the permutations")->capture_default_str();
  add_common(sub, o.common);
}

int run_rsa(const rsa_cli& o) {
  if (o.labels.empty() && o.parameter.empty()) throw usage_error("rsa: give --labels (or --concepts) or --parameter");
  const named_array with = hidden_input(o.hidden);
  std::optional<named_array> without;
  if (!o.no_icl.empty()) without = hidden_input(o.no_icl);
  icl::rsa::rdm hypothesis;
  std::string hyp_name;
  if (!o.labels.empty()) {
    const auto labels = read_int_list(o.labels, "", "labels");
    hypothesis = with_context(o.labels, [&] { return icl::rsa::categorical_rdm(labels); });
    hyp_name = o.labels;
  } else {
    const auto values = read_double_list(o.parameter, "", "parameter");
    hypothesis = with_context(o.parameter, [&] { return icl::rsa::parameter_rdm(values); });
    hyp_name = o.parameter;
  }
  rsa_options opts;
  opts.dissimilarity = lookup(dissimilarities, o.dissimilarity);
  opts.comparison = lookup(comparisons, o.comparison);
  opts.standardize = lookup(standardizations, o.standardize);
  opts.permutations = o.permutations;
  opts.seed = o.seed;
  progress prog(o.common.quiet);
  const json r = rsa_alignment(with, without ? &*without : nullptr, hypothesis, hyp_name, opts, prog);
  json inputs{{"hidden", o.hidden}, {"hypothesis", hyp_name}};
  if (without) inputs["no_icl"] = o.no_icl;
  json params{{"dissimilarity", o.dissimilarity}, {"comparison", o.comparison}, {"standardize", o.standardize},
              {"permutations", o.permutations}, {"seed", o.seed}};
  json out = command_header("rsa", inputs, params);
  out["result"] = r;
  out["rows"] = curve_rows(r, {"with_icl", "p_value_with_icl", "without_icl", "p_value_without_icl", "delta"},
                           layer_count(with));
  write_result(out, o.common.output);
  return exit_ok;
}

// ---- decode -------------------------------------------------------------------------------------
struct decode_cli {
  common_options common;
  std::string hidden, labels, demonstrations, metric = "euclidean";
  std::size_t k = 10;
};

void setup_decode(CLI::App& app, decode_cli& o) {
  auto* sub = app.add_subcommand("decode", "Task decodability: leave-one-out kNN accuracy of the concepts, per layer");
  sub->add_option("hidden", o.hidden, "Hidden states [layers, n, d] (e.g. acts.safetensors:hidden)")->required();
  sub->add_option("--labels,--concepts", o.labels, "Concept (task) of each prompt (.npy, tensor reference, JSON list)")
      ->required();
  sub->add_option("-k,--neighbors", o.k, "Number of neighbours")->check(CLI::PositiveNumber)->capture_default_str();
  sub->add_option("--metric", o.metric, "Distance")->check(CLI::IsMember(keys_of(metrics)))->capture_default_str();
  sub->add_option("--demonstrations", o.demonstrations,
                  "Number of demonstrations of each prompt: one TD curve per number");
  add_common(sub, o.common);
}

int run_decode(const decode_cli& o) {
  const named_array hidden = hidden_input(o.hidden);
  const auto labels = read_int_list(o.labels, "", "labels");
  decode_options opts;
  opts.k = o.k;
  opts.metric = lookup(metrics, o.metric);
  progress prog(o.common.quiet);
  json inputs{{"hidden", o.hidden}, {"labels", o.labels}};
  json params{{"k", o.k}, {"metric", o.metric}};
  json out = command_header("decode", inputs, params);
  if (o.demonstrations.empty()) {
    const json r = decodability(hidden, labels, o.labels, opts, prog);
    out["result"] = r;
    json rows = json::array();
    for (std::size_t l = 0; l < r["overall"].size(); ++l) {
      json row{{"layer", l}, {"td", r["overall"][l]}};
      for (auto it = r["per_class"].begin(); it != r["per_class"].end(); ++it) row["td_class_" + it.key()] = it.value()[l];
      rows.push_back(row);
    }
    out["rows"] = rows;
  } else {
    const auto demos = read_int_list(o.demonstrations, "", "demonstrations");
    out["inputs"]["demonstrations"] = o.demonstrations;
    const json groups = decodability_by_group(hidden, labels, o.labels, demos, opts, prog);
    out["result"] = json{{"by_demonstrations", groups}};
    json rows = json::array();
    for (const auto& g : groups) {
      if (!g.contains("overall")) continue;
      for (std::size_t l = 0; l < g["overall"].size(); ++l) {
        rows.push_back(json{{"demonstrations", g["demonstrations"]}, {"layer", l}, {"n", g["n"]}, {"td", g["overall"][l]}});
      }
    }
    out["rows"] = rows;
  }
  write_result(out, o.common.output);
  return exit_ok;
}

// ---- probe --------------------------------------------------------------------------------------
struct probe_cli {
  common_options common;
  std::string hidden, labels, targets;
  probe_options opts;
};

void setup_probe(CLI::App& app, probe_cli& o) {
  auto* sub = app.add_subcommand("probe", "Cross-validated probes per layer: logistic (classes) or ridge (targets)");
  sub->add_option("hidden", o.hidden, "Hidden states [layers, n, d]")->required();
  auto* labels = sub->add_option("--labels", o.labels, "Class of each prompt: logistic probe, accuracy");
  auto* targets = sub->add_option("--targets", o.targets, "Continuous target of each prompt: ridge probe, R^2");
  labels->excludes(targets);
  sub->add_option("-C,--C", o.opts.C, "Inverse L2 penalty of the logistic probe (scikit-learn's C)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  sub->add_option("--max-iter", o.opts.max_iter, "L-BFGS iterations of the logistic probe")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  sub->add_option("--alpha", o.opts.alpha, "Penalty of the ridge probe")->check(CLI::PositiveNumber)->capture_default_str();
  sub->add_option("--folds", o.opts.folds, "Cross-validation folds (stratified for classes)")
      ->check(CLI::Range(std::size_t{2}, std::size_t{1000000}))
      ->capture_default_str();
  sub->add_option("--seed", o.opts.seed, "Seed of the fold shuffles")->capture_default_str();
  sub->add_flag("--selectivity", o.opts.selectivity,
                "Also fit a control task (labels permuted, seed + 1) and report accuracy - control accuracy");
  add_common(sub, o.common);
}

int run_probe(const probe_cli& o) {
  if (o.labels.empty() && o.targets.empty()) throw usage_error("probe: give --labels (logistic) or --targets (ridge)");
  const named_array hidden = hidden_input(o.hidden);
  progress prog(o.common.quiet);
  json r;
  json inputs{{"hidden", o.hidden}};
  json params{{"folds", o.opts.folds}, {"seed", o.opts.seed}};
  if (!o.labels.empty()) {
    inputs["labels"] = o.labels;
    params["C"] = o.opts.C;
    params["max_iter"] = o.opts.max_iter;
    params["selectivity"] = o.opts.selectivity;
    r = logistic_probe(hidden, read_int_list(o.labels, "", "labels"), o.labels, o.opts, prog);
  } else {
    inputs["targets"] = o.targets;
    params["alpha"] = o.opts.alpha;
    r = ridge_probe(hidden, read_double_list(o.targets, "", "targets"), o.targets, o.opts, prog);
  }
  json out = command_header("probe", inputs, params);
  out["result"] = r;
  json rows = curve_rows(r, {"mean", "std", "control_mean", "selectivity"}, layer_count(hidden));
  for (std::size_t l = 0; l < rows.size(); ++l) {
    const auto& folds = r["fold_scores"][l];
    for (std::size_t f = 0; f < folds.size(); ++f) rows[l]["fold_" + std::to_string(f)] = folds[f];
  }
  out["rows"] = rows;
  write_result(out, o.common.output);
  return exit_ok;
}

// ---- geometry -----------------------------------------------------------------------------------
struct geometry_cli {
  common_options common;
  std::string hidden, labels, directions, unembedding, token_ids, norm_gain;
  bool no_separability = false;
  geometry_options opts;
};

void setup_geometry(CLI::App& app, geometry_cli& o) {
  auto* sub = app.add_subcommand(
      "geometry", "Separability, alignment with the label directions and effective dimension per layer");
  sub->add_option("hidden", o.hidden, "Hidden states [layers, n, d]")->required();
  sub->add_option("--labels", o.labels, "Answer class of each prompt")->required();
  auto* dirs = sub->add_option("--label-directions", o.directions,
                               "Unembedding rows of the label tokens [classes, d], class order = increasing label");
  auto* unemb = sub->add_option("--unembedding", o.unembedding, "Full unembedding [V, d] (with --label-token-ids)");
  auto* ids = sub->add_option("--label-token-ids", o.token_ids, "Row of the unembedding for each class (JSON list or .npy)");
  dirs->excludes(unemb);
  unemb->needs(ids);
  ids->needs(unemb);
  sub->add_option("--norm-gain", o.norm_gain, "Gain of the final RMSNorm [d] (logit lens through the norm)");
  sub->add_option("--norm-eps", o.opts.norm_eps, "Epsilon of the final RMSNorm")->capture_default_str();
  sub->add_flag("--no-separability", o.no_separability, "Skip the separability probes");
  sub->add_option("-C,--C", o.opts.C, "Inverse L2 penalty of the separability probe")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  sub->add_option("--test-fraction", o.opts.test_fraction, "Held-out fraction of each label pair")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  sub->add_option("--seed", o.opts.seed, "Seed of the splits")->capture_default_str();
  sub->add_option("--denoise-rank", o.opts.denoise_rank, "Rank of the denoised output alignment")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  add_common(sub, o.common);
}

int run_geometry(geometry_cli& o) {
  const named_array hidden = hidden_input(o.hidden);
  const auto labels = read_int_list(o.labels, "", "labels");
  o.opts.separability = !o.no_separability;
  std::optional<named_array> directions;
  json inputs{{"hidden", o.hidden}, {"labels", o.labels}};
  if (!o.directions.empty()) {
    directions = named_array{load_float_tensor(o.directions, "", 2, "label directions [classes, d]"), o.directions};
    inputs["label_directions"] = o.directions;
  } else if (!o.unembedding.empty()) {
    directions = named_array{load_float_tensor(o.unembedding, "", 2, "unembedding [V, d]"), o.unembedding};
    for (const int id : read_int_list(o.token_ids, "", "label token ids")) {
      if (id < 0) throw input_error(o.token_ids + ": label token id " + std::to_string(id) + " is negative");
      o.opts.label_token_ids.push_back(static_cast<std::size_t>(id));
    }
    inputs["unembedding"] = o.unembedding;
    inputs["label_token_ids"] = o.token_ids;
  }
  if (!o.norm_gain.empty()) {
    o.opts.norm_gain = read_double_list(o.norm_gain, "", "final norm gain");
    inputs["norm_gain"] = o.norm_gain;
  }
  progress prog(o.common.quiet);
  const json r = geometry(hidden, labels, o.labels, directions ? &*directions : nullptr, o.opts, prog);
  json params{{"separability", o.opts.separability}, {"C", o.opts.C}, {"test_fraction", o.opts.test_fraction},
              {"seed", o.opts.seed}, {"norm_eps", o.opts.norm_eps}, {"denoise_rank", o.opts.denoise_rank}};
  json out = command_header("geometry", inputs, params);
  out["result"] = r;
  out["rows"] = curve_rows(r,
                           {"separability", "directional_separability", "output_alignment",
                            "output_alignment_all_classes", "singular_alignment", "variance_alignment",
                            "mean_alignment", "composite_alignment", "denoised_output_alignment", "effective_dimension"},
                           layer_count(hidden));
  write_result(out, o.common.output);
  return exit_ok;
}

// ---- attention ----------------------------------------------------------------------------------
struct attention_cli {
  common_options common;
  std::vector<std::string> maps;
  std::string sources, relevant, irrelevant, label_positions, label_classes;
  bool raw_sums = false;
  double top_fraction = 0.1;
};

void setup_attention(CLI::App& app, attention_cli& o) {
  auto* sub = app.add_subcommand(
      "attention", "Attention ratio, previous-token, induction and label-attention scores per (layer, head)");
  sub->add_option("maps", o.maps,
                  "Attention: one [prompts, layers, heads, T, T] tensor, or one [layers, heads, T, T] tensor per prompt")
      ->required();
  sub->add_option("--sources", o.sources, "Source (query) positions [prompts, s] or [s]; default: the last position");
  auto* rel = sub->add_option("--relevant", o.relevant, "Relevant key positions [prompts, r] or [r] (-1 = padding)");
  auto* irr = sub->add_option("--irrelevant", o.irrelevant, "Irrelevant key positions [prompts, i] or [i]");
  rel->needs(irr);
  irr->needs(rel);
  auto* lp = sub->add_option("--label-positions", o.label_positions,
                             "Demonstration label positions [prompts, k]: induction score");
  auto* lc = sub->add_option("--label-classes", o.label_classes,
                             "Class of each label position [prompts, k]: label attention per class");
  lc->needs(lp);
  sub->add_flag("--raw-sums", o.raw_sums, "Attention ratio of raw sums instead of per-token means");
  sub->add_option("--top-fraction", o.top_fraction, "Fraction of heads listed as top heads")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  add_common(sub, o.common);
}

int run_attention(const attention_cli& o) {
  attention_set set;
  for (const auto& ref : o.maps) set.arrays.push_back(named_array{load_tensor(ref), ref});
  set.batched = set.arrays.size() == 1 && set.arrays[0].array.rank() == 5;
  attention_inputs in;
  in.normalize = !o.raw_sums;
  in.top_fraction = o.top_fraction;
  if (!o.sources.empty()) in.sources = read_positions(o.sources, "", "sources");
  if (!o.relevant.empty()) in.relevant = read_positions(o.relevant, "", "relevant positions");
  if (!o.irrelevant.empty()) in.irrelevant = read_positions(o.irrelevant, "", "irrelevant positions");
  if (!o.label_positions.empty()) in.label_positions = read_positions(o.label_positions, "", "label positions");
  if (!o.label_classes.empty()) in.label_classes = read_int_rows(json(o.label_classes), "", "label classes");
  progress prog(o.common.quiet);
  const json r = attention(set, in, prog);
  json inputs{{"maps", o.maps}};
  for (const auto& [key, value] : std::vector<std::pair<std::string, std::string>>{
           {"sources", o.sources}, {"relevant", o.relevant}, {"irrelevant", o.irrelevant},
           {"label_positions", o.label_positions}, {"label_classes", o.label_classes}}) {
    if (!value.empty()) inputs[key] = value;
  }
  json params{{"normalize", !o.raw_sums}, {"top_fraction", o.top_fraction}};
  json out = command_header("attention", inputs, params);
  out["result"] = r;
  json rows = json::array();
  const std::size_t layers = r["layers"].get<std::size_t>(), heads = r["heads"].get<std::size_t>();
  for (std::size_t l = 0; l < layers; ++l) {
    for (std::size_t h = 0; h < heads; ++h) {
      json row{{"layer", l}, {"head", h}, {"previous_token", r["previous_token"][l][h]}};
      if (r.contains("ratio")) {
        row["ratio"] = r["ratio"][l][h];
        row["ratio_undefined"] = r["ratio_undefined"][l][h];
      }
      if (r.contains("induction")) row["induction"] = r["induction"][l][h];
      if (r.contains("label_attention")) {
        for (auto it = r["label_attention"].begin(); it != r["label_attention"].end(); ++it) {
          row["label_attention_" + it.key()] = it.value()[l][h];
        }
      }
      rows.push_back(row);
    }
  }
  out["rows"] = rows;
  write_result(out, o.common.output);
  return exit_ok;
}

// ---- report -------------------------------------------------------------------------------------
void setup_report(CLI::App& app, report_options& o) {
  auto* sub = app.add_subcommand(
      "report", "Run every metric DIR/manifest.json allows; write results.json and report.html");
  sub->add_option("dir", o.dir, "Directory holding manifest.json (see docs/manifest.md)")->required();
  sub->add_option("--out", o.out, "Output directory (default: DIR); created if missing");
  sub->add_option("-k,--neighbors", o.decode.k, "Neighbours of task decodability")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  sub->add_option("--permutations", o.rsa.permutations, "Permutation test of the RSA alignment per layer (0: none)")
      ->capture_default_str();
  sub->add_option("--seed", o.seed, "Seed of the probes' splits and of the permutations")->capture_default_str();
  sub->add_option("--top-fraction", o.top_fraction, "Fraction of heads listed as top heads")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  sub->add_flag("--no-html", o.no_html, "Write results.json only");
  sub->add_flag("-q,--quiet", o.quiet, "No progress on standard error");
}

}  // namespace
}  // namespace icl_tool

int main(int argc, char** argv) {
  using namespace icl_tool;
  CLI::App app{"icl-metrics " ICL_VERSION_STRING
               ": representation metrics of in-context learning (RSA, task decodability, probes, geometry, "
               "attention) on activation files (.npy, .npz, .safetensors)",
               "icl-metrics"};
  app.set_version_flag("--version", ICL_VERSION_STRING);
  app.require_subcommand(1, 1);
  app.footer("Exit codes: 0 ok, 1 computation failed, 2 usage error, 3 bad input file. See docs/cli.md.");

  rsa_cli rsa;
  decode_cli dec;
  probe_cli probe;
  geometry_cli geom;
  attention_cli att;
  report_options rep;
  setup_rsa(app, rsa);
  setup_decode(app, dec);
  setup_probe(app, probe);
  setup_geometry(app, geom);
  setup_attention(app, att);
  setup_report(app, rep);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? exit_ok : exit_usage;
  }

  try {
    const std::string name = app.get_subcommands().front()->get_name();
    if (name == "rsa") return run_rsa(rsa);
    if (name == "decode") return run_decode(dec);
    if (name == "probe") return run_probe(probe);
    if (name == "geometry") return run_geometry(geom);
    if (name == "attention") return run_attention(att);
    return run_report(rep);
  } catch (const usage_error& e) {
    std::cerr << "icl-metrics: usage error: " << e.what() << "\nRun with --help for more information.\n";
    return exit_usage;
  } catch (const input_error& e) {
    std::cerr << "icl-metrics: error: " << e.what() << '\n';
    return exit_input;
  } catch (const icl::io::format_error& e) {
    std::cerr << "icl-metrics: error: " << e.what() << '\n';
    return exit_input;
  } catch (const icl::invalid_argument& e) {
    std::cerr << "icl-metrics: error: " << e.what() << '\n';
    return exit_input;
  } catch (const std::exception& e) {
    std::cerr << "icl-metrics: failed: " << e.what() << '\n';
    return exit_failure;
  }
}
