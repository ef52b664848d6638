#ifndef ICL_GEOMETRY_TYPES_HPP
#define ICL_GEOMETRY_TYPES_HPP

/// Public types of icl::geometry: the options and results of the separability / alignment
/// measures (docs/metrics.md, section 4), their per-layer curves, and the names of
/// variance_mode. The functions are in icl/geometry/alignment.hpp (separability and
/// alignment), icl/geometry/spectrum.hpp (effective dimension) and icl/geometry/cka.hpp.

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "icl/core/enum_names.hpp"
#include "icl/core/rms_norm.hpp"
#include "icl/layers.hpp"
#include "icl/probe/types.hpp"

namespace icl::geometry {

/// How variance_alignment is normalized.
enum class variance_mode {
  proportion,  ///< eᵀ(H̄ᵀH̄/n)e / tr(H̄ᵀH̄/n): the share of the total variance along e (default)
  raw          ///< eᵀ(H̄ᵀH̄/n)e: the variance along e, in the units of H²
};

/// Names of icl::geometry::variance_mode ("proportion", "raw") for icl::to_string / from_string.
constexpr enum_table<variance_mode, 2> icl_enum_table(variance_mode) {
  return {"icl::geometry::variance_mode", {{{variance_mode::proportion, "proportion"}, {variance_mode::raw, "raw"}}}};
}

/// The candidate rows of the logit-lens argmax (output_alignment, denoised_output_alignment,
/// output_alignment_all_classes) when label_directions is a whole unembedding E
/// (separability_alignment_params::label_token_ids given). Without label_token_ids the candidates
/// are the label rows whatever this says.
enum class lens_argmax {
  vocabulary,  ///< every row of E, as [P2] does (default)
  label_rows   ///< the label tokens' rows only: the pair's two rows per pair, every class's row for the m-way form
};

/// Names of icl::geometry::lens_argmax ("vocabulary", "label_rows") for icl::to_string / from_string.
constexpr enum_table<lens_argmax, 2> icl_enum_table(lens_argmax) {
  return {"icl::geometry::lens_argmax", {{{lens_argmax::vocabulary, "vocabulary"},
                                          {lens_argmax::label_rows, "label_rows"}}}};
}

/// Options of separability_alignment, separability, denoised_output_alignment and the
/// per-layer forms (separability_alignment_curves, separability_alignment_tracker).
struct separability_alignment_params {
  // ---- separability (logistic probe on a random stratified split) ----
  /// Compute the separability score (a probe fit per label pair). Default: true. When false the
  /// separability fields are NaN and alignment_result::has_separability is false.
  bool separability = true;
  /// The logistic probe: C = 1 and at most 100 L-BFGS iterations by default ([P2]), with the
  /// probe module's stopping rule (see icl::probe::logistic_params).
  icl::probe::logistic_params probe = {};
  /// Fraction of each pair's rows held out for the accuracy (stratified). Default: 0.5.
  double test_fraction = 0.5;
  /// Seed of the split: pair p (in the order of alignment_result::pairs) is split by
  /// icl::probe::stratified_split with seed + p · 0x9E3779B97F4A7C15 (pair 0 uses seed itself,
  /// so a binary problem gets exactly stratified_split(labels, test_fraction, seed)). Default 0.
  std::uint64_t seed = 0;

  // ---- logit lens (output_alignment, denoised_output_alignment) ----
  /// The model's final RMSNorm N(h) = γ ⊙ h / sqrt(mean(h²) + ε), applied to every state (raw or
  /// reconstructed) before the logit lens. Empty (default): no norm. γ empty means all ones
  /// (the positive scale alone never changes an argmax); ε defaults to 1e-6 (see
  /// icl/core/rms_norm.hpp for its source): pass the model's own value (1e-5 for Llama 2).
  std::optional<icl::rms_norm_params> final_norm = std::nullopt;
  /// Empty (default): label_directions has one row per class (classes in increasing label
  /// order) and the logit-lens argmax runs over those rows. Otherwise label_directions is a full
  /// unembedding E (|V| x d), label_token_ids[c] is the row of class c's label token, and the
  /// argmax runs over every row of E (or over the label tokens' rows, see `argmax`).
  std::vector<std::size_t> label_token_ids = {};
  /// With label_token_ids: the argmax over the whole vocabulary (default, as [P2]) or over the
  /// label tokens' rows only (lens_argmax::label_rows: the same values as passing E's label rows
  /// as label_directions without token ids). No effect without label_token_ids.
  lens_argmax argmax = lens_argmax::vocabulary;

