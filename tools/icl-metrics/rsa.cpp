// RSA: alignment of each layer's RDM with a hypothesis RDM, with and without demonstrations,
// with a permutation p-value and a bootstrap interval per layer; the RDMs of the library's
// dissimilarities, or Mahalanobis or crossnobis RDMs; the `rsa` subcommand and the report's section.
#include <cmath>
#include <limits>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "command.hpp"
#include "html.hpp"
#include "hypothesis.hpp"
#include "icl/rsa/alignment.hpp"
#include "icl/rsa/compare.hpp"
#include "icl/rsa/embedding.hpp"
#include "icl/rsa/hypothesis.hpp"
#include "icl/rsa/inference.hpp"
#include "icl/rsa/rdm.hpp"
#include "report.hpp"

namespace icl_tool {

namespace {

/// How each layer's RDM is built (the program's --dissimilarity): one of the library's
/// compute_rdm dissimilarities (icl::rsa::dissimilarity), or the Mahalanobis or crossnobis RDM
/// (compute_rdm_mahalanobis, compute_rdm_crossnobis) with their inputs.
struct rdm_source {
  enum class kind { library, mahalanobis, crossnobis };
  kind what = kind::library;
  std::string name;                    ///< the --dissimilarity value
  std::vector<double> precision;       ///< d x d, row-major; empty: none (crossnobis: the identity)
  std::size_t d = 0;                   ///< the precision's size
  std::string precision_name, conditions_name, folds_name;
  std::vector<int> conditions, folds;  ///< crossnobis: one per prompt
  std::set<int> condition_values;      ///< crossnobis: the distinct conditions (the RDM's rows, increasing)
  std::size_t fold_count = 0;          ///< crossnobis: the distinct folds

