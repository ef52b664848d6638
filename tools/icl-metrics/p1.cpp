// The [P1] RSA preset (icl/rsa/p1.hpp): token states max-pooled over a token subset, z-scored
// per feature, cosine RDM, Spearman's rho with a hypothesis RDM per layer, with its permutation
// p-value and bootstrap interval, and the ICL effect with the same prompts without
// demonstrations (icl::rsa::p1_icl_effect); the `p1` subcommand.
#include <cmath>
#include <memory>
#include <optional>

#include "command.hpp"
#include "hypothesis.hpp"
#include "icl/rsa/p1.hpp"
#include "inference_options.hpp"

namespace icl_tool {

namespace {

/// Token states [layers, n, T, d], or states already pooled [layers, n, d], with their subsets.
struct token_input {
  named_array states;
  std::vector<std::vector<std::size_t>> subsets;  ///< one per prompt
};

bool pooled(const named_array& a) { return a.array.rank() == 3; }

/// The token states as [layers, n, T, d]: pooled states are one token per prompt (T = 1).
template <class T>
icl::tensor_view<const T, 4> token_view(const named_array& a) {
  if (!pooled(a)) return a.array.view<T, 4>();
  const auto H = a.array.view<T, 3>();
  return icl::make_tensor_view<T, 4>(H.data(), {H.extent(0), H.extent(1), 1, H.extent(2)},
                                     {H.stride(0), H.stride(1), 0, H.stride(2)});
}

token_input read_tokens(const std::string& reference, const std::string& subset, const std::string& subset_option) {
  token_input in{named_array{load_tensor(reference), reference}, {}};
  const icl::io::array& a = in.states.array;
  if (a.rank() != 3 && a.rank() != 4) {
    throw input_error(reference + ": token states must be [layers, n, T, d] (or pooled [layers, n, d]), got shape " +
                      shape_string(a.shape()));
  }
  require_float(a, a.rank(), "token states");
  const std::size_t n = a.shape()[1];
  if (pooled(in.states)) {
    if (!subset.empty()) {
      throw usage_error(subset_option + ": " + reference + " holds pooled states [layers, n, d]; a token subset needs "
                        "token states [layers, n, T, d]");
    }
    in.subsets.assign(n, std::vector<std::size_t>{0});
    return in;
  }
  if (subset.empty()) throw usage_error(subset_option + " is required with token states [layers, n, T, d]");
  const position_lists lists = read_positions(subset, "", subset_option);
  if (!lists.shared && lists.lists.size() != n) {
    throw input_error(subset + ": has " + std::to_string(lists.lists.size()) + " rows but " + reference + " (shape " +
                      shape_string(a.shape()) + ") holds n = " + std::to_string(n) + " prompts");
  }
  for (std::size_t i = 0; i < n; ++i) in.subsets.push_back(lists[i]);
  return in;
}

/// The P1 curve (statistic, p-value, interval per layer) of one input.
icl::rsa::layer_rsa_result p1_curve(const token_input& in, const named_hypothesis& hypothesis,
                                    const icl::rsa::rsa_curve_params& params) {
  return icl_tool::visit_float(in.states.array, [&](auto tag) {
    return with_context(in.states.name + " with " + hypothesis.name, [&] {
      return icl::rsa::p1_rsa_curve(token_view<decltype(tag)>(in.states), in.subsets, hypothesis.rdm, params);
    });
  });
}

icl::rsa::icl_effect_result p1_effect(const token_input& with, const token_input& without,
                                      const named_hypothesis& hypothesis,
                                      const icl::rsa::hypothesis_alignment_params& params) {
  return icl_tool::visit_float(with.states.array, [&](auto wt) {
    return icl_tool::visit_float(without.states.array, [&](auto ot) {
      return with_context(with.states.name + " and " + without.states.name + " with " + hypothesis.name, [&] {
        return icl::rsa::p1_icl_effect(token_view<decltype(wt)>(with.states), with.subsets,
                                       token_view<decltype(ot)>(without.states), without.subsets, hypothesis.rdm,
                                       params);
      });
    });
  });
}

/// Adds the p-values and intervals of a curve under `suffix` ("with_icl", "without_icl").
void add_inference(json& out, const icl::rsa::layer_rsa_result& r, const icl::rsa::rsa_curve_params& params,
                   const std::string& suffix) {
  if (params.permutations > 0) out["p_value_" + suffix] = numbers(r.p_value);
  if (params.bootstrap_samples > 0) {
    out["ci_low_" + suffix] = numbers(r.ci_low);
    out["ci_high_" + suffix] = numbers(r.ci_high);
  }
}

class p1_command : public metric_command {
 public:
  explicit p1_command(CLI::App& app)
      : metric_command(app, "p1",
                       "The [P1] RSA preset: max-pool over a token subset, z-score, cosine RDM, Spearman with a "
                       "hypothesis RDM per layer, with and without demonstrations") {
    sub_->add_option("tokens", tokens_,
                     "Token states [layers, n, T, d] with demonstrations, or states already pooled [layers, n, d]")
        ->required();
    sub_->add_option("--subset", subset_,
                     "Token positions pooled: one list for every prompt, or [n, k] padded with -1 (JSON, .npy)");
    add_hypothesis_options(sub_, hypothesis_);
    sub_->add_option("--no-icl", no_icl_, "Token states of the same prompts without demonstrations");
    sub_->add_option("--subset-no-icl", subset_no_icl_, "Token positions pooled in --no-icl (default: --subset)");
    auto& alignment = params_.alignment;
    bound_.add("--dissimilarity", "dissimilarity", alignment.dissimilarity, "Dissimilarity of the RDMs");
    bound_.add("--comparison", "comparison", alignment.comparison, "Comparison of each layer's RDM with the hypothesis");
    bound_.add("--standardize", "standardize", alignment.standardize, "Standardization of the pooled states");
    add_inference_options(bound_, params_, "the prompts per layer", "prompts per layer");
    bound_.add("--block-rows", "block_rows", alignment.rdm_options.block_rows,
               "Rows per block of the RDM's Gram product (0: automatic; results do not depend on it beyond rounding)");
    add_output_options();
  }

