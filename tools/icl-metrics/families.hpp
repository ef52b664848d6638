// The metric families as the program runs them: each function takes loaded arrays, runs the
// library per layer (with progress), and returns the results as JSON curves (one value per
// layer). Each family lives in its own .cpp, which instantiates the library templates for the
// four floating types once.
#ifndef ICL_TOOLS_FAMILIES_HPP
#define ICL_TOOLS_FAMILIES_HPP

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common.hpp"
#include "icl/decode/knn.hpp"
#include "icl/rsa/compare.hpp"
#include "icl/rsa/embedding.hpp"
#include "icl/rsa/rdm.hpp"

namespace icl_tool {

/// A loaded tensor with the name used in messages (the reference as given).
struct named_array {
  icl::io::array array;
  std::string name;
};

// ---- task decodability ------------------------------------------------------------------------

struct decode_options {
  std::size_t k = 10;
  icl::decode::distance_metric metric = icl::decode::distance_metric::euclidean;
};

/// TD per layer of hidden [layers, n, d] with labels (n). When rows is given, only those rows
/// (prompts) are used. Result: {"k", "metric", "n", "classes", "overall": [L], "per_class":
/// {label: [L]}, "peak_layer", "peak_value"}.
json decodability(const named_array& hidden, const std::vector<int>& labels, const std::string& labels_name,
                  const decode_options& options, progress& prog, const std::vector<std::size_t>* rows = nullptr);

/// TD per layer for each distinct value of `demonstrations` (one entry per value, increasing):
/// [{"demonstrations": k, "n": n_k, "overall": [L], "peak_layer"} or {"demonstrations": k,
/// "n": n_k, "skipped": reason}].
json decodability_by_group(const named_array& hidden, const std::vector<int>& labels, const std::string& labels_name,
                           const std::vector<int>& demonstrations, const decode_options& options, progress& prog);

// ---- RSA ---------------------------------------------------------------------------------------

struct rsa_options {
  icl::rsa::dissimilarity dissimilarity = icl::rsa::dissimilarity::correlation;
  icl::rsa::comparison comparison = icl::rsa::comparison::spearman;
  icl::rsa::standardization standardize = icl::rsa::standardization::none;
  std::size_t permutations = 0;  ///< 0: no permutation test
  std::uint64_t seed = 0;
};

/// Alignment of each layer's RDM with the hypothesis RDM, with (and when without is given,
/// without) demonstrations. Result: {"dissimilarity", "comparison", "standardize", "hypothesis",
/// "with_icl": [L], "without_icl": [L], "delta": [L], "p_value_with_icl": [L] ..., "peak_layer"}.
json rsa_alignment(const named_array& with_icl, const named_array* without_icl, const icl::rsa::rdm& hypothesis,
                   const std::string& hypothesis_name, const rsa_options& options, progress& prog);

// ---- probes ------------------------------------------------------------------------------------

struct probe_options {
  double C = 1.0;
  std::size_t max_iter = 100;
  double alpha = 1.0;
  std::size_t folds = 5;
  std::uint64_t seed = 0;
  bool selectivity = false;
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

struct geometry_options {
  bool separability = true;
  double C = 1.0;
  double test_fraction = 0.5;
  std::uint64_t seed = 0;
  std::vector<double> norm_gain;      ///< empty: no final norm
  double norm_eps = 1e-5;
  std::vector<std::size_t> label_token_ids;  ///< with a full unembedding
  std::size_t denoise_rank = 2;
};

/// Separability (and, with directions, every alignment measure) and the effective dimension per
/// layer: {"classes", "separability": [L], "effective_dimension": [L], ("output_alignment", ...)}.
json geometry(const named_array& hidden, const std::vector<int>& labels, const std::string& labels_name,
              const named_array* directions, const geometry_options& options, progress& prog);

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
  bool normalize = true;
  double top_fraction = 0.1;
};

/// Attention measures per (layer, head), summed or averaged over prompts: {"prompts", "layers",
/// "heads", "previous_token": [[H] x L], ("ratio", "ratio_undefined", "induction",
/// "label_attention", "top_previous_token", "top_induction")}.
json attention(const attention_set& maps, const attention_inputs& inputs, progress& prog);

// ---- helpers -----------------------------------------------------------------------------------

/// Rows for CSV/JSON output: one object per layer with "layer" and the named curves.
json curve_rows(const json& curves, const std::vector<std::string>& keys, std::size_t layers);

}  // namespace icl_tool

#endif  // ICL_TOOLS_FAMILIES_HPP