  icl::matrix_view<const double> precision_view() const { return icl::make_matrix_view(precision.data(), d, d); }
};

/// What the rsa subcommand adds to the report's options: the RDM's source and the bootstrap.
struct rsa_extras {
  rdm_source source;
  icl::rsa::bootstrap_params bootstrap;  ///< samples = 0: no interval
  rsa_extras() { bootstrap.samples = 0; }
};

template <class T>
icl::rsa::rdm source_rdm(icl::matrix_view<const T> X, const icl::rsa::hypothesis_alignment_params& params,
                         const rdm_source& source) {
  switch (source.what) {
    case rdm_source::kind::mahalanobis:
      return icl::rsa::compute_rdm_mahalanobis(X, source.precision_view(), params.rdm_options);
    case rdm_source::kind::crossnobis:
      if (source.precision.empty()) return icl::rsa::compute_rdm_crossnobis(X, source.conditions, source.folds);
      return icl::rsa::compute_rdm_crossnobis(X, source.conditions, source.folds, source.precision_view());
    case rdm_source::kind::library:
      break;
  }
  return icl::rsa::compute_rdm(X, params.dissimilarity, params.rdm_options);
}

/// The layer's RDM: the states standardized as asked, then source_rdm.
template <class T>
icl::rsa::rdm layer_rdm(icl::matrix_view<const T> H, const icl::rsa::hypothesis_alignment_params& params,
                        const rdm_source& source) {
  if (params.standardize == icl::standardization::none) return source_rdm(H, params, source);
  const auto z = icl::rsa::standardize(H, params.standardize, params.rdm_options.nan);
  return source_rdm(z.view(), params, source);
}

struct layer_alignment {
  double value;
  double p_value = std::numeric_limits<double>::quiet_NaN();
  double ci_low = std::numeric_limits<double>::quiet_NaN();
  double ci_high = std::numeric_limits<double>::quiet_NaN();
};

/// One layer: its RDM compared with the hypothesis, with the permutation test and the bootstrap
/// interval when asked (each layer with the same seed, as icl::rsa::rsa_curve does).
template <class T>
layer_alignment align_layer(icl::matrix_view<const T> H, const icl::rsa::rdm& hypothesis, const rsa_options& options,
                            const rsa_extras& extras) {
  const auto& params = options.alignment;
  const bool tested = options.permutation.permutations > 0, resampled = extras.bootstrap.samples > 0;
  const icl::rsa::rdm r = layer_rdm(H, params, extras.source);
  layer_alignment out{std::numeric_limits<double>::quiet_NaN()};
  if (tested) {
    const auto test = icl::rsa::permutation_test(r, hypothesis, params.comparison, options.permutation);
    out.value = test.statistic;
    out.p_value = test.p_value;
  }
  if (resampled) {
    const auto b = icl::rsa::bootstrap_compare(r, hypothesis, params.comparison, extras.bootstrap);
    if (!tested) out.value = b.statistic;
    out.ci_low = b.ci_low;
    out.ci_high = b.ci_high;
  }
  if (!tested && !resampled) out.value = icl::rsa::compare(r, hypothesis, params.comparison, params.compare_options);
  return out;
}

template <class T>
void alignment_curve(const named_array& hidden, const icl::rsa::rdm& hypothesis, const std::string& hypothesis_name,
                     const rsa_options& options, const rsa_extras& extras, progress& prog, const std::string& label,
                     icl::rsa::layer_rsa_result& out) {
  const auto H = hidden.array.view<T, 3>();
  const std::size_t layers = H.extent(0);
  prog.begin("RSA " + label, "layer", layers);
  for (std::size_t l = 0; l < layers; ++l) {
    const layer_alignment a = with_context(hidden.name + " with " + hypothesis_name + " (layer " + std::to_string(l) + ")",
                                           [&] { return align_layer(H.matrix(l), hypothesis, options, extras); });
    out.statistic.push_back(a.value);
    out.p_value.push_back(a.p_value);
    out.ci_low.push_back(a.ci_low);
    out.ci_high.push_back(a.ci_high);
    prog.step(l + 1);
  }
  out.curve.values = out.statistic;
}

std::string prompts_of(const named_array& hidden) {
  return hidden.name + " (shape " + shape_string(hidden.array.shape()) + ") holds n = " +
         std::to_string(hidden.array.shape()[1]) + " prompts";
}

/// The states against the hypothesis and the RDM's inputs: one hypothesis entry per prompt (per
/// condition for crossnobis), one condition and fold per prompt, a precision of the states' d.
void check_hidden(const named_array& hidden, const icl::rsa::rdm& hypothesis, const std::string& hypothesis_name,
                  const rdm_source& source) {
  require_float(hidden.array, 3, "hidden states [layers, n, d]");
  const std::size_t n = hidden.array.shape()[1], d = hidden.array.shape()[2];
  if (!source.precision.empty() && source.d != d) {
    throw input_error(source.precision_name + " (--precision): the precision matrix is " + std::to_string(source.d) + " x " +
                      std::to_string(source.d) + " but " + hidden.name + " (shape " +
                      shape_string(hidden.array.shape()) + ") has d = " + std::to_string(d) + " features");
  }
  if (source.what != rdm_source::kind::crossnobis) {
    if (n != hypothesis.n()) {
      throw input_error(hypothesis_name + ": has " + std::to_string(hypothesis.n()) + " entries but " +
                        prompts_of(hidden));
    }
    return;
  }
  const auto check_length = [&](const std::vector<int>& list, const std::string& name, const char* option) {
    if (list.size() != n) {
      throw input_error(name + " (" + option + "): has " + std::to_string(list.size()) + " entries but " +
                        prompts_of(hidden) + " (one per prompt)");
    }
  };
  check_length(source.conditions, source.conditions_name, "--conditions");
  check_length(source.folds, source.folds_name, "--folds");
  if (hypothesis.n() != source.condition_values.size()) {
    throw input_error(hypothesis_name + ": has " + std::to_string(hypothesis.n()) +
                      " entries but the crossnobis RDM is over " + std::to_string(source.condition_values.size()) +
                      " conditions (the distinct values of " + source.conditions_name +
                      "): give one entry per condition, in increasing order of condition");
  }
}

json alignment_result(const named_array& with_icl, const named_array* without_icl, const icl::rsa::rdm& hypothesis,
                      const std::string& hypothesis_name, const rsa_options& options, const rsa_extras& extras,
                      progress& prog) {
  check_hidden(with_icl, hypothesis, hypothesis_name, extras.source);
  if (without_icl != nullptr) {
    check_hidden(*without_icl, hypothesis, hypothesis_name, extras.source);
    if (without_icl->array.shape()[0] != with_icl.array.shape()[0]) {
      throw input_error(without_icl->name + ": has " + std::to_string(without_icl->array.shape()[0]) + " layers but " +
                        with_icl.name + " has " + std::to_string(with_icl.array.shape()[0]));
    }
  }
  icl::rsa::layer_rsa_result with, without;
  icl_tool::visit_float(with_icl.array, [&](auto tag) {
    alignment_curve<decltype(tag)>(with_icl, hypothesis, hypothesis_name, options, extras, prog,
                                   without_icl ? "with ICL" : "alignment", with);
  });
  if (without_icl != nullptr) {
    icl_tool::visit_float(without_icl->array, [&](auto tag) {
      alignment_curve<decltype(tag)>(*without_icl, hypothesis, hypothesis_name, options, extras, prog, "without ICL",
                                     without);
    });
  }
  const bool library = extras.source.what == rdm_source::kind::library;
  json out;
  out["dissimilarity"] = library ? std::string(icl::to_string(options.alignment.dissimilarity)) : extras.source.name;
  out["comparison"] = icl::to_string(options.alignment.comparison);
  out["standardize"] = icl::to_string(options.alignment.standardize);
  out["hypothesis"] = hypothesis_name;
  out["n"] = hypothesis.n();
  if (extras.source.what == rdm_source::kind::crossnobis) {
    out["conditions"] = extras.source.condition_values;
    out["folds"] = extras.source.fold_count;
  }
  out["with_icl"] = numbers(with.statistic);
  const bool tested = options.permutation.permutations > 0, resampled = extras.bootstrap.samples > 0;
  if (tested) {
    out["permutations"] = options.permutation.permutations;
    out["seed"] = options.permutation.seed;
    out["p_value_with_icl"] = numbers(with.p_value);
  }
  if (resampled) {
    out["bootstrap_samples"] = extras.bootstrap.samples;
    out["confidence"] = extras.bootstrap.confidence;
    out["seed"] = extras.bootstrap.seed;
    out["ci_low_with_icl"] = numbers(with.ci_low);
    out["ci_high_with_icl"] = numbers(with.ci_high);
  }
  if (without_icl != nullptr) {
    out["without_icl"] = numbers(without.statistic);
    out["delta"] = numbers(icl::curve_difference(with.curve, without.curve).values);
    if (tested) out["p_value_without_icl"] = numbers(without.p_value);
    if (resampled) {
      out["ci_low_without_icl"] = numbers(without.ci_low);
      out["ci_high_without_icl"] = numbers(without.ci_high);
    }
  }
  bool any_finite = false;
  for (const double v : with.statistic) any_finite = any_finite || std::isfinite(v);
  if (any_finite) {
    out["peak_layer"] = with.curve.peak_layer();
    out["peak_value"] = number(with.curve.peak_value());
  }
  return out;
}

}  // namespace

json rsa_alignment(const named_array& with_icl, const named_array* without_icl, const icl::rsa::rdm& hypothesis,
                   const std::string& hypothesis_name, const rsa_options& options, progress& prog) {
  return alignment_result(with_icl, without_icl, hypothesis, hypothesis_name, options, rsa_extras{}, prog);
}

namespace {

/// The --dissimilarity values: the library's compute_rdm dissimilarities, then the two RDMs with
/// inputs of their own.
std::vector<std::string> dissimilarity_names() {
  std::vector<std::string> names = icl::enum_names<icl::rsa::dissimilarity>();
  names.emplace_back("mahalanobis");
  names.emplace_back("crossnobis");
  return names;
}

class rsa_command : public metric_command {
 public:
  explicit rsa_command(CLI::App& app)
      : metric_command(app, "rsa", "Alignment of each layer's RDM with a hypothesis RDM (RSA)") {
    sub_->add_option("hidden", hidden_,
                     "Hidden states [layers, n, d] with demonstrations (e.g. acts.safetensors:hidden)")
        ->required();
    add_hypothesis_options(sub_, hypothesis_);
    sub_->add_option("--no-icl", no_icl_, "Hidden states [layers, n, d] of the same prompts without demonstrations");
    dissimilarity_ = icl::to_string(options_.alignment.dissimilarity);
    bound_.add("--dissimilarity", "dissimilarity", dissimilarity_, "Dissimilarity of each layer's RDM")
        ->check(CLI::IsMember(dissimilarity_names()));
    sub_->add_option("--precision", precision_,
                     "Precision matrix [d, d] (e.g. an inverse noise covariance) of --dissimilarity mahalanobis "
                     "(required) or crossnobis (default: the identity)");
    sub_->add_option("--conditions", conditions_,
                     "Condition of each prompt, for --dissimilarity crossnobis: the RDM is over the distinct "
                     "conditions, increasing");
    sub_->add_option("--folds", folds_, "Independent partition (fold) of each prompt, for --dissimilarity crossnobis");
    bound_.add("--comparison", "comparison", options_.alignment.comparison, "Comparison of the layer RDM with the hypothesis");
    bound_.add("--standardize", "standardize", options_.alignment.standardize, "Standardization before the RDM");
    bound_.add("--permutations", "permutations", options_.permutation.permutations,
               "Permutation test with N permutations per layer (0: none)");
    bound_.add("--bootstrap", "bootstrap", extras_.bootstrap.samples,
               "Bootstrap interval per layer from N samples of the conditions (0: none; otherwise at least 2)");
    bound_.add("--confidence", "confidence", extras_.bootstrap.confidence, "Coverage of the bootstrap interval");
    bound_.add("--seed", "seed", options_.permutation.seed, "Seed of the permutations and bootstrap samples");
    bound_.add("--block-rows", "block_rows", options_.alignment.rdm_options.block_rows,
               "Rows per block of the RDM's Gram product (0: automatic; results do not depend on it beyond rounding)");
    add_output_options();
  }

