// The hypothesis RDM of the RSA subcommands (rsa, p1): a categorical RDM from concept labels or
// |a_i − a_j| of a continuous task parameter, named on the command line.
#ifndef ICL_TOOLS_HYPOTHESIS_HPP
#define ICL_TOOLS_HYPOTHESIS_HPP

#include <cstddef>
#include <string>

#include <CLI/CLI.hpp>

#include "families.hpp"
#include "icl/rsa/types.hpp"

namespace icl_tool {

/// The two ways to give the hypothesis: exactly one is set.
struct hypothesis_options {
  std::string labels;     ///< --labels / --concepts: categorical RDM
  std::string parameter;  ///< --parameter: |a_i − a_j|
};

/// Adds --labels (alias --concepts) and --parameter to sub; they exclude each other.
void add_hypothesis_options(CLI::App* sub, hypothesis_options& options);

/// A hypothesis RDM and the reference it was built from (for messages and `result.hypothesis`).
struct named_hypothesis {
  icl::rsa::rdm rdm;
  std::string name;
};

/// Reads the labels or the parameter and builds the RDM; a usage_error ("<command>: give
/// --labels (or --concepts) or --parameter") when neither is given.
named_hypothesis read_hypothesis(const hypothesis_options& options, const std::string& command);

/// Checks that the hypothesis has as many conditions as `states` has prompts along axis 1 (an
/// input_error naming both otherwise).
void check_prompt_count(const named_array& states, const named_hypothesis& hypothesis);

}  // namespace icl_tool

#endif  // ICL_TOOLS_HYPOTHESIS_HPP
