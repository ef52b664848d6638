// Hidden-state geometry per layer: separability, the alignment measures with the label
// directions, and the effective dimension; the `geometry` subcommand and the report's section.
#include <algorithm>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <utility>

#include "command.hpp"
#include "html.hpp"
#include "icl/geometry/alignment.hpp"
#include "report.hpp"

namespace icl_tool {

namespace {

const std::vector<std::string>& alignment_keys() {
  static const std::vector<std::string> keys = {
      "directional_separability", "output_alignment",    "output_alignment_all_classes", "singular_alignment",
      "variance_alignment",       "mean_alignment",      "composite_alignment",          "denoised_output_alignment"};
  return keys;
}

double measure(const icl::geometry::alignment_result& r, const std::string& key) {
  if (key == "directional_separability") return r.directional_separability;
  if (key == "output_alignment") return r.output_alignment;
  if (key == "output_alignment_all_classes") return r.output_alignment_all_classes;
  if (key == "singular_alignment") return r.singular_alignment;
  if (key == "variance_alignment") return r.variance_alignment;
  if (key == "mean_alignment") return r.mean_alignment;
  if (key == "composite_alignment") return r.composite_alignment;
  return r.denoised_output_alignment;
}

/// True when every row of X equals row 0 (NaN never equals, so NaN rows reach the library's
/// own check and its error).
template <class T>
bool rows_all_equal(icl::matrix_view<const T> X) {
  for (std::size_t i = 1; i < X.rows(); ++i) {
    for (std::size_t j = 0; j < X.cols(); ++j) {
      if (!(static_cast<float>(X(i, j)) == static_cast<float>(X(0, j)))) return false;
    }
  }
  return true;
}

template <class T>
json geometry_typed(const named_array& hidden, const std::vector<int>& labels, const std::string& labels_name,
                    const named_array* directions, const geometry_params& params, progress& prog) {
  const auto H = hidden.array.view<T, 3>();
  const std::size_t layers = H.extent(0);
  float_matrix dv;
  std::string context = hidden.name + " with " + labels_name;
  if (directions != nullptr) {
    require_float(directions->array, 2, "label directions [classes, d]");
    view_float_matrix(directions->array, dv);
    context += " and " + directions->name;
  }
  std::map<std::string, std::vector<double>> curves;
  std::vector<int> classes;
  // A layer where every prompt has the same state is null, with a note; the other layers go on.
  json undefined_layers = json::array();
  prog.begin("geometry", "layer", layers);
  for (std::size_t l = 0; l < layers; ++l) {
    const auto layer = H.matrix(l);
    const std::string layer_context = context + " (layer " + std::to_string(l) + ")";
    std::map<std::string, double> values;
    if (rows_all_equal(layer)) {
      // Every prompt has the same state here (e.g. the embedding output of prompts that all end
      // in the same token): the geometry is undefined, not an error of the input.
      json note;
      note["layer"] = l;
      note["reason"] = "every prompt has the same state in this layer (zero variance): the measures are undefined";
      undefined_layers.push_back(note);
    } else {
      with_context(layer_context, [&] {
        if (directions != nullptr) {
          const auto r = dv.is_double ? icl::geometry::separability_alignment(layer, labels, dv.d, params)
                                      : icl::geometry::separability_alignment(layer, labels, dv.f, params);
          classes = r.classes;
          if (params.separability) values["separability"] = r.separability;
          for (const auto& key : alignment_keys()) values[key] = measure(r, key);
        } else if (params.separability) {
          const auto r = icl::geometry::separability(layer, labels, params);
          classes = r.classes;
          values["separability"] = r.separability;
        }
        values["effective_dimension"] = icl::geometry::effective_dimension(layer);
        return 0;
      });
    }
    const double undefined = std::numeric_limits<double>::quiet_NaN();
    if (params.separability) curves["separability"].push_back(values.count("separability") ? values["separability"] : undefined);
    if (directions != nullptr) {
      for (const auto& key : alignment_keys()) curves[key].push_back(values.count(key) ? values[key] : undefined);
    }
    curves["effective_dimension"].push_back(values.count("effective_dimension") ? values["effective_dimension"]
                                                                                : undefined);
    prog.step(l + 1);
  }
  if (undefined_layers.size() == layers) {
    throw input_error(context + ": every prompt has the same state in every layer (zero variance): the measures are "
                      "undefined");
  }
  json out;
  out["classes"] = classes;
  out["label_directions"] = directions != nullptr ? json(directions->name) : json(nullptr);
  if (params.separability) {
    out["probe_C"] = params.probe.C;
    out["test_fraction"] = params.test_fraction;
    out["seed"] = params.seed;
    out["separability"] = numbers(curves["separability"]);
  }
  if (directions != nullptr) {
    out["final_norm"] = params.final_norm.has_value();
    out["denoise_rank"] = params.denoise_rank;
    for (const auto& key : alignment_keys()) out[key] = numbers(curves[key]);
  }
  out["effective_dimension"] = numbers(curves["effective_dimension"]);
  if (!undefined_layers.empty()) out["undefined_layers"] = undefined_layers;
  return out;
}

}  // namespace

json geometry(const named_array& hidden, const std::vector<int>& labels, const std::string& labels_name,
              const named_array* directions, const geometry_params& params, progress& prog) {
  require_float(hidden.array, 3, "hidden states [layers, n, d]");
  if (hidden.array.shape()[1] != labels.size()) {
    throw input_error(labels_name + ": has " + std::to_string(labels.size()) + " entries but " + hidden.name +
                      " (shape " + shape_string(hidden.array.shape()) + ") holds n = " +
                      std::to_string(hidden.array.shape()[1]) + " prompts");
  }
  return icl_tool::visit_float(hidden.array, [&](auto tag) {
    return geometry_typed<decltype(tag)>(hidden, labels, labels_name, directions, params, prog);
  });
}

namespace {

class geometry_command : public metric_command {
 public:
  explicit geometry_command(CLI::App& app)
      : metric_command(app, "geometry",
                       "Separability, alignment with the label directions and effective dimension per layer") {
    // The program keeps its denoising rank 2 (the library's default is 10, [P2] Fig. 6).
    params_.denoise_rank = 2;
    sub_->add_option("hidden", hidden_, "Hidden states [layers, n, d]")->required();
    sub_->add_option("--labels", labels_, "Answer class of each prompt")->required();
    auto* dirs = sub_->add_option("--label-directions", directions_,
                                  "Unembedding rows of the label tokens [classes, d], class order = increasing label");
    auto* unemb = sub_->add_option("--unembedding", unembedding_, "Full unembedding [V, d] (with --label-token-ids)");
    auto* ids = sub_->add_option("--label-token-ids", token_ids_,
                                 "Row of the unembedding for each class (JSON list or .npy)");
    dirs->excludes(unemb);
    unemb->needs(ids);
    ids->needs(unemb);
    sub_->add_option("--norm-gain", norm_gain_, "Gain of the final RMSNorm [d] (logit lens through the norm)");
    bound_.flag("--no-separability", "separability", params_.separability, false, "Skip the separability probes");
    bound_.add("-C,--C", "C", params_.probe.C, "Inverse L2 penalty of the separability probe")->check(CLI::PositiveNumber);
    bound_.add("--test-fraction", "test_fraction", params_.test_fraction, "Held-out fraction of each label pair")
        ->check(CLI::Range(0.0, 1.0));
    bound_.add("--seed", "seed", params_.seed, "Seed of the splits");
    bound_.add("--norm-eps", "norm_eps", norm_eps_, "Epsilon of the final RMSNorm (with --norm-gain)");
    bound_.add("--denoise-rank", "denoise_rank", params_.denoise_rank, "Rank of the denoised output alignment")
        ->check(CLI::PositiveNumber);
    bound_.add("--variance", "variance", params_.variance, "Normalization of the variance alignment");
    bound_.add("--lens-argmax", "lens_argmax", params_.argmax,
               "With --unembedding: the logit lens's argmax over the whole vocabulary or the label rows only");
    bound_.add("--singular-vectors", "singular_vectors", params_.singular_vectors,
               "Leading singular vectors searched by the singular alignment")
        ->check(CLI::PositiveNumber);
    add_output_options();
  }

