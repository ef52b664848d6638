// RSA: alignment of each layer's RDM with a hypothesis RDM, with and without demonstrations;
// the `rsa` subcommand and the report's section.
#include <cmath>
#include <limits>
#include <memory>
#include <optional>

#include "command.hpp"
#include "html.hpp"
#include "hypothesis.hpp"
#include "icl/rsa/alignment.hpp"
#include "icl/rsa/embedding.hpp"
#include "icl/rsa/hypothesis.hpp"
#include "icl/rsa/inference.hpp"
#include "icl/rsa/rdm.hpp"
#include "report.hpp"

namespace icl_tool {

namespace {

struct layer_alignment {
  double value;
  double p_value;
};

template <class T>
layer_alignment align_layer(icl::matrix_view<const T> H, const icl::rsa::rdm& hypothesis, const rsa_options& options) {
  const auto& params = options.alignment;
  if (options.permutation.permutations == 0) {
    return {icl::rsa::hypothesis_alignment(H, hypothesis, params), std::numeric_limits<double>::quiet_NaN()};
  }
  icl::rsa::rdm layer_rdm;
  if (params.standardize == icl::standardization::none) {
    layer_rdm = icl::rsa::compute_rdm(H, params.dissimilarity, params.rdm_options);
  } else {
    const auto z = icl::rsa::standardize(H, params.standardize, params.rdm_options.nan);
    layer_rdm = icl::rsa::compute_rdm(z.view(), params.dissimilarity, params.rdm_options);
  }
  const auto test = icl::rsa::permutation_test(layer_rdm, hypothesis, params.comparison, options.permutation);
  return {test.statistic, test.p_value};
}

template <class T>
void alignment_curve(const named_array& hidden, const icl::rsa::rdm& hypothesis, const std::string& hypothesis_name,
                     const rsa_options& options, progress& prog, const std::string& label, std::vector<double>& values,
                     std::vector<double>& p_values) {
  const auto H = hidden.array.view<T, 3>();
  const std::size_t layers = H.extent(0);
  prog.begin("RSA " + label, "layer", layers);
  for (std::size_t l = 0; l < layers; ++l) {
    const layer_alignment a = with_context(hidden.name + " with " + hypothesis_name + " (layer " + std::to_string(l) + ")",
                                           [&] { return align_layer(H.matrix(l), hypothesis, options); });
    values.push_back(a.value);
    p_values.push_back(a.p_value);
    prog.step(l + 1);
  }
}

void check_hidden(const named_array& hidden, const icl::rsa::rdm& hypothesis, const std::string& hypothesis_name) {
  require_float(hidden.array, 3, "hidden states [layers, n, d]");
  if (hidden.array.shape()[1] != hypothesis.n()) {
    throw input_error(hypothesis_name + ": has " + std::to_string(hypothesis.n()) + " entries but " + hidden.name +
                      " (shape " + shape_string(hidden.array.shape()) + ") holds n = " +
                      std::to_string(hidden.array.shape()[1]) + " prompts");
  }
}

}  // namespace

json rsa_alignment(const named_array& with_icl, const named_array* without_icl, const icl::rsa::rdm& hypothesis,
                   const std::string& hypothesis_name, const rsa_options& options, progress& prog) {
  check_hidden(with_icl, hypothesis, hypothesis_name);
  if (without_icl != nullptr) {
    check_hidden(*without_icl, hypothesis, hypothesis_name);
    if (without_icl->array.shape()[0] != with_icl.array.shape()[0]) {
      throw input_error(without_icl->name + ": has " + std::to_string(without_icl->array.shape()[0]) + " layers but " +
                        with_icl.name + " has " + std::to_string(with_icl.array.shape()[0]));
    }
  }
  std::vector<double> with_values, with_p, without_values, without_p;
  icl_tool::visit_float(with_icl.array, [&](auto tag) {
    alignment_curve<decltype(tag)>(with_icl, hypothesis, hypothesis_name, options, prog,
                                   without_icl ? "with ICL" : "alignment", with_values, with_p);
  });
  if (without_icl != nullptr) {
    icl_tool::visit_float(without_icl->array, [&](auto tag) {
      alignment_curve<decltype(tag)>(*without_icl, hypothesis, hypothesis_name, options, prog, "without ICL",
                                     without_values, without_p);
    });
  }
  json out;
  out["dissimilarity"] = icl::to_string(options.alignment.dissimilarity);
  out["comparison"] = icl::to_string(options.alignment.comparison);
  out["standardize"] = icl::to_string(options.alignment.standardize);
  out["hypothesis"] = hypothesis_name;
  out["n"] = hypothesis.n();
  out["with_icl"] = numbers(with_values);
  const bool tested = options.permutation.permutations > 0;
  if (tested) {
    out["permutations"] = options.permutation.permutations;
    out["seed"] = options.permutation.seed;
    out["p_value_with_icl"] = numbers(with_p);
  }
  if (without_icl != nullptr) {
    out["without_icl"] = numbers(without_values);
    std::vector<double> delta(with_values.size());
    for (std::size_t l = 0; l < delta.size(); ++l) delta[l] = with_values[l] - without_values[l];
    out["delta"] = numbers(delta);
    if (tested) out["p_value_without_icl"] = numbers(without_p);
  }
  const icl::layer_curve curve{with_values};
  bool any_finite = false;
  for (const double v : with_values) any_finite = any_finite || std::isfinite(v);
  if (any_finite) {
    out["peak_layer"] = curve.peak_layer();
    out["peak_value"] = number(curve.peak_value());
  }
  return out;
}

namespace {

class rsa_command : public metric_command {
 public:
  explicit rsa_command(CLI::App& app)
      : metric_command(app, "rsa", "Alignment of each layer's RDM with a hypothesis RDM (RSA)") {
    sub_->add_option("hidden", hidden_,
                     "Hidden states [layers, n, d] with demonstrations (e.g. acts.safetensors:hidden)")
        ->required();
    add_hypothesis_options(sub_, hypothesis_);
    sub_->add_option("--no-icl", no_icl_, "Hidden states [layers, n, d] of the same prompts without demonstrations");
    bound_.add("--dissimilarity", "dissimilarity", options_.alignment.dissimilarity, "Dissimilarity of each layer's RDM");
    bound_.add("--comparison", "comparison", options_.alignment.comparison, "Comparison of the layer RDM with the hypothesis");
    bound_.add("--standardize", "standardize", options_.alignment.standardize, "Standardization before the RDM");
    bound_.add("--permutations", "permutations", options_.permutation.permutations,
               "Permutation test with N permutations per layer (0: none)");
    bound_.add("--seed", "seed", options_.permutation.seed, "Seed of the permutations");
    bound_.add("--block-rows", "block_rows", options_.alignment.rdm_options.block_rows,
               "Rows per block of the RDM's Gram product (0: automatic; results do not depend on it beyond rounding)");
    add_output_options();
  }

