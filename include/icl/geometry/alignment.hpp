#ifndef ICL_GEOMETRY_ALIGNMENT_HPP
#define ICL_GEOMETRY_ALIGNMENT_HPP

/// Hidden-state geometry (METRICS.md 4): separability and alignment of a layer's states with
/// the directions of the label tokens, effective dimension, per layer (METRICS.md 6).
///
/// H is n x d (one row per prompt, usually the last token's state), labels one int per row (any
/// values: classes are the distinct labels in increasing order), label_directions a matrix of
/// any element type with one row per class (the unembedding rows of the label tokens, or any
/// d-vectors), or a whole unembedding with alignment_params::label_token_ids. For m > 2 classes
/// every measure is computed on each unordered label pair (the rows of those two classes, H̄
/// centered over them, e = (E_A − E_B)/‖E_A − E_B‖) and averaged over the pairs.
/// See docs/geometry.md.

#include <cmath>
#include <cstddef>
#include <utility>
#include <vector>

#include "icl/core/error.hpp"
#include "icl/core/labels.hpp"
#include "icl/core/view.hpp"
#include "icl/geometry/alignment_types.hpp"
#include "icl/geometry/detail/alignment_impl.hpp"
#include "icl/geometry/detail/pair_geometry.hpp"
#include "icl/layers.hpp"
#include "icl/probe/cross_validation.hpp"

