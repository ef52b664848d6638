#ifndef ICL_COLLECT_TYPES_HPP
#define ICL_COLLECT_TYPES_HPP

/// Public types of icl::collect (docs/collector.md): the configuration of a prompt_collector,
/// what is known about one prompt, the memory it holds, and the options and results of the
/// per-layer suite it runs at the end. The collector itself is in icl/collect/collector.hpp.

#include <array>
#include <cstddef>
#include <limits>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "icl/attention/types.hpp"
#include "icl/core/enum_names.hpp"
#include "icl/core/matrix.hpp"
#include "icl/decode/types.hpp"
#include "icl/geometry/types.hpp"
#include "icl/layers.hpp"
#include "icl/probe/types.hpp"
#include "icl/rsa/types.hpp"

namespace icl::collect {

/// The precision the hidden states are stored in: the engine's own (f16 and bf16 stay 2 bytes
/// per element). Inputs of any of the four element types are converted to it on arrival.
enum class precision {
  f16,   ///< icl::f16 (IEEE binary16), 2 bytes
  bf16,  ///< icl::bf16 (bfloat16), 2 bytes
  f32,   ///< float, 4 bytes
  f64    ///< double, 8 bytes
};

/// Names of icl::collect::precision: "f16", "bf16", "f32", "f64".
constexpr enum_table<precision, 4> icl_enum_table(precision) {
  return {"icl::collect::precision", {{{precision::f16, "f16"}, {precision::bf16, "bf16"}, {precision::f32, "f32"},
                                       {precision::f64, "f64"}}}};
}

/// Bytes per stored element: 2, 2, 4 or 8.
constexpr std::size_t element_size(precision p) noexcept {
  return p == precision::f64 ? 8 : (p == precision::f32 ? 4 : 2);
}

/// prompt_info::index: "the next index of this collector" (one more than the largest so far).
inline constexpr std::size_t auto_index = std::numeric_limits<std::size_t>::max();
/// A position argument meaning "the last of the positions stored per prompt".
inline constexpr std::size_t last_position = std::numeric_limits<std::size_t>::max();

/// What a prompt_collector stores. Fixed at construction; shards and merged collectors must
/// agree on every field.
struct collector_config {
  /// Number of layers L (>= 1): every prompt gives states for layers 0..L-1.
  std::size_t layers = 0;
  /// Width d of a hidden state (>= 1).
  std::size_t width = 0;
  /// Positions stored per prompt (>= 1): each layer of a prompt is a positions x d block (for
  /// example 1: the last token; or the label positions of a fixed template).
  std::size_t positions = 1;
  /// Precision of the stored states (default f32).
  precision stored = precision::f32;
  /// When set, one RDM per layer under this dissimilarity is grown as prompts arrive (a new
  /// prompt adds its row of n dissimilarities, O(n·d) per layer), from the states at
  /// grown_rdm_position. Memory: L · n(n-1)/2 doubles. Empty (default): no grown RDM.
  std::optional<rsa::dissimilarity> grown_rdm = std::nullopt;
  /// The position whose states the grown RDM compares (default: the last position).
  std::size_t grown_rdm_position = last_position;
  /// Prompts to reserve room for up front (0: grow as needed). Growing a buffer may briefly hold
  /// the old and the new buffer; reserving avoids it.
  std::size_t reserve_prompts = 0;
  /// Attention, when given, is reduced as it arrives (never stored): these are the options of
  /// the icl::attention accumulators it is reduced with — the attention ratio's per-token means
  /// (normalize, default true) and the row checks of every attention metric.
  bool ratio_normalize = true;
  attention::attention_params attention_options = {};
};

/// Positions in one prompt's attention [heads, T, T] (row q = query position, 0-based) for the
/// attention metrics; each metric is skipped for a prompt whose positions it needs are empty.
struct attention_positions {
  std::vector<std::size_t> sources;          ///< attention ratio: the query rows (e.g. {T-1})
  std::vector<std::size_t> relevant;         ///< attention ratio: the relevant keys
  std::vector<std::size_t> irrelevant;       ///< attention ratio: the irrelevant keys
  std::vector<std::size_t> label_positions;  ///< induction score: the label positions
};

/// What is known about one prompt besides its states.
struct prompt_info {
  /// The prompt's index: the results are in increasing index order, whatever the arrival order.
  /// auto_index (default): one more than the largest index this collector holds (0 at first).
  /// Indices must be distinct within a collector and across merged shards.
  std::size_t index = auto_index;
  /// The prompt's class or condition: the labels of decodability, probes and separability, and
  /// of the categorical hypothesis RDM of the RSA.
  int label = 0;
  /// Positions for the attention metrics (used only when attention is given).
  attention_positions attention = {};
};

/// Bytes a collector holds (its buffers' sizes, not their reserved capacity).
struct memory_usage {
  /// The stored states: prompts x layers x positions x d x element_size(stored).
  std::size_t states = 0;
  /// The grown RDMs: layers x n(n-1)/2 doubles, plus 2 doubles per (layer, prompt) of row
  /// statistics (norm and mean).
  std::size_t grown_rdm = 0;
  /// The attention metrics reduced per prompt: a few doubles per (prompt, layer, head).
  std::size_t attention = 0;
  /// Index, label and attention positions of each prompt.
  std::size_t prompts = 0;
  /// The sum of the above.
  std::size_t total = 0;
};

/// Options of prompt_collector::run_suite: one switch and the module's own parameters per
/// metric family. Every metric runs on the states at `position`, one row per prompt, in prompt
/// index order.
struct suite_params {
  /// Which stored position the metrics read (default: the last).
  std::size_t position = last_position;

