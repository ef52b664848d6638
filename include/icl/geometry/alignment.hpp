#ifndef ICL_GEOMETRY_ALIGNMENT_HPP
#define ICL_GEOMETRY_ALIGNMENT_HPP

/// Hidden-state geometry (docs/metrics.md, section 4): separability and alignment of a layer's
/// states with the directions of the label tokens, per layer (section 6). The effective
/// dimension is in icl/geometry/spectrum.hpp (included here); options and results in
/// icl/geometry/types.hpp.
///
/// H is n x d (one row per prompt, usually the last token's state), labels one int per row (any
/// values: classes are the distinct labels in increasing order), label_directions a matrix of
/// any element type with one row per class (the unembedding rows of the label tokens, or any
/// d-vectors), or a whole unembedding with separability_alignment_params::label_token_ids. For
/// m > 2 classes every measure is computed on each unordered label pair (the rows of those two
/// classes, H̄ centered over them, e = (E_A − E_B)/‖E_A − E_B‖) and averaged over the pairs.
/// See docs/geometry.md.

#include <cstddef>
#include <utility>
#include <vector>

#include "icl/core/view.hpp"
#include "icl/geometry/detail/alignment_checks.hpp"
#include "icl/geometry/detail/alignment_impl.hpp"
#include "icl/geometry/spectrum.hpp"
#include "icl/geometry/types.hpp"
#include "icl/layers.hpp"
#include "icl/probe/types.hpp"