  // ---- spectral measures ----
  /// Normalization of variance_alignment. Default: proportion.
  variance_mode variance = variance_mode::proportion;
  /// Number of leading right singular vectors of H̄ searched by singular_alignment. Default: 2.
  std::size_t singular_vectors = 2;
  /// Rank r of the reconstruction U_rΣ_rV_rᵀ + 1μᵀ behind denoised_output_alignment. Default: 10,
  /// the rank of [P2]'s Fig. 6. Must satisfy 1 <= r <= min(n_pair, d) for every label pair: pass
  /// a smaller r explicitly for fewer than 10 rows per pair or d < 10.
  std::size_t denoise_rank = 10;
};

/// Every measure for one unordered label pair (A, B), A the class with the smaller label.
struct pair_alignment {
  std::size_t class_a = 0, class_b = 0;  ///< class indices (positions in alignment_result::classes)
  int label_a = 0, label_b = 0;          ///< the original labels
  std::size_t n_a = 0, n_b = 0;          ///< rows of each class

  double separability = std::numeric_limits<double>::quiet_NaN();  ///< probe test accuracy
  std::size_t probe_iterations = 0;  ///< L-BFGS iterations of the pair's probe (0 without separability)
  bool probe_converged = true;       ///< whether the probe met its stopping rule (non-convergence is not thrown)
  double directional_separability = 0.0;   ///< S(e)
  double output_alignment = 0.0;           ///< logit-lens accuracy on the raw states
  double singular_alignment = 0.0;         ///< max_r |cos(v_r, e)|
  double variance_alignment = 0.0;         ///< eᵀΣe / tr Σ (or eᵀΣe under variance_mode::raw)
  double mean_alignment = 0.0;             ///< eᵀ(μ_A − μ_B) / pooled sd of h·e
  double composite_alignment = 0.0;        ///< variance_alignment × mean_alignment
  double effective_dimension = 0.0;        ///< participation ratio of H̄'s singular values
  double denoised_output_alignment = 0.0;  ///< logit-lens accuracy on the rank-r reconstruction
};

/// The measures of docs/metrics.md section 4 for one layer, averaged over the label pairs.
struct alignment_result {
  std::vector<int> classes;  ///< distinct labels, increasing (class c has label classes[c])
  bool has_separability = false;

  double separability = std::numeric_limits<double>::quiet_NaN();
  double directional_separability = 0.0;
  double output_alignment = 0.0;
  double singular_alignment = 0.0;
  double variance_alignment = 0.0;
  double mean_alignment = 0.0;
  double composite_alignment = 0.0;
  double effective_dimension = 0.0;
  double denoised_output_alignment = 0.0;
  /// Logit-lens accuracy over all n rows with the argmax over every class's direction (or over
  /// the whole unembedding): the m-way form of output_alignment. Equal to it when m = 2.
  double output_alignment_all_classes = 0.0;

  /// The per-pair values, pairs (0,1), (0,2), ..., (1,2), ... in class order.
  std::vector<pair_alignment> pairs;
};

/// One curve per measure over the layers of a [layers, n, d] tensor, and each layer's result
/// (separability_alignment_curves, separability_alignment_tracker::curves).
struct alignment_curves {
  layer_curve separability;
  layer_curve directional_separability;
  layer_curve output_alignment;
  layer_curve singular_alignment;
  layer_curve variance_alignment;
  layer_curve mean_alignment;
  layer_curve composite_alignment;
  layer_curve effective_dimension;
  layer_curve denoised_output_alignment;
  layer_curve output_alignment_all_classes;
  std::vector<alignment_result> layers;
};

/// Layer retention / filtering ([P2]) for one transition l−1 → l (icl/geometry/retention.hpp):
/// with V_{l−1}, V_l the top-r right singular vectors of the centred states at the two layers,
/// the norm of each row of V_{l−1}ᵀ V_l V_lᵀ, one per direction of layer l−1: near 1 the
/// direction is retained by layer l, near 0 it is filtered out.
struct retention_result {
  std::size_t layer = 0;        ///< l (the later layer; 1 for retention(previous, current))
  std::vector<double> norms;    ///< r values in [0, 1]: ‖V_l V_lᵀ v_i‖ for direction v_i of layer l−1
  /// r x d, row-major: the directions v_i of layer l−1 (unit right singular vectors of its centred
  /// states, by decreasing singular value, each signed so that its largest-magnitude entry is > 0).
  std::vector<double> directions;
  std::vector<double> singular_values;  ///< r: σ_i of layer l−1's centred states
  /// With an unembedding E: per direction, the top_k token ids with the largest E·v_i (highest
  /// first; ties to the lower id) and those with the smallest E·v_i (lowest first). Empty otherwise.
  std::vector<std::vector<std::size_t>> top_tokens;
  std::vector<std::vector<std::size_t>> bottom_tokens;
};

}  // namespace icl::geometry

#endif  // ICL_GEOMETRY_TYPES_HPP
