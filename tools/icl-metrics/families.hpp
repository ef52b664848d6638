// The metric families as the program runs them: each function takes loaded arrays and the
// library's own parameter structs, runs the library per layer (with progress), and returns the
// results as JSON curves (one value per layer). Each family lives in its own .cpp, which also
// registers its subcommand (command.hpp) and its section of the report (report.hpp), and
// instantiates the library templates for the four floating types once.
#ifndef ICL_TOOLS_FAMILIES_HPP
#define ICL_TOOLS_FAMILIES_HPP

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common.hpp"
#include "icl/attention/types.hpp"
#include "icl/decode/types.hpp"
#include "icl/geometry/types.hpp"
#include "icl/probe/types.hpp"
#include "icl/rsa/types.hpp"

namespace icl_tool {

/// A loaded tensor with the name used in messages (the reference as given).
struct named_array {
  icl::io::array array;
  std::string name;
};

// ---- task decodability ------------------------------------------------------------------------

/// TD per layer of hidden [layers, n, d] with labels (n). When rows is given, only those rows
/// (prompts) are used. Result: {"k", "dissimilarity", "metric" (the same, deprecated), "n",
/// "classes", "overall": [L], "per_class": {label: [L]}, "peak_layer", "peak_value"}.
json decodability(const named_array& hidden, const std::vector<int>& labels, const std::string& labels_name,
                  const icl::decode::decode_params& params, progress& prog,
                  const std::vector<std::size_t>* rows = nullptr);

/// TD per layer for each distinct value of `demonstrations` (one entry per value, increasing):
/// [{"demonstrations": k, "n": n_k, "overall": [L], "peak_layer"} or {"demonstrations": k,
/// "n": n_k, "skipped": reason}].
json decodability_by_group(const named_array& hidden, const std::vector<int>& labels, const std::string& labels_name,
                           const std::vector<int>& demonstrations, const icl::decode::decode_params& params,
                           progress& prog);

// ---- RSA ---------------------------------------------------------------------------------------

/// The library's options of the RSA alignment and of its permutation test.
struct rsa_options {
  icl::rsa::hypothesis_alignment_params alignment;
  icl::rsa::permutation_params permutation;  ///< permutations = 0 (the program's default): no test
  rsa_options() { permutation.permutations = 0; }
};

/// Alignment of each layer's RDM with the hypothesis RDM, with (and when without is given,
/// without) demonstrations. Result: {"dissimilarity", "comparison", "standardize", "hypothesis",
/// "with_icl": [L], "without_icl": [L], "delta": [L], "p_value_with_icl": [L] ..., "peak_layer"}.
json rsa_alignment(const named_array& with_icl, const named_array* without_icl, const icl::rsa::rdm& hypothesis,
                   const std::string& hypothesis_name, const rsa_options& options, progress& prog);

// ---- probes ------------------------------------------------------------------------------------

/// The library's options of the probes and of their folds, and the program's control task.
struct probe_options {
  icl::probe::logistic_params logistic;
  icl::probe::ridge_params ridge;
  icl::probe::cv_params cv;
  bool selectivity = false;  ///< also a control task (labels permuted with cv.seed + 1)
};

/// Cross-validated logistic probe per layer: {"probe": "logistic", "C", "folds", "seed", "mean":
/// [L], "std": [L], "fold_scores": [[folds] x L], "converged": [L], ("control_mean",
/// "selectivity")}.
json logistic_probe(const named_array& hidden, const std::vector<int>& labels, const std::string& labels_name,
                    const probe_options& options, progress& prog);

/// Cross-validated ridge probe per layer (targets continuous): {"probe": "ridge", "alpha", ...
/// "mean": [L] (R²), "std": [L], "fold_scores"}.
json ridge_probe(const named_array& hidden, const std::vector<double>& targets, const std::string& targets_name,
                 const probe_options& options, progress& prog);

// ---- geometry ----------------------------------------------------------------------------------

using geometry_params = icl::geometry::separability_alignment_params;

/// Separability (and, with directions, every alignment measure) and the effective dimension per
/// layer: {"classes", "separability": [L], "effective_dimension": [L], ("output_alignment", ...)}.
json geometry(const named_array& hidden, const std::vector<int>& labels, const std::string& labels_name,
              const named_array* directions, const geometry_params& params, progress& prog);

// ---- attention ---------------------------------------------------------------------------------

/// The attention of every prompt: one [prompts, layers, heads, T, T] array, or one
/// [layers, heads, T, T] array per prompt.
struct attention_set {
  std::vector<named_array> arrays;
  bool batched = false;  ///< arrays[0] holds every prompt along its first dimension
  std::size_t prompts() const;
};

struct attention_inputs {
  std::optional<position_lists> sources, relevant, irrelevant, label_positions;
  std::optional<std::vector<std::vector<int>>> label_classes;  ///< aligned with label_positions (padding dropped)
  bool normalize = true;      ///< ratio of per-token means (false: of raw sums)
  double top_fraction = 0.1;
  icl::attention::attention_params params;  ///< row-sum checks of every accumulator
};

/// Attention measures per (layer, head), summed or averaged over prompts: {"prompts", "layers",
/// "heads", "previous_token": [[H] x L], ("ratio", "ratio_undefined", "induction",
/// "label_attention", "bias", "top_previous_token", "top_induction")}.
json attention(const attention_set& maps, const attention_inputs& inputs, progress& prog);

/// One flat row per (layer, head) of an attention result, for CSV: previous_token, (ratio,
/// ratio_undefined), (induction), (label_attention_<c>...), (majority_excess, recency_excess,
/// recency_profile_<j>...).
json attention_rows(const json& result);

}  // namespace icl_tool

#endif  // ICL_TOOLS_FAMILIES_HPP
