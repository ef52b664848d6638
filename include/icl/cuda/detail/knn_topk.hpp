#ifndef ICL_CUDA_DETAIL_KNN_TOPK_HPP
#define ICL_CUDA_DETAIL_KNN_TOPK_HPP

/// The arithmetic of the device leave-one-out kNN (icl::cuda::task_decodability) that does not
/// touch the device: the distance of a pair from its Gram entry, a per-row list of the k best
/// (distance, index) candidates kept over distance tiles, the merge of two such lists, the vote
/// of a row's neighbours, and the decodability from the rows' decisions. Never an n × n matrix:
/// a row meets the candidates of one tile at a time.
///
/// Everything follows the CPU library (icl/decode/detail/knn_impl.hpp):
///   - distance dv(i, j) = (a_lo + a_hi) − ((c·s_lo)·s_hi)·g_ij, lo = min(i, j), hi = max(i, j):
///     euclidean a = ‖x‖², s = 1, c = 2 (the squared distance, never rooted: it ranks the same);
///     cosine a = 1/2, s = 1/‖x‖, c = 1. The CPU library computes each pair once, with the smaller
///     index as the tile row; ordering the pair here gives the same double for (i, j) and (j, i);
///   - the order of candidates is the strict order (distance, index): equal distances go to the
///     smaller row index, so the k best do not depend on the order in which tiles arrive;
///   - the vote: the class with the most votes among the k neighbours, ties to the lowest class
///     (scikit-learn's KNeighborsClassifier).
/// The decodability_result is assembled on the host from the decisions
/// (decodability_from_decisions in icl/cuda/detail/results.hpp).

#include <cmath>
#include <cstddef>

#include "icl/config.hpp"
#include "icl/core/detail/sorted_candidates.hpp"
#include "icl/cuda/detail/host_device.hpp"

namespace icl::detail::device {

// ---- distances ------------------------------------------------------------------------------------

/// The per-row terms of the distance, for all n rows: dv(i, j) = (a[lo] + a[hi]) − ((c·s[lo])·s[hi])·g.
struct knn_terms {
  const double* a = nullptr;  ///< euclidean: ‖x_i‖²; cosine: 1/2
  const double* s = nullptr;  ///< euclidean: 1; cosine: 1/‖x_i‖
  double c = 2.0;             ///< euclidean: 2; cosine: 1
};

/// The coefficient c of the dissimilarity (cosine: icl::decode::dissimilarity::cosine, else euclidean).
ICL_HOST_DEVICE inline double knn_coefficient(bool cosine) noexcept {
  return cosine ? 1.0 : 2.0;
}

/// The term a of a row with squared norm norm2 (the double sum of its squared compute-type values).
ICL_HOST_DEVICE inline double knn_offset(bool cosine, double norm2) noexcept {
  return cosine ? 0.5 : norm2;
}

/// The term s of a row with squared norm norm2 (cosine: a zero norm is an error, checked first).
ICL_HOST_DEVICE inline double knn_scale(bool cosine, double norm2) noexcept {
  return cosine ? 1.0 / std::sqrt(norm2) : 1.0;
}

/// Why a row cannot enter the kNN, in the CPU library's order of checks.
enum class knn_row_status : unsigned char {
  usable,
  out_of_range,  ///< its squared norm is not finite or above `limit` (a NaN/Inf element, or an
                 ///< overflow of the compute type: the host names the element or the norm)
  zero           ///< cosine: an all-zero row
};

/// The status of a row; limit is a quarter of the largest finite value of the compute type.
ICL_HOST_DEVICE inline knn_row_status knn_status(bool cosine, double norm2, double limit) noexcept {
  if (!(norm2 - norm2 == 0.0) || norm2 > limit) return knn_row_status::out_of_range;
  if (cosine && norm2 == 0.0) return knn_row_status::zero;
  return knn_row_status::usable;
}

/// dv(i, j), i != j, from the Gram entry g = x_i · x_j (as a double).
ICL_HOST_DEVICE inline double knn_distance(const knn_terms& t, std::size_t i, std::size_t j, double g) noexcept {
  const std::size_t lo = i < j ? i : j, hi = i < j ? j : i;
  return (t.a[lo] + t.a[hi]) - ((t.c * t.s[lo]) * t.s[hi]) * g;
}

// ---- a per-row list of the k best candidates ----------------------------------------------------------

/// A list of at most k candidates in increasing (distance, index) order, over storage the
/// caller owns (registers, shared or global memory): dist[0..count), index[0..count).
template <class Index>
struct topk_list {
  double* dist = nullptr;
  Index* index = nullptr;
  std::size_t count = 0;  ///< candidates held, <= k
  std::size_t k = 0;      ///< capacity, >= 1