namespace icl::geometry {

/// Every measure of docs/metrics.md section 4 for one layer, averaged over label pairs, with the
/// per-pair values (see alignment_result and docs/geometry.md).
///
/// Separability is computed (a probe per pair, on a stratified random split) unless
/// params.separability is false.
/// Throws icl::invalid_argument naming icl::geometry::separability_alignment when labels has
/// the wrong length or a single class, label_directions has the wrong width or number of rows,
/// two label directions are identical, params.final_norm has a gamma of the wrong length or a
/// non-finite value, H or label_directions holds NaN/Inf, a pair's centered states are zero or
/// the pooled variance of h·e is zero, or denoise_rank is outside [1, min(n_pair, d)].
template <class T, class U>
alignment_result separability_alignment(matrix_view<const T> H, const std::vector<int>& labels,
                                        matrix_view<const U> label_directions,
                                        const separability_alignment_params& params = {}) {
  const char* fn = "icl::geometry::separability_alignment";
  const auto enc = detail::check_alignment_input(fn, H, labels, label_directions, params);
  return detail::alignment_measures(fn, H, enc, label_directions, params);
}

/// separability_alignment with the probe fitted on an explicit split: for each pair, the rows of
/// split.train and split.test that belong to the pair (indices are rows of H).
template <class T, class U>
alignment_result separability_alignment(matrix_view<const T> H, const std::vector<int>& labels,
                                        matrix_view<const U> label_directions, const icl::probe::split_indices& split,
                                        separability_alignment_params params = {}) {
  const char* fn = "icl::geometry::separability_alignment";
  params.separability = true;
  const auto enc = detail::check_alignment_input(fn, H, labels, label_directions, params);
  detail::check_split(fn, split, H.rows());
  return detail::alignment_measures(fn, H, enc, label_directions, params, &split);
}

/// Separability (docs/metrics.md section 4) alone: per label pair, a logistic probe
/// (params.probe: C = 1, at most 100 iterations) fitted on a stratified random split of the
/// pair's rows (params.test_fraction = 0.5 held out, params.seed), its test accuracy averaged
/// over pairs. The result holds the per-pair accuracies and the probes' convergence; the other
/// measures are left at 0. Throws when a class has fewer than 2 rows, labels have the wrong
/// length or a single class, or H holds NaN/Inf.
template <class T>
alignment_result separability(matrix_view<const T> H, const std::vector<int>& labels,
                              const separability_alignment_params& params = {}) {
  const char* fn = "icl::geometry::separability";
  const auto enc = detail::check_separability_input(fn, H, labels, params, nullptr);
  return detail::separability_only(fn, H, enc, params, nullptr);
}

/// Separability on an explicit split (indices are rows of H; each pair uses its own rows of
/// both parts, which must hold both classes for training and at least one row for testing).
template <class T>
alignment_result separability(matrix_view<const T> H, const std::vector<int>& labels,
                              const icl::probe::split_indices& split, const separability_alignment_params& params = {}) {
  const char* fn = "icl::geometry::separability";
  const auto enc = detail::check_separability_input(fn, H, labels, params, &split);
  return detail::separability_only(fn, H, enc, params, &split);
}

/// The pair-averaged rank-r denoised output alignment alone (docs/metrics.md section 4): the
/// logit-lens accuracy on U_rΣ_rV_rᵀ + 1μᵀ. Same errors as separability_alignment;
/// r in [1, min(n_pair, d)].
template <class T, class U>
double denoised_output_alignment(matrix_view<const T> H, const std::vector<int>& labels,
                                 matrix_view<const U> label_directions, std::size_t r,
                                 separability_alignment_params params = {}) {
  params.denoise_rank = r;
  params.separability = false;  // not needed for this measure
  return separability_alignment(H, labels, label_directions, params).denoised_output_alignment;
}

/// Directional separability S(u) of a two-class H (docs/metrics.md section 4):
///   S(u) = (1/n)[Σ_{i∈A} 1(uᵀh_i ≥ 0) + Σ_{i∈B} 1(uᵀh_i < 0)],
/// A the class with the smaller label. u has d entries. Throws when labels do not hold exactly
/// two classes, u has the wrong length, or H or u holds NaN/Inf.
template <class T>
double directional_separability(matrix_view<const T> H, const std::vector<int>& labels, const std::vector<double>& u) {
  const auto enc = detail::check_directional_input("icl::geometry::directional_separability", H, labels, u);
  return detail::directional_separability_unchecked(H, enc, u);
}

/// Builds the curves of every measure one layer at a time, for callers that produce layers in
/// sequence (an inference engine's evaluation callback) and drop each after use: an
/// icl::layer_tracker whose step is separability_alignment with the labels, label directions
/// and options given here. The label directions are viewed, not copied: they must outlive the
/// tracker. add_layer(H) (n x d, any strides) returns the layer's alignment_result and throws
/// what separability_alignment throws (naming it); curve() is the separability per layer (NaN
/// when params.separability is false), layers() every layer's result, curves() every measure.
/// Not thread-safe: one tracker is fed by one thread at a time.
template <class U>
class separability_alignment_tracker : public layer_tracker<detail::separability_alignment_step<U>> {
  using base = layer_tracker<detail::separability_alignment_step<U>>;

 public:
  separability_alignment_tracker(std::vector<int> labels, matrix_view<const U> label_directions,
                                 separability_alignment_params params = {})
      : base({std::move(labels), label_directions, std::move(params)}) {}

  /// One curve per measure over the layers added so far, and each layer's result (a copy of
  /// layers()).
  alignment_curves curves() const { return detail::curves_of(this->layers()); }
};

/// Every measure at every layer of H ([layers, n, d], any strides), with a curve per measure
/// (layer_curve::peak_layer gives the peak).
template <class T, class U>
alignment_curves separability_alignment_curves(tensor_view<const T, 3> H, const std::vector<int>& labels,
                                               matrix_view<const U> label_directions,
                                               const separability_alignment_params& params = {}) {
  return icl::detail::feed_all_layers<separability_alignment_tracker<U>>(
             "icl::geometry::separability_alignment_curves", H, labels, label_directions, params)
      .curves();
}

}  // namespace icl::geometry

#endif  // ICL_GEOMETRY_ALIGNMENT_HPP
