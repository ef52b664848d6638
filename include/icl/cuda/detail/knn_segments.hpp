#ifndef ICL_CUDA_DETAIL_KNN_SEGMENTS_HPP
#define ICL_CUDA_DETAIL_KNN_SEGMENTS_HPP

/// The device kNN's lists per column segment (icl::cuda::task_decodability): the columns of a
/// tile row are cut into `segments` parts, each offered by its own thread to its own list of the
/// row (so a tile keeps rows × segments threads busy), and a row's lists are merged into its k
/// nearest neighbours before the vote. The k best under the strict order (distance, index) do not
/// depend on how the candidates are split, so the result is that of a single list.

#include <cstddef>

#include "icl/config.hpp"
#include "icl/cuda/detail/host_device.hpp"
#include "icl/cuda/detail/knn_topk.hpp"

namespace icl::detail::device {

/// The lists of all rows: segment s of row i holds count[i·segments + s] candidates at
/// dist / index + (i·segments + s)·k.
template <class Index>
struct segment_lists {
  double* dist = nullptr;
  Index* index = nullptr;
  std::size_t* count = nullptr;
  std::size_t segments = 1;
  std::size_t k = 1;

  ICL_HOST_DEVICE topk_list<Index> list(std::size_t i, std::size_t s) const noexcept {
    const std::size_t q = i * segments + s;
    return topk_list<Index>{dist + q * k, index + q * k, count[q], k};
  }
};

/// The first column of segment s of a tile row of `cols` columns (s = segments gives cols).
ICL_HOST_DEVICE inline std::size_t segment_first(std::size_t cols, std::size_t segments, std::size_t s) noexcept {
  const std::size_t first = s * ((cols + segments - 1) / segments);
  return first < cols ? first : cols;
}

/// Offers segment s of tile row r (row i0 + r; the tile column-major with leading dimension
/// rows, its columns j0 .. j0 + cols) to list s of that row.
template <class C, class Index>
ICL_HOST_DEVICE void offer_tile_segment(const knn_terms& t, const segment_lists<Index>& lists, std::size_t i0,
                                        std::size_t r, std::size_t rows, std::size_t j0, std::size_t cols,
                                        std::size_t s, const C* tile) noexcept {
  const std::size_t first = segment_first(cols, lists.segments, s), end = segment_first(cols, lists.segments, s + 1);
  if (first == end) return;
  topk_list<Index> list = lists.list(i0 + r, s);
  offer_tile_row(t, i0 + r, j0 + first, end - first, tile + r + first * rows, static_cast<std::ptrdiff_t>(rows), list);
  lists.count[(i0 + r) * lists.segments + s] = list.count;
}

/// Row i's k nearest neighbours merged from its segment lists, through scratch storage of 2k
/// distances and indices (two lists, used in turn; untouched, may be null, with one segment);
/// returns the list that holds them.
template <class Index>
ICL_HOST_DEVICE topk_list<Index> merge_segments(const segment_lists<Index>& lists, std::size_t i, double* dist_scratch,
                                                Index* index_scratch) noexcept {
  topk_list<Index> merged = lists.list(i, 0);
  for (std::size_t s = 1; s < lists.segments; ++s) {
    const std::size_t half = (s % 2) * lists.k;
    topk_list<Index> out{dist_scratch + half, index_scratch + half, 0, lists.k};
    topk_merge(merged, lists.list(i, s), out);
    merged = out;
  }
  return merged;
}

}  // namespace icl::detail::device

#endif  // ICL_CUDA_DETAIL_KNN_SEGMENTS_HPP