namespace icl::geometry {

namespace detail {

/// Checks the options that do not depend on the data.
inline void check_params(const char* fn, const alignment_params& p, std::size_t d) {
  if (!p.norm_gain.empty() && p.norm_gain.size() != d) {
    icl::detail::throw_invalid(fn, "norm_gain (gamma) has ", p.norm_gain.size(), " values but H has d = ", d,
                               " columns");
  }
  for (std::size_t j = 0; j < p.norm_gain.size(); ++j) {
    if (!std::isfinite(p.norm_gain[j])) {
      icl::detail::throw_invalid(fn, "norm_gain[", j, "] is ", p.norm_gain[j], " (NaN/Inf not allowed)");
    }
  }
  if (!(p.norm_eps > 0.0) || !std::isfinite(p.norm_eps)) {
    icl::detail::throw_invalid(fn, "norm_eps = ", p.norm_eps, " must be finite and > 0");
  }
  if (p.denoise_rank == 0) icl::detail::throw_invalid(fn, "denoise_rank r = 0 must be >= 1");
  if (p.singular_vectors == 0) icl::detail::throw_invalid(fn, "singular_vectors = 0 must be >= 1");
  if (p.separability && !(p.test_fraction > 0.0 && p.test_fraction < 1.0)) {
    icl::detail::throw_invalid(fn, "test_fraction = ", p.test_fraction, " must be in (0, 1)");
  }
  if (p.separability && !(p.probe.C > 0.0 && std::isfinite(p.probe.C))) {
    icl::detail::throw_invalid(fn, "probe.C = ", p.probe.C, " must be finite and > 0");
  }
}

/// Checks that every index of an explicit split is a row of H.
inline void check_split(const char* fn, const icl::probe::split_indices& split, std::size_t n) {
  for (const auto* part : {&split.train, &split.test}) {
    const char* name = part == &split.train ? "split.train" : "split.test";
    for (std::size_t k = 0; k < part->size(); ++k) {
      if ((*part)[k] >= n) {
        icl::detail::throw_invalid(fn, name, "[", k, "] = ", (*part)[k], " is out of range for H with ", n, " rows");
      }
    }
  }
}

/// Separability alone: the probe per label pair, averaged.
template <class T>
alignment_result separability_only(const char* fn, matrix_view<const T> H, const std::vector<int>& labels,
                                   const alignment_params& p, const icl::probe::split_indices* split) {
  icl::detail::check_matrix(fn, "H", H);
  if (H.empty()) icl::detail::throw_invalid(fn, "H is empty (", H.rows(), " x ", H.cols(), ")");
  const auto enc = icl::detail::encode_labels(fn, labels, H.rows(), 2, "H");
  alignment_params q = p;
  q.separability = true;
  check_params(fn, q, H.cols());
  if (split != nullptr) check_split(fn, *split, H.rows());
  icl::detail::require_finite(fn, "H", H);
  using C = icl::detail::compute_t<T>;
  std::vector<C> buffer;
  std::size_t ldh = 0;
  const C* Hc = icl::detail::rows_as_compute<C>(H, 0, H.rows(), buffer, ldh);
  alignment_result out;
  out.classes = enc.classes;
  out.has_separability = true;
  for (std::size_t a = 0; a < enc.n_classes(); ++a) {
    for (std::size_t b = a + 1; b < enc.n_classes(); ++b) {
      pair_alignment pair = pair_header(enc, a, b);
      pair_separability<C>(fn, Hc, ldh, H.cols(), pair_rows(enc, a, b), enc, out.pairs.size(), split, q, pair);
      out.pairs.push_back(pair);
    }
  }
  double sum = 0.0;
  for (const auto& pair : out.pairs) sum += pair.separability;
  out.separability = sum / static_cast<double>(out.pairs.size());
  return out;
}

/// Checks H, labels and label_directions; returns the encoded labels.
template <class T, class U>
icl::detail::encoded_labels check_alignment_input(const char* fn, matrix_view<const T> H, const std::vector<int>& labels,
                                                  matrix_view<const U> D, const alignment_params& p) {
  icl::detail::check_matrix(fn, "H", H);
  icl::detail::check_matrix(fn, "label_directions", D);
  if (H.empty()) icl::detail::throw_invalid(fn, "H is empty (", H.rows(), " x ", H.cols(), ")");
  auto enc = icl::detail::encode_labels(fn, labels, H.rows(), 2, "H");
  const std::size_t m = enc.n_classes(), d = H.cols();
  if (D.cols() != d) {
    icl::detail::throw_invalid(fn, "label_directions has ", D.cols(), " columns but H has d = ", d);
  }
  if (p.label_token_ids.empty()) {
    if (D.rows() != m) {
      icl::detail::throw_invalid(fn, "label_directions has ", D.rows(), " rows but the labels hold ", m,
                                 " classes (one direction per class, in increasing label order)");
    }
  } else {
    if (p.label_token_ids.size() != m) {
      icl::detail::throw_invalid(fn, "label_token_ids has ", p.label_token_ids.size(), " entries but the labels hold ",
                                 m, " classes");
    }
    for (std::size_t c = 0; c < m; ++c) {
      if (p.label_token_ids[c] >= D.rows()) {
        icl::detail::throw_invalid(fn, "label_token_ids[", c, "] = ", p.label_token_ids[c],
                                   " is out of range for an unembedding of ", D.rows(), " rows");
      }
    }
  }
  check_params(fn, p, d);
  icl::detail::require_finite(fn, "H", H);
  icl::detail::require_finite(fn, "label_directions", D);
  return enc;
}

}  // namespace detail

/// Effective dimension of H (METRICS.md 4): the participation ratio (Σσ_i²)² / Σσ_i⁴ of the
/// singular values of H̄ (H with column means removed), computed as tr(K)² / ‖K‖_F² of the
/// smaller of K = H̄H̄ᵀ (n x n) and H̄ᵀH̄ (d x d), formed by SYRK in the compute type.
/// Throws icl::invalid_argument when H has fewer than 2 rows, holds NaN/Inf, or H̄ is zero.
template <class T>
double effective_dimension(matrix_view<const T> H) {
  const char* fn = "icl::geometry::effective_dimension";
  icl::detail::check_matrix(fn, "H", H);
  if (H.rows() < 2 || H.cols() == 0) {
    icl::detail::throw_invalid(fn, "need n >= 2 rows and d >= 1 columns, got ", H.rows(), " x ", H.cols());
  }
  icl::detail::require_finite(fn, "H", H);
  using C = icl::detail::compute_t<T>;
  std::vector<double> mean;
  const auto xc = detail::centered_matrix<C>(H, mean);
  const auto sp = detail::centered_spectrum<C>(xc, H.rows(), H.cols(), 0);
  if (!(sp.trace > 0.0)) {
    icl::detail::throw_invalid(fn, "H has zero variance (every row equal): the effective dimension is undefined");
  }
  return sp.trace * sp.trace / sp.frobenius_sq;
}

/// Every measure of METRICS.md 4 for one layer, averaged over label pairs, with the per-pair
/// values (see alignment_result and docs/geometry.md).
///
/// Separability is computed (a probe per pair, on a stratified random split) unless
/// params.separability is false.
/// Throws icl::invalid_argument naming icl::geometry::separability_alignment when labels has
/// the wrong length or a single class, label_directions has the wrong width or number of rows,
/// two label directions are identical, norm_gain has the wrong length, H or label_directions
/// holds NaN/Inf, a pair's centered states are zero or the pooled variance of h·e is zero, or
/// denoise_rank is outside [1, min(n_pair, d)].
template <class T, class U>
alignment_result separability_alignment(matrix_view<const T> H, const std::vector<int>& labels,
                                        matrix_view<const U> label_directions, const alignment_params& params = {}) {
  const char* fn = "icl::geometry::separability_alignment";
  const auto enc = detail::check_alignment_input(fn, H, labels, label_directions, params);
  return detail::alignment_measures(fn, H, enc, label_directions, params);
}

/// separability_alignment with the probe fitted on an explicit split: for each pair, the rows of
/// split.train and split.test that belong to the pair (indices are rows of H).
template <class T, class U>
alignment_result separability_alignment(matrix_view<const T> H, const std::vector<int>& labels,
                                        matrix_view<const U> label_directions, const icl::probe::split_indices& split,
                                        alignment_params params = {}) {
  const char* fn = "icl::geometry::separability_alignment";
  params.separability = true;
  const auto enc = detail::check_alignment_input(fn, H, labels, label_directions, params);
  detail::check_split(fn, split, H.rows());
  return detail::alignment_measures(fn, H, enc, label_directions, params, &split);
}

/// Separability (METRICS.md 4) alone: per label pair, a logistic probe (params.probe: C = 1, at
/// most 100 iterations) fitted on a stratified random split of the pair's rows
/// (params.test_fraction = 0.5 held out, params.seed), its test accuracy averaged over pairs.
/// The result holds the per-pair accuracies and the probes' convergence; the other measures are
/// left at 0. Throws when a class has fewer than 2 rows, labels have the wrong length or a
/// single class, or H holds NaN/Inf.
template <class T>
alignment_result separability(matrix_view<const T> H, const std::vector<int>& labels, const alignment_params& params = {}) {
  return detail::separability_only("icl::geometry::separability", H, labels, params, nullptr);
}

/// Separability on an explicit split (indices are rows of H; each pair uses its own rows of
/// both parts, which must hold both classes for training and at least one row for testing).
template <class T>
alignment_result separability(matrix_view<const T> H, const std::vector<int>& labels,
                              const icl::probe::split_indices& split, const alignment_params& params = {}) {
  return detail::separability_only("icl::geometry::separability", H, labels, params, &split);
}

/// The pair-averaged rank-r denoised output alignment alone (METRICS.md 4): the logit-lens
/// accuracy on U_rΣ_rV_rᵀ + 1μᵀ. Same errors as separability_alignment; r in [1, min(n_pair, d)].
template <class T, class U>
double denoised_output_alignment(matrix_view<const T> H, const std::vector<int>& labels,
                                 matrix_view<const U> label_directions, std::size_t r, alignment_params params = {}) {
  params.denoise_rank = r;
  params.separability = false;  // not needed for this measure
  return separability_alignment(H, labels, label_directions, params).denoised_output_alignment;
}

/// Directional separability S(u) of a two-class H (METRICS.md 4):
///   S(u) = (1/n)[Σ_{i∈A} 1(uᵀh_i ≥ 0) + Σ_{i∈B} 1(uᵀh_i < 0)],
/// A the class with the smaller label. u has d entries. Throws when labels do not hold exactly
/// two classes, u has the wrong length, or H or u holds NaN/Inf.
template <class T>
double directional_separability(matrix_view<const T> H, const std::vector<int>& labels, const std::vector<double>& u) {
  const char* fn = "icl::geometry::directional_separability";
  icl::detail::check_matrix(fn, "H", H);
  const auto enc = icl::detail::encode_labels(fn, labels, H.rows(), 2, "H");
  if (enc.n_classes() != 2) {
    icl::detail::throw_invalid(fn, "labels hold ", enc.n_classes(), " classes, need exactly 2");
  }
  if (u.size() != H.cols()) icl::detail::throw_invalid(fn, "u has ", u.size(), " entries but H has d = ", H.cols());
  icl::detail::require_finite(fn, "H", H);
  icl::detail::require_finite(fn, "u", make_matrix_view(u.data(), 1, u.size()));
  std::size_t correct = 0;
  for (std::size_t i = 0; i < H.rows(); ++i) {
    double acc = 0.0;
    for (std::size_t j = 0; j < H.cols(); ++j) acc += icl::detail::to_double(H(i, j)) * u[j];
    correct += enc.codes[i] == 0 ? (acc >= 0.0 ? 1 : 0) : (acc < 0.0 ? 1 : 0);
  }
  return static_cast<double>(correct) / static_cast<double>(H.rows());
}

/// Builds the curves of every measure one layer at a time, for callers that produce layers in
/// sequence and drop each after use. The label directions are viewed, not copied: they must
/// outlive the tracker.
template <class U>
class alignment_tracker {
 public:
  alignment_tracker(std::vector<int> labels, matrix_view<const U> label_directions, alignment_params params = {})
      : labels_(std::move(labels)), directions_(label_directions), params_(std::move(params)) {}

