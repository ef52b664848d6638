// The in-context head analysis of [P4] (Yu & Ananiadou, arXiv 2402.02872) as the program runs
// it, for the `heads` subcommand and the report (heads.cpp): value-output vectors of every
// (layer, head), their log-probability increase per label token at the fixed final-layer scale,
// logit-minus at the label positions and the in-context heads. heads.cpp also registers the
// report's section of them (manifest keys attention.values, attention.w_o, attention.residual,
// readout.final_hidden; docs/manifest.md).
#ifndef ICL_TOOLS_HEADS_HPP
#define ICL_TOOLS_HEADS_HPP

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "common.hpp"
#include "icl/attention/types.hpp"

namespace icl_tool {

/// A tensor the analysis reads: its reference and, where a manifest gave it (the report), the key.
struct tensor_input {
  std::string reference;
  std::string key;  ///< empty: an option of the subcommand
  /// How messages name it: the reference, or "KEY (REFERENCE)"; its read errors are prefixed
  /// with KEY.
  std::string name() const { return key.empty() ? reference : key + " (" + reference + ")"; }
};

/// What the analysis reads. Tensors are references relative to base_dir; every tensor but the
/// unembedding may carry a leading prompts dimension (batched along attention's): attention
/// [(P,) layers, heads, T, T], values [(P,) layers, kv_heads, T, d_head], w_o [layers, d_model,
/// heads · d_head], residual [(P,) layers, d], final_hidden [(P,) d] (empty: none), unembedding
/// [V, d]. docs/cli.md (`heads`) gives the definitions.
struct in_context_request {
  std::string base_dir;
  tensor_input attention, values, w_o, residual, final_hidden, unembedding;
  std::vector<std::size_t> label_tokens;
  std::vector<int> predicted;  ///< index into label_tokens per prompt; empty: every prompt, every label
  std::optional<position_lists> positions_a, positions_b;  ///< logit-minus (two labels)
  icl::attention::logit_lens_params lens;
  icl::attention::head_selection_params selection;
  std::optional<std::size_t> query;
  std::string save_u, save_vo;  ///< .npy files for u_p and vo_p, or empty
  /// How the label inputs are named in messages (options, or manifest keys).
  std::string tokens_name = "--label-token-ids", predicted_name = "--predicted",
              positions_name = "--positions-a/--positions-b", selection_name = "--top-k/--fraction";
};

/// The result object of `heads` (docs/cli.md, heads.result).
json in_context_heads(const in_context_request& request, progress& prog);

/// One flat row per (layer, head) of that result: layer, head, logprob_increase_<k>...,
/// in_context[, logit_minus_a, logit_minus_b, in_context_logit_minus].
json in_context_rows(const json& result);

}  // namespace icl_tool

#endif  // ICL_TOOLS_HEADS_HPP
