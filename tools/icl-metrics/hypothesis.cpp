#include "hypothesis.hpp"

#include "icl/rsa/hypothesis.hpp"

namespace icl_tool {

void add_hypothesis_options(CLI::App* sub, hypothesis_options& options) {
  auto* labels = sub->add_option("--labels,--concepts", options.labels,
                                 "Concept of each prompt (.npy, tensor reference, JSON list): categorical hypothesis RDM");
  auto* parameter = sub->add_option("--parameter", options.parameter,
                                    "Continuous task parameter of each prompt: hypothesis RDM |a_i - a_j|");
  labels->excludes(parameter);
}

named_hypothesis read_hypothesis(const hypothesis_options& options, const std::string& command) {
  if (options.labels.empty() && options.parameter.empty()) {
    throw usage_error(command + ": give --labels (or --concepts) or --parameter");
  }
  if (!options.labels.empty()) {
    const auto labels = read_int_list(options.labels, "", "labels");
    return {with_context(options.labels, [&] { return icl::rsa::categorical_rdm(labels); }), options.labels};
  }
  const auto values = read_double_list(options.parameter, "", "parameter");
  return {with_context(options.parameter, [&] { return icl::rsa::parameter_rdm(values); }), options.parameter};
}

void check_prompt_count(const named_array& states, const named_hypothesis& hypothesis) {
  const std::size_t n = states.array.shape()[1];
  if (n != hypothesis.rdm.n()) {
    throw input_error(hypothesis.name + ": has " + std::to_string(hypothesis.rdm.n()) + " entries but " + states.name +
                      " (shape " + shape_string(states.array.shape()) + ") holds n = " + std::to_string(n) +
                      " prompts");
  }
}

}  // namespace icl_tool