  int run() override {
    const named_hypothesis hypothesis = read_hypothesis(hypothesis_, "p1");
    const token_input with = read_tokens(tokens_, subset_, "--subset");
    check_prompt_count(with.states, hypothesis);
    std::optional<token_input> without;
    if (!no_icl_.empty()) {
      without = read_tokens(no_icl_, subset_no_icl_.empty() ? subset_ : subset_no_icl_, "--subset-no-icl");
      check_prompt_count(without->states, hypothesis);
    } else if (!subset_no_icl_.empty()) {
      throw usage_error("p1: --subset-no-icl needs --no-icl");
    }
    const icl::rsa::layer_rsa_result curve = p1_curve(with, hypothesis, params_);

    json out;
    out["preset"] = "p1";
    out["pooling"] = "max";
    out["pooled_input"] = pooled(with.states);
    out["dissimilarity"] = icl::to_string(params_.alignment.dissimilarity);
    out["comparison"] = icl::to_string(params_.alignment.comparison);
    out["standardize"] = icl::to_string(params_.alignment.standardize);
    out["hypothesis"] = hypothesis.name;
    out["n"] = hypothesis.rdm.n();
    out["permutations"] = params_.permutations;
    out["alternative"] = icl::to_string(params_.alt);
    out["bootstrap_samples"] = params_.bootstrap_samples;
    out["confidence"] = params_.confidence;
    out["seed"] = params_.seed;
    out["with_icl"] = numbers(curve.statistic);
    add_inference(out, curve, params_, "with_icl");
    if (without) {
      const icl::rsa::icl_effect_result effect = p1_effect(with, *without, hypothesis, params_.alignment);
      out["without_icl"] = numbers(effect.without_icl.values);
      out["delta"] = numbers(effect.delta.values);
      if (params_.permutations > 0 || params_.bootstrap_samples > 0) {
        add_inference(out, p1_curve(*without, hypothesis, params_), params_, "without_icl");
      }
    }
    bool any_finite = false;
    for (const double v : curve.statistic) any_finite = any_finite || std::isfinite(v);
    if (any_finite) {
      out["peak_layer"] = curve.peak_layer();
      out["peak_value"] = number(curve.curve.peak_value());
    }
    json inputs{{"tokens", tokens_}, {"hypothesis", hypothesis.name}};
    if (!subset_.empty()) inputs["subset"] = subset_;
    if (without) inputs["no_icl"] = no_icl_;
    if (!subset_no_icl_.empty()) inputs["subset_no_icl"] = subset_no_icl_;
    return write("p1", inputs, out,
                 curve_rows(out,
                            {"with_icl", "p_value_with_icl", "ci_low_with_icl", "ci_high_with_icl", "without_icl",
                             "p_value_without_icl", "ci_low_without_icl", "ci_high_without_icl", "delta"},
                            curve.layers()));
  }

 private:
  std::string tokens_, subset_, no_icl_, subset_no_icl_;
  hypothesis_options hypothesis_;
  icl::rsa::rsa_curve_params params_ = icl::rsa::p1_curve_params();
};

[[maybe_unused]] const bool registered = register_command<p1_command>("p1", 15);

}  // namespace

}  // namespace icl_tool