  int run() override {
    const named_array hidden = hidden_input(hidden_);
    const auto labels = read_int_list(labels_, "", "labels");
    std::optional<named_array> directions;
    json inputs{{"hidden", hidden_}, {"labels", labels_}};
    if (!directions_.empty()) {
      directions = named_array{load_float_tensor(directions_, "", 2, "label directions [classes, d]"), directions_};
      inputs["label_directions"] = directions_;
    } else if (!unembedding_.empty()) {
      directions = named_array{load_float_tensor(unembedding_, "", 2, "unembedding [V, d]"), unembedding_};
      for (const int id : read_int_list(token_ids_, "", "label token ids")) {
        if (id < 0) throw input_error(token_ids_ + ": label token id " + std::to_string(id) + " is negative");
        params_.label_token_ids.push_back(static_cast<std::size_t>(id));
      }
      inputs["unembedding"] = unembedding_;
      inputs["label_token_ids"] = token_ids_;
    }
    if (!norm_gain_.empty()) {
      params_.final_norm = icl::rms_norm_params{read_double_list(norm_gain_, "", "final norm gain"), norm_eps_};
      inputs["norm_gain"] = norm_gain_;
    }
    progress prog(common_.quiet);
    const json r = geometry(hidden, labels, labels_, directions ? &*directions : nullptr, params_, prog);
    return write("geometry", inputs, r,
                 curve_rows(r,
                            {"separability", "directional_separability", "output_alignment",
                             "output_alignment_all_classes", "singular_alignment", "variance_alignment",
                             "mean_alignment", "composite_alignment", "denoised_output_alignment",
                             "effective_dimension"},
                            layer_count(hidden)));
  }

