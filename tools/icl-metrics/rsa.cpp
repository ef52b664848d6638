// RSA: alignment of each layer's RDM with a hypothesis RDM, with and without demonstrations.
#include "families.hpp"
#include "icl/rsa/alignment.hpp"
#include "icl/rsa/inference.hpp"

namespace icl_tool {

namespace {

const char* standardization_name(icl::rsa::standardization s) {
  switch (s) {
    case icl::rsa::standardization::none: return "none";
    case icl::rsa::standardization::zscore_features: return "zscore_features";
    case icl::rsa::standardization::zscore_rows: return "zscore_rows";
  }
  return "unknown";
}

struct layer_alignment {
  double value;
  double p_value;
};

template <class T>
layer_alignment align_layer(icl::matrix_view<const T> H, const icl::rsa::rdm& hypothesis, const rsa_options& options) {
  icl::rsa::alignment_params params;
  params.distance = options.dissimilarity;
  params.method = options.comparison;
  params.standardize = options.standardize;
  if (options.permutations == 0) {
    return {icl::rsa::hypothesis_alignment(H, hypothesis, params), std::numeric_limits<double>::quiet_NaN()};
  }
  icl::rsa::rdm layer_rdm;
  if (options.standardize == icl::rsa::standardization::none) {
    layer_rdm = icl::rsa::compute_rdm(H, options.dissimilarity);
  } else {
    const auto z = icl::rsa::standardize(H, options.standardize);
    layer_rdm = icl::rsa::compute_rdm(z.view(), options.dissimilarity);
  }
  const auto test = icl::rsa::permutation_test(layer_rdm, hypothesis, options.comparison, options.permutations, options.seed);
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
  visit_float(with_icl.array, [&](auto tag) {
    alignment_curve<decltype(tag)>(with_icl, hypothesis, hypothesis_name, options, prog,
                                   without_icl ? "with ICL" : "alignment", with_values, with_p);
  });
  if (without_icl != nullptr) {
    visit_float(without_icl->array, [&](auto tag) {
      alignment_curve<decltype(tag)>(*without_icl, hypothesis, hypothesis_name, options, prog, "without ICL",
                                     without_values, without_p);
    });
  }
  json out;
  out["dissimilarity"] = icl::rsa::to_string(options.dissimilarity);
  out["comparison"] = icl::rsa::to_string(options.comparison);
  out["standardize"] = standardization_name(options.standardize);
  out["hypothesis"] = hypothesis_name;
  out["n"] = hypothesis.n();
  out["with_icl"] = numbers(with_values);
  if (options.permutations > 0) {
    out["permutations"] = options.permutations;
    out["seed"] = options.seed;
    out["p_value_with_icl"] = numbers(with_p);
  }
  if (without_icl != nullptr) {
    out["without_icl"] = numbers(without_values);
    std::vector<double> delta(with_values.size());
    for (std::size_t l = 0; l < delta.size(); ++l) delta[l] = with_values[l] - without_values[l];
    out["delta"] = numbers(delta);
    if (options.permutations > 0) out["p_value_without_icl"] = numbers(without_p);
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

}  // namespace icl_tool
