// The options of a permutation test and a bootstrap interval, for the subcommands whose library
// parameters name them alike (icl::stats::association_params, icl::rsa::rsa_curve_params):
// permutations, alt, bootstrap_samples, confidence, seed.
#ifndef ICL_TOOLS_INFERENCE_OPTIONS_HPP
#define ICL_TOOLS_INFERENCE_OPTIONS_HPP

#include <string>

#include "command.hpp"

namespace icl_tool {

/// Adds --permutations, --alternative, --bootstrap, --confidence and --seed, bound to the fields
/// of params; `permuted` and `resampled` say what the test permutes and the bootstrap draws.
template <class Params>
void add_inference_options(option_set& bound, Params& params, const std::string& permuted,
                           const std::string& resampled) {
  bound.add("--permutations", "permutations", params.permutations, "Permutations of " + permuted + " (0: no test)");
  bound.add("--alternative", "alternative", params.alt, "Tail of the p-values");
  bound.add("--bootstrap", "bootstrap", params.bootstrap_samples,
            "Bootstrap samples of " + resampled + " (0: no interval; otherwise at least 2)");
  bound.add("--confidence", "confidence", params.confidence, "Coverage of the bootstrap interval");
  bound.add("--seed", "seed", params.seed, "Seed of the permutations and bootstrap samples");
}

}  // namespace icl_tool

#endif  // ICL_TOOLS_INFERENCE_OPTIONS_HPP