  int run() override {
    read_source();
    check_bootstrap();
    const named_hypothesis hypothesis = read_hypothesis(hypothesis_, "rsa");
    const named_array with = hidden_input(hidden_);
    std::optional<named_array> without;
    if (!no_icl_.empty()) without = hidden_input(no_icl_);
    progress prog(common_.quiet);
    const json r = alignment_result(with, without ? &*without : nullptr, hypothesis.rdm, hypothesis.name, options_,
                                    extras_, prog);
    json inputs{{"hidden", hidden_}, {"hypothesis", hypothesis.name}};
    if (without) inputs["no_icl"] = no_icl_;
    if (!precision_.empty()) inputs["precision"] = precision_;
    if (!conditions_.empty()) inputs["conditions"] = conditions_;
    if (!folds_.empty()) inputs["folds"] = folds_;
    return write("rsa", inputs, r,
                 curve_rows(r,
                            {"with_icl", "p_value_with_icl", "ci_low_with_icl", "ci_high_with_icl", "without_icl",
                             "p_value_without_icl", "ci_low_without_icl", "ci_high_without_icl", "delta"},
                            layer_count(with)));
  }

 private:
  /// --dissimilarity and the inputs it needs (--precision, --conditions, --folds).
  void read_source() {
    rdm_source& s = extras_.source;
    s.name = dissimilarity_;
    if (dissimilarity_ == "mahalanobis") {
      s.what = rdm_source::kind::mahalanobis;
      if (precision_.empty()) {
        throw usage_error("rsa: --dissimilarity mahalanobis needs --precision FILE[:KEY] (a d x d precision matrix)");
      }
    } else if (dissimilarity_ == "crossnobis") {
      s.what = rdm_source::kind::crossnobis;
      if (conditions_.empty() || folds_.empty()) {
        throw usage_error("rsa: --dissimilarity crossnobis needs --conditions and --folds (one integer per prompt)");
      }
    } else {
      options_.alignment.dissimilarity = icl::from_string<icl::rsa::dissimilarity>(dissimilarity_);
      if (!precision_.empty()) throw usage_error("rsa: --precision needs --dissimilarity mahalanobis or crossnobis");
    }
    if (s.what != rdm_source::kind::crossnobis && (!conditions_.empty() || !folds_.empty())) {
      throw usage_error("rsa: --conditions and --folds need --dissimilarity crossnobis");
    }
    if (!precision_.empty()) {
      const icl::io::array p = load_float_tensor(precision_, "", 2, "precision matrix [d, d]");
      if (p.shape()[0] != p.shape()[1]) {
        throw input_error(precision_ + ": the precision matrix must be square [d, d], got shape " +
                          shape_string(p.shape()));
      }
      s.d = p.shape()[0];
      s.precision = p.doubles();
      s.precision_name = precision_;
    }
    if (s.what == rdm_source::kind::crossnobis) {
      s.conditions = read_int_list(conditions_, "", "conditions");
      s.folds = read_int_list(folds_, "", "folds");
      s.conditions_name = conditions_;
      s.folds_name = folds_;
      s.condition_values.insert(s.conditions.begin(), s.conditions.end());
      s.fold_count = std::set<int>(s.folds.begin(), s.folds.end()).size();
    }
  }

  /// --bootstrap: 0 or at least 2 samples, a confidence in (0, 1); its seed is --seed.
  void check_bootstrap() {
    icl::rsa::bootstrap_params& b = extras_.bootstrap;
    if (b.samples == 1) throw usage_error("rsa: --bootstrap must be 0 (no interval) or at least 2, got 1");
    if (b.samples > 0 && !(b.confidence > 0.0 && b.confidence < 1.0)) {
      throw usage_error("rsa: --confidence must lie strictly between 0 and 1, got " + std::to_string(b.confidence));
    }
    b.seed = options_.permutation.seed;
  }

  std::string hidden_, no_icl_, dissimilarity_, precision_, conditions_, folds_;
  hypothesis_options hypothesis_;
  rsa_options options_;
  rsa_extras extras_;
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