  int run() override {
    const named_hypothesis hypothesis = read_hypothesis(hypothesis_, "rsa");
    const named_array with = hidden_input(hidden_);
    std::optional<named_array> without;
    if (!no_icl_.empty()) without = hidden_input(no_icl_);
    progress prog(common_.quiet);
    const json r =
        rsa_alignment(with, without ? &*without : nullptr, hypothesis.rdm, hypothesis.name, options_, prog);
    json inputs{{"hidden", hidden_}, {"hypothesis", hypothesis.name}};
    if (without) inputs["no_icl"] = no_icl_;
    return write("rsa", inputs, r,
                 curve_rows(r, {"with_icl", "p_value_with_icl", "without_icl", "p_value_without_icl", "delta"},
                            layer_count(with)));
  }

 private:
  std::string hidden_, no_icl_;
  hypothesis_options hypothesis_;
  rsa_options options_;
};

[[maybe_unused]] const bool registered = register_command<rsa_command>("rsa", 10);

// ---- the report's section: alignment with the categorical RDM of the concepts -------------------

void report_run(const task_data& task, json& out, json& skipped) {
  if (!task.concepts) {
    skipped.push_back("RSA: no concepts");
    return;
  }
  out["rsa"] = task.reader.run("RSA", [&] {
    const icl::rsa::rdm hypothesis =
        with_context(task.concepts_name, [&] { return icl::rsa::categorical_rdm(*task.concepts); });
    return rsa_alignment(task.hidden, task.no_icl, hypothesis, "categorical(" + task.concepts_name + ")",
                         task.options.rsa, task.prog);
  });
}

void report_columns(const json& task, std::vector<layer_column>& columns) {
  const json* rsa = html::get(task, "rsa");
  if (rsa == nullptr) return;
  const bool both = rsa->contains("without_icl");
  columns.push_back({both ? "RSA (ICL)" : "RSA", html::to_values((*rsa)["with_icl"])});
  if (both) {
    columns.push_back({"RSA (no ICL)", html::to_values((*rsa)["without_icl"])});
    columns.push_back({"Δ RSA", html::to_values((*rsa)["delta"])});
  }
}

std::string report_figures(const json& task) {
  const json* rsa = html::get(task, "rsa");
  if (rsa == nullptr) return {};
  html::line_chart c =
      html::chart("RSA alignment with the concept RDM", (*rsa)["comparison"].get<std::string>() + " correlation");
  c.lines.push_back({rsa->contains("without_icl") ? "with ICL" : "alignment", html::to_values((*rsa)["with_icl"])});
  if (rsa->contains("without_icl")) c.lines.push_back({"without ICL", html::to_values((*rsa)["without_icl"])});
  c.reference = 0.0;
  c.reference_label = "no alignment";
  return html::figure(html::render(c), "Correlation (" + (*rsa)["comparison"].get<std::string>() +
                                           ") between each layer's RDM (" + (*rsa)["dissimilarity"].get<std::string>() +
                                           " distance) and the categorical RDM of the concepts, with and without "
                                           "demonstrations.");
}

[[maybe_unused]] const bool section_registered = register_report_section(
    {20, report_run, report_columns, report_figures, nullptr,
     {{"RSA", {"rsa", "with_icl"}}, {"RSA-0", {"rsa", "without_icl"}}},
     {"RSA / RSA-0: alignment with the concept RDM with / without demonstrations"}, nullptr});

}  // namespace

}  // namespace icl_tool
