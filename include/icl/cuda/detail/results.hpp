#ifndef ICL_CUDA_DETAIL_RESULTS_HPP
#define ICL_CUDA_DETAIL_RESULTS_HPP

/// Host-side glue between the device arithmetic (rdm_tile.hpp, knn_topk.hpp) and the library's
/// types: which map a dissimilarity uses, the errors of unusable rows (the CPU library's
/// exceptions and messages, in its order of checks; the zero rows through icl::rsa's own
/// reject_zero_rows), and the decodability result assembled from
/// the rows' decisions. Kept apart from the arithmetic headers, which include nothing of the library (and
/// so no Eigen) and compile in device code.

#include <cstddef>
#include <limits>
#include <utility>
#include <vector>

#include "icl/cuda/detail/host_device.hpp"
ICL_CUDA_HOST_LIBRARY_BEGIN
#include "icl/core/error.hpp"
#include "icl/core/labels.hpp"
#include "icl/decode/types.hpp"
#include "icl/rsa/detail/rdm_impl.hpp"
#include "icl/rsa/types.hpp"
ICL_CUDA_HOST_LIBRARY_END
#include "icl/cuda/detail/knn_topk.hpp"
#include "icl/cuda/detail/rdm_tile.hpp"

namespace icl::detail::device {

/// The map of a dissimilarity (correlation maps as cosine, over centred rows).
constexpr rdm_map rdm_map_of(icl::rsa::dissimilarity d) noexcept {
  switch (d) {
    case icl::rsa::dissimilarity::euclidean: return rdm_map::euclidean;
    case icl::rsa::dissimilarity::sqeuclidean_per_feature: return rdm_map::sqeuclidean_per_feature;
    case icl::rsa::dissimilarity::correlation:
    case icl::rsa::dissimilarity::cosine: return rdm_map::cosine;
    case icl::rsa::dissimilarity::sqeuclidean: break;
  }
  return rdm_map::sqeuclidean;
}

/// True when rows are centred before the Gram product (correlation).
constexpr bool centers_rows(icl::rsa::dissimilarity d) noexcept { return d == icl::rsa::dissimilarity::correlation; }

/// Under nan_policy::raise, throws what compute_rdm throws for the first unusable row: a NaN/Inf
/// row first (any), naming its first non-finite element, then a zero-norm row. status[0..n) are
/// the rows' statuses; non_finite_element(i) gives (column, value) of row i's first NaN/Inf
/// element (called once, for the row named). Under propagate nothing is thrown: the rows' factors
/// are NaN.
template <class Element>
void raise_rdm_row_errors(const char* function, icl::rsa::dissimilarity d, icl::nan_policy policy,
                          const row_status* status, std::size_t n, Element&& non_finite_element) {
  if (policy != icl::nan_policy::raise) return;
  for (std::size_t i = 0; i < n; ++i) {
    if (status[i] != row_status::non_finite) continue;
    const std::pair<std::size_t, double> bad = non_finite_element(i);
    throw_invalid(function, "row ", i, " column ", bad.first, " is ", bad.second,
                  " (NaN/Inf in the input; pass nan_policy::propagate for NaN dissimilarities)");
  }
  // The zero rows: icl::rsa's own check on the statistics it would have gathered (a squared norm
  // of 0 for a zero row, 1 for the others).
  icl::rsa::detail::row_statistics stats;
  stats.mean.assign(n, 0.0);
  stats.squared_norm.assign(n, 1.0);
  stats.valid.assign(n, 1);
  for (std::size_t i = 0; i < n; ++i) {
    if (status[i] == row_status::zero_norm) stats.squared_norm[i] = 0.0;
  }
  icl::rsa::detail::reject_zero_rows(function, stats, d, policy);
}

/// The largest squared norm of a usable row for the compute type C of the Gram tiles: a quarter
/// of its largest finite value (above it a Gram entry or a distance can overflow).
template <class C>
constexpr double knn_norm_limit() noexcept {
  return static_cast<double>(std::numeric_limits<C>::max()) / 4.0;
}

/// Throws what task_decodability throws for the first unusable row of H: a row out of range
/// (any) first — naming its first NaN/Inf element when non_finite_element(i) finds one
/// (icl::invalid_argument), else its squared norm (icl::error) — then a zero row under cosine.
/// non_finite_element(i) gives (column, value), column >= d when the row holds none.
template <class Element>
void raise_knn_row_errors(const char* function, const knn_row_status* status, const double* norm2, std::size_t n,
                          std::size_t d, Element&& non_finite_element) {
  for (std::size_t i = 0; i < n; ++i) {
    if (status[i] != knn_row_status::out_of_range) continue;
    const std::pair<std::size_t, double> bad = non_finite_element(i);
    if (bad.first < d) {
      throw_invalid(function, "H (", i, ", ", bad.first, ") is ", bad.second, " (NaN/Inf not allowed)");
    }
    throw_error(function, "row ", i, " of H has squared norm ", norm2[i], ", beyond the range of the compute type");
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (status[i] == knn_row_status::zero) {
      throw_invalid(function, "row ", i, " of H is zero (cosine distance undefined)");
    }
  }
}

/// The decodability result from each row's decided class (decisions[i], a class code of `enc`):
/// predictions, overall and per-class accuracy, as the CPU library reports them.
inline icl::decode::decodability_result decodability_from_decisions(const icl::detail::encoded_labels& enc,
                                                                    const std::vector<std::size_t>& decisions,
                                                                    std::size_t k, icl::decode::dissimilarity kind) {
  icl::decode::decodability_result out{};
  out.classes = enc.classes;
  out.class_counts = enc.counts;
  out.k = k;
  out.dissimilarity = kind;
  out.predictions.reserve(decisions.size());
  std::vector<std::size_t> hits(enc.n_classes(), 0);
  std::size_t hits_total = 0;
  for (std::size_t i = 0; i < decisions.size(); ++i) {
    out.predictions.push_back(enc.classes[decisions[i]]);
    const bool hit = decisions[i] == enc.codes[i];
    hits[enc.codes[i]] += hit ? 1 : 0;
    hits_total += hit ? 1 : 0;
  }
  out.overall = static_cast<double>(hits_total) / static_cast<double>(decisions.size());
  out.per_class.resize(enc.n_classes());
  for (std::size_t c = 0; c < enc.n_classes(); ++c) {
    out.per_class[c] = static_cast<double>(hits[c]) / static_cast<double>(enc.counts[c]);
  }
  return out;
}

}  // namespace icl::detail::device

#endif  // ICL_CUDA_DETAIL_RESULTS_HPP
