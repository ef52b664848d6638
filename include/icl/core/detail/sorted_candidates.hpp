#ifndef ICL_CORE_DETAIL_SORTED_CANDIDATES_HPP
#define ICL_CORE_DETAIL_SORTED_CANDIDATES_HPP

/// A list of the k best (distance, index) candidates as a sorted array: the strict order of
/// candidates and the insertion by shifting. One piece for the CPU kNN (icl/decode/detail/
/// knn_impl.hpp, lists up to k = 128) and the device kNN (icl/cuda/detail/knn_topk.hpp, every
/// list), so both keep the same k best. Plain C++ that includes nothing of the library beyond
/// icl/config.hpp: compiled by nvcc the functions are __host__ __device__ (ICL_HOST_DEVICE,
/// icl/config.hpp).

#include <cstddef>

#include "icl/config.hpp"  // ICL_HOST_DEVICE

namespace icl::detail {

/// The strict order of candidates: by distance, then by index (equal distances go to the smaller
/// index, so the k best do not depend on the order in which candidates arrive).
template <class Index>
ICL_HOST_DEVICE bool candidate_before(double da, Index ia, double db, Index ib) noexcept {
  return da < db || (da == db && ia < ib);
}

/// Offers (dv, j) to the list dist[0..count), index[0..count) of capacity k >= 1, in increasing
/// (distance, index) order: it enters at its place (the k-th candidate drops out of a full list)
/// when the list has room or it comes before the k-th. Returns whether it entered.
template <class Index>
ICL_HOST_DEVICE bool sorted_offer(double* dist, Index* index, std::size_t& count, std::size_t k, double dv,
                                  Index j) noexcept {
  if (count == k && !candidate_before(dv, j, dist[k - 1], index[k - 1])) return false;
  std::size_t pos = count < k ? count : k - 1;
  while (pos > 0 && candidate_before(dv, j, dist[pos - 1], index[pos - 1])) {
    dist[pos] = dist[pos - 1];
    index[pos] = index[pos - 1];
    --pos;
  }
  dist[pos] = dv;
  index[pos] = j;
  if (count < k) ++count;
  return true;
}

}  // namespace icl::detail

#endif  // ICL_CORE_DETAIL_SORTED_CANDIDATES_HPP
