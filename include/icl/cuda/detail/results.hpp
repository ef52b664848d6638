#ifndef ICL_CUDA_DETAIL_RESULTS_HPP
#define ICL_CUDA_DETAIL_RESULTS_HPP

/// Host-side glue between the device arithmetic (rdm_tile.hpp, knn_topk.hpp) and the library's
/// types: which map a dissimilarity uses, and the decodability result assembled from the rows'
/// decisions. Kept apart from the arithmetic headers, which include nothing of the library (and
/// so no Eigen) and compile in device code.

#include <cstddef>
#include <vector>

#include "icl/core/labels.hpp"
#include "icl/cuda/detail/rdm_tile.hpp"
#include "icl/decode/types.hpp"
#include "icl/rsa/types.hpp"

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