 private:
  std::string hidden_, labels_, directions_, unembedding_, token_ids_, norm_gain_;
  geometry_params params_;
  /// ε of the final norm given with --norm-gain. The program's default stays 1e-5 (Llama 2,
  /// SmolLM2), the value it has always used; the library's own default is 1e-6.
  double norm_eps_ = 1e-5;
};

[[maybe_unused]] const bool registered = register_command<geometry_command>("geometry", 40);

// ---- the report's section: separability, alignment with the readout, effective dimension --------

void report_run(const task_data& task, json& out, json& skipped) {
  if (!task.labels) {
    skipped.push_back("separability and alignment: no labels");
    return;
  }
  const task_reader& t = task.reader;
  geometry_params g;
  g.seed = task.options.seed;
  g.denoise_rank = 2;  // the program's rank (the library's default is 10, [P2] Fig. 6)
  std::optional<named_array> directions;
  if (t.has("readout.label_directions")) {
    directions = t.float_tensor("readout.label_directions", 2, "label directions [classes, d]");
  } else if (t.has("readout.unembedding")) {
    directions = t.float_tensor("readout.unembedding", 2, "unembedding [V, d]");
    if (!t.has("readout.label_token_ids"))
      t.fail("readout.label_token_ids", "missing (needed with readout.unembedding)");
    for (const int id : t.ints("readout.label_token_ids")) {
      if (id < 0) t.fail("readout.label_token_ids", "token id " + std::to_string(id) + " is negative");
      g.label_token_ids.push_back(static_cast<std::size_t>(id));
    }
  }
  // The final norm's ε defaults to 1e-5 in a manifest (Llama 2, SmolLM2), as it always has.
  std::optional<std::vector<double>> gain;
  if (t.has("readout.final_norm.gain")) gain = t.doubles("readout.final_norm.gain");
  const double epsilon = t.has("readout.final_norm.epsilon") ? t.number("readout.final_norm.epsilon") : 1e-5;
  if (gain) g.final_norm = icl::rms_norm_params{std::move(*gain), epsilon};
  out["geometry"] = t.run("geometry", [&] {
    return geometry(task.hidden, *task.labels, task.labels_name, directions ? &*directions : nullptr, g, task.prog);
  });
}

void report_columns(const json& task, std::vector<layer_column>& columns) {
  const json* geo = html::get(task, "geometry");
  if (geo == nullptr) return;
  for (const auto& [key, header] : {std::pair<const char*, const char*>{"separability", "separability"},
                                    {"output_alignment", "output align."},
                                    {"composite_alignment", "composite align."}}) {
    if (geo->contains(key)) columns.push_back({header, html::to_values((*geo)[key])});
  }
  columns.push_back({"eff. dim.", html::to_values((*geo)["effective_dimension"]), false});
}

std::string report_figures(const json& task) {
  const json* geo = html::get(task, "geometry");
  if (geo == nullptr) return {};
  std::string out;
  html::line_chart c = html::chart("Separability and alignment", "score", true);
  for (const char* key :
       {"separability", "output_alignment", "directional_separability", "singular_alignment", "variance_alignment"}) {
    if (geo->contains(key)) {
      std::string name = key;
      std::replace(name.begin(), name.end(), '_', ' ');
      c.lines.push_back({name, html::to_values((*geo)[key]), std::string(key) == "variance_alignment"});
    }
  }
  if (!c.lines.empty()) {
    c.reference = 0.5;
    out += html::figure(html::render(c),
                        "Separability: logistic probe accuracy on a held-out half, per label pair. Output "
                        "alignment: logit-lens accuracy over the label tokens. Singular / variance alignment: the "
                        "label direction against the top singular vectors / the variance along it. Chance "
                        "(binary) = 0.5.");
  }
  if (geo->contains("mean_alignment")) {
    html::line_chart m = html::chart("Mean and composite alignment", "alignment");
    m.lines.push_back({"mean alignment", html::to_values((*geo)["mean_alignment"])});
    m.lines.push_back({"composite alignment", html::to_values((*geo)["composite_alignment"])});
    m.reference = 0.0;
    m.reference_label = "";
    out += html::figure(html::render(m),
                        "Mean alignment: class-mean difference along the label direction over the pooled "
                        "standard deviation; composite = variance alignment × mean alignment.");
  }
  html::line_chart e = html::chart("Effective dimension", "participation ratio");
  e.lines.push_back({"effective dimension", html::to_values((*geo)["effective_dimension"])});
  out += html::figure(html::render(e), "Participation ratio (Σσ²)² / Σσ⁴ of the centered states of each layer.");
  return out;
}

[[maybe_unused]] const bool section_registered = register_report_section(
    {40, report_run, report_columns, report_figures, nullptr,
     {{"separ.", {"geometry", "separability"}}, {"out.al.", {"geometry", "output_alignment"}}},
     {"separ.: separability", "out.al.: output alignment"}, nullptr});

}  // namespace

}  // namespace icl_tool