  /// Adds the next layer's states (n x d) and returns its result.
  template <class T>
  const alignment_result& add_layer(matrix_view<const T> H) {
    alignment_result r = separability_alignment(H, labels_, directions_, params_);
    curves_.separability.values.push_back(r.separability);
    curves_.directional_separability.values.push_back(r.directional_separability);
    curves_.output_alignment.values.push_back(r.output_alignment);
    curves_.singular_alignment.values.push_back(r.singular_alignment);
    curves_.variance_alignment.values.push_back(r.variance_alignment);
    curves_.mean_alignment.values.push_back(r.mean_alignment);
    curves_.composite_alignment.values.push_back(r.composite_alignment);
    curves_.effective_dimension.values.push_back(r.effective_dimension);
    curves_.denoised_output_alignment.values.push_back(r.denoised_output_alignment);
    curves_.output_alignment_all_classes.values.push_back(r.output_alignment_all_classes);
    curves_.layers.push_back(std::move(r));
    return curves_.layers.back();
  }

  const alignment_curves& curves() const noexcept { return curves_; }

 private:
  std::vector<int> labels_;
  matrix_view<const U> directions_;
  alignment_params params_;
  alignment_curves curves_;
};

/// Every measure at every layer of H ([layers, n, d], any strides), with a curve per measure
/// (layer_curve::peak_layer gives the peak).
template <class T, class U>
alignment_curves separability_alignment_curves(tensor_view<const T, 3> H, const std::vector<int>& labels,
                                               matrix_view<const U> label_directions,
                                               const alignment_params& params = {}) {
  const std::size_t layers = icl::detail::check_layers("icl::geometry::separability_alignment_curves", "H", H);
  alignment_tracker<U> tracker(labels, label_directions, params);
  for (std::size_t l = 0; l < layers; ++l) tracker.add_layer(H.matrix(l));
  return tracker.curves();
}

/// The effective dimension of every layer of H ([layers, n, d]).
template <class T>
layer_curve effective_dimension_curve(tensor_view<const T, 3> H) {
  const std::size_t layers = icl::detail::check_layers("icl::geometry::effective_dimension_curve", "H", H);
  layer_curve out;
  for (std::size_t l = 0; l < layers; ++l) out.values.push_back(effective_dimension(H.matrix(l)));
  return out;
}

}  // namespace icl::geometry

#endif  // ICL_GEOMETRY_ALIGNMENT_HPP