  // ---- RSA (icl::rsa) ----
  bool rsa = true;
  /// Dissimilarity of the layers' RDMs (default correlation).
  rsa::dissimilarity dissimilarity = rsa::dissimilarity::correlation;
  /// Options of compute_rdm.
  rsa::rdm_params rdm = {};
  /// How an RDM is compared with the hypothesis (default spearman).
  rsa::comparison comparison = rsa::comparison::spearman;
  /// The hypothesis RDM, over the prompts in index order. Empty (default):
  /// icl::rsa::categorical_rdm of the prompts' labels.
  std::optional<rsa::rdm> hypothesis = std::nullopt;
  /// Options of permutation_test (its default: 10000 permutations, seed 0, two-sided).
  rsa::permutation_params permutation = {};
  /// When set, a bootstrap interval per layer (icl::rsa::bootstrap_compare with these options).
  std::optional<rsa::bootstrap_params> bootstrap = std::nullopt;
  /// Use the collector's grown RDM when it has one for this dissimilarity and position (true,
  /// default; equal to compute_rdm within rounding, see docs/collector.md), or always call
  /// compute_rdm on the stored states (false: the batch function's exact result).
  bool use_grown_rdm = true;
  /// Keep each layer's RDM in suite_result::rdms (default false: they are n(n-1)/2 doubles each).
  bool keep_rdms = false;

  // ---- task decodability (icl::decode) ----
  bool decodability = true;
  decode::decode_params decode = {};

  // ---- linear probes (icl::probe) ----
  bool probes = true;
  probe::logistic_params probe = {};
  probe::cv_params cv = {};

  // ---- geometry (icl::geometry) ----
  /// Separability (and, with label_directions, every alignment measure) per layer.
  bool separability = true;
  geometry::separability_alignment_params geometry = {};
  /// One row per class (or a whole unembedding with geometry.label_token_ids). Empty (0 rows,
  /// default): separability alone (icl::geometry::separability).
  dense_matrix<double> label_directions = {};
  bool effective_dimension = true;
  /// Linear CKA between consecutive layers l and l + 1.
  bool cka = true;
  bool cka_debiased = false;

  // ---- attention (icl::attention), when attention was collected ----
  /// Sum the collected attention metrics (their options are collector_config's).
  bool attention = true;
};

/// The attention metrics over the collected prompts (each empty when no prompt gave what it
/// needs): the sums of previous_token_score and induction_score over prompts, the mean of the
/// per-prompt attention ratios and the ratio of the summed terms — the results of the
/// icl::attention accumulators fed in prompt order — with the mean over heads of each layer as
/// curves (the ratios' over defined heads).
struct attention_summary {
  std::optional<attention::head_map> previous_token;  ///< previous_token_accumulator::result()
  std::optional<attention::head_map> induction;       ///< induction_accumulator::result()
  std::optional<attention::head_map> ratio;           ///< ratio_accumulator::result()
  std::optional<attention::head_map> ratio_of_sums;   ///< ratio_accumulator::ratio_of_sums()
  layer_curve previous_token_curve;
  layer_curve induction_curve;
  layer_curve ratio_curve;
  layer_curve ratio_of_sums_curve;
};

/// Everything run_suite computed, one entry per layer (a family that was switched off, or that
/// the data do not allow, has empty vectors and curves).
struct suite_result {
  std::vector<std::size_t> prompt_indices;  ///< the prompts, in the order of every row below
  std::vector<int> labels;                  ///< their labels, same order
  std::size_t position = 0;                 ///< the position the metrics read

  // RSA: the statistic against the hypothesis with its permutation p-value, per layer.
  std::vector<rsa::permutation_result> rsa;
  std::vector<rsa::bootstrap_result> rsa_bootstrap;  ///< with suite_params::bootstrap
  layer_curve rsa_curve;                    ///< the statistic per layer
  std::vector<rsa::rdm> rdms;               ///< with suite_params::keep_rdms
  bool used_grown_rdm = false;              ///< whether the RDMs came from the grown ones

  decode::decodability_curve_result decodability;  ///< as icl::decode::decodability_curve

  std::vector<probe::cv_result> probes;     ///< cross_validate_logistic per layer
  layer_curve probe_curve;                  ///< mean fold accuracy per layer

  std::vector<geometry::alignment_result> geometry;  ///< separability(_alignment) per layer
  layer_curve separability_curve;
  layer_curve effective_dimension;
  /// CKA(l, l + 1) for l = 0..L-2 (L - 1 values).
  layer_curve cka_consecutive;

  attention_summary attention;
};

}  // namespace icl::collect

#endif  // ICL_COLLECT_TYPES_HPP