  /// Offers (dv, j): it enters at its place (the k-th candidate drops out of a full list) when it
  /// comes before the k-th (the CPU's insertion, icl::detail::sorted_offer). Returns whether it
  /// entered.
  ICL_HOST_DEVICE bool offer(double dv, Index j) noexcept { return sorted_offer(dist, index, count, k, dv, j); }
};

/// Merges two lists (candidates of disjoint sets of rows, e.g. two threads' column ranges) into
/// `out` (storage of its own, out.k >= 1, emptied first): the first out.k of their union.
template <class Index>
ICL_HOST_DEVICE void topk_merge(const topk_list<Index>& x, const topk_list<Index>& y, topk_list<Index>& out) noexcept {
  std::size_t p = 0, q = 0;
  out.count = 0;
  while (out.count < out.k && (p < x.count || q < y.count)) {
    const bool take_x = q == y.count || (p < x.count && candidate_before(x.dist[p], x.index[p], y.dist[q], y.index[q]));
    out.dist[out.count] = take_x ? x.dist[p] : y.dist[q];
    out.index[out.count] = take_x ? x.index[p] : y.index[q];
    ++out.count;
    if (take_x) {
      ++p;
    } else {
      ++q;
    }
  }
}

/// Offers row i the candidates of one tile row: columns j = j0 + c, c < cols, with Gram entries
/// g[c·stride] = x_i · x_j in the compute type C; j == i (the point itself) is skipped.
template <class C, class Index>
ICL_HOST_DEVICE void offer_tile_row(const knn_terms& t, std::size_t i, std::size_t j0, std::size_t cols, const C* g,
                                    std::ptrdiff_t stride, topk_list<Index>& list) noexcept {
  for (std::size_t c = 0; c < cols; ++c) {
    const std::size_t j = j0 + c;
    if (j == i) continue;
    const double dv = knn_distance(t, i, j, static_cast<double>(g[static_cast<std::ptrdiff_t>(c) * stride]));
    list.offer(dv, static_cast<Index>(j));
  }
}

// ---- the vote and the decodability ----------------------------------------------------------------------

/// The decision of a row from its k neighbours nb[0..k) (their class codes in codes[]): the
/// class with the most votes, ties to the lowest class. `votes` is scratch of one counter per
/// class, all zero, left all zero; without it (nullptr) the votes are counted among the k
/// neighbours (O(k²), no scratch). Same result either way.
template <class Index, class Code>
ICL_HOST_DEVICE std::size_t knn_vote(const Index* nb, std::size_t k, const Code* codes, unsigned* votes) noexcept {
  std::size_t best = static_cast<std::size_t>(codes[nb[0]]);
  unsigned best_votes = 0;
  if (votes != nullptr) {
    for (std::size_t r = 0; r < k; ++r) ++votes[codes[nb[r]]];
  }
  for (std::size_t r = 0; r < k; ++r) {
    const auto c = static_cast<std::size_t>(codes[nb[r]]);
    unsigned v = 0;
    if (votes != nullptr) {
      v = votes[c];
    } else {
      for (std::size_t q = 0; q < k; ++q) v += static_cast<std::size_t>(codes[nb[q]]) == c ? 1U : 0U;
    }
    if (v > best_votes || (v == best_votes && c < best)) {
      best = c;
      best_votes = v;
    }
  }
  if (votes != nullptr) {
    for (std::size_t r = 0; r < k; ++r) votes[codes[nb[r]]] = 0;
  }
  return best;
}

}  // namespace icl::detail::device

#endif  // ICL_CUDA_DETAIL_KNN_TOPK_HPP
